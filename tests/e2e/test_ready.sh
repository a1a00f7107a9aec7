# Readiness: a process is STARTING until it is ready, and a waiting start returns only then.
# ready: {tcp: PORT} (port accepts connections), ready: notify (READY=1 on its own NOTIFY_SOCKET,
# as systemd-notify sends it), ready: {delay: ...}; not ready within ready_timeout is a failed
# start; a higher priority watcher is ready before a lower one starts.
. "$(dirname "$0")/lib.sh"

port=$(free_port) || fail "no free TCP port"
N=$(sleeper never)
cat >"$T/listen_later.py" <<'PYEOF'
import socket, sys, time
time.sleep(float(sys.argv[2]))
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5)
open(sys.argv[3], "a").write("listening %.3f\n" % time.time())
time.sleep(3600)
PYEOF
cat >"$T/notify_later.sh" <<'SHEOF'
#!/bin/sh
sleep "$1"
echo "notified $(date +%s.%N)" >>"$2"
if command -v systemd-notify >/dev/null; then
	systemd-notify --ready --status="serving"
else
	/usr/bin/python3 -c 'import os, socket; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b"READY=1\nSTATUS=serving", os.environ["NOTIFY_SOCKET"])'
fi
exec sleep 3600
SHEOF
chmod +x "$T/notify_later.sh"
cat >"$CONF" <<YAML
watchers:
  db:
    cmd: /usr/bin/python3 $T/listen_later.py $port 1.5 $T/events
    ready: {tcp: $port}
    priority: 10
  app:
    cmd: /bin/sh -c 'echo "app started \$(date +%s.%N)" >> $T/events; exec sleep 3600'
    priority: 1
  notifier:
    cmd: $T/notify_later.sh 1.5 $T/notified
    ready: notify
    autostart: false
  never:
    cmd: $N 3600
    ready: {tcp: 1}
    ready_timeout: 1s
    max_retry: 0
    autostart: false
YAML
start_daemon
# db is STARTING until its port opens (1.5 s); app (lower priority) waits for that.
wait_for 5 '"$CTL" status db | grep -q STARTING' || fail "db was not STARTING before its port opened: $("$CTL" status db)"
! grep -qs "app started" "$T/events" || fail "app started before db was ready"
wait_for 10 'grep -q "app started" "$T/events"' || fail "app never started"
[ "$(grep -n . "$T/events" | head -n 1 | grep -c listening)" -eq 1 ] || fail "app started before db listened: $(cat "$T/events")"
"$CTL" status db | grep -q RUNNING || fail "db not RUNNING once its port is open"

# A waiting start returns only once READY=1 arrived (1.5 s), and the child never saw systemd's socket.
t0=$(date +%s%N)
"$CTL" start notifier | grep -qx "notifier: started" || fail "start notifier"
elapsed=$(( ($(date +%s%N) - t0) / 1000000 ))
[ -s "$T/notified" ] || fail "start returned before the process notified (${elapsed} ms)"
"$CTL" status notifier | grep -q RUNNING || fail "notifier not RUNNING after READY=1"
note "waiting start of a notify watcher returned after ${elapsed} ms"
# Its socket is in notify/ of the runtime directory (0711: children of other users reach it).
notified_child() {  # (the script execs its sleep after READY=1: a moment later on a busy machine)
	children_matching "sleep 3600" | while read -r p; do
		proc_env "$p" | grep -q "^NOTIFY_SOCKET=" && echo "$p"; done | head -n 1
}
wait_for 10 '[ -n "$(notified_child)" ]' || fail "no child with a NOTIFY_SOCKET"
npid=$(notified_child)
proc_env "$npid" | grep -qx "NOTIFY_SOCKET=$CIRQUE_RUNTIME_DIR/notify/[0-9]*-[0-9]*.sock" ||
	fail "the notify socket is not in the runtime directory: $(proc_env "$npid" | grep NOTIFY_SOCKET)"
[ "$(stat -c %a "$CIRQUE_RUNTIME_DIR") $(stat -c %a "$CIRQUE_RUNTIME_DIR/notify")" = "711 711" ] ||
	fail "modes of the runtime and notify directories: $(stat -c '%n %a' "$CIRQUE_RUNTIME_DIR" "$CIRQUE_RUNTIME_DIR/notify")"
[ ! -e "$CIRQUE_RUNTIME_DIR-notify" ] || fail "a notify directory beside the runtime directory"

# Never ready: killed at ready_timeout, counted as a failed start, then FATAL (max_retry 0).
"$CTL" start --no-wait never >/dev/null
wait_for 10 'grep -q "watcher never\[1\]: pid [0-9]* not ready after ready_timeout 1 s (tcp 127.0.0.1:1 refused), killing it" "$DLOG"' ||
	fail "no ready_timeout kill"
wait_for 10 '"$CTL" status never | grep -q FATAL' || fail "never-ready watcher not FATAL: $("$CTL" status never)"
[ "$(count_matching "$N")" -eq 0 ] || fail "the unready process is still alive"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
[ ! -e "$CIRQUE_RUNTIME_DIR/notify" ] || fail "the notify directory outlived the daemon: $(ls -la "$CIRQUE_RUNTIME_DIR/notify")"
echo ok
