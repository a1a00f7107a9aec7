# `cirquectl import`: a Circus configuration (a web app on a [socket:web] with use_sockets and 4
# processes, workers from an include_dir, [env] / [env:web] / [env:worker-*], FileStream and
# TimedRotatingFileStream, a Python hook, a plugin) becomes a cirque.yaml that passes --check
# (exit 1: the hook, the plugin and the statsd options are said to be dropped). cirqued runs it,
# and /proc shows what Circus's semantics (circus/config.py; Circus itself is not installable
# here) say should run: counts, command lines with the socket's descriptor and the wid, the
# environment entries, cwd, uid; the log files are written. Then `cirquectl diff` compares
# edited copies of the file with what runs.
. "$(dirname "$0")/lib.sh"

chmod 755 "$T"  # uid = nobody runs the stand-in from under it
mkdir -p "$T/bin" "$T/srv" "$T/etc/conf.d" "$T/logs"
cat >"$T/bin/stand-in" <<'PYEOF'
#!/usr/bin/python3
import os, sys, time, signal
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
print(os.path.basename(sys.argv[0]), "started:", " ".join(sys.argv[1:]), flush=True)
print(os.path.basename(sys.argv[0]), "on stderr", file=sys.stderr, flush=True)
time.sleep(3600)
PYEOF
chmod 755 "$T/bin/stand-in" "$T/srv"
for p in web worker; do cp "$T/bin/stand-in" "$T/bin/$p"; done
WEB_PORT=$(free_port)
CTL_PORT=$(free_port)
PUB_PORT=$(free_port)

cat >"$T/etc/circus.ini" <<EOF
# the shop under Circus
[circus]
check_delay = 5
endpoint = tcp://127.0.0.1:$CTL_PORT
pubsub_endpoint = tcp://127.0.0.1:$PUB_PORT
stats_endpoint = tcp://127.0.0.1:1
statsd = true
loglevel = info
pidfile = $T/circusd.pid
include_dir = conf.d

[socket:web]
host = 127.0.0.1
port = $WEB_PORT
backlog = 512

[watcher:web]
cmd = $T/bin/web --fd \$(circus.sockets.web) --worker ((circus.wid))
use_sockets = True
numprocesses = 4
working_dir = $T/srv
uid = nobody
hooks.before_start = shop.hooks.migrate
stdout_stream.class = FileStream
stdout_stream.filename = $T/logs/web.log
stdout_stream.max_bytes = 1048576
stdout_stream.backup_count = 3
stderr_stream.class = TimedRotatingFileStream
stderr_stream.filename = $T/logs/web.err
stderr_stream.rotate_when = D
stderr_stream.backup_count = 7
max_age = 3600

[env]
DEPLOY_ENV = production

[env:web]
APP_HOME = \$(circus.env.SHOP_ROOT)/app
PRICE = 5\$ per unit ; a comment
HASH = a #b

[env:worker-*, nothing]
QUEUE = default
DEPLOY_ENV = staging

[plugin:statsd]
use = circus.plugins.statsd.FullStats
loop_rate = 5

[plugin:flapping]
use = circus.plugins.flapping.Flapping
window = 3
max_retry = 4
retry_in = 7
EOF
cat >"$T/etc/conf.d/workers.ini" <<EOF
[watcher:worker-mail]
cmd = $T/bin/worker mail
args = --queue \$(circus.env.QUEUE)
numprocesses = 2
graceful_timeout = 5
stop_signal = QUIT
flapping.window = 2
flapping_window = 2
stdout_stream.class = StdoutStream
EOF

# --- the import ---
cd "$T/etc" && "$CTL" import -o "$CONF" circus.ini 2>"$T/import.err"
rc=$?
cd "$ROOT" || exit 1
[ "$rc" = 1 ] || fail "import: exit $rc (1: written, something dropped): $(cat "$T/import.err")"
grep -q "9 things not carried over: see the comments in $CONF" "$T/import.err" ||
	fail "import did not say what it dropped: $(cat "$T/import.err")"
check=$(SHOP_ROOT=$T/shop "$CIRQUED" --check -c "$CONF" 2>&1) || fail "the imported file fails --check: $check
$(cat "$CONF")"
for want in '# dropped: hooks.before_start = shop.hooks.migrate (circus.ini:' \
	'# [plugin:statsd]: a Python plugin circus.plugins.statsd.FullStats; cirque has instead: cirque-web' \
	'# dropped: loop_rate = 5' '# dropped: check_delay = 5' '# dropped: statsd = true' \
	'# dropped: stats_endpoint' "endpoint: \"tcp://127.0.0.1:$CTL_PORT\"" 'rotate: daily' \
	'backup_count: 7' 'backup_count: 3' 'max_bytes: 1048576' 'file: /dev/stdout' \
	'min_uptime: 2' 'min_uptime: 3' 'max_retry: 4' '# dropped: retry_in = 7' \
	'# dropped: flapping_window = 2 (workers.ini:8): read by no Circus of today' 'PRICE: "5$$ per unit"' '# include_dir = conf.d: read'; do
	grep -qF -- "$want" "$CONF" || fail "the imported file lacks '$want':
$(cat "$CONF")"
done
note "imported (exit 1, $(grep -c '# dropped:' "$CONF") dropped), --check passes"

# --- cirqued on it ---
SHOP_ROOT=$T/shop start_daemon
wait_count "$T/bin/web" 4 20
wait_count "$T/bin/worker" 2 20
# facts PATTERN: cmdline | uid | cwd | configured environment entries, per process, sorted.
facts() {
	local pid
	for pid in $(children_matching "$1"); do
		printf '%s| uid %s | cwd %s | %s\n' "$(tr '\0' ' ' <"/proc/$pid/cmdline")" \
			"$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" "$(readlink "/proc/$pid/cwd")" \
			"$(proc_env "$pid" | grep -E '^(DEPLOY_ENV|APP_HOME|PRICE|HASH|QUEUE)=' | sort |
			   tr '\n' ' ')"
	done | sort
}
want_web=""
for wid in 1 2 3 4; do
	want_web="$want_web/usr/bin/python3 $T/bin/web --fd 3 --worker $wid | uid 65534 | cwd $T/srv | APP_HOME=$T/shop/app DEPLOY_ENV=production HASH=a #b PRICE=5\$ per unit 
"
done
[ "$(facts "$T/bin/web")" = "${want_web%
}" ] || fail "the web processes:
$(facts "$T/bin/web")
expected:
$want_web"
want_worker="/usr/bin/python3 $T/bin/worker mail --queue default | uid $(id -u) | cwd $ROOT | DEPLOY_ENV=staging QUEUE=default "
[ "$(facts "$T/bin/worker" | sort -u)" = "$want_worker" ] || fail "the workers:
$(facts "$T/bin/worker")"
for pid in $(children_matching "$T/bin/web"); do
	[ "$(stat -L -c %i "/proc/$pid/fd/3")" = "$(stat -L -c %i "/proc/$(children_matching "$T/bin/web" | head -n 1)/fd/3")" ] ||
		fail "web[$pid]'s fd 3 is not the shared socket"
done
grep -q ":$(printf '%04X' "$WEB_PORT") 00000000:0000 0A" /proc/net/tcp ||
	fail "nothing listens on the web socket's port $WEB_PORT"
note "4 web processes on the socket (fd 3 in their cmdline), 2 workers: cmdlines, uids, cwds, env as Circus's config says"

wait_for 10 '[ "$(grep -c "started:" "$T/logs/web.log" 2>/dev/null)" = 4 ] && [ "$(grep -c "on stderr" "$T/logs/web.err" 2>/dev/null)" = 4 ]' ||
	fail "the web log files: $(cat "$T"/logs/web.* 2>&1)"
wait_for 10 '[ "$(grep -c "^worker started: mail --queue default$" "$DLOG")" = 2 ]' ||
	fail "the workers' StdoutStream lines are not on cirqued's stdout"
[ "$(cat "$T/circusd.pid")" = "$DPID" ] || fail "cirqued's pidfile is not [circus] pidfile"
out=$(CIRQUE_RUNTIME_DIR=/nonexistent "$CTL" -c "$CONF" status web 2>&1) ||
	fail "cirquectl does not reach cirqued on Circus's endpoint: $out"
note "web.log, web.err and cirqued's stdout hold the lines; the control socket is Circus's endpoint"

# --- diff FILE: what a file would change, nothing changed ---
before=$(children | sort)
out=$("$CTL" -c "$CONF" diff "$CONF" 2>&1) || fail "diff of the running file: exit $?: $out"
[ "$out" = "No config updates to processes" ] || fail "diff of the running file: $out"
sed -e 's/^    numprocesses: 4$/    numprocesses: 2/' -e 's/^  worker-mail:$/  worker-jobs:/' \
	-e 's/^    graceful_timeout: 5$/    graceful_timeout: 9/' -e 's/^    backlog: 512$/    backlog: 256/' \
	"$CONF" >"$T/next.yaml"
printf '  extra:\n    cmd: /bin/sleep 60\n' >>"$T/next.yaml"
out=$("$CTL" -c "$CONF" diff "$T/next.yaml" 2>&1); rc=$?
[ $rc = 3 ] || fail "diff with differences: exit $rc (3 expected): $out"
[ "$(echo "$out" | sort)" = "extra: added
socket web: changed (backlog)
web: changed (numprocesses)
worker-jobs: added
worker-mail: removed" ] || fail "diff: $out"
"$CTL" -c "$CONF" set web graceful_timeout 7 >/dev/null || fail "set web graceful_timeout"
out=$("$CTL" -c "$CONF" diff "$CONF" 2>&1); rc=$?
[ $rc = 3 ] || fail "diff after a set: exit $rc (3 expected): $out"
[ "$out" = "web: changed (graceful_timeout)" ] || fail "diff after a set (a run-time change): $out"
printf 'watchers:\n  x:\n    cmd: /bin/true\n    numprocesses: many\n' >"$T/bad.yaml"
out=$("$CTL" -c "$CONF" diff "$T/bad.yaml" 2>&1) && fail "diff of a bad file: exit 0: $out"
echo "$out" | grep -q "bad.yaml:4:.*numprocesses" || fail "diff of a bad file does not say where: $out"
[ "$(children | sort)" = "$before" ] || fail "diff changed the running processes"
note "diff FILE: added, changed (which options), removed, a socket, a run-time change, a bad file; nothing restarted"
stop_daemon TERM 30

# --- errors and details ---
printf '[circus]\ninclude = missing/*.ini\n[watcher:a b]\ncmd = /bin/sleep 1\nargs = $WID ((circus.wid))\nflapping.window = 1\nflapping.window = 9\n[plugin:flapping]\nuse = circus.plugins.flapping.Flapping\n[socket:u]\npath = %s/u.sock\numask = 2\n' "$T" >"$T/edge.ini"
"$CTL" import -o "$T/edge.yaml" "$T/edge.ini" 2>/dev/null
[ $? = 1 ] || fail "the edge cases: exit not 1 (a renamed watcher)"
check=$("$CIRQUED" --check -c "$T/edge.yaml" 2>&1) || fail "the edge cases fail --check: $check
$(cat "$T/edge.yaml")"
for want in '  a_b:' 'args: "$(circus.wid) $(circus.wid)"' 'min_uptime: 1' 'mode: "0775"' "path: $T/u.sock"; do
	grep -qF -- "$want" "$T/edge.yaml" || fail "the edge cases lack '$want':
$(cat "$T/edge.yaml")"
done
printf '[watcher:a]\ncmd = /bin/sleep 1\n' >"$T/plain.ini"
out=$("$CTL" import "$T/plain.ini") || fail "a plain watcher: exit $?, not 0"
echo "$out" | grep -q '^  a:$' || fail "no watcher a on stdout: $out"
out=$("$CTL" import -o "$T/err.yaml" "$T/nope.ini" 2>&1)
[ $? = 2 ] && [ ! -e "$T/err.yaml" ] || fail "a missing file: not exit 2: $out"
note "odd names, first value wins (as in Circus's parser), a unix socket's umask, exit 0 and 2"
# the trial of issue 16: a socket named with capitals is referred to as Circus lower-cases it; a
# Python stream class is dropped with a comment
printf '[socket:Web]\nport = 0\n[watcher:w]\ncmd = /bin/echo $(circus.sockets.Web)\nuse_sockets = True\n[watcher:s]\ncmd = /bin/sleep 9\nstderr_stream.class = mypkg.SentryStream\n' >"$T/case.ini"
"$CTL" import -o "$T/case.yaml" "$T/case.ini" 2>/dev/null; rc=$?
[ $rc = 1 ] || fail "case.ini: exit $rc"
"$CIRQUED" --check -c "$T/case.yaml" >/dev/null 2>&1 || fail "a capitalised socket fails --check: $("$CIRQUED" --check -c "$T/case.yaml" 2>&1)"
grep -q "dropped: stderr_stream.class = mypkg.SentryStream" "$T/case.yaml" || fail "a Python stream class is dropped silently"

exit 0
