# lib.sh - helpers for end-to-end tests: start the real cirqued on a temporary config, look at /proc.
# Each test sources this file, calls `start_daemon`, asserts, and exits 0 on success.
set -u
umask 022  # as root, cirqued refuses configuration files that group or others could change

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CIRQUED="$ROOT/src/cirqued"
T=$(mktemp -d /tmp/cirque-e2e.XXXXXX)
CONF="$T/cirque.yaml"
DLOG="$T/daemon.log"
DPID=""
# Each test's daemon has its own control and event sockets; cirquectl finds them the same way.
export CIRQUE_RUNTIME_DIR="$T/run"
CTL="$ROOT/src/cirquectl"

cleanup() {
	local rc=$?
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -QUIT "$DPID" 2>/dev/null
		wait_for 5 '! kill -0 $DPID 2>/dev/null' || kill -9 "$DPID" 2>/dev/null
	fi
	# Anything a test started in its own process groups and left behind.
	pkill -9 -f "$T" 2>/dev/null
	# Under SANITIZE=1 a report in the daemon's log fails the test, whatever it asserted.
	if [ -f "$DLOG" ] && grep -qE "Sanitizer|runtime error:" "$DLOG"; then
		echo "FAIL: sanitizer report in the daemon log:" >&2
		grep -A 20 -E "Sanitizer|runtime error:" "$DLOG" | head -n 40 >&2
		rc=1
	fi
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	if [ -f "$DLOG" ]; then
		echo "--- daemon log (last 30 lines) ---" >&2
		tail -n 30 "$DLOG" >&2
	fi
	exit 1
}

note() { echo "  $*"; }

# wait_for SECONDS 'shell condition': polls every 20 ms; returns 1 on timeout.
wait_for() {
	local limit=$1 cond=$2 end
	end=$(( $(date +%s%N) + limit * 1000000000 ))
	while ! eval "$cond"; do
		[ "$(date +%s%N)" -gt "$end" ] && return 1
		sleep 0.02
	done
	return 0
}

# start_daemon [extra args]: runs cirqued on $CONF, waits until it is up.
start_daemon() {
	"$CIRQUED" -c "$CONF" "$@" >>"$DLOG" 2>&1 &
	DPID=$!
	wait_for 10 'grep -qs "starting (pid" "$DLOG" || ! kill -0 $DPID 2>/dev/null' ||
		fail "daemon did not start"
	kill -0 "$DPID" 2>/dev/null || fail "daemon exited at start-up"
}

# stop_daemon [SIGNAL] [TIMEOUT]: signals the daemon and waits for its exit; sets DSTATUS.
stop_daemon() {
	local sig=${1:-TERM} limit=${2:-60}
	kill -"$sig" "$DPID" || fail "cannot signal daemon"
	wait_for "$limit" '! kill -0 $DPID 2>/dev/null' || fail "daemon did not exit within ${limit}s after SIG$sig"
	wait "$DPID"
	DSTATUS=$?
	DPID=""
}

# children [PID]: pids of the direct children of PID (default the daemon), one per line.
children() {
	local pid=${1:-$DPID}
	cat "/proc/$pid/task/$pid/children" 2>/dev/null | tr ' ' '\n' | grep -v '^$' || true
}

# children_matching PATTERN: direct children of the daemon whose command line contains PATTERN.
children_matching() {
	local pid
	for pid in $(children); do
		tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$1" && echo "$pid"
	done
	return 0
}

count_matching() { children_matching "$1" | grep -c . || true; }

# wait_count PATTERN N [SECONDS]: until exactly N children match PATTERN.
wait_count() {
	local pattern=$1 n=$2 limit=${3:-10}
	wait_for "$limit" '[ "$(count_matching "$pattern")" -eq '"$n"' ]' ||
		fail "expected $n processes matching '$pattern', have $(count_matching "$pattern")"
}

# zombies_of PID: children of PID in state Z.
zombies_of() {
	local pid
	for pid in $(children "$1"); do
		awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null | grep -q Z && echo "$pid"
	done
	return 0
}

proc_env() { tr '\0' '\n' <"/proc/$1/environ"; }
log_count() { grep -c -- "$1" "$DLOG" || true; }

# sleeper NAME: prints the path of a `sleep` under a name unique to this test, so that its
# processes can be told apart in /proc (their cmdline starts with $T/NAME).
sleeper() {
	ln -sf "$(command -v sleep)" "$T/$1"
	echo "$T/$1"
}

# free_port: a TCP port that nothing uses now, for a test that needs a fixed one. Random (tests
# run at once), and below the kernel's ephemeral range, from which bind(0) and outgoing
# connections take theirs, so that no other program picks it meanwhile.
free_port() {
	/usr/bin/python3 - <<'PYEOF'
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
high = max(min(low, 32768) - 1, 2024)
for _ in range(500):
    port = random.randint(max(high - 12000, 1024), high)
    s = socket.socket()
    try:
        s.bind(("0.0.0.0", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
else:
    raise SystemExit("no free port")
PYEOF
}

# request JSON: sends one request to the control socket over ZeroMQ (with Debian's python3-zmq)
# and prints the reply, one line of JSON. Fails after 5 s without a reply.
request() {
	/usr/bin/python3 - "ipc://$CIRQUE_RUNTIME_DIR/control.sock" "$1" <<'PYEOF'
import sys, zmq
s = zmq.Context().socket(zmq.DEALER)
s.setsockopt(zmq.LINGER, 0)
s.connect(sys.argv[1])
s.send(sys.argv[2].encode())
if not s.poll(5000):
    sys.exit("no reply")
print(s.recv().decode())
PYEOF
}

# --- Containment (cgroups): test_contain_*.sh ---

# cgroup2_mount: where the cgroup2 file system is mounted (from mountinfo), empty without one.
cgroup2_mount() {
	awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } next } }' \
		/proc/self/mountinfo
}

# cgroup_of PID: its cgroup v2 path ("/cirque-12/web"), the 0:: line of /proc/PID/cgroup.
cgroup_of() { sed -n 's/^0:://p' "/proc/$1/cgroup" 2>/dev/null; }

# procs_matching MARKER: pids of the live processes (any, not only the daemon's children) whose
# command line matches MARKER (a regex: ^$T/name for a sleeper's).
procs_matching() { pgrep -f -- "$1" || true; }

# has_env PID NAME=VALUE: the process's environment holds exactly that entry.
has_env() { proc_env "$1" 2>/dev/null | grep -qxF -- "$2"; }

# json_eval EXPR: evaluates the Python expression EXPR on the JSON read from stdin (as d).
json_eval() { /usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# start_daemon_unshared 'COMMANDS' [args]: start_daemon, in a mount namespace of its own that
# the shell COMMANDS prepare (e.g. make the cgroup2 mount read-only); same pid as the daemon.
start_daemon_unshared() {
	local prepare=$1
	shift
	unshare -m --propagation private /bin/sh -c "$prepare"' && exec "$0" "$@"' \
		"$CIRQUED" -c "$CONF" "$@" >>"$DLOG" 2>&1 &
	DPID=$!
	wait_for 10 'grep -qs "starting (pid" "$DLOG" || ! kill -0 $DPID 2>/dev/null' ||
		fail "daemon did not start"
	kill -0 "$DPID" 2>/dev/null || fail "daemon exited at start-up"
}

# stray_desc NAME: the description of NAME's `NAME:stray  STRAY` line in status, its pids sorted
# ("2 processes left behind: pids 12 34"); empty without one.
stray_desc() {
	local d
	d=$("$CTL" status | sed -nE "s/^$1:stray +STRAY +//p")
	[ -n "$d" ] || return 0
	echo "${d%%: *}: $(echo ${d#*: } | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//')"
}

# all_alive ^MARKER...: each marker (a regex anchored at the start) has a live process; one
# scan of /proc for them all.
all_alive() {
	local m list
	list=$'\n'$(pgrep -af .)
	for m in "$@"; do [[ $list =~ $'\n'[0-9]+\ ${m#^} ]] || return 1; done
}

# strays_text PID...: what stray_desc shows for these pids.
strays_text() {
	local pids
	pids=$(printf '%s\n' "$@" | sort -n | tr '\n' ' ')
	if [ $# = 1 ]; then echo "1 process left behind: pid ${pids% }"; else echo "$# processes left behind: pids ${pids% }"; fi
}

# polite_stray: the path of a script that waits for SIGTERM, SIGINT or SIGUSR1, then appends
# "SIGNAL <its first argument>" to $T/got-term and exits: it shows which signal stopped it.
polite_stray() {
	local sig
	{
		echo '#!/bin/sh'
		for sig in TERM INT USR1; do
			echo "trap 'echo \"$sig \$1\" >>$T/got-term; exit 0' $sig"
		done
		echo "$(sleeper polite-child) 7779 &"
		echo wait
	} >"$T/polite"
	chmod 755 "$T/polite"
	echo "$T/polite"
}

# gone PID: the process has exited (a zombie not reaped yet counts as gone).
gone() { [ ! -e "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null || [ ! -e "/proc/$1" ]; }

# remove_cgroup_tree DIR: kills what is left in the cgroup DIR and removes it with the cgroups
# below it, deepest first (what a failed test leaves behind).
remove_cgroup_tree() {
	CG_TREE=$1
	[ -n "$CG_TREE" ] && [ -d "$CG_TREE" ] || return 0
	echo 1 >"$CG_TREE/cgroup.kill" 2>/dev/null
	wait_for 5 '! grep -qx "populated 1" "$CG_TREE/cgroup.events" 2>/dev/null'
	find "$CG_TREE" -depth -type d -exec rmdir {} + 2>/dev/null
	return 0
}

# --- cirque-web: test_web*.sh ---

WEB="$ROOT/src/cirque-web"
WPID=""
WLOG="$T/web.log"
# start_web CONFIG URL: runs cirque-web on CONFIG, waits until URL/healthz answers.
start_web() {
	WEB_URL=$2
	"$WEB" -c "$1" >>"$WLOG" 2>&1 &
	WPID=$!
	wait_for 10 'curl -skf -o /dev/null "$WEB_URL/healthz"' || fail "cirque-web did not start: $(cat "$WLOG")"
}
stop_web() {
	[ -n "$WPID" ] || return 0
	kill "$WPID" 2>/dev/null
	wait_for 10 '! kill -0 $WPID 2>/dev/null' || fail "cirque-web did not stop on SIGTERM"
	WPID=""
}
