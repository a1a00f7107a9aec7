# stdout: syslog, on a test syslog socket (CIRQUE_SYSLOG_PATH):
# 1. no socket there: --check warns; the failure is reported once per episode, the lines wait;
# 2. the socket appears: the waiting lines and the new ones arrive, RFC 3164 style, stdout at
#    LOG_INFO and stderr at LOG_ERR, with the facility and tag configured; the recovery is said;
# 3. the syslog daemon restarts: the daemon connects again.
. "$(dirname "$0")/lib.sh"

export CIRQUE_SYSLOG_PATH="$T/log"
cat >"$T/receiver.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(70000) + b"\n")
PY
cat >"$CONF" <<'YAML'
watchers:
  s:
    cmd: /bin/sh -c 'i=0; while :; do i=$((i+1)); echo out $i; echo err $i >&2; sleep 0.1; done'
    stdout: {syslog: true, facility: local0, tag: myapp}
    stderr: syslog
    graceful_timeout: 1
YAML
# --check warns, as there is no socket yet.
out=$("$CIRQUED" -c "$CONF" --check 2>&1) || fail "--check refused a missing syslog socket: $out"
echo "$out" | grep -qF "$CONF:2: warning: watchers.s.stdout: syslog: $T/log: No such file or directory (no syslog daemon listens" ||
	fail "--check did not warn about the missing syslog socket: $out"
start_daemon

# --- 1. nothing listens: said once, with the path and the reason ---
wait_for 10 'grep -q "syslog: cannot reach $T/log: No such file or directory" "$DLOG"' ||
	fail "an unreachable syslog socket was not reported"
# The lines wait meanwhile (the queue is far from full): nothing is lost.

# --- 2. the syslog daemon comes up ---
python3 "$T/receiver.py" "$T/log" "$T/received" &
RECEIVER=$!
wait_for 10 'grep -q "syslog: $T/log reachable again" "$DLOG"' || fail "the recovery was not said"
DATE_RE='[A-Z][a-z]{2} [ 1-3][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}'
# local0 (16) * 8 + info (6) = 134; daemon (3) * 8 + err (3) = 27
wait_for 10 'grep -qE "^<134>$DATE_RE myapp: out 1\$" "$T/received" &&
	grep -qE "^<27>$DATE_RE s\[1\]: err 1\$" "$T/received"' ||
	fail "the first lines (sent while nothing listened) did not arrive as expected: $(head -n 3 "$T/received")"
n=$(grep -c ' myapp: out ' "$T/received")
wait_for 10 '[ "$(grep -c " myapp: out " "$T/received")" -gt $((n + 3)) ]' || fail "new lines do not arrive"
grep -vqE "^<(134|27)>$DATE_RE (myapp: out|s\[1\]: err) [0-9]+\$" "$T/received" &&
	fail "a malformed message: $(grep -vE "^<(134|27)>" "$T/received" | head -n 1)"
# Every stdout line once, in order, none lost during the outage.
grep -o ' myapp: out [0-9]*$' "$T/received" | awk '{ print $3 }' >"$T/numbers"
last=$(tail -n 1 "$T/numbers")
seq 1 "$last" | cmp -s - "$T/numbers" || fail "stdout lines lost or repeated: $(head -c 300 "$T/numbers" | tr '\n' ' ')"

# --- 3. the syslog daemon restarts (a new socket at the same path) ---
kill "$RECEIVER"
wait "$RECEIVER" 2>/dev/null
rm -f "$T/log"
: >"$T/received"
python3 "$T/receiver.py" "$T/log" "$T/received" &
RECEIVER=$!
wait_for 10 'grep -q " myapp: out " "$T/received"' || fail "no line after the syslog daemon restarted"
stop_daemon TERM
kill "$RECEIVER"
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
# One report per episode (the restart may or may not have made one), each with its recovery.
errors=$(grep -c '\[error\] syslog: ' "$DLOG"); recoveries=$(grep -c 'syslog: .* reachable again' "$DLOG")
[ "$errors" -ge 1 ] && [ "$errors" -eq "$recoveries" ] ||
	fail "not one report per episode: $errors errors, $recoveries recoveries: $(grep 'syslog' "$DLOG")"
echo ok
