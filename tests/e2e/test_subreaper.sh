# cirqued is a child subreaper: a grandchild left behind by a double-forking child is reparented
# to the daemon (not init) and reaped by it when it dies: no zombie, whatever the children do;
# at shutdown the adopted orphans are stopped too, with their watcher (SIGTERM, then SIGKILL at its
# graceful_timeout).
. "$(dirname "$0")/lib.sh"

S=$(sleeper orphan)
cat >"$CONF" <<YAML
watchers:
  forker:
    cmd: /bin/sh -c '$S 3600 & sleep 3600'
YAML
start_daemon
wait_for 10 '[ -n "$(pgrep -f "^$S 3600")" ]' || fail "grandchild did not start"
orphan=$(pgrep -f "^$S 3600")
shell=$(children_matching "sleep 3600")
kill -9 "$shell"   # the orphan's parent dies
wait_for 5 '[ "$(awk "/^PPid:/ {print \$2}" /proc/$orphan/status)" = "$DPID" ]' ||
	fail "orphan $orphan was reparented to $(awk '/^PPid:/ {print $2}' /proc/$orphan/status), not the daemon $DPID"
kill -9 "$orphan"
wait_for 5 '[ ! -e /proc/$orphan ]' || fail "orphan $orphan was not reaped: $(grep State /proc/$orphan/status)"
[ -z "$(zombies_of "$DPID")" ] || fail "zombies remain"

# At shutdown the daemon also stops what it adopted: SIGTERM, then SIGKILL for the stubborn.
cat >"$CONF" <<YAML
watchers:
  leaver:
    cmd: /bin/sh -c '$S 3601 & (trap "" TERM; exec $S 3602) & exit 0'
    respawn: false
    graceful_timeout: 2
YAML
kill -HUP "$DPID"
wait_for 10 '[ -n "$(pgrep -f "^$S 3601")" ] && [ -n "$(pgrep -f "^$S 3602")" ]' || fail "leaver's orphans did not start"
polite=$(pgrep -f "^$S 3601"); stubborn=$(pgrep -f "^$S 3602")
wait_for 5 '[ "$(awk "/^PPid:/ {print \$2}" /proc/$stubborn/status)" = "$DPID" ]' || fail "orphans not adopted"
stop_daemon TERM 20
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
[ ! -e "/proc/$polite" ] || fail "adopted orphan $polite survived the shutdown"
[ ! -e "/proc/$stubborn" ] || fail "SIGTERM-ignoring adopted orphan $stubborn survived the shutdown"
grep -q "watcher leaver: 2 processes left behind by its programs (pids .*): sending SIGTERM, SIGKILL in 2s" "$DLOG" ||
	fail "orphans not reported: $(grep 'left behind' "$DLOG")"
grep -Eq "watcher leaver: 1 process left behind by its programs \(pid $stubborn\): (sending SIGKILL|killing its cgroup)" "$DLOG" ||
	fail "stubborn orphan not SIGKILLed: $(grep 'left behind' "$DLOG")"
echo ok
