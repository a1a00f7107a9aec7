#!/usr/bin/env bash
# bench/web.sh - what observability costs: the time of a /metrics scrape (through cirque-web)
# and of `cirquectl metrics`, with 1,000 and 10,000 processes, beside a `status` of the same
# daemon (the reference: one request, one reply about every process); and cirqued's wake-ups
# and CPU while a dashboard is open and idle in a real browser (headless Chromium, if
# installed), against the same time with nothing open. A scrape that is short of processes,
# or fails, is a failure: exit 1.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZES=${BENCH_WEB_SIZES:-"1000 10000"}
IDLE_SECONDS=${BENCH_WEB_IDLE:-20}
T=$(mktemp -d /tmp/cirque-bench-web.XXXXXX)
DPID="" WPID="" BPID=""
cleanup() {
	local rc=$?
	for p in $BPID $WPID; do kill "$p" 2>/dev/null; done
	[ -n "$DPID" ] && { kill -QUIT "$DPID" 2>/dev/null; for i in $(seq 300); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done; kill -9 "$DPID" 2>/dev/null; }
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT
say() { printf '%s\n' "$*" >&2; }
FAILED=0
failure() { say "bench/web: FAILURE: $*"; FAILED=1; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
ms_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }
cpu_ms() { awk '{ printf "%.0f", ($14 + $15) * 1000 / '"$(getconf CLK_TCK)"' }' "/proc/$1/stat"; }
[ "$(ulimit -Hn)" = unlimited ] || ulimit -n "$(ulimit -Hn)"
export CIRQUE_RUNTIME_DIR="$T/run"
CTL="$ROOT/src/cirquectl"
PORT=$((20000 + RANDOM % 20000))
U="http://127.0.0.1:$PORT"

start() {  # start N: cirqued with N sleepers, and cirque-web
	cat >"$T/c.yaml" <<YAML
cirque:
  loglevel: warning
  max_processes: $(($1 + 10))
watchers:
  sleepers:
    cmd: sleep 3600
    numprocesses: $1
    stdout: null
    stderr: null
YAML
	chmod 600 "$T/c.yaml"
	"$ROOT/src/cirqued" -c "$T/c.yaml" >"$T/daemon.log" 2>&1 &
	DPID=$!
	running() { "$CTL" metrics 2>/dev/null | awk '$1 == "cirque_watcher_processes{watcher=\"sleepers\",state=\"running\"}" { print $2 }'; }
	for i in $(seq 1200); do
		[ "$(running)" = "$1" ] && break
		sleep 0.25
	done
	[ "$(running)" = "$1" ] || { failure "cirqued did not start $1 processes"; return 1; }
	printf 'listen: 127.0.0.1:%s\nendpoint: ipc://%s/control.sock\n' "$PORT" "$CIRQUE_RUNTIME_DIR" >"$T/web.yaml"
	"$ROOT/src/cirque-web" -c "$T/web.yaml" >"$T/web.log" 2>&1 &
	WPID=$!
	for i in $(seq 100); do curl -sf -o /dev/null "$U/healthz" && break; sleep 0.1; done
}

stop() {
	kill "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null; WPID=""
	kill -QUIT "$DPID"; for i in $(seq 600); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
	DPID=""
}

say "bench/web: $(nproc) cores; medians of 7"
printf '  %-34s %10s %10s %10s\n' "processes" "/metrics" "metrics" "status" >&2
for n in $SIZES; do
	start "$n" || continue
	scrape=() ctl=() status=()
	for i in 1 2 3 4 5 6 7; do
		t=$EPOCHREALTIME
		curl -sf "$U/metrics" >"$T/m.txt" || failure "a scrape failed ($n processes)"
		scrape+=("$(ms_since "$t")")
		got=$(grep -c '^cirque_process_pid{' "$T/m.txt")
		[ "$got" = "$n" ] || failure "a scrape showed $got processes of $n"
		t=$EPOCHREALTIME
		"$CTL" metrics >/dev/null || failure "cirquectl metrics failed"
		ctl+=("$(ms_since "$t")")
		t=$EPOCHREALTIME
		"$CTL" status >/dev/null
		status+=("$(ms_since "$t")")
	done
	# cirqued's own time per metrics request: its duration histogram's sum grows by that of
	# the reading request (answered before it is counted) and of the scrape between.
	hsum() { "$CTL" metrics | awk '$1 == "cirque_control_request_duration_seconds_sum{command=\"metrics\"}" { print $2 }'; }
	daemon=()
	for i in 1 2 3; do
		a=$(hsum); curl -sf -o /dev/null "$U/metrics"; b=$(hsum)
		daemon+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", (b - a) * 1000 / 2 }')")
	done
	printf '  %-34s %8s ms %8s ms %8s ms   (%s bytes; cirqued answers in %s ms)\n' "$n" \
		"$(median "${scrape[@]}")" "$(median "${ctl[@]}")" "$(median "${status[@]}")" \
		"$(wc -c <"$T/m.txt")" "$(median "${daemon[@]}")" >&2
	[ "$n" = "${SIZES%% *}" ] && IDLE_OK=1 && break_after_idle=1
	if [ "${break_after_idle:-0}" = 1 ]; then
		# --- the dashboard open and idle ------------------------------------------------
		syscalls() {  # syscalls SECONDS: cirqued's system calls meanwhile (all threads)
			timeout -s INT "$1" strace -f -c -p "$DPID" -o "$T/strace.out" >/dev/null 2>&1
			awk '/^[ -]*$/ {next} /total/ {print $4; f=1} END {if (!f) print 0}' "$T/strace.out"
		}
		if command -v strace >/dev/null; then
			c0=$(cpu_ms "$DPID"); base=$(syscalls "$IDLE_SECONDS"); c1=$(cpu_ms "$DPID")
			say "  cirqued, nothing open, ${IDLE_SECONDS}s: $base system calls, CPU $((c1 - c0)) ms"
			if command -v chromium >/dev/null; then
				chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$T/profile" \
					--remote-debugging-port=0 "$U/" >"$T/chromium.log" 2>&1 &
				BPID=$!
				for i in $(seq 100); do grep -q 'GET /events' "$T/web.log" 2>/dev/null && break; sleep 0.1; done
				sleep 3  # the page loaded, its event stream open
				asked() { "$CTL" metrics | awk '/^cirque_control_requests_total\{/ { n += $2 } END { print n + 0 }'; }
				r0=$(asked); c0=$(cpu_ms "$DPID"); open=$(syscalls "$IDLE_SECONDS"); c1=$(cpu_ms "$DPID"); r1=$(asked)
				say "  cirqued, a dashboard open in Chromium, ${IDLE_SECONDS}s: $open system calls, CPU $((c1 - c0)) ms, $((r1 - r0 - 1)) requests (the page asks for figures every 5 s)"
				kill "$BPID" 2>/dev/null; wait "$BPID" 2>/dev/null; BPID=""
			else
				say "  chromium not installed: no figure with a dashboard open"
			fi
		fi
		break_after_idle=0
	fi
	stop
done
[ "$FAILED" = 0 ] || { say "bench/web: FAILED (see above)"; exit 1; }
