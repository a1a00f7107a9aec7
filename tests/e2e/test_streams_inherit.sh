# inherit (the default) when the daemon's stdout/stderr are pipes, as under systemd (journald reads
# a stream) or behind a logger:
# 1. the children's lines, written by the writer thread, and the daemon's own log lines, written by
#    the loop, share that fd. Every line must stay whole: a child's line is never cut by a log line,
#    and every child line arrives once, in order, prefixed "name[wid]: ".
# 2. a logger that is the daemon's own child (`exec cirqued 2> >(logger)` in a wrapper script)
#    still gets everything at shutdown: the children's last words and the daemon's last lines.
. "$(dirname "$0")/lib.sh"

N=25000
cat >"$T/spew.sh" <<SH
awk 'BEGIN { for (i = 0; i < 190; i++) f = f "z"; for (i = 1; i <= $N; i++) printf "spew %06d %s\n", i, f > "/dev/stderr" }'
exec sleep 3600
SH
# A reader that is slower than the daemon's output, so that the pipe is often full and the daemon's
# writes block half way (as with a busy journald).
cat >"$T/slow_reader.py" <<'PY'
import os, sys, time
while True:
    data = os.read(0, 4096)
    if not data:
        break
    os.write(1, data)
    time.sleep(0.0005)
PY
cat >"$CONF" <<YAML
watchers:
  spew:
    cmd: /bin/sh $T/spew.sh
YAML
# The reader is our child, not the daemon's (a FIFO, not a process substitution).
mkfifo "$T/stderr.fifo"
python3 "$T/slow_reader.py" <"$T/stderr.fifo" >>"$DLOG" &
READER=$!
"$CIRQUED" -c "$CONF" >"$T/daemon.out" 2>"$T/stderr.fifo" &
DPID=$!
wait_for 10 'grep -qs "starting (pid" "$DLOG" 2>/dev/null || ! kill -0 $DPID 2>/dev/null' || fail "daemon did not start"
kill -0 "$DPID" 2>/dev/null || fail "daemon exited at start-up"

# While the child's 5 MB go through, the daemon logs many lines of its own (one per SIGUSR1).
end=$(( $(date +%s) + 120 ))
while ! grep -qF "spew[1]: spew $(printf %06d $N) " "$DLOG"; do
	for i in $(seq 100); do kill -USR1 "$DPID" 2>/dev/null; done
	[ "$(date +%s)" -le "$end" ] || fail "the child's last line never reached the daemon's stderr"
	sleep 0.01
done
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
wait_for 10 '! kill -0 $READER 2>/dev/null' || fail "the reader did not see the end of the daemon's stderr"
grep -q "cirqued exited" "$DLOG" || fail "the log did not reach its end"

logs=$(grep -c "received SIGUSR1" "$DLOG")
note "$logs SIGUSR1 log lines among $N child lines"
[ "$logs" -ge 20 ] || fail "too few log lines ($logs) to test anything"
# Every line is a whole log line or a whole child line.
LOG_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ \[[a-z]+\] '
bad=$( { grep -nvE "^spew\[1\]: spew [0-9]{6} z{190}\$|$LOG_RE" "$DLOG"
	grep -nE "$LOG_RE" "$DLOG" | grep -E 'zzzzzzzzzz|spew\[1\]: spew' ; } | cut -c 1-200 | head -n 3)
[ -z "$bad" ] || fail "torn lines on the daemon's stderr (a child's line cut by a log line): $bad"
grep '^spew\[1\]: ' "$DLOG" | awk '{ print $3 }' >"$T/numbers"
seq -f %06g 1 $N | cmp -s - "$T/numbers" || fail "the child's lines are not all there once, in order"

# --- 2. loggers that are the daemon's children get its last lines ---
cat >"$T/talker.sh" <<'SH'
trap 'echo "last words on stdout"; echo "last words on stderr" >&2; exit 0' TERM
echo "talker up"
while :; do sleep 0.1; done
SH
cat >"$CONF" <<YAML
watchers:
  talker:
    cmd: /bin/sh $T/talker.sh
YAML
# As a wrapper script would: `exec cirqued > >(logger) 2> >(logger)`. The two cats become the
# daemon's children when the subshell execs it.
( exec "$CIRQUED" -c "$CONF" > >(exec cat >>"$T/daemon2.out") 2> >(exec cat >>"$DLOG") ) &
DPID=$!
wait_for 10 'grep -qx "talker\[1\]: talker up" "$T/daemon2.out" 2>/dev/null' || fail "second daemon: talker did not start"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "second daemon: exit status $DSTATUS"
wait_for 10 '[ "$(grep -c "cirqued exited" "$DLOG")" -eq 2 ]' ||
	fail "the daemon's last log lines never reached its stderr logger (was the logger killed at shutdown?)"
grep -qx "talker\[1\]: last words on stderr" "$DLOG" || fail "the child's last words on stderr were lost"
wait_for 10 'grep -qx "talker\[1\]: last words on stdout" "$T/daemon2.out"' || fail "the child's last words on stdout were lost"
echo ok
