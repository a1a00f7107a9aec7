# The loop never blocks: while one watcher waits out a long graceful stop (removed by a reload),
# another watcher's killed process is respawned at once and reloads still apply.
# serial: asserts that respawns come within a bound while another watcher stops
. "$(dirname "$0")/lib.sh"

S=$(sleeper busy); N=$(sleeper newcomer)
cat >"$CONF" <<YAML
watchers:
  slowstop:
    cmd: /bin/sh -c 'trap "" TERM; while :; do sleep 1; done' $T-slow
    graceful_timeout: 30s
  busy:
    cmd: $S 3600
    numprocesses: 3
YAML
start_daemon
wait_count "$T-slow" 1; wait_count "$S" 3
cat >"$CONF" <<YAML
watchers:
  busy:
    cmd: $S 3600
    numprocesses: 3
YAML
kill -HUP "$DPID"
wait_for 5 'grep -q "watcher slowstop: stopping" "$DLOG"' || fail "slowstop not being stopped"
for i in 1 2 3 4 5; do
	victim=$(children_matching "$S" | head -n 1)
	t0=$(date +%s%N)
	kill -9 "$victim"
	wait_for 5 '[ "$(count_matching "$S")" -eq 3 ] && ! children_matching "$S" | grep -qx "$victim"' ||
		fail "respawn blocked while another watcher is stopping"
	note "respawn $i: $(( ($(date +%s%N) - t0) / 1000000 )) ms (polling included)"
done
cat >>"$CONF" <<YAML
  newcomer:
    cmd: $N 3600
YAML
kill -HUP "$DPID"
wait_count "$N" 1 5
[ "$(count_matching "$T-slow")" -eq 1 ] || fail "the slow stop should still be in its grace period"
stop_daemon QUIT 10
echo ok
