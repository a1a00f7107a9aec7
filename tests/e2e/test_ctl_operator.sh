# What a new operator trips on (trial 12): --no-wait says what it asked ("stopping", not
# "stopped"); `reload` with no name says that the file was not re-read (and names the watchers
# whose edits it did not apply); -c FILE and /etc/cirque/cirque.yaml give the endpoint; the
# "cannot reach" message says where the endpoint came from; `signal web HUP`, an endpoint
# without a scheme, piped scripts' exit codes and `decr` beyond the count.
. "$(dirname "$0")/lib.sh"

cat >"$CONF" <<YAML
cirque:
  endpoint: ipc://$T/ctl.sock
watchers:
  slow:
    cmd: /bin/sh -c 'trap "" TERM; while :; do sleep 1; done' $T-slow
    graceful_timeout: 2   # STOPPING long enough to be seen, under ASan too
  web:
    cmd: $(sleeper web) 3600
    numprocesses: 3
    graceful_timeout: 1
    env: {QUEUE: high}
    ready: {delay: 0.1s}
  calm:
    cmd: $(sleeper calm) 3600
    ready: {delay: 0.1s}
YAML
start_daemon
wait_count "$T-slow" 1; wait_count "$T/web" 3

ctl() { "$CTL" -c "$CONF" "$@"; }  # the daemon is where its file says
c() { out=$(ctl "$@" 2>&1); rc=$?; }
expect() {  # expect RC TEXT: the last c printed TEXT and exited RC
	[ "$rc" -eq "$1" ] && [ "$out" = "$2" ] || fail "cirquectl: exit $rc, '$out'; expected $1, '$2'"
}

# --- --no-wait: the command only asked ------------------------------------------------------------
c stop slow --no-wait; expect 0 "slow: stopping"
ctl status slow | grep -q STOPPING || fail "slow not STOPPING: $(ctl status slow)"
wait_for 10 'ctl status slow | grep -q STOPPED' || fail "slow never stopped"
c start slow --no-wait; expect 0 "slow: starting"
c restart slow --no-wait; expect 0 "slow: restarting"
c reload web --no-wait; expect 0 "web: reloading"
wait_for 10 '[ "$(ctl status web | grep -c RUNNING)" -eq 3 ]' || fail "web after reload: $(ctl status web)"
# (a reload of all would start slow, and wait for its graceful_timeout)
c remove slow; sed -i '/^  slow:/,+2d' "$CONF"

# --- reload with no name: says it did not re-read the file, and what it left ---------------------------
c reload; expect 0 "all: reloaded (the file was not re-read: \`cirquectl update\` applies it)"
sed -i 's/QUEUE: high/QUEUE: edited/' "$CONF"
out=$(ctl reload 2>"$T/reload.err"); rc=$?
expect 0 "all: reloaded (the file was not re-read: \`cirquectl update\` applies it)"
note="cirquectl: web: the file's definition differs, and a reload does not apply it (\`cirquectl update\` does)"
[ "$(cat "$T/reload.err")" = "$note" ] || fail "reload with an edited file: stderr '$(cat "$T/reload.err")'"
out=$(ctl reload web --no-wait 2>"$T/reload.err"); rc=$?
expect 0 "web: reloading"
[ "$(cat "$T/reload.err")" = "$note" ] || fail "reload web with an edited file: stderr '$(cat "$T/reload.err")'"
out=$(ctl reload calm 2>"$T/reload.err"); rc=$?
expect 0 "calm: reloaded"
[ -s "$T/reload.err" ] && fail "reload calm (not edited) warned: '$(cat "$T/reload.err")'"
wait_for 10 '[ "$(ctl status web | grep -c RUNNING)" -eq 3 ]' || fail "web after reload: $(ctl status web)"
ctl help | grep -q 'reload .*not re-read' || fail "help says nothing of the file next to reload: $(ctl help | grep reload)"

# --- where the endpoint comes from ---------------------------------------------------------------------
c --config "$CONF" numwatchers; expect 0 2
out=$(CIRQUE_ENDPOINT=ipc://$T/ctl.sock "$CTL" numwatchers 2>&1); rc=$?; expect 0 2
# -c beats $CIRQUE_ENDPOINT (the command line over the environment); --endpoint beats -c
out=$(CIRQUE_ENDPOINT=ipc://$T/nothing.sock ctl numwatchers 2>&1); rc=$?; expect 0 2
c --endpoint "ipc://$T/nothing.sock" numwatchers
expect 7 "cirquectl: cannot reach cirqued at ipc://$T/nothing.sock (--endpoint): no socket there (is cirqued running?)"
out=$(CIRQUE_ENDPOINT=ipc://$T/nothing.sock "$CTL" numwatchers 2>&1); rc=$?
expect 7 "cirquectl: cannot reach cirqued at ipc://$T/nothing.sock (\$CIRQUE_ENDPOINT): no socket there (is cirqued running?)"
out=$("$CTL" numwatchers 2>&1); rc=$?
expect 7 "cirquectl: cannot reach cirqued at ipc://$CIRQUE_RUNTIME_DIR/control.sock (the default in \$CIRQUE_RUNTIME_DIR): no socket there (is cirqued running?)"
# a file with no cirque.endpoint: the default, and the message says so
echo "watchers: {}" >"$T/plain.yaml"
out=$("$CTL" -c "$T/plain.yaml" numwatchers 2>&1); rc=$?
expect 7 "cirquectl: cannot reach cirqued at ipc://$CIRQUE_RUNTIME_DIR/control.sock (the default: $T/plain.yaml sets no cirque.endpoint): no socket there (is cirqued running?)"
# a broken file: a warning, and cirquectl goes on with the default endpoint
printf 'cirque: {endpoint: ipc://%s/ctl.sock}\nwatchers: [oops\n' "$T" >"$T/broken.yaml"
out=$("$CTL" -c "$T/broken.yaml" numwatchers 2>&1); rc=$?
[ "$rc" -eq 7 ] && echo "$out" | grep -q "^cirquectl: warning: $T/broken.yaml: line 3: .*; using the default endpoint$" &&
	echo "$out" | grep -q "control.sock (the default in" || fail "broken -c file: exit $rc, '$out'"
c -c "$T/missing.yaml" numwatchers; expect 2 "cirquectl: -c $T/missing.yaml: No such file or directory"
# an endpoint without a scheme is a usage error that says what to write
c --endpoint "$T/ctl.sock" numwatchers; expect 2 "cirquectl: endpoint $T/ctl.sock (--endpoint) needs a scheme: ipc://$T/ctl.sock"

# the bash completion asks the daemon the line names for watcher names, and completes -c's file
PATH=$ROOT/src:$PATH
set +u
. "$ROOT/etc/bash-completion/cirquectl"
offered() { COMP_WORDS=("$@") COMP_CWORD=$(($# - 1)); unset COMP_LINE COMP_POINT; _cirquectl; printf '%s ' "${COMPREPLY[@]}"; }
[ "$(offered cirquectl -c "$CONF" stop "")" = "calm web all --no-wait --dependents " ] ||
	fail "completion with -c: [$(offered cirquectl -c "$CONF" stop "")]"
[ "$(offered cirquectl -c "${CONF%.yaml}")" = "$CONF " ] || fail "completion of -c's file: [$(offered cirquectl -c "${CONF%.yaml}")]"
set -u

# --- signal's words the wrong way round --------------------------------------------------------------
c signal web HUP; expect 2 'usage: cirquectl signal SIG name...: "web" is not a signal (did you mean: signal HUP web?)'
c signal HUP web; expect 0 "web: signalled"

# --- piped commands: the exit code is the worst line's ------------------------------------------------
out=$(printf 'stop nosuch\nnumwatchers\n' | ctl 2>&1); rc=$?
[ "$rc" -eq 4 ] && echo "$out" | grep -qx 2 || fail "piped script with a failing line: exit $rc, '$out'"
out=$(printf 'numwatchers\nstatus web\n' | ctl 2>&1); rc=$?
[ "$rc" -eq 0 ] || fail "piped script with no failure: exit $rc, '$out'"

# --- decr beyond the count is refused ----------------------------------------------------------------
c decr web 10; expect 1 "web: ERROR (it has 3 processes: cannot remove 10; \`stop web\` stops it)"
[ "$(ctl numprocesses web)" = 3 ] || fail "a refused decr changed the count: $(ctl numprocesses web)"
c decr web 1; expect 0 "web: 2 processes"
# --- extra words are never ignored: `update web` would apply every change, `shutdown now` stop all --
for line in "update web" "shutdown now" "reread web" "reopen web"; do
	set -- $line
	c "$@"
	[ "$rc" -eq 2 ] && echo "$out" | grep -qF "cirquectl: $1 takes no arguments ('$2' was given)" ||
		fail "$line: exit $rc, '$out'"
done
[ "$(ctl numwatchers)" -ge 1 ] || fail "the daemon did not survive 'shutdown now'"
# --- --json prints one document, even for a command that sent several requests ----------------------
for line in "update" "reload web --no-wait" "status web"; do
	set -- $line
	ctl --json "$@" | /usr/bin/python3 -c 'import json, sys; json.load(sys.stdin)' 2>/dev/null ||
		fail "--json $line is not one JSON document: $(ctl --json "$@" | head -c 300)"
done
[ "$(ctl --json update | /usr/bin/python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')" = 2 ] ||
	fail "--json update: not a list of its two replies"
# The reload asked for with --no-wait (and the updates) settle before states are asserted below.
wait_for 30 '! ctl status web | grep -qE "STOPPING|STARTING"' || fail "web never settled: $(ctl status web)"
# --- help COMMAND gives that command's usage; a parked watcher (numprocesses 0) is no failure -------
c help stop; expect 0 "stop name[:wid]...|all [--no-wait] [--dependents]
  stop watchers or processes gracefully (--dependents: and the watchers that need them)"
ctl add parked "$(sleeper parked)" 3600 >/dev/null && ctl set parked numprocesses 0 >/dev/null ||
	fail "a parked watcher"
c status parked; expect 0 "parked                        STOPPED   no processes (numprocesses 0)"
# --- patterns (Circus's glob) and supervisorctl's group: syntax ---------------------------------------
c status 'we*'; [ "$rc" -eq 0 ] && [ "$(echo "$out" | grep -c '^web:[123] ')" -ge 2 ] ||
	fail "status 'we*': exit $rc, $out"
echo "$out" | grep -q "^calm" && fail "status 'we*' showed calm: $out"
c status web:; [ "$rc" -eq 0 ] && echo "$out" | grep -q "^web:1 " || fail "status web: (supervisorctl's group:): exit $rc, $out"
c restart 'ca?m'; expect 0 "ca?m: restarted"
c status 'nomatch*'; [ "$rc" -eq 4 ] || fail "a pattern that matches nothing: exit $rc, $out"
echo ok
