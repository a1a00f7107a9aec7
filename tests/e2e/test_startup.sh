# Start-up by priority level, as systemd sees it (a datagram listener stands in for it) and as
# `cirquectl status` shows it: a watcher waiting for a higher level is STARTING "waiting for db
# (priority 10)"; a child's STATUS= shows while it is STARTING; each level sends
# EXTEND_TIMEOUT_USEC= (its longest possible hold) so that a slow start does not trip systemd's
# TimeoutStartSec; a watcher that never becomes ready (max_retry -1: it never gives up) holds
# the lower levels only until its first failed start, and READY=1 comes once every level is
# decided. A watcher stopped while it waits for its level is not started by it.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
cat >"$T/listen.py" <<'PYEOF'
import socket, sys, time
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
while True:
    data = sock.recv(4096).decode()
    out.write("%.3f %s\n" % (time.time(), data.replace("\n", "|")))
PYEOF
cat >"$T/db.py" <<'PYEOF'
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"STATUS=replaying the journal", os.environ["NOTIFY_SOCKET"])
while not os.path.exists(sys.argv[1]):
    time.sleep(0.02)
s.sendto(b"READY=1\nSTATUS=serving", os.environ["NOTIFY_SOCKET"])
time.sleep(3600)
PYEOF
$PY "$T/listen.py" "$T/notify.sock" "$T/notify.log" &
LPID=$!
trap 'rc=$?; kill $LPID 2>/dev/null; (exit $rc); cleanup' EXIT
wait_for 5 '[ -S "$T/notify.sock" ]' || fail "listener did not start"
closed=$(( 40000 + RANDOM % 20000 ))
S=$(sleeper startup)
cat >"$CONF" <<YAML
watchers:
  db:
    cmd: $PY $T/db.py $T/go
    ready: notify
    ready_timeout: 30s
    priority: 10
  app:
    cmd: $S 3600
    ready: {delay: 0.1}
    priority: 5
  broken:
    cmd: $S 3601
    ready: {tcp: "127.0.0.1:$closed"}
    ready_timeout: 1s
    max_retry: -1
    priority: 3
  last:
    cmd: $S 3602
    ready: {delay: 0.1}
    priority: 1
  unwanted:
    cmd: $S 3603
    priority: 1
YAML
NOTIFY_SOCKET=$T/notify.sock start_daemon

# db's level: systemd is told it may take up to ready_timeout (30 s) + 10 s.
wait_for 10 'grep -q "EXTEND_TIMEOUT_USEC=40000000|STATUS=starting priority 10: db" "$T/notify.log"' ||
	fail "no EXTEND_TIMEOUT_USEC for db's level: $(cat "$T/notify.log")"
wait_for 10 '"$CTL" status db | grep -q "^db .*STARTING *pid [0-9]*, replaying the journal$"' ||
	fail "db's STATUS= not shown while STARTING: $("$CTL" status)"
out=$("$CTL" status)
echo "$out" | grep -q "^app  *STARTING  waiting for db (priority 10)$" || fail "app not shown waiting: $out"
echo "$out" | grep -q "^last  *STARTING  waiting for db (priority 10)$" || fail "last not shown waiting: $out"
request '{"command": "status", "properties": {"name": "app"}}' | grep -q '"status": *"starting"' ||
	fail "a waiting watcher is not starting for the protocol"
# Stopped while it waits: its level no longer starts it.
"$CTL" stop unwanted | grep -qx "unwanted: stopped" || fail "stop of a waiting watcher"
"$CTL" status unwanted | grep -q "^unwanted  *STOPPED  *Not running$" || fail "unwanted: $("$CTL" status unwanted)"
! grep -q "READY=1" "$T/notify.log" || fail "READY=1 before db was ready"
[ "$(count_matching "$S")" -eq 0 ] || fail "a lower priority started before db was ready"

# db ready: app's level, then broken's, which never becomes ready but no longer holds `last`
# after its first failed start; READY=1 says what is not ready.
touch "$T/go"
wait_for 10 'grep -q "EXTEND_TIMEOUT_USEC=11000000|STATUS=starting priority 3: broken" "$T/notify.log"' ||
	fail "no EXTEND_TIMEOUT_USEC for broken's level: $(cat "$T/notify.log")"
out=$("$CTL" status last)
echo "$out" | grep -q "^last  *STARTING  waiting for broken (priority 3)$" || note "last seen as: $out"
wait_for 15 'grep -q "READY=1" "$T/notify.log"' || fail "no READY=1 while broken keeps failing: $(cat "$T/notify.log")"
grep "READY=1" "$T/notify.log" | grep -q "STATUS=5 watchers, 3 processes running; not ready: broken" ||
	fail "READY=1 status: $(grep READY=1 "$T/notify.log")"
grep -q "watcher broken: a process failed to start: the lower priorities no longer wait for it" "$DLOG" ||
	fail "the release of the level is not logged"
"$CTL" status last | grep -q RUNNING || fail "last is not running: $("$CTL" status)"
"$CTL" status broken | grep -qvE "FATAL" || fail "broken gave up (max_retry -1)"
[ "$(count_matching "$S 3603")" -eq 0 ] || fail "the level started a watcher stopped while it waited"
grep -q "watcher unwanted: starting" "$DLOG" && fail "unwanted was started"
# Every EXTEND_TIMEOUT_USEC came before READY=1.
[ "$(grep -n . "$T/notify.log" | grep -E "EXTEND|READY" | tail -n 1 | grep -c READY=1)" = 1 ] ||
	fail "EXTEND_TIMEOUT_USEC after READY=1: $(cat "$T/notify.log")"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
echo ok
