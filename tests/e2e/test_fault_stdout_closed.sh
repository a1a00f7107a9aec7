# A child that closes its stdout and stderr early and goes on running (`exec >&- 2>&-`), and one
# that closes only its stdout and keeps writing to stderr. Asserted: both stay RUNNING with the
# same pid; what was written before the close is kept, an unfinished last line included; the
# daemon closes its reading ends of the closed pipes (no descriptor left on them) and does not
# spin on them (its CPU time stays nearly flat over three seconds); the other stream is still read;
# a restarted process gets working pipes again; the daemon exits 0 on SIGTERM.
. "$(dirname "$0")/lib.sh"

S=$(sleeper mute)
# closer.sh MARK: says something (the last line without its newline), waits for $T/go, closes
# stdout (and stderr unless MARK is "half"), then keeps running.
cat >"$T/closer.sh" <<SH
echo "\$1: before the close"
echo "\$1: on stderr" >&2
printf '%s: unfinished line' "\$1"
while [ ! -e "$T/go" ]; do sleep 0.05; done
if [ "\$1" = half ]; then
	exec >&-
	i=0
	while :; do i=\$((i + 1)); echo "tick \$i" >&2; sleep 0.1; done
fi
exec >&- 2>&-
exec $S 3600
SH
cat >"$CONF" <<YAML
watchers:
  closer:
    cmd: /bin/sh $T/closer.sh closer
  tofile:
    cmd: /bin/sh $T/closer.sh tofile
    stdout: {file: $T/tofile.log}
    stderr: {merge: stdout}
  half:
    cmd: /bin/sh $T/closer.sh half
YAML
start_daemon

# pipe_of PID FD: the pipe inode behind the child's descriptor FD ("" if closed).
pipe_of() { readlink "/proc/$1/fd/$2" 2>/dev/null | sed -n 's/^pipe:\[\([0-9]*\)\]$/\1/p'; }
# daemon_holds INODE: the daemon has a descriptor on that pipe.
daemon_holds() { ls -l "/proc/$DPID/fd" 2>/dev/null | grep -q "pipe:\[$1\]"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$DPID/stat"; }
pid_of() { "$CTL" pid "$1" 2>/dev/null | head -n 1; }

wait_count "$T/closer.sh closer" 1; wait_count "$T/closer.sh tofile" 1; wait_count "$T/closer.sh half" 1
wait_for 10 '"$CTL" status >"$T/st" 2>&1 && [ "$(grep -c RUNNING "$T/st")" -eq 3 ]' || fail "not all RUNNING: $(cat "$T/st")"
declare -A PID OUT ERR
for w in closer tofile half; do
	PID[$w]=$(pid_of $w)
	[ -n "${PID[$w]}" ] || fail "no pid for $w"
	OUT[$w]=$(pipe_of "${PID[$w]}" 1)
	ERR[$w]=$(pipe_of "${PID[$w]}" 2)
	[ -n "${OUT[$w]}" ] || fail "$w's stdout is not a pipe: $(readlink "/proc/${PID[$w]}/fd/1")"
	daemon_holds "${OUT[$w]}" || fail "the daemon holds no reading end of $w's stdout pipe"
done
[ "${OUT[tofile]}" = "${ERR[tofile]}" ] || fail "tofile's stderr is not merged into its stdout pipe"
wait_for 10 '"$CTL" tail closer 2>/dev/null | grep -q "closer: before the close"' || fail "closer's first line not read"
wait_for 10 'grep -q "tofile: before the close" "$T/tofile.log" 2>/dev/null' || fail "tofile's first line not written"

touch "$T/go"
wait_for 10 '[ -z "$(pipe_of "${PID[closer]}" 1)" ] && [ -z "$(pipe_of "${PID[closer]}" 2)" ] && [ -z "$(pipe_of "${PID[tofile]}" 1)" ] && [ -z "$(pipe_of "${PID[half]}" 1)" ]' ||
	fail "the children did not close their descriptors"
wait_for 10 '[ "$(tr "\0" " " <"/proc/${PID[closer]}/cmdline")" = "$S 3600 " ]' || fail "closer did not exec $S"
# The daemon lets go of the closed pipes.
for w in closer tofile half; do
	wait_for 5 '! daemon_holds "${OUT[$w]}"' || fail "the daemon still holds $w's stdout pipe after the child closed it"
done
wait_for 5 '! daemon_holds "${ERR[closer]}"' || fail "the daemon still holds closer's stderr pipe after the child closed it"
daemon_holds "${ERR[half]}" || fail "the daemon no longer reads half's stderr, which is still open"

# No busy loop on a closed pipe: well under half a CPU over 3 s (a spin takes a whole one).
hz=$(getconf CLK_TCK)
t0=$(cpu_ticks)
sleep 3
used=$(( $(cpu_ticks) - t0 ))
note "daemon CPU over 3 s after the close: $used ticks of $((3 * hz))"
[ "$used" -lt $((3 * hz / 2)) ] || fail "the daemon used $used of $((3 * hz)) ticks in 3 s: it spins"

# Still running, same pids; the output before the close is all there, the last line included.
for w in closer tofile half; do
	[ "$(pid_of $w)" = "${PID[$w]}" ] || fail "$w was restarted: pid $(pid_of $w), was ${PID[$w]}"
	kill -0 "${PID[$w]}" 2>/dev/null || fail "$w's pid ${PID[$w]} died"
done
out=$("$CTL" status 2>&1); rc=$?
[ "$rc" -eq 0 ] && [ "$(grep -c RUNNING <<<"$out")" -eq 3 ] || fail "not all RUNNING after the close (exit $rc): $out"
"$CTL" tail closer >"$T/tail" 2>&1 || fail "cirquectl tail closer failed: $(cat "$T/tail")"
grep -q "closer: unfinished line" "$T/tail" || fail "closer's unfinished last line was lost at EOF: $(cat "$T/tail")"
"$CTL" tail --stderr closer 2>&1 | grep -q "closer: on stderr" || fail "closer's stderr line was lost"
grep -q "^tofile: unfinished line$" "$T/tofile.log" || fail "tofile's unfinished last line is not in its file: $(cat "$T/tofile.log")"
grep -q "^tofile: on stderr$" "$T/tofile.log" || fail "tofile's stderr line is not in its file"
# half's stderr is still read.
n=$("$CTL" tail --stderr -n 1 half 2>/dev/null | awk '{ print $2 + 0 }')
wait_for 10 '[ "$("$CTL" tail --stderr -n 1 half 2>/dev/null | awk "{ print \$2 + 0 }")" -ge $((n + 5)) ]' ||
	fail "half's stderr is no longer read after its stdout was closed"

# A new process gets its pipes again.
rm -f "$T/go"
"$CTL" restart closer >/dev/null 2>&1 || fail "cirquectl restart closer failed"
new=$(pid_of closer)
[ -n "$new" ] && [ "$new" != "${PID[closer]}" ] || fail "closer was not restarted"
p=$(pipe_of "$new" 1)
[ -n "$p" ] && daemon_holds "$p" || fail "the restarted closer has no stdout pipe read by the daemon"
[ -z "$(zombies_of "$DPID")" ] || fail "zombies remain"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
echo ok
