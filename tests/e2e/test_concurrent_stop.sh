# Stops are concurrent: 50 watchers whose processes ignore SIGTERM, each with graceful_timeout 2s,
# stop in about 2 s (the serial cost would be 100 s).
. "$(dirname "$0")/lib.sh"

{
	echo "watchers:"
	for i in $(seq 1 50); do
		cat <<YAML
  w$i:
    cmd: /bin/sh -c 'trap "" TERM; while :; do sleep 1; done' $T-stubborn
    graceful_timeout: 2s
YAML
	done
} >"$CONF"
start_daemon
wait_count "$T-stubborn" 50 20
start=$(date +%s%N)
stop_daemon TERM 60
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
# Generous bound for a noisy machine; the point is 'not 50 x 2 s'.
[ "$elapsed_ms" -lt 20000 ] || fail "50 stubborn watchers took ${elapsed_ms} ms to stop"
[ "$elapsed_ms" -ge 1900 ] || fail "stopped in ${elapsed_ms} ms, before the graceful timeout"
[ "$(log_count 'sending SIGKILL')" -eq 50 ] || fail "expected 50 SIGKILLs, got $(log_count 'sending SIGKILL')"
note "50 SIGTERM-ignoring watchers stopped in ${elapsed_ms} ms"
echo ok
