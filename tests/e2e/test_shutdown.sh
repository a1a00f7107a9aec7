# Shutdown leaves no child and no zombie; a second SIGTERM does not abort the graceful stop;
# SIGQUIT escalates to SIGKILL at once. The pidfile is written and removed.
. "$(dirname "$0")/lib.sh"

S=$(sleeper plain)
cat >"$CONF" <<YAML
cirque:
  pidfile: $T/cirqued.pid
watchers:
  plain:
    cmd: $S 3600
    numprocesses: 5
  stubborn:
    cmd: /bin/sh -c 'trap "" TERM; while :; do sleep 1; done' $T-stubborn
    graceful_timeout: 3s
YAML
start_daemon
wait_count "$S" 5
wait_count "$T-stubborn" 1
[ "$(cat "$T/cirqued.pid")" = "$DPID" ] || fail "pidfile holds '$(cat "$T/cirqued.pid")', not $DPID"
pids=$(children)
kill -TERM "$DPID"
sleep 0.5
kill -TERM "$DPID"   # a second SIGTERM: logged, not an abort
wait_for 5 'grep -q "shutdown already in progress" "$DLOG"' || fail "second SIGTERM not acknowledged"
kill -0 "$DPID" || fail "second SIGTERM aborted the graceful stop"
wait_for 20 '! kill -0 $DPID 2>/dev/null' || fail "daemon did not exit"
wait "$DPID"; status=$?; DPID=""
[ "$status" -eq 0 ] || fail "exit status $status"
for p in $pids; do
	[ -e "/proc/$p" ] && fail "child $p still exists after shutdown ($(cat /proc/$p/status | grep State))"
done
[ ! -e "$T/cirqued.pid" ] || fail "pidfile not removed"

# SIGQUIT: no graceful wait even for the stubborn one.
start_daemon
wait_count "$T-stubborn" 1
pids=$(children)
start=$(date +%s%N)
stop_daemon QUIT 10
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS after SIGQUIT"
[ "$elapsed_ms" -lt 2500 ] || fail "SIGQUIT took ${elapsed_ms} ms (graceful_timeout is 3s)"
for p in $pids; do
	[ -e "/proc/$p" ] && fail "child $p still exists after SIGQUIT"
done

# SIGQUIT during a graceful stop escalates it.
start_daemon
wait_count "$T-stubborn" 1
kill -TERM "$DPID"
sleep 0.3
stop_daemon QUIT 2
echo ok
