# The verbs supervisorctl and circusctl users reach for: maintail [-f] (the daemon's own log,
# from its memory, whatever its output), avail (watchers in use, and those only the file has),
# clear (a watcher's log files emptied by the daemon), fg (no stdin to forward: says why, exit
# 1), events [--json] (the PUB stream, one line per event), and Circus's names: list, dstats,
# options, numprocesses, numwatchers, listsockets, globaloptions, quit. Followers (maintail -f,
# events) end with exit 7 when the daemon stops.
. "$(dirname "$0")/lib.sh"

S=$(sleeper solo); D=$(sleeper duo)
cat >"$CONF" <<YAML
watchers:
  solo:
    cmd: /bin/sh -c 'echo "solo out"; echo "solo err" >&2; exec $S 3600'
    stdout: {file: $T/solo.out}
    stderr: {file: $T/solo.err}
    graceful_timeout: 1
  duo:
    cmd: $D 3600
    numprocesses: 2
    stdout: {file: "$T/duo.{wid}.out"}
    graceful_timeout: 1
  plain:
    cmd: $S 3601
    graceful_timeout: 1
YAML
start_daemon
wait_count "$S 3600" 1; wait_count "$D" 2
wait_for 10 'grep -qx "solo out" "$T/solo.out" 2>/dev/null && grep -qx "solo err" "$T/solo.err" 2>/dev/null' || fail "solo's output never reached its files"

# --- maintail -------------------------------------------------------------------------------
wait_for 10 'grep -q "started: 3 watchers" "$DLOG"' || fail "the daemon never said it started"  # the log is still then
out=$("$CTL" maintail -n 1000) || fail "maintail: exit $?"
echo "$out" | grep -q "cirqued .* starting (pid $DPID" || fail "maintail lacks the start line: [$out]"
[ "$(echo "$out" | grep -c .)" -eq "$(grep -c '^20' "$DLOG")" ] || fail "maintail -n 1000 is not the whole log: [$out] vs [$(cat "$DLOG")]"
[ "$("$CTL" maintail -n 2 | wc -l)" -eq 2 ] || fail "maintail -n 2: $("$CTL" maintail -n 2)"
[ "$("$CTL" maintail -n2)" = "$(grep '^20' "$DLOG" | tail -n 2)" ] || fail "maintail -n2 is not the log's last 2 lines"
"$CTL" maintail -n x >/dev/null 2>&1; [ $? -eq 2 ] || fail "maintail -n x: not a usage error"
"$CTL" maintail -f -n 0 >"$T/main.f" 2>"$T/main.f.err" &
MPID=$!
"$CTL" events >"$T/events" 2>"$T/events.err" &
EPID=$!
"$CTL" events --json >"$T/events.json" 2>"$T/events.json.err" &
JPID=$!
wait_for 10 'grep -q "Press Ctrl-C" "$T/main.f.err" && grep -q "Press Ctrl-C" "$T/events.err" && grep -q "Press Ctrl-C" "$T/events.json.err"' ||
	fail "maintail -f / events did not start: $(cat "$T/main.f.err" "$T/events.err")"

# --- events, from an incr --------------------------------------------------------------------
"$CTL" incr duo >/dev/null || fail "incr duo"
wait_count "$D" 3
wait_for 10 'grep -q "watcher duo\[3\]: spawned pid" "$DLOG"' || fail "duo[3] never spawned"
newpid=$(sed -n 's/.*watcher duo\[3\]: spawned pid \([0-9]*\).*/\1/p' "$DLOG")
wait_for 10 'grep -qE "^[0-9-]{10} [0-9:.]{12} duo spawn process_pid=$newpid$" "$T/events"' ||
	fail "events: no readable spawn line for $newpid: [$(cat "$T/events")]"
wait_for 10 'grep -q "\"process_pid\":$newpid" "$T/events.json"' || fail "events --json: no spawn of $newpid: [$(cat "$T/events.json")]"
/usr/bin/python3 - "$T/events.json" "$newpid" <<'PYEOF' || fail "events --json: not one JSON object per line: [$(cat "$T/events.json")]"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
objs = [json.loads(l) for l in lines]
assert all(isinstance(o, dict) and "watcher" in o and "event" in o and "time" in o for o in objs), objs
assert any(o["watcher"] == "duo" and o["event"] == "spawn" and o["process_pid"] == int(sys.argv[2]) for o in objs), objs
PYEOF
wait_for 10 'grep -q "watcher duo\[3\]: spawned pid $newpid" "$T/main.f"' || fail "maintail -f: no new line: [$(cat "$T/main.f")]"
grep -q "starting (pid" "$T/main.f" && fail "maintail -f -n 0 printed old lines"

# --- clear ------------------------------------------------------------------------------------
out=$("$CTL" clear solo) || fail "clear solo: exit $? [$out]"
[ "$out" = "solo: cleared $T/solo.out, $T/solo.err" ] || fail "clear solo said [$out]"
wait_for 10 '[ ! -s "$T/solo.out" ] && [ ! -s "$T/solo.err" ]' || fail "clear did not empty solo's files: $(cat "$T/solo.out" "$T/solo.err")"
[ -z "$("$CTL" tail solo)" ] || fail "tail after clear: $("$CTL" tail solo)"
out=$("$CTL" clear duo) || fail "clear duo: exit $?"
[ "$out" = "duo: cleared $T/duo.1.out, $T/duo.2.out, $T/duo.3.out" ] || fail "clear duo (a file per wid) said [$out]"
out=$("$CTL" clear plain 2>&1); rc=$?
[ "$rc" -eq 1 ] || fail "clear on a watcher without log files: exit $rc [$out]"
echo "$out" | grep -q "writes no log file" || fail "clear plain said [$out]"
"$CTL" clear nosuch >/dev/null 2>&1; rc=$?
[ "$rc" -eq 4 ] || fail "clear nosuch: exit $rc, expected 4"

# --- fg ---------------------------------------------------------------------------------------
out=$("$CTL" fg duo:2 </dev/null 2>&1); rc=$?
[ "$rc" -eq 1 ] || fail "fg duo:2: exit $rc [$out]"
echo "$out" | grep -q "no stdin to forward to: cirque gives every process /dev/null" || fail "fg does not say why: [$out]"
"$CTL" fg duo:9 </dev/null >/dev/null 2>&1; rc=$?
[ "$rc" -eq 4 ] || fail "fg duo:9: exit $rc, expected 4"
"$CTL" fg nosuch </dev/null >/dev/null 2>&1; rc=$?
[ "$rc" -eq 4 ] || fail "fg nosuch: exit $rc, expected 4"

# --- avail ------------------------------------------------------------------------------------
cat >>"$CONF" <<YAML
  later:
    cmd: $S 3602
YAML
out=$("$CTL" avail) || fail "avail: exit $?"
echo "$out" | grep -qE "^duo +in use +(active|starting)$" || fail "avail: duo [$out]"
echo "$out" | grep -qE "^later +avail +in the file, not loaded" || fail "avail: later (only in the file) [$out]"
[ "$(echo "$out" | wc -l)" -eq 4 ] || fail "avail lists other lines: [$out]"

# --- Circus's names ---------------------------------------------------------------------------
[ "$("$CTL" list)" = "$(printf 'duo\nplain\nsolo')" ] || fail "list: $("$CTL" list)"
[ "$("$CTL" list duo | sort)" = "$("$CTL" pid duo | sort)" ] || fail "list duo: $("$CTL" list duo)"
[ "$("$CTL" numwatchers)" = 3 ] || fail "numwatchers: $("$CTL" numwatchers)"
[ "$("$CTL" numprocesses)" = 5 ] || fail "numprocesses: $("$CTL" numprocesses)"
[ "$("$CTL" numprocesses duo)" = 3 ] || fail "numprocesses duo: $("$CTL" numprocesses duo)"
"$CTL" numprocesses nosuch >/dev/null 2>&1; [ $? -eq 4 ] || fail "numprocesses nosuch: not exit 4"
"$CTL" dstats | grep -qE "^pid $DPID, cpu [0-9.]+%, mem [0-9.]+%, rss .*, age [0-9:]+$" || fail "dstats: $("$CTL" dstats)"
"$CTL" options duo | grep -qx "numprocesses: 3" || fail "options duo: $("$CTL" options duo)"
"$CTL" options duo | grep -qx "cmd: $D 3600" || fail "options duo: $("$CTL" options duo)"
"$CTL" globaloptions | grep -qx "pubsub_endpoint: ipc://$CIRQUE_RUNTIME_DIR/events.sock" || fail "globaloptions: $("$CTL" globaloptions)"
[ "$("$CTL" globaloptions loglevel)" = "loglevel: info" ] || fail "globaloptions loglevel: $("$CTL" globaloptions loglevel)"
[ "$("$CTL" globaloptions on_orphans)" = "on_orphans: adopt" ] || fail "globaloptions on_orphans: $("$CTL" globaloptions on_orphans)"
[ "$("$CTL" listsockets)" = "$("$CTL" sockets)" ] || fail "listsockets is not sockets"

# --- quit: Circus's shutdown; the followers end, saying why ------------------------------------
out=$("$CTL" quit) || fail "quit: exit $?"
[ "$out" = "Shut down" ] || fail "quit said [$out]"
wait_for 15 '! kill -0 $DPID 2>/dev/null' || fail "the daemon still runs after quit"
for p in $MPID $EPID $JPID; do
	wait_for 15 '! kill -0 '"$p"' 2>/dev/null' || { kill -9 $MPID $EPID $JPID; fail "a follower still runs after the daemon stopped"; }
	wait "$p"; rc=$?
	[ "$rc" -eq 7 ] || fail "maintail -f / events exited $rc when the daemon stopped, expected 7"
done
grep -q "stopped or dropped this connection" "$T/events.err" || fail "events ended without a word: $(cat "$T/events.err")"
grep -q "stopping all watchers" "$T/main.f" || fail "maintail -f missed the shutdown's lines: [$(cat "$T/main.f")]"
DPID=""
echo ok
