# A graceful reload (new processes first) interrupted by a smaller count: the old processes whose
# worker id is beyond the new count get no successor, so they must stop at once instead of
# waiting for ever, and the waiting reload must return. Found by the lifecycle test under ASan.
. "$(dirname "$0")/lib.sh"

S=$(sleeper graceful)
cat >"$CONF" <<YAML
watchers:
  app:
    cmd: $S 3600
    numprocesses: 3
    ready: {delay: 1s}
YAML
start_daemon
wait_for 15 '[ "$($CTL status app | grep -c RUNNING)" = 3 ]' || fail "app did not start: $($CTL status)"
old=$(children_matching "$S" | sort | tr '\n' ' ')
$CTL reload app >"$T/reload.out" 2>&1 &
R=$!
wait_for 5 '[ "$(count_matching "$S")" -gt 3 ]' || fail "the reload started no new process"
$CTL decr app 2 >/dev/null || fail "decr failed"
wait_for 20 '! kill -0 $R 2>/dev/null' || fail "the waiting reload never returned: $($CTL status app)"
wait $R || fail "reload failed: $(cat "$T/reload.out")"
wait_for 20 '[ "$(count_matching "$S")" = 1 ] && [ "$($CTL status app | grep -c RUNNING)" = 1 ]' ||
	fail "not exactly one process after reload + decr: $($CTL status app) / $(children_matching "$S" | tr '\n' ' ')"
now=$(children_matching "$S")
echo " $old " | grep -q " $now " && fail "the remaining process $now is an old one: the reload did not replace it"
stop_daemon TERM
[ "$DSTATUS" = 0 ] || fail "exit status $DSTATUS"
echo ok
