#!/usr/bin/env bash
# bench/streams.sh - output-stream throughput: one child writes BYTES (1 GiB) of lines through
# cirqued into a log file, next to the floor (the same producer piped through `cat` into a file),
# in the same run. While cirqued copies, a second watcher's respawn after kill -9 and a
# `cirquectl status` are timed, to show that the loop stays responsive. Never fails on timings,
# but fails (exit 1) when bytes are missing or lines are not intact, a respawn never comes within
# 10 s, or `cirquectl status` fails: those are bugs, not noise.
set -uo pipefail
umask 022  # as root, cirqued refuses configuration files that group or others could change

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
BYTES=${BENCH_STREAM_BYTES:-1073741824}
BYTES=$(( BYTES - BYTES % 100 ))  # the producer writes whole 100-byte lines
T=$(mktemp -d /tmp/cirque-bench-streams.XXXXXX)
DPID=""
cleanup() {
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -QUIT "$DPID" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
	fi
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

cc -O2 -o "$T/line_writer" "$BENCH/line_writer.c"
cp "$ROOT/src/cirqued" "$ROOT/src/cirquectl" "$T/"
ln -s "$(command -v sleep)" "$T/sleeper"
export CIRQUE_RUNTIME_DIR=$T/run
now_ns() { date +%s%N; }
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
mbps() { awk -v b="$1" -v ns="$2" 'BEGIN { printf "%.0f", b / 1048576 / (ns / 1e9) }'; }

# The floor: the producer through a pipe into a file.
t0=$(now_ns)
"$T/line_writer" "$BYTES" | cat >"$T/floor.out"
floor_ns=$(( $(now_ns) - t0 ))
rm -f "$T/floor.out"

cat >"$T/cirque.yaml" <<YAML
cirque:
  loglevel: warning
watchers:
  writer:
    cmd: $T/line_writer $BYTES
    respawn: false
    autostart: false
    stdout: {file: $T/cirque.out, max_bytes: 0}
  sleepers:
    cmd: $T/sleeper 3600
    numprocesses: 5
YAML
"$T/cirqued" -c "$T/cirque.yaml" >"$T/daemon.log" 2>&1 &
DPID=$!
for _ in $(seq 200); do
	[ "$(wc -w <"/proc/$DPID/task/$DPID/children" 2>/dev/null || echo 0)" -ge 5 ] && break
	sleep 0.05
done
sleep 1.5  # the sleepers are past their start grace: a kill is a plain respawn

t0=$(now_ns)
PROBLEMS=""
"$T/cirquectl" start --no-wait writer >/dev/null || PROBLEMS+="  cirquectl start --no-wait writer failed"$'\n'
respawns=() statuses=()
deadline=$(( $(now_ns) + 600000000000 ))
while [ "$(size_of "$T/cirque.out")" -lt "$BYTES" ] && [ "$(now_ns)" -lt "$deadline" ]; do
	if [ ${#respawns[@]} -lt 3 ] && [ $(( $(now_ns) - t0 )) -gt $(( (${#respawns[@]} + 1) * 300000000 )) ]; then
		victim=$(for p in $(cat "/proc/$DPID/task/$DPID/children"); do
			[ "$(cat /proc/$p/comm 2>/dev/null)" = sleeper ] && echo "$p"; done | head -n 1)
		k0=$(now_ns)
		kill -9 "$victim"
		until [ "$(for p in $(cat "/proc/$DPID/task/$DPID/children"); do
			[ "$(cat /proc/$p/comm 2>/dev/null)" = sleeper ] && echo "$p"; done | grep -vx "$victim" | wc -l)" -ge 5 ]; do
			[ $(( $(now_ns) - k0 )) -lt 10000000000 ] && continue
			PROBLEMS+="  no respawn within 10 s of kill -9 $victim"$'\n'
			break
		done
		respawns+=($(( ($(now_ns) - k0) / 1000 )))
		s0=$(now_ns)
		"$T/cirquectl" status >/dev/null || PROBLEMS+="  cirquectl status failed during the copy (exit $?)"$'\n'
		statuses+=($(( ($(now_ns) - s0) / 1000 )))
	fi
	sleep 0.01
done
cirque_ns=$(( $(now_ns) - t0 ))
[ "$(size_of "$T/cirque.out")" -ge "$BYTES" ] ||
	PROBLEMS+="  only $(size_of "$T/cirque.out") of $BYTES bytes arrived within 10 minutes"$'\n'
lines_ok=$(awk 'NR != $1 + 1 { bad++ } END { print (bad ? "NO (" bad " bad lines)" : "yes") }' "$T/cirque.out")
[ "$lines_ok" = yes ] || PROBLEMS+="  lines lost, doubled or torn: $lines_ok"$'\n'

echo "cirque output-stream benchmark: $((BYTES / 1048576)) MiB of 100-byte lines, $(date -u +%FT%TZ)"
printf '  %-44s %8s MiB/s   %s\n' "floor: producer | cat > file" "$(mbps "$BYTES" "$floor_ns")" "$((floor_ns / 1000000)) ms"
printf '  %-44s %8s MiB/s   %s\n' "cirqued: child -> pipe -> log file" "$(mbps "$BYTES" "$cirque_ns")" "$((cirque_ns / 1000000)) ms"
awk -v f="$floor_ns" -v c="$cirque_ns" 'BEGIN { printf "  %-44s %8.0f%%      target >= 70%%\n", "cirqued / floor throughput", 100 * f / c }'
echo "  every line intact and in order: $lines_ok"
echo "  during the copy (shell-timed, includes polling):"
echo "    respawn after kill -9 (us): ${respawns[*]:-none}"
echo "    cirquectl status (us):      ${statuses[*]:-none}"
echo "  daemon RSS after: $(awk '/VmRSS/ {print $2, $3}' /proc/$DPID/status)"
kill -TERM "$DPID"
wait "$DPID" || PROBLEMS+="  cirqued exited with status $?"$'\n'
DPID=""
if [ -n "$PROBLEMS" ]; then
	echo
	echo "FAILED (a bug, not noise):"
	printf '%s' "$PROBLEMS"
	exit 1
fi
