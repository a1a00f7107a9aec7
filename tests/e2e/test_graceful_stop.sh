# Stopping honours stop_signal and graceful_timeout, then SIGKILLs; stop_children reaches the whole
# process group; a program that exits on its stop signal is not made to wait.
. "$(dirname "$0")/lib.sh"

S=$(sleeper quick)
cat >"$CONF" <<YAML
watchers:
  stubborn:
    cmd: /bin/sh -c 'trap "echo got-term >> $T/stubborn" TERM; while :; do sleep 0.1; done'
    graceful_timeout: 3s
  polite:
    cmd: /bin/sh -c 'trap "echo got-int >> $T/polite; exit 0" INT; while :; do sleep 0.1; done'
    stop_signal: SIGINT
    graceful_timeout: 30s
  family:
    cmd: /bin/sh -c '$S 3600 & $S 3601 & wait'
    stop_children: true
  quick:
    cmd: $S 3600
YAML
start_daemon
wait_count "trap" 2
wait_count "& wait" 1
family_sh=$(children_matching "& wait")
wait_for 10 '[ "$(children "$family_sh" | wc -l)" -eq 2 ]' || fail "family did not start its 2 children"
grandchildren=$(children "$family_sh")
stubborn=$(children_matching "stubborn")

start=$(date +%s%N)
kill -TERM "$DPID"
# The polite one exits on its stop signal (INT) at once.
wait_for 5 '[ -s "$T/polite" ]' || fail "polite watcher did not get SIGINT"
grep -qx got-int "$T/polite" || fail "polite got: $(cat "$T/polite")"
# stop_children: the grandchildren are gone too, well before any graceful timeout.
for g in $grandchildren; do
	wait_for 5 '! kill -0 '"$g"' 2>/dev/null' || fail "grandchild $g survived stop_children"
done
# The stubborn one got TERM, ignored it, and is still alive one second later...
wait_for 5 '[ -s "$T/stubborn" ]' || fail "stubborn watcher did not get SIGTERM"
sleep 1
kill -0 "$stubborn" 2>/dev/null || fail "stubborn process died before its graceful_timeout"
# ... until graceful_timeout (3 s) is over: then SIGKILL, and the daemon exits.
wait_for 30 '! kill -0 $DPID 2>/dev/null' || fail "daemon did not exit"
end=$(date +%s%N)
elapsed_ms=$(( (end - start) / 1000000 ))
[ "$elapsed_ms" -ge 2900 ] || fail "SIGKILL came after ${elapsed_ms} ms, before graceful_timeout"
grep -q "stubborn\[1\]: pid $stubborn still running after graceful_timeout 3s, sending SIGKILL" "$DLOG" ||
	fail "SIGKILL not logged"
grep -q "stubborn\[1\]: pid $stubborn killed by SIGKILL" "$DLOG" || fail "stubborn not reaped"
wait "$DPID"; status=$?; DPID=""
[ "$status" -eq 0 ] || fail "exit status $status"
note "graceful stop with 3s timeout took ${elapsed_ms} ms"
echo ok
