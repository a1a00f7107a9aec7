# A waiting `cirquectl stop` of a watcher that takes its whole graceful_timeout (5 s) to stop
# blocks nobody: meanwhile other clients get status answers at once and can stop, start and
# restart other watchers; a second waiting stop of the same watcher returns when it is done; the
# first stop returns after about 5 s with exit 0.
# serial: asserts that replies come within a bound while a stop waits
. "$(dirname "$0")/lib.sh"

OTHER=$(sleeper other); THIRD=$(sleeper third)
cat >"$CONF" <<YAML
watchers:
  slow:
    cmd: /bin/sh -c 'trap "" TERM; while :; do sleep 0.1; done' $T-slow
    graceful_timeout: 5s
  other:
    cmd: $OTHER 3600
  third:
    cmd: $THIRD 3600
    numprocesses: 2
YAML
start_daemon
wait_count "$T-slow" 1; wait_count "$OTHER" 1; wait_count "$THIRD" 2
wait_for 10 '"$CTL" status >"$T/st" && ! grep -q STARTING "$T/st"' || fail "not all RUNNING: $("$CTL" status)"
slow=$(children_matching "$T-slow")

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

t0=$(date +%s%N)
"$CTL" stop slow >"$T/stop1.out" 2>&1 &
stop1=$!
wait_for 5 '"$CTL" status slow | grep -q "^slow  *STOPPING  *pid $slow\$"' ||
	fail "slow not shown STOPPING: $("$CTL" status slow)"
kill -0 "$stop1" 2>/dev/null || fail "the waiting stop returned at once: $(cat "$T/stop1.out")"

# Another client: status answers at once (the stop is still in progress).
t=$(date +%s%N)
out=$("$CTL" status); rc=$?
ms=$(ms_since "$t")
[ "$rc" -eq 3 ] || fail "status during the stop: exit $rc (STOPPING counts as not running): $out"
[ "$ms" -lt 1000 ] || fail "status took $ms ms while a stop was waiting"
echo "$out" | grep -q "^other  *RUNNING" || fail "status during the stop: $out"
note "status during a waiting stop: $ms ms"
kill -0 "$stop1" 2>/dev/null || fail "the waiting stop returned before the graceful timeout"

# Several clients at once, all answered.
pids=()
for i in 1 2 3 4 5 6 7 8; do
	"$CTL" --timeout 3 status other >"$T/par$i.out" 2>&1 &
	pids+=($!)
done
for i in 1 2 3 4 5 6 7 8; do
	wait "${pids[$((i - 1))]}" || fail "parallel status $i failed: $(cat "$T/par$i.out")"
	grep -q "^other  *RUNNING" "$T/par$i.out" || fail "parallel status $i: $(cat "$T/par$i.out")"
done

# A second waiting stop of the same watcher from another client.
"$CTL" stop slow >"$T/stop2.out" 2>&1 &
stop2=$!

# Other watchers can be stopped, started and restarted meanwhile.
other=$(children_matching "$OTHER")
t=$(date +%s%N)
out=$("$CTL" stop other 2>&1); rc=$?
ms=$(ms_since "$t")
[ "$rc" -eq 0 ] && [ "$out" = "other: stopped" ] || fail "stop other during the slow stop: exit $rc, '$out'"
[ "$ms" -lt 2000 ] || fail "stop other took $ms ms"
kill -0 "$other" 2>/dev/null && fail "other's pid $other still exists after its stop returned"
t=$(date +%s%N)
out=$("$CTL" start other 2>&1); rc=$?
ms=$(ms_since "$t")
[ "$rc" -eq 0 ] && [ "$out" = "other: started" ] || fail "start other during the slow stop: exit $rc, '$out'"
[ "$ms" -lt 3500 ] || fail "start other took $ms ms (1 s start grace expected)"
[ "$(count_matching "$OTHER")" -eq 1 ] || fail "other not running after its start returned"
third=$(children_matching "$THIRD" | sort)
out=$("$CTL" restart third 2>&1); rc=$?
[ "$rc" -eq 0 ] && [ "$out" = "third: restarted" ] || fail "restart third during the slow stop: exit $rc, '$out'"
[ -z "$(comm -12 <(echo "$third") <(children_matching "$THIRD" | sort))" ] || fail "restart third kept its pids"
out=$("$CTL" incr third 2>&1) || fail "incr third during the slow stop: $out"
wait_count "$THIRD" 3
note "other watchers handled $(ms_since "$t0") ms into the slow stop"

# The stops return once slow is gone: after its 5 s graceful_timeout (SIGKILL).
wait "$stop1"; rc1=$?
ms=$(ms_since "$t0")
[ "$rc1" -eq 0 ] || fail "the waiting stop exited $rc1: $(cat "$T/stop1.out")"
[ "$(cat "$T/stop1.out")" = "slow: stopped" ] || fail "the waiting stop printed: $(cat "$T/stop1.out")"
[ "$ms" -ge 4500 ] && [ "$ms" -lt 15000 ] || fail "the waiting stop took $ms ms, expected about 5000"
kill -0 "$slow" 2>/dev/null && fail "slow's pid $slow still exists after the stop returned"
grep -q "slow\[1\]: pid $slow still running after graceful_timeout 5s, sending SIGKILL" "$DLOG" ||
	fail "slow was not SIGKILLed after graceful_timeout"
wait_for 5 '! kill -0 '"$stop2"' 2>/dev/null' || fail "the second waiting stop did not return"
wait "$stop2"; rc2=$?
[ "$rc2" -eq 0 ] && [ "$(cat "$T/stop2.out")" = "slow: stopped" ] ||
	fail "the second waiting stop: exit $rc2, $(cat "$T/stop2.out")"
note "waiting stop of a SIGTERM-ignoring process: $ms ms"

out=$("$CTL" status other third); rc=$?
[ "$rc" -eq 0 ] || fail "other watchers disturbed: $out"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
echo ok
