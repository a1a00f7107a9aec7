# Last words are kept: a child that traps SIGTERM and prints before exiting has those lines in its
# files after `cirquectl stop` and after the daemon's own shutdown (SIGTERM), even when they are
# more than a pipe buffer holds; a final line without a newline is written as a line, whether the
# child exits on its own, is stopped, or the daemon shuts down.
. "$(dirname "$0")/lib.sh"

# On TERM: 20000 numbered lines (about 250 kB: several pipe buffers, so the daemon must keep
# reading while the child is stopping), one line to stderr, then a last line without newline.
# Each start is a new round (1, 2, ...), counted in a file.
cat >"$T/talker.sh" <<'SH'
round=$(( $(cat "$1" 2>/dev/null || echo 0) + 1 ))
echo $round >"$1"
bye() {
	echo "last words $round: begin"
	seq -f "last words $round: %g" 1 20000
	echo "last words $round: on stderr" >&2
	printf "last words $round: no newline"
	exit 0
}
trap bye TERM
echo "talker $round up"
while :; do sleep 0.1; done
SH
# Exits by itself after a line without newline.
cat >"$T/partial.sh" <<'SH'
printf 'first line\nthe final line without newline'
sleep 0.3
exit 0
SH
# Never exits by itself; its unterminated line is only complete at EOF (daemon shutdown).
cat >"$T/hanging.sh" <<'SH'
printf 'hanging: complete line\nhanging: unterminated'
exec sleep 3600
SH
cat >"$CONF" <<YAML
watchers:
  talker:
    cmd: /bin/sh $T/talker.sh $T/rounds
    stdout: {file: $T/talker.log}
    stderr: {file: $T/talker.err}
    graceful_timeout: 30s
  partial:
    cmd: /bin/sh $T/partial.sh
    respawn: false
    stdout: {file: $T/partial.log}
  hanging:
    cmd: /bin/sh $T/hanging.sh
    stdout: {file: $T/hanging.log}
YAML
start_daemon

# check_round ROUND: talker.log holds round ROUND's words, all of them, in order.
check_round() {
	local r=$1
	grep -qx "last words $r: begin" "$T/talker.log" || fail "round $r: no 'begin' line in talker.log"
	sed -n "/^last words $r: begin\$/,/^last words $r: no newline\$/p" "$T/talker.log" >"$T/round$r"
	{ echo "last words $r: begin"; seq -f "last words $r: %g" 1 20000; echo "last words $r: no newline"; } |
		cmp -s - "$T/round$r" ||
		fail "round $r: talker.log does not hold the 20002 last lines in order ($(wc -l <"$T/round$r") found)"
	grep -qx "last words $r: on stderr" "$T/talker.err" || fail "round $r: stderr's last line missing"
}

# --- 1. cirquectl stop ---
wait_for 10 'grep -qx "talker 1 up" "$T/talker.log" 2>/dev/null' || fail "talker did not start"
pid=$(children_matching "talker.sh")
"$CTL" stop talker >"$T/stop.out" 2>&1 || fail "cirquectl stop failed: $(cat "$T/stop.out")"
kill -0 "$pid" 2>/dev/null && fail "talker $pid still running after stop returned"
# Once stop has answered the process is gone; its words follow within moments.
wait_for 10 'grep -qx "last words 1: no newline" "$T/talker.log"' ||
	fail "after stop: the last line (without newline) is not in talker.log: $(tail -n 2 "$T/talker.log")"
check_round 1
grep -q "talker.*SIGKILL" "$DLOG" && fail "talker was killed instead of exiting on TERM"

# --- 2. a line without newline, then the process exits on its own ---
wait_for 10 'grep -qx "the final line without newline" "$T/partial.log" 2>/dev/null' ||
	fail "partial.log lacks the final line without newline: $(cat "$T/partial.log" 2>/dev/null)"
[ "$(cat "$T/partial.log")" = "$(printf 'first line\nthe final line without newline')" ] ||
	fail "partial.log: $(cat "$T/partial.log")"

# --- 3. daemon shutdown (SIGTERM): the talker says its last words again ---
"$CTL" start talker >/dev/null 2>&1 || fail "cirquectl start talker failed"
wait_for 10 'grep -qx "talker 2 up" "$T/talker.log"' || fail "talker did not start again"
grep -qx "hanging: complete line" "$T/hanging.log" || fail "hanging.log lacks its first line"
stop_daemon TERM 60
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
grep -q "talker.*SIGKILL" "$DLOG" && fail "talker was killed instead of exiting on TERM"
check_round 2
[ "$(grep -c '^last words 1: begin$' "$T/talker.log")" -eq 1 ] || fail "round 1 written twice"
grep -qx "hanging: unterminated" "$T/hanging.log" ||
	fail "at shutdown: the unterminated line of 'hanging' was lost: $(cat "$T/hanging.log")"
echo ok
