# Attack: an abstract ipc control endpoint (`cirque: {endpoint: "ipc://@name"}`). A socket in
# Linux's abstract namespace has no file, hence no owner and no mode: every local user can connect
# to it, and the control socket runs any command as the daemon's user. Here nobody connects with
# Circus's protocol (a DEALER, JSON `add` with start: true) and root runs nobody's command.
# Also the lock file beside the endpoint: for "@name" it is created as "@name.lock" in the
# daemon's working directory.
# Expected: cirqued refuses to start and --check fails, with an error explaining that abstract
# endpoints have no permissions, unless CURVE is configured; with CURVE it starts, and no lock
# file appears in its working directory.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"

PY=/usr/bin/python3
NAME=cirque-attack-$$-$RANDOM
EP="ipc://@$NAME"
CWD=$T/cwd
mkdir -m 755 "$CWD"
S=$(sleeper idle)
cat >"$CONF" <<YAML
cirque:
  endpoint: "$EP"
watchers:
  idle:
    cmd: $S 3600
YAML

# --check: an abstract endpoint is reported, with the reason.
if (cd "$CWD" && "$CIRQUED" --check -c "$CONF") >"$T/check.out" 2>&1; then
	attack_succeeded "cirqued --check accepted the abstract endpoint $EP: $(tr '\n' '|' <"$T/check.out")"
else
	grep -qi "abstract" "$T/check.out" ||
		attack_succeeded "--check refused $EP without explaining abstract endpoints: $(tr '\n' '|' <"$T/check.out")"
fi

# The daemon, started by hand from CWD: refusing to start is the expected answer.
(cd "$CWD" && exec "$CIRQUED" -c "$CONF") >>"$DLOG" 2>&1 &
DPID=$!
wait_for 10 'grep -qs "\] started: " "$DLOG" || ! kill -0 $DPID 2>/dev/null' || fail "daemon neither started nor exited"
if kill -0 "$DPID" 2>/dev/null; then
	attack_succeeded "cirqued started with the abstract control endpoint $EP and no CURVE"
	cat >"$T/attacker.py" <<'PYEOF'
import json, sys, uuid
import zmq
endpoint, marker, sleeper = sys.argv[1:4]
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER)
s.setsockopt(zmq.LINGER, 0)
s.setsockopt(zmq.IDENTITY, uuid.uuid4().hex.encode())
s.connect(endpoint)
s.send(json.dumps({"id": "pwn", "command": "add", "properties": {
    "name": "pwn", "cmd": "/bin/sh", "args": ["-c", "id > %s; exec %s 3600" % (marker, sleeper)],
    "start": True}}).encode())
if s.poll(5000):
    print("reply: %s" % s.recv().decode())
else:
    print("no reply")
PYEOF
	chmod 644 "$T/attacker.py"
	if "$PY" -c 'import zmq' 2>/dev/null; then
		as_nobody "$PY" "$T/attacker.py" "$EP" "$T/ran-as-root" "$S" >"$T/attacker.out" 2>&1
		note "attacker (uid $NOBODY): $(tr '\n' ' ' <"$T/attacker.out")"
		wait_for 5 '[ -s "$T/ran-as-root" ]'
		[ -e "$T/ran-as-root" ] &&
			attack_succeeded "nobody connected to $EP and had root run its command: $(cat "$T/ran-as-root")"
	else
		note "SKIP the connection: no python3-zmq for $PY"
	fi
	[ -e "$CWD/@$NAME.lock" ] &&
		attack_succeeded "lock file created in the daemon's working directory: $CWD/@$NAME.lock ($(stat -c '%U %a' "$CWD/@$NAME.lock"))"
	stop_daemon TERM
else
	wait "$DPID"
	DPID=""
	note "cirqued refused to start: $(tail -n 1 "$DLOG")"
	grep -qi "abstract" "$DLOG" || attack_succeeded "cirqued exited without explaining abstract endpoints"
fi
others=$(ls -A "$CWD" | grep -vxF "@$NAME.lock" | tr '\n' ' ')
[ -z "$others" ] || attack_succeeded "files left in the daemon's working directory: $others"
find "$CWD" -mindepth 1 -delete

# With CURVE, an abstract endpoint is acceptable: the daemon starts, and no lock file lands in
# its working directory.
"$CTL" keygen >"$T/server.keys"
"$CTL" keygen >"$T/client.keys"
awk '$1 == "secret:" {print $2}' "$T/server.keys" >"$T/server.secret"
chmod 600 "$T/server.secret"
client_public=$(awk '$1 == "public:" {print $2}' "$T/client.keys")
cat >"$CONF" <<YAML
cirque:
  endpoint: "$EP"
  curve_secret_key_file: $T/server.secret
  curve_allowed_clients: ["$client_public"]
watchers:
  idle:
    cmd: $S 3600
YAML
(cd "$CWD" && "$CIRQUED" --check -c "$CONF") >"$T/check-curve.out" 2>&1 ||
	fail "--check refused an abstract endpoint with CURVE: $(cat "$T/check-curve.out")"
DLOG=$T/daemon-curve.log
(cd "$CWD" && exec "$CIRQUED" -c "$CONF") >>"$DLOG" 2>&1 &
DPID=$!
wait_for 10 'grep -qs "\] started: " "$DLOG" || ! kill -0 $DPID 2>/dev/null' || fail "CURVE daemon neither started nor exited"
kill -0 "$DPID" 2>/dev/null || fail "cirqued refused an abstract endpoint with CURVE"
[ -e "$CWD/@$NAME.lock" ] &&
	attack_succeeded "with CURVE: lock file created in the daemon's working directory: $CWD/@$NAME.lock"
stop_daemon TERM
others=$(ls -A "$CWD" | grep -vxF "@$NAME.lock" | tr '\n' ' ')
[ -z "$others" ] || attack_succeeded "with CURVE: files left in the daemon's working directory: $others"
finish
