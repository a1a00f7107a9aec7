# max_age replaces an old process with a fresh one: the new one first, then the old one stopped
# gracefully (it gets its stop signal and may finish its work).
. "$(dirname "$0")/lib.sh"

cat >"$CONF" <<YAML
watchers:
  aging:
    cmd: /bin/sh -c 'trap "echo \$\$ >> $T/stopped; sleep 0.3; exit 0" TERM; while :; do sleep 0.05; done' $T-aging
    max_age: 2
    max_age_variance: 0
YAML
start_daemon
wait_count "$T-aging" 1
first=$(children_matching "$T-aging")
# The replacement appears while the first is still alive.
wait_for 10 '[ "$(count_matching "$T-aging")" -eq 2 ]' || fail "no replacement started next to pid $first"
kill -0 "$first" || fail "old process gone before its replacement"
# Then the first is asked to stop and finishes on its own (no SIGKILL).
wait_for 10 '! kill -0 '"$first"' 2>/dev/null' || fail "old process $first never stopped"
grep -qx "$first" "$T/stopped" || fail "old process was not stopped gracefully"
wait_count "$T-aging" 1
second=$(children_matching "$T-aging")
[ "$second" != "$first" ] || fail "pid did not change"
grep -q "sending SIGKILL" "$DLOG" && fail "max_age replacement used SIGKILL"
stop_daemon TERM
echo ok
