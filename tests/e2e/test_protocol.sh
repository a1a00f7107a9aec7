# The control protocol on the wire (Circus's JSON over ZMQ), with raw DEALER, REQ and SUB sockets
# from protocol_client.py: replies, error numbers, malformed and oversized messages, casts, clients
# that leave before their waiting reply, the informational commands, and the events of a killed
# process. Afterwards the daemon is alive, answers, and exits 0 on SIGTERM.
# long: about 14 s
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || fail "$PY is missing: apt-get install python3 python3-zmq (or: make test-deps)"
"$PY" -c 'import zmq' 2>/dev/null ||
	fail "python3-zmq is missing (import zmq fails in $PY): apt-get install python3-zmq (or: make test-deps)"

A=$(sleeper alpha); B=$(sleeper beta); G=$(sleeper gamma); C=$(sleeper castme)
cat >"$CONF" <<YAML
watchers:
  alpha:
    cmd: $A 3600
  beta:
    cmd: $B 3600
    numprocesses: 2
  gamma:
    cmd: $G 3600
    autostart: false
  slow:
    cmd: /bin/sh -c 'trap "" TERM; while :; do sleep 0.1; done' $T-slow
    graceful_timeout: 2
  castme:
    cmd: $C 3600
YAML
start_daemon
wait_count "$A" 1; wait_count "$B" 2; wait_count "$T-slow" 1; wait_count "$C" 1
wait_for 10 '"$CTL" status alpha beta slow castme >"$T/st" && ! grep -q STARTING "$T/st"' ||
	fail "not all RUNNING: $("$CTL" status)"

"$PY" "$(dirname "$0")/protocol_client.py" "ipc://$T/run/control.sock" "ipc://$T/run/events.sock" \
	"$DPID" "$T"
client_rc=$?

kill -0 "$DPID" 2>/dev/null || fail "the daemon died during the protocol checks"
out=$("$CTL" --timeout 5 status 2>&1); rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || fail "the daemon does not answer after the protocol checks: exit $rc, $out"
out=$("$CTL" pid); [ "$out" = "$DPID" ] || fail "cirquectl pid after the checks: '$out'"
[ -z "$(zombies_of "$DPID")" ] || fail "zombies remain"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS after SIGTERM"
[ "$client_rc" -eq 0 ] || fail "protocol checks failed (see above)"
echo ok
