# Watcher hooks (hooks: in a watcher): each point runs its command once per event, with the
# event in its environment (checked against the real pids); a failing before_start aborts the
# start with a reply that names the hook; a hook that hangs is killed at its timeout while
# status answers at once; a failing before_spawn is a failed start of its slot (FATAL after
# max_retry, the error in status); a failing before_signal skips the signal; hook output is in
# the daemon's log; each run is published (watcher.NAME.hook); a hook still running at the
# daemon's exit is killed and reaped; an unknown point is a config error at file:line:column.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3

# --check: an unknown point, and before_reap (no meaning: an exit is learnt by reaping it).
cat >"$CONF" <<'YAML'
watchers:
  web:
    cmd: sleep 10
    hooks:
      before_strat: /bin/true
      before_reap: /bin/true
YAML
out=$("$CIRQUED" -c "$CONF" --check 2>&1) && fail "--check accepted an unknown hook: $out"
echo "$out" | grep -qF "$CONF:5:7: watchers.web.hooks: unknown hook 'before_strat' (did you mean 'before_start'?)" ||
	fail "unknown hook error: $out"
echo "$out" | grep -qF "$CONF:6:7: watchers.web.hooks.before_reap: before_reap has no meaning in cirque" ||
	fail "before_reap error: $out"
echo "$out" | grep -q "use after_reap" || fail "before_reap error without its alternative: $out"

# A hook's command that is not there is a warning (a deploy may bring it), as for cmd.
cat >"$CONF" <<'YAML'
watchers:
  web:
    cmd: sleep 10
    hooks:
      before_start: /nonexistent/check --quiet
YAML
out=$("$CIRQUED" -c "$CONF" --check 2>&1) || fail "--check refused a missing hook command: $out"
echo "$out" | grep -qF "warning: watchers.web.hooks.before_start: /nonexistent/check: no such file" ||
	fail "no warning for a missing hook command: $out"

# hook.sh NAME [STATUS [SECONDS]]: appends its CIRQUE_* variables (one line, one write) to
# $T/NAME, says hello on stdout, then sleeps SECONDS (as $T/hooksleep) or exits STATUS.
HS=$(sleeper hooksleep)
cat >"$T/hook.sh" <<EOF
#!/bin/sh
line=\$(env | grep '^CIRQUE_' | sort | tr '\n' ' ')
printf '%s\n' "\$line" >>"$T/\$1"
echo "hello from \$1"
[ -n "\${3:-}" ] && exec $HS "\$3"
exit \${2:-0}
EOF
chmod +x "$T/hook.sh"
H="$T/hook.sh"
S=$(sleeper app)
cat >"$CONF" <<YAML
watchers:
  web:
    cmd: $S 3600
    numprocesses: 2
    ready: {delay: 0.1}
    autostart: false
    hooks:
      before_start: $H before_start
      after_start: $H after_start
      before_spawn: $H before_spawn
      after_spawn: $H after_spawn
      before_stop: $H before_stop
      after_stop: $H after_stop
      before_signal: $H before_signal
      after_signal: {cmd: $H, args: [after_signal]}
      after_reap: {cmd: $H, args: "after_reap"}
  bad:
    cmd: $S 3600
    autostart: false
    hooks:
      before_start: {cmd: $H, args: [bad_start, 3]}
  hang:
    cmd: $S 3600
    autostart: false
    hooks:
      before_start: {cmd: $H, args: [hang_start, 0, 300], timeout: 2s}
  spawnfail:
    cmd: $S 3600
    autostart: false
    max_retry: 1
    hooks:
      before_spawn: $H spawnfail 4
  sigfail:
    cmd: $S 3600
    autostart: false
    ready: {delay: 0.1}
    hooks:
      before_signal: $H sigfail 1
  held:
    cmd: $S 3600
    autostart: false
    hooks:
      before_start: $H held_start 0 300
  slowspawn:
    cmd: $S 3600
    autostart: false
    numprocesses: 2
    hooks:
      before_spawn: $H slowspawn 0 300
  dep:
    cmd: $S 3600
    autostart: false
    ready: {delay: 1s}
  app:
    cmd: $S 3600
    autostart: false
    ready: {delay: 0.1}
    depends_on: [dep]
    hooks:
      before_start: $H app_start
  failstart:
    cmd: $S 3600
    autostart: false
    hooks:
      after_start: $H failstart 2
  stopfail:
    cmd: $S 3600
    autostart: false
    ready: {delay: 0.1}
    hooks:
      before_stop: $H stopfail 1
  ignored:
    cmd: $S 3600
    autostart: false
    ready: {delay: 0.1}
    hooks:
      before_start: {cmd: $H, args: [ignored, 5], ignore_failure: true}
  lingering:
    cmd: $S 3600
    autostart: false
    ready: {delay: 0.1}
    hooks:
      after_spawn: {cmd: $H, args: [lingering, 0, 300], timeout: 10m}
YAML
cat >"$T/events.py" <<'PYEOF'
import sys, zmq
s = zmq.Context().socket(zmq.SUB)
s.setsockopt(zmq.SUBSCRIBE, b"watcher.")
s.connect(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
out.write("up\n")
while True:
    out.write(" ".join(f.decode() for f in s.recv_multipart()) + "\n")
PYEOF
start_daemon
$PY "$T/events.py" "ipc://$CIRQUE_RUNTIME_DIR/events.sock" "$T/events" &
EPID=$!
trap 'rc=$?; kill $EPID 2>/dev/null; (exit $rc); cleanup' EXIT
wait_for 5 '[ -s "$T/events" ]' || fail "event listener did not start"

# lines FILE: how many lines the hook appended to $T/FILE.
lines() { [ -f "$T/$1" ] && grep -c . "$T/$1" || echo 0; }
# has_line FILE 'CIRQUE_A=x CIRQUE_B=y': a line of $T/FILE holds exactly those variables.
has_line() { grep -qxF "$2 " "$T/$1"; }

# --- a start: before_start, before_spawn and after_spawn per process, after_start ---
"$CTL" start web >/dev/null || fail "start web failed"
wait_for 10 '[ "$("$CTL" status web | grep -c RUNNING)" = 2 ] && [ "$(lines after_start)" = 1 ] &&
	[ "$(lines after_spawn)" = 2 ]' || fail "web did not start with its hooks: $("$CTL" status web)"
p1=$("$CTL" status web | sed -n 's/^web:1 .*pid \([0-9]*\).*/\1/p')
p2=$("$CTL" status web | sed -n 's/^web:2 .*pid \([0-9]*\).*/\1/p')
[ -n "$p1" ] && [ -n "$p2" ] || fail "no pids: $("$CTL" status web)"
[ "$(lines before_start)" = 1 ] || fail "before_start ran $(lines before_start) times"
has_line before_start "CIRQUE_HOOK=before_start CIRQUE_WATCHER=web" ||
	fail "before_start's environment: $(cat "$T/before_start")"
[ "$(lines before_spawn)" = 2 ] || fail "before_spawn ran $(lines before_spawn) times"
has_line before_spawn "CIRQUE_HOOK=before_spawn CIRQUE_WATCHER=web CIRQUE_WID=1" &&
	has_line before_spawn "CIRQUE_HOOK=before_spawn CIRQUE_WATCHER=web CIRQUE_WID=2" ||
	fail "before_spawn's environment: $(cat "$T/before_spawn")"
has_line after_spawn "CIRQUE_HOOK=after_spawn CIRQUE_PID=$p1 CIRQUE_WATCHER=web CIRQUE_WID=1" &&
	has_line after_spawn "CIRQUE_HOOK=after_spawn CIRQUE_PID=$p2 CIRQUE_WATCHER=web CIRQUE_WID=2" ||
	fail "after_spawn's environment (pids $p1 $p2): $(cat "$T/after_spawn")"
has_line after_start "CIRQUE_HOOK=after_start CIRQUE_WATCHER=web" ||
	fail "after_start's environment: $(cat "$T/after_start")"
# A hook has the watcher's environment too (PATH, as its processes).
grep -qE "watcher web: hook before_start\[[0-9]+\]: hello from before_start$" "$DLOG" ||
	fail "before_start's output is not in the daemon log"
# Its own process group, and reaped: no zombie, nothing left.
[ -z "$(zombies_of "$DPID")" ] || fail "zombies: $(zombies_of "$DPID")"
wait_for 5 'grep -q "\"hook\":\"after_start\",\"status\":\"ok\"" "$T/events"' ||
	fail "no hook event for after_start: $(grep hook "$T/events")"
grep "^watcher.web.hook " "$T/events" | grep -q "\"hook\":\"before_start\",\"status\":\"ok\",\"pid\":[1-9][0-9]*,\"exit_code\":0" ||
	fail "before_start's event: $(grep hook "$T/events")"
# get shows them.
"$CTL" get web hooks | grep -qF "\"after_reap\": {\"cmd\": [\"$H\", \"after_reap\"], \"timeout\": 30.0" ||
	fail "get web hooks: $("$CTL" get web hooks)"

# --- signal: before_signal then after_signal, per process, with the signal ---
"$CTL" signal CONT web >/dev/null || fail "signal CONT web failed"
wait_for 5 '[ "$(lines after_signal)" = 2 ]' || fail "after_signal ran $(lines after_signal) times"
[ "$(lines before_signal)" = 2 ] || fail "before_signal ran $(lines before_signal) times"
for n in 1 2; do
	eval "pid=\$p$n"
	has_line before_signal "CIRQUE_HOOK=before_signal CIRQUE_PID=$pid CIRQUE_SIGNAL=CONT CIRQUE_WATCHER=web CIRQUE_WID=$n" ||
		fail "before_signal's environment: $(cat "$T/before_signal")"
	has_line after_signal "CIRQUE_HOOK=after_signal CIRQUE_PID=$pid CIRQUE_SIGNAL=CONT CIRQUE_WATCHER=web CIRQUE_WID=$n" ||
		fail "after_signal's environment: $(cat "$T/after_signal")"
done

# --- stop: before_stop, the reaps, after_stop; each once ---
"$CTL" stop web >/dev/null || fail "stop web failed"
[ "$(lines before_stop)" = 1 ] && [ "$(lines after_stop)" = 1 ] ||
	fail "stop hooks ran $(lines before_stop)/$(lines after_stop) times"
has_line after_stop "CIRQUE_HOOK=after_stop CIRQUE_WATCHER=web" || fail "after_stop: $(cat "$T/after_stop")"
wait_for 5 '[ "$(lines after_reap)" = 2 ]' || fail "after_reap ran $(lines after_reap) times"
has_line after_reap "CIRQUE_EXIT_SIGNAL=TERM CIRQUE_HOOK=after_reap CIRQUE_PID=$p1 CIRQUE_WATCHER=web CIRQUE_WID=1" &&
	has_line after_reap "CIRQUE_EXIT_SIGNAL=TERM CIRQUE_HOOK=after_reap CIRQUE_PID=$p2 CIRQUE_WATCHER=web CIRQUE_WID=2" ||
	fail "after_reap's environment: $(cat "$T/after_reap")"
# before_stop came before the signals: its line is logged before the first reap.
bs=$(grep -n "hook before_stop\[[0-9]*\] succeeded" "$DLOG" | cut -d: -f1)
kt=$(grep -n "watcher web\[[12]\]: pid [0-9]* killed by SIGTERM" "$DLOG" | head -1 | cut -d: -f1)
[ -n "$bs" ] && [ -n "$kt" ] && [ "$bs" -lt "$kt" ] || fail "before_stop did not end before the stop signals"
for f in before_start before_spawn after_spawn after_start; do
	[ "$(lines $f)" = "$([ $f = before_spawn ] || [ $f = after_spawn ] && echo 2 || echo 1)" ] ||
		fail "$f ran again: $(lines $f)"
done

# --- restart: before_stop, the stop, after_stop, then before_start and the spawns ---
"$CTL" start web >/dev/null || fail "start web again failed"
"$CTL" restart web >/dev/null || fail "restart web failed"
[ "$(lines before_stop)" = 2 ] && [ "$(lines after_stop)" = 2 ] && [ "$(lines before_start)" = 3 ] ||
	fail "restart's hooks: before_stop $(lines before_stop), after_stop $(lines after_stop), before_start $(lines before_start)"
as=$(grep -n "watcher web: hook after_stop\[[0-9]*\] succeeded" "$DLOG" | tail -1 | cut -d: -f1)
bs=$(grep -n "watcher web: hook before_start\[[0-9]*\] started" "$DLOG" | tail -1 | cut -d: -f1)
[ "$as" -lt "$bs" ] || fail "the restart's before_start ran before its after_stop ended"
"$CTL" stop web >/dev/null || fail "stop web failed"
[ "$(lines before_stop)" = 3 ] && [ "$(lines after_stop)" = 3 ] || fail "the last stop's hooks did not run once"

# --- a failing before_start: the start is aborted, the reply names the hook ---
out=$("$CTL" start bad 2>&1) && fail "start bad succeeded: $out"
echo "$out" | grep -qF "before_start hook failed: exited 3" || fail "start bad's reply: $out"
"$CTL" status bad | grep -q "STOPPED" || fail "bad is not stopped: $("$CTL" status bad)"
[ "$(count_matching "$S")" -eq 0 ] || fail "a process of bad was spawned"
grep -qF "watcher bad: before_start hook failed: exited 3: the start is aborted" "$DLOG" ||
	fail "the abort is not logged"
wait_for 5 'grep "^watcher.bad.hook " "$T/events" | grep -q "\"status\":\"failed\",\"pid\":[1-9][0-9]*,\"exit_code\":3"' ||
	fail "bad's hook event: $(grep hook "$T/events")"

# --- a hook that hangs: status answers meanwhile; killed at its timeout ---
"$CTL" start --no-wait hang >/dev/null
wait_for 5 'grep -qE "watcher hang: hook before_start\[[0-9]+\] started" "$DLOG"' || fail "hang's hook did not start"
hpid=$(sed -nE 's/.*watcher hang: hook before_start\[([0-9]+)\] started.*/\1/p' "$DLOG" | head -1)
[ -d "/proc/$hpid" ] || fail "hang's hook $hpid is not running"
t0=$(date +%s.%N)
st=$("$CTL" status hang)
t1=$(date +%s.%N)
note "status while a hook hangs answered in $(echo "$t1 - $t0" | bc) s"
[ "$(echo "$t1 - $t0 < 1.5" | bc)" = 1 ] || fail "status took $(echo "$t1 - $t0" | bc) s"
echo "$st" | grep -q "STARTING  running its before_start hook" || fail "status during before_start: $st"
wait_for 5 '[ ! -d "/proc/$hpid" ]' || fail "the hanging hook $hpid outlived its timeout"
[ "$(count_matching "$HS")" -eq 0 ] || fail "the hanging hook's sleep is still there"
grep -qF "watcher hang: before_start hook failed: timed out after 2 s" "$DLOG" || fail "the timeout is not logged"
wait_for 5 '"$CTL" status hang | grep -q STOPPED' || fail "hang is not stopped: $("$CTL" status hang)"
wait_for 5 'grep "^watcher.hang.hook " "$T/events" | grep -q "\"status\":\"timeout\""' ||
	fail "hang's hook event: $(grep hook "$T/events")"

# --- a stop while before_start runs: the hook is killed, the start answered ---
"$CTL" start held >"$T/held.out" 2>&1 &
SPID=$!
wait_for 5 'grep -qE "watcher held: hook before_start\[[0-9]+\] started" "$DLOG"' || fail "held's hook did not start"
hpid=$(sed -nE 's/.*watcher held: hook before_start\[([0-9]+)\] started.*/\1/p' "$DLOG" | head -1)
"$CTL" stop held >/dev/null || fail "stop held failed"
wait "$SPID" && fail "the start of held succeeded: $(cat "$T/held.out")"
grep -q "a later stop" "$T/held.out" || fail "the start's reply: $(cat "$T/held.out")"
wait_for 5 '[ ! -d "/proc/$hpid" ]' || fail "held's hook $hpid survived the stop"
# And removed while it runs: cancelled cleanly.
"$CTL" start --no-wait held >/dev/null
wait_for 5 '[ "$(grep -cE "watcher held: hook before_start\[[0-9]+\] started" "$DLOG")" = 2 ]' ||
	fail "held's hook did not start again"
hpid=$(sed -nE 's/.*watcher held: hook before_start\[([0-9]+)\] started.*/\1/p' "$DLOG" | tail -1)
"$CTL" remove held >/dev/null || fail "remove held failed"
wait_for 5 '[ ! -d "/proc/$hpid" ]' || fail "held's hook $hpid survived remove"

# --- a failing before_spawn: a failed start of the slot, FATAL after max_retry ---
"$CTL" start spawnfail >/dev/null 2>&1 && fail "start spawnfail succeeded"
wait_for 10 '"$CTL" status spawnfail | grep -q FATAL' || fail "spawnfail not FATAL: $("$CTL" status spawnfail)"
"$CTL" status spawnfail | grep -qF "before_spawn hook failed: exited 4: gave up after 2 failed starts" ||
	fail "status does not show the hook's failure: $("$CTL" status spawnfail)"
[ "$(lines spawnfail)" = 2 ] || fail "before_spawn of spawnfail ran $(lines spawnfail) times (max_retry 1: 2)"
[ "$(count_matching "$S")" -eq 0 ] || fail "spawnfail spawned a process"

# --- a failing before_signal: the signal is skipped, the reply says so ---
"$CTL" start sigfail >/dev/null || fail "start sigfail failed"
out=$("$CTL" signal CONT sigfail 2>&1) && fail "signal sigfail succeeded: $out"
echo "$out" | grep -qF "skipped: before_signal hook failed: exited 1" || fail "signal's reply: $out"
grep -qE "watcher sigfail\[1\]: before_signal hook failed: exited 1: SIGCONT not sent to pid [0-9]+" "$DLOG" ||
	fail "the skipped signal is not logged"

# --- a stop while before_spawn runs: the hooks are killed, nothing spawns ---
"$CTL" start --no-wait slowspawn >/dev/null
wait_for 5 '[ "$("$CTL" status slowspawn | grep -c "STARTING  running its before_spawn hook")" = 2 ]' ||
	fail "status during before_spawn: $("$CTL" status slowspawn)"
"$CTL" stop slowspawn >/dev/null || fail "stop slowspawn failed"
wait_for 5 '[ "$(grep -c "watcher slowspawn: hook before_spawn\[[0-9]*\] cancelled" "$DLOG")" = 2 ]' ||
	fail "the before_spawn hooks were not cancelled"
wait_for 5 '[ "$(count_matching "$HS")" = 0 ]' || fail "a before_spawn hook survived the stop"
! grep -q "watcher slowspawn\[[12]\]: spawned" "$DLOG" || fail "slowspawn spawned after its stop"
"$CTL" status slowspawn | grep -q STOPPED || fail "slowspawn: $("$CTL" status slowspawn)"

# --- with depends_on: the dependencies first, then before_start, then the spawns ---
"$CTL" start app >/dev/null || fail "start app failed"
[ "$(lines app_start)" = 1 ] || fail "app's before_start ran $(lines app_start) times"
ready=$(grep -n "watcher app: its dependencies are ready" "$DLOG" | head -1 | cut -d: -f1)
hook=$(grep -n "watcher app: hook before_start\[[0-9]*\] started" "$DLOG" | head -1 | cut -d: -f1)
spawn=$(grep -n "watcher app\[1\]: spawned" "$DLOG" | head -1 | cut -d: -f1)
[ -n "$ready" ] && [ -n "$hook" ] && [ -n "$spawn" ] && [ "$ready" -lt "$hook" ] && [ "$hook" -lt "$spawn" ] ||
	fail "not deps, then before_start, then spawn (lines $ready, $hook, $spawn)"
"$CTL" stop app >/dev/null

# --- a failing after_start stops the watcher (as Circus) ---
"$CTL" start failstart >/dev/null 2>&1
wait_for 10 '"$CTL" status failstart | grep -q STOPPED' || fail "failstart still runs: $("$CTL" status failstart)"
grep -qF "watcher failstart: after_start hook failed: exited 2: stopping the watcher" "$DLOG" ||
	fail "after_start's failure is not logged"

# --- a failing before_stop never prevents the stop ---
"$CTL" start stopfail >/dev/null || fail "start stopfail failed"
"$CTL" stop stopfail >/dev/null || fail "stop stopfail failed"
"$CTL" status stopfail | grep -q STOPPED || fail "stopfail not stopped: $("$CTL" status stopfail)"
grep -qF "watcher stopfail: before_stop hook failed: exited 1: stopping anyway" "$DLOG" ||
	fail "before_stop's failure is not logged"

# --- ignore_failure: logged, the start goes on ---
"$CTL" start ignored >/dev/null || fail "start ignored failed despite ignore_failure"
grep -qF "watcher ignored: hook before_start[" "$DLOG" && grep -q "failed: exited 5 (ignore_failure: going on)" "$DLOG" ||
	fail "the ignored failure is not logged"
ipid=$("$CTL" status ignored | sed -n 's/.*pid \([0-9]*\).*/\1/p')
[ -n "$ipid" ] || fail "ignored does not run: $("$CTL" status ignored)"
# A hook changed in the file applies in place: the process stays.
sed -i 's/args: \[ignored, 5\]/args: [ignored, 0]/' "$CONF"
"$CTL" update >/dev/null || fail "update failed"
"$CTL" get ignored hooks | grep -qF "[\"$H\", \"ignored\", \"0\"]" || fail "the new hook is not in force: $("$CTL" get ignored hooks)"
[ "$("$CTL" status ignored | sed -n 's/.*pid \([0-9]*\).*/\1/p')" = "$ipid" ] ||
	fail "a hook's change restarted the process: $("$CTL" status ignored)"

# --- at exit, a hook still running is killed and reaped ---
"$CTL" start lingering >/dev/null || fail "start lingering failed"
wait_for 5 'grep -qE "watcher lingering: hook after_spawn\[[0-9]+\] started" "$DLOG"' ||
	fail "lingering's hook did not start"
lpid=$(sed -nE 's/.*watcher lingering: hook after_spawn\[([0-9]+)\] started.*/\1/p' "$DLOG" | head -1)
wait_for 5 '[ "$(count_matching "$HS")" = 1 ]' || fail "lingering's hook is not sleeping"
stop_daemon TERM 30
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
[ ! -d "/proc/$lpid" ] || fail "the hook $lpid outlived the daemon"
[ -z "$(procs_matching "^$HS")" ] || fail "a hook's sleep outlived the daemon"
grep -qF "watcher lingering: hook after_spawn[$lpid] still running at exit: killing it" "$DLOG" ||
	fail "the kill at exit is not logged"

# --- containment of hooks run for a nobody watcher (the attack of issue 15) ---
# gid alone keeps the watcher's user; a hook of another user does not enter the watcher's
# working_dir; hooks and processes are each in a session of their own (no controlling terminal,
# no way into cirqued's process group); output beyond 256 KiB is counted, not logged; hooks
# that nothing waits for are capped per watcher.
chmod 711 "$T"  # nobody may pass through to its directory
ln -sf "$(command -v sleep)" "$T/leftover"
mkdir -p "$T/nobody-dir" && chown nobody "$T/nobody-dir"
cat >"$CONF" <<YAML
watchers:
  gidonly:
    cmd: sleep 3600
    uid: nobody
    working_dir: $T/nobody-dir
    hooks:
      before_start: {cmd: /bin/sh, args: [-c, 'id -u > gidonly.uid; id -g >> gidonly.uid'], gid: root}
      after_spawn: {cmd: /bin/sh, args: [-c, 'pwd > $T/rooth.pwd; ps -o sid=,tty= -p \$\$ > $T/hook.sid; $T/leftover 300 &'], uid: root}
  flood:
    cmd: sleep 3600
    autostart: false
    hooks:
      before_start: {cmd: /bin/sh, args: [-c, 'head -c 1000000 /dev/zero | tr "\\0" "x" | fold -w 100']}
  crashy:
    cmd: /bin/sh -c 'sleep 0.2; exit 1'
    numprocesses: 20
    autostart: false
    min_uptime: 0
    max_retry: -1
    hooks:
      after_reap: {cmd: sleep, args: ["30"], timeout: 40s}
YAML
: >"$DLOG"
start_daemon
U="$T/nobody-dir/gidonly.uid"
wait_for 10 '[ -s "$U" ] && [ -s "$T/hook.sid" ]' || fail "gidonly's hooks did not run"
[ "$(head -n 1 "$U")" = 65534 ] || fail "a hook with gid alone ran as uid $(head -n 1 "$U")"
[ "$(sed -n 2p "$U")" = 0 ] || fail "the hook's gid is not root's"
[ "$(cat "$T/rooth.pwd")" = / ] || fail "a root hook of a nobody watcher ran in $(cat "$T/rooth.pwd")"
gpid=$("$CTL" status gidonly | sed -n 's/.*pid \([0-9]*\).*/\1/p')
[ "$(awk '{print $6, $7}' "/proc/$gpid/stat")" = "$gpid 0" ] || fail "the process is not in a session of its own, without a terminal: $(awk '{print $6, $7}' "/proc/$gpid/stat")"
read -r hsid htty <"$T/hook.sid"
[ "$htty" = "?" ] || fail "a hook has a controlling terminal: $htty"
[ "$hsid" != "$(awk '{print $6}' "/proc/$DPID/stat")" ] || fail "a hook is in cirqued's session"
# what the hook left in its group (the `&`) ended with it
wait_for 5 '[ -z "$(procs_matching "^$T/leftover")" ]' || fail "a hook's background process outlived it"
grep -qE "watcher gidonly: hook after_spawn\[[0-9]+\] left processes running in its group: killing them" "$DLOG" ||
	fail "the hook's leftovers were not logged"
note "gid alone keeps the watcher's user; another user's hook starts in /; sessions of their own; leftovers end with the hook"
"$CTL" start flood >/dev/null || fail "start flood failed"
grep -qE "watcher flood: hook before_start\[[0-9]+\]: [0-9]+ more bytes of output not logged \(256 KiB logged at most per run\)" "$DLOG" ||
	fail "a hook's flood was not cut"
[ "$(grep -c "watcher flood: hook before_start\[.*xxxx" "$DLOG")" -le 2700 ] || fail "more than 256 KiB of a hook's output logged"
note "a hook's output beyond 256 KiB is counted, not logged"
"$CTL" start --no-wait crashy >/dev/null
wait_for 20 'grep -q "watcher crashy: hook after_reap skipped: 16 of its hooks" "$DLOG"' || fail "after_reap hooks not capped"
[ "$(count_matching "sleep 30")" -le 16 ] || fail "$(count_matching "sleep 30") after_reap hooks run at once"
note "hooks nothing waits for: at most 16 at once per watcher"
stop_daemon QUIT 30
echo ok
