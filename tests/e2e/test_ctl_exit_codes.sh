# Every exit code of cirquectl, as README.md and cirquectl(1) list them (checked against the
# code's enum): 0, also for a start or stop with nothing to do (supervisorctl's "already
# started" / "not running"); 1 an error reply; 2 usage; 3 status shows a process not running;
# 4 no such watcher or process; 5 the request went out but no answer came within --timeout (the
# daemon carries on); 7 the daemon cannot be reached (nothing listens, no connection, or it died
# while a command waited); 130 Ctrl-C
# during a wait (the daemon carries on). cirqued removes its socket files when it exits, and a
# socket file left by a killed daemon is "not running" at once (exit 7).
. "$(dirname "$0")/lib.sh"

UP=$(sleeper up); IDLE=$(sleeper idle)
cat >"$CONF" <<YAML
watchers:
  up:
    cmd: $UP 3600
    graceful_timeout: 1
    ready: {delay: 0.2s}
  idle:
    cmd: $IDLE 3600
    autostart: false
  stubborn:
    cmd: /bin/sh -c 'trap "" TERM; while :; do sleep 1; done' $T-stiff
    graceful_timeout: 2
  stubborn2:
    cmd: /bin/sh -c 'trap "" TERM; while :; do sleep 1; done' $T-balky
    graceful_timeout: 2
YAML

# --- the documentation lists exactly the codes of the code ----------------------------------------
codes=$(sed -n '/^enum exit_code {/,/^};/s/.*= *\([0-9]*\),.*/\1/p' "$ROOT/src/ctl.h" | sort -n | tr '\n' ' ')
[ "$codes" = "0 1 2 3 4 5 7 130 " ] || fail "cirquectl's exit codes are now '$codes': update this test and the docs"
readme=$(sed -n '/^| exit code | meaning |/,/^$/s/^| \([0-9]*\) |.*/\1/p' "$ROOT/README.md" | tr '\n' ' ')
[ "$readme" = "$codes" ] || fail "README's exit code table lists '$readme', the code has '$codes'"
man=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH /s/^\.IP \([0-9]*\)$/\1/p' "$ROOT/etc/man/cirquectl.1" | tr '\n' ' ')
[ "$man" = "$codes" ] || fail "cirquectl(1)'s EXIT STATUS lists '$man', the code has '$codes'"

start_daemon
wait_for 10 '"$CTL" status up | grep -q RUNNING' || fail "up not RUNNING: $("$CTL" status)"

code() {  # code RC ARGS...: cirquectl ARGS exits RC
	local want=$1; shift
	out=$("$CTL" "$@" 2>&1); rc=$?
	[ "$rc" -eq "$want" ] || fail "cirquectl $*: exit $rc, expected $want ('$out')"
}
# 0
code 0 status up
code 0 start up; [ "$out" = "up: ERROR (already started)" ] || fail "start up: '$out'"
code 0 stop idle; [ "$out" = "idle: ERROR (not running)" ] || fail "stop idle: '$out'"
code 0 start up idle; echo "$out" | grep -qx "idle: started" || fail "start up idle: '$out'"
code 0 stop idle
# 1: the daemon answered with an error
code 1 add up /bin/true
code 1 reload up:1
# 2: usage
code 2 bogus
code 2 stop
code 2 --no-such-option status
code 2 status --timeout 0
code 2 status --timeout
# 3: status shows a process not running (even one stopped on purpose)
code 3 status idle
# 4: no such watcher or process (and it wins over 3)
code 4 status nosuch
code 4 status idle nosuch
code 4 stop up:2
# 7: nothing there; a tcp endpoint nobody listens on is no connection either (not 5)
code 7 status --endpoint "ipc://$T/nothing.sock"
code 7 --timeout 0.5 status --endpoint "tcp://127.0.0.1:$(free_port)"
echo "$out" | grep -q "no connection within 0.5s (is cirqued running?)" || fail "tcp, nobody there: '$out'"
# 5: the request went out, cirqued is busy with it past --timeout: it says so, and carries on
wait_count "$T-stiff" 1; wait_count "$T-balky" 1
code 5 --timeout 0.3 stop stubborn
[ "$out" = "cirquectl: stop stubborn: no answer within 0.3s; cirqued carries on (see cirquectl status)" ] ||
	fail "stop past --timeout: '$out'"
# 130: Ctrl-C during a waiting stop; the stop goes on
"$CTL" stop stubborn2 >"$T/int.out" 2>&1 & ctl=$!
wait_for 10 '"$CTL" status stubborn2 | grep -q STOPPING' || fail "stubborn2 not STOPPING: $("$CTL" status stubborn2)"
kill -INT "$ctl"; wait "$ctl"; rc=$?
[ "$rc" -eq 130 ] && [ "$(cat "$T/int.out")" = "interrupted: the stop stubborn2 goes on in cirqued (see cirquectl status)" ] ||
	fail "Ctrl-C during stop: exit $rc, '$(cat "$T/int.out")'"
wait_for 15 '"$CTL" status stubborn | grep -q STOPPED && "$CTL" status stubborn2 | grep -q STOPPED' ||
	fail "the stops did not go on: $("$CTL" status)"
code 3 status

# --- shutdown removes the socket files; then "not running" at once ------------------------------------
[ -S "$CIRQUE_RUNTIME_DIR/control.sock" ] && [ -S "$CIRQUE_RUNTIME_DIR/events.sock" ] ||
	fail "no socket files while the daemon runs: $(ls -la "$CIRQUE_RUNTIME_DIR")"
code 0 shutdown
wait_for 10 '! kill -0 $DPID 2>/dev/null' || fail "the daemon did not exit after shutdown"
wait "$DPID"; DPID=""
for f in control.sock events.sock; do
	[ -e "$CIRQUE_RUNTIME_DIR/$f" ] && fail "$f left after shutdown: $(ls -la "$CIRQUE_RUNTIME_DIR")"
done
out=$(timeout 4 "$CTL" status 2>&1); rc=$?
[ "$rc" -eq 7 ] && echo "$out" | grep -q "is cirqued running" || fail "status after shutdown: exit $rc, '$out'"

# --- a daemon killed (SIGKILL) during a waiting stop: the wait ends then, exit 7 --------------------
# --- and the socket file it left: nobody listens, exit 7 at once -------------------------------------
start_daemon
wait_for 10 '"$CTL" status up 2>/dev/null | grep -q RUNNING' || fail "second daemon: $("$CTL" status 2>&1)"
wait_for 10 '"$CTL" status stubborn 2>/dev/null | grep -q RUNNING' || fail "stubborn: $("$CTL" status stubborn 2>&1)"
"$CTL" stop stubborn >"$T/gone.out" 2>&1 & ctl=$!
wait_for 10 '"$CTL" status stubborn | grep -q STOPPING' || fail "stubborn not STOPPING: $("$CTL" status stubborn)"
kill -KILL "$DPID"; wait "$DPID" 2>/dev/null; DPID=""
wait_for 10 '! kill -0 $ctl 2>/dev/null' || { kill "$ctl"; fail "a waiting stop outlived its daemon"; }
wait "$ctl"; rc=$?
[ "$rc" -eq 7 ] && grep -q "the connection closed while waiting for the stop stubborn (cirqued stopped or restarted?)" "$T/gone.out" ||
	fail "a waiting stop whose daemon died: exit $rc, '$(cat "$T/gone.out")'"
[ -S "$CIRQUE_RUNTIME_DIR/control.sock" ] || fail "SIGKILL left no socket file (the test needs one)"
out=$(timeout 4 "$CTL" status 2>&1); rc=$?
[ "$rc" -eq 7 ] && echo "$out" | grep -q "nothing listens" || fail "status on a stale socket: exit $rc, '$out'"
out=$(timeout 4 "$CTL" stop up 2>&1); rc=$?
[ "$rc" -eq 7 ] || fail "stop on a stale socket: exit $rc, '$out'"
echo ok
