# The interactive shell's keys, as in bash or psql (driven for real in tmux): Ctrl-C at the
# prompt drops the line being typed and prompts again, and the shell still hears what is typed;
# Ctrl-C during a waiting command ends the wait (the daemon carries on) and returns to the
# prompt; a daemon that cannot be reached ends the line, not the shell; Ctrl-C ends tail -f;
# Ctrl-D leaves it.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || fail "tmux is needed (make test-deps)"

cat >"$CONF" <<YAML
watchers:
  slow:
    cmd: /bin/sh -c 'trap "" TERM; while :; do sleep 1; done' $T-slow
    graceful_timeout: 2
YAML
start_daemon
wait_count "$T-slow" 1

TM="tmux -S $T/tmux.sock"
$TM new-session -d -s ctl -x 160 -y 30 "env HOME=$T CIRQUE_RUNTIME_DIR=$CIRQUE_RUNTIME_DIR $CTL; echo shell-exited-\$?; sleep 60" ||
	fail "tmux cannot start"
screen() { $TM capture-pane -p -t ctl 2>/dev/null; }
prompt() { screen | grep '^cirque>' | tail -n 1 | sed 's/ *$//'; }
prompts() { screen | grep -c '^cirque>'; }
seen() {  # seen TEXT WHAT: the screen shows the line TEXT
	local want=$1
	wait_for 10 'screen | grep -qxF -- "$want"' || fail "$2: no line '$want'; screen: $(screen | grep .)"
}
wait_for 10 '[ "$(prompt)" = "cirque>" ]' || fail "no prompt: $(screen)"

# --- Ctrl-C at the prompt: a fresh prompt, the line dropped, the shell still listens ----------------
$TM send-keys -t ctl "vers"
wait_for 10 '[ "$(prompt)" = "cirque> vers" ]' || fail "typed vers: $(screen | grep .)"
$TM send-keys -t ctl C-c
wait_for 10 '[ "$(prompts)" -eq 2 ] && [ "$(prompt)" = "cirque>" ]' || fail "Ctrl-C at the prompt: $(screen | grep .)"
$TM send-keys -t ctl numwatchers Enter
seen 1 "numwatchers after Ctrl-C at the prompt"

# --- Ctrl-C during a waiting stop: back to the prompt, the stop goes on --------------------------------
$TM send-keys -t ctl "stop slow" Enter
wait_for 10 '"$CTL" status slow | grep -q STOPPING' || fail "slow not STOPPING: $("$CTL" status slow)"
$TM send-keys -t ctl C-c
# (after the terminal's own ^C echo)
wait_for 10 'screen | grep -qF "interrupted: the stop slow goes on in cirqued (see cirquectl status)"' ||
	fail "Ctrl-C during stop: $(screen | grep .)"
wait_for 10 '[ "$(prompt)" = "cirque>" ]' || fail "no prompt after Ctrl-C during stop: $(screen | grep .)"
$TM send-keys -t ctl "status slow" Enter
wait_for 10 'screen | grep -qE "^slow +(STOPPING|STOPPED)"' || fail "status after Ctrl-C: $(screen | grep .)"
wait_for 10 '"$CTL" status slow | grep -q STOPPED' || fail "the stop did not go on: $("$CTL" status slow)"

# --- a line that cannot reach its daemon ends, the shell stays ----------------------------------------
$TM send-keys -t ctl C-l "status --endpoint ipc://$T/nothing.sock" Enter
wait_for 10 'screen | grep -q "cannot reach cirqued at ipc://$T/nothing.sock"' || fail "unreachable in the shell: $(screen | grep .)"
$TM send-keys -t ctl numwatchers Enter
seen 1 "numwatchers after an unreachable line"

# --- tail -f: Ctrl-C ends it and the shell goes on -----------------------------------------------------
$TM send-keys -t ctl C-l "tail -f slow" Enter
wait_for 10 'screen | grep -q "Press Ctrl-C"' || fail "tail -f in the shell: $(screen | grep .)"
$TM send-keys -t ctl C-c
wait_for 10 '[ "$(prompt)" = "cirque>" ]' || fail "no prompt after Ctrl-C in tail -f: $(screen | grep .)"

# --- Ctrl-D leaves (and nothing left open holds it) -------------------------------------------------------------------------------------
$TM send-keys -t ctl C-d
wait_for 10 'screen | grep -q "^shell-exited-"' || fail "Ctrl-D did not leave the shell: $(screen | grep .)"
kill -0 "$DPID" || fail "the daemon went with the shell"
$TM kill-server 2>/dev/null
echo ok
