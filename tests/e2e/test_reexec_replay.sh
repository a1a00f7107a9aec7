# Replies recorded during a re-exec answer only a true repeat: the same client (same socket,
# same peer process), the same id and the same request. A member of operator_group who reuses
# the id of root's request on the operator socket gets no root-only reply, and cannot plant a
# reply that a later root request with that id would get instead of running. A real repeat from
# the same client is answered with the recorded reply, once, and not run twice.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] && getent passwd 65534 >/dev/null && command -v setpriv >/dev/null ||
	{ echo "skipped: needs root, uid 65534 and setpriv"; exit 0; }
GROUP="cirqrp$$"
groupadd --system "$GROUP" || fail "groupadd"
trap 'rc=$?; groupdel "$GROUP" 2>/dev/null; (exit $rc); cleanup' EXIT
GID=$(getent group "$GROUP" | cut -d: -f3)
chmod 711 "$T"
PY=/usr/bin/python3
cat >"$CONF" <<YAML
cirque:
  operator_group: $GROUP
watchers:
  secret:
    cmd: $(sleeper secret) 3600
    env: {DB_PASSWORD: hunter2-topsecret}
  slow:
    cmd: sh -c 'trap "" TERM; while :; do sleep 0.2; done'
    graceful_timeout: 8
YAML
start_daemon
wait_for 10 '"$CTL" status secret | grep -q RUNNING' || fail "secret did not start"
CTLSOCK="ipc://$CIRQUE_RUNTIME_DIR/control.sock"
OPSOCK="ipc://$CIRQUE_RUNTIME_DIR/operator.sock"

# client.py ENDPOINT GO-FILE JSON...: one client (one connection, one process) sends each JSON
# in turn, waiting for GO-FILE to exist before each after the first, and prints the replies.
cat >"$T/client.py" <<'PYEOF'
import os, sys, time, zmq
s = zmq.Context().socket(zmq.DEALER)
s.setsockopt(zmq.LINGER, 0)
s.connect(sys.argv[1])
for i, msg in enumerate(sys.argv[3:]):
    if i:
        while not os.path.exists(sys.argv[2] + str(i)):
            time.sleep(0.02)
    s.send_string(msg)
    if not s.poll(15000):
        sys.exit("no reply to " + msg)
    print(s.recv_string(), flush=True)
PYEOF
as_operator() { setpriv --reuid=65534 --regid=65534 --groups="$GID" -- "$@"; }

# A re-exec that waits 8 s for slow's restart: the window in which replies are recorded.
window() {
	"$CTL" restart slow --no-wait >/dev/null || fail "restart slow"
	"$CTL" reexec >"$T/reexec.out" 2>&1 &
	RX=$!
	wait_for 10 'grep -q "re-exec: waiting first" "$DLOG"' || fail "the re-exec did not wait"
}
after_window() {
	wait "$RX" || fail "reexec: $(cat "$T/reexec.out")"
	"$CTL" status secret >/dev/null || fail "no answer after the re-exec"
}

# 1. root asks for secret's options (its env) in the window; the operator reuses the id after.
window
$PY "$T/client.py" "$CTLSOCK" "$T/go" '{"id": "fixed-1", "command": "options", "properties": {"name": "secret"}}' \
	>"$T/root1.out" || fail "root's options"
grep -q hunter2 "$T/root1.out" || fail "root's options reply: $(cat "$T/root1.out")"
# 2. the operator plants an id in the window: a status under it.
as_operator $PY "$T/client.py" "$OPSOCK" "$T/go" '{"id": "fixed-2", "command": "status", "properties": {"name": "secret"}}' \
	>"$T/op2.out" || fail "the operator's status"
# 3. a real repeat: root's incr, sent again by the same client after the exec.
$PY "$T/client.py" "$CTLSOCK" "$T/go" '{"id": "fixed-3", "command": "incr", "properties": {"name": "secret"}}' \
	'{"id": "fixed-3", "command": "incr", "properties": {"name": "secret"}}' >"$T/root3.out" &
REPEATER=$!
wait_for 10 '[ -s "$T/root3.out" ]' || fail "root's incr"
grep -q "re-exec: executing" "$DLOG" && fail "the window closed before the test's requests (a busy machine?)"
after_window
note "window: $(grep -c . "$T/root3.out") reply so far to the repeated incr"

out=$(as_operator $PY "$T/client.py" "$OPSOCK" "$T/go" '{"id": "fixed-1", "command": "status"}') ||
	fail "the operator's status after the exec"
echo "$out" | grep -q hunter2 && fail "the operator got root's recorded options reply: $out"
out=$($PY "$T/client.py" "$CTLSOCK" "$T/go" '{"id": "fixed-2", "command": "stop", "properties": {"name": "secret"}}') ||
	fail "root's stop after the exec"
echo "$out" | grep -q '"status": *"ok"' || fail "root's stop: $out"
wait_for 10 '"$CTL" status secret | grep -q STOPPED' || fail "root's stop did not run (a planted reply?): $("$CTL" status secret)"

touch "$T/go1"
wait "$REPEATER" || fail "the repeated incr"
[ "$(grep -c '"status": *"ok"' "$T/root3.out")" = 2 ] || fail "repeated incr replies: $(cat "$T/root3.out")"
[ "$(sed -n 1p "$T/root3.out")" = "$(sed -n 2p "$T/root3.out")" ] || fail "the repeat was run again, not answered with its reply: $(cat "$T/root3.out")"
n=$("$CTL" --json numprocesses secret | json_eval 'd["numprocesses"]')
[ "$n" = 2 ] || fail "secret has $n processes wanted: the repeated incr ran twice"
note "operator: no root reply, no planted reply; a true repeat answered once, run once"

# operator_group taken out of the file: a re-exec closes the operator socket and takes the
# event socket back from the group.
sed -i "/operator_group/d" "$CONF"
"$CTL" reexec >/dev/null || fail "reexec without operator_group"
[ -e "$CIRQUE_RUNTIME_DIR/operator.sock" ] && fail "operator.sock is still there"
[ "$(stat -c '%a' "$CIRQUE_RUNTIME_DIR/events.sock")" = 600 ] ||
	fail "events.sock is still shared: $(stat -c '%a %G' "$CIRQUE_RUNTIME_DIR/events.sock")"
grep -q "no longer listening on ipc://$CIRQUE_RUNTIME_DIR/operator.sock" "$DLOG" || fail "not said"
echo ok
