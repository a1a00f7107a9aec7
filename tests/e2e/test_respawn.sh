# A process killed with SIGKILL is replaced by a new pid at once; the others are untouched.
. "$(dirname "$0")/lib.sh"
S=$(sleeper respawn)

cat >"$CONF" <<YAML
watchers:
  workers:
    cmd: $S 3600
    numprocesses: 4
YAML
start_daemon
wait_count "$S" 4
before=$(children_matching "$S" | sort)
victim=$(echo "$before" | head -n 1)
kill -9 "$victim"
wait_for 5 '[ "$(count_matching "$S")" -eq 4 ] && ! children_matching "$S" | grep -qx "$victim"' ||
	fail "killed process $victim was not replaced"
after=$(children_matching "$S" | sort)
[ "$(comm -12 <(echo "$before") <(echo "$after") | wc -l)" -eq 3 ] || fail "other processes changed: $before / $after"
grep -q "pid $victim killed unexpectedly by SIGKILL" "$DLOG" || fail "the death was not logged"
# Repeated kills of a process that had been up for a while are respawned each time.
for i in 1 2 3; do
	victim=$(children_matching "$S" | head -n 1)
	kill -9 "$victim"
	wait_for 5 '[ "$(count_matching "$S")" -eq 4 ] && ! children_matching "$S" | grep -qx "$victim"' ||
		fail "kill $i: not replaced"
done
[ -z "$(zombies_of "$DPID")" ] || fail "zombies remain"
stop_daemon TERM
echo ok
