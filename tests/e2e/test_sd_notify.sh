# The sd_notify protocol towards systemd (a datagram listener stands in for it): READY=1 once
# the autostart watchers have started, RELOADING=1/READY=1 around a reload, STOPPING=1 at
# shutdown, STATUS= with counts, WATCHDOG=1 pings; children never see NOTIFY_SOCKET.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
S=$(sleeper notified)
cat >"$T/listen.py" <<'PYEOF'
import socket, sys, time
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
while True:
    data = sock.recv(4096).decode()
    out.write("%.3f %s\n" % (time.time(), data.replace("\n", "|")))
PYEOF
$PY "$T/listen.py" "$T/notify.sock" "$T/notify.log" &
LPID=$!
trap 'rc=$?; kill $LPID 2>/dev/null; (exit $rc); cleanup' EXIT
wait_for 5 '[ -S "$T/notify.sock" ]' || fail "listener did not start"
cat >"$CONF" <<YAML
watchers:
  notified:
    cmd: $S 3600
    numprocesses: 2
    copy_env: true
    graceful_timeout: 7s
    priority: 5
  low:
    cmd: $(sleeper low) 3600
    graceful_timeout: 3s
YAML
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=400000 start_daemon
wait_for 10 'grep -q "READY=1" "$T/notify.log"' || fail "no READY=1: $(cat "$T/notify.log")"
grep "READY=1" "$T/notify.log" | head -n 1 | grep -q "STATUS=2 watchers, 3 processes running" ||
	fail "READY without the right STATUS: $(cat "$T/notify.log")"
# READY comes after the processes have started (they are RUNNING, past the start grace).
[ "$(count_matching "$S")" -eq 2 ] || fail "READY=1 before the processes run"
for pid in $(children_matching "$S"); do
	proc_env "$pid" | grep -q '^NOTIFY_SOCKET=' && fail "child $pid inherited NOTIFY_SOCKET"
	proc_env "$pid" | grep -q '^WATCHDOG_USEC=' && fail "child $pid inherited WATCHDOG_USEC"
done
wait_for 5 '[ "$(grep -c "WATCHDOG=1" "$T/notify.log")" -ge 3 ]' || fail "no WATCHDOG=1 pings"
kill -HUP "$DPID"
wait_for 5 'grep -q "RELOADING=1" "$T/notify.log"' || fail "no RELOADING=1"
wait_for 5 '[ "$(grep -c "READY=1" "$T/notify.log")" -ge 2 ]' || fail "no READY=1 after the reload"
# A re-exec: RELOADING=1 before it and READY=1 from the new image (same pid, so the unit stays
# up), and the watchdog pings go on from the new image.
"$CTL" reexec >/dev/null || fail "reexec failed"
wait_for 5 'grep -q "RELOADING=1|STATUS=re-executing" "$T/notify.log"' || fail "no RELOADING=1 before the re-exec"
wait_for 5 'grep -q "READY=1|STATUS=resumed" "$T/notify.log"' || fail "no READY=1 after the re-exec"
pings=$(grep -c "WATCHDOG=1" "$T/notify.log")
wait_for 5 '[ "$(grep -c "WATCHDOG=1" "$T/notify.log")" -ge $((pings + 2)) ]' ||
	fail "no WATCHDOG=1 pings after the re-exec"
for pid in $(children_matching "$S"); do
	proc_env "$pid" | grep -q '^NOTIFY_SOCKET=' && fail "child $pid inherited NOTIFY_SOCKET"
done
stop_daemon TERM
grep -q "STOPPING=1" "$T/notify.log" || fail "no STOPPING=1"
# The shutdown goes level by level (low first): each extends systemd's stop timeout by its
# longest graceful_timeout plus a margin (10 s), in that order.
ext=$(grep -o "EXTEND_TIMEOUT_USEC=[0-9]*|STATUS=stopping priority [0-9]*" "$T/notify.log" | tr '\n' ' ')
[ "$ext" = "EXTEND_TIMEOUT_USEC=13000000|STATUS=stopping priority 0 EXTEND_TIMEOUT_USEC=17000000|STATUS=stopping priority 5 " ] ||
	fail "stop levels do not extend the stop timeout: '$ext'"
echo ok
