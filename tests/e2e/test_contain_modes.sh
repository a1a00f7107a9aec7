# Where the watchers' cgroups go, by where cirqued runs (cirque.yaml(5), CONTAINMENT):
# - in a cgroup of its own that no service manager owns (a container's): it moves itself to the
#   .cirqued leaf and puts each watcher beside it;
# - as a systemd service (INVOCATION_ID set) whose cgroup is not delegated: no cgroup, and the log
#   says to add Delegate=yes; with Delegate=yes (systemd marks the cgroup trusted.delegate=1):
#   as in a container;
# - cgroup: /path in the configuration: there.
# Each case runs cirqued in a test cgroup of its own, as systemd would start a unit.
. "$(dirname "$0")/lib.sh"

MOUNT=$(awk '$(NF-2) == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
if [ -z "$MOUNT" ] || [ ! -w "$MOUNT" ] || [ "$(sed -n 's/^0:://p' /proc/self/cgroup)" != / ]; then
	note "no writable cgroup2 hierarchy whose root we are in: nothing to check here"
	echo ok
	exit 0
fi
UNIT="$MOUNT/cirque-test-unit.$$"
cleanup_unit() {
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
	sleep 0.2
	for d in "$UNIT"/*/ "$UNIT"; do
		[ -d "$d" ] || continue
		for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	done
	sleep 0.2
	for d in "$UNIT"/*/; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
	rmdir "$UNIT" 2>/dev/null
	rmdir "$MOUNT/cirque-test-path.$$/web" "$MOUNT/cirque-test-path.$$" 2>/dev/null
	true
}
trap 'cleanup_unit' EXIT

S=$(sleeper modes)
cat >"$CONF" <<YAML
watchers:
  web:
    cmd: $S 3600
YAML

# start_in_unit [ENV...]: cirqued started in $UNIT, as systemd starts a service in its cgroup.
start_in_unit() {
	mkdir -p "$UNIT"
	env "$@" sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$UNIT" \
		"$CIRQUED" -c "$CONF" >>"$DLOG" 2>&1 &
	DPID=$!
	wait_for 10 'grep -qs "starting (pid" "$DLOG" || ! kill -0 $DPID 2>/dev/null' ||
		fail "daemon did not start"
	kill -0 "$DPID" 2>/dev/null || fail "daemon exited at start-up: $(cat "$DLOG")"
}
cgroup_of() { sed -n 's/^0:://p' "/proc/$1/cgroup"; }
rel=${UNIT#"$MOUNT"}

# A cgroup of its own, no service manager: moves itself to the leaf, the watcher beside it.
start_in_unit
wait_for 10 '[ -n "$(children_matching "$S 3600")" ]' || fail "web did not start"
[ "$(cgroup_of "$DPID")" = "$rel/.cirqued" ] || fail "cirqued is in $(cgroup_of "$DPID"), not $rel/.cirqued"
[ "$(cgroup_of "$(children_matching "$S 3600")")" = "$rel/web" ] ||
	fail "web runs in $(cgroup_of "$(children_matching "$S 3600")"), not $rel/web"
grep -q "containment: cgroup v2, a cgroup per watcher under $UNIT " "$DLOG" || fail "mode not logged: $(grep containment "$DLOG")"
$CTL dstats | grep -qx "containment: cgroup $UNIT" || fail "dstats: $($CTL dstats)"
stop_daemon TERM 20
[ ! -d "$UNIT/web" ] || fail "the watcher's cgroup $UNIT/web was left behind"
[ -d "$UNIT" ] || fail "cirqued removed the cgroup it was started in"
rmdir "$UNIT/.cirqued" "$UNIT" 2>/dev/null
: >"$DLOG"

# A systemd service without Delegate=yes: systemd owns the cgroup, so no cgroup is used.
start_in_unit INVOCATION_ID=0123456789abcdef
grep -q "containment: process groups and subreaper only: the systemd unit's cgroup $rel is not delegated to cirqued (Delegate=yes)" "$DLOG" ||
	fail "undelegated unit: $(grep containment "$DLOG")"
wait_for 10 '[ -n "$(children_matching "$S 3600")" ]' || fail "web did not start without cgroups"
[ "$(cgroup_of "$(children_matching "$S 3600")")" = "$rel" ] || fail "web left the unit's cgroup"
[ "$(cgroup_of "$DPID")" = "$rel" ] || fail "cirqued moved itself in a cgroup that is not its own"
stop_daemon TERM 20
: >"$DLOG"

# With Delegate=yes: systemd marks the cgroup (trusted.delegate), and it is cirqued's.
/usr/bin/python3 -c 'import os, sys; os.setxattr(sys.argv[1], "trusted.delegate", b"1")' "$UNIT" ||
	fail "cannot set trusted.delegate on $UNIT"
start_in_unit INVOCATION_ID=0123456789abcdef
grep -q "containment: cgroup v2, a cgroup per watcher under $UNIT " "$DLOG" || fail "delegated unit: $(grep containment "$DLOG")"
wait_for 10 '[ -n "$(children_matching "$S 3600")" ]' || fail "web did not start in the delegated unit"
[ "$(cgroup_of "$(children_matching "$S 3600")")" = "$rel/web" ] || fail "web not in $rel/web"
stop_daemon TERM 20
rmdir "$UNIT/.cirqued" 2>/dev/null
: >"$DLOG"

# cgroup: /path: there, made if missing, left in place (it is the operator's).
cat >"$CONF" <<YAML
cirque:
  cgroup: /cirque-test-path.$$
watchers:
  web:
    cmd: $S 3600
YAML
start_daemon
wait_for 10 '[ -n "$(children_matching "$S 3600")" ]' || fail "web did not start under cgroup: /path"
[ "$(cgroup_of "$(children_matching "$S 3600")")" = "/cirque-test-path.$$/web" ] ||
	fail "web runs in $(cgroup_of "$(children_matching "$S 3600")")"
stop_daemon TERM 20
[ ! -d "$MOUNT/cirque-test-path.$$/web" ] || fail "the watcher's cgroup was left behind"
[ -d "$MOUNT/cirque-test-path.$$" ] || fail "the configured cgroup was removed"
echo ok
