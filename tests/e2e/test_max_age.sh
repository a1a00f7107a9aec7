# max_age replaces an old process with a fresh one: the new one first, then the old one stopped
# gracefully (it gets its stop signal and may finish its work).
. "$(dirname "$0")/lib.sh"

cat >"$CONF" <<YAML
watchers:
  aging:
    cmd: /bin/sh -c 'echo start \$\$ >> $T/events; trap "echo stop \$\$ >> $T/events; sleep 0.3; exit 0" TERM; while :; do sleep 0.05; done' $T-aging
    max_age: 2
    max_age_variance: 0
YAML
start_daemon
wait_count "$T-aging" 1
first=$(children_matching "$T-aging")
# The replacement starts; then the first is asked to stop and finishes on its own (no SIGKILL).
# Each process records its start and its stop signal in $T/events: polling /proc could miss the
# moment when both run on a busy machine.
wait_for 10 '[ "$(grep -c "^start " "$T/events")" -ge 2 ]' || fail "no replacement started next to pid $first"
wait_for 10 '! kill -0 '"$first"' 2>/dev/null' || fail "old process $first never stopped"
grep -qx "stop $first" "$T/events" || fail "old process was not stopped gracefully: $(cat "$T/events")"
wait_count "$T-aging" 1
second=$(children_matching "$T-aging")
[ "$second" != "$first" ] || fail "pid did not change"
# The replacement ran before the old process was asked to stop.
order=$(grep -xE "start $second|stop $first" "$T/events" | tr '\n' ,)
[ "$order" = "start $second,stop $first," ] || fail "not the new process first, then the old one stopped: $(cat "$T/events")"
grep -q "sending SIGKILL" "$DLOG" && fail "max_age replacement used SIGKILL"

# max_age changed at run time reaches the processes that run: 0 stops the rotation, and a
# limit the process is already past replaces it at once (not only its successors).
"$CTL" set aging max_age 0 >/dev/null || fail "set max_age 0"
sleep 3  # two former max_ages: nothing may happen
[ "$(children_matching "$T-aging")" = "$second" ] || fail "max_age 0 did not stop the rotation"
"$CTL" set aging max_age 1 >/dev/null || fail "set max_age 1"
wait_for 10 '! kill -0 '"$second"' 2>/dev/null' || fail "a process past the new max_age was not replaced"
stop_daemon TERM
echo ok
