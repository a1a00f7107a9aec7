# The short chaos soak (issue "Hardening"): tests/soak/chaos.py for 20 s on 100 processes over 10
# watchers, with 4 clients (one cirquectl, three raw zmq). Random signals to the children, random
# control commands, SIGHUP reloads of rewritten files; then every watcher has exactly its
# processes, no zombie, every request answered, fds back to their start value, RSS within its
# margin, no unexpected error in the log. The daemon logs to $DLOG, so a sanitizer report fails the
# test too. The long version is `make soak` (chaos.py's defaults: 600 s, 200 processes).
# serial: loads the CPU (100 processes, random signals, 4 clients, 20 s)
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || fail "$PY is missing: apt-get install python3 python3-zmq (or: make test-deps)"
"$PY" -c 'import zmq' 2>/dev/null ||
	fail "python3-zmq is missing (import zmq fails in $PY): apt-get install python3-zmq (or: make test-deps)"

# Generous limits (a noisy 2-core machine, ASan): they bound a failing run, never a passing one.
"$PY" "$ROOT/tests/soak/chaos.py" --duration "${CHAOS_DURATION:-20}" --watchers 10 --procs 100 \
	--clients 4 --cirqued "$CIRQUED" --cirquectl "$CTL" --workdir "$T/soak" --log "$DLOG" \
	--reply-timeout 30 --settle-timeout 30 ${CHAOS_SEED:+--seed "$CHAOS_SEED"} ||
	fail "chaos soak failed (the figures and violations are above)"
echo ok
