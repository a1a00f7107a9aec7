# cirquectl start/stop/restart/reload wait by default (when they return, /proc already shows the
# result), print supervisorctl's messages, --no-wait returns at once, `all` works; signal reaches
# the processes; pid; incr/decr change the number of processes; shutdown leaves no child behind.
# long: about 15 s (graceful timeouts, warmup delays, start grace)
. "$(dirname "$0")/lib.sh"

WEB=$(sleeper web); WORKER=$(sleeper worker); PACED=$(sleeper paced); FLAKY=$(sleeper flaky)
cat >"$CONF" <<YAML
watchers:
  web:
    cmd: $WEB 3600
    numprocesses: 2
  worker:
    cmd: $WORKER 3600
  hup:
    cmd: /bin/sh -c 'trap "echo hup >> $T/hup.log" HUP; while :; do sleep 0.1; done' $T-hup
  slowstop:
    cmd: /bin/sh -c 'trap "" TERM; while :; do sleep 0.1; done' $T-slowstop
    graceful_timeout: 3
    autostart: false
  paced:
    cmd: $PACED 3600
    numprocesses: 2
    warmup_delay: 2
    autostart: false
YAML
start_daemon
wait_count "$WEB" 2; wait_count "$WORKER" 1; wait_count "$T-hup" 1

# run VAR CMD...: stdout+stderr in $out, exit status in $rc, duration in $ms
run() {
	local start
	start=$(date +%s%N)
	out=$("$CTL" "$@" 2>&1); rc=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
}
expect() {  # expect RC OUTPUT: after run
	[ "$rc" -eq "$1" ] && [ "$out" = "$2" ] || fail "cirquectl $LAST: exit $rc, output '$out'; expected exit $1, '$2'"
}
c() { LAST="$*"; run "$@"; }

# --- stop / start wait ------------------------------------------------------------------------------
old=$(children_matching "$WORKER")
c stop worker; expect 0 "worker: stopped"
[ -z "$(children_matching "$WORKER")" ] || fail "stop returned while worker still runs"
kill -0 "$old" 2>/dev/null && fail "pid $old still exists after stop returned"
c stop worker; expect 0 "worker: ERROR (not running)"  # as supervisorctl: no error for a script
c status worker
[ "$rc" -eq 3 ] || fail "status of the stopped worker: exit $rc"
c start worker; expect 0 "worker: started"
[ "$(count_matching "$WORKER")" -eq 1 ] || fail "start returned before the process ran"
c status worker
[ "$rc" -eq 0 ] && echo "$out" | grep -q "^worker  *RUNNING  *pid $(children_matching "$WORKER")," ||
	fail "after a waiting start: exit $rc, '$out'"
c start worker; expect 0 "worker: ERROR (already started)"
c start nosuch; expect 4 "nosuch: ERROR (no such process)"
c stop nosuch; expect 4 "nosuch: ERROR (no such process)"
c stop; [ "$rc" -eq 2 ] || fail "stop without a name: exit $rc, expected 2 (usage)"

# --- restart: new pids ----------------------------------------------------------------------------
before=$(children_matching "$WEB" | sort)
c restart web; expect 0 "web: restarted"
after=$(children_matching "$WEB" | sort)
[ "$(echo "$after" | grep -c .)" -eq 2 ] || fail "restart returned with $(echo "$after" | grep -c .) web processes"
[ -z "$(comm -12 <(echo "$before") <(echo "$after"))" ] || fail "restart kept pids: $before / $after"
for p in $before; do kill -0 "$p" 2>/dev/null && fail "old web pid $p alive after restart"; done
c restart nosuch; expect 4 "nosuch: ERROR (no such process)"

# --- reload (graceful): new pids, the old ones gone when it returns ------------------------------------
before=$after
c reload web; expect 0 "web: reloaded"
after=$(children_matching "$WEB" | sort)
[ "$(echo "$after" | grep -c .)" -eq 2 ] || fail "reload returned with $(echo "$after" | grep -c .) web processes"
[ -z "$(comm -12 <(echo "$before") <(echo "$after"))" ] || fail "reload kept pids: $before / $after"
for p in $before; do kill -0 "$p" 2>/dev/null && fail "old web pid $p alive after reload returned"; done
grep -q "watcher web: graceful reload" "$DLOG" || fail "reload was not graceful"

# --- all ---------------------------------------------------------------------------------------------
c stop all; expect 0 "all: stopped"
# The watchers' own processes are gone at once; a shell's `sleep 0.1` orphaned by the stop is
# adopted by the daemon (a child subreaper) and reaped when it ends, a moment later.
left=""
for c in $(children); do
	cmd=$(tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null)
	[ "$cmd" = "sleep 0.1 " ] || [ -z "$cmd" ] || left="$left $c ($cmd)"
done
[ -z "$left" ] || fail "stop all returned with children left:$left"
wait_for 5 '[ -z "$(children)" ]' || fail "adopted orphans were not reaped: $(children)"
c status; [ "$rc" -eq 3 ] || fail "status after stop all: exit $rc"
c start all; expect 0 "all: started"
[ "$(count_matching "$WEB")" -eq 2 ] && [ "$(count_matching "$WORKER")" -eq 1 ] &&
	[ "$(count_matching "$T-hup")" -eq 1 ] && [ "$(count_matching "$T-slowstop")" -eq 1 ] &&
	[ "$(count_matching "$PACED")" -eq 2 ] || fail "start all returned before everything ran: $(children | tr '\n' ' ')"
c status; [ "$rc" -eq 0 ] || fail "status after start all: exit $rc: $out"
c stop paced; expect 0 "paced: stopped"

# --- --no-wait returns at once ------------------------------------------------------------------------
slow=$(children_matching "$T-slowstop")
c stop slowstop --no-wait; expect 0 "slowstop: stopping"
# the process ignores SIGTERM for 3 s: a waiting stop could not have returned yet
kill -0 "$slow" 2>/dev/null || fail "stop --no-wait waited for the process to go"
[ "$ms" -lt 2500 ] || fail "stop --no-wait took $ms ms"
c start paced --no-wait; expect 0 "paced: starting"
# warmup_delay 2 s: a waiting start needs more than 2 s; --no-wait is back before the 2nd spawn
[ "$(count_matching "$PACED")" -lt 2 ] || fail "start --no-wait waited for both processes"
[ "$ms" -lt 2000 ] || fail "start --no-wait took $ms ms"
# The second process is on its way, and status says so (paced:2, as it will be named).
if [ "$(count_matching "$PACED")" -lt 2 ]; then
	st=$("$CTL" status paced)
	echo "$st" | grep -qE "^paced:2 +STARTING +not started yet \(warmup_delay\)$" ||
		echo "$st" | grep -qE "^paced:2 +(STARTING|RUNNING) +pid" ||
		fail "the pending process is not in status: $st"
fi
wait_count "$PACED" 2 10
c stop paced; expect 0 "paced: stopped"
[ "$(count_matching "$PACED")" -eq 0 ] || fail "paced still running after stop"
# meanwhile slowstop had its graceful_timeout (3 s) and was killed
wait_for 15 '! kill -0 '"$slow"' 2>/dev/null' || fail "slowstop never stopped"

# --- signal --------------------------------------------------------------------------------------------
hup=$(children_matching "$T-hup")
c signal HUP hup; expect 0 "hup: signalled"
wait_for 5 'grep -qx hup "$T/hup.log" 2>/dev/null' || fail "SIGHUP did not reach the process"
[ "$(children_matching "$T-hup")" = "$hup" ] || fail "the process was replaced after SIGHUP"
w=$(children_matching "$WORKER")
c signal SIGUSR1 worker; expect 0 "worker: signalled"
# sleep dies of SIGUSR1 and is replaced
wait_for 5 'grep -q "worker\[1\]: pid $w killed unexpectedly by SIGUSR1" "$DLOG"' ||
	fail "SIGUSR1 did not reach worker's pid $w"
wait_count "$WORKER" 1
c signal BOGUS hup
[ "$rc" -eq 1 ] || fail "signal BOGUS: exit $rc, expected 1 ($out)"
echo "$out" | grep -q "ERROR" || fail "signal BOGUS: no error message: '$out'"
c signal HUP nosuch; expect 4 "nosuch: ERROR (no such process)"
c signal HUP; [ "$rc" -eq 2 ] || fail "signal without a name: exit $rc, expected 2"

# --- pid -----------------------------------------------------------------------------------------------
c pid; expect 0 "$DPID"
c pid web; expect 0 "$(children_matching "$WEB" | sort -n)"
[ "$(echo "$out" | sort -n)" = "$(children_matching "$WEB" | sort -n)" ] || fail "pid web: $out"
c pid nosuch; [ "$rc" -eq 4 ] || fail "pid nosuch: exit $rc, expected 4"

# --- incr / decr -----------------------------------------------------------------------------------------
before=$(children_matching "$WEB" | sort)
c incr web; expect 0 "web: 3 processes"
wait_count "$WEB" 3
c incr web 2; expect 0 "web: 5 processes"
wait_count "$WEB" 5
c decr web 3; expect 0 "web: 2 processes"
wait_count "$WEB" 2
[ "$(children_matching "$WEB" | sort)" = "$before" ] || fail "incr then decr replaced the original processes"
c decr web 1; expect 0 "web: 1 process"
wait_count "$WEB" 1
c incr web; expect 0 "web: 2 processes"
wait_count "$WEB" 2
c decr web 0; [ "$rc" -eq 2 ] || fail "decr web 0: exit $rc, expected 2 (usage)"
c incr nosuch; [ "$rc" -eq 4 ] || fail "incr nosuch: exit $rc, expected 4"

# --- checks of behaviour that is currently broken (see the report); collected, reported at the end ------
broken=()
# `--no-wait` before the names: each name must be acted on once.
c stop --no-wait worker
[ "$rc" -eq 0 ] && [ "$out" = "worker: stopping" ] ||
	broken+=("'cirquectl stop --no-wait worker' printed '$out' (exit $rc), expected 'worker: stopping' once")
wait_count "$WORKER" 0
c start --no-wait worker
[ "$rc" -eq 0 ] && [ "$out" = "worker: starting" ] ||
	broken+=("'cirquectl start --no-wait worker' printed '$out' (exit $rc), expected 'worker: starting' once")
wait_count "$WORKER" 1
# `start` retries a watcher that gave up (FATAL), as supervisorctl does.
cat >>"$CONF" <<YAML
  flaky:
    cmd: /bin/sh -c '[ -f $T/flaky-ok ] || exit 1; exec $FLAKY 3600'
    max_retry: 0
YAML
c update; [ "$rc" -eq 0 ] || fail "update (adding flaky): $out"
wait_for 10 '"$CTL" status flaky | grep -q FATAL' || fail "flaky never FATAL: $("$CTL" status flaky)"
touch "$T/flaky-ok"
c start flaky
if [ "$rc" -ne 0 ] || [ "$out" != "flaky: started" ] || [ "$(count_matching "$FLAKY")" -ne 1 ]; then
	broken+=("'cirquectl start flaky' on a FATAL watcher printed '$out' (exit $rc) and $(count_matching "$FLAKY") process runs; expected 'flaky: started' and 1")
fi

# --- shutdown: the daemon stops everything and exits ---------------------------------------------------
all=$(children)
[ -n "$all" ] || fail "no children before shutdown"
c shutdown; expect 0 "Shut down"
for p in $all; do kill -0 "$p" 2>/dev/null && fail "pid $p survived shutdown"; done
wait_for 10 '! kill -0 $DPID 2>/dev/null' || fail "daemon still running after shutdown"
wait "$DPID"; status=$?; DPID=""
[ "$status" -eq 0 ] || fail "daemon exit status $status after shutdown"
pgrep -f "$T" >/dev/null && fail "processes of this test left: $(pgrep -af "$T")"
c status; [ "$rc" -eq 7 ] || fail "status after shutdown: exit $rc, expected 7"

[ ${#broken[@]} -eq 0 ] || fail "$(printf '%s\n' "${broken[@]}")"
echo ok
