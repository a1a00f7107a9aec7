# Error replies carry a machine code ("code", src/protocol.h) beside Circus's errno, and
# cirquectl's exit status follows the code, never the reason's text: "no such watcher" (ENOENT)
# or "no such process" (ESRCH, a wid beyond the count) exits 4, anything else 1. cirquectl used to look for "not found" in the reason, so that a
# reason quoting a name with those words (or "process N not found") also exited 4.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
"$PY" -c 'import zmq' 2>/dev/null || fail "python3-zmq is missing (import zmq fails in $PY): apt-get install python3-zmq"

S=$(sleeper codes)
cat >"$CONF" <<YAML
watchers:
  w: {cmd: $S 3600}
  stubborn: {cmd: /bin/sh -c 'trap "" TERM; while :; do sleep 1; done', graceful_timeout: 3}
YAML
start_daemon
wait_count "$S" 1
wait_count "trap" 1

cat >"$T/codes.py" <<'PY'
import json, sys, zmq

s = zmq.Context().socket(zmq.DEALER)
s.setsockopt(zmq.LINGER, 0)
s.connect(sys.argv[1])

def ask(command, props=None, raw=None):
    s.send(raw if raw is not None else json.dumps({"id": "c", "command": command, "properties": props or {}}).encode())
    assert s.poll(5000), "no reply to %s" % command
    return json.loads(s.recv())

# (command, properties, code, Circus errno)
cases = [
    ("stop", {"name": "nope"}, "ENOENT", 3),
    ("status", {"name": "nope"}, "ENOENT", 3),
    ("get", {"name": "nope", "keys": []}, "ENOENT", 3),
    ("signal", {"name": "w", "signum": "HUP", "pid": 999999}, "ESRCH", 3),
    ("kill", {"name": "w", "pid": 999999}, "ESRCH", 3),
    ("stats", {"name": "w", "process": 999999}, "ESRCH", 3),
    ("get", {"name": "w"}, "EINVAL", 3),
    ("signal", {"name": "w"}, "EINVAL", 3),
    ("incr", {"name": "w", "nb": -1}, "EINVAL", 3),
    ("add", {"name": "w", "cmd": "/bin/true"}, "EEXIST", 5),
    ("bogus", {}, "ENOSYS", 2),
]
problems = []
for command, props, code, errno in cases:
    r = ask(command, props)
    if r.get("status") != "error" or r.get("code") != code or r.get("errno") != errno:
        problems.append("%s %s: %r" % (command, props, r))
r = ask(None, raw=b"{bad")
if r.get("code") != "EBADMSG" or r.get("errno") != 1:
    problems.append("bad JSON: %r" % r)
# While the daemon stops (stubborn ignores SIGTERM for 3 s), a start is refused.
if ask("quit").get("status") != "ok":
    problems.append("quit refused")
r = ask("start", {"name": "w"})
if r.get("code") != "ESHUTDOWN" or r.get("errno") != 5 or r.get("reason") != "the daemon is shutting down":
    problems.append("start while shutting down: %r" % r)
print("\n".join(problems) if problems else "%d codes as expected" % (len(cases) + 2))
sys.exit(1 if problems else 0)
PY

# cirquectl first (the python client ends with a quit).
"$CTL" stop nope >/dev/null 2>&1; rc=$?
[ "$rc" -eq 4 ] || fail "stop of a watcher that does not exist: exit $rc, not 4"
"$CTL" signal HUP nope >/dev/null 2>&1; rc=$?
[ "$rc" -eq 4 ] || fail "signal to a watcher that does not exist: exit $rc, not 4"
out=$("$CTL" add "not found" /bin/true 2>&1); rc=$?
[ "$rc" -eq 1 ] || fail "add of an invalid name quoted in the reason: exit $rc, not 1: $out"
"$CTL" signal BOGUS w >/dev/null 2>&1; rc=$?
[ "$rc" -eq 1 ] || fail "signal BOGUS: exit $rc, not 1"

out=$("$PY" "$T/codes.py" "ipc://$T/run/control.sock") || fail "$out"
note "$out"
wait_for 10 '! kill -0 $DPID 2>/dev/null' || fail "the daemon did not exit after quit"
DPID=""
echo ok
