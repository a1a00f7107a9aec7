# cirque-web's dashboard in a real browser: Debian's headless Chromium, driven over the DevTools
# protocol by puppeteer-core (tests/web/dashboard.mjs). Against the real cirqued and cirque-web:
# the page lists the running processes (also with JavaScript off); a process killed from outside
# shows its new pid within 2 s without a reload; stop without the token is refused and the
# processes still run; stop with the token stops the watcher (checked in /proc and with
# cirquectl); another origin's fetch and form POST carrying the right token are refused.
# Screenshots of each step are kept in $CIRQUE_TEST_ARTIFACTS (default tests/artifacts/).
. "$(dirname "$0")/lib.sh"
for tool in chromium node npm curl; do
	command -v "$tool" >/dev/null || fail "$tool is needed (Debian's chromium, nodejs, npm, curl)"
done
WEBDIR="$ROOT/tests/web"

# puppeteer-core, pinned in package-lock.json (it never downloads a browser): installed when
# missing or older than the lock file.
if [ ! "$WEBDIR/node_modules/.package-lock.json" -nt "$WEBDIR/package-lock.json" ]; then
	note "npm ci in tests/web"
	(cd "$WEBDIR" && npm ci --no-audit --no-fund --loglevel=error) >"$T/npm.log" 2>&1 ||
		fail "npm ci failed: $(tail -n 20 "$T/npm.log")"
fi

ART="${CIRQUE_TEST_ARTIFACTS:-$ROOT/tests/artifacts}/web_browser"
mkdir -p "$ART" || fail "cannot make $ART"
rm -f "$ART"/*.png

WEBP=$(sleeper webproc); OTHER=$(sleeper otherproc)
cat >"$CONF" <<YAML
watchers:
  web:
    cmd: $WEBP 3600
    numprocesses: 3
  other:
    cmd: $OTHER 3600
YAML
start_daemon
wait_count "$WEBP" 3
wait_count "$OTHER" 1
wait_for 10 '[ "$("$CTL" status web other | grep -c " RUNNING ")" -eq 4 ]' ||
	fail "not all RUNNING: $("$CTL" status)"

TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
(umask 077 && echo "tester:$TOKEN" >"$T/tokens")
# The page's periodic refresh is made rare: what it shows within 2 s comes from cirqued's events
# (Server-Sent Events).
PORT=$(free_port); URL="http://127.0.0.1:$PORT"
cat >"$T/web.yaml" <<YAML
listen: 127.0.0.1:$PORT
endpoint: ipc://$CIRQUE_RUNTIME_DIR/control.sock
actions: true
token_file: $T/tokens
refresh: 30
YAML
start_web "$T/web.yaml" "$URL"

# The browser's part: every step asserted in dashboard.mjs, which checks /proc itself too.
start=$(date +%s%N)
CIRQUE_URL="$URL" CIRQUE_TOKEN="$TOKEN" CIRQUE_DAEMON_PID="$DPID" CIRQUE_WEB_MARK="$WEBP" \
CIRQUE_OTHER_MARK="$OTHER" CIRQUE_WEB_PIDS="$(children_matching "$WEBP" | tr '\n' ' ')" \
CIRQUE_OTHER_PIDS="$(children_matching "$OTHER" | tr '\n' ' ')" CIRQUE_CTL="$CTL" \
CIRQUE_WEB_LOG="$WLOG" CIRQUE_SHOTS="$ART" \
	node "$WEBDIR/dashboard.mjs" "$T/chromium-profile" || fail "the browser's steps failed; cirque-web's log:
$(tail -n 20 "$WLOG")"
note "browser steps took $(( ($(date +%s%N) - start) / 1000000 )) ms"

# What the browser did, seen from here: web stopped (none of its processes left), other intact.
[ "$(count_matching "$WEBP")" -eq 0 ] || fail "web's processes still run: $(children_matching "$WEBP")"
[ -z "$(procs_matching "^$WEBP")" ] || fail "web's processes still run: $(procs_matching "^$WEBP")"
"$CTL" status web | grep -q "STOPPED" || fail "web is not STOPPED: $("$CTL" status web)"
[ "$(count_matching "$OTHER")" -eq 1 ] || fail "other lost its process"
[ "$(grep -c "refused an action from .*: a request from another site" "$WLOG")" -ge 2 ] ||
	fail "cirque-web did not log the cross-site refusals: $(cat "$WLOG")"
grep -q "refused an action from .*: no valid token" "$WLOG" ||
	fail "cirque-web did not log the refusal without a token"
grep -q "stop web by tester from 127.0.0.1 port [0-9]*: ok" "$WLOG" ||
	fail "cirque-web did not log the stop with who did it: $(cat "$WLOG")"
! grep -q "start web by" "$WLOG" || fail "a start of web went through: $(grep "start web" "$WLOG")"

stop_web
note "screenshots: $(ls "$ART"/*.png | tr '\n' ' ')"
exit 0
