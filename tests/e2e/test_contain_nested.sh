# A watcher whose program makes cgroups of its own inside its watcher's (a container runtime, a
# service manager run under cirque) still has its cgroup removed once empty: by rm, by a reload
# without it, and at shutdown, with the base cirque-<daemon pid>.
. "$(dirname "$0")/lib.sh"

MNT=$(cgroup2_mount)
if [ -z "$MNT" ] || [ "$(id -u)" != 0 ] || [ "$(cgroup_of $$)" != / ] || [ ! -w "$MNT" ]; then
	note "skipped: needs root in the root cgroup of a writable cgroup2 (mount: ${MNT:-none}, cgroup: $(cgroup_of $$))"
	echo ok
	exit 0
fi
S=$(sleeper nested-sleep)
# The program: makes inner/ in its cgroup (only in a cirque-* one: never elsewhere on the
# host), moves into it, becomes `nested-sleep 776N`.
cat >"$T/nester" <<'SH'
#!/bin/sh
cg=MOUNT$(sed -n 's/^0:://p' /proc/self/cgroup)
case $cg in MOUNT/cirque-*/*) mkdir "$cg/inner" && echo $$ >"$cg/inner/cgroup.procs" ;; esac
exec SLEEPER "$1"
SH
sed -i "s|MOUNT|$MNT|g; s|SLEEPER|$S|" "$T/nester"
chmod 755 "$T/nester"
printf 'watchers:\n' >"$CONF"
for n in 1 2 3; do printf '  n%s: {cmd: "%s 776%s", graceful_timeout: 1s}\n' "$n" "$T/nester" "$n" >>"$CONF"; done
start_daemon
BASE="$MNT/cirque-$DPID"
# A failed check leaves no cgroup behind on the host.
trap 'rc=$?; [ -z "$DPID" ] || { kill -QUIT $DPID; wait_for 10 "! kill -0 $DPID 2>/dev/null"; }; remove_cgroup_tree "$BASE"; (exit $rc); cleanup' EXIT
wait_for 10 'all_alive "^$S 7761" "^$S 7762" "^$S 7763"' || fail "not every program started"
for n in 1 2 3; do
	[ "$(cgroup_of "$(procs_matching "^$S 776$n")")" = "/cirque-$DPID/n$n/inner" ] ||
		fail "n$n's program is in $(cgroup_of "$(procs_matching "^$S 776$n")"), not /cirque-$DPID/n$n/inner"
done

"$CTL" remove n1 >/dev/null || fail "remove n1 failed"
[ -z "$(procs_matching "^$S 7761")" ] || fail "n1's program left after remove"
wait_for 10 '[ ! -d "$BASE/n1" ]' || fail "remove left n1's cgroup: $(find "$BASE/n1" -type d | tr '\n' ' ')"
printf 'watchers:\n  n3: {cmd: "%s 7763", graceful_timeout: 1s}\n' "$T/nester" >"$CONF"
kill -HUP "$DPID"
wait_for 10 '[ ! -d "$BASE/n2" ]' || fail "a reload without n2 left its cgroup: $(find "$BASE/n2" -type d | tr '\n' ' ')"
"$CTL" quit >/dev/null || fail "quit failed"
wait_for 10 '! kill -0 $DPID 2>/dev/null' || fail "daemon did not exit"
wait "$DPID"
DPID=""
[ ! -d "$BASE" ] || fail "shutdown left cgroups: $(find "$BASE" -type d | tr '\n' ' ')"
echo ok
