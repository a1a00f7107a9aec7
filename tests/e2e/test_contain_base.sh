# Where the watchers' cgroups go besides <mount>/cirque-<pid>: under a configured base
# (`cgroup: /path` in the hierarchy, made when missing), and in the daemon's own cgroup when
# systemd delegated it (Delegate=yes: INVOCATION_ID and the trusted.delegate attribute, as systemd
# sets them), cirqued moving itself to a .cirqued leaf there. Their cgroups go at shutdown.
. "$(dirname "$0")/lib.sh"

MNT=$(cgroup2_mount)
if [ -z "$MNT" ] || [ "$(id -u)" != 0 ] || [ "$(cgroup_of $$)" != / ] || [ ! -w "$MNT" ]; then
	note "skipped: needs root in the root cgroup of a writable cgroup2 (mount: ${MNT:-none}, cgroup: $(cgroup_of $$))"
	echo ok
	exit 0
fi
X="$MNT/cirque-e2e-${T##*.}"  # this test's own part of the hierarchy
# remove_tree: ends whatever is left in $X and removes its cgroups, deepest first.
remove_tree() {
	[ -d "$X" ] || return 0
	find "$X" -type d -exec sh -c 'echo 1 >"$1/cgroup.kill"' sh {} \; 2>/dev/null
	wait_for 5 '[ -z "$(find "$X" -name cgroup.procs -exec cat {} +)" ]'
	find "$X" -depth -type d -exec rmdir {} \; 2>/dev/null
}
trap 'rc=$?; remove_tree; (exit $rc); cleanup' EXIT
S=$(sleeper based)
quit_daemon() {
	"$CTL" quit >/dev/null || fail "quit failed"
	wait_for 10 '! kill -0 $DPID 2>/dev/null' || fail "daemon did not exit"
	wait "$DPID"
	DPID=""
}

# cgroup: /path: the base is made, the watchers' cgroups under it.
printf 'cirque: {cgroup: %s/base}\nwatchers:\n  w: {cmd: "%s 7790", graceful_timeout: 1s, ready: {delay: 0.1s}}\n' "${X#"$MNT"}" "$S" >"$CONF"
start_daemon
wait_for 5 'grep -F "containment: cgroup v2" "$DLOG" | grep -qF "$X/base"' || fail "no 'containment: cgroup v2 ... $X/base' in the log"
"$CTL" dstats | grep -qE "containment: cgroup $X/base$" || fail "dstats: $("$CTL" dstats)"
wait_for 5 '[ -n "$(alive "^$S 7790")" ]' || fail "w did not start"
[ "$(cgroup_of "$(alive "^$S 7790")")" = "${X#"$MNT"}/base/w" ] || fail "w's process is in $(cgroup_of "$(alive "^$S 7790")")"
"$CTL" stop w >/dev/null || fail "stop w failed"
[ -z "$(alive "^$S 7790")" ] && [ -e "$X/base/w/cgroup.procs" ] && [ -z "$(cat "$X/base/w/cgroup.procs")" ] ||
	fail "w's cgroup after its stop: $(cat "$X/base/w/cgroup.procs" 2>&1)"
"$CTL" start w >/dev/null || fail "start w failed"
quit_daemon
[ -z "$(alive "^$S 7790")" ] || fail "w's process left after the shutdown"
[ ! -d "$X/base/w" ] || fail "w's cgroup is still there after the shutdown"

# A cgroup systemd delegated to cirqued: the daemon moves to <own>/.cirqued, the watchers beside it.
mkdir -p "$X/unit"
/usr/bin/python3 -c 'import os, sys; os.setxattr(sys.argv[1], "trusted.delegate", b"1")' "$X/unit" ||
	fail "test setup: cannot set trusted.delegate on $X/unit"
printf 'watchers:\n  w: {cmd: "%s 7791", graceful_timeout: 1s, ready: {delay: 0.1s}}\n' "$S" >"$CONF"
INVOCATION_ID=cirque-e2e start_daemon_unshared "echo \$\$ >$X/unit/cgroup.procs"
wait_for 5 '[ -n "$(alive "^$S 7791")" ]' || fail "w did not start"
[ "$(cgroup_of "$DPID")" = "${X#"$MNT"}/unit/.cirqued" ] || fail "cirqued is in $(cgroup_of "$DPID"), not ${X#"$MNT"}/unit/.cirqued"
[ "$(cgroup_of "$(alive "^$S 7791")")" = "${X#"$MNT"}/unit/w" ] || fail "w's process is in $(cgroup_of "$(alive "^$S 7791")")"
"$CTL" dstats | grep -qE "containment: cgroup $X/unit$" || fail "dstats: $("$CTL" dstats)"
quit_daemon
[ ! -d "$X/unit/w" ] || fail "w's cgroup is still there after the shutdown"
echo ok
