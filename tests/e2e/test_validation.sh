# Numbers and names from clients and from the configuration are checked whole: no truncation to
# int (a signum of 2^32 + 9 is not SIGKILL, a pid or wid of 2^32 + n is not n), no glibc-internal
# signals (32, 33), no negative graceful_timeout; real-time signals by number and by name
# (RTMIN+n, RTMAX-n); watcher names that cannot leave a directory through {name} in a log path;
# CURVE secret key files that others can read (or that another user owns) are refused, as
# OpenSSH refuses such a private key.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
"$PY" -c 'import zmq' 2>/dev/null || fail "python3-zmq is missing (import zmq fails in $PY)"

# refused WHAT JSON [REASON]: the request gets an error reply (whose reason contains REASON).
refused() {
	local reply
	reply=$(request "$2")
	echo "$reply" | grep -q '"status": *"error"' || fail "$1 was accepted: $reply"
	[ -z "${3:-}" ] || echo "$reply" | grep -qF -- "$3" || fail "$1: reason without '$3': $reply"
}
accepted() {
	local reply
	reply=$(request "$2")
	echo "$reply" | grep -q '"status": *"ok"' || fail "$1 was refused: $reply"
}

# --- CURVE secret key files, before any daemon runs ------------------------------------------------
port=$(free_port) || fail "no free TCP port"
"$CTL" keygen >"$T/server.keys"
awk '$1 == "secret:" {print $2}' "$T/server.keys" >"$T/server.secret"
client_public=$(awk '$1 == "public:" {print $2}' "$T/server.keys")
cat >"$T/curve.yaml" <<YAML
cirque:
  endpoint: tcp://127.0.0.1:$port
  curve_secret_key_file: $T/server.secret
  curve_allowed_clients: ["$client_public"]
watchers: {}
YAML
# curve_refused MODE OWNER WHY: cirqued must not start with the key file so.
curve_refused() {
	chmod "$1" "$T/server.secret"
	chown "$2" "$T/server.secret"
	CIRQUE_RUNTIME_DIR=$T/run-curve "$CIRQUED" -c "$T/curve.yaml" >"$T/curve.log" 2>&1 &
	local pid=$!
	wait_for 10 '! kill -0 $pid 2>/dev/null || grep -q "server public key" "$T/curve.log"'
	if kill -0 $pid 2>/dev/null; then
		kill -9 $pid
		fail "cirqued started with a CURVE secret key file of mode $1 owned by $2"
	fi
	grep -qF "$T/server.secret" "$T/curve.log" && grep -qF -- "$3" "$T/curve.log" ||
		fail "the refusal of a key file of mode $1 owned by $2 does not say '$3': $(cat "$T/curve.log")"
	# --check says so too, rather than "ok" for a file the daemon then refuses.
	"$CIRQUED" -c "$T/curve.yaml" --check >"$T/check.out" 2>&1 &&
		fail "--check accepted a CURVE secret key file of mode $1 owned by $2"
	grep -qF -- "$3" "$T/check.out" || fail "--check on a key of mode $1 owned by $2: $(cat "$T/check.out")"
}
curve_refused 0666 root "group or others"
curve_refused 0640 root "group or others"
curve_refused 0600 nobody "owned by"
chown root "$T/server.secret"
chmod 0644 "$T/server.secret"
"$CTL" --endpoint "tcp://127.0.0.1:$port" --curve-server-key "$client_public" \
	--curve-secret-key-file "$T/server.secret" status >"$T/ctl.out" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "cirquectl used a secret key file of mode 0644 (exit $rc): $(cat "$T/ctl.out")"
grep -qF "group or others" "$T/ctl.out" || fail "cirquectl's refusal: $(cat "$T/ctl.out")"
chmod 0600 "$T/server.secret"
CIRQUE_RUNTIME_DIR=$T/run-curve "$CIRQUED" -c "$T/curve.yaml" --check >"$T/curve.log" 2>&1 ||
	fail "a 0600 key file of root's: $(cat "$T/curve.log")"

# --- watcher names -----------------------------------------------------------------------------------
for bad in .. . .hidden -rf "a/b" "$(printf 'x%.0s' $(seq 1 129))"; do
	printf 'watchers:\n  "%s":\n    cmd: /bin/true\n' "$bad" >"$CONF"
	"$CIRQUED" -c "$CONF" --check >"$T/check.out" 2>&1 && fail "watcher name '$bad' accepted"
	grep -qF "invalid watcher name" "$T/check.out" && grep -qF "letters, digits" "$T/check.out" ||
		fail "name '$bad': the error does not say which characters are allowed: $(cat "$T/check.out")"
done
printf 'watchers:\n  all:\n    cmd: /bin/true\n' >"$CONF"
"$CIRQUED" -c "$CONF" --check >"$T/check.out" 2>&1 && fail "watcher name 'all' accepted"
grep -qF "'all' is reserved" "$T/check.out" || fail "name 'all': $(cat "$T/check.out")"
for good in web web-1 web_1 a.b a..b api@eu x; do
	printf 'watchers:\n  "%s":\n    cmd: /bin/true\n' "$good" >"$CONF"
	"$CIRQUED" -c "$CONF" --check >"$T/check.out" 2>&1 || fail "watcher name '$good' refused: $(cat "$T/check.out")"
done

# --- the running daemon --------------------------------------------------------------------------------
S=$(sleeper victim)
cat >"$CONF" <<YAML
watchers:
  victim:
    cmd: $S 3600
  target:
    cmd: /bin/sh -c 'trap "" 34 35 40 64 1; exec $S 3602'
  quiet:
    cmd: $S 3601
YAML
start_daemon
wait_count "$S 3600" 1
victim=$(children_matching "$S 3600")

# signum: 2^32 + 9 would be 9 (SIGKILL) once cast to int; 32 and 33 belong to glibc.
refused "signum 4294967305" '{"command": "signal", "properties": {"name": "victim", "signum": 4294967305}}' "signal"
refused "signum -4294967287" '{"command": "signal", "properties": {"name": "victim", "signum": -4294967287}}'
refused "signum 32" '{"command": "signal", "properties": {"name": "victim", "signum": 32}}'
refused "signum 33" '{"command": "signal", "properties": {"name": "victim", "signum": 33}}'
refused "signum \"32\"" '{"command": "signal", "properties": {"name": "victim", "signum": "32"}}'
refused "signum 65" '{"command": "signal", "properties": {"name": "victim", "signum": 65}}'
refused "signum RTMIN+31" '{"command": "signal", "properties": {"name": "victim", "signum": "RTMIN+31"}}'
refused "signum RTMAX+1" '{"command": "signal", "properties": {"name": "victim", "signum": "RTMAX+1"}}'
refused "kill signum 4294967305" '{"command": "kill", "properties": {"name": "victim", "signum": 4294967305}}'
refused "kill graceful_timeout -1" '{"command": "kill", "properties": {"name": "victim", "graceful_timeout": -1}}' "graceful_timeout"
kill -0 "$victim" 2>/dev/null || fail "victim ($victim) died from a refused request"
[ "$(children_matching "$S 3600")" = "$victim" ] || fail "victim was replaced"
# Real-time signals, as glibc numbers them (the child ignores them).
wait_for 10 '[ -n "$("$CTL" pid target 2>/dev/null)" ]' || fail "target has no process"
accepted "signum 34" '{"command": "signal", "properties": {"name": "target", "signum": 34}}'
accepted "signum SIGRTMIN+1" '{"command": "signal", "properties": {"name": "target", "signum": "SIGRTMIN+1"}}'
accepted "signum rtmin+6" '{"command": "signal", "properties": {"name": "target", "signum": "rtmin+6"}}'
accepted "signum RTMAX" '{"command": "signal", "properties": {"name": "target", "signum": "RTMAX"}}'
accepted "signum 64" '{"command": "signal", "properties": {"name": "target", "signum": 64}}'
accepted "signum HUP" '{"command": "signal", "properties": {"name": "target", "signum": "HUP"}}'

# pids and wids of 2^32 + n are not n.
big=$((4294967296 + victim))
refused "signal pid 2^32+pid" '{"command": "signal", "properties": {"name": "victim", "signum": "USR1", "pid": '$big'}}' "not found"
refused "stats process 2^32+pid" '{"command": "stats", "properties": {"name": "victim", "process": '$big'}}' "not found"
refused "kill pid 2^32+pid" '{"command": "kill", "properties": {"name": "victim", "pid": '$big'}}' "not found"
refused "tail wid 2^32+1" '{"command": "tail", "properties": {"name": "victim", "wid": 4294967297}}' "wid"
refused "incr nb 2^32+1" '{"command": "incr", "properties": {"name": "quiet", "nb": 4294967297}}' "nb"
kill -0 "$victim" 2>/dev/null || fail "victim ($victim) died from a refused request"

# add: the same names as the file.
refused "add .." '{"command": "add", "properties": {"name": "..", "cmd": "/bin/true"}}' "letters, digits"
refused "add -x" '{"command": "add", "properties": {"name": "-x", "cmd": "/bin/true"}}' "letters, digits"
refused "add all" '{"command": "add", "properties": {"name": "ALL", "cmd": "/bin/true"}}' "is reserved"
accepted "add ok.name" '{"command": "add", "properties": {"name": "ok.name", "cmd": "/bin/true"}}'

# cirquectl's own numbers.
out=$("$CTL" incr quiet 4294967297 2>&1); rc=$?
[ $rc -ne 0 ] || fail "cirquectl incr quiet 4294967297: exit $rc ($out)"
[ "$("$CTL" get quiet numprocesses)" = "numprocesses: 1" ] || fail "quiet's count changed: $("$CTL" get quiet numprocesses)"
for bad in nan inf 5x -1 0; do
	out=$("$CTL" --timeout "$bad" status 2>&1); rc=$?
	[ $rc -eq 2 ] || fail "cirquectl --timeout $bad: exit $rc ($out)"
done
for bad in x 1x 99999999999999999999; do
	out=$("$CTL" tail -n "$bad" victim 2>&1); rc=$?
	[ $rc -eq 2 ] || fail "cirquectl tail -n $bad: exit $rc ($out)"
done
out=$("$CTL" tail victim:4294967297 2>&1); rc=$?
[ $rc -ne 0 ] || fail "cirquectl tail victim:4294967297 succeeded: $out"

stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
echo ok
