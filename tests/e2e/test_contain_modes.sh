# Where the watchers' cgroups go, by where cirqued runs (cirque.yaml(5), CONTAINMENT):
# - in a cgroup that is not its own (a login session's): none, and the log says why;
# - as a systemd service (INVOCATION_ID set) whose cgroup is not delegated: no cgroup, and the log
#   says to add Delegate=yes; with Delegate=yes (systemd marks the cgroup trusted.delegate=1): it
#   moves itself to the .cirqued leaf and puts each watcher beside it;
# - in the root of the hierarchy: cirque-PID, made and removed by it;
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
	for d in "$MOUNT"/cirque-test-*."$$"; do
		[ -d "$d" ] || continue
		for p in $(cat "$d"/*/cgroup.procs "$d"/.cirqued/cgroup.procs 2>/dev/null); do kill -9 "$p"; done
		sleep 0.1
		rmdir "$d"/*/ "$d"/.cirqued "$d" 2>/dev/null
	done
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

# A cgroup that is not its own (a login session's scope): not divided, as two cirqued started
# there would share it.
start_in_unit
grep -q "containment: process groups and subreaper only: cirqued's cgroup $rel is not its own" "$DLOG" ||
	fail "cgroup of a session: $(grep containment "$DLOG")"
wait_for 10 '[ -n "$(children_matching "$S 3600")" ]' || fail "web did not start"
[ "$(cgroup_of "$(children_matching "$S 3600")")" = "$rel" ] || fail "web left cirqued's cgroup"
$CTL dstats | grep -q "^containment: process groups (no cgroup: cirqued's cgroup $rel is not its own" ||
	fail "dstats: $($CTL dstats)"
stop_daemon TERM 20
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

# With Delegate=yes: systemd marks the cgroup (trusted.delegate), and it is cirqued's: it moves
# itself to the .cirqued leaf and puts each watcher beside it.
/usr/bin/python3 -c 'import os, sys; os.setxattr(sys.argv[1], "trusted.delegate", b"1")' "$UNIT" ||
	fail "cannot set trusted.delegate on $UNIT"
start_in_unit INVOCATION_ID=0123456789abcdef
grep -q "containment: cgroup v2, a cgroup per watcher under $UNIT " "$DLOG" || fail "delegated unit: $(grep containment "$DLOG")"
wait_for 10 '[ -n "$(children_matching "$S 3600")" ]' || fail "web did not start in the delegated unit"
[ "$(cgroup_of "$DPID")" = "$rel/.cirqued" ] || fail "cirqued is in $(cgroup_of "$DPID"), not $rel/.cirqued"
[ "$(cgroup_of "$(children_matching "$S 3600")")" = "$rel/web" ] || fail "web not in $rel/web"
$CTL dstats | grep -qx "containment: cgroup $UNIT" || fail "dstats: $($CTL dstats)"
stop_daemon TERM 20
[ ! -d "$UNIT/web" ] || fail "the watcher's cgroup $UNIT/web was left behind"
[ -d "$UNIT" ] || fail "cirqued removed the cgroup it was started in"
rmdir "$UNIT/.cirqued" 2>/dev/null
: >"$DLOG"

# In the root of the hierarchy (no service manager): its own cirque-PID, where it moves itself,
# marked (trusted.cirque) and locked (flock) for as long as it runs; removed at exit. What a
# cirqued killed with -9 left (marked, not locked) is removed when empty, and named when it still
# holds a process; a live one's (locked) is left alone, whatever its pid namespace.
stale="$MOUNT/cirque-test-stale.$$" held="$MOUNT/cirque-test-held.$$" live="$MOUNT/cirque-test-live.$$"
mkdir -p "$stale/.cirqued" "$stale/web/inner" "$held/.cirqued" "$held/web" "$live/.cirqued" "$live/web"
$S 3601 & heldpid=$!
echo "$heldpid" >"$held/web/cgroup.procs"
/usr/bin/python3 -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_EX); print("locked", flush=True); time.sleep(60)' "$live" >"$T/lock.out" & livepid=$!
wait_for 5 'grep -q locked "$T/lock.out"' || fail "cannot lock $live"
# Marked last, once held holds its process and live is locked: a cirqued that other tests start
# meanwhile cleans up marked bases too, and must find these as they are meant to be.
for d in "$stale" "$held" "$live"; do
	/usr/bin/python3 -c 'import os, sys; os.setxattr(sys.argv[1], "trusted.cirque", b"auto")' "$d" ||
		fail "cannot mark $d"
done
start_daemon
[ ! -d "$stale" ] || fail "an empty stale base was left: $(ls -a "$stale")"
[ -d "$held/web" ] || fail "a stale base's cgroup holding a process was removed"
grep -q "cgroup: $held/web, left by a cirqued that is gone, still holds processes: they run unsupervised" "$DLOG" ||
	fail "a stale cgroup holding a process not named: $(grep cgroup: "$DLOG")"
[ -d "$live/web" ] || fail "a live cirqued's base was touched"
grep -q "cgroup: $stale" "$DLOG" && fail "an empty stale cgroup was said to hold processes: $(grep cgroup: "$DLOG")"
kill -9 "$heldpid" "$livepid"; wait "$heldpid" "$livepid" 2>/dev/null
wait_for 5 '[ -z "$(cat "$held/web/cgroup.procs")" ]'
rmdir "$held/.cirqued" 2>/dev/null  # removed with the stale base's empty cgroups
rmdir "$held/web" "$held" "$live/web" "$live/.cirqued" "$live"
base=$(sed -n 's/.*containment: cgroup v2, a cgroup per watcher under \([^ ]*\) .*/\1/p' "$DLOG")
[ "$base" = "$MOUNT/cirque-$DPID" ] || fail "base $base, not $MOUNT/cirque-$DPID"
[ "$(cgroup_of "$DPID")" = "/cirque-$DPID/.cirqued" ] || fail "cirqued is in $(cgroup_of "$DPID")"
wait_for 10 '[ -n "$(children_matching "$S 3600")" ]' || fail "web did not start"
[ "$(cgroup_of "$(children_matching "$S 3600")")" = "/cirque-$DPID/web" ] || fail "web not in /cirque-$DPID/web"
old=$DPID
stop_daemon TERM 20
[ ! -d "$base" ] || fail "$base left behind"
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
# A second cirqued given the same path does not share it (its stops would kill the first's).
sed "s|^cirque:|cirque:\n  endpoint: ipc://$T/second.sock\n  pubsub_endpoint: ipc://$T/second-events.sock|" "$CONF" >"$T/second.yaml"
"$CIRQUED" -c "$T/second.yaml" >"$T/second.log" 2>&1 & second=$!
wait_for 10 'grep -q "containment:" "$T/second.log"' || fail "the second cirqued did not start: $(cat "$T/second.log")"
grep -q "containment: process groups and subreaper only: another cirqued uses the cgroup $MOUNT/cirque-test-path.$$" "$T/second.log" ||
	fail "a second cirqued on the same cgroup: $(grep containment "$T/second.log")"
kill "$second"; wait "$second"
stop_daemon TERM 20
[ ! -d "$MOUNT/cirque-test-path.$$/web" ] || fail "the watcher's cgroup was left behind"
[ -d "$MOUNT/cirque-test-path.$$" ] || fail "the configured cgroup was removed"
# It is the operator's: the clean-up of dead cirqued's bases (cirque-*) by a later one, in the
# root of the hierarchy, leaves it.
printf 'cirque: {endpoint: "ipc://%s/auto.sock", pubsub_endpoint: "ipc://%s/auto-ev.sock"}\nwatchers: {}\n' \
	"$T" "$T" >"$T/auto.yaml"
"$CIRQUED" -c "$T/auto.yaml" >"$T/auto.log" 2>&1 & auto=$!
wait_for 10 'grep -q "containment:" "$T/auto.log"' || fail "the auto cirqued did not start: $(cat "$T/auto.log")"
kill "$auto"; wait "$auto"
[ -d "$MOUNT/cirque-test-path.$$" ] || fail "the configured cgroup was taken for a dead cirqued's"
: >"$DLOG"

# A configured cgroup that exists, holds cgroups and is not cirqued's (cgroup: /system.slice
# would give a watcher ssh.service sshd's cgroup) is refused.
mkdir -p "$MOUNT/cirque-test-foreign.$$/ssh.service"
sed -i "s|cgroup: /cirque-test-path.$$|cgroup: /cirque-test-foreign.$$|" "$CONF"
start_daemon
grep -q "containment: process groups and subreaper only: the cgroup $MOUNT/cirque-test-foreign.$$ exists and is not cirqued's" "$DLOG" ||
	fail "a foreign cgroup was taken: $(grep containment "$DLOG")"
stop_daemon TERM 20
rmdir "$MOUNT/cirque-test-foreign.$$/ssh.service" "$MOUNT/cirque-test-foreign.$$"
echo ok
