# operator_group: a second control socket (operator.sock, 0660 in that group) where its members
# may run the operator commands (status, start, stop, restart, signal, tail, metrics...) but
# nothing that runs a command of their choosing or changes the configuration (add, set, update,
# quit...), and read the events. Checked as user nobody with and without the group, with
# cirquectl and with cirque-web running as nobody; a group that does not exist is a
# configuration error at its line and column.
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || fail "setpriv is needed (util-linux)"
[ "$(id -u)" = 0 ] || { echo "skipped: needs root (groupadd)"; exit 0; }

GROUP="cirqop$$"
groupadd --system "$GROUP" || fail "groupadd"
trap 'rc=$?; groupdel "$GROUP" 2>/dev/null; (exit $rc); cleanup' EXIT
GID=$(getent group "$GROUP" | cut -d: -f3)
chmod 711 "$T"  # nobody must reach the runtime directory inside it
APP=$(sleeper app)
cat >"$CONF" <<YAML
cirque:
  operator_group: nosuchgroup$$
watchers:
  app:
    cmd: $APP 3600
    numprocesses: 2
YAML
out=$("$CIRQUED" -c "$CONF" --check 2>&1) && fail "an unknown group accepted"
printf '%s' "$out" | grep -q "cirque.yaml:2:19: cirque.operator_group: no group named 'nosuchgroup$$'" ||
	fail "unknown group: $out"
sed -i "s/nosuchgroup$$/$GROUP/" "$CONF"
start_daemon
wait_count "$APP" 2
OP="$CIRQUE_RUNTIME_DIR/operator.sock"
[ "$(stat -c '%a %G %U' "$OP")" = "660 $GROUP root" ] || fail "operator.sock: $(stat -c '%a %G %U' "$OP")"
[ "$(stat -c '%a %G' "$CIRQUE_RUNTIME_DIR/events.sock")" = "660 $GROUP" ] || fail "events.sock not shared"
[ $(( 0$(stat -c '%a' "$CIRQUE_RUNTIME_DIR/control.sock") & 077 )) = 0 ] || fail "control.sock open to others"
"$CTL" --json globaloptions | grep -q "\"operator_endpoint\": *\"ipc://$OP\"" || fail "globaloptions"

as_operator() { setpriv --reuid=65534 --regid=65534 --groups="$GID" -- "$@"; }
as_stranger() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }
OCTL="$CTL --endpoint ipc://$OP --timeout 5"
as_operator $OCTL status app >"$T/out" || fail "status on the operator socket: $(cat "$T/out")"
[ "$(grep -c "pid [0-9]" "$T/out")" = 2 ] || fail "status: $(cat "$T/out")"
as_operator $OCTL metrics | grep -q '^cirque_process_pid{watcher="app"' || fail "metrics on the operator socket"
old=$(children_matching "$APP" | head -n 1)
as_operator $OCTL signal KILL app >/dev/null || fail "signal on the operator socket"
wait_for 10 '! kill -0 $old 2>/dev/null' || fail "signal: $old still runs"
wait_count "$APP" 2
for cmd in "add evil /bin/sh -c id" "set app cmd /bin/sh" "get app env" "update" "shutdown" "clear app" "options app"; do
	out=$(as_operator $OCTL $cmd 2>&1) && fail "'$cmd' allowed on the operator socket: $out"
	printf '%s' "$out" | grep -q "not allowed on the operator socket" || fail "'$cmd': $out"
done
cirquectl_add=$(request '{"command": "list"}')  # the root socket still takes everything
printf '%s' "$cirquectl_add" | grep -q '"app"' || fail "the control socket: $cirquectl_add"
out=$(as_stranger $OCTL status 2>&1) && fail "a user outside the group reached the operator socket"
# The root-only control socket, tried by a member of the group: told where to go instead.
out=$(as_operator "$CTL" --endpoint "ipc://$CIRQUE_RUNTIME_DIR/control.sock" status 2>&1) && fail "nobody reached control.sock"
printf '%s' "$out" | grep -qF "a member of its operator_group uses ipc://$OP" || fail "no hint for the operator socket: $out"
as_operator $OCTL stop app >/dev/null || fail "stop on the operator socket"
wait_count "$APP" 0
as_operator $OCTL start app >/dev/null || fail "start on the operator socket"
wait_count "$APP" 2
kill -0 "$DPID" || fail "cirqued died"

# cirque-web as nobody in the group: the page, /metrics and an action, through operator.sock.
PORT=$(free_port); U="http://127.0.0.1:$PORT"
TOKEN=operator-token-0123456789
printf 'ops:%s\n' "$TOKEN" >"$T/tokens"; chown 65534 "$T/tokens"; chmod 600 "$T/tokens"
cat >"$T/web.yaml" <<YAML
listen: 127.0.0.1:$PORT
endpoint: ipc://$OP
actions: true
token_file: $T/tokens
YAML
chmod 644 "$T/web.yaml"
as_operator "$WEB" -c "$T/web.yaml" >>"$WLOG" 2>&1 &
WPID=$!
wait_for 10 'curl -sf -o /dev/null "$U/healthz"' || fail "cirque-web as nobody: $(cat "$WLOG")"
curl -sf "$U/metrics" | grep -q '^cirque_watcher_processes{watcher="app",state="running"} 2' ||
	fail "cirque-web's /metrics through operator.sock: $(curl -s "$U/metrics" | head -n 3)"
curl -sN --max-time 6 "$U/events" >"$T/sse" &
wait_for 5 'grep -q "^retry:" "$T/sse"' || fail "no event stream"
one=$(children_matching "$APP" | head -n 1)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -d 'action=restart&name=app' "$U/action")
[ "$code" = 200 ] || fail "restart through cirque-web: $code $(tail -n 3 "$WLOG")"
wait_for 10 '! kill -0 $one 2>/dev/null' || fail "restart through cirque-web: $one still runs"
wait_for 5 'grep -q "watcher.app.spawn" "$T/sse"' || fail "cirque-web (nobody) got no events: $(cat "$T/sse")"
stop_web
echo "ok"
