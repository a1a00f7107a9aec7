# Long and strange strings in requests still get their reply (issue 10). Error messages quote
# what the client sent (`program <name> not found`); a long non-ASCII name was cut at 1024 bytes
# in the middle of a UTF-8 character, the reply could then not be built, and the client got
# silence: {"command": "stop", "properties": {"name": "é" x 1000}} had no answer. Asserted: each
# request below gets exactly one reply, carrying its id, with status error, valid JSON and valid
# UTF-8, a reason that starts as expected, and the daemon still answers afterwards.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
"$PY" -c 'import zmq' 2>/dev/null || fail "python3-zmq is missing (import zmq fails in $PY): apt-get install python3-zmq"

S=$(sleeper strings)
cat >"$CONF" <<YAML
watchers:
  w: {cmd: $S 3600}
YAML
start_daemon
wait_count "$S" 1

cat >"$T/strings.py" <<'PY'
import json, sys, zmq

ctx = zmq.Context()
s = ctx.socket(zmq.DEALER)
s.setsockopt(zmq.LINGER, 0)
s.connect(sys.argv[1])

E = "\u00e9"          # 2 bytes in UTF-8
EURO = "\u20ac"       # 3 bytes
FACE = "\U0001F600"   # 4 bytes
# (id, command, properties, expected start of the reason)
cases = [
    ("e1000", "stop", {"name": E * 1000}, "program " + E),
    ("e513", "stop", {"name": E * 513}, "program " + E),
    ("euro", "start", {"name": "a" + EURO * 400}, "program a" + EURO),
    ("face", "status", {"name": FACE * 300}, "program " + FACE),
    ("mixed", "restart", {"name": ("x" + E + EURO + FACE) * 150}, "program x" + E),
    ("cmd", E * 1000, {}, "unknown command: '" + E),
    ("match", "stop", {"name": "w", "match": EURO * 500}, "match must be"),
    ("regex", "stop", {"name": "(" + E * 700, "match": "regex"}, "invalid regex '(" + E),
    ("option", "get", {"name": "w", "keys": [FACE * 400]}, "unknown option " + FACE),
    ("signal", "signal", {"name": "w", "signum": EURO * 600}, "unknown signal \"" + EURO),
    ("ctrl", "stop", {"name": "\x01\x1f\x7f\u2028\u2029\ufeff" * 200}, "program "),
    (E * 3000, "stop", {"name": E * 1000}, "program " + E),  # a long non-ASCII id is echoed
]
problems = []
for rid, command, props, reason in cases:
    s.send(json.dumps({"id": rid, "command": command, "properties": props}).encode())
    if not s.poll(5000):
        problems.append("%s: no reply" % rid[:20])
        continue
    frames = s.recv_multipart()
    try:
        reply = json.loads(frames[-1].decode("utf-8", "strict"))
    except ValueError as e:
        problems.append("%s: the reply is not valid UTF-8 JSON (%s): %r" % (rid[:20], e, frames[-1][:100]))
        continue
    if len(frames) != 1 or reply.get("id") != rid or reply.get("status") != "error":
        problems.append("%s: unexpected reply %.200r" % (rid[:20], reply))
    elif not reply.get("reason", "").startswith(reason):
        problems.append("%s: reason %.80r does not start with %.40r" % (rid[:20], reply.get("reason"), reason))
    elif not isinstance(reply.get("errno"), int) or reply["errno"] == 0:
        problems.append("%s: errno %r" % (rid[:20], reply.get("errno")))
# Nothing else arrives: one reply per request.
if s.poll(500):
    problems.append("a reply too many: %.200r" % s.recv())
# The daemon still answers on the same connection.
s.send(b'{"id": "after", "command": "numwatchers"}')
if not s.poll(5000) or json.loads(s.recv()).get("numwatchers") != 1:
    problems.append("no good reply to numwatchers afterwards")
print("\n".join(problems) if problems else "%d strange requests, %d replies" % (len(cases), len(cases)))
sys.exit(1 if problems else 0)
PY
out=$("$PY" "$T/strings.py" "ipc://$T/run/control.sock") || fail "$out"
note "$out"
kill -0 "$DPID" 2>/dev/null || fail "the daemon died"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
echo ok
