# Event listeners (listen_events): a watcher whose processes read the watcher events on stdin,
# one JSON object per line. A process of another watcher killed from outside (kill -9) shows up
# as its reap (exit_code -9, its pid) and the spawn of its successor; a filter passes only what
# it names; a listener that never reads makes cirqued drop its oldest lines, count them
# (metrics) and say so once per burst, while it answers at once and serves the other listeners;
# a listener killed and respawned finds the events written meanwhile; an unknown event name is a
# configuration error at file:line:column.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
# --- configuration errors -------------------------------------------------------------------
cat >"$CONF" <<'YAML'
watchers:
  one:
    cmd: sleep 10
    listen_events: [spawn, reaped]
  two:
    cmd: sleep 10
    listen_events: {events: [reap, exploded], watchers: [one]}
  three:
    cmd: sleep 10
    listen_events: {event: [reap]}
YAML
out=$("$CIRQUED" -c "$CONF" --check 2>&1) && fail "--check accepted unknown events: $out"
echo "$out" | grep -qF "$CONF:4:28: watchers.one.listen_events: unknown event 'reaped' (did you mean 'reap'?)" ||
	fail "no file:line:column error for an unknown event in a list: $out"
echo "$out" | grep -qF "$CONF:7:36: watchers.two.listen_events.events: unknown event 'exploded'" ||
	fail "no file:line:column error for an unknown event in events: $out"
echo "$out" | grep -qF "$CONF:10:21: watchers.three.listen_events: unknown key 'event'" ||
	fail "no error for an unknown key of listen_events: $out"

# --- a running daemon ---------------------------------------------------------------------------
# The listener appends each line it reads to the file it is given.
cat >"$T/listen.sh" <<'EOF'
#!/bin/sh
while read -r line; do printf '%s\n' "$line" >> "$1"; done
EOF
chmod +x "$T/listen.sh"
W=$(sleeper web)
DEAF=$(sleeper deaf)
CHURN=$(sleeper churn)
cat >"$CONF" <<YAML
watchers:
  everything:
    cmd: $T/listen.sh $T/all.events
    listen_events: true
    min_uptime: 0
    priority: 10
  reaps:
    cmd: $T/listen.sh $T/reaps.events
    listen_events: {events: [reap], watchers: [web]}
    priority: 10
  deaf:
    cmd: $DEAF 3600
    listen_events: {events: all, queue: 5}
    priority: 10
  web:
    cmd: $W 3600
  churn:
    cmd: $CHURN 3600
    numprocesses: 30
    graceful_timeout: 5
YAML
start_daemon

# events FILE 'CONDITION on e': how many events of FILE satisfy the Python expression.
events() {
	$PY - "$1" "$2" <<'PYEOF'
import json, sys
n = 0
try:
    lines = open(sys.argv[1]).read().splitlines()
except FileNotFoundError:
    lines = []
for line in lines:
    e = json.loads(line)
    n += bool(eval(sys.argv[2]))
print(n)
PYEOF
}
# has FILE 'CONDITION' [N]: at least N (1) such events arrive within 10 s.
has() {
	local has_file=$1 has_cond=$2 has_n=${3:-1}
	wait_for 10 '[ "$(events "$has_file" "$has_cond")" -ge "$has_n" ]'
}

wait_count "$W" 1
wait_count "$CHURN" 30
old=$(children_matching "$W")
has "$T/all.events" "e['event'] == 'spawn' and e['watcher'] == 'web' and e['process_pid'] == $old" ||
	fail "no spawn event of web ($old) at the listener"
has "$T/all.events" "e['event'] == 'start' and e['watcher'] == 'churn'" ||
	fail "no start event of churn at the listener"
[ "$(events "$T/all.events" "e['topic'] == 'watcher.web.spawn' and 'time' in e")" = 1 ] ||
	fail "an event lacks its topic or time: $(head -n 3 "$T/all.events")"
[ "$(readlink "/proc/$old/fd/0")" = /dev/null ] || fail "web's stdin is $(readlink "/proc/$old/fd/0")"
lpid=$(children_matching "$T/all.events")
case $(readlink "/proc/$lpid/fd/0") in pipe:*) ;; *) fail "the listener's stdin is not a pipe";; esac

# kill -9 from outside: reap (exit_code -9, that pid) and the spawn of its successor.
kill -9 "$old"
has "$T/all.events" "e['event'] == 'reap' and e['watcher'] == 'web' and e['process_pid'] == $old and e['exit_code'] == -9" ||
	fail "no reap event of web ($old, -9): $(grep '"web"' "$T/all.events")"
wait_for 10 '[ -n "$(children_matching "$W")" ]' || fail "web not respawned"
new=$(children_matching "$W")
has "$T/all.events" "e['event'] == 'spawn' and e['watcher'] == 'web' and e['process_pid'] == $new" ||
	fail "no spawn event of web's successor ($new)"
note "kill -9 of web $old: reap (-9) and spawn of $new at the listener"

# The filter: reaps of web only.
has "$T/reaps.events" "e['event'] == 'reap' and e['process_pid'] == $old" ||
	fail "the filtered listener missed web's reap"
[ "$(events "$T/reaps.events" "e['event'] != 'reap' or e['watcher'] != 'web'")" = 0 ] ||
	fail "the filtered listener got other events: $(cat "$T/reaps.events")"
# A listener never hears about its own watcher.
[ "$(events "$T/all.events" "e['watcher'] == 'everything'")" = 0 ] || fail "the listener heard its own events"

# A listener that never reads: 30 kills and 30 spawns (and stop, start) of churn fill its pipe
# and queue of 5; cirqued drops, counts, and says so in a line or two, not one per event.
before=$(events "$T/all.events" "e['watcher'] == 'churn' and e['event'] == 'spawn'")
"$CTL" restart churn >/dev/null || fail "restart churn"
t0=$(date +%s%N)
timeout 5 "$CTL" status >/dev/null || fail "status does not answer while a listener is full"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
note "status answered in ${ms} ms with a listener that does not read"
[ "$ms" -lt 2000 ] || fail "status took ${ms} ms"
has "$T/all.events" "e['watcher'] == 'churn' and e['event'] == 'spawn'" $(( before + 30 )) ||
	fail "the reading listener missed churn's spawns while another was full"
wait_for 10 'grep -q "listener deaf\[1\]: dropped" "$DLOG"' || fail "no log line about the drops"
said=$(log_count "listener deaf\[1\]: dropped")
[ "$said" -le 3 ] || fail "$said log lines about drops (one per burst expected)"
dropped=$("$CTL" --json metrics | json_eval '[w.get("events_dropped") for w in d["watchers"] if w["name"] == "deaf"][0]')
[ "$dropped" -gt 0 ] 2>/dev/null || fail "metrics: deaf's events_dropped is $dropped"
"$CTL" --json metrics | json_eval '[w for w in d["watchers"] if w["name"] == "web"][0].get("events_dropped")' |
	grep -qx None || fail "events_dropped on a watcher that does not listen"
"$CTL" metrics | grep -q '^cirque_watcher_events_dropped_total{watcher="deaf"} [1-9]' ||
	fail "no cirque_watcher_events_dropped_total for deaf: $("$CTL" metrics | grep events_dropped)"
note "deaf: $dropped events dropped, said in $said log line(s): $(grep -m1 "listener deaf" "$DLOG" | cut -c25-)"

# A listener killed and respawned gets what was written meanwhile: frozen (it reads nothing),
# churn restarts (more than its pipe holds: the rest waits in its queue), then kill -9.
has "$T/all.events" "e['watcher'] == 'churn' and e['event'] == 'start'" 2 ||
	fail "churn's start event missing after its restart"
before=$(events "$T/all.events" "e['watcher'] == 'churn' and e['event'] == 'spawn'")
lpid=$(children_matching "$T/all.events")
kill -STOP "$lpid"
"$CTL" restart churn >/dev/null || fail "restart churn (2)"
kill -9 "$lpid"
wait_for 10 '[ -n "$(children_matching "$T/all.events")" ] && [ "$(children_matching "$T/all.events")" != "$lpid" ]' ||
	fail "the listener was not respawned"
has "$T/all.events" "e['watcher'] == 'churn' and e['event'] == 'spawn'" $(( before + 30 )) ||
	fail "events written while the listener restarted were lost: $(( $(events "$T/all.events" "e['watcher'] == 'churn' and e['event'] == 'spawn'") - before )) of 30 spawns"
has "$T/all.events" "e['watcher'] == 'churn' and e['event'] == 'start'" 3 ||
	fail "churn's last start event missing"
[ "$(events "$T/all.events" "e['watcher'] == 'churn' and e['event'] == 'kill'")" -ge 60 ] ||
	fail "kill events missing after the respawn"
note "listener killed while frozen: its successor read the $(( $(events "$T/all.events" "e['watcher'] == 'churn' and e['event'] == 'spawn'") - before )) spawns written meanwhile"
! grep -q "listener everything" "$DLOG" || fail "the reading listener dropped events: $(grep "listener everything" "$DLOG")"

# The filter changes in place (same process); turning listening off replaces the processes,
# whose stdin is /dev/null again (deaf's full queue goes with its slot).
rpid=$(children_matching "$T/reaps.events")
"$CTL" set reaps listen_events '{events: [spawn], watchers: [web]}' >/dev/null || fail "set listen_events"
[ "$(children_matching "$T/reaps.events")" = "$rpid" ] || fail "a new filter restarted the listener"
old=$(children_matching "$W")
kill -9 "$old"
wait_for 10 '[ -n "$(children_matching "$W")" ] && [ "$(children_matching "$W")" != "$old" ]' || fail "web not respawned (2)"
new=$(children_matching "$W")
has "$T/reaps.events" "e['event'] == 'spawn' and e['process_pid'] == $new" ||
	fail "the new filter does not pass web's spawn"
[ "$(events "$T/reaps.events" "e['event'] == 'reap' and e['process_pid'] == $old")" = 0 ] ||
	fail "the new filter passed a reap"
dpid=$(children_matching "$DEAF")
"$CTL" set deaf listen_events false >/dev/null || fail "set listen_events false"
wait_for 10 '[ -n "$(children_matching "$DEAF")" ] && [ "$(children_matching "$DEAF")" != "$dpid" ]' ||
	fail "deaf not replaced when it stopped listening"
[ "$(readlink "/proc/$(children_matching "$DEAF")/fd/0")" = /dev/null ] || fail "deaf's stdin is not /dev/null"

# Hook runs reach listeners too (listen_events: [hook]): a failing before_start says so.
"$CTL" set reaps listen_events '[hook]' >/dev/null || fail "set listen_events [hook]"
request '{"command": "add", "properties": {"name": "hooked", "cmd": "sleep 60", "options": {"hooks": {"before_start": "sh -c \"exit 3\""}}}}' |
	grep -q '"ok"' || fail "add hooked"
"$CTL" start hooked >/dev/null 2>&1 && fail "start hooked succeeded with a failing before_start"
has "$T/reaps.events" "e['event'] == 'hook' and e['watcher'] == 'hooked' and e['hook'] == 'before_start' and e['status'] == 'failed'" ||
	fail "the listener did not hear the failed hook: $(tail -n 3 "$T/reaps.events")"

stop_daemon TERM
[ "$DSTATUS" = 0 ] || fail "daemon exit status $DSTATUS"
