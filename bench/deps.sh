#!/usr/bin/env bash
# bench/deps.sh - what depends_on costs: N watchers that all depend on one database are released
# when it becomes ready; the time from its readiness to all N running, against `start all` of
# the same N watchers without dependencies (the reference), in one run. And `status` while the
# N wait (each evaluates its dependencies after every change). A watcher short of its process,
# or a status that fails, is a failure: exit 1.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${BENCH_DEPS_N:-500}
T=$(mktemp -d /tmp/cirque-bench-deps.XXXXXX)
DPID=""
cleanup() {
	local rc=$?
	[ -n "$DPID" ] && { kill -QUIT "$DPID" 2>/dev/null; for i in $(seq 300); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done; kill -9 "$DPID" 2>/dev/null; }
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT
say() { printf '%s\n' "$*" >&2; }
FAILED=0
failure() { say "bench/deps: FAILURE: $*"; FAILED=1; }
ms_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }
[ "$(ulimit -Hn)" = unlimited ] || ulimit -n "$(ulimit -Hn)"
export CIRQUE_RUNTIME_DIR="$T/run"
CTL="$ROOT/src/cirquectl"
running() { "$CTL" status 2>/dev/null | grep -c " RUNNING "; }
wait_running() {  # wait_running COUNT: true once COUNT processes run (within 120 s)
	for i in $(seq 2400); do
		[ "$(running)" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# config DEPS: N apps (depending on db when DEPS is 1, else not started with the daemon)
config() {
	{
		printf 'cirque:\n  loglevel: warning\n  max_processes: %d\nwatchers:\n' $((N + 10))
		printf '  db:\n    cmd: /usr/bin/python3 %s/db.py %s\n    ready: {unix: %s/db.sock}\n' "$T" "$T" "$T"
		for i in $(seq "$N"); do
			printf '  app%d:\n    cmd: sleep 3600\n    ready: {delay: 0.05}\n    stdout: null\n    stderr: null\n' "$i"
			if [ "$1" = 1 ]; then printf '    depends_on: [db]\n'; else printf '    autostart: false\n'; fi
		done
	} >"$T/c.yaml"
	chmod 600 "$T/c.yaml"
}
cat >"$T/db.py" <<'PYEOF'
import os, socket, sys, time
while not os.path.exists(sys.argv[1] + "/go"):
    time.sleep(0.01)
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1] + "/db.sock")
s.listen()
time.sleep(3600)
PYEOF

daemon() {
	rm -f "$T/go" "$T/db.sock"
	"$ROOT/src/cirqued" -c "$T/c.yaml" >"$T/daemon.log" 2>&1 &
	DPID=$!
	for i in $(seq 200); do "$CTL" status db 2>/dev/null | grep -q STARTING && return 0; sleep 0.05; done
	failure "cirqued did not start db"
}
stop() { kill -QUIT "$DPID"; wait "$DPID" 2>/dev/null; DPID=""; }

# Reference: N apps, no dependency, started at once with `start all` once db runs.
config 0
daemon
touch "$T/go"
wait_running 1 || failure "db not running"
t0=$EPOCHREALTIME
"$CTL" start all >/dev/null || failure "start all failed"
wait_running $((N + 1)) || failure "start all: $(running) of $((N + 1)) running"
plain=$(ms_since "$t0")
stop

# depends_on: the N apps wait for db, then all go at once.
config 1
daemon
sleep 1
t0=$EPOCHREALTIME
out=$("$CTL" status 2>&1) || true
status_ms=$(ms_since "$t0")
[ "$(echo "$out" | grep -c "waiting for db")" = "$N" ] || failure "status: $(echo "$out" | grep -c "waiting for db") of $N apps say they wait for db"
t0=$EPOCHREALTIME
touch "$T/go"
wait_running $((N + 1)) || failure "depends_on: $(running) of $((N + 1)) running"
deps=$(ms_since "$t0")
stop

say "bench/deps: $N apps: start all (no dependency) ${plain} ms; released by db's readiness (depends_on) ${deps} ms (ratio $(awk -v a="$deps" -v b="$plain" 'BEGIN { printf "%.2f", a / b }')); status while $N wait: ${status_ms} ms"
exit $FAILED
