# Bytes from children and clients never reach the operator's terminal or the daemon's log raw:
# control characters (and bytes that are not UTF-8) are shown escaped by `cirquectl status`, `tail`,
# `tail -f`, `stats` and in every line of the daemon's log; `tail --raw` gives the bytes as they
# are. A NUL or invalid UTF-8 in a child's output travels whole over the control socket (tail with
# encoding base64), and the child's own log file keeps every byte.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
"$PY" -c 'import zmq' 2>/dev/null || fail "python3-zmq is missing (import zmq fails in $PY)"

# The line the talker prints: NUL, ESC (a colour), bytes that are not UTF-8, a tab, a CR, an 'é'.
printf 'nul[\000]esc[\033[31m]bad[\377\376]tab[\t]cr[\r]utf8[\303\251]\n' >"$T/expected.out"
printf 'plain line\n' >>"$T/expected.out"
cat >"$T/talker.sh" <<SH
printf 'nul[\\000]esc[\\033[31m]bad[\\377\\376]tab[\\t]cr[\\r]utf8[\\303\\251]\\n'
printf 'plain line\\n'
exec sleep 3600
SH
cat >"$T/ticker.sh" <<'SH'
i=0
while :; do i=$((i + 1)); printf 'tick\033[1m%s\n' "$i"; sleep 0.2; done
SH
# A STATUS= that sets the terminal's title and clears the screen.
cat >"$T/notifier.py" <<'PYEOF'
import os, socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"READY=1\nSTATUS=\x1b]0;owned\x07\x1b[2Jcleared", os.environ["NOTIFY_SOCKET"])
os.execv("/bin/sleep", ["sleep", "3600"])
PYEOF
cat >"$CONF" <<YAML
watchers:
  talker:
    cmd: /bin/sh $T/talker.sh
    stdout: {file: $T/talker.out}
  ticker:
    cmd: /bin/sh $T/ticker.sh
    stdout: {file: $T/ticker.out}
  notifier:
    cmd: $PY $T/notifier.py
    ready: notify
  disguised:
    cmd: /bin/bash -c 'exec -a "\$(printf "\\\\033[31mred\\\\377")" /bin/sleep 3600'
YAML
start_daemon

# has_raw FILE: true if FILE holds a NUL, ESC, BEL, CR or a byte 0xfe/0xff.
# One read of the file: the daemon may still be appending to it.
has_raw() { [ "$(LC_ALL=C tr -cd '\000\033\007\r\376\377' <"$1" | wc -c)" -ne 0 ]; }

# --- the child's log file keeps every byte ---
wait_for 10 'cmp -s "$T/talker.out" "$T/expected.out"' ||
	fail "talker.out is not byte-exact: $(od -c "$T/talker.out" | head -n 5)"

# --- tail: escaped for humans, whole with --raw ---
"$CTL" tail -n 50 talker >"$T/tail.out" 2>"$T/tail.err"
rc=$?
[ $rc -eq 0 ] || fail "cirquectl tail talker exited $rc: $(cat "$T/tail.err")"
has_raw "$T/tail.out" && fail "tail printed control bytes raw: $(od -c "$T/tail.out" | head -n 5)"
printf 'nul[\\x00]esc[\\x1b[31m]bad[\\xff\\xfe]tab[\t]cr[\\r]utf8[\303\251]\nplain line\n' >"$T/escaped.out"
cmp -s "$T/tail.out" "$T/escaped.out" ||
	fail "tail talker printed [$(cat -A "$T/tail.out")], expected [$(cat -A "$T/escaped.out")]"
"$CTL" tail --raw -n 50 talker >"$T/raw.out" 2>"$T/tail.err" || fail "tail --raw exited $?: $(cat "$T/tail.err")"
cmp -s "$T/raw.out" "$T/expected.out" || fail "tail --raw is not byte-exact: $(od -c "$T/raw.out" | head -n 5)"
"$CTL" --json tail -n 50 talker >"$T/json.out" 2>"$T/tail.err" || fail "tail --json exited $?: $(cat "$T/tail.err")"
has_raw "$T/json.out" && fail "tail --json printed control bytes raw"

# --- the protocol: base64 carries every byte; text carries NUL, and stands in for bad bytes ---
reply=$(request '{"id": "b", "command": "tail", "properties": {"name": "talker", "lines": 50, "encoding": "base64"}}')
"$PY" - "$reply" "$T/expected.out" <<'PYEOF' || fail "tail with encoding base64: $reply"
import base64, json, sys
reply = json.loads(sys.argv[1])
want = open(sys.argv[2], "rb").read().split(b"\n")[:-1]
got = [base64.b64decode(x) for x in reply["lines"]]
assert reply["status"] == "ok" and reply["encoding"] == "base64", reply
assert got == want, (got, want)
PYEOF
reply=$(request '{"id": "t", "command": "tail", "properties": {"name": "talker", "lines": 50}}')
"$PY" - "$reply" <<'PYEOF' || fail "tail as text: $reply"
import json, sys
lines = json.loads(sys.argv[1])["lines"]
assert lines[0] == "nul[\0]esc[\x1b[31m]bad[\ufffd\ufffd]tab[\t]cr[\r]utf8[\u00e9]", lines
assert lines[1] == "plain line", lines
PYEOF

# --- tail -f: escaped, or raw with --raw ---
"$CTL" tail -f -n 0 ticker >"$T/follow.out" 2>/dev/null &
FPID=$!
"$CTL" tail -f -n 0 --raw ticker >"$T/follow.raw" 2>/dev/null &
RPID=$!
wait_for 10 'grep -q "tick.x1b\[1m[0-9]" "$T/follow.out" && grep -q "tick" "$T/follow.raw"' ||
	fail "tail -f shows no escaped ticks: [$(head -c 300 "$T/follow.out" | cat -A)]"
kill -INT $FPID $RPID
wait $FPID $RPID
has_raw "$T/follow.out" && fail "tail -f printed control bytes raw: $(head -c 300 "$T/follow.out" | od -c | head)"
has_raw "$T/follow.raw" || fail "tail -f --raw escaped the output: $(head -c 300 "$T/follow.raw")"

# --- status: a child's STATUS= ---
wait_for 10 '"$CTL" status notifier 2>/dev/null | grep -q RUNNING' || fail "notifier not RUNNING: $("$CTL" status notifier)"
"$CTL" status notifier >"$T/status.out"
has_raw "$T/status.out" && fail "status printed the child's STATUS= raw: $(cat -A "$T/status.out")"
grep -qF 'cleared' "$T/status.out" || fail "status lost the child's STATUS=: $(cat -A "$T/status.out")"
grep -qF '\x1b]0;owned\x07\x1b[2Jcleared' "$T/status.out" || fail "status: $(cat -A "$T/status.out")"

# --- stats: a command line the child chose ---
wait_for 10 '"$CTL" stats disguised 2>/dev/null | grep -q red' || fail "stats disguised: $("$CTL" stats disguised 2>&1 | cat -A)"
"$CTL" stats disguised >"$T/stats.out"
has_raw "$T/stats.out" && fail "stats printed the child's command line raw: $(cat -A "$T/stats.out")"
grep -qF '\x1b[31mred' "$T/stats.out" || fail "stats: $(cat -A "$T/stats.out")"

# --- the daemon's log: an exec error naming a path a client chose (with a forged log line) ---
reply=$(request '{"id": "a", "command": "add", "properties": {"name": "forger", "start": true, "cmd": "'"'"'/nonexistent/\u001b[31mred\n2099-01-01 00:00:00.000 [critical] forged'"'"'"}}')
echo "$reply" | grep -q '"status": *"ok"' || fail "add forger: $reply"
wait_for 10 'grep -q "forger.*cannot exec" "$DLOG"' || fail "no exec error for forger in the log"
has_raw "$DLOG" && fail "the daemon's log holds control bytes raw: $(grep -a forger "$DLOG" | cat -A)"
grep -q "^2099-01-01" "$DLOG" && fail "a client forged a line of the daemon's log"
grep -qF 'cannot exec /nonexistent/\x1b[31mred\n2099-01-01' "$DLOG" ||
	fail "the exec error is not shown escaped: $(grep -a forger "$DLOG" | head -n 3)"
"$CTL" status forger >"$T/forger.out"
has_raw "$T/forger.out" && fail "status printed the spawn error raw: $(cat -A "$T/forger.out")"
grep -qF '\x1b[31mred\n2099' "$T/forger.out" || fail "status forger: $(cat -A "$T/forger.out")"

stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
cmp -s "$T/talker.out" "$T/expected.out" || fail "talker.out changed after the shutdown"
echo ok
