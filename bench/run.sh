#!/usr/bin/env bash
# bench/run.sh - cirque's benchmarks, each measured side by side with its floor (and supervisord)
# in the same run. Prints a table of figures and ratios; never fails on a timing.
#
#   a. time to have N `sleep` processes running: the floor (bench/spawn_floor, a posix_spawn
#      loop), cirqued and supervisord; REPS runs each, interleaved, median reported
#   b. respawn latency after kill -9 (bench/respawn_latency): p50/p99/max
#   c. the daemon's RSS with N processes (and after the respawns, to see a leak)
#   d. idle wake-ups: system calls of the fully started daemon in 5 s (strace -c -f -p)
#   e. stop time: N processes that ignore SIGTERM, graceful timeout 2 s
#   f. `cirquectl status` with N processes running, as a user sees it (fork to exit): CTL_RUNS
#      runs, median and p90, next to /bin/true, `cirquectl version` (start-up only), the status
#      request alone on a live connection, and `supervisorctl status` against supervisord
#   g. control requests over one connection (bench/ctl_throughput), N processes running: `list`
#      one at a time (round trips) and pipelined (a window in flight), cirqued next to
#      bench/zmq_echo, a ZMQ ROUTER that only echoes (the transport's ceiling), interleaved;
#      every reply's id is checked; the daemon's CPU time and RSS around it. Any lost, error or
#      unmatched reply in f or g makes the script fail (exit 1), loudly, after the summary.
#  (bench/replies.sh, also run by `make bench`, counts replies at windows 1 to 1000 and for 200
#   waiting stops.)
#
# Each daemon runs under bench/launcher, which forks it, times it through /proc, stops it on
# request and, being a child subreaper, catches and counts whatever it leaves behind.
#
# Environment knobs: BENCH_N (1000), BENCH_REPS (3), BENCH_RESPAWN_ROUNDS (100),
# BENCH_SV_RESPAWN_ROUNDS (10), BENCH_SUPERVISORD (1; 0 skips supervisord),
# BENCH_CTL (1; 0 skips f), BENCH_CTL_RUNS (30), BENCH_SV_CTL_RUNS (5),
# BENCH_RATE (1; 0 skips g), BENCH_RATE_REPS (3), BENCH_RATE_SEQ (20000),
# BENCH_RATE_TOTAL (50000), BENCH_RATE_WINDOW (100); BENCH_CIRQUED, BENCH_CIRQUECTL: other
# binaries than src/cirqued and src/cirquectl (e.g. a normal build while src/ holds a SANITIZE=1 one).
# Run after `make` (it builds its own helpers); `make bench` does both.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$BENCH/lib.sh"
ROOT=$(dirname "$BENCH")
CIRQUED=${BENCH_CIRQUED:-$ROOT/src/cirqued}
CIRQUECTL=${BENCH_CIRQUECTL:-$ROOT/src/cirquectl}
N=${BENCH_N:-1000}
REPS=${BENCH_REPS:-3}
RESPAWN_ROUNDS=${BENCH_RESPAWN_ROUNDS:-100}
SV_RESPAWN_ROUNDS=${BENCH_SV_RESPAWN_ROUNDS:-10}
WITH_SV=${BENCH_SUPERVISORD:-1}
GRACE=2            # graceful_timeout / stopwaitsecs of part e, in seconds
IDLE_SECONDS=5     # strace window of part d
SETTLE=2.5         # seconds after "all running" before d and e: cirqued's 1 s start grace is over
WITH_CTL=${BENCH_CTL:-1}
CTL_RUNS=${BENCH_CTL_RUNS:-30}
SV_CTL_RUNS=${BENCH_SV_CTL_RUNS:-5}
WITH_RATE=${BENCH_RATE:-1}
RATE_REPS=${BENCH_RATE_REPS:-3}
RATE_SEQ=${BENCH_RATE_SEQ:-20000}
RATE_TOTAL=${BENCH_RATE_TOTAL:-50000}
RATE_WINDOW=${BENCH_RATE_WINDOW:-100}
STATUS_RTT_N=100   # status requests of part f's "live connection" row

T=$(mktemp -d /tmp/cirque-bench.XXXXXX)
declare -A LAUNCHERS=()  # launchers still running (each owns one daemon and its children)
declare -A DAEMONS=()    # their daemons, for the last-resort cleanup
declare -A HELPERS=()    # other servers of ours (zmq_echo of part g)

# ours PID: PID is still one of our processes (its command line names our temp dir), not a
# recycled pid of someone else's.
ours() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -qF "$T"; }

cleanup() {
	local rc=$? l d i
	trap - EXIT INT TERM HUP
	for l in "${!HELPERS[@]}"; do
		ours "$l" && kill -TERM "$l" 2>/dev/null || true
		wait "$l" 2>/dev/null || true
	done
	for l in "${!LAUNCHERS[@]}"; do
		ours "$l" && kill -TERM "$l" 2>/dev/null || true
	done
	for l in "${!LAUNCHERS[@]}"; do
		for ((i = 0; i < 100; i++)); do
			kill -0 "$l" 2>/dev/null || break
			sleep 0.1
		done
		wait "$l" 2>/dev/null || true
	done
	# Last resort, should a launcher have died first: the daemon and its direct children.
	for d in "${!DAEMONS[@]}"; do
		if ours "$d"; then
			for l in $(cat "/proc/$d/task/$d/children" 2>/dev/null); do
				kill -9 "$l" 2>/dev/null || true
			done
			kill -9 "$d" 2>/dev/null || true
		fi
	done
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 1; }

# --- prerequisites ----------------------------------------------------------------------------
[ -x "$CIRQUED" ] || die "$CIRQUED is missing: run make first"
if [ "$WITH_SV" = 1 ] && ! command -v supervisord >/dev/null; then
	say "bench: supervisord not found (make bench-deps installs it): skipping the comparison"
	WITH_SV=0
fi
HAVE_STRACE=1
command -v strace >/dev/null || { say "bench: strace not found: skipping part d"; HAVE_STRACE=0; }
if [ "$WITH_CTL" = 1 ] && [ ! -x "$CIRQUECTL" ]; then
	say "bench: $CIRQUECTL is missing: skipping part f"
	WITH_CTL=0
fi
if [ "$WITH_CTL" = 1 ] && [ -z "${EPOCHREALTIME:-}" ]; then
	say "bench: bash ${BASH_VERSION} has no EPOCHREALTIME (bash >= 5): skipping part f"
	WITH_CTL=0
fi

# Helpers. spawn_floor is built where the Makefile puts it, when missing or stale; the others are
# built into the temp dir. All run from private copies there: a `make clean` or a rebuild in the
# work tree during the run changes nothing of what is measured.
if [ ! -x "$BENCH/spawn_floor" ] || [ "$BENCH/spawn_floor.c" -nt "$BENCH/spawn_floor" ] ||
	[ "$BENCH/proc.h" -nt "$BENCH/spawn_floor" ]; then
	${CC:-cc} -O2 -Wall -o "$BENCH/spawn_floor" "$BENCH/spawn_floor.c" || die "cannot build spawn_floor"
fi
mkdir -p "$T/bin"
cp "$BENCH/spawn_floor" "$T/bin/spawn_floor"
for prog in launcher respawn_latency; do
	${CC:-cc} -O2 -Wall -o "$T/bin/$prog" "$BENCH/$prog.c" || die "cannot build $prog"
done
# The control-plane clients of f and g: libzmq only, which cirque's own build needs anyway.
if [ "$WITH_CTL" = 1 ] || [ "$WITH_RATE" = 1 ]; then
	for prog in ctl_throughput zmq_echo; do
		${CC:-cc} -O2 -Wall -o "$T/bin/$prog" "$BENCH/$prog.c" -lzmq || die "cannot build $prog"
	done
fi

# A private copy: a rebuild of src/cirqued during the run does not change what is measured.
cp "$CIRQUED" "$T/cirqued"
CIRQUED=$T/cirqued
if [ "$WITH_CTL" = 1 ]; then
	cp "$CIRQUECTL" "$T/cirquectl"
fi
# A sanitizer build (make SANITIZE=1, as the tests use) runs several times slower and bigger.
SANITIZED=""
for b in "$T/cirqued" "$T/cirquectl"; do
	if [ -x "$b" ] && ldd "$b" 2>/dev/null | grep -qE 'lib(a|ub)san'; then
		SANITIZED+="${SANITIZED:+, }${b##*/}"
	fi
done
[ -z "$SANITIZED" ] || say "bench: warning: $SANITIZED built with sanitizers (make SANITIZE=1): figures not representative"

# Up to 20000 descriptors: supervisord keeps 3 pipes per child.
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# Every measured program runs in the same small environment: the caller's locale variables would
# make each `sleep` load locale files, and only where the supervisor passes its environment on.
CLEANENV=(env -i "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "HOME=$T")

# --- small tools ------------------------------------------------------------------------------
median() { printf '%s\n' "$@" | { grep -E '^[0-9.]+$' || true; } | sort -g | awk '{v[NR]=$1} END {if (NR==0) print "n/a"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a/b; else print "n/a" }'; }
fmt_ms() { awk -v v="$1" 'BEGIN { if (v == "n/a" || v == "") print "n/a"; else if (v+0 >= 100) printf "%.0f", v; else if (v+0 >= 10) printf "%.1f", v; else printf "%.2f", v }'; }
# check VALUE OP LIMIT: "met" or "MISSED" (never a failure of the script)
check() { awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { if (v == "n/a") { print "n/a"; exit } ok = (op == "<=") ? (v+0 <= l+0) : (op == "<") ? (v+0 < l+0) : (op == ">") ? (v+0 > l+0) : (v+0 == l+0); print ok ? "met" : "MISSED" }'; }
# pctl P VALUES...: the nearest-rank P-th percentile (n/a when there is no number)
pctl() { local p=$1; shift; printf '%s\n' "$@" | { grep -E '^[0-9.]+$' || true; } | sort -g | awk -v p="$p" '{v[NR]=$1} END { if (NR == 0) { print "n/a"; exit } r = int(p / 100 * NR + 0.999999); if (r < 1) r = 1; if (r > NR) r = NR; print v[r] }'; }
sum() { printf '%s\n' "$@" | awk '$1 ~ /^-?[0-9.]+$/ { s += $1; n++ } END { print n ? s : "n/a" }'; }
# per VALUE DIVISOR SCALE: VALUE * SCALE / DIVISOR, one decimal (n/a when either is not a number)
per() { awk -v a="$1" -v b="$2" -v k="${3:-1}" 'BEGIN { if (a ~ /^[0-9.]+$/ && b+0 > 0) printf "%.1f", a * k / b; else print "n/a" }'; }
HZ=$(getconf CLK_TCK)
# cpu_ms PID: user + system CPU time of PID so far, in ms (/proc/PID/stat utime + stime)
cpu_ms() { awk -v hz="$HZ" '{ sub(/^.*\) /, ""); print ($12 + $13) * 1000 / hz }' "/proc/$1/stat" 2>/dev/null || echo n/a; }
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<" $2"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo n/a; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo n/a; }
nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
kb_mb() { awk -v k="$1" 'BEGIN { if (k == "n/a") print "n/a"; else printf "%.1f", k/1024 }'; }

# wait_line FILE REGEX SECONDS: waits until a line of FILE matches; prints it.
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

# launch TAG TIMEOUT_S DAEMON ARGS...: starts the daemon under a launcher, waits until N children
# run sleep. Sets LPID, DPID, OUT, DLOG, READY_MS, READY_CPU, READY_OK (1, or 0 on a timeout).
launch() {
	local tag=$1 timeout=$2 line
	shift 2
	OUT=$T/$tag.out
	DLOG=$T/$tag.log
	: >"$OUT"
	"${CLEANENV[@]}" "$T/bin/launcher" -n "$N" -t "$timeout" -l "$DLOG" -- "$@" >"$OUT" 2>>"$T/launcher.err" &
	LPID=$!
	LAUNCHERS[$LPID]=1
	line=$(wait_line "$OUT" '^pid ' 10) || die "launcher did not start $1"
	DPID=${line#pid }
	DAEMONS[$DPID]=1
	line=$(wait_line "$OUT" '^(ready|timeout|exited) ' $((timeout + 30))) ||
		die "no answer from the launcher of $1"
	READY_OK=0
	READY_MS=n/a
	READY_CPU=n/a
	case $line in
	ready*) READY_OK=1 ;&
	timeout*)
		read -r _ _ READY_MS _ READY_CPU <<<"$line" ;;
	exited*)
		say "bench: $1 exited at start-up; its log:"
		tail -n 20 "$DLOG" >&2 ;;
	esac
}

# stop_daemon: SIGUSR1 to the launcher, which sends SIGTERM to the daemon and times its exit.
# Sets STOP_MS, STOP_STATUS, LEFT_ALIVE, LEFT_ZOMBIES.
stop_daemon() {
	local line
	STOP_MS=n/a STOP_STATUS=n/a LEFT_ALIVE=n/a LEFT_ZOMBIES=n/a
	if grep -q '^exited ' "$OUT"; then
		line=$(grep '^exited ' "$OUT")
	else
		kill -USR1 "$LPID"
		line=$(wait_line "$OUT" '^exited ' 120) || { say "bench: daemon $DPID did not exit in 120 s"; return 0; }
	fi
	wait "$LPID" 2>/dev/null || true
	unset "LAUNCHERS[$LPID]" "DAEMONS[$DPID]"
	read -r _ STOP_STATUS STOP_MS LEFT_ALIVE LEFT_ZOMBIES <<<"$line"
}

# timed OUT CMD...: runs CMD, stdout to OUT (stderr to ctl.err), and times the whole process from
# the shell: fork, exec, run, exit, wait. Sets TIMED_MS and TIMED_RC; no subshell in the window.
timed() {
	local out=$1 t0 t1
	shift
	TIMED_RC=0
	t0=${EPOCHREALTIME/[.,]/}
	"$@" >"$out" 2>>"$T/ctl.err" || TIMED_RC=$?
	t1=${EPOCHREALTIME/[.,]/}
	TIMED_MS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1000 }')
}

# settle: lets the daemon finish starting (cirqued's start grace is 1 s per process).
settle() { sleep "$SETTLE"; }

# idle_syscalls PID: system calls of PID (and any thread or child it creates) in IDLE_SECONDS.
idle_syscalls() {
	local f=$T/strace.$1.txt
	[ "$HAVE_STRACE" = 1 ] || { echo n/a; return; }
	timeout -s INT "$IDLE_SECONDS" strace -c -f -p "$1" 2>"$f" || true
	if ! grep -q 'attached' "$f"; then
		say "bench: strace could not attach to $1: $(head -n 2 "$f")"
		echo n/a
		return
	fi
	# No table at all when nothing was called.
	awk '$NF == "total" { n = $4 } END { print n + 0 }' "$f"
}

top_syscalls() { [ -f "$T/strace.$1.txt" ] || return 0; awk '/^-/ {t++; next} t == 1 && NF >= 5 { printf "%s%s:%s", sep, $NF, $4; sep=", " }' "$T/strace.$1.txt" | cut -c1-90; }

cirque_conf() { # FILE CMD
	cat >"$1" <<EOF
cirque:
  loglevel: warning
  # Private control-plane endpoints: a cirqued running elsewhere on the machine (with the
  # default ones) must neither block nor be disturbed by the benchmark's daemons.
  endpoint: ipc://$T/control.sock
  pubsub_endpoint: ipc://$T/events.sock
  stats_endpoint: ipc://$T/stats.sock
watchers:
  sleepers:
    cmd: $2
    numprocesses: $N
    graceful_timeout: ${GRACE}s
    min_uptime: 0   # as supervisord's startsecs=0: part b kills young processes on purpose
EOF
}

sv_conf() { # DIR COMMAND
	mkdir -p "$1"
	cat >"$1/supervisord.conf" <<EOF
[unix_http_server]
file=%(here)s/supervisor.sock

[supervisord]
nodaemon=true
user=root
logfile=%(here)s/supervisord.log
pidfile=%(here)s/supervisord.pid
childlogdir=%(here)s
minfds=$((3 * N + 1000))
minprocs=$((N + 200))
loglevel=warn

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://%(here)s/supervisor.sock

[program:sleepers]
command=$2
numprocs=$N
process_name=%(program_name)s_%(process_num)d
startsecs=0
autorestart=true
stopwaitsecs=$GRACE
stdout_logfile=NONE
stderr_logfile=NONE
EOF
	[ "$(id -u)" = 0 ] || sed -i '/^user=root$/d' "$1/supervisord.conf"
}

# --- configurations ---------------------------------------------------------------------------
cirque_conf "$T/sleepers.yaml" "sleep 3600"
cirque_conf "$T/stubborn.yaml" "/bin/sh -c 'trap \"\" TERM; exec sleep 3600'"
SV_SLEEP_CMD="sleep 3600"
SV_STUBBORN_CMD="/bin/sh -c 'trap \"\" TERM; exec sleep 3600'"

say "cirque benchmarks: N=$N, $(nproc) cores, $REPS runs of part a; temp dir $T"
BENCH_START=$(date +%s)

# --- a (+ b, c, d on the last run's daemons) --------------------------------------------------
FLOOR=() CQ=() CQCPU=() CQSTOP=() SV=() SVCPU=() SVSTOP=()
CQ_LEFT=0 CQ_BADEXIT=0 SV_LEFT=0
CQ_RSS=n/a CQ_HWM=n/a CQ_RSS2=n/a CQ_FDS=n/a CQ_FDS2=n/a CQ_IDLE=n/a CQ_RESPAWN=""
SV_RSS=n/a SV_HWM=n/a SV_IDLE=n/a SV_RESPAWN="" SV_FDS=n/a CQ_DETAIL_PID=0 SV_DETAIL_PID=0

for ((rep = 1; rep <= REPS; rep++)); do
	last=$((rep == REPS))

	f=$("${CLEANENV[@]}" "$T/bin/spawn_floor" "$N") || die "spawn_floor failed"
	FLOOR+=("$f")

	launch "cirqued$rep" 30 "$CIRQUED" -c "$T/sleepers.yaml"
	[ "$READY_OK" = 1 ] || { tail -n 20 "$DLOG" >&2; die "cirqued did not start $N processes"; }
	CQ+=("$READY_MS")
	CQCPU+=("$READY_CPU")
	if [ "$last" = 1 ]; then
		settle
		CQ_RSS=$(rss_kb "$DPID") CQ_HWM=$(hwm_kb "$DPID") CQ_FDS=$(nfds "$DPID")
		say "  [c] cirqued RSS $(kb_mb "$CQ_RSS") MB (peak $(kb_mb "$CQ_HWM") MB), $CQ_FDS fds"
		CQ_DETAIL_PID=$DPID
		CQ_IDLE=$(idle_syscalls "$DPID")
		say "  [d] cirqued: $CQ_IDLE system calls in ${IDLE_SECONDS} s idle"
		CQ_RESPAWN=$("$T/bin/respawn_latency" "$DPID" "$N" "$RESPAWN_ROUNDS" 5000 10) ||
			say "bench: respawn_latency failed on cirqued"
		say "  [b] cirqued respawn: $CQ_RESPAWN"
		CQ_RSS2=$(rss_kb "$DPID") CQ_FDS2=$(nfds "$DPID")
		say "  [c] cirqued RSS after the respawns $(kb_mb "$CQ_RSS2") MB, $CQ_FDS2 fds"
		sleep 1.1   # the replacements are past their start grace, like everything else
	fi
	stop_daemon
	CQSTOP+=("$STOP_MS")
	CQ_LEFT=$((CQ_LEFT + ${LEFT_ALIVE/n\/a/0} + ${LEFT_ZOMBIES/n\/a/0}))
	[ "$STOP_STATUS" = 0 ] || CQ_BADEXIT=$((CQ_BADEXIT + 1))
	cp "$DLOG" "$T/cirqued-a.log.$rep"

	line="  [a] run $rep/$REPS: floor $(fmt_ms "$f") ms, cirqued $(fmt_ms "${CQ[-1]}") ms (stop $(fmt_ms "$STOP_MS") ms)"
	if [ "$WITH_SV" = 1 ]; then
		sv_conf "$T/sv$rep" "$SV_SLEEP_CMD"
		launch "supervisord$rep" 90 supervisord -c "$T/sv$rep/supervisord.conf"
		SV+=("$READY_MS")
		SVCPU+=("$READY_CPU")
		if [ "$last" = 1 ] && [ "$READY_OK" = 1 ]; then
			settle
			SV_RSS=$(rss_kb "$DPID") SV_HWM=$(hwm_kb "$DPID") SV_FDS=$(nfds "$DPID")
			say "  [c] supervisord RSS $(kb_mb "$SV_RSS") MB (peak $(kb_mb "$SV_HWM") MB), $SV_FDS fds"
			SV_DETAIL_PID=$DPID
			SV_IDLE=$(idle_syscalls "$DPID")
			say "  [d] supervisord: $SV_IDLE system calls in ${IDLE_SECONDS} s idle"
			SV_RESPAWN=$("$T/bin/respawn_latency" "$DPID" "$N" "$SV_RESPAWN_ROUNDS" 5000 10) ||
				say "bench: respawn_latency failed on supervisord"
			say "  [b] supervisord respawn: $SV_RESPAWN"
		fi
		stop_daemon
		SVSTOP+=("$STOP_MS")
		SV_LEFT=$((SV_LEFT + ${LEFT_ALIVE/n\/a/0} + ${LEFT_ZOMBIES/n\/a/0}))
		line+=", supervisord $(fmt_ms "${SV[-1]}") ms (stop $(fmt_ms "$STOP_MS") ms)"
	fi
	say "$line"
done

# --- e. stop time with processes that ignore SIGTERM -------------------------------------------
launch cirqued-stubborn 30 "$CIRQUED" -c "$T/stubborn.yaml"
[ "$READY_OK" = 1 ] || { tail -n 20 "$DLOG" >&2; die "cirqued did not start $N stubborn processes"; }
settle
victim=$(cut -d' ' -f1 "/proc/$DPID/task/$DPID/children")
ign=$(awk '/^SigIgn:/ {print $2}' "/proc/$victim/status")
(( (16#$ign >> 14) & 1 )) || say "bench: warning: child $victim does not ignore SIGTERM (SigIgn $ign)"
stop_daemon
CQ_E_STOP=$STOP_MS CQ_E_STATUS=$STOP_STATUS CQ_E_LEFT=$((${LEFT_ALIVE/n\/a/0} + ${LEFT_ZOMBIES/n\/a/0}))
CQ_E_KILLED=$(escalations "$DLOG")
cp "$DLOG" "$T/cirqued-e.log"
line="  [e] stop, SIGTERM ignored: cirqued $(fmt_ms "$CQ_E_STOP") ms"
SV_E_STOP=n/a SV_E_LEFT=n/a
if [ "$WITH_SV" = 1 ]; then
	sv_conf "$T/sv-stubborn" "$SV_STUBBORN_CMD"
	launch supervisord-stubborn 90 supervisord -c "$T/sv-stubborn/supervisord.conf"
	if [ "$READY_OK" = 1 ]; then
		settle
		stop_daemon
		SV_E_STOP=$STOP_MS SV_E_LEFT=$((${LEFT_ALIVE/n\/a/0} + ${LEFT_ZOMBIES/n\/a/0}))
	else
		stop_daemon
	fi
	line+=", supervisord $(fmt_ms "$SV_E_STOP") ms"
fi
say "$line"

# --- f, g. the control plane, N processes running -------------------------------------------------
# One cirqued for both (started, settled), then supervisord for f's comparison: never both at once.
CTL_ENDPOINT=ipc://$T/control.sock
CQCTL=("${CLEANENV[@]}" "CIRQUE_ENDPOINT=$CTL_ENDPOINT" "$T/cirquectl")
TRUE_T=() CQV_T=() CQS_T=() SVS_T=()
CTL_BAD=0 CTL_LINES=n/a CTL_RTT="" SV_CTL_BAD=0 SV_CTL_LINES=n/a
ECHO_R=() CQ_R=()
CQ_FG_STATUS=n/a CQ_FG_LEFT=0 CQ_FG_STOPS=0 SV_FG_LEFT=0 G_RSS0=n/a G_RSS1=n/a G_FDS0=n/a G_FDS1=n/a
if [ "$WITH_CTL" = 1 ] || [ "$WITH_RATE" = 1 ]; then
	launch cirqued-ctl 30 "$CIRQUED" -c "$T/sleepers.yaml"
	[ "$READY_OK" = 1 ] || { tail -n 20 "$DLOG" >&2; die "cirqued did not start $N processes"; }
	settle

	if [ "$WITH_CTL" = 1 ]; then
		# Interleaved: the floor, cirquectl's start-up alone, the whole `status`.
		for ((i = 1; i <= CTL_RUNS; i++)); do
			timed "$T/true.out" "${CLEANENV[@]}" /bin/true
			TRUE_T+=("$TIMED_MS")
			timed "$T/version.out" "${CQCTL[@]}" version
			CQV_T+=("$TIMED_MS")
			timed "$T/status.out" "${CQCTL[@]}" status
			CQS_T+=("$TIMED_MS")
			CTL_LINES=$(wc -l <"$T/status.out")
			if [ "$TIMED_RC" != 0 ] || [ "$CTL_LINES" != "$N" ]; then
				CTL_BAD=$((CTL_BAD + 1))
				[ "$CTL_BAD" -gt 1 ] || say "bench: cirquectl status: exit $TIMED_RC, $CTL_LINES lines (want $N)"
			fi
		done
		# The same request on a live connection: no process start, no printing.
		CTL_RTT=$("$T/bin/ctl_throughput" -p "$DPID" -c status -j '{"processes":true}' -W 5 \
			-n "$STATUS_RTT_N" -m 0 "$CTL_ENDPOINT") || say "bench: ctl_throughput (status) failed: $CTL_RTT"
		say "  [f] cirquectl status: median $(fmt_ms "$(median "${CQS_T[@]}")") ms over $CTL_RUNS runs ($CTL_LINES lines); /bin/true $(fmt_ms "$(median "${TRUE_T[@]}")") ms"
	fi

	if [ "$WITH_RATE" = 1 ]; then
		"$T/bin/zmq_echo" "ipc://$T/echo.sock" 2>>"$T/echo.err" &
		EPID=$!
		HELPERS[$EPID]=1
		for ((i = 0; i < 50; i++)); do
			[ -S "$T/echo.sock" ] && break
			sleep 0.1
		done
		G_RSS0=$(rss_kb "$DPID") G_FDS0=$(nfds "$DPID")
		G_CPU0=$(cpu_ms "$DPID")
		RATE_ARGS=(-n "$RATE_SEQ" -m "$RATE_TOTAL" -w "$RATE_WINDOW")
		for ((rep = 1; rep <= RATE_REPS; rep++)); do
			r=$("$T/bin/ctl_throughput" -E -p "$EPID" "${RATE_ARGS[@]}" "ipc://$T/echo.sock") ||
				say "bench: ctl_throughput against zmq_echo: ${r:-no output}"
			ECHO_R+=("$r")
			r=$("$T/bin/ctl_throughput" -p "$DPID" "${RATE_ARGS[@]}" "$CTL_ENDPOINT") ||
				say "bench: ctl_throughput against cirqued: ${r:-no output}"
			CQ_R+=("$r")
			say "  [g] run $rep/$RATE_REPS: one at a time: echo $(field seq_rate "${ECHO_R[-1]}"), cirqued $(field seq_rate "$r") req/s; window $RATE_WINDOW: echo $(field pipe_rate "${ECHO_R[-1]}"), cirqued $(field pipe_rate "$r") req/s"
		done
		G_CPU1=$(cpu_ms "$DPID")
		G_RSS1=$(rss_kb "$DPID") G_FDS1=$(nfds "$DPID")
		kill -TERM "$EPID" 2>/dev/null || true
		wait "$EPID" 2>/dev/null || true
		unset "HELPERS[$EPID]"
	fi

	stop_daemon
	CQ_FG_STATUS=$STOP_STATUS CQ_FG_STOPS=1
	CQ_FG_LEFT=$((${LEFT_ALIVE/n\/a/0} + ${LEFT_ZOMBIES/n\/a/0}))
	cp "$DLOG" "$T/cirqued-fg.log"

	if [ "$WITH_CTL" = 1 ] && [ "$WITH_SV" = 1 ]; then
		sv_conf "$T/sv-ctl" "$SV_SLEEP_CMD"
		launch supervisord-ctl 90 supervisord -c "$T/sv-ctl/supervisord.conf"
		if [ "$READY_OK" = 1 ]; then
			settle
			for ((i = 1; i <= SV_CTL_RUNS; i++)); do
				timed "$T/svstatus.out" "${CLEANENV[@]}" supervisorctl -c "$T/sv-ctl/supervisord.conf" status
				SVS_T+=("$TIMED_MS")
				SV_CTL_LINES=$(wc -l <"$T/svstatus.out")
				if [ "$TIMED_RC" != 0 ] || [ "$SV_CTL_LINES" != "$N" ]; then
					SV_CTL_BAD=$((SV_CTL_BAD + 1))
					[ "$SV_CTL_BAD" -gt 1 ] || say "bench: supervisorctl status: exit $TIMED_RC, $SV_CTL_LINES lines (want $N)"
				fi
			done
			say "  [f] supervisorctl status: median $(fmt_ms "$(median "${SVS_T[@]}")") ms over $SV_CTL_RUNS runs ($SV_CTL_LINES lines)"
		fi
		stop_daemon
		SV_FG_LEFT=$((${LEFT_ALIVE/n\/a/0} + ${LEFT_ZOMBIES/n\/a/0}))
	fi
fi

# --- cirqued's logs: anything but the expected warnings ---------------------------------------
cat "$T"/cirqued-a.log.* "$T/cirqued-e.log" >"$T/cirqued-all.log"
[ ! -f "$T/cirqued-fg.log" ] || cat "$T/cirqued-fg.log" >>"$T/cirqued-all.log"
CQ_LOG_LINES=$(wc -l <"$T/cirqued-all.log")
CQ_LOG_ERRORS=$(grep -cE '\[(error|critical)\]|Sanitizer|runtime error' "$T/cirqued-all.log" || true)
# Expected at loglevel warning: the respawn victims ("killed unexpectedly by SIGKILL") and, in part
# e, the SIGKILL after the graceful timeout ("still running after graceful_timeout").
EXPECTED_LOG='killed unexpectedly by SIGKILL|still running after graceful_timeout .*(sending|sent) SIGKILL'
CQ_LOG_ODD=$(grep -vE "$EXPECTED_LOG" "$T/cirqued-all.log" | grep -c . || true)

# --- summary ----------------------------------------------------------------------------------
F_MED=$(median "${FLOOR[@]}")
CQ_MED=$(median "${CQ[@]}")
CQ_RATIO=$(ratio "$CQ_MED" "$F_MED")
CQCPU_MED=$(median "${CQCPU[@]}")
CQSTOP_MED=$(median "${CQSTOP[@]}")
SV_MED=n/a SV_RATIO=n/a SVCPU_MED=n/a SVSTOP_MED=n/a
if [ "$WITH_SV" = 1 ]; then
	SV_MED=$(median "${SV[@]}")
	SV_RATIO=$(ratio "$SV_MED" "$F_MED")
	SVCPU_MED=$(median "${SVCPU[@]}")
	SVSTOP_MED=$(median "${SVSTOP[@]}")
fi
CQ_P50=$(field p50 "$CQ_RESPAWN") CQ_P99=$(field p99 "$CQ_RESPAWN") CQ_MAX=$(field max "$CQ_RESPAWN")
CQ_N=$(field n "$CQ_RESPAWN") CQ_TO=$(field timeouts "$CQ_RESPAWN")
SV_P50=$(field p50 "$SV_RESPAWN") SV_P99=$(field p99 "$SV_RESPAWN") SV_MAX=$(field max "$SV_RESPAWN")
SV_N=$(field n "$SV_RESPAWN") SV_TO=$(field timeouts "$SV_RESPAWN")
: "${CQ_P50:=n/a}" "${CQ_P99:=n/a}" "${CQ_MAX:=n/a}" "${CQ_N:=0}" "${CQ_TO:=0}"
: "${SV_P50:=n/a}" "${SV_P99:=n/a}" "${SV_MAX:=n/a}" "${SV_N:=0}" "${SV_TO:=0}"
runs() { local s="" v; for v in "$@"; do s+="$(fmt_ms "$v") "; done; echo "${s% }"; }
sv() { [ "$WITH_SV" = 1 ] && printf '%s' "$1" || printf 'skipped'; }

row() { printf '  %-38s %12s  %-9s  %s\n' "$@"; }
echo
echo "cirque benchmark summary   N=$N processes, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), $(($(date +%s) - BENCH_START)) s"
echo "  (timings are noisy on this machine: compare within this run; ratios are what matter)"
[ -z "$SANITIZED" ] || echo "  WARNING: $SANITIZED built with sanitizers (make SANITIZE=1): figures not representative"
echo
echo "a. time until $N \`sleep\` processes run (median of $REPS; runs in order)"
row "" "median" "vs floor" "runs (ms)"
row "floor: posix_spawn loop" "$(fmt_ms "$F_MED") ms" "1.00x" "$(runs "${FLOOR[@]}")"
row "cirqued" "$(fmt_ms "$CQ_MED") ms" "${CQ_RATIO}x" "$(runs "${CQ[@]}")   target <= 1.3x: $(check "$CQ_RATIO" '<=' 1.3)"
row "supervisord" "$(sv "$(fmt_ms "$SV_MED") ms")" "$(sv "${SV_RATIO}x")" "$(sv "$(runs "${SV[@]}")")"
row "daemon CPU until all run: cirqued" "$(fmt_ms "$CQCPU_MED") ms" "" "supervisord: $(sv "$(fmt_ms "$SVCPU_MED") ms")"
row "supervisord / cirqued" "$(sv "$(ratio "$SV_MED" "$CQ_MED")x")" "" ""
echo
echo "b. respawn latency after kill -9, $N running (kill() -> replacement runs sleep)"
row "" "p50" "p99" "max"
row "cirqued ($CQ_N rounds, $CQ_TO timeouts)" "$(fmt_ms "$CQ_P50") ms" "$(fmt_ms "$CQ_P99") ms" "$(fmt_ms "$CQ_MAX") ms   target p99 < 5 ms: $(check "$CQ_P99" '<' 5)"
row "supervisord ($SV_N rounds, $SV_TO timeouts)" "$(sv "$(fmt_ms "$SV_P50") ms")" "$(sv "$(fmt_ms "$SV_P99") ms")" "$(sv "$(fmt_ms "$SV_MAX") ms")"
row "supervisord / cirqued, p50" "$(sv "$(ratio "$SV_P50" "$CQ_P50")x")" "" ""
echo
echo "c. daemon memory with $N processes running (VmRSS)"
row "cirqued" "$(kb_mb "$CQ_RSS") MB" "" "peak $(kb_mb "$CQ_HWM") MB; after $CQ_N respawns $(kb_mb "$CQ_RSS2") MB; fds $CQ_FDS -> $CQ_FDS2   target < 10 MB: $(check "$(awk -v k="$CQ_RSS" 'BEGIN{print (k=="n/a")?"n/a":k/1024}')" '<' 10)"
row "supervisord" "$(sv "$(kb_mb "$SV_RSS") MB")" "" "$(sv "peak $(kb_mb "$SV_HWM") MB; fds $SV_FDS")"
row "supervisord / cirqued" "$(sv "$(ratio "$SV_RSS" "$CQ_RSS")x")" "" ""
echo
echo "d. idle wake-ups: system calls in ${IDLE_SECONDS} s, fully started, $N running (strace -c -f -p)"
row "cirqued" "$CQ_IDLE" "" "target 0: $(check "$CQ_IDLE" '==' 0)  $(top_syscalls "$CQ_DETAIL_PID")"
row "supervisord" "$(sv "$SV_IDLE")" "" "$(sv "$(top_syscalls "$SV_DETAIL_PID")")"
echo
echo "e. stop time: SIGTERM to the daemon -> it exits with every child reaped"
row "" "time" "vs cirqued" "notes"
row "cirqued, $N ignore SIGTERM (grace ${GRACE}s)" "$(fmt_ms "$CQ_E_STOP") ms" "1.00x" "exit $CQ_E_STATUS, $CQ_E_KILLED SIGKILLed, $CQ_E_LEFT left behind; expect ~${GRACE}000 ms"
row "supervisord, same (stopwaitsecs=$GRACE)" "$(sv "$(fmt_ms "$SV_E_STOP") ms")" "$(sv "$(ratio "$SV_E_STOP" "$CQ_E_STOP")x")" "$(sv "$SV_E_LEFT left behind")"
row "cirqued, $N plain sleeps (median)" "$(fmt_ms "$CQSTOP_MED") ms" "" "runs $(runs "${CQSTOP[@]}")"
row "supervisord, $N plain sleeps (median)" "$(sv "$(fmt_ms "$SVSTOP_MED") ms")" "" "$(sv "runs $(runs "${SVSTOP[@]}")")"
echo
# f and g: fields of ctl_throughput's lines, over all of g's runs
fields() { local name=$1 l; shift; for l in "$@"; do field "$name" "$l"; done; }
us_ms() { awk -v v="$1" 'BEGIN { if (v ~ /^[0-9.]+$/) print v / 1000; else print "n/a" }'; }
if [ "$WITH_CTL" = 1 ]; then
	echo "f. \`cirquectl status\` with $N processes running: the whole process, fork to exit ($CTL_RUNS runs, interleaved)"
	row "" "median" "p90" "notes"
	TRUE_MED=$(median "${TRUE_T[@]}") CQS_MED=$(median "${CQS_T[@]}") CQS_P90=$(pctl 90 "${CQS_T[@]}")
	row "floor: /bin/true" "$(fmt_ms "$TRUE_MED") ms" "$(fmt_ms "$(pctl 90 "${TRUE_T[@]}")") ms" "process start and exit, same env -i"
	row "cirquectl version (start-up only)" "$(fmt_ms "$(median "${CQV_T[@]}")") ms" "$(fmt_ms "$(pctl 90 "${CQV_T[@]}")") ms" "no request: exec, libraries, exit"
	row "cirquectl status" "$(fmt_ms "$CQS_MED") ms" "$(fmt_ms "$CQS_P90") ms" "$CTL_LINES lines (want $N), $CTL_BAD bad runs; max $(fmt_ms "$(pctl 100 "${CQS_T[@]}")") ms   target < 20 ms: $(check "$CQS_MED" '<' 20)"
	RTT_P50=$(us_ms "$(field rtt_p50_us "$CTL_RTT")") RTT_P90=$(us_ms "$(field rtt_p90_us "$CTL_RTT")")
	row "status alone, on a live connection" "$(fmt_ms "$RTT_P50") ms" "$(fmt_ms "$RTT_P90") ms" "$(field seq_ok "$CTL_RTT")/$STATUS_RTT_N round trips; reply $(per "$(field reply_bytes "$CTL_RTT")" 1024) KB; daemon CPU $(per "$(field dcpu_seq "$CTL_RTT")" "$STATUS_RTT_N") ms per status"
	SVS_MED=$(median "${SVS_T[@]}")
	row "supervisorctl status ($SV_CTL_RUNS runs)" "$(sv "$(fmt_ms "$SVS_MED") ms")" "$(sv "$(fmt_ms "$(pctl 90 "${SVS_T[@]}")") ms")" "$(sv "$SV_CTL_LINES lines (want $N), $SV_CTL_BAD bad runs")"
	row "supervisorctl / cirquectl, median" "$(sv "$(ratio "$SVS_MED" "$CQS_MED")x")" "" "cirquectl / floor: $(ratio "$CQS_MED" "$TRUE_MED")x"
else
	echo "f. \`cirquectl status\` with $N processes running: skipped"
fi
echo
if [ "$WITH_RATE" = 1 ]; then
	E_SEQ=$(median $(fields seq_rate "${ECHO_R[@]}")) E_PIPE=$(median $(fields pipe_rate "${ECHO_R[@]}"))
	C_SEQ=$(median $(fields seq_rate "${CQ_R[@]}")) C_PIPE=$(median $(fields pipe_rate "${CQ_R[@]}"))
	C_SEQ_OK=$(sum $(fields seq_ok "${CQ_R[@]}")) C_PIPE_OK=$(sum $(fields pipe_ok "${CQ_R[@]}"))
	C_DSEQ=$(sum $(fields dcpu_seq "${CQ_R[@]}")) C_DPIPE=$(sum $(fields dcpu_pipe "${CQ_R[@]}"))
	E_SEQ_OK=$(sum $(fields seq_ok "${ECHO_R[@]}")) E_PIPE_OK=$(sum $(fields pipe_ok "${ECHO_R[@]}"))
	E_DSEQ=$(sum $(fields dcpu_seq "${ECHO_R[@]}")) E_DPIPE=$(sum $(fields dcpu_pipe "${ECHO_R[@]}"))
	rtts() { echo "rtt p50 $(median $(fields rtt_p50_us "$@")) us, p99 $(median $(fields rtt_p99_us "$@")) us"; }
	bad() { echo "$(sum $(fields errors "$@")) / $(sum $(fields unmatched "$@")) / $(sum $(fields lost "$@"))"; }
	G_CPU=$(awk -v a="${G_CPU0:-n/a}" -v b="${G_CPU1:-n/a}" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/) print b - a; else print "n/a" }')
	echo "g. \`list\` requests over one connection, $N processes running (median of $RATE_REPS runs, interleaved)"
	row "" "req/s" "vs echo" "notes"
	row "echo ROUTER, one at a time (ceiling)" "$E_SEQ" "1.00x" "$RATE_SEQ round trips; $(rtts "${ECHO_R[@]}"); server CPU $(per "$E_DSEQ" "$E_SEQ_OK" 1000) us/req"
	row "cirqued, one at a time" "$C_SEQ" "$(ratio "$C_SEQ" "$E_SEQ")x" "$(rtts "${CQ_R[@]}"); daemon CPU $(per "$C_DSEQ" "$C_SEQ_OK" 1000) us/req   target > 20000: $(check "$C_SEQ" '>' 20000)"
	row "echo ROUTER, window $RATE_WINDOW (ceiling)" "$E_PIPE" "1.00x" "$RATE_TOTAL requests; server CPU $(per "$E_DPIPE" "$E_PIPE_OK" 1000) us/req"
	row "cirqued, window $RATE_WINDOW" "$C_PIPE" "$(ratio "$C_PIPE" "$E_PIPE")x" "daemon CPU $(per "$C_DPIPE" "$C_PIPE_OK" 1000) us/req   target > 20000: $(check "$C_PIPE" '>' 20000)"
	row "replies: errors / unmatched / lost" "$(bad "${CQ_R[@]}")" "" "cirqued, of $RATE_REPS x $((RATE_SEQ + RATE_TOTAL)) requests (echo: $(bad "${ECHO_R[@]}"))"
	row "cirqued CPU during g" "$(fmt_ms "$G_CPU") ms" "" "of which round trips $(fmt_ms "$C_DSEQ") ms, pipelined $(fmt_ms "$C_DPIPE") ms (/proc/PID/stat, ${HZ} Hz)"
	row "cirqued RSS / fds around g" "$(kb_mb "$G_RSS0") MB" "" "-> $(kb_mb "$G_RSS1") MB after $(sum "$C_SEQ_OK" "$C_PIPE_OK") requests; fds $G_FDS0 -> $G_FDS1"
else
	echo "g. control requests over one connection: skipped"
fi
echo
echo "hygiene"
row "cirqued exits with status != 0" "$CQ_BADEXIT" "" "of the $REPS stops of part a (part e: status $CQ_E_STATUS; f/g: status $CQ_FG_STATUS)"
row "processes left behind: cirqued" "$((CQ_LEFT + CQ_E_LEFT + CQ_FG_LEFT))" "" "alive or unreaped, over all $((REPS + 1 + CQ_FG_STOPS)) stops"
row "processes left behind: supervisord" "$(sv "$((SV_LEFT + ${SV_E_LEFT/n\/a/0} + SV_FG_LEFT))")" "" ""
row "cirqued log lines (loglevel warning)" "$CQ_LOG_LINES" "" "expected: $CQ_N respawn victims + the lines of part e's $CQ_E_KILLED SIGKILLs (the first, then a line per burst)"
row "cirqued log: errors / unexpected lines" "$CQ_LOG_ERRORS / $CQ_LOG_ODD" "" ""
if [ "$CQ_LOG_ODD" != 0 ]; then
	echo "  unexpected cirqued log lines (first 10):"
	grep -vE "$EXPECTED_LOG" "$T/cirqued-all.log" | head -n 10 | sed 's/^/    /'
fi
if [ -s "$T/ctl.err" ] || [ -s "$T/echo.err" ]; then
	echo "  cirquectl / supervisorctl / zmq_echo messages (first 10):"
	cat "$T/ctl.err" "$T/echo.err" 2>/dev/null | head -n 10 | sed 's/^/    /'
fi
if [ -s "$T/launcher.err" ]; then
	echo "  launcher messages:"
	head -n 10 "$T/launcher.err" | sed 's/^/    /'
fi

# --- replies: a benchmark that counts a lost reply has found a bug ----------------------------
# Every request of f and g must get exactly one good reply: anything else fails the run, loudly.
REPLY_PROBLEMS=""
check_replies() { # LABEL RUNS LINE...: ctl_throughput's lines, RUNS of them expected
	local label=$1 want=$2 l n=0 e u lost
	shift 2
	for l in "$@"; do
		[ -n "$l" ] || continue
		n=$((n + 1))
		e=$(field errors "$l") u=$(field unmatched "$l") lost=$(field lost "$l")
		[ "${e:-?}/${u:-?}/${lost:-?}" = 0/0/0 ] ||
			REPLY_PROBLEMS+="  $label: errors ${e:-?}, unmatched ${u:-?}, lost ${lost:-?}"$'\n'
	done
	[ "$n" -eq "$want" ] ||
		REPLY_PROBLEMS+="  $label: $((want - n)) of $want runs gave no figures (see the messages above)"$'\n'
}
if [ "$WITH_RATE" = 1 ]; then
	check_replies "g, cirqued" "$RATE_REPS" "${CQ_R[@]}"
	check_replies "g, echo ROUTER" "$RATE_REPS" "${ECHO_R[@]}"
fi
if [ "$WITH_CTL" = 1 ]; then
	check_replies "f, status on a live connection" 1 "$CTL_RTT"
	[ "$CTL_BAD" = 0 ] ||
		REPLY_PROBLEMS+="  f, cirquectl status: $CTL_BAD of $CTL_RUNS runs failed (no reply, an error, or not $N lines)"$'\n'
fi
# The other counts of cirqued's failures: a respawn that never came (timeout), an exit status
# other than 0, an error in its log. (supervisord's are only shown: it is the comparison.)
[ -n "$CQ_RESPAWN" ] && [ "$CQ_N" = "$RESPAWN_ROUNDS" ] ||
	REPLY_PROBLEMS+="  b, respawn: $CQ_N of $RESPAWN_ROUNDS rounds measured (respawn_latency failed)"$'\n'
[ "$CQ_TO" = 0 ] || REPLY_PROBLEMS+="  b, respawn: $CQ_TO timeouts (no new process within 5 s of a kill -9)"$'\n'
[ "$CQ_BADEXIT" = 0 ] && [ "$CQ_E_STATUS" = 0 ] && { [ "$CQ_FG_STOPS" = 0 ] || [ "$CQ_FG_STATUS" = 0 ]; } ||
	REPLY_PROBLEMS+="  cirqued exit status (n/a: no exit within 120 s): $CQ_BADEXIT of the $REPS stops of a not 0; e: $CQ_E_STATUS; f/g: $CQ_FG_STATUS"$'\n'
[ "$CQ_LOG_ERRORS" = 0 ] ||
	REPLY_PROBLEMS+="  cirqued log: $CQ_LOG_ERRORS errors (or sanitizer reports)"$'\n'
if [ -n "$REPLY_PROBLEMS" ]; then
	echo
	echo "FAILED: replies were lost, were errors, or did not match a request; or cirqued failed:"
	printf '%s' "$REPLY_PROBLEMS"
	echo "Every request must get exactly one good reply, every respawn must come, cirqued must"
	echo "exit 0 and log no error: this is a bug, not noise."
	say "bench: FAILED: lost, error or unmatched replies, timeouts or errors (see the end of the summary)"
	exit 1
fi
