#!/usr/bin/env bash
# bench/replies.sh - does every request get its reply, however many are in flight on one
# connection? A measurement, not a test: it prints what it counted, and fails loudly when a
# request went unanswered (a benchmark that loses a reply has found a bug).
#
# One cirqued runs BENCH_N (100) sleeping processes and a watcher whose process ignores SIGTERM
# (graceful_timeout 2 s). Over one DEALER that reads all the time (bench/ctl_throughput):
#   - for each window W of BENCH_REPLY_WINDOWS ("1 32 64 200 1000"), BENCH_REPLY_TOTAL (20000)
#     `list` requests with W in flight;
#   - BENCH_REPLY_STOPS (200) waiting `stop`s of the stubborn watcher at once, all answered when
#     its process has been killed, after 2 s.
# Per row: requests sent, replies received, errors / unmatched / lost, requests per second.
# BENCH_CIRQUED: another binary than src/cirqued. Run after `make`; `make bench` runs it too.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
CIRQUED=${BENCH_CIRQUED:-$ROOT/src/cirqued}
N=${BENCH_N:-100}
WINDOWS=${BENCH_REPLY_WINDOWS:-1 32 64 200 1000}
TOTAL=${BENCH_REPLY_TOTAL:-20000}
STOPS=${BENCH_REPLY_STOPS:-200}

say() { printf '%s\n' "$*" >&2; }
die() { say "bench/replies: $*"; exit 2; }
[ -x "$CIRQUED" ] || die "$CIRQUED is missing: run make first"

T=$(mktemp -d /tmp/cirque-replies.XXXXXX)
DPID=""
cleanup() {
	local rc=$?
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -TERM "$DPID" 2>/dev/null || true
		for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$DPID" 2>/dev/null || true
	fi
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT

${CC:-cc} -O2 -Wall -o "$T/ctl_throughput" "$BENCH/ctl_throughput.c" -lzmq || die "cannot build ctl_throughput"
cp "$CIRQUED" "$T/cirqued"
cat >"$T/cirque.yaml" <<EOF
cirque:
  loglevel: warning
  endpoint: ipc://$T/control.sock
  pubsub_endpoint: ipc://$T/events.sock
watchers:
  sleepers: {cmd: sleep 3600, numprocesses: $N}
  stubborn:
    cmd: /bin/sh -c 'trap "" TERM; exec sleep 3600'
    graceful_timeout: 2s
EOF
"$T/cirqued" -c "$T/cirque.yaml" 2>"$T/daemon.log" &
DPID=$!
for _ in $(seq 100); do [ -S "$T/control.sock" ] && break; sleep 0.1; done
[ -S "$T/control.sock" ] || die "cirqued did not start: $(tail -n 5 "$T/daemon.log")"
sleep 1.5  # every process started and past its start grace

field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<" $2"; }
row() { printf '  %-30s %8s %8s   %-22s %s\n' "$@"; }
BAD=0
measure() { # LABEL ctl_throughput-args...
	local label=$1 out e u l
	shift
	out=$("$T/ctl_throughput" -p "$DPID" -n 0 "$@" "ipc://$T/control.sock") || true
	[ -n "$out" ] || { row "$label" n/a n/a "ctl_throughput failed" ""; BAD=$((BAD + 1)); return; }
	e=$(field errors "$out") u=$(field unmatched "$out") l=$(field lost "$out")
	[ "$e$u$l" = 000 ] && [ "$(field pipe_ok "$out")" = "$(field pipe_n "$out")" ] || BAD=$((BAD + 1))
	row "$label" "$(field pipe_sent "$out")" "$(field pipe_ok "$out")" "$e / $u / $l" "$(field pipe_rate "$out") req/s"
}

echo "replies over one connection, $N processes running ($(nproc) cores)"
row "" sent received "errors/unmatched/lost" "rate"
for w in $WINDOWS; do
	measure "list, window $w" -m "$TOTAL" -w "$w"
done
measure "$STOPS waiting stops at once" -W 0 -t 15000 -c stop -j '{"name": "stubborn", "waiting": true}' \
	-m "$STOPS" -w "$STOPS"
kill -0 "$DPID" 2>/dev/null || { say "bench/replies: cirqued died"; BAD=$((BAD + 1)); }
if [ "$BAD" -gt 0 ]; then
	echo
	echo "FAILED: $BAD of the rows above lost, refused or mismatched replies: every request must"
	echo "get exactly one good reply. This is a bug in cirqued, not noise. The daemon's log:"
	tail -n 10 "$T/daemon.log" | sed 's/^/    /'
	exit 1
fi
