# cirquectl add/remove/get/set/reread/update/stats: watchers added and removed at run time, options
# read and changed (a count change or an option that does not affect the processes keeps the pids;
# an invalid value changes nothing), the file re-read (what would change) and applied, a broken
# file rejected with file:line:column errors.
. "$(dirname "$0")/lib.sh"

BASE=$(sleeper base); GROW=$(sleeper grow); GONE=$(sleeper gone); KEEP=$(sleeper keep)
EXTRA=$(sleeper extra); FRESH=$(sleeper fresh)
cat >"$CONF" <<YAML
watchers:
  base:
    cmd: $BASE 3600
  grow:
    cmd: $GROW 3600
  gone:
    cmd: $GONE 3600
  keep:
    cmd: $KEEP 3600
YAML
start_daemon
wait_count "$BASE" 1; wait_count "$GROW" 1; wait_count "$GONE" 1; wait_count "$KEEP" 1

run() { LAST="$*"; out=$("$CTL" "$@" 2>"$T/stderr"); rc=$?; err=$(cat "$T/stderr"); }
expect() {  # expect RC STDOUT
	[ "$rc" -eq "$1" ] && [ "$out" = "$2" ] ||
		fail "cirquectl $LAST: exit $rc, stdout '$out', stderr '$err'; expected exit $1, '$2'"
}
sorted() { echo "$1" | sort; }
broken=()  # checks of behaviour that is currently broken (see the report), reported at the end

# --- add / remove ---------------------------------------------------------------------------------
run add extra "$EXTRA" 3601 5; expect 0 "extra: added"
wait_count "$EXTRA 3601 5" 1
wait_for 10 '"$CTL" status extra | grep -q RUNNING' || fail "added watcher not RUNNING: $("$CTL" status extra)"
run add extra "$EXTRA" 1
[ "$rc" -eq 1 ] && echo "$out" | grep -q "^extra: ERROR" || fail "adding an existing name: exit $rc, '$out'"
[ "$(count_matching "$EXTRA")" -eq 1 ] || fail "adding an existing name changed its processes"
# usage error; soft check: under SANITIZE=1 cirquectl leaks here and LeakSanitizer makes it exit 1
run add lonely
[ "$rc" -eq 2 ] || broken+=("'cirquectl add lonely' (no command) exited $rc, expected 2 (usage): $(echo "$err" | grep -m1 Sanitizer || echo "$err" | head -n 1)")
run get extra numprocesses cmd args
[ "$rc" -eq 0 ] || fail "get extra: exit $rc ($err)"
[ "$(sorted "$out")" = "$(sorted "numprocesses: 1
cmd: $EXTRA
args: [\"3601\", \"5\"]")" ] || fail "get extra numprocesses cmd args: '$out'"
old=$(children_matching "$EXTRA")
run remove extra; expect 0 "extra: removed"
[ "$(count_matching "$EXTRA")" -eq 0 ] || fail "remove returned while the process still runs"
kill -0 "$old" 2>/dev/null && fail "removed watcher's pid $old still exists"
run status extra; [ "$rc" -eq 4 ] || fail "status of a removed watcher: exit $rc, expected 4"
run remove extra; expect 4 "extra: ERROR (no such process)"
grep -q "watcher extra: removed" "$DLOG" || fail "removal not logged"

# --- get ------------------------------------------------------------------------------------------
run get grow numprocesses cmd
[ "$rc" -eq 0 ] && [ "$(sorted "$out")" = "$(sorted "numprocesses: 1
cmd: $GROW 3600")" ] || fail "get grow numprocesses cmd: exit $rc, '$out'"
run get grow no_such_option
[ "$rc" -eq 1 ] && echo "$err" | grep -q no_such_option || fail "get of an unknown option: exit $rc, '$out' '$err'"
run get nosuch cmd; [ "$rc" -eq 4 ] || fail "get nosuch: exit $rc, expected 4"
run get grow; [ "$rc" -eq 0 ] && echo "$out" | grep -qx "numprocesses: [0-9]*" || fail "get without a key lists every option: exit $rc, $out"

# --- set: count change keeps the pids; options that do not touch the processes keep them -----------
grow1=$(children_matching "$GROW")
run set grow numprocesses 3; expect 0 "grow: numprocesses set to 3"
wait_count "$GROW" 3
children_matching "$GROW" | grep -qx "$grow1" || fail "set numprocesses restarted the first process"
run get grow numprocesses; expect 0 "numprocesses: 3"
grow_pids=$(children_matching "$GROW" | sort)
wait_for 10 '"$CTL" status grow >"$T/st" && ! grep -q STARTING "$T/st"' || fail "grow not all RUNNING: $("$CTL" status grow)"
spawned=$(log_count "grow\[.\]: spawned")
run set grow graceful_timeout 7; expect 0 "grow: graceful_timeout set to 7"
run get grow graceful_timeout
[ "$rc" -eq 0 ] && echo "$out" | grep -qxE "graceful_timeout: 7(\.0*)?" || fail "get graceful_timeout after set: '$out'"
[ "$(children_matching "$GROW" | sort)" = "$grow_pids" ] || fail "set graceful_timeout changed the pids"
run status grow; [ "$rc" -eq 0 ] || fail "set graceful_timeout disturbed grow: $out"
[ "$(log_count "grow\[.\]: spawned")" -eq "$spawned" ] || fail "set graceful_timeout spawned processes"
grep -q "watcher grow: stopping\|watcher grow: definition changed" "$DLOG" && fail "set graceful_timeout restarted grow"

# invalid values: an error, and nothing changes
run set grow numprocesses -1
[ "$rc" -eq 1 ] && echo "$err" | grep -q numprocesses || fail "set numprocesses -1: exit $rc, '$out' '$err'"
run set grow stop_signal BOGUS
[ "$rc" -eq 1 ] && echo "$err" | grep -q BOGUS || fail "set stop_signal BOGUS: exit $rc, '$out' '$err'"
run set grow numprocesses lots; [ "$rc" -eq 1 ] || fail "set numprocesses lots: exit $rc"
run set grow no_such_option 1; [ "$rc" -eq 1 ] || fail "set no_such_option: exit $rc"
run get grow numprocesses stop_signal graceful_timeout
[ "$(sorted "$out")" = "$(sorted "numprocesses: 3
stop_signal: 15
graceful_timeout: 7.0")" ] || [ "$(sorted "$out")" = "$(sorted "numprocesses: 3
stop_signal: 15
graceful_timeout: 7")" ] || fail "a rejected set changed options: '$out'"
[ "$(children_matching "$GROW" | sort)" = "$grow_pids" ] || fail "a rejected set changed the pids"
run set nosuch numprocesses 2; [ "$rc" -eq 4 ] || fail "set on an unknown watcher: exit $rc, expected 4"
run set grow numprocesses; [ "$rc" -eq 2 ] || fail "set without a value: exit $rc, expected 2"

# --- stats ---------------------------------------------------------------------------------------------
run stats grow
[ "$rc" -eq 0 ] || fail "stats grow: exit $rc ($err)"
[ "$(echo "$out" | head -n 1 | awk '{print $1, $2, $3}')" = "NAME WID PID" ] || fail "stats header: $out"
[ "$(echo "$out" | awk 'NR > 1 && $2 != "all" {print $3}' | sort)" = "$grow_pids" ] || fail "stats grow pids: $out"
echo "$out" | awk 'NR > 1 && $2 != "all"' | grep -vq "^grow .*$GROW 3600\$" && fail "stats grow lines: $out"
# With cgroups, a last row for the watcher's whole cgroup.
if grep -q "containment: cgroup v2" "$DLOG"; then
	echo "$out" | grep -Eq "^grow +all .* cgroup /.*/grow: $(echo "$grow_pids" | wc -l) processes, [0-9.]+ s of CPU\$" ||
		fail "no cgroup row in stats: $out"
fi
run stats
[ "$rc" -eq 0 ] || fail "stats: exit $rc"
[ "$(echo "$out" | awk 'NR > 1 && $2 != "all" {print $3}' | sort)" = "$(children | sort)" ] || fail "stats pids differ from /proc: $out"
run stats nosuch; [ "$rc" -eq 4 ] || fail "stats nosuch: exit $rc, expected 4"

# --- reread: what the file would change; update: apply it ---------------------------------------------
run reread; expect 0 "No config updates to processes
grow: runs with run-time changes to graceful_timeout, numprocesses (a reload keeps them; the file's definition is back when cirqued restarts)"   # grow was set, but the file did not change
keep_pid=$(children_matching "$KEEP")
before=$(children | sort)
cat >"$CONF" <<YAML
watchers:
  base:
    cmd: $BASE 3601
  grow:
    cmd: $GROW 3600
    numprocesses: 3
    graceful_timeout: 7
  keep:
    cmd: $KEEP 3600
  fresh:
    cmd: $FRESH 3600
YAML
run reread
[ "$rc" -eq 0 ] && [ "$(sorted "$out")" = "$(sorted "base: changed
fresh: available
gone: disappeared")" ] || fail "reread: exit $rc, '$out' ($err)"
[ "$(children | sort)" = "$before" ] || fail "reread changed the running processes"
run update
[ "$rc" -eq 0 ] && [ "$(sorted "$out")" = "$(sorted "base: updated
fresh: added
gone: stopped")" ] || fail "update: exit $rc, '$out' ($err)"
wait_count "$BASE 3601" 1; wait_count "$BASE 3600" 0; wait_count "$FRESH" 1; wait_count "$GONE" 0
[ "$(children_matching "$KEEP")" = "$keep_pid" ] || fail "update restarted the unchanged watcher"
[ "$(children_matching "$GROW" | sort)" = "$grow_pids" ] || fail "update restarted grow (same definition)"
run status gone; [ "$rc" -eq 4 ] || fail "status of a watcher gone from the file: exit $rc"
run reread; expect 0 "No config updates to processes"

# --- a broken file: errors with file:line:column, nothing changes ---------------------------------------
wait_for 10 '"$CTL" status >"$T/st" && ! grep -q STARTING "$T/st"' || fail "not all RUNNING before the broken reread: $("$CTL" status)"
cp "$CONF" "$T/good.yaml"
cat >"$CONF" <<YAML
watchers:
  keep:
    cmd: $KEEP 3600
    numprocesses: lots
    stop_signal: NOPE
YAML
before=$(children | sort)
run reread
[ "$rc" -eq 1 ] || fail "reread of a broken file: exit $rc, expected 1"
echo "$err" | grep -qF "$CONF:4:19: watchers.keep.numprocesses: must be an integer" ||
	fail "reread: numprocesses error not located: '$err'"
echo "$err" | grep -qF "$CONF:5:18: watchers.keep.stop_signal: unknown signal 'NOPE'" ||
	fail "reread: stop_signal error not located: '$err'"
run update
[ "$rc" -eq 1 ] && echo "$err" | grep -qF "$CONF:4:19:" || fail "update of a broken file: exit $rc, '$err'"
printf 'watchers:\n  keep: [\n' >"$CONF"
run reread
[ "$rc" -eq 1 ] && echo "$err" | grep -qE "^  $CONF:[0-9]+:[0-9]+: " || fail "reread of bad YAML: exit $rc, '$err'"
run status
[ "$rc" -eq 0 ] || fail "a rejected update disturbed the watchers: $out"
[ "$(children | sort)" = "$before" ] || fail "a rejected reread/update changed the running processes"
cp "$T/good.yaml" "$CONF"
run reread; expect 0 "No config updates to processes"

# --- checks of behaviour that is currently broken (see the report); collected, reported at the end ------
# After a decr, `set numprocesses N` must bring the count to N even when N is the configured value.
run decr grow; expect 0 "grow: 2 processes"
wait_count "$GROW" 2
run set grow numprocesses 3; expect 0 "grow: numprocesses set to 3"
if ! wait_for 5 '[ "$(count_matching "$GROW")" -eq 3 ]'; then
	run get grow numprocesses
	broken+=("after 'decr grow' (3 -> 2), 'set grow numprocesses 3' answered ok but $(count_matching "$GROW") processes run and get says '$out'")
fi

kill -0 "$DPID" || fail "daemon died"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
[ ${#broken[@]} -eq 0 ] || fail "$(printf '%s\n' "${broken[@]}")"
echo ok
