# cirquectl top, driven for real in tmux (send-keys, capture-pane): it shows the processes, follows
# a kill from outside, restarts, stops and signals the selected process on its keys, filters,
# redraws on a resize, shows a daemon that goes away, and gives the terminal back on q. Without a
# terminal, with --json or without a daemon it refuses as other verbs do (2, 2, 7).
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || fail "tmux is needed (make test-deps)"

cat >"$CONF" <<YAML
watchers:
  web:
    cmd: $(sleeper web) 600
    numprocesses: 3
  other:
    cmd: $(sleeper other) 600
YAML
start_daemon
wait_count "$T/web" 3
wait_count "$T/other" 1
wait_for 10 '[ "$("$CTL" status | grep -c RUNNING)" -eq 4 ]' || fail "not running: $("$CTL" status)"

# --- no terminal, --json: refused before anything is asked -----------------------------------------------
"$CTL" top >/dev/null 2>"$T/err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "needs a terminal" "$T/err" || fail "top without a terminal: exit $rc, $(cat "$T/err")"
"$CTL" --json top >/dev/null 2>"$T/err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "json makes no sense" "$T/err" || fail "top --json: exit $rc, $(cat "$T/err")"

# Our own tmux server (its socket in $T): no other tmux is touched, and it goes with the test.
TM="tmux -S $T/tmux.sock"
top_cleanup() {
	local rc=$?
	$TM kill-server 2>/dev/null
	(exit $rc)
	cleanup
}
trap top_cleanup EXIT

# start_top SESSION [args]: cirquectl top in a detached 150x40 window; its stderr in $T/SESSION.err.
start_top() {
	local session=$1
	shift
	$TM new-session -d -s "$session" -x 150 -y 40 \
		"env CIRQUE_RUNTIME_DIR=$CIRQUE_RUNTIME_DIR $CTL top $* 2>$T/$session.err; echo TOP-EXITED=\$?; sleep 600" ||
		fail "tmux cannot start"
}
screen() { $TM capture-pane -p -t "${1:-top}" 2>/dev/null; }
shown() { screen | grep . | sed 's/ *$//'; }
# pid_shown NAME: the PID column of NAME's row ("> " marks the selected row).
pid_shown() { screen | sed 's/^> /  /' | awk -v n="$1" '$1 == n { print $2 }'; }
pids_shown() { screen | sed 's/^> /  /' | awk '$1 ~ /^(web:[0-9]+|other)$/ { print $2 }'; }
selected() { screen | sed -n 's/^> \([^ ]*\) .*/\1/p'; }
# pid_of web:N: the pid status gives.
pid_of() { "$CTL" status "$1" | sed -n 's/.* pid \([0-9]*\),.*/\1/p'; }
status_line() { screen | grep . | tail -n 1; }
exited() { screen "$1" | grep -q "^TOP-EXITED="; }

start_top top -d 1
wait_for 10 'screen | grep -q "^  NAME "' || fail "top shows no columns: $(shown)"

# --- the processes, with their pids -------------------------------------------------------------------
for wid in 1 2 3; do
	p=$(pid_of web:$wid)
	[ -n "$p" ] || fail "no pid for web:$wid in status"
	wait_for 10 '[ "$(pid_shown web:$wid)" = "$p" ]' || fail "web:$wid (pid $p) not shown: $(shown)"
done
[ "$(pid_shown other)" = "$(pid_of other)" ] || fail "other not shown with its pid: $(shown)"
screen | grep -q "^cirqued .* pid $DPID " || fail "the header does not show the daemon: $(shown)"
note "the 4 processes are shown with their pids"

# --- a kill from outside: the new pid comes, the old one goes ----------------------------------------------
old=$(pid_of web:1)
kill -9 "$old"
wait_for 10 'new=$(pid_of web:1); [ -n "$new" ] && [ "$new" != "$old" ]' || fail "web:1 not respawned"
wait_for 10 '[ "$(pid_shown web:1)" = "$new" ] && ! pids_shown | grep -qx "$old"' ||
	fail "after kill -9 $old, top does not show web:1's new pid $new: $(shown)"
note "kill -9 of web:1 followed: pid $old -> $new"

# --- r restarts the selected process ---------------------------------------------------------------------
# the rows by name: other, web:1, web:2, web:3; the first is selected
wait_for 5 '[ "$(selected)" = other ]' || fail "the first row is not selected: $(shown)"
$TM send-keys -t top Down Down
wait_for 5 '[ "$(selected)" = web:2 ]' || fail "Down Down does not select web:2: $(shown)"
old=$(pid_of web:2)
$TM send-keys -t top r
wait_for 10 'new=$(pid_of web:2); [ -n "$new" ] && [ "$new" != "$old" ] && gone "$old"' ||
	fail "r did not restart web:2 (pid $old): $("$CTL" status web)"
wait_for 10 '[ "$(pid_shown web:2)" = "$new" ] && ! pids_shown | grep -qx "$old"' ||
	fail "after r, top does not show web:2's new pid $new: $(shown)"
status_line | grep -q "web:2: restarting" || fail "no outcome of r on the status line: $(shown)"
[ "$(selected)" = web:2 ] || fail "the selection left web:2 after its restart: $(shown)"
[ "$(pid_of web:1)" = "$(pid_shown web:1)" ] && [ "$(pid_of web:3)" = "$(pid_shown web:3)" ] ||
	fail "r touched another process: $("$CTL" status web)"
note "r restarted web:2: pid $old -> $new"

# --- x stops it (its slot stays stopped), r starts it again --------------------------------------------
$TM send-keys -t top Down
wait_for 5 '[ "$(selected)" = web:3 ]' || fail "Down does not select web:3: $(shown)"
old=$(pid_of web:3)
$TM send-keys -t top x
wait_for 10 '"$CTL" status web:3 | grep -q STOPPED && gone "$old"' || fail "x did not stop web:3: $("$CTL" status web)"
wait_for 10 'screen | grep -qE "^> web:3 +- STOPPED "' || fail "top does not show web:3 stopped: $(shown)"
$TM send-keys -t top r
wait_for 10 '"$CTL" status web:3 | grep -q RUNNING' || fail "r did not start web:3 again: $("$CTL" status web)"
note "x stopped web:3, r started it again"

# --- k: a signal (TERM unless another is typed) to the selected process ---------------------------------------
old=$(pid_of web:3)
wait_for 10 '[ "$(pid_shown web:3)" = "$old" ]' || fail "web:3's pid $old not shown: $(shown)"
$TM send-keys -t top k
wait_for 5 'status_line | grep -q "signal to web:3 (pid $old) \[TERM\]:"' || fail "k: no prompt: $(shown)"
$TM send-keys -t top Enter
wait_for 10 'gone "$old"' || fail "k Enter did not end web:3 (pid $old)"
wait_for 5 'status_line | grep -q "web:3: sent SIGTERM to pid $old"' || fail "k: no outcome: $(shown)"
note "k sent SIGTERM to web:3"

# --- / filters by watcher name, Esc clears it ----------------------------------------------------------------------
$TM send-keys -t top / o t h Enter
wait_for 5 '[ "$(pids_shown | wc -l)" -eq 1 ] && pid_shown other | grep -q .' || fail "/oth: $(shown)"
$TM send-keys -t top Escape
wait_for 5 '[ "$(pids_shown | wc -l)" -eq 4 ]' || fail "Esc did not clear the filter: $(shown)"
note "/ filtered, Esc cleared"

# --- a resize redraws for the new size (the clock ends the first line, the keys end the last) ------------------------
$TM resize-window -t top -x 100 -y 20
wait_for 5 '[ "$(screen | head -n 1 | sed "s/ *$//" | wc -L)" -eq 100 ] && [ -n "$(screen | sed -n 20p)" ]' ||
	fail "no redraw at 100x20: $(screen | cat -A | head -n 3)"
$TM resize-window -t top -x 130 -y 30
wait_for 5 '[ "$(screen | head -n 1 | sed "s/ *$//" | wc -L)" -eq 130 ] && [ -n "$(screen | sed -n 30p)" ]' ||
	fail "no redraw at 130x30: $(screen | cat -A | head -n 3)"
[ "$(pids_shown | wc -l)" -eq 4 ] || fail "rows lost in the resize: $(shown)"
note "resizes redrawn (100x20, 130x30)"

# --- q: exit 0, the terminal given back ------------------------------------------------------------------------
$TM send-keys -t top q
wait_for 10 'exited top' || fail "q did not end top: $(shown)"
screen | grep -qx "TOP-EXITED=0" || fail "top's exit after q: $(shown)"
[ "$($TM display -p -t top '#{alternate_on}')" = 0 ] || fail "the terminal is still in top's screen after q"
grep -E "Sanitizer|runtime error" "$T/top.err" && fail "sanitizer report from top"
note "q: exit 0, terminal restored"

# --- the daemon goes: said on the status line, top carries on; then q ---------------------------------------------
start_top gone
wait_for 10 'screen gone | grep -q "^  NAME "' || fail "second top: $(screen gone)"
stop_daemon TERM
wait_for 15 'screen gone | grep -q "^cirqued unreachable"' || fail "the daemon's end not shown: $(screen gone)"
$TM send-keys -t gone q
wait_for 10 'exited gone' || fail "q did not end top without daemon: $(screen gone)"
screen gone | grep -qx "TOP-EXITED=0" || fail "top's exit without daemon: $(screen gone)"
[ "$($TM display -p -t gone '#{alternate_on}')" = 0 ] || fail "terminal not restored (daemon gone)"
grep -E "Sanitizer|runtime error" "$T/gone.err" && fail "sanitizer report from top (daemon gone)"
note "the daemon's end shown, then q: exit 0"

# --- no daemon at the start: exit 7, as every verb -------------------------------------------------------------
start_top none
wait_for 10 'exited none' || fail "top without a daemon did not end: $(screen none)"
screen none | grep -qx "TOP-EXITED=7" || fail "top without a daemon: $(screen none)"
grep -q "cannot reach cirqued" "$T/none.err" || fail "top without a daemon says: $(cat "$T/none.err")"
[ "$($TM display -p -t none '#{alternate_on}')" = 0 ] || fail "terminal not restored (no daemon)"
note "no daemon at the start: exit 7"
echo ok
