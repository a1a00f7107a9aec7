# Every request gets exactly one reply, however many are in flight on one connection (issue 10).
# One DEALER reads all the time and keeps a window of `list`/`status` requests in flight: windows
# 1, 32, 64, 200 and 1000 (the documented limit of waiting requests is 1024). Then 200 waiting
# `stop`s at once on a watcher whose process ignores SIGTERM (graceful_timeout 2 s): all 200 are
# answered when the stop is done. Asserted: every id answered exactly once, with status ok, no
# reply without a request. Before the fix the ROUTER's send queue of 64 replies silently dropped
# replies from a window of about 32 up (libzmq accounts for the replies read lazily), and only 64
# of the 200 stops were answered.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
"$PY" -c 'import zmq' 2>/dev/null || fail "python3-zmq is missing (import zmq fails in $PY): apt-get install python3-zmq"

S=$(sleeper stubborn)
cat >"$CONF" <<YAML
watchers:
  busy: {cmd: $S 3600, numprocesses: 3}
  stubborn:
    cmd: /bin/sh -c 'trap "" TERM; exec $S 3600'
    graceful_timeout: 2s
YAML
start_daemon
wait_count "$S" 4

cat >"$T/window.py" <<'PY'
import json, sys, zmq

# window.py ENDPOINT WINDOW TOTAL [COMMAND [PROPERTIES]]: TOTAL requests, WINDOW in flight,
# reading all the time; prints "sent= answered= duplicates= unknown= errors= lost=".
endpoint, window, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
commands = sys.argv[4].split(",") if len(sys.argv) > 4 else ["list", "status"]
props = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER)
s.setsockopt(zmq.LINGER, 0)
s.setsockopt(zmq.SNDHWM, 0)
s.setsockopt(zmq.RCVHWM, 0)
s.connect(endpoint)
answers = [0] * total
sent = duplicates = unknown = errors = 0
first_error = ""
inflight = 0
while True:
    while inflight < window and sent < total:
        cmd = commands[sent % len(commands)]
        s.send(json.dumps({"id": "r%d" % sent, "command": cmd, "properties": props}).encode())
        sent += 1
        inflight += 1
    if inflight == 0:
        break
    # A reply may take a while (a waiting stop, a sanitizer build): 10 s of silence is a loss.
    if not s.poll(10000):
        break
    while s.poll(0):
        reply = json.loads(s.recv())
        rid = reply.get("id")
        if not (isinstance(rid, str) and rid.startswith("r") and rid[1:].isdigit()
                and int(rid[1:]) < sent):
            unknown += 1
            continue
        n = int(rid[1:])
        answers[n] += 1
        if answers[n] > 1:
            duplicates += 1
            continue
        inflight -= 1
        if reply.get("status") != "ok":
            errors += 1
            first_error = first_error or json.dumps(reply)[:200]
answered = sum(1 for a in answers if a)
print("sent=%d answered=%d duplicates=%d unknown=%d errors=%d lost=%d %s"
      % (sent, answered, duplicates, unknown, errors, sent - answered, first_error))
sys.exit(0 if answered == total and not (duplicates or unknown or errors) else 1)
PY

# check_window WINDOW TOTAL [COMMANDS [PROPERTIES]]: every window is tried; failures collected.
problems=""
check_window() {
	local out
	out=$("$PY" "$T/window.py" "ipc://$T/run/control.sock" "$@") ||
		problems+="window $1 ($2 ${3:-list,status}): not every request answered exactly once: $out"$'\n'
	note "window $1 ($2 ${3:-list,status}): $out"
}
check_window 1 500
check_window 32 4000
check_window 64 4000
check_window 200 8000
check_window 1000 10000
kill -0 "$DPID" 2>/dev/null || fail "the daemon died"

# 200 waiting stops of the same watcher, answered when its process has been killed (2 s).
check_window 200 200 stop '{"name": "stubborn", "waiting": true}'
[ -z "$problems" ] || fail "$problems"
"$CTL" status stubborn | grep -q STOPPED || fail "stubborn is not stopped: $("$CTL" status stubborn)"
# The other watcher is untouched, and the daemon still answers.
[ "$("$CTL" status busy | grep -c RUNNING)" -eq 3 ] || fail "busy is not 3 RUNNING: $("$CTL" status busy)"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
echo ok
