# cirque-web over HTTP, with curl: the configuration's checks (file:line:column, what is refused
# at start), the dashboard and /metrics (promtool), the event stream following a kill, actions:
# refused without actions, without a token, with a wrong one, from another site (Origin,
# Sec-Fetch-Site), for a host name it is not served as; done with a token (Bearer or form field,
# then a 303 back to the page), logged with who; bad HTTP (oversized headers, garbage, a large
# form, silent connections) costs nothing; SIGHUP reloads the tokens; TLS with tokens beyond
# loopback, where every request needs one.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || fail "curl is needed"
command -v promtool >/dev/null || fail "promtool is needed (Debian's prometheus package)"

APP=$(sleeper app)
cat >"$CONF" <<YAML
watchers:
  app:
    cmd: $APP 3600
    numprocesses: 3
YAML
start_daemon
wait_count "$APP" 3
PORT=$(free_port); U="http://127.0.0.1:$PORT"
TOKEN=abcdefghijklmnop0123456789
printf '# who may act\nalice:%s\n' "$TOKEN" >"$T/tokens"; chmod 600 "$T/tokens"
W="$T/web.yaml"
cat >"$W" <<YAML
listen: 127.0.0.1:$PORT
endpoint: ipc://$CIRQUE_RUNTIME_DIR/control.sock
YAML

# --- the configuration -------------------------------------------------------------------------
check_refused() {  # check_refused 'yaml' 'expected message'
	printf '%s\n' "$1" >"$T/bad.yaml"
	out=$("$WEB" -c "$T/bad.yaml" --check 2>&1) && fail "accepted: $1"
	printf '%s' "$out" | grep -qF -- "$2" || fail "for '$1' expected '$2', got: $out"
}
check_refused 'listen: 127.0.0.1:1
colour: blue' "bad.yaml:2:1: unknown key 'colour'"
check_refused 'actions: true' "actions: true needs a token_file"
check_refused 'listen: 0.0.0.0:8090' "is not loopback: cirque-web then needs tls_cert, tls_key and token_file"
check_refused 'listen: localhost:8090' "is not a numeric address"
check_refused "listen: 127.0.0.1:$PORT
token_file: $T/tokens
tls_cert: $T/none.pem" "tls_cert and tls_key go together"
chmod 644 "$T/tokens"
check_refused "token_file: $T/tokens" "mode 644 lets group or others read it (chmod 600)"
chmod 600 "$T/tokens"
printf 'short\n' >"$T/short"; chmod 600 "$T/short"
check_refused "token_file: $T/short" "at least 16 characters"
chown 65534 "$T/tokens"
check_refused "token_file: $T/tokens" "owned by uid 65534, not by this user (uid 0) or root"
chown 0 "$T/tokens"
check_refused "endpoint: /run/cirque/control.sock" "is no endpoint: ipc:///run/cirque/operator.sock"
"$WEB" -c "$W" --check >/dev/null || fail "a good file refused"

# --- read-only: the page, /metrics, events ------------------------------------------------------
start_web "$W" "$U"
PAGE=$(curl -sf "$U/") || fail "no dashboard"
for pid in $(children_matching "$APP"); do
	printf '%s' "$PAGE" | grep -q "data-pid=\"$pid\"" || fail "pid $pid not on the page"
done
printf '%s' "$PAGE" | grep -q '<form class="actions"' && fail "action forms shown with actions off"
curl -sf "$U/metrics" >"$T/metrics" || fail "no /metrics"
promtool check metrics <"$T/metrics" >"$T/promtool.out" 2>&1 || fail "promtool: $(cat "$T/promtool.out")"
curl -sfI "$U/metrics" | grep -qi '^content-type: text/plain; version=0.0.4' || fail "content type"
curl -sfI "$U/" | grep -qi "^content-security-policy: default-src 'none'" || fail "no CSP"
curl -sf "$U/app.js" | grep -q EventSource || fail "app.js not served"
curl -sf "$U/output?name=app&wid=1" | grep -q '<pre class="output">' || fail "no output page"
curl -s -o /dev/null -w '%{http_code}' "$U/output?name=../etc" | grep -qx 400 || fail "a bad name accepted"
# The event stream: a kill from outside arrives as events.
curl -sN --max-time 8 "$U/events" >"$T/sse" &
SSE=$!
wait_for 5 'grep -q "^retry:" "$T/sse"' || fail "no event stream"
victim=$(children_matching "$APP" | head -n 1)
kill -9 "$victim"
wait_for 5 'grep -q "watcher.app.reap.*$victim" "$T/sse"' || fail "no reap event for $victim: $(cat "$T/sse")"
wait_for 5 'grep -q "watcher.app.spawn" "$T/sse"' || fail "no spawn event"
kill "$SSE" 2>/dev/null
# Actions are off.
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -d 'action=stop&name=app' "$U/action")
[ "$code" = 403 ] || fail "an action with actions off: $code"
stop_web

# --- actions -------------------------------------------------------------------------------------
printf 'actions: true\ntoken_file: %s\n' "$T/tokens" >>"$W"
start_web "$W" "$U"
act() {  # act EXPECTED_CODE curl-args...: POST /action as app.js does, prints the body
	local expect=$1; shift
	out=$(curl -s -w '\n%{http_code}' -H 'Accept: application/json' "$@" "$U/action")
	[ "${out##*$'\n'}" = "$expect" ] || fail "expected $expect for $*, got: $out"
	printf '%s\n' "${out%$'\n'*}"
}
one=$(children_matching "$APP" | head -n 1)
wid=$(proc_env "$one" | sed -n 's/^CIRQUE_WID=//p')
act 401 -d "action=stop&name=app&wid=$wid" >/dev/null
act 401 -H "Authorization: Bearer ${TOKEN}x" -d "action=stop&name=app&wid=$wid" >/dev/null
act 401 -H "Authorization: Bearer ${TOKEN%?}" -d "action=stop&name=app&wid=$wid" >/dev/null
act 403 -H "Authorization: Bearer $TOKEN" -H 'Origin: http://evil.example' -d "action=stop&name=app" >/dev/null
act 403 -H "Authorization: Bearer $TOKEN" -H 'Sec-Fetch-Site: cross-site' -d "action=stop&name=app" >/dev/null
act 400 -H "Authorization: Bearer $TOKEN" -d "action=chmod&name=app" >/dev/null
act 400 -H "Authorization: Bearer $TOKEN" -d "action=stop&name=app;rm" >/dev/null
act 400 -H "Authorization: Bearer $TOKEN" -d "action=signal&name=app&signal=SEGV%20x" >/dev/null
act 404 -H "Authorization: Bearer $TOKEN" -d "action=stop&name=nosuchwatcher" >/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/output?name=nosuchwatcher")
[ "$code" = 404 ] || fail "the output of no watcher: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: rebound.example.com' "$U/")
[ "$code" = 421 ] || fail "a foreign Host header was served: $code"
[ "$(count_matching "$APP")" = 3 ] || fail "a refused action changed something"
grep -q "refused an action from 127.0.0.1 port [0-9]*: no valid token" "$WLOG" || fail "refusal not logged"
grep -q "refused an action .*another site (Origin http://evil.example)" "$WLOG" || fail "cross-site not logged"
# With the token: restart one process (same origin, as the page does).
act 200 -H "Authorization: Bearer $TOKEN" -H "Origin: $U" -d "action=restart&name=app&wid=$wid" |
	grep -q "restart app:$wid" || fail "restart reply"
wait_for 10 '! kill -0 $one 2>/dev/null' || fail "restart: pid $one still runs"
wait_count "$APP" 3
grep -q "restart app:$wid by alice from 127.0.0.1 port [0-9]*: ok" "$WLOG" || fail "action not logged with who: $(cat "$WLOG")"
# A plain form (no JavaScript): the token as a field, then 303 back to the page with a notice.
hdrs=$(curl -s -D - -o /dev/null -d "action=decr&name=app&token=$TOKEN" "$U/action")
printf '%s' "$hdrs" | grep -q '^HTTP/1.1 303' || fail "form post: $hdrs"
printf '%s' "$hdrs" | grep -qi '^location: /?notice=decr%20app' || fail "form post location: $hdrs"
wait_count "$APP" 2
curl -sf "$U/?notice=decr%20app%3Cb%3E" | grep -q 'decr app&lt;b&gt;' || fail "the notice is not escaped"
# SIGHUP: a new token file; the old token no longer works.
printf 'bob:%s\n' "zyxwvutsrqponmlk9876543210" >"$T/tokens"
kill -HUP "$WPID"
wait_for 5 'grep -q "SIGHUP: 1 token loaded" "$WLOG"' || fail "tokens not reloaded"
act 401 -H "Authorization: Bearer $TOKEN" -d "action=incr&name=app" >/dev/null
act 200 -H "Authorization: Bearer zyxwvutsrqponmlk9876543210" -d "action=incr&name=app" >/dev/null
wait_count "$APP" 3

# --- cirqued unreachable: a clear 502 at once (not after the whole timeout) ----------------------
cat >"$T/gone.yaml" <<YAML
listen: 127.0.0.1:$(free_port)
endpoint: ipc://$T/nowhere/control.sock
YAML
GPORT=$(sed -n 's/^listen: 127.0.0.1://p' "$T/gone.yaml")
"$WEB" -c "$T/gone.yaml" >>"$T/gone.log" 2>&1 &
GPID=$!
wait_for 10 'curl -s -o /dev/null "http://127.0.0.1:$GPORT/healthz"' || fail "cirque-web without cirqued did not start"
grep -q "cirqued is not reachable at ipc://$T/nowhere/control.sock yet: no socket there" "$T/gone.log" ||
	fail "no start-up warning: $(cat "$T/gone.log")"
out=$(curl -s --max-time 3 -w ' %{http_code}' "http://127.0.0.1:$GPORT/metrics")
case "$out" in *"no socket there (is cirqued running?)"*" 502") ;; *) fail "unreachable cirqued: $out" ;; esac
curl -s --max-time 3 "http://127.0.0.1:$GPORT/" | grep -q 'id="daemon"' || fail "the page without cirqued has no #daemon for app.js"
kill "$GPID"

# --- bad HTTP -----------------------------------------------------------------------------------
big=$(head -c 40000 /dev/zero | tr '\0' a)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $big" "$U/")
[ "$code" = 431 ] || [ "$code" = 413 ] || fail "oversized headers: $code"
code=$(head -c 9000 /dev/zero | tr '\0' a | curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer zyxwvutsrqponmlk9876543210" --data-binary @- "$U/action")
[ "$code" = 413 ] || [ "$code" = 400 ] || fail "a large form: $code"
garbage=$(printf 'GARBAGE \x01\x02 /\r\n\r\n' | timeout 5 curl -s "telnet://127.0.0.1:$PORT" | head -n 1)
case "$garbage" in HTTP/1.1\ 4*) ;; *) fail "garbage got: $garbage" ;; esac
# Silent connections (a slow client) and open event streams hold no thread: with 200 of each,
# a request is still served at once and every stream gets the next event.
SILENT=""
for i in $(seq 200); do exec {fd}<>/dev/tcp/127.0.0.1/$PORT; SILENT="$SILENT $fd"; done
STREAMS=""
for i in $(seq 200); do curl -sN --max-time 30 "$U/events" >"$T/stream.$i" 2>/dev/null & STREAMS="$STREAMS $!"; done
wait_for 20 '[ "$(grep -l "^retry:" "$T"/stream.* | wc -l)" = 200 ]' ||
	fail "200 event streams did not all open: $(grep -l "^retry:" "$T"/stream.* | wc -l)"
curl -sf --max-time 5 -o /dev/null "$U/healthz" || fail "200 silent connections and 200 streams blocked a request"
victim=$(children_matching "$APP" | head -n 1)
kill -9 "$victim"
wait_for 20 '[ "$(grep -l "watcher.app.reap.*$victim" "$T"/stream.* | wc -l)" = 200 ]' ||
	fail "the reap reached $(grep -l "watcher.app.reap.*$victim" "$T"/stream.* | wc -l) of 200 streams"
wait_count "$APP" 3
for fd in $SILENT; do exec {fd}>&-; done
kill -0 "$WPID" || fail "cirque-web died"
# SIGTERM with 200 streams open (suspended, waiting): it ends them and exits cleanly.
kill "$WPID"
wait_for 10 '! kill -0 $WPID 2>/dev/null' || fail "cirque-web did not stop with streams open"
wait "$WPID"; rc=$?
[ "$rc" = 0 ] || fail "cirque-web exited $rc with streams open: $(tail -n 5 "$WLOG")"
grep -qi 'panic\|suspended' "$WLOG" && fail "libmicrohttpd complained: $(grep -i 'panic\|suspended' "$WLOG")"
wait $STREAMS  # the curls, ended by the stop
start_web "$W" "$U"
[ "$(count_matching "$APP")" = 3 ] || fail "bad HTTP changed something"
stop_web

# --- TLS, beyond loopback: every request needs a token ------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 \
	-subj /CN=cirque.test >/dev/null 2>&1 || fail "openssl"
TPORT=$(free_port)
cat >"$T/tls.yaml" <<YAML
listen: 0.0.0.0:$TPORT
endpoint: ipc://$CIRQUE_RUNTIME_DIR/control.sock
token_file: $T/tokens
tls_cert: $T/cert.pem
tls_key: $T/key.pem
origins: [https://cirque.test:$TPORT]
YAML
"$WEB" -c "$T/tls.yaml" >>"$WLOG" 2>&1 &
WPID=$!
TU="https://127.0.0.1:$TPORT"
wait_for 10 '[ "$(curl -sk -o /dev/null -w "%{http_code}" "$TU/healthz")" = 401 ]' || fail "TLS: no 401 without a token"
curl -sf --cacert "$T/cert.pem" --resolve "cirque.test:$TPORT:127.0.0.1" -u "x:zyxwvutsrqponmlk9876543210" \
	"https://cirque.test:$TPORT/metrics" | grep -q '^cirque_build_info' || fail "TLS with the token"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$TPORT/healthz")
[ "$code" != 200 ] || fail "plain HTTP served on the TLS port"
stop_web
echo "ok"
