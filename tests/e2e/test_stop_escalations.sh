# SIGKILL at graceful_timeout for many processes at once is said in a few lines, not one per
# process: the first with its wid and pid at once, then "N more processes were ..." with a few
# pids (after the fact: their reaps may be logged before it).
# The counts add up to every process the stop had to kill, and none is left.
. "$(dirname "$0")/lib.sh"

S=$(sleeper many)
cat >"$CONF" <<YAML
watchers:
  many:
    # An ignored signal stays ignored through exec: each sleep ignores SIGTERM.
    cmd: /bin/sh -c 'trap "" TERM; exec $S 3600'
    numprocesses: 40
    graceful_timeout: 1s
YAML
start_daemon
wait_count "$S" 40
out=$("$CTL" stop many) || fail "cirquectl stop many: $out"
[ "$(count_matching "$S")" -eq 0 ] || fail "$(count_matching "$S") processes left after the stop"
wait_for 5 'grep -q "more process.* were still running after graceful_timeout 1s: sent SIGKILL" "$DLOG"' ||
	fail "no summary line: $(grep -c 'sending SIGKILL' "$DLOG") lines say SIGKILL"
lines=$(grep -cE "still running after graceful_timeout 1s(, sending|: sent) SIGKILL" "$DLOG")
[ "$lines" -le 4 ] || fail "$lines lines for 40 escalations"
grep -q "watcher many\[[0-9]*\]: pid [0-9]* still running after graceful_timeout 1s, sending SIGKILL" "$DLOG" ||
	fail "the first escalation is not said with its wid and pid"
total=$(grep -E 'sending SIGKILL|sent SIGKILL' "$DLOG" | sed -n 's/.*: \([0-9]*\) more process.* still running.*/\1/p;t;s/.*/1/p' | awk '{ n += $1 } END { print n + 0 }')
[ "$total" -eq 40 ] || fail "the lines count $total escalations, not 40: $(grep 'sending SIGKILL' "$DLOG")"
grep -q "more processes were still running after graceful_timeout 1s: sent SIGKILL (pids [0-9]*, [0-9]*, [0-9]*, [0-9]*, \.\.\.)" "$DLOG" ||
	fail "the summary does not show its first pids: $(grep 'more process' "$DLOG")"
stop_daemon TERM
echo ok
