# A whole daemon lifecycle under a memory checker: start, 1000+ control requests of every kind
# (a few hundred per kind group, from two clients), output streams to files and to the daemon's
# stdout with rotation, a socket, SIGHUP reloads that add, change and remove watchers, then a
# graceful shutdown. With the normal build it runs under valgrind (spawns use fork there:
# CIRQUE_SPAWN_FORK=1, since valgrind cannot follow clone(CLONE_VM)); valgrind must report no
# invalid access and no definite or indirect leak. With SANITIZE=1 the same lifecycle runs under
# ASan/LSan, whose report at exit fails the test through lib.sh.
# serial: loads the CPU (the daemon under valgrind)
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
if nm -D "$CIRQUED" 2>/dev/null | grep -q __asan_init; then
	CHECKER="ASan/LSan"
	RUN=()
else
	command -v valgrind >/dev/null || fail "valgrind is not installed (make test installs it)"
	CHECKER="valgrind"
	RUN=(valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
	     --errors-for-leak-kinds=definite,indirect --child-silent-after-fork=yes
	     --log-file="$T/valgrind.log")
	export CIRQUE_SPAWN_FORK=1
fi

S=$(sleeper leak)
write_conf() {  # write_conf N_APP EXTRA_WATCHER_YAML
	cat >"$CONF" <<YAML
sockets:
  web: {port: 0}
watchers:
  app:
    cmd: $S 3600
    numprocesses: $1
    use_sockets: [web]
    ready: {delay: 0.2s}
  talker:
    cmd: /bin/sh -c 'i=0; while :; do i=\$((i+1)); echo "line \$i of output"; [ \$((i % 20)) = 0 ] && echo "err \$i" >&2; sleep 0.01; done'
    stdout: {file: $T/talker.log, max_bytes: 3000, backup_count: 2}
    stderr: inherit
    ready: {delay: 0.2s}
    graceful_timeout: 2
  crasher:
    cmd: /bin/sh -c 'sleep 0.3; exit 3'
    max_retry: 2
$2
YAML
}
write_conf 2 ""
"${RUN[@]}" "$CIRQUED" -c "$CONF" >>"$DLOG" 2>&1 &
DPID=$!
wait_for 60 '$CTL status app >/dev/null 2>&1' || fail "daemon did not come up under $CHECKER"

cat >"$T/client.py" <<'PYEOF'
import itertools, json, sys, uuid, zmq
endpoint, rounds = sys.argv[1], int(sys.argv[2])
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER); s.setsockopt(zmq.LINGER, 0)
s.setsockopt(zmq.IDENTITY, uuid.uuid4().hex.encode()); s.connect(endpoint)
requests = [
    ("list", {}), ("status", {}), ("status", {"name": "app", "processes": True}),
    ("numprocesses", {"name": "app"}), ("numwatchers", {}), ("options", {"name": "talker"}),
    ("get", {"name": "app", "keys": ["cmd", "numprocesses", "max_age"]}), ("globaloptions", {}),
    ("stats", {"name": "app"}), ("dstats", {}), ("listsockets", {}), ("reread", {}),
    ("tail", {"name": "talker", "lines": 20}), ("tail", {"name": "talker", "stream": "stderr"}),
    ("tail", {"name": "app", "wid": 9}), ("maintail", {"lines": 50}), ("clear", {"name": "app"}),
    ("incr", {"name": "app", "nb": 2}), ("decr", {"name": "app", "nb": 2}),
    ("signal", {"name": "app", "signum": "CONT"}),
    ("set", {"name": "app", "options": {"graceful_timeout": 5}}),
    ("add", {"name": "extra", "cmd": "/bin/sleep 3600", "start": True}),
    ("stop", {"name": "extra", "waiting": True}), ("start", {"name": "extra"}),
    ("restart", {"name": "extra"}), ("rm", {"name": "extra", "waiting": True}),
    ("reload", {"name": "app", "waiting": True}), ("reopen", {}),
    ("nosuch", {}), ("status", {"name": "ghost"}), ("incr", {"name": "app", "nb": "x"}),
]
answered = errors = 0
for i, (cmd, props) in zip(range(rounds), itertools.cycle(requests)):
    rid = uuid.uuid4().hex
    s.send(json.dumps({"id": rid, "command": cmd, "properties": props}).encode())
    if not s.poll(60000):
        sys.exit("no reply to %s within 60 s" % cmd)
    reply = json.loads(s.recv())
    if reply.get("id") != rid:
        sys.exit("reply id mismatch for %s" % cmd)
    answered += 1
    errors += reply.get("status") != "ok"
for raw in (b"not json", b"[1]", b'{"command": 3}', b"{" * 5000):
    s.send(raw)
    if not s.poll(60000):
        sys.exit("no reply to garbage")
    s.recv()
    answered += 1
print(answered, errors)
PYEOF
"$PY" "$T/client.py" "ipc://$CIRQUE_RUNTIME_DIR/control.sock" 600 >"$T/c1.out" 2>&1 &
C1=$!
"$PY" "$T/client.py" "ipc://$CIRQUE_RUNTIME_DIR/control.sock" 500 >"$T/c2.out" 2>&1 &
C2=$!
# Reloads meanwhile: a watcher added, one changed, then removed again.
write_conf 3 "  late: {cmd: $S 3601, numprocesses: 2}"
kill -HUP "$DPID"
wait_for 60 'grep -q "reload: watcher late added" "$DLOG"' || fail "first reload not applied"
wait $C1 || fail "client 1: $(cat "$T/c1.out")"
wait $C2 || fail "client 2: $(cat "$T/c2.out")"
write_conf 2 ""
kill -HUP "$DPID"
wait_for 60 'grep -q "reload: watcher late removed" "$DLOG"' || fail "second reload not applied"
read -r a1 e1 <"$T/c1.out"; read -r a2 e2 <"$T/c2.out"
note "$CHECKER: $((a1 + a2)) requests answered ($((e1 + e2)) error replies, by design: bad requests)"
[ "$((a1 + a2))" -ge 1100 ] || fail "only $((a1 + a2)) replies"
[ -s "$T/talker.log" ] && [ -e "$T/talker.log.1" ] || fail "talker's output was not written and rotated"

stop_daemon TERM 120
[ "$DSTATUS" = 0 ] || fail "exit status $DSTATUS under $CHECKER: $(grep -E 'ERROR SUMMARY|lost:' "$T/valgrind.log" 2>/dev/null)"
if [ "$CHECKER" = valgrind ]; then
	grep -q "ERROR SUMMARY: 0 errors" "$T/valgrind.log" ||
		fail "valgrind found errors: $(grep -B2 -A20 -m1 'Invalid\|uninitialised\|lost in' "$T/valgrind.log")"
	note "valgrind: $(grep -o 'total heap usage: .*' "$T/valgrind.log"); $(grep -o 'ERROR SUMMARY: [0-9]* errors' "$T/valgrind.log")"
fi
echo ok
