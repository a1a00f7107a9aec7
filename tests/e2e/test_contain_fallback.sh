# Containment without cgroups: the mode and its reason are said (the log at start, dstats) with
# `cgroup: off`, when the cgroup2 mount is read-only (access denied: the daemon runs in a mount
# namespace of its own) and when none is mounted; and the fallback holds its promise: what a
# watcher's processes left behind (setsid'd, double-forked, ignoring SIGTERM; found by process
# group, session or CIRQUE_WATCHER) is gone once stop has returned, and shown as strays meanwhile.
. "$(dirname "$0")/lib.sh"

F=$(sleeper forker); B=$(sleeper family); L=$(sleeper leaver); POLITE=$(polite_stray)
# write_conf 'DAEMON SECTION' [FAMILY'S GRACEFUL_TIMEOUT]
write_conf() {
	cat >"$CONF" <<YAML
$1
watchers:
  forker:    # a setsid'd child that forks and exits, a double fork, then the program
    cmd: /bin/sh -c '(setsid /bin/sh -c "$F 7771 & exit" &); ($F 7772 &); exec $F 7773'
    graceful_timeout: 1s
  family:    # children that outlive the shell: in its group, setsid'd, ignoring SIGTERM, polite
    cmd: /bin/sh -c '$B 7780 & setsid $B 7781 & (trap "" TERM; exec $B 7782) & $POLITE family & wait'
    graceful_timeout: ${2:-1s}
  leaver:    # its child is left behind when it is killed
    cmd: /bin/sh -c 'setsid $L 7776 & exec $L 7777'
    ready: {delay: 0.1s}
    min_uptime: 0
    graceful_timeout: 1s
YAML
}
# mode_is REASON: the log's and dstats' containment lines say process groups, for a reason that
# matches REASON (an extended regex, ignoring case).
mode_is() {
	reason=$1
	wait_for 10 'grep -F "containment: process groups and subreaper only" "$DLOG" | grep -qiE -- "$reason"' ||
		fail "no 'containment: process groups and subreaper only ... $reason' in the log"
	"$CTL" dstats | grep -F "containment: process groups (no cgroup: " | grep -qiE -- "$reason" ||
		fail "dstats does not say 'containment: process groups (no cgroup: ...$reason...)': $("$CTL" dstats)"
}
started() {
	wait_for 10 'all_alive "^$F 7771" "^$F 7772" "^$F 7773" "^$B 7780" "^$B 7781" "^$B 7782" "^$L 7776" "^$L 7777"' ||
		fail "not every process started"
	for p in $(procs_matching "^$F 77"); do
		[ "$(cgroup_of "$p")" = "$(cgroup_of "$DPID")" ] || fail "pid $p in $(cgroup_of "$p"), not the daemon's cgroup"
	done
	[ -z "$MNT" ] || [ ! -e "$MNT/cirque-$DPID" ] || fail "$MNT/cirque-$DPID was made"
}
# gone_after_stop NAME MARKER: stop NAME; no process with MARKER once it has returned.
gone_after_stop() {
	"$CTL" stop "$1" >/dev/null || fail "stop $1 failed"
	[ -z "$(procs_matching "$2")" ] || fail "$1's processes left after stop: $(procs_matching "$2" | tr '\n' ' ')"
	[ -z "$(stray_desc "$1")" ] || fail "a stray line for $1 after its stop: $("$CTL" status)"
}

# cgroup: off.
MNT=$(cgroup2_mount)
write_conf 'cirque: {cgroup: off}' 0.3s  # (its polite child is not looked at here)
start_daemon
mode_is "cgroup: off in the configuration"
started
has_env "$(procs_matching "^$F 7773")" CIRQUE_WATCHER=forker || fail "no CIRQUE_WATCHER=forker in the program's environment"
has_env "$(procs_matching "^$F 7773")" CIRQUE_WID=1 || fail "no CIRQUE_WID=1 in the program's environment"
gone_after_stop forker "^$F 77"
"$CTL" quit >/dev/null || fail "quit failed"
[ -z "$(procs_matching "^$B 77")" ] && [ -z "$(procs_matching "^$L 77")" ] || fail "processes left after quit: $(procs_matching "^$T/")"
wait_for 10 '! kill -0 $DPID 2>/dev/null' || fail "daemon did not exit"
wait "$DPID"
DPID=""

if [ -z "$MNT" ] || [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
	note "skipped the read-only and unmounted cgroup2 cases: needs root, unshare and cgroup2 (mount: ${MNT:-none})"
	echo ok
	exit 0
fi

# The cgroup2 mount read-only (the default cgroup: auto): the fallback, and all it promises.
write_conf ''
: >"$DLOG"  # start_daemon waits for this daemon's "starting" line, not the last one's
start_daemon_unshared "mount -o remount,bind,ro $MNT"
awk -v m="$MNT" '$5 == m && $6 ~ /^ro/' "/proc/$DPID/mountinfo" | grep -q . ||
	fail "test setup: $MNT is not read-only for the daemon: $(grep cgroup2 "/proc/$DPID/mountinfo")"
mode_is "$MNT.*read-only"
started
# Strays: forker's setsid'd and double-forked sleeps, left behind at once.
want=$(strays_text $(procs_matching "^$F 7771") $(procs_matching "^$F 7772"))
wait_for 10 '[ "$(stray_desc forker)" = "$want" ]' || fail "forker's stray line: '$(stray_desc forker)', want '$want'"
# Killing leaver's program leaves its setsid'd child: a stray, not counted; it respawns.
wait_for 10 '"$CTL" status leaver | grep -qE "^leaver(:1)? +RUNNING"' || fail "leaver not running: $("$CTL" status)"
old=$(procs_matching "^$L 7777")
stray=$(children "$old")
[ -n "$stray" ] || fail "leaver's child is not its program's child"
kill -9 "$old"
wait_for 10 'new=$(procs_matching "^$L 7777"); [ -n "$new" ] && [ "$new" != "$old" ]' || fail "leaver did not respawn"
wait_for 10 '[ "$(stray_desc leaver)" = "1 process left behind: pid $stray" ]' ||
	fail "leaver's stray line: '$(stray_desc leaver)', want pid $stray; status: $("$CTL" status)"
[ "$("$CTL" --json status | json_eval 'd["strays"]["leaver"]')" = "[$stray]" ] || fail "--json status: strays: $("$CTL" --json status)"
[ "$("$CTL" --json status | json_eval '[p["pid"] for p in d["processes"]["leaver"]]')" = "[$new]" ] ||
	fail "leaver's processes are not [$new] (a stray counted?)"
# stop: nothing left once it has returned, the child ignoring SIGTERM included.
gone_after_stop forker "^$F 77"
gone_after_stop family "^$B 77"
grep -qx "TERM family" "$T/got-term" 2>/dev/null || fail "family's polite child did not get SIGTERM at the stop"
[ -z "$(procs_matching "^/bin/sh $POLITE")$(procs_matching "^$T/polite-child")" ] || fail "family's polite child left after stop"
"$CTL" restart leaver >/dev/null || fail "restart leaver failed"
gone "$stray" || fail "leaver's stray $stray survived the restart"
[ -z "$(stray_desc leaver)" ] || fail "a stray line after the restart: $("$CTL" status)"
# remove: its strays too.
wait_for 10 '[ -n "$(children "$(procs_matching "^$L 7777")")" ]' || fail "leaver's child did not start"
stray=$(children "$(procs_matching "^$L 7777")")
kill -9 "$(procs_matching "^$L 7777")"
wait_for 10 '[ -n "$(stray_desc leaver)" ]' || fail "no stray line for leaver"
"$CTL" remove leaver >/dev/null || fail "remove leaver failed"
gone "$stray" && [ -z "$(procs_matching "^$L 77")" ] || fail "leaver's processes left after remove: $(procs_matching "^$L 77" | tr '\n' ' ')"
stop_daemon TERM 20
[ -z "$(procs_matching "^$T/")" ] || fail "processes left after the shutdown: $(procs_matching "^$T/" | tr '\n' ' ')"

# No cgroup2 mounted at all.
printf 'watchers:\n  w: {cmd: "%s 7790"}\n' "$F" >"$CONF"
: >"$DLOG"
start_daemon_unshared "umount -l $MNT"
grep -q cgroup2 "/proc/$DPID/mountinfo" && fail "test setup: cgroup2 still mounted for the daemon"
mode_is "no cgroup2|not mounted"
stop_daemon TERM 20
echo ok
