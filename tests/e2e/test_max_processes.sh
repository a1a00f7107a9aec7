# max_processes: the processes of all watchers together stay within cirque.max_processes (default:
# what the descriptor limit allows, 2 per process, and RLIMIT_NPROC). incr, set numprocesses and
# add over it are refused with EINVAL and spawn nothing; a file over it is a file:line:col error;
# a reload over it keeps the running configuration.
. "$(dirname "$0")/lib.sh"

A=$(sleeper a); B=$(sleeper b)
write_conf() {
	cat >"$CONF" <<YAML
cirque:
  max_processes: $1
watchers:
  a:
    cmd: $A 3600
    numprocesses: 2
    ready: {delay: 0.1s}
  b:
    cmd: $B 3600
    ready: {delay: 0.1s}
YAML
}
write_conf 5
start_daemon
wait_count "$B" 1

refused() {  # refused WHAT REPLY
	echo "$2" | grep -Eq '"errno": ?3' && echo "$2" | grep -Eq '"code": ?"EINVAL"' &&
		echo "$2" | grep -q "max_processes 5" || fail "$1 not refused as over max_processes: $2"
}
# cirquectl --json prints the daemon's reply as it is.
out=$("$CTL" --json incr a 70000); refused "incr a 70000" "$out"
out=$("$CTL" --json incr a 3); refused "incr a 3 (6 in all)" "$out"
out=$("$CTL" --json set b numprocesses 4); refused "set b numprocesses 4" "$out"
out=$("$CTL" incr a 2) || fail "incr a 2 (5 in all): $out"
wait_count "$A" 4
out=$("$CTL" --json add c /bin/true); refused "add c (6 in all)" "$out"
out=$("$CTL" incr a 1); [ $? -ne 0 ] && echo "$out" | grep -q "max_processes" ||
	fail "cirquectl incr over max_processes: $out"
[ "$(count_matching "$A")" -eq 4 ] && [ "$(count_matching "$B")" -eq 1 ] ||
	fail "refused requests spawned processes: $(children | wc -l) children"

# A reload to a lower limit than the counts changed at run time want: refused, nothing changes.
write_conf 3
out=$("$CTL" update 2>&1) && fail "a reload over max_processes went through: $out"
grep -q "would want 5 processes, more than max_processes 3" "$DLOG" || fail "no reason logged for the refused reload"
out=$(request '{"id": "7", "command": "globaloptions", "properties": {"option": "max_processes"}}')
echo "$out" | grep -Eq '"max_processes": ?5' || fail "globaloptions max_processes: $out"

# A file over the limit: the count that goes over is the error.
write_conf 2
out=$("$CIRQUED" --check -c "$CONF" 2>&1) && fail "a file wanting 3 processes under max_processes 2 passed: $out"
echo "$out" | grep -q "cirque.yaml:8:3: watchers.b.numprocesses: 3 processes in all, more than cirque.max_processes 2" ||
	fail "the error for a file over max_processes: $out"
# The default follows the descriptor limit: 2 per process (4096 - 409 reserved - 64) / 2 = 1811.
cat >"$T/big.yaml" <<YAML
watchers:
  big:
    cmd: $A 3600
    numprocesses: 2000
YAML
out=$(ulimit -n 4096 && "$CIRQUED" --check -c "$T/big.yaml" 2>&1) && fail "2000 processes with 4096 descriptors passed: $out"
echo "$out" | grep -q "big.yaml:4:19: .*2000 processes in all, more than cirque.max_processes 1811 (the default" ||
	fail "the default max_processes for 4096 descriptors: $out"
stop_daemon TERM
echo ok
