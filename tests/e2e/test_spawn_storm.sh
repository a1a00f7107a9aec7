# serial: spawns 2,000 processes (CPU load)
# The loop stays responsive during a spawn storm: spawns go in batches per round of the loop, so
# that `status` answers while `incr a 2000` is still starting processes (before, it waited for
# the whole storm: seconds), and every process does start. The same when 500 of them are killed
# at once: their respawns wait their turn, and all come back.
. "$(dirname "$0")/lib.sh"

A=$(sleeper storm); B=$(sleeper calm)
cat >"$CONF" <<YAML
watchers:
  a: {cmd: $A 3600, ready: {delay: 0.1s}}
  b: {cmd: $B 3600, ready: {delay: 0.1s}}
YAML
start_daemon
wait_count "$A" 1
wait_for 10 '"$CTL" status b | grep -q RUNNING' || fail "b not running"
"$CTL" --timeout 60 incr a 1999 >"$T/incr.out" 2>&1 &
IPID=$!
running() { children | wc -l; }  # a's and b's one: cheap where count_matching greps each
wait_for 10 '[ "$(running)" -ge 50 ]' || fail "the storm did not begin"
# Answered in the middle of the storm: fewer than 2,000 ran when the answer came.
"$CTL" --timeout 10 status b >"$T/status.out" 2>&1 || fail "status during the storm: $(cat "$T/status.out")"
during=$(( $(running) - 1 ))
grep -q "^b .*RUNNING" "$T/status.out" || fail "status during the storm: $(cat "$T/status.out")"
[ "$during" -lt 2000 ] || fail "status answered only once the storm was over ($during running)"
wait $IPID || fail "incr: $(cat "$T/incr.out")"
wait_for 60 '[ "$(running)" -eq 2001 ]' || fail "not all started: $(running) running"
note "status answered with $during of 2000 processes started"

# A mass death: 500 killed at once are respawned in batches too (before, all in the callback
# that reaped them), so status answers while they come back, and every one does come back.
a_pids() { pgrep -P "$DPID" -f -- "$A" | sort; }  # one process, where children_matching forks 2 a pid
all=$(a_pids)
[ "$(wc -l <<<"$all")" -eq 2000 ] || fail "pgrep finds $(wc -l <<<"$all") of a's 2000 processes"
respawned() { a_pids | comm -13 <(echo "$all") - | wc -l; }  # pids not seen before
kill -9 $(head -n 500 <<<"$all")
wait_for 10 '[ "$(respawned)" -ge 1 ]' || fail "no respawn began"
"$CTL" --timeout 10 status b >"$T/status.out" 2>&1 || fail "status during the mass respawn: $(cat "$T/status.out")"
back=$(respawned)
[ "$back" -lt 500 ] || fail "status answered only once all 500 were respawned"
wait_for 60 '[ "$(respawned)" -eq 500 ] && [ "$(running)" -eq 2001 ]' ||
	fail "not all respawned: $(respawned) new of 500, $(running) running"
note "status answered with $back of 500 processes respawned"
stop_daemon TERM
[ "$DSTATUS" = 0 ] || fail "exit status $DSTATUS"
echo ok
