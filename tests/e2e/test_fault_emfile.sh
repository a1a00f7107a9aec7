# The daemon at its descriptor limit (EMFILE). cirqued raises its soft RLIMIT_NOFILE to the hard
# one, so it is started with a low hard limit; each process of the watcher costs it one pipe (its
# stdout; stderr is null), and `incr` asks for more processes than fit. Asserted: the failure is
# logged with the watcher, the worker id and "Too many open files", and what the daemon would need
# (the limit, raise it); the daemon stays up; the
# processes that got their pipes stay RUNNING, the others are BACKOFF or FATAL, not lost; while
# the table is full the control socket still accepts new clients (three that stay connected, then
# cirquectl: libzmq needs a descriptor for each accepted ipc connection); after `decr` the watcher
# is healthy (every process RUNNING, `incr` works again) and the daemon holds exactly as many
# descriptors as before at the same process count (no leak from the failed spawns).
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
"$PY" -c 'import zmq' 2>/dev/null || fail "python3-zmq is missing (import zmq fails in $PY): apt-get install python3-zmq"

LIMIT=96
S=$(sleeper fdhog)
# max_processes is raised past the default (2 descriptors per process): this test is about what
# happens when the table runs out anyway.
cat >"$CONF" <<YAML
cirque:
  max_processes: 1000
watchers:
  w:
    cmd: $S 3600
    numprocesses: 10
    stderr: null
YAML
# prlimit execs cirqued: $! is the daemon.
prlimit --nofile=$LIMIT:$LIMIT "$CIRQUED" -c "$CONF" >>"$DLOG" 2>&1 &
DPID=$!
wait_for 10 'grep -qs "starting (pid" "$DLOG" || ! kill -0 $DPID 2>/dev/null' || fail "daemon did not start"
kill -0 "$DPID" 2>/dev/null || fail "daemon exited at start-up"
grep -q "^Max open files *$LIMIT *$LIMIT" "/proc/$DPID/limits" || fail "the daemon's limit is not $LIMIT: $(grep 'open files' "/proc/$DPID/limits")"

# fds: the daemon's descriptors below the limit (one it inherited above it does not count).
fds() { ls "/proc/$DPID/fd" 2>/dev/null | awk -v l=$LIMIT '$1 < l' | wc -l; }
# settled_fds: the count once it holds still for half a second (a client's connection is closed
# by libzmq shortly after the client leaves).
settled_fds() {
	local a b
	b=$(fds)
	for _ in $(seq 1 50); do
		a=$b
		sleep 0.5
		b=$(fds)
		[ "$a" = "$b" ] && break
	done
	echo "$b"
}
running() { "$CTL" status w 2>/dev/null | grep -c RUNNING; }

wait_count "$S" 10
wait_for 10 '[ "$(running)" -eq 10 ]' || fail "w is not RUNNING: $("$CTL" status)"
base=$(settled_fds)
note "$base descriptors with 10 processes, limit $LIMIT"

# More processes than there are descriptors.
more=$((LIMIT - 24))
want=$((10 + more))
out=$("$CTL" incr w $more 2>&1) || fail "cirquectl incr w $more failed: $out"
wait_for 10 'grep -q "watcher w\[[0-9]*\]: cannot .*$S.*: Too many open files" "$DLOG"' ||
	fail "no clear EMFILE error (watcher w[N]: cannot ... $S: Too many open files) in the log"
grep -q "watcher w: cirqued is out of descriptors (its limit is $LIMIT, .*raise the hard limit" "$DLOG" ||
	fail "the log does not say what the daemon would need (out of descriptors, its limit, raise the hard limit)"
kill -0 "$DPID" 2>/dev/null || fail "the daemon died at its descriptor limit"
got=$(count_matching "$S")
[ "$got" -gt 10 ] && [ "$got" -lt "$want" ] || fail "$got processes run; expected more than 10 and fewer than $want"
wait_for 10 '[ "$(running)" -eq "$(count_matching "$S")" ]' ||
	fail "$(running) RUNNING in status, $(count_matching "$S") processes in /proc"
out=$("$CTL" --timeout 10 status w 2>&1); rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || fail "cirquectl status at the limit: exit $rc: $out"
failed=$(grep -cE "BACKOFF|FATAL" <<<"$out")
[ "$((failed + $(grep -c RUNNING <<<"$out")))" -eq "$want" ] ||
	fail "status does not account for all $want processes: $(grep -c RUNNING <<<"$out") RUNNING, $failed BACKOFF/FATAL"
note "$got processes run, $failed could not get a pipe; $(fds) descriptors in use"

# New control connections while the table is full: three clients that stay connected (each
# gets an answer), then cirquectl.
cat >"$T/hold.py" <<'PY'
import os, sys, time, zmq
endpoint, flag = sys.argv[1], sys.argv[2]
ctx = zmq.Context()
held = []
for i in range(3):
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    s.send(b'{"id": "hold", "command": "numwatchers"}')
    if not s.poll(5000):
        open(flag + ".fail", "w").write("client %d got no answer within 5 s\n" % (i + 1))
        sys.exit(1)
    s.recv()
    held.append(s)
open(flag, "w").write("held\n")
end = time.monotonic() + 60
while not os.path.exists(flag + ".release") and time.monotonic() < end:
    time.sleep(0.05)
for s in held:
    s.close()
ctx.term()
PY
"$PY" "$T/hold.py" "ipc://$T/run/control.sock" "$T/held" &
HOLDER=$!
wait_for 30 '[ -e "$T/held" ] || [ -e "$T/held.fail" ] || ! kill -0 $HOLDER 2>/dev/null' || fail "the holding client hangs"
if [ ! -e "$T/held" ]; then
	kill -0 "$DPID" 2>/dev/null || fail "the daemon died when clients connected at its descriptor limit (see the log's last line)"
	fail "clients connecting at the descriptor limit: $(cat "$T/held.fail" 2>/dev/null)"
fi
out=$("$CTL" --timeout 10 status w 2>&1); rc=$?
kill -0 "$DPID" 2>/dev/null || fail "the daemon died when cirquectl connected at its descriptor limit (see the log's last line)"
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || fail "cirquectl status with three clients connected at the limit: exit $rc: $out"
touch "$T/held.release"
wait "$HOLDER" || fail "the holding client failed"
kill -0 "$DPID" 2>/dev/null || fail "the daemon died"

# The cause goes away.
out=$("$CTL" decr w $more 2>&1) || fail "cirquectl decr w $more failed: $out"
wait_count "$S" 10
wait_for 10 '"$CTL" status w >"$T/st" 2>&1 && [ "$(grep -c RUNNING "$T/st")" -eq 10 ] && [ "$(wc -l <"$T/st")" -eq 10 ]' ||
	fail "w is not 10 RUNNING processes after decr: $(cat "$T/st")"
after=$(settled_fds)
[ "$after" -eq "$base" ] || fail "$after descriptors with 10 processes after the episode, $base before: a leak"
out=$("$CTL" incr w 2 2>&1) || fail "cirquectl incr w 2 after recovery failed: $out"
wait_count "$S" 12
wait_for 10 '[ "$(running)" -eq 12 ]' || fail "the 2 new processes did not become RUNNING: $("$CTL" status w)"
[ -z "$(zombies_of "$DPID")" ] || fail "zombies remain"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
echo ok
