# A re-exec (cirquectl reexec) keeps the output of running children whole: a child writing lines
# without pause, some in two writes (a partial line across the exec is continued, not cut),
# finds each line once in its log file, in order, none lost or doubled; `tail` after the exec
# shows the lines from before it and after it as one run; the line counts carry over.
. "$(dirname "$0")/lib.sh"

cat >"$T/count.sh" <<'SH'
i=0
while :; do
	i=$((i + 1))
	printf '%d-' "$i"
	[ $((i % 20)) = 0 ] && sleep 0.01
	printf 'x\n'
done
SH
cat >"$CONF" <<YAML
watchers:
  count:
    cmd: /bin/sh $T/count.sh
    stdout: {file: $T/count.log}
    stderr: null
YAML
start_daemon

lines() { wc -l <"$T/count.log" 2>/dev/null || echo 0; }
# Every line "N-x", N counting up from the first: nothing lost, doubled or cut. The last may be
# "N-" alone: the child stopped between its two writes, and its last words are a line.
consecutive() {
	awk -F- 'NR == 1 { first = $1 }
		NR > 1 && cut { print "line " NR - 1 ": " prev; bad = 1; exit }
		$1 != first + NR - 1 || ($2 != "x" && $2 != "") { print "line " NR ": " $0; bad = 1; exit }
		{ cut = $2 != "x"; prev = $0 }
		END { exit bad }' "$1"
}

wait_for 10 '[ "$(lines)" -gt 300 ]' || fail "the child's lines do not reach its log file"
pid=$("$CTL" pid count 2>/dev/null | head -n 1)
"$CTL" reexec >"$T/reexec.out" 2>&1 || { cat "$T/reexec.out" >&2; fail "cirquectl reexec failed"; }
kill -0 "$DPID" 2>/dev/null || fail "the daemon is gone"
wait_for 10 'grep -qs "resumed from" "$DLOG"' || fail "the daemon did not resume"
before=$(lines)
note "$(log_count "re-exec: executing") re-exec(s), at line $before"
wait_for 10 '[ "$(lines)" -gt $((before + 300)) ]' || fail "no output reaches the file after the re-exec"
[ -n "$pid" ] && [ "$("$CTL" pid count | head -n 1)" = "$pid" ] || fail "the child was replaced"

"$CTL" tail -n 100000 count >"$T/tail.out" || fail "tail fails after the re-exec"
"$CTL" stop count >/dev/null || fail "cannot stop count"
wait_for 10 '[ -z "$(children_matching count.sh)" ]' || fail "count did not stop"
[ "$(head -n 1 "$T/count.log")" = 1-x ] || fail "the log file does not begin with the first line"
bad=$(consecutive "$T/count.log") || fail "the log file after a re-exec: $bad"
note "$(lines) lines in the file, each once, in order"
first=$(head -n 1 "$T/tail.out" | cut -d- -f1)
[ "$first" -lt "$before" ] || fail "tail has nothing from before the re-exec (from line $first)"
bad=$(consecutive "$T/tail.out") || fail "tail after a re-exec: $bad"
note "tail: lines $first to $(tail -n 1 "$T/tail.out" | cut -d- -f1), before and after the exec"
exit 0
