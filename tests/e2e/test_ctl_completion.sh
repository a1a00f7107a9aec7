# Completion. The interactive shell (cirquectl with no verb, libedit), driven for real in tmux:
# TAB completes a verb, a watcher name, name:wid and a signal name after `signal`; quit leaves
# the shell and leaves the daemon running. The bash completion offers signal names (not watcher
# names) right after `signal`, --no-wait only to the verbs that take it, name:wid after a ':'.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || fail "tmux is needed (make test-deps)"

S=$(sleeper solo)
cat >"$CONF" <<YAML
watchers:
  webapp:
    cmd: $S 3600
    numprocesses: 2
    graceful_timeout: 1
  solo:
    cmd: $S 3601
    graceful_timeout: 1
YAML
start_daemon
wait_count "$S" 3

# --- the interactive shell, in tmux -------------------------------------------------------------
TM="tmux -S $T/tmux.sock"
$TM new-session -d -s ctl -x 160 -y 30 "env HOME=$T CIRQUE_RUNTIME_DIR=$CIRQUE_RUNTIME_DIR $CTL" ||
	fail "tmux cannot start"
screen() { $TM capture-pane -p -t ctl 2>/dev/null; }
prompt() { screen | grep '^cirque>' | tail -n 1 | sed 's/ *$//'; }
# typed KEYS... EXPECTED: sends the keys, waits for the prompt line to read EXPECTED.
typed() {
	local expected=${*: -1}
	$TM send-keys -t ctl "${@:1:$#-1}"
	wait_for 10 '[ "$(prompt)" = "$expected" ]' || fail "after typing ${*:1:$#-1}: [$(prompt)], expected [$expected]; screen: $(screen | grep .)"
}
wait_for 10 '[ "$(prompt)" = "cirque>" ]' || fail "no prompt: $(screen)"
# "sta" is start, stats or status: a second TAB lists them.
typed sta Tab Tab "cirque> sta"
wait_for 10 'screen | grep -qE "^start +stats +status *$"' || fail "sta<TAB><TAB> lists: $(screen | grep .)"
typed tu Tab "cirque> status"
typed w Tab "cirque> status webapp"
typed C-u "signal HU" Tab "cirque> signal HUP"
typed C-u "signal SIGTE" Tab "cirque> signal SIGTERM"
typed s Tab "cirque> signal SIGTERM solo"
typed C-u "tail webapp:" Tab Tab "cirque> tail webapp:"
wait_for 10 'screen | grep -qE "^webapp:1 +webapp:2 *$"' || fail "tail webapp:<TAB><TAB> lists no wids: $(screen | grep .)"
typed 2 Tab "cirque> tail webapp:2"
typed C-u "numw" Tab "cirque> numwatchers"
$TM send-keys -t ctl Enter
wait_for 10 'screen | grep -qx 2' || fail "numwatchers in the shell: $(screen | grep .)"
$TM send-keys -t ctl quit Enter
wait_for 10 '! $TM has-session -t ctl 2>/dev/null' || fail "quit did not leave the shell"
kill -0 "$DPID" || fail "quit in the shell stopped the daemon"
$TM kill-server 2>/dev/null

# --- the bash completion ------------------------------------------------------------------------
PATH=$ROOT/src:$PATH
set +u
. "$ROOT/etc/bash-completion/cirquectl"
[ "$(complete -p cirquectl)" = "complete -F _cirquectl cirquectl" ] || fail "complete -p: $(complete -p cirquectl)"
offered() { COMP_WORDS=("$@") COMP_CWORD=$(($# - 1)); unset COMP_LINE COMP_POINT; _cirquectl; printf '%s ' "${COMPREPLY[@]}"; }
got=$(offered cirquectl signal "")
[ "$got" = "HUP INT QUIT KILL USR1 USR2 TERM CONT STOP TSTP ALRM WINCH TTIN TTOU " ] || fail "after signal: [$got]"
[ "$(offered cirquectl signal SIGU)" = "SIGUSR1 SIGUSR2 " ] || fail "after signal SIGU: [$(offered cirquectl signal SIGU)]"
[ "$(offered cirquectl --timeout 3 signal TERM "")" = "solo webapp all " ] || fail "after signal TERM: [$(offered cirquectl --timeout 3 signal TERM "")]"
[ "$(offered cirquectl start "")" = "solo webapp all --no-wait " ] || fail "after start: [$(offered cirquectl start "")]"
# (Every verb but those the completion offers watcher names to ends at once.)
for v in $("$CTL" --list-commands); do
	case $v in start|stop|restart|reload) continue ;; esac
	# (No daemon there: the watcher names, which cost a request each, do not matter here.)
	CIRQUE_RUNTIME_DIR=$T/none offered cirquectl "$v" "" | grep -q -- "--no-wait" &&
		fail "$v is offered --no-wait: [$(offered cirquectl "$v" "")]"
done
[ "$(offered cirquectl status "")" = "solo webapp " ] || fail "after status: [$(offered cirquectl status "")]"
[ "$(offered cirquectl tail webapp:)" = "webapp:1 webapp:2 " ] || fail "after tail webapp: [$(offered cirquectl tail webapp:)]"
# As bash splits it (':' breaks words): only the part after the ':' is replaced.
COMP_LINE="cirquectl tail webapp:" COMP_POINT=22 COMP_WORDS=(cirquectl tail webapp :) COMP_CWORD=3
_cirquectl
[ "${COMPREPLY[*]}" = "1 2" ] || fail "tail webapp: as bash splits it: [${COMPREPLY[*]}]"
set -u
echo ok
