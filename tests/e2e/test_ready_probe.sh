# Readiness probes: $(circus.wid) in `ready: {tcp:}` and `{unix:}` (a port per worker), host
# names refused at load time (they are never resolved), and why a process is not ready: the
# failed probe while STARTING, the reason of a ready_timeout kill in the log, in `status` and in
# the reap event (not "Exited too quickly", not "killed unexpectedly").
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
# --check: a host name, and a socket's descriptor number, are refused with file:line:col.
cat >"$CONF" <<'YAML'
watchers:
  named:
    cmd: sleep 10
    ready: {tcp: "db.example:5432"}
  fd:
    cmd: sleep 10
    ready: {tcp: "$(circus.sockets.web)"}
  per_worker:
    cmd: sleep 10
    ready: {tcp: "[::1]:80$(circus.wid)0"}
  named_map:
    cmd: sleep 10
    ready: {tcp: {host: db.example, port: 5432}}
YAML
out=$("$CIRQUED" -c "$CONF" --check 2>&1) && fail "--check accepted a host name: $out"
echo "$out" | grep -q "$CONF:4:18: watchers.named.ready.tcp: 'db.example' is not a numeric IPv4 or IPv6 address (host names are not resolved" ||
	fail "host name error: $out"
echo "$out" | grep -q "$CONF:7:18: watchers.fd.ready.tcp: \$(circus.sockets.NAME) is a descriptor number" ||
	fail "socket marker error: $out"
echo "$out" | grep -q "$CONF:13:25: watchers.named_map.ready.tcp.host: 'db.example' is not a numeric" ||
	fail "host name error in {host:, port:}: $out"
[ "$(echo "$out" | grep -c "$CONF:[0-9]")" = 3 ] || fail "per-worker port refused: $out"

pre=$(( 2000 + RANDOM % 4000 ))   # worker N listens on port ${pre}N
closed=$(( 40000 + RANDOM % 20000 ))
cat >"$T/listen.py" <<'PYEOF'
import os, socket, sys, time
while not os.path.exists(sys.argv[2]):
    time.sleep(0.02)
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5)
time.sleep(3600)
PYEOF
cat >"$T/events.py" <<'PYEOF'
import sys, zmq
s = zmq.Context().socket(zmq.SUB)
s.setsockopt(zmq.SUBSCRIBE, b"watcher.")
s.connect(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
out.write("up\n")
while True:
    out.write(" ".join(f.decode() for f in s.recv_multipart()) + "\n")
PYEOF
S=$(sleeper unready)
cat >"$CONF" <<YAML
watchers:
  web:
    cmd: $PY $T/listen.py ${pre}\$(circus.wid) $T/go
    numprocesses: 2
    ready: {tcp: "127.0.0.1:${pre}\$(circus.wid)"}
  never:
    cmd: $S 3600
    ready: {tcp: {host: localhost, port: $closed}}
    ready_timeout: 1s
    max_retry: 0
    autostart: false
  nosock:
    cmd: $S 3600
    ready: {unix: "$T/app-\$(circus.wid).sock"}
    ready_timeout: 1s
    max_retry: 0
    autostart: false
YAML
start_daemon
# Each worker is probed on its own port: refused until it listens, and shown so.
wait_for 10 '"$CTL" status web | grep -q "^web:1 .*STARTING *pid [0-9]*, not ready: tcp 127.0.0.1:${pre}1 refused$"' ||
	fail "web:1's failed probe not shown: $("$CTL" status web)"
"$CTL" status web | grep -q "^web:2 .*not ready: tcp 127.0.0.1:${pre}2 refused$" ||
	fail "web:2 not probed on its own port: $("$CTL" status web)"
touch "$T/go"
wait_for 10 '[ "$("$CTL" status web | grep -c RUNNING)" = 2 ]' ||
	fail "the workers were not ready on their own ports: $("$CTL" status web)"

# get shows the probe as configured, and its timeout.
out=$("$CTL" get web ready)
[ "$out" = "ready: {\"tcp\": \"127.0.0.1:${pre}\$(circus.wid)\"}" ] || fail "get web ready: $out"
[ "$("$CTL" get nosock ready_timeout)" = "ready_timeout: 1.0" ] || fail "get ready_timeout: $("$CTL" get nosock ready_timeout)"
[ "$("$CTL" get never ready)" = "ready: {\"tcp\": \"localhost:$closed\"}" ] || fail "get never ready: $("$CTL" get never ready)"

# Never ready: the reason, in the log, in status and in the reap event.
$PY "$T/events.py" "ipc://$CIRQUE_RUNTIME_DIR/events.sock" "$T/events" &
EPID=$!
trap 'rc=$?; kill $EPID 2>/dev/null; (exit $rc); cleanup' EXIT
wait_for 5 '[ -s "$T/events" ]' || fail "event listener did not start"
why="not ready after 1 s (tcp localhost:$closed refused)"
"$CTL" start --no-wait never >/dev/null
"$CTL" start --no-wait nosock >/dev/null  # a unix socket that is not there, meanwhile
wait_for 10 '"$CTL" status never | grep -q FATAL' || fail "never-ready watcher not FATAL: $("$CTL" status never)"
"$CTL" status never | grep -qF "FATAL     $why, killed: gave up after 1 failed starts" ||
	fail "status does not say why: $("$CTL" status never)"
grep -qE "watcher never\[1\]: pid [0-9]+ not ready after ready_timeout 1 s \(tcp localhost:$closed refused\), killing it" "$DLOG" ||
	fail "no reason for the kill in the log"
grep -E "watcher never\[1\]: pid [0-9]+ killed by SIGKILL: " "$DLOG" | grep -qF "SIGKILL: $why" ||
	fail "the exit is not explained"
! grep -q "never.*killed unexpectedly" "$DLOG" || fail "the kill is reported as unexpected"
wait_for 5 'grep -qF "watcher.never.reap" "$T/events"' || fail "no reap event: $(cat "$T/events")"
grep -F "watcher.never.reap" "$T/events" | grep -qF "\"reason\":\"$why\"" ||
	fail "the reap event does not say why: $(grep never "$T/events")"

# The unix socket that is not there: the probe's reason is kept too.
wait_for 10 '"$CTL" status nosock | grep -q FATAL' || fail "nosock not FATAL: $("$CTL" status nosock)"
"$CTL" status nosock | grep -qF "not ready after 1 s (unix $T/app-1.sock: No such file or directory), killed: gave up" ||
	fail "unix probe failure not shown: $("$CTL" status nosock)"
[ "$(count_matching "$S")" -eq 0 ] || fail "an unready process is still alive"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
echo ok
