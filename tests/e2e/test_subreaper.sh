# cirqued is a child subreaper: a grandchild left behind by a double-forking child is reparented
# to the daemon (not init) and reaped by it when it dies: no zombie, whatever the children do.
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
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
echo ok
