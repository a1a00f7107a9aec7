# Replies survive a storm of SIGCHLD: 200 children stopped and continued again and again make
# signals arrive while the daemon is inside libzmq, whose calls then fail with EINTR having done
# nothing. Each must be retried: before, 1 to 3% of the replies were silently dropped (the
# client timed out) and a half-sent multipart reply could corrupt the next one.
# serial: loads the CPU (600 requests that each signal 200 processes)
. "$(dirname "$0")/lib.sh"

S=$(sleeper storm)
cat >"$CONF" <<YAML
watchers:
  web: {cmd: $S 3600, numprocesses: 200, ready: {delay: 0.1s}}
YAML
start_daemon
wait_count "$S" 200 30 || fail "200 processes did not start"
lost=0
for i in $(seq 300); do
	# (5: sent, no answer in time; 7: no connection)
	"$CTL" --timeout 10 signal STOP web >/dev/null; rc=$?; [ $rc -eq 5 ] || [ $rc -eq 7 ] && lost=$((lost + 1))
	"$CTL" --timeout 10 signal CONT web >/dev/null; rc=$?; [ $rc -eq 5 ] || [ $rc -eq 7 ] && lost=$((lost + 1))
done
note "600 requests during SIGCHLD storms: $lost unanswered"
[ "$lost" -eq 0 ] || fail "$lost of 600 requests got no reply"
[ "$($CTL status web | grep -c RUNNING)" -eq 200 ] || fail "not all 200 RUNNING after the storm"
stop_daemon TERM
[ "$DSTATUS" = 0 ] || fail "exit status $DSTATUS"
echo ok
