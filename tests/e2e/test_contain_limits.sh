# Limits per watcher (memory_max, memory_high, cpu_max, pids_max, io_weight) where their
# controllers are not available (this host's cgroup2 has none; elsewhere cgroup: off): each is
# refused at its file:line:column by --check, at start (cirqued exits non-zero) and by a reload
# (the running configuration stays); `unavailable_limits: warn` starts with a warning naming each
# limit; bad values are errors in any case. And stats: a watcher's whole cgroup's CPU, the
# CPU its program's child burnt included.
. "$(dirname "$0")/lib.sh"

# (A sanitizer's report there fails the test, as one in the daemon's log does.)
check() {
	out=$("$CIRQUED" -c "$CONF" --check 2>&1)
	rc=$?
	! grep -qE "Sanitizer|runtime error:" <<<"$out" || fail "sanitizer report from --check: $out"
}
# in_text TEXT LOCATION WORDS: a line of TEXT has "$CONF:LOCATION: " and WORDS.
in_text() { echo "$1" | grep -F -- "$CONF:$2: " | grep -qF -- "$3"; }

MNT=$(cgroup2_mount)
DAEMON='cirque: {loglevel: info}'
if [ -n "$MNT" ] && grep -qwE 'memory|cpu|pids|io' "$MNT/cgroup.controllers"; then
	DAEMON='cirque: {cgroup: off}'
	note "this host's cgroup2 has controllers: the refusals are checked with cgroup: off"
fi
S=$(sleeper limited)
# limits_conf 'DAEMON SECTION': a watcher with every limit, each value at a known line and column.
limits_conf() {
	cat >"$CONF" <<YAML
$1
watchers:
  web:
    cmd: $S 3600
    memory_max: 64M
    memory_high: 48M
    cpu_max: 150%
    pids_max: 100
    io_weight: 100
YAML
}
LIMITS="5:17 memory_max memory
6:18 memory_high memory
7:14 cpu_max cpu
8:15 pids_max pids
9:16 io_weight io"

# --check and the start refuse each limit, where it is written.
limits_conf "$DAEMON"
check
[ "$rc" = 1 ] || fail "--check accepted limits without their controllers (exit $rc): $out"
while read -r at key controller; do
	in_text "$out" "$at" "$key: the $controller controller is not available (" ||
		fail "--check: no '$CONF:$at: ...$key: the $controller controller is not available (...)' in: $out"
done <<<"$LIMITS"
"$CIRQUED" -c "$CONF" >"$T/start.out" 2>&1 &
spid=$!
wait_for 15 '! kill -0 $spid 2>/dev/null' || { kill -9 $spid; fail "cirqued started with limits it cannot apply: $(cat "$T/start.out")"; }
wait $spid
rc=$?
[ "$rc" != 0 ] || fail "cirqued refused its limits with exit status 0: $(cat "$T/start.out")"
! grep -qE "Sanitizer|runtime error:" "$T/start.out" || fail "sanitizer report from the refused start: $(cat "$T/start.out")"
[ -z "$MNT" ] || [ ! -e "$MNT/cirque-$spid" ] || fail "the refused start left $MNT/cirque-$spid behind"
in_text "$(cat "$T/start.out")" 5:17 "memory_max: the memory controller is not available (" ||
	fail "the start's refusal does not say where: $(cat "$T/start.out")"
[ -z "$(procs_matching "^$S ")" ] || fail "a process was started"

# A reload that adds a limit is refused, and the running configuration stays.
printf '%s\nwatchers:\n  web:\n    cmd: %s 3600\n' "$DAEMON" "$S" >"$CONF"
start_daemon
wait_for 10 '[ -n "$(procs_matching "^$S 3600")" ]' || fail "web did not start"
pid=$(procs_matching "^$S 3600")
wait_for 10 '"$CTL" status web | grep -qE "^web +RUNNING"' || fail "web not running: $("$CTL" status)"
limits_conf "$DAEMON"
out=$("$CTL" update 2>&1) && fail "update accepted a limit it cannot apply: $out"
in_text "$out" 5:17 "memory_max: the memory controller is not available (" || fail "update's refusal: $out"
kill -HUP "$DPID"
wait_for 10 'grep -F "$CONF:7:14: " "$DLOG" | grep -qF "cpu_max: the cpu controller is not available ("' ||
	fail "the reload's refusal is not logged with its location"
"$CTL" status web | grep -qE "^web +RUNNING +pid $pid," || fail "web changed after a refused reload: $("$CTL" status)"
"$CTL" get web memory_max 2>&1 | grep -q 64M && fail "memory_max applied: $("$CTL" get web memory_max)"
stop_daemon TERM 20

# Bad values are errors, unavailable_limits: warn or not.
cat >"$CONF" <<YAML
cirque: {unavailable_limits: warn}
watchers:
  web:
    cmd: $S 3600
    memory_max: lots
    memory_high: 12Q
    cpu_max: 0%
    pids_max: -1
    io_weight: 10001
YAML
check
[ "$rc" = 1 ] || fail "--check accepted bad limits (exit $rc): $out"
while read -r at key controller; do
	in_text "$out" "$at" "$key: " || fail "--check: no error for $key at $CONF:$at in: $out"
done <<<"$LIMITS"

# A decimal is named as the problem (not a range), and a memory_high that memory_max would
# always beat is refused, whatever the host.
cat >"$CONF" <<YAML
cirque: {unavailable_limits: warn}
watchers:
  web:
    cmd: $S 3600
    memory_max: 1.5G
    cpu_max: 150.5%
  api:
    cmd: $S 3600
    memory_max: 1G
    memory_high: 2G
YAML
check
[ "$rc" = 1 ] || fail "--check accepted decimals or memory_high above memory_max (exit $rc): $out"
in_text "$out" "5:17" "memory_max: must be a whole size, such as 1536M for 1.5G" || fail "memory_max 1.5G: $out"
in_text "$out" "6:14" "cpu_max: must be a whole percentage of one CPU" || fail "cpu_max 150.5%: $out"
in_text "$out" "10:18" "memory_high: 2G is not below memory_max 1G: it would never apply" || fail "memory_high 2G: $out"

# unavailable_limits: warn: --check passes, the daemon starts with a warning per limit (each
# ignored) and runs the watcher. A burner's child burns CPU, then sleeps: its cgroup's CPU shows it.
limits_conf "cirque: {unavailable_limits: warn}"
check
[ "$rc" = 0 ] || fail "--check refused limits with unavailable_limits: warn: $out"
cat >>"$CONF" <<YAML
  burner:
    cmd: /bin/sh -c '(i=0; while [ \$i -lt 200000 ]; do i=\$((i+1)); done; touch $T/burnt; exec $S 3602) & exec $S 3601'
YAML
: >"$DLOG"  # the warnings below are this daemon's, not the last one's errors
start_daemon
while read -r at key controller; do
	wait_for 10 'grep -F "[warning]" "$DLOG" | grep -F "$CONF:$at" | grep -qF "$key"' ||
		fail "no warning about $key ($CONF:$at) in the log"
done <<<"$LIMITS"
wait_for 10 '[ -n "$(procs_matching "^$S 3600")" ]' || fail "web did not start with unavailable_limits: warn"
wait_for 60 '[ -e "$T/burnt" ]' || fail "the burner's child did not finish"
if [ -z "$MNT" ] || [ "$(id -u)" != 0 ] || [ "$(cgroup_of $$)" != / ] || [ ! -w "$MNT" ]; then
	note "skipped the stats of a whole cgroup: needs root in the root cgroup of a writable cgroup2"
	echo ok
	exit 0
fi
child=$(procs_matching "^$S 3602")
burnt=$(awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$child/stat")
cpu=$("$CTL" --json stats burner | json_eval 'd["cgroups"]["burner"]["cpu_seconds"]')
[[ "$cpu" =~ ^[0-9][0-9.e+-]*$ ]] || fail "stats burner: no cgroup CPU figure ($cpu): $("$CTL" --json stats burner)"
note "the child burnt ${burnt}s of CPU; the burner's cgroup: ${cpu}s"
awk -v c="$cpu" -v b="$burnt" 'BEGIN { exit !(c > 0 && c >= b / 2) }' ||
	fail "stats burner: the cgroup's CPU is ${cpu}s, its child burnt ${burnt}s: $("$CTL" --json stats burner)"
"$CTL" stats burner | grep -E "^burner " | grep -qF "cirque-$DPID/burner" ||
	fail "stats burner has no line for the whole cgroup: $("$CTL" stats burner)"
echo ok
