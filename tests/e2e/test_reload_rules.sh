# Reload and run-time changes: a watcher whose definition in the file did not change since the
# last load is not touched by a reload (a `set` option and an `incr` stay, same pids); one whose
# definition changed gets the file's definition whole, and `reread` names beforehand the
# run-time changes that reload undoes.
. "$(dirname "$0")/lib.sh"

APP=$(sleeper app); OTHER=$(sleeper other)
write_conf() {  # write_conf GRACEFUL_TIMEOUT_OF_OTHER
	cat >"$CONF" <<YAML
watchers:
  app:
    cmd: $APP 3600
    graceful_timeout: 2
    ready: {delay: 0}
  other:
    cmd: $OTHER 3600
    graceful_timeout: $1
    ready: {delay: 0}
YAML
}
write_conf 2
start_daemon
wait_count "$APP" 1; wait_count "$OTHER" 1

"$CTL" set app graceful_timeout 7 >/dev/null || fail "set graceful_timeout"
"$CTL" incr app >/dev/null || fail "incr"
wait_count "$APP" 2
app_pids=$(children_matching "$APP" | sort)
other_pid=$(children_matching "$OTHER")

# The file did not change: nothing to do, and a reload keeps the run-time changes.
out=$("$CTL" reread) || fail "reread: $out"
[ "$out" = "No config updates to processes
app: runs with run-time changes to graceful_timeout, numprocesses (a reload keeps them; the file's definition is back when cirqued restarts)" ] || fail "reread with an unchanged file (it names the run-time changes a reload keeps): '$out'"
out=$("$CTL" update) || fail "update: $out"   # reread, then reloadconfig: a reload all the same
[ "$out" = "No config updates to processes" ] || fail "update with an unchanged file: '$out'"
[ "$(log_count "reload complete")" = 1 ] || fail "update did not reload"

[ "$(children_matching "$APP" | sort)" = "$app_pids" ] || fail "a reload of an unchanged file restarted app"
out=$("$CTL" get app graceful_timeout numprocesses)
echo "$out" | grep -qxE "graceful_timeout: 7(\.0*)?" && echo "$out" | grep -qx "numprocesses: 2" ||
	fail "a reload of an unchanged file undid the run-time changes: '$out'"

# Another watcher's definition changes: app stays as it is, other gets the file's definition.
write_conf 3
out=$("$CTL" reread) || fail "reread: $out"
[ "$out" = "other: changed
app: runs with run-time changes to graceful_timeout, numprocesses (a reload keeps them; the file's definition is back when cirqued restarts)" ] || fail "reread after changing other: '$out'"
"$CTL" update >/dev/null || fail "update"
[ "$(children_matching "$APP" | sort)" = "$app_pids" ] || fail "changing other restarted app"
"$CTL" get other graceful_timeout | grep -qxE "graceful_timeout: 3(\.0*)?" ||
	fail "other did not get the file's graceful_timeout: $("$CTL" get other graceful_timeout)"
"$CTL" get app graceful_timeout | grep -qxE "graceful_timeout: 7(\.0*)?" || fail "app lost its set value"
children_matching "$OTHER" | grep -qx "$other_pid" || fail "an in-place option change restarted other"

# app's definition changes in the file: reread names the run-time changes, then the file wins.
sed -i "s|cmd: $APP 3600|cmd: $APP 3601|" "$CONF"
out=$("$CTL" reread) || fail "reread: $out"
[ "$out" = "app: changed
app: a reload undoes its run-time changes to graceful_timeout, numprocesses" ] ||
	fail "reread did not list the run-time changes a reload undoes: '$out'"
"$CTL" update >/dev/null || fail "update"
wait_count "$APP 3601" 1 20; wait_count "$APP 3600" 0 20
out=$("$CTL" get app graceful_timeout numprocesses)
echo "$out" | grep -qxE "graceful_timeout: 2(\.0*)?" && echo "$out" | grep -qx "numprocesses: 1" ||
	fail "the changed file did not win: '$out'"
out=$("$CTL" reread); [ "$out" = "No config updates to processes" ] || fail "reread after update: '$out'"

# A setting only a restart applies (the control socket's endpoint): a reload keeps the one in
# force, says so, and globaloptions shows the one in use.
before=$("$CTL" globaloptions endpoint)
{ printf 'cirque:\n  endpoint: ipc://%s/elsewhere.sock\n' "$T"; cat "$CONF"; } >"$CONF.new" && mv "$CONF.new" "$CONF"
"$CTL" update >/dev/null || fail "update with a new endpoint"
grep -q "reload: cirque.endpoint changed (default -> ipc://$T/elsewhere.sock): it applies when cirqued restarts" "$DLOG" ||
	fail "the kept endpoint is not said: $(grep reload: "$DLOG" | tail -n 2)"
[ "$("$CTL" globaloptions endpoint)" = "$before" ] || fail "globaloptions shows an endpoint not in use: $("$CTL" globaloptions endpoint)"
stop_daemon TERM
[ "$DSTATUS" = 0 ] || fail "exit status $DSTATUS"
echo ok
