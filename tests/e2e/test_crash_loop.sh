# A command that fails at once backs off and then gives up (FATAL) without flooding forks; the
# daemon stays up and its other watchers are unaffected.
. "$(dirname "$0")/lib.sh"
S=$(sleeper healthy)

cat >"$CONF" <<YAML
watchers:
  crasher:
    cmd: /bin/sh -c 'echo start >> $T/attempts; exit 3'
    max_retry: 3
  healthy:
    cmd: $S 3600
YAML
start_daemon
wait_count "$S" 1
# 1 start + 3 retries with backoff 0.25 + 0.5 + 1 s: given up after about 2 s.
wait_for 20 'grep -q "crasher\[1\]: gave up after 4 failed starts" "$DLOG"' || fail "never gave up"
attempts=$(wc -l <"$T/attempts")
[ "$attempts" -eq 4 ] || fail "expected 4 attempts (1 + max_retry 3), saw $attempts"
sleep 2
[ "$(wc -l <"$T/attempts")" -eq 4 ] || fail "kept spawning after giving up"
[ "$(log_count 'crasher\[1\]: start failed, retry')" -eq 3 ] || fail "backoff not logged 3 times"
kill -0 "$DPID" || fail "daemon died"
[ "$(count_matching "$S")" -eq 1 ] || fail "healthy watcher disturbed"

# max_retry -1 retries forever, but paced: no more than a handful of forks in 3 seconds.
cat >"$CONF" <<YAML
watchers:
  forever:
    cmd: /bin/sh -c 'echo start >> $T/forever; exit 1'
    max_retry: -1
YAML
stop_daemon TERM
start_daemon
sleep 3
n=$(wc -l <"$T/forever")
[ "$n" -ge 3 ] && [ "$n" -le 8 ] || fail "max_retry -1: $n attempts in 3 s (expected 3..8, backing off)"
grep -q "gave up" <(sed -n '/forever/p' "$DLOG") && fail "max_retry -1 gave up"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
echo ok
