# cirquectl status: supervisorctl's layout (name padded to max(30, longest + 3), state padded to 10,
# then a description), `name:wid` for multi-process watchers, the descriptions of RUNNING, STOPPED,
# FATAL and BACKOFF, exit codes 0/3/4, filtering by name, --json, pids that match /proc; exit 7
# when no daemon answers, 2 for an unknown verb; version and help.
. "$(dirname "$0")/lib.sh"
PY=$(command -v /usr/bin/python3 || command -v python3) || fail "python3 is needed (JSON, stale socket)"

SOLO=$(sleeper solo); TRIO=$(sleeper trio); IDLE=$(sleeper idle)
LONG=a_watcher_with_a_rather_long_name_0123456   # 41 characters: the column becomes 44 wide
L=$(sleeper "$LONG")
cat >"$CONF" <<YAML
watchers:
  solo:
    cmd: $SOLO 3600
  trio:
    cmd: $TRIO 3600
    numprocesses: 3
  idle:
    cmd: $IDLE 3600
    autostart: false
  doomed:
    cmd: /bin/sh -c 'exit 3'
    max_retry: 1
  retrying:
    cmd: /bin/sh -c 'exit 5'
    max_retry: -1
  $LONG:
    cmd: $L 3600
YAML
t0=$(date +%s)
start_daemon
wait_count "$SOLO" 1; wait_count "$TRIO" 3; wait_count "$L" 1
# 1 start + 1 retry after 0.25 s: FATAL well within 10 s.
wait_for 10 '"$CTL" status doomed | grep -q FATAL' || fail "doomed never shown FATAL: $("$CTL" status doomed)"
# RUNNING once up for the start grace (1 s)
wait_for 10 '[ "$("$CTL" status solo trio "$LONG" | grep -c " RUNNING ")" -eq 5 ]' ||
	fail "not all RUNNING: $("$CTL" status)"
wait_for 10 '"$CTL" status retrying | grep -q BACKOFF' || fail "retrying never shown BACKOFF: $("$CTL" status retrying)"

# --- the layout ------------------------------------------------------------------------------
out=$("$CTL" status); rc=$?
[ "$rc" -eq 3 ] || fail "status with a STOPPED and a FATAL watcher: exit $rc, expected 3"
note "status:"; echo "$out" | sed 's/^/    /'
w=44
expect_line() {  # expect_line TEXT LINE: one line of $out is exactly TEXT
	echo "$out" | grep -qxF -- "$1" || fail "missing status line '$1' in:
$out"
}
# sorted by name; retrying is BACKOFF or, for an instant, STARTING
names=$(echo "$out" | awk '{print $1}' | tr '\n' ' ')
[ "$names" = "$LONG doomed idle retrying solo trio:1 trio:2 trio:3 " ] || fail "lines/order: $names"
expect_line "$(printf '%-*s%-10s%s' $w doomed FATAL 'Exited too quickly: gave up after 2 failed starts')"
expect_line "$(printf '%-*s%-10s%s' $w idle STOPPED 'Not running')"
solo_pid=$(children_matching "$SOLO")
echo "$out" | grep -qE "^$(printf '%-*s%-10s' $w solo RUNNING)pid $solo_pid, uptime [0-9]+:[0-5][0-9]:[0-5][0-9]\$" ||
	fail "solo line wrong (pid $solo_pid): $(echo "$out" | grep '^solo')"
echo "$out" | grep -qE "^$(printf '%-*s%-10s' $w "$LONG" RUNNING)pid [0-9]+, uptime " ||
	fail "long name not padded to $w: $(echo "$out" | grep "^$LONG")"
for wid in 1 2 3; do
	echo "$out" | grep -qE "^$(printf '%-*s%-10s' $w "trio:$wid" RUNNING)pid [0-9]+, uptime [0-9]+:[0-5][0-9]:[0-5][0-9]\$" ||
		fail "trio:$wid line wrong: $(echo "$out" | grep "^trio:$wid")"
done
echo "$out" | grep -qE "^$(printf '%-*s' $w retrying)(BACKOFF   Exited too quickly \(failed start [0-9]+, retrying\)|STARTING  pid [0-9]+)\$" ||
	fail "retrying line wrong: $(echo "$out" | grep '^retrying')"
# a single-process watcher is shown by its bare name, never name:1
echo "$out" | grep -q '^solo:' && fail "single-process watcher shown as solo:N"
# the uptime is plausible: no more than the time since the daemon started (+2 s of slack)
up=$(echo "$out" | sed -n 's/^solo .*uptime \([0-9]*\):\([0-9]*\):\([0-9]*\)$/\1 \2 \3/p')
read -r h m s <<<"$up"
[ $((10#$h * 3600 + 10#$m * 60 + 10#$s)) -le $(( $(date +%s) - t0 + 2 )) ] || fail "uptime $h:$m:$s too large"

# --- pids shown = the daemon's children in /proc ------------------------------------------------
shown=$(echo "$out" | sed -n 's/.*RUNNING *pid \([0-9]*\),.*/\1/p' | sort -n)
real=$( { children_matching "$SOLO"; children_matching "$TRIO"; children_matching "$L"; } | sort -n)
[ "$shown" = "$real" ] || fail "pids shown ($(echo $shown)) differ from /proc ($(echo $real))"
for p in $shown; do children | grep -qx "$p" || fail "pid $p shown is not a child of the daemon"; done

# --- filtering and exit codes ---------------------------------------------------------------------
out=$("$CTL" status solo); rc=$?
[ "$rc" -eq 0 ] || fail "status solo: exit $rc"
[ "$(echo "$out" | wc -l)" -eq 1 ] || fail "status solo printed: $out"
# only the names asked for count for the width: back to 30
echo "$out" | grep -qE "^$(printf '%-30s%-10s' solo RUNNING)pid $solo_pid, uptime " || fail "status solo: '$out'"
out=$("$CTL" status solo trio); rc=$?
[ "$rc" -eq 0 ] || fail "status solo trio: exit $rc"
[ "$(echo "$out" | awk '{print $1}' | tr '\n' ' ')" = "solo trio:1 trio:2 trio:3 " ] || fail "status solo trio: $out"
"$CTL" status retrying >/dev/null; rc=$?
[ "$rc" -eq 0 ] || fail "BACKOFF counts as running (as supervisorctl): exit $rc"
"$CTL" status idle >/dev/null; rc=$?
[ "$rc" -eq 3 ] || fail "status of a STOPPED watcher: exit $rc, expected 3"
"$CTL" status doomed >/dev/null; rc=$?
[ "$rc" -eq 3 ] || fail "status of a FATAL watcher: exit $rc, expected 3"
out=$("$CTL" status nosuch 2>&1); rc=$?
[ "$rc" -eq 4 ] || fail "status nosuch: exit $rc, expected 4"
[ "$out" = "nosuch: ERROR (no such process)" ] || fail "status nosuch printed: '$out'"
out=$("$CTL" status solo nosuch 2>&1); rc=$?
[ "$rc" -eq 4 ] || fail "status solo nosuch: exit $rc, expected 4"
echo "$out" | grep -qx "nosuch: ERROR (no such process)" || fail "status solo nosuch: $out"
echo "$out" | grep -q "^solo  *RUNNING" || fail "status solo nosuch lost solo: $out"
# starting the stopped one makes everything but the FATAL one fine
"$CTL" start idle >/dev/null || fail "start idle"
"$CTL" status solo trio idle "$LONG" >/dev/null; rc=$?
[ "$rc" -eq 0 ] || fail "all asked for are running: exit $rc"

# --- --json: the raw reply -----------------------------------------------------------------------
json=$("$CTL" --json status); rc=$?
[ "$rc" -eq 0 ] || fail "--json status: exit $rc"
echo "$json" | "$PY" -c '
import json, sys
r = json.load(sys.stdin)
assert r["status"] == "ok", r
s = r["statuses"]
assert s["solo"] == "active" and s["idle"] == "active" and s["trio"] == "active", s
assert set(s) == {"solo", "trio", "idle", "doomed", "retrying", sys.argv[1]}, s
assert "id" in r and "time" in r, r
' "$LONG" || fail "--json status is not the expected JSON reply: $json"

# --- no daemon: exit 7 with one line ---------------------------------------------------------------
errf=$T/err
CIRQUE_ENDPOINT="ipc://$T/nothing-here.sock" "$CTL" status >"$T/out" 2>"$errf"; rc=$?
[ "$rc" -eq 7 ] || fail "no daemon: exit $rc, expected 7"
[ ! -s "$T/out" ] || fail "no daemon: printed on stdout: $(cat "$T/out")"
[ "$(wc -l <"$errf")" -eq 1 ] || fail "no daemon: expected one line on stderr, got: $(cat "$errf")"
grep -q "nothing-here.sock" "$errf" || fail "the message does not name the endpoint: $(cat "$errf")"
# --endpoint wins over the environment
"$CTL" --endpoint "ipc://$T/nothing-here.sock" status >/dev/null 2>&1; rc=$?
[ "$rc" -eq 7 ] || fail "--endpoint to nowhere: exit $rc, expected 7"

# A socket file left by a daemon that is gone: refused at once, even by a waiting command (ZeroMQ
# alone would wait for ever: `restart all` never returned).
/usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/left.sock" ||
	fail "cannot make a socket file nobody listens on"
timeout 20 "$CTL" --endpoint "ipc://$T/left.sock" restart all >"$T/out" 2>"$errf"; rc=$?
[ "$rc" -eq 7 ] || fail "stale socket: exit $rc, expected 7 ($(cat "$errf"))"
grep -q "nothing listens" "$errf" || fail "stale socket: $(cat "$errf")"

# A daemon that does not answer (stopped with SIGSTOP): --timeout 1 gives up after about 1 s.
kill -STOP "$DPID"
start=$(date +%s%N)
"$CTL" --timeout 1 status >"$T/out" 2>"$errf"; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
kill -CONT "$DPID"
[ "$rc" -eq 7 ] || fail "hung daemon: exit $rc, expected 7"
[ "$(wc -l <"$errf")" -eq 1 ] || fail "hung daemon: expected one line on stderr, got: $(cat "$errf")"
[ "$ms" -ge 900 ] && [ "$ms" -lt 5000 ] || fail "--timeout 1 took $ms ms"
note "--timeout 1 against a stopped daemon: $ms ms"
"$CTL" status solo >/dev/null || fail "daemon does not answer after SIGCONT"

# A stale socket file (a daemon that died with SIGKILL leaves one): nothing listens there.
"$PY" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/stale.sock" ||
	fail "cannot make a stale socket"
start=$(date +%s%N)
CIRQUE_ENDPOINT="ipc://$T/stale.sock" "$CTL" --timeout 1 status >/dev/null 2>"$errf"; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$rc" -eq 7 ] || fail "stale socket: exit $rc, expected 7"
[ "$(wc -l <"$errf")" -eq 1 ] || fail "stale socket: expected one line on stderr, got: $(cat "$errf")"
[ "$ms" -lt 5000 ] || fail "stale socket with --timeout 1 took $ms ms"

# --- usage, version, help ----------------------------------------------------------------------------
"$CTL" bogus >/dev/null 2>"$errf"; rc=$?
[ "$rc" -eq 2 ] || fail "cirquectl bogus: exit $rc, expected 2"
grep -q bogus "$errf" || fail "cirquectl bogus: no message naming it: $(cat "$errf")"
"$CTL" --no-such-option status >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] || fail "unknown option: exit $rc, expected 2"
"$CTL" --timeout 0 status >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] || fail "--timeout 0: exit $rc, expected 2"
version=$(sed -n 's/^#define CIRQUE_VERSION "\(.*\)"/\1/p' "$ROOT/src/version.h")
[ -n "$version" ] || fail "no version in src/version.h"
out=$("$CTL" version); rc=$?
[ "$rc" -eq 0 ] && [ "$out" = "$version" ] || fail "cirquectl version: exit $rc, '$out' (expected $version)"
out=$("$CTL" --version); rc=$?
[ "$rc" -eq 0 ] && [ "$out" = "cirquectl $version" ] || fail "cirquectl --version: exit $rc, '$out'"
out=$("$CTL" help); rc=$?
[ "$rc" -eq 0 ] || fail "cirquectl help: exit $rc"
for verb in status start stop restart reload reread update signal incr decr add remove pid get set \
	stats version shutdown help; do
	echo "$out" | grep -qE "^  $verb( |\$)" || fail "help does not list $verb: $out"
done
"$CTL" --help | grep -q "usage: cirquectl" || fail "--help prints no usage"
# version and help need no daemon
CIRQUE_ENDPOINT="ipc://$T/nothing-here.sock" "$CTL" version >/dev/null || fail "version needs a daemon"

kill -0 "$DPID" || fail "daemon died"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
echo ok
