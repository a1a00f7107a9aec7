# Crash survival with a sockets: section: the processes a SIGKILLed cirqued left running still
# listen on the socket it bound for them (use_sockets). The next cirqued takes that very socket
# back from them (pidfd_getfd) instead of failing to bind it (EADDRINUSE): adopted processes go
# on serving on it, and the new processes of restarted ones get it too.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
PORT=$(free_port)
# serve.py: accepts on fd 3 (the socket cirqued passes), answers each connection with its pid.
cat >"$T/serve.py" <<'PYEOF'
import os, socket
s = socket.socket(fileno=3)
while True:
    c, _ = s.accept()
    c.sendall(b"%d\n" % os.getpid())
    c.close()
PYEOF
write_conf() {
	cat >"$CONF" <<YAML
cirque: {on_orphans: $1}
sockets:
  web: {host: 127.0.0.1, port: $PORT}
watchers:
  quiet:
    cmd: $PY $T/serve.py
    use_sockets: [web]
    numprocesses: 2
    stdout: null
    stderr: null
YAML
}
KNOWN=""
trap 'rc=$?; [ -n "$KNOWN" ] && kill -9 $KNOWN 2>/dev/null; (exit $rc); cleanup' EXIT
ask() { $PY -c 'import socket, sys; s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5); print(s.recv(64).decode().strip())' "$PORT"; }
pids() { procs_matching "^/usr/bin/python3 $T/serve.py" | sort; }
crash() {
	KNOWN="$KNOWN $(pids)"
	kill -9 "$DPID"
	wait_for 5 '! kill -0 $DPID 2>/dev/null' || fail "cirqued survived SIGKILL"
	wait "$DPID" 2>/dev/null
	DPID=""
}

write_conf adopt
start_daemon
wait_for 10 '[ "$(pids | wc -l)" = 2 ]' || fail "quiet did not start"
before=$(pids)
ask | grep -qxF -f <(echo "$before") || fail "no answer on the socket"
wait_for 5 '[ "$(grep -c "^process quiet" "$CIRQUE_RUNTIME_DIR/survivors" 2>/dev/null)" = 2 ]' || fail "no state file"
crash
ask >/dev/null || fail "the survivors do not serve after the crash"

mark=$(wc -l <"$DLOG")
start_daemon
wait_for 10 'tail -n +$((mark + 1)) "$DLOG" | grep -q "started: 1 watcher"' ||
	fail "the next cirqued did not start: $(tail -n +$((mark + 1)) "$DLOG" | grep -i "error\|socket" | head -3)"
tail -n +$((mark + 1)) "$DLOG" | grep -q "socket web: taken back from the processes of the cirqued that died" ||
	fail "the socket was not taken back"
"$CTL" status quiet | grep -c adopted | grep -qx 2 || fail "not adopted: $("$CTL" status quiet)"
"$CTL" listsockets | grep -q "127.0.0.1:$PORT" || fail "listsockets: $("$CTL" listsockets)"
ask | grep -qxF -f <(echo "$before") || fail "the adopted processes do not serve"
# An adopted one killed: its successor gets the socket from the new cirqued.
victim=$(echo "$before" | head -n 1)
kill -9 "$victim"
wait_for 10 '[ "$(pids | wc -l)" = 2 ] && ! pids | grep -qx "$victim"' || fail "not respawned"
new=$(pids | grep -vxF -f <(echo "$before"))
for i in $(seq 20); do ask; done | sort -u >"$T/answers"
grep -qx "$new" "$T/answers" || fail "the respawned process $new does not serve on the socket: $(cat "$T/answers")"
note "adopt: socket taken back, adopted processes serve, a respawn serves on it too"

# stop: the survivors are stopped, the socket stays open (no connection refused), new ones serve.
crash
write_conf stop
mark=$(wc -l <"$DLOG")
start_daemon
wait_for 15 'tail -n +$((mark + 1)) "$DLOG" | grep -q "started: 1 watcher"' || fail "the cirqued with stop did not start"
wait_for 10 '[ "$(pids | wc -l)" = 2 ]' || fail "quiet did not restart"
ask | grep -qxF -f <(pids) || fail "the new processes do not serve"
note "stop: the socket taken back, the survivors stopped, new processes serve on it"
echo ok
