#!/usr/bin/env bash
# bench/scale.sh - cirque with 10,000 processes on one daemon, each figure next to its floor of
# the same run (bench/spawn_floor: a bare posix_spawn loop), and supervisord capped at what it can
# do in reasonable time (2,000 by default, labelled). Prints a table; `make bench` runs it after
# bench/run.sh.
#
#   a. time to have N `sleep` processes running: the floor, cirqued
#   b. with N running: `cirquectl status` (the whole process, fork to exit), the daemon's RSS,
#      system calls in 5 s idle (strace -c -f -p), respawn latency after kill -9 (p50/p99)
#   c. stop-all: SIGTERM to the daemon, N processes that ignore SIGTERM, graceful_timeout 2 s
#   b and c have a floor too: bench/floor_supervisor (a bare supervisor: spawns, watches each
#   child by pidfd, respawns, stops; nothing else), under the same launcher and measure.
#   d. `cirquectl status` while `incr a STORM` is starting STORM processes: p50/p99/max, next to
#      the floor's time to start STORM
#   e. supervisord: time to have SV_N running next to the floor for SV_N, and its stop
#
# Targets (from issue 13): a <= 1.3x floor; status < 100 ms; RSS < 40 MB; idle 0 system calls;
# respawn p99 < 5 ms; c <= graceful_timeout + 1 s; d p99 < 100 ms. A target missed is shown
# (MISSED), not a failure; a failure is a lost reply, an error or a timeout: a status that fails or
# does not list N processes, an incr that fails, a respawn that never comes, N processes not
# started in time, a daemon exiting with a status other than 0 or leaving processes behind. Any
# of those makes the script exit 1 after the table, saying which.
#
# Environment: BENCH_SCALE_N (10000), BENCH_SCALE_STORM (5000), BENCH_SCALE_SV_N (2000; 0 skips
# supervisord), BENCH_SCALE_CTL_RUNS (10), BENCH_SCALE_RESPAWN_ROUNDS (100); BENCH_CIRQUED,
# BENCH_CIRQUECTL as for bench/run.sh.
#
# Descriptors: piped, each process costs cirqued the read ends of its stdout and stderr pipes, so
# 10,000 need a descriptor limit of 21,088 (`cirqued --check` says so), above the hard limit of
# 20,000 of many machines (and unprivileged, or without CAP_SYS_RESOURCE, it cannot be raised).
# The processes here are `sleep`s, which write nothing: their stdout and stderr are null (no
# descriptor), and cirque.max_processes is set, as the refusal of the default advises. The
# floor's processes have no pipes either.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$BENCH/lib.sh"
ROOT=$(dirname "$BENCH")
CIRQUED=${BENCH_CIRQUED:-$ROOT/src/cirqued}
CIRQUECTL=${BENCH_CIRQUECTL:-$ROOT/src/cirquectl}
N=${BENCH_SCALE_N:-10000}
STORM=${BENCH_SCALE_STORM:-5000}
SV_N=${BENCH_SCALE_SV_N:-2000}
CTL_RUNS=${BENCH_SCALE_CTL_RUNS:-10}
RESPAWN_ROUNDS=${BENCH_SCALE_RESPAWN_ROUNDS:-100}
FLIGHT_N=100
GRACE=2
IDLE_SECONDS=5
SETTLE=2.5

T=$(mktemp -d /tmp/cirque-scale.XXXXXX)
declare -A LAUNCHERS=() DAEMONS=()
STORM_INCR=0

ours() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -qF "$T"; }
cleanup() {
	local rc=$? l d i
	trap - EXIT INT TERM HUP
	[ "$STORM_INCR" = 0 ] || kill "$STORM_INCR" 2>/dev/null || true
	for l in "${!LAUNCHERS[@]}"; do ours "$l" && kill -TERM "$l" 2>/dev/null || true; done
	for l in "${!LAUNCHERS[@]}"; do
		for ((i = 0; i < 300; i++)); do kill -0 "$l" 2>/dev/null || break; sleep 0.1; done
		wait "$l" 2>/dev/null || true
	done
	for d in "${!DAEMONS[@]}"; do ours "$d" && kill -9 "$d" 2>/dev/null || true; done
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

say() { printf '%s\n' "$*" >&2; }
die() { say "bench/scale: $*"; exit 1; }
PROBLEMS=""
problem() { PROBLEMS+="  $*"$'\n'; say "bench/scale: FAILURE: $*"; }

[ -x "$CIRQUED" ] || die "$CIRQUED is missing: run make first"
[ -x "$CIRQUECTL" ] || die "$CIRQUECTL is missing: run make first"
[ -n "${EPOCHREALTIME:-}" ] || die "bash ${BASH_VERSION} has no EPOCHREALTIME (bash >= 5)"
if [ "$SV_N" -gt 0 ] && ! command -v supervisord >/dev/null; then
	say "bench/scale: supervisord not found: skipping part e"
	SV_N=0
fi
HAVE_STRACE=1
command -v strace >/dev/null || { say "bench/scale: strace not found: no idle figure"; HAVE_STRACE=0; }
BIGGEST=$((N > STORM + 2 ? N : STORM + 2))
[ "$(ulimit -Hn)" = unlimited ] || ulimit -n "$(ulimit -Hn)"
PID_MAX=$(cat /proc/sys/kernel/pid_max)
[ "$PID_MAX" -gt $((BIGGEST + 2000)) ] || die "kernel.pid_max $PID_MAX is too low for $BIGGEST processes"

if [ ! -x "$BENCH/spawn_floor" ] || [ "$BENCH/spawn_floor.c" -nt "$BENCH/spawn_floor" ]; then
	${CC:-cc} -O2 -Wall -o "$BENCH/spawn_floor" "$BENCH/spawn_floor.c" || die "cannot build spawn_floor"
fi
mkdir -p "$T/bin"
cp "$BENCH/spawn_floor" "$T/bin/"
for prog in launcher respawn_latency floor_supervisor; do
	${CC:-cc} -O2 -Wall -o "$T/bin/$prog" "$BENCH/$prog.c" || die "cannot build $prog"
done
${CC:-cc} -O2 -Wall -o "$T/bin/ctl_throughput" "$BENCH/ctl_throughput.c" -lzmq || die "cannot build ctl_throughput"
# Static where the C library allows it: the cheapest exec there is.
${CC:-cc} -O2 -Wall -static -o "$T/bin/stubborn" "$BENCH/stubborn.c" 2>/dev/null ||
	${CC:-cc} -O2 -Wall -o "$T/bin/stubborn" "$BENCH/stubborn.c" || die "cannot build stubborn"
cp "$CIRQUED" "$T/cirqued"
cp "$CIRQUECTL" "$T/cirquectl"
CLEANENV=(env -i "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "HOME=$T")
CTL=("${CLEANENV[@]}" "CIRQUE_ENDPOINT=ipc://$T/control.sock" "$T/cirquectl")

# --- small tools (as bench/run.sh) -------------------------------------------------------------
median() { printf '%s\n' "$@" | { grep -E '^[0-9.]+$' || true; } | sort -g | awk '{v[NR]=$1} END {if (NR==0) print "n/a"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
pctl() { local p=$1; shift; printf '%s\n' "$@" | { grep -E '^[0-9.]+$' || true; } | sort -g | awk -v p="$p" '{v[NR]=$1} END { if (NR == 0) { print "n/a"; exit } r = int(p / 100 * NR + 0.999999); if (r < 1) r = 1; if (r > NR) r = NR; print v[r] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a/b; else print "n/a" }'; }
fmt_ms() { awk -v v="$1" 'BEGIN { if (v == "n/a" || v == "") print "n/a"; else if (v+0 >= 100) printf "%.0f", v; else if (v+0 >= 10) printf "%.1f", v; else printf "%.2f", v }'; }
check() { awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { if (v == "n/a" || v == "") { print "n/a"; exit } ok = (op == "<=") ? (v+0 <= l+0) : (op == "<") ? (v+0 < l+0) : (v+0 == l+0); print ok ? "met" : "MISSED" }'; }
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<" $2"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo n/a; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo n/a; }
kb_mb() { awk -v k="$1" 'BEGIN { if (k == "n/a") print "n/a"; else printf "%.1f", k/1024 }'; }
nchildren() { wc -w <"/proc/$1/task/$1/children" 2>/dev/null || echo 0; }
row() { printf '  %-44s %12s %10s  %s\n' "$@"; }

wait_line() {
	local file=$1 re=$2 limit=$3 i
	for ((i = 0; i < limit * 10; i++)); do
		if grep -qE "$re" "$file" 2>/dev/null; then
			grep -E "$re" "$file" | tail -n 1
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# launch TAG COUNT TIMEOUT_S DAEMON ARGS...: as bench/run.sh's, COUNT children running $COMM
# (sleep).
launch() {
	local tag=$1 count=$2 timeout=$3 line
	shift 3
	OUT=$T/$tag.out DLOG=$T/$tag.log
	: >"$OUT"
	"${CLEANENV[@]}" "$T/bin/launcher" -n "$count" -c "${COMM:-sleep}" -t "$timeout" -l "$DLOG" -- "$@" >"$OUT" 2>>"$T/launcher.err" &
	LPID=$!
	LAUNCHERS[$LPID]=1
	line=$(wait_line "$OUT" '^pid ' 10) || die "launcher did not start $1"
	DPID=${line#pid }
	DAEMONS[$DPID]=1
	line=$(wait_line "$OUT" '^(ready|timeout|exited) ' $((timeout + 30))) || die "no answer from the launcher of $1"
	READY_OK=0 READY_MS=n/a READY_CPU=n/a
	case $line in
	ready*) READY_OK=1 ;&
	timeout*) read -r _ _ READY_MS _ READY_CPU <<<"$line" ;;
	exited*) say "bench/scale: $1 exited at start-up:"; tail -n 20 "$DLOG" >&2 ;;
	esac
}

stop_daemon() {
	local line
	STOP_MS=n/a STOP_STATUS=n/a LEFT=n/a
	if ! grep -q '^exited ' "$OUT"; then
		kill -USR1 "$LPID"
		line=$(wait_line "$OUT" '^exited ' 120) || { problem "$1: the daemon did not exit within 120 s"; return 0; }
	fi
	line=$(grep '^exited ' "$OUT")
	wait "$LPID" 2>/dev/null || true
	unset "LAUNCHERS[$LPID]" "DAEMONS[$DPID]"
	local alive zombies
	read -r _ STOP_STATUS STOP_MS alive zombies <<<"$line"
	LEFT=$((alive + zombies))
	[ "$STOP_STATUS" = 0 ] || problem "$1: the daemon exited with status $STOP_STATUS"
	[ "$LEFT" = 0 ] || problem "$1: $LEFT processes left behind"
}

timed() {
	local out=$1 t0 t1
	shift
	TIMED_RC=0
	t0=${EPOCHREALTIME/[.,]/}
	"$@" >"$out" 2>>"$T/ctl.err" || TIMED_RC=$?
	t1=${EPOCHREALTIME/[.,]/}
	TIMED_MS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1000 }')
}

conf() { # FILE CMD COUNT [second watcher: 1]
	cat >"$1" <<EOF
cirque:
  loglevel: warning
  endpoint: ipc://$T/control.sock
  pubsub_endpoint: ipc://$T/events.sock
  stats_endpoint: ipc://$T/stats.sock
  max_processes: $((BIGGEST + 10))
watchers:
  a:
    cmd: $2
    numprocesses: $3
    graceful_timeout: ${GRACE}s
    min_uptime: 0
    stdout: null
    stderr: null
EOF
	[ -z "${4:-}" ] || printf '  b:\n    cmd: sleep 3600\n    stdout: null\n    stderr: null\n' >>"$1"
}

say "cirque at scale: N=$N, storm $STORM, supervisord capped at $SV_N, $(nproc) cores, descriptor limit $(ulimit -n); temp dir $T"

# --- a, b ---------------------------------------------------------------------------------------
FLOOR=$("${CLEANENV[@]}" "$T/bin/spawn_floor" "$N") || die "spawn_floor $N failed"
say "  [a] floor: $N processes in $(fmt_ms "$FLOOR") ms"
conf "$T/sleepers.yaml" "sleep 3600" "$N"
launch cirqued "$N" 120 "$T/cirqued" -c "$T/sleepers.yaml"
[ "$READY_OK" = 1 ] || { tail -n 20 "$DLOG" >&2; die "cirqued did not start $N processes within 120 s"; }
CQ_MS=$READY_MS CQ_CPU=$READY_CPU
say "  [a] cirqued: $N processes in $(fmt_ms "$CQ_MS") ms (CPU $(fmt_ms "$CQ_CPU") ms)"
sleep "$SETTLE"
STATUS_T=() TRUE_T=() STATUS_BAD=0 STATUS_LINES=n/a
for ((i = 1; i <= CTL_RUNS; i++)); do
	timed "$T/true.out" "${CLEANENV[@]}" /bin/true
	TRUE_T+=("$TIMED_MS")
	timed "$T/status.out" "${CTL[@]}" --timeout 10 status
	STATUS_T+=("$TIMED_MS")
	STATUS_LINES=$(wc -l <"$T/status.out")
	if [ "$TIMED_RC" != 0 ] || [ "$STATUS_LINES" != "$N" ]; then
		STATUS_BAD=$((STATUS_BAD + 1))
	fi
done
[ "$STATUS_BAD" = 0 ] || problem "b: $STATUS_BAD of $CTL_RUNS \`cirquectl status\` failed (exit $TIMED_RC, $STATUS_LINES lines, want $N)"
say "  [b] cirquectl status: median $(fmt_ms "$(median "${STATUS_T[@]}")") ms"
RSS=$(rss_kb "$DPID") HWM=$(hwm_kb "$DPID") FDS=$(ls "/proc/$DPID/fd" | wc -l)
IDLE=n/a
if [ "$HAVE_STRACE" = 1 ]; then
	timeout -s INT "$IDLE_SECONDS" strace -c -f -p "$DPID" 2>"$T/strace.txt" || true
	if grep -q attached "$T/strace.txt"; then
		IDLE=$(awk '$NF == "total" { n = $4 } END { print n + 0 }' "$T/strace.txt")
	else
		say "bench/scale: strace could not attach: $(head -n 1 "$T/strace.txt")"
	fi
fi
say "  [b] RSS $(kb_mb "$RSS") MB, $FDS fds, $IDLE system calls in ${IDLE_SECONDS} s idle"
RESPAWN=$("$T/bin/respawn_latency" "$DPID" "$N" "$RESPAWN_ROUNDS" 5000 10) || problem "b: respawn_latency failed: $RESPAWN"
say "  [b] respawn: $RESPAWN"
[ "$(field timeouts "$RESPAWN")" = 0 ] || problem "b: respawn timeouts: $RESPAWN"
RSS2=$(rss_kb "$DPID")
stop_daemon "a/b"
PLAIN_STOP=$STOP_MS
# b's floor: bench/floor_supervisor (spawns, a pidfd per child, respawns, stops; nothing else),
# under the same launcher and respawn_latency.
launch floor-b "$N" 120 "$T/bin/floor_supervisor" "$N" "$GRACE" sleep 3600
[ "$READY_OK" = 1 ] || die "floor_supervisor did not start $N processes within 120 s"
sleep "$SETTLE"
FLOOR_RESPAWN=$("$T/bin/respawn_latency" "$DPID" "$N" "$RESPAWN_ROUNDS" 5000 10) || problem "b: respawn_latency on the floor failed: $FLOOR_RESPAWN"
say "  [b] floor respawn: $FLOOR_RESPAWN"
stop_daemon "floor b"
FLOOR_PLAIN_STOP=$STOP_MS

# --- c. stop-all of N processes that ignore SIGTERM ---------------------------------------------
conf "$T/stubborn.yaml" "$T/bin/stubborn" "$N"
COMM=stubborn launch stubborn "$N" 180 "$T/cirqued" -c "$T/stubborn.yaml"
[ "$READY_OK" = 1 ] || { tail -n 20 "$DLOG" >&2; die "cirqued did not start $N stubborn processes"; }
STUB_MS=$READY_MS
sleep "$SETTLE"
stop_daemon "c"
STUB_STOP=$STOP_MS
KILLED=$(escalations "$DLOG")
say "  [c] stop-all, SIGTERM ignored: $(fmt_ms "$STUB_STOP") ms, $KILLED SIGKILLed"
COMM=stubborn launch floor-c "$N" 180 "$T/bin/floor_supervisor" "$N" "$GRACE" "$T/bin/stubborn"
[ "$READY_OK" = 1 ] || die "floor_supervisor did not start $N stubborn processes"
sleep "$SETTLE"
stop_daemon "floor c"
FLOOR_STUB_STOP=$STOP_MS
say "  [c] floor: $(fmt_ms "$FLOOR_STUB_STOP") ms"

# --- d. status during a storm ---------------------------------------------------------------------
STORM_FLOOR=$("${CLEANENV[@]}" "$T/bin/spawn_floor" "$STORM") || die "spawn_floor $STORM failed"
conf "$T/storm.yaml" "sleep 3600" 1 with-b
launch storm 2 30 "$T/cirqued" -c "$T/storm.yaml"
[ "$READY_OK" = 1 ] || { tail -n 20 "$DLOG" >&2; die "cirqued did not start the storm's first processes"; }
sleep 1.2
WANT=$((STORM + 2))
t0=${EPOCHREALTIME/[.,]/}
"${CTL[@]}" --timeout 300 incr a $((STORM)) >"$T/incr.out" 2>&1 &
STORM_INCR=$!
# The daemon's own answer time, on a live connection (no client process to start): 100 requests
# one at a time, well within the storm (FLIGHT_LEFT: processes still to start when they were done).
( "$T/bin/ctl_throughput" -c numwatchers -W 1 -n "$FLIGHT_N" -m 0 -t 10000 "ipc://$T/control.sock" >"$T/flight.out" 2>>"$T/ctl.err"
  echo "rc=$? left=$((WANT - $(nchildren "$DPID")))" >>"$T/flight.out" ) &
FLIGHT=$!
STORM_T=() STORM_BAD=0 STORM_DURING=0
while [ "$(nchildren "$DPID")" -lt "$WANT" ]; do
	kill -0 "$DPID" 2>/dev/null || break
	timed "$T/storm-status.out" "${CTL[@]}" --timeout 10 status
	# 0, or 3 while a process is not running yet (STARTING counts as running)
	if [ "$TIMED_RC" != 0 ] && [ "$TIMED_RC" != 3 ]; then
		STORM_BAD=$((STORM_BAD + 1))
		[ "$STORM_BAD" -gt 1 ] || say "bench/scale: status during the storm: exit $TIMED_RC: $(tail -n 2 "$T/ctl.err")"
	fi
	STORM_T+=("$TIMED_MS")
	[ "$(nchildren "$DPID")" -ge "$WANT" ] || STORM_DURING=$((STORM_DURING + 1))
	t1=${EPOCHREALTIME/[.,]/}
	[ $(((t1 - t0) / 1000000)) -lt 300 ] || { problem "d: $WANT processes not running after 300 s"; break; }
done
t1=${EPOCHREALTIME/[.,]/}
wait "$FLIGHT" || true
FLIGHT_R=$(tr '\n' ' ' <"$T/flight.out")
[ "$(field rc "$FLIGHT_R")" = 0 ] && [ "$(field seq_ok "$FLIGHT_R")" = "$FLIGHT_N" ] ||
	problem "d: numwatchers on a live connection during the storm: $FLIGHT_R"
us_ms() { awk -v v="$1" 'BEGIN { if (v ~ /^[0-9.]+$/) printf "%.2f", v / 1000; else print "n/a" }'; }
FLIGHT_P50=$(us_ms "$(field rtt_p50_us "$FLIGHT_R")") FLIGHT_P99=$(us_ms "$(field rtt_p99_us "$FLIGHT_R")")
FLIGHT_MAX=$(us_ms "$(field rtt_max_us "$FLIGHT_R")")
STORM_MS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
INCR_RC=0
wait "$STORM_INCR" || INCR_RC=$?
STORM_INCR=0
[ "$INCR_RC" = 0 ] || problem "d: cirquectl incr a $STORM: exit $INCR_RC: $(cat "$T/incr.out")"
[ "$STORM_BAD" = 0 ] || problem "d: $STORM_BAD of ${#STORM_T[@]} status requests during the storm failed (no answer or an error)"
STORM_P50=$(pctl 50 "${STORM_T[@]}") STORM_P99=$(pctl 99 "${STORM_T[@]}") STORM_MAX=$(pctl 100 "${STORM_T[@]}")
say "  [d] storm: $STORM started in $(fmt_ms "$STORM_MS") ms (floor $(fmt_ms "$STORM_FLOOR") ms); status p50 $(fmt_ms "$STORM_P50") ms, p99 $(fmt_ms "$STORM_P99") ms over ${#STORM_T[@]} ($STORM_DURING during)"
stop_daemon "d"

# --- e. supervisord, capped -------------------------------------------------------------------------
SV_FLOOR=n/a SV_MS=n/a SV_STOP=n/a
if [ "$SV_N" -gt 0 ]; then
	SV_FLOOR=$("${CLEANENV[@]}" "$T/bin/spawn_floor" "$SV_N") || die "spawn_floor $SV_N failed"
	mkdir -p "$T/sv"
	cat >"$T/sv/supervisord.conf" <<EOF
[unix_http_server]
file=%(here)s/supervisor.sock

[supervisord]
nodaemon=true
logfile=%(here)s/supervisord.log
pidfile=%(here)s/supervisord.pid
childlogdir=%(here)s
minfds=$((3 * SV_N + 1000))
minprocs=$((SV_N + 200))
loglevel=warn

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[program:sleepers]
command=sleep 3600
numprocs=$SV_N
process_name=%(program_name)s_%(process_num)d
startsecs=0
autorestart=true
stopwaitsecs=$GRACE
stdout_logfile=NONE
stderr_logfile=NONE
EOF
	[ "$(id -u)" != 0 ] || sed -i 's/^\[supervisord\]$/&\nuser=root/' "$T/sv/supervisord.conf"
	launch supervisord "$SV_N" 180 supervisord -c "$T/sv/supervisord.conf"
	SV_MS=$READY_MS
	[ "$READY_OK" = 1 ] || say "bench/scale: supervisord did not start $SV_N processes in 180 s"
	stop_daemon_sv() { kill -USR1 "$LPID"; local line; line=$(wait_line "$OUT" '^exited ' 120) || return 0; read -r _ _ SV_STOP _ _ <<<"$line"; wait "$LPID" 2>/dev/null || true; unset "LAUNCHERS[$LPID]" "DAEMONS[$DPID]"; }
	stop_daemon_sv
	say "  [e] supervisord: $SV_N in $(fmt_ms "$SV_MS") ms (floor $(fmt_ms "$SV_FLOOR") ms), stop $(fmt_ms "$SV_STOP") ms"
fi

# --- the table --------------------------------------------------------------------------------------
echo
echo "cirque at scale: $N processes on one daemon ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) at the end; output to /dev/null; each figure next to its floor, same run)"
row "" "value" "vs floor" "notes"
echo "a. time to have $N sleep processes running"
row "floor: posix_spawn loop" "$(fmt_ms "$FLOOR") ms" "1.00x" ""
row "cirqued" "$(fmt_ms "$CQ_MS") ms" "$(ratio "$CQ_MS" "$FLOOR")x" "daemon CPU $(fmt_ms "$CQ_CPU") ms   target <= 1.3x floor: $(check "$(ratio "$CQ_MS" "$FLOOR")" '<=' 1.3)"
echo "b. with $N running"
row "floor: /bin/true (fork to exit)" "$(fmt_ms "$(median "${TRUE_T[@]}")") ms" "1.00x" ""
row "cirquectl status, median of $CTL_RUNS" "$(fmt_ms "$(median "${STATUS_T[@]}")") ms" "$(ratio "$(median "${STATUS_T[@]}")" "$(median "${TRUE_T[@]}")")x" "max $(fmt_ms "$(pctl 100 "${STATUS_T[@]}")") ms, $STATUS_LINES lines   target < 100 ms: $(check "$(median "${STATUS_T[@]}")" '<' 100)"
row "cirqued RSS" "$(kb_mb "$RSS") MB" "" "peak $(kb_mb "$HWM") MB, after the respawns $(kb_mb "$RSS2") MB, $FDS fds   target < 40 MB: $(check "$(kb_mb "$RSS")" '<' 40)"
row "system calls in ${IDLE_SECONDS} s idle" "$IDLE" "" "target 0: $(check "$IDLE" '==' 0)"
row "floor: one spawn (a's floor / $N)" "$(awk -v f="$FLOOR" -v n="$N" 'BEGIN { printf "%.2f", f / n }') ms" "" "a spawn until the child runs sleep, on average"
row "floor: respawn, bare supervisor, p50 / p99" "$(field p50 "$FLOOR_RESPAWN") / $(field p99 "$FLOOR_RESPAWN") ms" "1.00x" "bench/floor_supervisor, measured the same way (the measure's own polling of $N children included)"
row "respawn after kill -9, p50 / p99" "$(field p50 "$RESPAWN") / $(field p99 "$RESPAWN") ms" "$(ratio "$(field p50 "$RESPAWN")" "$(field p50 "$FLOOR_RESPAWN")")x" "max $(field max "$RESPAWN") ms over $(field ok "$RESPAWN") rounds   target p99 < 5 ms: $(check "$(field p99 "$RESPAWN")" '<' 5)"
row "floor: stop, bare supervisor, plain sleeps" "$(fmt_ms "$FLOOR_PLAIN_STOP") ms" "1.00x" ""
row "stop, plain sleeps" "$(fmt_ms "$PLAIN_STOP") ms" "$(ratio "$PLAIN_STOP" "$FLOOR_PLAIN_STOP")x" "SIGTERM to the daemon -> exit, all reaped"
echo "c. stop-all: $N processes ignoring SIGTERM, graceful_timeout ${GRACE}s"
row "floor: bare supervisor" "$(fmt_ms "$FLOOR_STUB_STOP") ms" "1.00x" "SIGTERM, SIGKILL at ${GRACE}s, all reaped: the kernel's own cost of $N exits"
row "cirqued" "$(fmt_ms "$STUB_STOP") ms" "$(ratio "$STUB_STOP" "$FLOOR_STUB_STOP")x" "$KILLED SIGKILLed; started in $(fmt_ms "$STUB_MS") ms   target <= $((GRACE + 1))000 ms: $(check "$STUB_STOP" '<=' $((GRACE * 1000 + 1000)))"
echo "d. \`cirquectl status\` while \`incr a $STORM\` starts $STORM processes"
row "floor: $STORM processes started" "$(fmt_ms "$STORM_FLOOR") ms" "1.00x" ""
row "cirqued: the $STORM started" "$(fmt_ms "$STORM_MS") ms" "$(ratio "$STORM_MS" "$STORM_FLOOR")x" "from the incr to $WANT running"
row "cirquectl status during it, p50 / p99" "$(fmt_ms "$STORM_P50") / $(fmt_ms "$STORM_P99") ms" "" "max $(fmt_ms "$STORM_MAX") ms, ${#STORM_T[@]} runs ($STORM_DURING before all ran), $STORM_BAD failed   target p99 < 100 ms: $(check "$STORM_P99" '<' 100)"
row "the daemon's answer, live connection" "$(fmt_ms "$FLIGHT_P50") / $(fmt_ms "$FLIGHT_P99") ms" "" "max $(fmt_ms "$FLIGHT_MAX") ms; $FLIGHT_N numwatchers one at a time, $(field left "$FLIGHT_R") processes still to start when done   target p99 < 100 ms: $(check "$FLIGHT_P99" '<' 100)"
row "floor: cirquectl status, $N idle (b)" "$(fmt_ms "$(median "${STATUS_T[@]}")") ms" "" "the client's own cost of a status that long"
if [ "$SV_N" -gt 0 ]; then
	echo "e. supervisord, capped at $SV_N processes (it takes minutes beyond that)"
	row "floor: $SV_N processes" "$(fmt_ms "$SV_FLOOR") ms" "1.00x" ""
	row "supervisord: $SV_N running" "$(fmt_ms "$SV_MS") ms" "$(ratio "$SV_MS" "$SV_FLOOR")x" "stop $(fmt_ms "$SV_STOP") ms"
fi
if [ -s "$T/launcher.err" ]; then
	echo "  launcher messages:"
	head -n 5 "$T/launcher.err" | sed 's/^/    /'
fi
if [ -n "$PROBLEMS" ]; then
	echo
	echo "FAILED: a lost reply, an error or a timeout (a bug, not noise):"
	printf '%s' "$PROBLEMS"
	exit 1
fi
