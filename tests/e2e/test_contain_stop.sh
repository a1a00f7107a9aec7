# Containment with cgroups (cgroup: auto, cirqued in the root cgroup): every process of a watcher
# starts in <cgroup2 mount>/cirque-<daemon pid>/<watcher>, with CIRQUE_WATCHER and CIRQUE_WID; a
# stop leaves nothing behind, setsid or double fork: what the program left gets its stop_signal,
# and what ignores it is ended with the cgroup at graceful_timeout; what a watcher's processes
# leave behind while it runs is a stray: shown by status, not counted as a process; restart, rm,
# reload and shutdown leave nothing, and remove the cgroups.
. "$(dirname "$0")/lib.sh"

MNT=$(cgroup2_mount)
if [ -z "$MNT" ] || [ "$(id -u)" != 0 ] || [ "$(cgroup_of $$)" != / ] || [ ! -w "$MNT" ]; then
	note "skipped: needs root in the root cgroup of a writable cgroup2 (mount: ${MNT:-none}, cgroup: $(cgroup_of $$))"
	echo ok
	exit 0
fi
P=$(sleeper plain); F=$(sleeper forker); B=$(sleeper stubborn); L=$(sleeper leaver); POLITE=$(polite_stray)
LEAVER="  leaver:    # its child is left behind each time it is killed; it notes what it finds at start
    cmd: /bin/sh -c 'pgrep -f \"^$L 7776\" >$T/seen.\$\$; setsid $L 7776 & exec $L 7777'
    ready: {delay: 0.1s}
    min_uptime: 0
    graceful_timeout: 1s"
cat >"$CONF" <<YAML
watchers:
  plain:     # notes its cgroup first thing
    cmd: /bin/sh -c 'cat /proc/self/cgroup >$T/first.\$\$; exec $P 7770'
    numprocesses: 2
  forker:    # a setsid'd child that forks and exits, a double fork, then the program
    cmd: /bin/sh -c '(setsid /bin/sh -c "$F 7771 & exit" &); ($F 7772 &); exec $F 7773'
    graceful_timeout: 1s
  stubborn:  # its child, in a session of its own, ignores SIGTERM
    cmd: /bin/sh -c '(trap "" TERM; exec setsid $B 7774) & exec $B 7775'
    graceful_timeout: 1s
  polite:    # its child waits for the stop signal, which it is sent once the program is gone
    cmd: /bin/sh -c '$POLITE polite & exec $P 7778'
    stop_signal: USR1
    graceful_timeout: 3s
$LEAVER
YAML
start_daemon
BASE="$MNT/cirque-$DPID"
# A failed check leaves no cgroup behind on the host.
trap 'rc=$?; [ -z "$DPID" ] || { kill -QUIT $DPID; wait_for 10 "! kill -0 $DPID 2>/dev/null"; }; remove_cgroup_tree "$BASE"; (exit $rc); cleanup' EXIT
wait_for 10 'grep -F "containment: cgroup v2" "$DLOG" | grep -qF "$BASE"' ||
	fail "no 'containment: cgroup v2 ... $BASE' line in the log"
"$CTL" dstats | grep -qF "containment: cgroup $BASE" || fail "dstats: $("$CTL" dstats)"
wait_for 10 'all_alive "^$P 7770" "^$F 7771" "^$F 7772" "^$F 7773" "^$B 7774" "^$B 7775" "^$L 7776" "^$L 7777"' ||
	fail "not every process started"

# Each process is in its watcher's cgroup from the start, forked, setsid'd or not.
[ "$(procs_matching "^$P 7770" | wc -l)" = 2 ] || fail "plain: $(procs_matching "^$P 7770" | wc -l) processes"
for p in $(procs_matching "^$P 7770"); do
	[ "$(cgroup_of "$p")" = "/cirque-$DPID/plain" ] || fail "plain's pid $p is in $(cgroup_of "$p")"
	grep -qx "0::/cirque-$DPID/plain" "$T/first.$p" || fail "plain's pid $p did not start in its cgroup: $(cat "$T/first.$p")"
	has_env "$p" CIRQUE_WATCHER=plain || fail "pid $p: no CIRQUE_WATCHER=plain: $(proc_env "$p" | grep CIRQUE)"
done
wids=$(for p in $(procs_matching "^$P 7770"); do proc_env "$p" | sed -n 's/^CIRQUE_WID=//p'; done | sort | tr '\n' ' ')
[ "$wids" = "1 2 " ] || fail "plain's CIRQUE_WID values: '$wids'"
for w in "forker:$F" "stubborn:$B" "leaver:$L"; do
	name=${w%%:*}; m=${w#*:}
	for p in $(procs_matching "^$m 77"); do
		[ "$(cgroup_of "$p")" = "/cirque-$DPID/$name" ] || fail "$name's pid $p is in $(cgroup_of "$p")"
	done
	wait_for 10 '[ "$(sort -n "$BASE/$name/cgroup.procs" 2>/dev/null | tr "\n" " ")" = "$(procs_matching "^$m 77" | sort -n | tr "\n" " ")" ]' ||
		fail "$BASE/$name/cgroup.procs: $(tr "\n" " " <"$BASE/$name/cgroup.procs" 2>/dev/null), processes $(procs_matching "^$m 77" | tr '\n' ' ')"
done

# Strays: forker's setsid'd and double-forked sleeps were left behind at once.
want=$(strays_text $(procs_matching "^$F 7771") $(procs_matching "^$F 7772"))
wait_for 10 '[ "$(stray_desc forker)" = "$want" ]' || fail "forker's stray line: '$(stray_desc forker)', want '$want'"
# Killing leaver's program leaves its child behind: a stray, not counted; the program respawns.
strays=""
for round in 1 2; do
	wait_for 10 '"$CTL" status leaver | grep -qE "^leaver(:1)? +RUNNING"' || fail "leaver not running: $("$CTL" status)"
	old=$(procs_matching "^$L 7777")
	wait_for 10 '[ -n "$(children "$old")" ]' || fail "leaver's child did not start"
	strays="$strays $(children "$old")"
	kill -9 "$old"
	wait_for 10 'new=$(procs_matching "^$L 7777"); [ -n "$new" ] && [ "$new" != "$old" ]' || fail "leaver did not respawn"
	want=$(strays_text $strays)
	wait_for 10 '[ "$(stray_desc leaver)" = "$want" ]' ||
		fail "round $round: leaver's stray line: '$(stray_desc leaver)', want '$want'; status: $("$CTL" status)"
	got=$("$CTL" --json status | json_eval '" ".join(str(p) for p in sorted(d["strays"]["leaver"]))')
	[ "$got" = "$(echo $strays | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//')" ] ||
		fail "--json status: strays of leaver: '$got', want '$strays'"
	procs=$("$CTL" --json status | json_eval '[p["pid"] for p in d["processes"]["leaver"]]')
	[ "$procs" = "[$new]" ] || fail "leaver's processes: $procs, want [$new] (a stray counted?)"
done
[ "$("$CTL" numprocesses leaver)" = 1 ] || fail "numprocesses leaver: $("$CTL" numprocesses leaver)"

# stop: nothing is left once it has returned, the cgroup is empty.
"$CTL" stop forker >/dev/null || fail "stop forker failed"
[ -z "$(procs_matching "^$F 77")" ] || fail "forker's processes left after stop: $(procs_matching "^$F 77" | tr '\n' ' ')"
[ -z "$(cat "$BASE/forker/cgroup.procs" 2>/dev/null)" ] && [ -e "$BASE/forker/cgroup.procs" ] || fail "forker's cgroup not empty: $(cat "$BASE/forker/cgroup.procs" 2>&1)"
[ -z "$(stray_desc forker)" ] || fail "a stray line after the stop: $("$CTL" status)"
# The SIGTERM-ignoring child is ended at graceful_timeout (cgroup.kill).
stubborn_child=$(procs_matching "^$B 7774")
"$CTL" stop stubborn >/dev/null || fail "stop stubborn failed"
gone "$stubborn_child" || fail "the SIGTERM-ignoring child $stubborn_child survived the stop"
[ -z "$(procs_matching "^$B 77")" ] || fail "stubborn's processes left after stop: $(procs_matching "^$B 77" | tr '\n' ' ')"
[ -z "$(cat "$BASE/stubborn/cgroup.procs" 2>/dev/null)" ] && [ -e "$BASE/stubborn/cgroup.procs" ] || fail "stubborn's cgroup not empty"

# What the program leaves behind gets the stop signal first (SIGKILL only at graceful_timeout).
wait_for 10 '[ -n "$(procs_matching "^/bin/sh $POLITE polite")" ]' || fail "polite's child did not start"
"$CTL" stop polite >/dev/null || fail "stop polite failed"
grep -qx "USR1 polite" "$T/got-term" 2>/dev/null || fail "polite's child did not get the stop signal (USR1): $(cat "$T/got-term" 2>&1)"
[ -z "$(procs_matching "^$P 7778")$(procs_matching "^/bin/sh $POLITE")$(procs_matching "^$T/polite-child")" ] || fail "polite's processes left after stop"

# restart: the old strays are gone once it has returned; the new program and its child run.
"$CTL" restart leaver >/dev/null || fail "restart leaver failed"
for p in $strays; do gone "$p" || fail "leaver's stray $p survived the restart"; done
wait_for 10 'new=$(procs_matching "^$L 7777"); [ -n "$new" ]' || fail "leaver not running after restart"
wait_for 10 '[ -e "$T/seen.$new" ]' || fail "leaver's new program did not start as expected"
[ ! -s "$T/seen.$new" ] || fail "the old strays were still there when the new program started: $(cat "$T/seen.$new")"
wait_for 10 '[ -n "$(procs_matching "^$L 7776")" ]' || fail "leaver's new child did not start"
[ -z "$(stray_desc leaver)" ] || fail "a stray line after the restart: $("$CTL" status)"

# remove (rm) of a running watcher and of a stopped one, a reload without one: their cgroups go.
"$CTL" remove plain >/dev/null || fail "remove plain failed"
[ -z "$(procs_matching "^$P 7770")" ] || fail "plain's processes left after remove"
"$CTL" remove forker >/dev/null || fail "remove forker failed"
wait_for 10 '[ ! -d "$BASE/plain" ] && [ ! -d "$BASE/forker" ]' || fail "remove left cgroups: $(ls "$BASE")"
printf 'watchers:\n%s\n' "$LEAVER" >"$CONF"
kill -HUP "$DPID"
wait_for 10 '[ ! -d "$BASE/stubborn" ]' || fail "a reload without stubborn left its cgroup: $(ls "$BASE")"
[ -d "$BASE/leaver" ] || fail "leaver's cgroup went away"

# Shutdown: a stray and the running program are gone once quit has returned; so is the base.
kill -9 "$(procs_matching "^$L 7777")"
wait_for 10 '[ -n "$(stray_desc leaver)" ]' || fail "no stray before the shutdown"
"$CTL" quit >/dev/null || fail "quit failed"
[ -z "$(procs_matching "^$L 77")" ] || fail "leaver's processes left after quit: $(procs_matching "^$L 77" | tr '\n' ' ')"
wait_for 10 '! kill -0 $DPID 2>/dev/null' || fail "daemon did not exit"
wait "$DPID"
DPID=""
[ ! -d "$BASE" ] || fail "the base cgroup $BASE is still there: $(ls "$BASE")"
echo ok
