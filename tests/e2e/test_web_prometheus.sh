# A real Prometheus server (Debian's prometheus), started here on loopback with a scrape config
# for cirque-web's /metrics: the target is up, and a query through its API returns cirque's
# figures (3 running processes, then 2 after a decr).
. "$(dirname "$0")/lib.sh"
command -v prometheus >/dev/null || fail "prometheus is needed (Debian's prometheus package)"

APP=$(sleeper app)
cat >"$CONF" <<YAML
watchers:
  app:
    cmd: $APP 3600
    numprocesses: 3
YAML
start_daemon
wait_count "$APP" 3
PORT=$(free_port); PPORT=$(free_port)
cat >"$T/web.yaml" <<YAML
listen: 127.0.0.1:$PORT
endpoint: ipc://$CIRQUE_RUNTIME_DIR/control.sock
YAML
start_web "$T/web.yaml" "http://127.0.0.1:$PORT"
cat >"$T/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: cirque
    static_configs:
      - targets: ['127.0.0.1:$PORT']
YAML
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
	--web.listen-address="127.0.0.1:$PPORT" >"$T/prometheus.log" 2>&1 &
PROM=$!
trap 'rc=$?; kill $PROM 2>/dev/null; (exit $rc); cleanup' EXIT
P="http://127.0.0.1:$PPORT"
# query 'promql': the first result's value, empty if none
query() {
	curl -sf --get --data-urlencode "query=$1" "$P/api/v1/query" | /usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")'
}
target_health() {
	curl -sf "$P/api/v1/targets" | /usr/bin/python3 -c '
import json, sys
t = json.load(sys.stdin)["data"]["activeTargets"]
print(t[0]["health"] if t else "", t[0].get("lastError", "") if t else "")'
}
wait_for 60 '[ "$(target_health | cut -d" " -f1)" = up ]' ||
	fail "the target never came up: $(target_health); $(tail -n 5 "$T/prometheus.log")"
wait_for 30 '[ "$(query "cirque_watcher_processes{watcher=\"app\",state=\"running\"}")" = 3 ]' ||
	fail "no cirque metric through the query API: $(query 'cirque_watcher_processes')"
[ "$(query 'count(cirque_process_pid{watcher="app"})')" = 3 ] || fail "3 process series expected"
[ "$(query 'up{job="cirque"}')" = 1 ] || fail "up != 1"
"$CTL" decr app >/dev/null || fail "decr"
wait_for 30 '[ "$(query "cirque_watcher_processes{watcher=\"app\",state=\"running\"}")" = 2 ]' ||
	fail "the decr never showed: $(query 'cirque_watcher_processes{watcher="app",state="running"}')"
echo "ok"
