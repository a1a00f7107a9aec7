# The metrics command and `cirquectl metrics`: Prometheus's text format that promtool accepts
# with 100 processes; every figure checked against what happened and against /proc: pids and
# resident memory of each process, restarts and unexpected exits after kills, stopped exits after
# a decr, spawn failures, output lines, requests by command and outcome (an unknown command
# counted as "unknown"), the duration histogram consistent, reloads ok and failed.
. "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || fail "promtool is needed (Debian's prometheus package)"

MANY=$(sleeper many); ONE=$(sleeper one)
cat >"$CONF" <<YAML
watchers:
  many:
    cmd: $MANY 3600
    numprocesses: 97
  one:
    cmd: $ONE 3600
  talker:
    cmd: /bin/sh -c 'echo out1; echo out2; echo err1 >&2; exec sleep 3600'
  broken:
    cmd: /nonexistent/program
    max_retry: 1
YAML
start_daemon
wait_count "$MANY" 97; wait_count "$ONE" 1
M="$T/metrics.txt"
scrape() { "$CTL" metrics >"$M" || fail "cirquectl metrics failed"; }
value() {  # value 'series{labels}': its sample, exactly as written
	awk -v s="$1" '$1 == s { print $2; found = 1 } END { exit !found }' "$M" ||
		fail "no sample $1 in: $(grep -F "${1%%\{*}" "$M" | head -n 20)"
}
wait_for 10 '"$CTL" status broken | grep -q FATAL' || fail "broken never FATAL"
wait_for 10 'scrape; [ "$(value "cirque_watcher_output_lines_total{watcher=\"talker\",stream=\"stdout\"}")" = 2 ]' ||
	fail "talker's 2 lines never counted: $(grep output_lines "$M")"
wait_for 10 'scrape; [ "$(value "cirque_watcher_processes{watcher=\"many\",state=\"running\"}")" = 97 ]' ||
	fail "many: never 97 running: $(grep processes "$M" | grep many)"

# --- the format: promtool, 100 processes, one family each --------------------------------------
promtool check metrics <"$M" >"$T/promtool.out" 2>&1 || fail "promtool: $(cat "$T/promtool.out")"
[ "$(grep -c '^cirque_process_pid{' "$M")" -eq 99 ] ||
	fail "expected 99 process pids (97 + one + talker), got $(grep -c '^cirque_process_pid{' "$M")"
[ "$(grep '^# TYPE' "$M" | sort | uniq -d | wc -l)" -eq 0 ] || fail "a family is declared twice"
grep -q '^# HELP cirque_process_cpu_seconds_total ' "$M" || fail "HELP missing"
grep -q '^# TYPE cirque_process_cpu_seconds_total counter$' "$M" || fail "TYPE missing"

# --- against /proc ---------------------------------------------------------------------------
for pid in $(children_matching "$MANY" | head -n 5); do
	wid=$(proc_env "$pid" | sed -n 's/^CIRQUE_WID=//p')
	[ -n "$wid" ] || fail "no CIRQUE_WID in $pid's environment"
	[ "$(value "cirque_process_pid{watcher=\"many\",wid=\"$wid\"}")" = "$pid" ] ||
		fail "many:$wid's pid is not $pid"
	rss=$(value "cirque_process_resident_memory_bytes{watcher=\"many\",wid=\"$wid\"}")
	proc_rss=$(( $(awk '{print $2}' "/proc/$pid/statm") * $(getconf PAGESIZE) ))
	[ "$rss" -gt 0 ] && [ $(( rss - proc_rss )) -lt 1048576 ] && [ $(( proc_rss - rss )) -lt 1048576 ] ||
		fail "many:$wid rss $rss, /proc says $proc_rss"
	[ "$(value "cirque_process_ready{watcher=\"many\",wid=\"$wid\"}")" = 1 ] || fail "many:$wid not ready"
	[ "$(value "cirque_process_state{watcher=\"many\",wid=\"$wid\",state=\"running\"}")" = 1 ] ||
		fail "many:$wid not running"
done
[ "$(value 'cirque_watcher_processes{watcher="many",state="running"}')" = 97 ] || fail "97 running"
[ "$(value 'cirque_watcher_processes_wanted{watcher="many"}')" = 97 ] || fail "97 wanted"
started=$(value 'cirque_daemon_start_time_seconds'); now=$(date +%s)
[ "${started%.*}" -le "$now" ] && [ "${started%.*}" -gt $(( now - 600 )) ] || fail "daemon start time $started"
[ "$(value "cirque_build_info{version=\"$("$CTL" version | awk '{print $NF}')\"}")" = 1 ] ||
	fail "build_info: $(grep build_info "$M")"

# --- counters follow what happens -------------------------------------------------------------
[ "$(value 'cirque_watcher_spawn_failures_total{watcher="broken"}')" = 2 ] ||
	fail "broken: 2 failed spawns expected: $(grep 'broken' "$M")"
old=$(children_matching "$ONE")
kill -9 "$old"
wait_for 10 '[ -n "$(children_matching "$ONE")" ] && [ "$(children_matching "$ONE")" != "$old" ]' ||
	fail "one was not respawned"
scrape
[ "$(value 'cirque_watcher_restarts_total{watcher="one"}')" = 1 ] || fail "one: 1 restart"
[ "$(value 'cirque_process_restarts_total{watcher="one",wid="1"}')" = 1 ] || fail "one:1: 1 restart"
[ "$(value 'cirque_watcher_exits_total{watcher="one",reason="unexpected"}')" = 1 ] || fail "one: 1 unexpected exit"
[ "$(value 'cirque_watcher_spawns_total{watcher="one"}')" = 2 ] || fail "one: 2 spawns"
"$CTL" decr many 7 >/dev/null || fail "decr"
wait_count "$MANY" 90
scrape
[ "$(value 'cirque_watcher_exits_total{watcher="many",reason="stopped"}')" = 7 ] || fail "many: 7 stopped exits"
[ "$(value 'cirque_watcher_exits_total{watcher="many",reason="unexpected"}')" = 0 ] || fail "many: no unexpected exit"
[ "$(value 'cirque_watcher_output_lines_total{watcher="talker",stream="stderr"}')" = 1 ] || fail "talker: 1 stderr line"

# Requests by command and outcome; the histogram's count is their sum, its buckets grow.
request '{"command": "no-such-command"}' >/dev/null
request '{"command": "status", "properties": {"name": "nosuchwatcher"}}' >/dev/null
cp "$CONF" "$T/good.yaml"; echo 'watchers: [' >"$CONF"
request '{"command": "reloadconfig"}' | grep -q '"status":"error"' || fail "a broken file was applied"
cp "$T/good.yaml" "$CONF"
"$CTL" update >/dev/null || fail "update of a good file failed"
scrape
[ "$(value 'cirque_control_requests_total{command="unknown",outcome="error"}')" = 1 ] || fail "unknown command"
[ "$(value 'cirque_control_requests_total{command="status",outcome="error"}')" = 1 ] ||
	fail "status error: $(grep requests_total "$M")"
[ "$(value 'cirque_reloads_total{outcome="failed"}')" = 1 ] || fail "1 failed reload"
[ "$(value 'cirque_reloads_total{outcome="ok"}')" = 1 ] || fail "1 reload"
# Per command: the histogram's count is the requests answered, ok or not; buckets cumulative.
status_total=$(awk '/^cirque_control_requests_total\{command="status",/ { s += $2 } END { print s }' "$M")
[ "$(value 'cirque_control_request_duration_seconds_count{command="status"}')" = "$status_total" ] ||
	fail "status: histogram count != requests $status_total"
[ "$(value 'cirque_control_request_duration_seconds_bucket{command="status",le="+Inf"}')" = "$status_total" ] ||
	fail "status: +Inf bucket"
[ "$(value 'cirque_control_request_duration_seconds_count{command="unknown"}')" = 1 ] || fail "unknown: count"
awk '/^cirque_control_request_duration_seconds_bucket\{command="metrics"/ { if ($2 < prev) exit 1; prev = $2 }' "$M" ||
	fail "buckets are not cumulative"
promtool check metrics <"$M" >"$T/promtool.out" 2>&1 || fail "promtool after the changes: $(cat "$T/promtool.out")"

# A stopped watcher's slots are shown stopped (as status shows them), without a pid.
"$CTL" stop one >/dev/null || fail "stop one"
scrape
[ "$(value 'cirque_process_state{watcher="one",wid="1",state="stopped"}')" = 1 ] ||
	fail "one:1 not shown stopped: $(grep 'watcher="one"' "$M" | grep process_state)"
grep -q '^cirque_process_pid{watcher="one"' "$M" && fail "a stopped slot has a pid"
promtool check metrics <"$M" >"$T/promtool.out" 2>&1 || fail "promtool with a stopped watcher: $(cat "$T/promtool.out")"

# --json: the command's raw reply.
"$CTL" --json metrics | json_eval 'len(d["watchers"]) == 4 and d["daemon"]["pid"] > 0' | grep -qx True ||
	fail "--json metrics"
echo "ok"
