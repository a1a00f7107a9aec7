#!/usr/bin/env bash
# bench/reexec.sh - what `cirquectl reexec` costs with many processes: the daemon's own count of
# the exec (from the moment it could go, through saving, exec and taking the state up again)
# and how long its control socket went unanswered, beside the time cirqued took to start the
# same processes (what a restart without reexec would cost them, at the least). Sizes in
# BENCH_REEXEC_N ("1000 10000"); 1,000 with their output captured, larger counts with output
# off (three descriptors per captured process would pass the descriptor limit). A process
# whose pid changed, a reexec that fails, or a status that differs afterwards is a failure:
# exit 1.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZES=${BENCH_REEXEC_N:-1000 10000}
T=$(mktemp -d /tmp/cirque-bench-reexec.XXXXXX)
DPID=""
cleanup() {
	local rc=$?
	[ -n "$DPID" ] && { kill -QUIT "$DPID" 2>/dev/null; for i in $(seq 600); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done; kill -9 "$DPID" 2>/dev/null; }
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT
say() { printf '%s\n' "$*" >&2; }
FAILED=0
failure() { say "bench/reexec: FAILURE: $*"; FAILED=1; }
[ "$(ulimit -Hn)" = unlimited ] || ulimit -n "$(ulimit -Hn)"
export CIRQUE_RUNTIME_DIR="$T/run"
CTL="$ROOT/src/cirquectl"
pids() { "$CTL" status --json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
print("\n".join(sorted("%s %s" % (p["wid"], p["pid"]) for p in d["processes"]["a"] if p.get("state") == "RUNNING")))'; }

say "cirqued reexec: $(nproc) cores, descriptor limit $(ulimit -n)"
printf '  %-8s %-10s %12s %14s %16s %12s\n' processes output "start (ms)" "reexec (ms)" "unanswered (ms)" "cli (ms)" >&2
for N in $SIZES; do
	output="captured"
	streams=""
	if [ "$N" -gt 1000 ]; then
		output="off"
		streams=$'\n    stdout: null\n    stderr: null'
	fi
	cat >"$T/c.yaml" <<YAML
cirque:
  loglevel: warning
  max_processes: $((N + 10))
watchers:
  a:
    cmd: sleep 3600
    numprocesses: $N$streams
YAML
	t0=$EPOCHREALTIME
	"$ROOT/src/cirqued" -c "$T/c.yaml" >"$T/d.log" 2>&1 &
	DPID=$!
	for i in $(seq 6000); do
		[ "$("$CTL" status a 2>/dev/null | grep -c " RUNNING ")" -ge "$N" ] && break
		sleep 0.05
	done
	start_ms=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
	before=$(pids)
	[ "$(echo "$before" | grep -c .)" -eq "$N" ] || { failure "$N: only $(echo "$before" | grep -c .) running"; break; }
	t1=$EPOCHREALTIME
	out=$("$CTL" --json reexec 2>&1) || { failure "$N: reexec failed: $out"; break; }
	cli_ms=$(awk -v a="$t1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
	took=$(echo "$out" | /usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); print("%.0f %.0f" % (d["last_ms"], d["last_unanswered_ms"]))')
	after=$(pids)
	[ "$before" = "$after" ] || failure "$N: pids or states differ after the reexec"
	printf '  %-8s %-10s %12s %14s %16s %12s\n' "$N" "$output" "$start_ms" ${took% *} ${took#* } "$cli_ms" >&2
	kill -QUIT "$DPID"
	for i in $(seq 600); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
	DPID=""
done
[ "$FAILED" = 0 ] || exit 1
