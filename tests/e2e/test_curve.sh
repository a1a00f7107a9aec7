# A control socket on a non-loopback address: refused without CURVE (daemon and --check); with
# CURVE only the listed client keys get answers, and a refused client is logged.
. "$(dirname "$0")/lib.sh"

port=$(free_port) || fail "no free TCP port"
S=$(sleeper curved)
cat >"$CONF" <<YAML
cirque:
  endpoint: tcp://0.0.0.0:$port
watchers:
  curved:
    cmd: $S 3600
YAML
"$CIRQUED" -c "$CONF" --check >"$T/out" 2>&1 && fail "--check accepted an open tcp endpoint without CURVE"
grep -q "cirque.endpoint tcp://0.0.0.0:$port is reachable from the network" "$T/out" || fail "message: $(cat "$T/out")"

"$CTL" keygen >"$T/server.keys"; "$CTL" keygen >"$T/client.keys"; "$CTL" keygen >"$T/intruder.keys"
for who in server client intruder; do
	awk '$1 == "secret:" {print $2}' "$T/$who.keys" >"$T/$who.secret"
	chmod 600 "$T/$who.secret"
done
server_public=$(awk '$1 == "public:" {print $2}' "$T/server.keys")
client_public=$(awk '$1 == "public:" {print $2}' "$T/client.keys")
[ ${#server_public} -eq 40 ] || fail "keygen printed no 40-character public key"
cat >"$CONF" <<YAML
cirque:
  endpoint: tcp://0.0.0.0:$port
  curve_secret_key_file: $T/server.secret
  curve_allowed_clients: ["$client_public"]
watchers:
  curved:
    cmd: $S 3600
YAML
start_daemon
wait_count "$S" 1
grep -qF "server public key $server_public" "$DLOG" || fail "server public key not logged"
ep="tcp://127.0.0.1:$port"
out=$("$CTL" --endpoint "$ep" --curve-server-key "$server_public" --curve-secret-key-file "$T/client.secret" status) ||
	fail "allowed client refused: $out"
echo "$out" | grep -qE "^curved +(RUNNING|STARTING)" || fail "status: $out"
CIRQUE_CURVE_SERVER_KEY=$server_public CIRQUE_CURVE_SECRET_KEY_FILE=$T/client.secret \
	"$CTL" --endpoint "$ep" pid curved >/dev/null || fail "CURVE settings from the environment not used"
# -c FILE: the endpoint and the server's public key (from its secret key file) come from the file
out=$("$CTL" -c "$CONF" --curve-secret-key-file "$T/client.secret" status 2>&1) ||
	fail "-c with the daemon's file: $out"
chmod 644 "$T/server.secret"  # (a key file cirquectl refuses: the message says what to give)
out=$("$CTL" -c "$CONF" --timeout 1 --curve-secret-key-file "$T/client.secret" status 2>&1); rc=$?
chmod 600 "$T/server.secret"
[ "$rc" -eq 7 ] && echo "$out" | grep -q "cirqued uses CURVE, but its key $T/server.secret cannot be read here (.*): give --curve-server-key" ||
	fail "-c with an unreadable server key: exit $rc, '$out'"

"$CTL" --endpoint "$ep" --timeout 2 --curve-server-key "$server_public" \
	--curve-secret-key-file "$T/intruder.secret" status >"$T/out" 2>&1
rc=$?
[ $rc -eq 7 ] || fail "a client with an unlisted key got exit $rc: $(cat "$T/out")"
wait_for 5 'grep -q "refused a CURVE client whose key is not allowed" "$DLOG"' || fail "refusal not logged"
"$CTL" --endpoint "$ep" --timeout 2 status >"$T/out" 2>&1
rc=$?
[ $rc -eq 7 ] || fail "a plain (non-CURVE) client got exit $rc: $(cat "$T/out")"
"$CTL" --endpoint "$ep" --curve-server-key "$server_public" --curve-secret-key-file "$T/client.secret" \
	status >/dev/null || fail "the allowed client no longer gets in after refusals"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
echo ok
