# Many clients at once on a small descriptor table (issue 10): cirqued runs under `ulimit -n 256`
# and 440 DEALERs (4 processes of 110) connect to its ipc control socket at once, each sending one
# request, while 40 SUBs connect to the event socket. libzmq 4.3.4 accepts ipc connections in its
# own thread and aborts the whole process when accept() fails with EMFILE: before the fix the
# daemon died with "Too many open files (src/ipc_listener.cpp:325)", leaving its child orphaned.
# Asserted: the daemon stays alive and keeps its child; the connections beyond its limit are
# closed and logged with the reason; the clients that got in were answered, and so is a client
# connected before the crowd came, while the crowd is still there; a new cirquectl then is
# either answered or refused (never a crash); once they are gone cirquectl is answered and the
# daemon holds as many descriptors as before.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
"$PY" -c 'import zmq' 2>/dev/null || fail "python3-zmq is missing (import zmq fails in $PY): apt-get install python3-zmq"

LIMIT=256
S=$(sleeper crowd)
cat >"$CONF" <<YAML
watchers:
  w: {cmd: $S 3600}
YAML
# The subshell execs cirqued: $! is the daemon, with soft and hard limit $LIMIT.
( ulimit -n $LIMIT && exec "$CIRQUED" -c "$CONF" ) >>"$DLOG" 2>&1 &
DPID=$!
wait_for 10 'grep -qs "starting (pid" "$DLOG" || ! kill -0 $DPID 2>/dev/null' || fail "daemon did not start"
kill -0 "$DPID" 2>/dev/null || fail "daemon exited at start-up"
grep -q "^Max open files *$LIMIT *$LIMIT" "/proc/$DPID/limits" || fail "the daemon's limit is not $LIMIT: $(grep 'open files' "/proc/$DPID/limits")"
wait_count "$S" 1
child=$(children_matching "$S")
wait_for 10 '"$CTL" status w 2>/dev/null | grep -q RUNNING' || fail "w is not RUNNING"
fds() { ls "/proc/$DPID/fd" 2>/dev/null | wc -l; }
base_fds=$(fds)

cat >"$T/crowd.py" <<'PY'
import os, sys, time, zmq

# crowd.py CONTROL EVENTS N SUBS NAME: N DEALERs and SUBS SUBs connect at once; each DEALER sends
# one request; replies are collected for a while; then all stay connected until NAME.release.
control, events, n, subs, name = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
ctx = zmq.Context()
ctx.setsockopt(zmq.MAX_SOCKETS, 4096)
dealers = []
for i in range(n):
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(control)
    dealers.append(s)
listeners = []
for i in range(subs):
    s = ctx.socket(zmq.SUB)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.SUBSCRIBE, b"")
    s.connect(events)
    listeners.append(s)
for i, s in enumerate(dealers):
    s.send(b'{"id": "c%d", "command": "numwatchers"}' % i)
poller = zmq.Poller()
for s in dealers:
    poller.register(s, zmq.POLLIN)
answered = set()
end = time.monotonic() + 8
while time.monotonic() < end and len(answered) < n:
    for s, _ in poller.poll(200):
        s.recv()
        answered.add(s)
open(name + ".done", "w").write("%d\n" % len(answered))
end = time.monotonic() + 60
while not os.path.exists(name + ".release") and time.monotonic() < end:
    time.sleep(0.05)
for s in dealers + listeners:
    s.close()
ctx.term()
PY
# A client connected before the crowd, asking again while the crowd is there.
cat >"$T/early.py" <<'PY'
import json, os, sys, time, zmq
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER)
s.setsockopt(zmq.LINGER, 0)
s.connect(sys.argv[1])
def ask(i):
    s.send(b'{"id": "e%d", "command": "numwatchers"}' % i)
    return s.poll(10000) and json.loads(s.recv()).get("numwatchers") == 1
ok = ask(0)
open(sys.argv[2] + ".ready", "w").write("%s\n" % ok)
while not os.path.exists(sys.argv[2] + ".go"):
    time.sleep(0.05)
answered = sum(1 for i in range(1, 11) if ask(i))
open(sys.argv[2] + ".done", "w").write("%d\n" % answered)
PY
"$PY" "$T/early.py" "ipc://$T/run/control.sock" "$T/early" &
EARLY=$!
wait_for 10 '[ -e "$T/early.ready" ]' || fail "the early client did not connect"
[ "$(cat "$T/early.ready")" = True ] || fail "the early client got no answer"
pids=()
for i in 1 2 3 4; do
	"$PY" "$T/crowd.py" "ipc://$T/run/control.sock" "ipc://$T/run/events.sock" 110 10 "$T/crowd$i" &
	pids+=($!)
done
wait_for 30 '[ -e "$T/crowd1.done" ] && [ -e "$T/crowd2.done" ] && [ -e "$T/crowd3.done" ] && [ -e "$T/crowd4.done" ]' ||
	fail "the clients did not finish (daemon alive: $(kill -0 "$DPID" 2>/dev/null && echo yes || echo no))"
kill -0 "$DPID" 2>/dev/null || fail "the daemon died when 440 clients connected (see the log's last lines)"
answered=$(cat "$T"/crowd*.done | awk '{ s += $1 } END { print s }')
note "$answered of 440 clients answered; $(fds) descriptors in use (limit $LIMIT)"
[ "$answered" -gt 0 ] || fail "no client was answered"
grep -q "control: refusing connection" "$DLOG" || fail "no log line about refused connections"
note "log: $(grep -m1 "refusing connection" "$DLOG" | cut -c25-)"
# While they are all connected: the early client is answered, a new client is answered or
# refused, the daemon lives on.
touch "$T/early.go"
wait_for 30 '[ -e "$T/early.done" ]' || fail "the early client hangs"
[ "$(cat "$T/early.done")" = 10 ] || fail "the early client got $(cat "$T/early.done") answers of 10 during the crowd"
wait "$EARLY"
"$CTL" --timeout 3 numwatchers >/dev/null 2>&1
kill -0 "$DPID" 2>/dev/null || fail "the daemon died when cirquectl connected during the crowd"
for i in 1 2 3 4; do touch "$T/crowd$i.release"; done
for p in "${pids[@]}"; do wait "$p" || fail "a client failed"; done
out=$("$CTL" --timeout 10 status w 2>&1) || fail "cirquectl status after the crowd: $out"
grep -q RUNNING <<<"$out" || fail "w is not RUNNING after the crowd: $out"
[ "$(children_matching "$S")" = "$child" ] || fail "the child changed: $child -> $(children_matching "$S")"
wait_for 20 '[ "$(fds)" -eq "$base_fds" ]' || fail "$(fds) descriptors after the clients left, $base_fds before"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
echo ok
