# SIGHUP reloads: added watchers start, removed ones stop, changed ones restart (new pids),
# unchanged ones keep their pids, a count change keeps the existing processes; a broken file is
# rejected with its errors and the running configuration is kept.
. "$(dirname "$0")/lib.sh"

K=$(sleeper keep); C=$(sleeper change); R=$(sleeper remove); N=$(sleeper new); G=$(sleeper grow)
cat >"$CONF" <<YAML
watchers:
  keep:
    cmd: $K 3600
    numprocesses: 2
  change:
    cmd: $C 3600
  remove:
    cmd: $R 3600
  grow:
    cmd: $G 3600
    numprocesses: 2
YAML
start_daemon
wait_count "$K" 2; wait_count "$C" 1; wait_count "$R" 1; wait_count "$G" 2
keep_pids=$(children_matching "$K" | sort)
change_pid=$(children_matching "$C")
grow_pids=$(children_matching "$G" | sort)

cat >"$CONF" <<YAML
watchers:
  keep:
    cmd: $K 3600
    numprocesses: 2
  change:
    cmd: $C 3601
  grow:
    cmd: $G 3600
    numprocesses: 4
  new:
    cmd: $N 3600
YAML
kill -HUP "$DPID"
wait_for 10 'grep -q "reload complete" "$DLOG"' || fail "reload did not complete"
wait_count "$N" 1
wait_count "$R" 0
wait_count "$C 3601" 1
wait_count "$G" 4
[ "$(children_matching "$K" | sort)" = "$keep_pids" ] || fail "unchanged watcher was restarted"
[ -z "$(children_matching "$C 3600")" ] || fail "old 'change' process still running"
kill -0 "$change_pid" 2>/dev/null && fail "old 'change' pid $change_pid still alive"
for p in $grow_pids; do
	children_matching "$G" | grep -qx "$p" || fail "numprocesses change restarted pid $p"
done

# A broken file: errors logged with their location, nothing changes.
cat >"$CONF" <<YAML
watchers:
  keep:
    cmd: $K 3600
    numprocesses: lots
YAML
before=$(children | sort)
kill -HUP "$DPID"
wait_for 10 'grep -q "reload failed" "$DLOG"' || fail "broken reload not reported"
grep -q "$CONF:4:19: watchers.keep.numprocesses: must be an integer" "$DLOG" || fail "error location not logged"
sleep 1.5  # anything a bad reload would have stopped or started would show by now
[ "$(children | sort)" = "$before" ] || fail "a failed reload changed the running processes"

# Shrinking the count stops the highest worker ids, keeps the others.
cat >"$CONF" <<YAML
watchers:
  keep:
    cmd: $K 3600
    numprocesses: 1
  change:
    cmd: $C 3601
  grow:
    cmd: $G 3600
    numprocesses: 4
  new:
    cmd: $N 3600
YAML
kill -HUP "$DPID"
wait_count "$K" 1
[ "$(log_count 'reload complete')" -eq 2 ] || fail "second good reload not complete"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
echo ok
