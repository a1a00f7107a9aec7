# A program that binds its own per-wid port and exits on EADDRINUSE (the README's gunicorn
# example, any strict server) survives max_age and a graceful reload: its new-first successor
# dies beside the old process, and the slot falls back to stop-first (the old one stops, then a
# new one starts) instead of retrying until FATAL and killing the healthy old one too.
# replace: stop-first does that at once, without the failed attempt.
. "$(dirname "$0")/lib.sh"

BASE=$(free_port); BASE2=$(free_port); BASE3=$(free_port)
cat >"$T/strict.py" <<'PY'
import os, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do; a listener still holds it
s.bind(("127.0.0.1", int(sys.argv[1]) + int(sys.argv[2])))  # OSError: exit 1
s.listen(16)
# Ready once it listens (sd_notify): a successor that cannot bind is never ready, however slow
# the machine is.
addr = os.environ["NOTIFY_SOCKET"]
n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
n.connect("\0" + addr[1:] if addr.startswith("@") else addr)
n.send(b"READY=1")
n.close()
while True:
    c, _ = s.accept()
    c.sendall(b"up\n")
    c.close()
PY
cat >"$CONF" <<YAML
watchers:
  web:
    cmd: /usr/bin/python3 $T/strict.py $BASE \$(circus.wid) web
    numprocesses: 2
    max_age: 1s
    max_age_variance: 0
    ready: notify
    graceful_timeout: 3s
  api:
    cmd: /usr/bin/python3 $T/strict.py $BASE2 \$(circus.wid) api
    ready: notify
    graceful_timeout: 3s
  calm:
    cmd: /usr/bin/python3 $T/strict.py $BASE3 \$(circus.wid) calm
    max_age: 1s
    max_age_variance: 0
    replace: stop-first
    ready: notify
    graceful_timeout: 3s
YAML

# answers PORT: something listens on PORT and says "up".
answers() {
	/usr/bin/python3 - "$1" <<'PY' 2>/dev/null
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
sys.exit(0 if c.recv(8) == b"up\n" else 1)
PY
}
no_fatal() {
	"$CTL" status web api calm | grep -q FATAL && fail "FATAL: $("$CTL" status)"
	grep -q "gave up" "$DLOG" && fail "a process gave up"
	return 0
}

start_daemon
wait_for 20 '[ "$("$CTL" status web api calm | grep -c " RUNNING ")" -eq 4 ]' ||
	fail "not all RUNNING: $("$CTL" status)"

# --- cirquectl reload (while web and calm rotate): the same fallback; it succeeds, a new pid serves
old=$(children_matching "strict.py $BASE2")
for i in 1 2; do
	out=$("$CTL" reload api 2>&1) || fail "reload api #$i: $out"
	no_fatal
	answers $((BASE2 + 1)) || fail "api does not answer after reload #$i: $("$CTL" status api)"
done
[ "$(log_count "api\[1\]: replacement exited before it was ready")" -ge 2 ] ||
	fail "reload did not fall back to stop-first"
wait_count "strict.py $BASE2" 1
new=$(children_matching "strict.py $BASE2")
[ "$new" != "$old" ] || fail "api was not replaced (pid $new)"
no_fatal

# --- max_age, new-first: each rotation falls back to stop-first; the ports keep answering -----
for round in 1 2; do
	want=$((round * 2))  # two slots rotate each round
	wait_for 20 '[ "$(log_count "web\[.\]: pid [0-9]* reached max_age")" -ge '"$want"' ]' ||
		fail "round $round: web did not rotate"
	no_fatal
	wait_for 10 'answers $((BASE + 1)) && answers $((BASE + 2))' ||
		fail "round $round: web's ports do not answer: $("$CTL" status web)"
done
[ "$(log_count "web\[[12]\]: replacement exited before it was ready, beside pid [0-9]*; replacing stop-first")" -ge 4 ] ||
	fail "not every rotation fell back to stop-first"
# The attempt beside the old process is no failed start: nothing was retried.
grep -qE "(web|api)\[[12]\]: start failed" "$DLOG" && fail "the attempt beside the old process counted as a failed start"

# --- replace: stop-first: no attempt beside the old process at all ----------------------------
wait_for 20 '[ "$(log_count "calm\[1\]: pid [0-9]* reached max_age, replacing it stop-first")" -ge 2 ]' ||
	fail "calm did not rotate stop-first twice"
grep -q "calm\[1\]: replacement" "$DLOG" && fail "calm ran a replacement beside its old process"
grep -q "calm.*Address already in use" "$DLOG" && fail "calm's successor met the old process"
wait_for 10 'answers $((BASE3 + 1))' || fail "calm's port does not answer"
no_fatal

stop_daemon TERM
echo ok
