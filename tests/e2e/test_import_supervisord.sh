# `cirquectl import`: a supervisord configuration (Django/gunicorn, celery worker and beat, redis,
# in a [group:], over an [include] of conf.d/*.conf) becomes a cirque.yaml that passes --check.
# Then the real supervisord and cirqued run, one after the other, each on its own file, and what
# each started is compared side by side: command lines, counts, users, working directories, the
# configured environment entries, the log files and what they hold. Debian's sample
# (echo_supervisord_conf) imports with its dropped options said (exit 1); errors exit 2.
. "$(dirname "$0")/lib.sh"

SUPERVISORD=/usr/bin/supervisord
[ -x "$SUPERVISORD" ] || fail "supervisord is not installed (Debian's supervisor package)"
chmod 755 "$T"  # user=nobody enters its working directory under it, in both supervisors
SPID=""
trap 'rc=$?; [ -n "$SPID" ] && kill -9 "$SPID" 2>/dev/null; (exit $rc); cleanup' EXIT

# The stand-ins: one program under several names, printing its arguments and a line on
# stderr, then waiting (its cmdline holds $T: lib.sh's cleanup finds it).
mkdir -p "$T/bin" "$T/srv/shop" "$T/etc/conf.d" "$T/logs"
cat >"$T/bin/stand-in" <<'PYEOF'
#!/usr/bin/python3
import os, sys, time, signal
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
print(os.path.basename(sys.argv[0]), "started:", " ".join(sys.argv[1:]), flush=True)
print(os.path.basename(sys.argv[0]), "on stderr", file=sys.stderr, flush=True)
time.sleep(3600)
PYEOF
chmod 755 "$T/bin/stand-in" "$T/srv" "$T/srv/shop"
for p in gunicorn celery redis-server; do cp "$T/bin/stand-in" "$T/bin/$p"; done

cat >"$T/etc/supervisord.conf" <<EOF
; the main file: the daemon, its socket, and the programs in conf.d
[unix_http_server]
file=%(here)s/supervisor.sock   ; the socket supervisorctl talks to
chmod=0700

[supervisord]
logfile=%(here)s/supervisord.log
pidfile=%(here)s/supervisord.pid
childlogdir=$T/logs
loglevel=info
nodaemon=true
environment=SITE_ROOT="$T/srv",DEPLOY_ENV=production

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://%(here)s/supervisor.sock

[include]
files = conf.d/*.conf
EOF
cat >"$T/etc/conf.d/shop.conf" <<EOF
# the shop: web, workers
[group:shop]
programs=shop-web,celery-worker,celery-beat
priority=100

[program:shop-web]
command=$T/bin/gunicorn --bind 127.0.0.1:80%(process_num)d
    --workers 2 "shop.wsgi:application"
process_name=%(program_name)s_%(process_num)d
numprocs=3
numprocs_start=1
directory=$T/srv/shop
user=nobody
umask=022
environment=DJANGO_SETTINGS_MODULE="shop.settings",WORKER_ID="%(process_num)d",
    APP_HOME="%(here)s",QUOTED="a b,c:#d;e",PCT="100%%",DOLLAR="\$HOME"
stdout_logfile=$T/logs/web-%(process_num)d.log
stdout_logfile_maxbytes=1MB
stdout_logfile_backups=3
redirect_stderr=true
stopasgroup=true
stopwaitsecs=5

[program:celery-worker]
command=$T/bin/celery -A shop worker --hostname "%(program_name)s@%(host_node_name)s" --label "100%% done:#1"
directory=$T/srv/shop
user=nobody
environment=DJANGO_SETTINGS_MODULE="shop.settings",C_FORCE_ROOT="false"
stdout_logfile=$T/logs/celery-worker.log
stderr_logfile=$T/logs/celery-worker.err
stderr_logfile_maxbytes=10MB
autorestart=unexpected
exitcodes=0,2
stopsignal=QUIT
startsecs=2
startretries=5

[program:celery-beat]
command=$T/bin/celery -A shop beat   ; the scheduler
directory=$T/srv/shop
stdout_logfile=NONE
stderr_logfile=NONE
autorestart=true
EOF
cat >"$T/etc/conf.d/redis.conf" <<EOF
[program:redis]
command=$T/bin/redis-server %(here)s/redis.conf --port 6399
priority=10
redirect_stderr=true
stdout_logfile=$T/logs/redis.log
autorestart=true
EOF

# --- the import ---
"$CTL" import -o "$CONF" "$T/etc/supervisord.conf" 2>"$T/import.err"
rc=$?
[ "$rc" = 1 ] || fail "import: exit $rc (1: written, something dropped): $(cat "$T/import.err")"
grep -q "things not carried over: see the comments in $CONF" "$T/import.err" || fail "import did not say what it dropped: $(cat "$T/import.err")"
check=$("$CIRQUED" --check -c "$CONF" 2>&1) || fail "the imported file fails --check: $check
$(cat "$CONF")"
for want in '# dropped: chmod = 0700' '# [unix_http_server]: cirque' '# dropped: nodaemon = true' \
	'priority: 989' 'priority: 899' 'restart: on-failure' 'restart: always' 'stop_signal: QUIT' \
	'graceful_timeout: 5' 'max_retry: 5' 'delay: 2' 'exitcodes: "0,2"' 'stop_children: true' \
	'merge: stdout' 'numprocesses: 3' 'max_bytes: 1048576' 'backup_count: 3' 'stdout: null' \
	'uid: nobody' 'umask: "022"' 'DOLLAR: "$$HOME"'; do
	grep -qF -- "$want" "$CONF" || fail "the imported file lacks '$want':
$(cat "$CONF")"
done
note "imported (exit 1, $(grep -c '# dropped:' "$CONF") dropped), --check passes"

# facts PARENT: one line per child: cmdline | uid | gid | cwd | configured environment entries.
ENV_KEYS='DJANGO_SETTINGS_MODULE|WORKER_ID|APP_HOME|QUOTED|PCT|DOLLAR|C_FORCE_ROOT|SITE_ROOT|DEPLOY_ENV'
facts() {
	local pid
	for pid in $(children "$1"); do
		grep -qF "$T/bin" "/proc/$pid/cmdline" 2>/dev/null || continue
		printf '%s | uid %s | gid %s | cwd %s | %s\n' "$(tr '\0' ' ' <"/proc/$pid/cmdline")" \
			"$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" \
			"$(awk '/^Gid:/ {print $2}' "/proc/$pid/status")" "$(readlink "/proc/$pid/cwd")" \
			"$(proc_env "$pid" | grep -E "^($ENV_KEYS)=" | sort | tr '\n' ' ')"
	done | sort
}
# logs: each log file under $T/logs with its lines, sorted (stdout and stderr merged in one file
# come through two pipes in cirque, one in supervisord: their order may differ).
logs() {
	local f
	for f in $(cd "$T/logs" && ls); do
		echo "== $f"
		sort "$T/logs/$f"
	done
}
logs_complete() {
	[ "$(cat "$T"/logs/web-*.log "$T/logs/redis.log" "$T/logs/celery-worker.log" \
		"$T/logs/celery-worker.err" 2>/dev/null | wc -l)" = 10 ]
}

# --- supervisord ---
"$SUPERVISORD" -n -c "$T/etc/supervisord.conf" >"$T/supervisord.out" 2>&1 &
SPID=$!
wait_for 20 '[ "$(facts $SPID | wc -l)" = 6 ] && logs_complete' ||
	fail "supervisord did not start its 6 processes: $(facts $SPID) $(cat "$T/supervisord.out" "$T/etc/supervisord.log")"
facts "$SPID" >"$T/supervisord.facts"
logs >"$T/supervisord.logs"
kill -TERM "$SPID"
wait_for 20 '! kill -0 $SPID 2>/dev/null' || fail "supervisord did not stop"
wait "$SPID" 2>/dev/null
SPID=""
rm -f "$T"/logs/*

# --- cirqued, on the imported file ---
"$CIRQUED" -c "$CONF" >>"$DLOG" 2>&1 &
DPID=$!
wait_for 20 '[ "$(facts $DPID | wc -l)" = 6 ] && logs_complete' ||
	fail "cirqued did not start the 6 processes: $(facts $DPID) $(tail -n 20 "$T/etc/supervisord.log")"
facts "$DPID" >"$T/cirque.facts"
logs >"$T/cirque.logs"
grep -q "starting (pid" "$T/etc/supervisord.log" || fail "cirqued does not log to [supervisord] logfile"
[ "$(cat "$T/etc/supervisord.pid")" = "$DPID" ] || fail "cirqued's pidfile is not [supervisord] pidfile"

diff -u "$T/supervisord.facts" "$T/cirque.facts" >"$T/facts.diff" ||
	fail "the processes differ (supervisord -, cirqued +):
$(cat "$T/facts.diff")"
diff -u "$T/supervisord.logs" "$T/cirque.logs" >"$T/logs.diff" ||
	fail "the log files differ (supervisord -, cirqued +):
$(cat "$T/logs.diff")"
grep -q "uid 65534 | gid 65534 | cwd $T/srv/shop | APP_HOME=$T/etc/conf.d DEPLOY_ENV=production DJANGO_SETTINGS_MODULE=shop.settings DOLLAR=\$HOME PCT=100% QUOTED=a b,c:#d;e SITE_ROOT=$T/srv WORKER_ID=2 " \
	"$T/cirque.facts" || fail "web:2's facts: $(cat "$T/cirque.facts")"
note "same 6 processes in both (cmdlines, uids, gids, cwds, environment), same $(grep -c '^==' "$T/cirque.logs") log files and lines"
stop_daemon TERM 30

# --- Debian's sample ---
echo_supervisord_conf >"$T/sample.conf"
"$CTL" import -o "$T/sample.yaml" "$T/sample.conf" 2>"$T/sample.err"
rc=$?
[ "$rc" = 1 ] || fail "the sample: exit $rc, not 1: $(cat "$T/sample.err")"
grep -q "# dropped: minfds = 1024" "$T/sample.yaml" || fail "the sample's minfds is not reported: $(cat "$T/sample.yaml")"
check=$("$CIRQUED" --check -c "$T/sample.yaml" 2>&1) || fail "the sample fails --check: $check"
note "Debian's sample: exit 1, $(grep -c '# dropped:' "$T/sample.yaml") dropped, --check passes"

# --- what supervisord's other sections become ---
long="/bin/sleep 3600 $(seq -s ' ' 1000 1060)"  # longer than inih's 200-byte lines
vs=$(printf 'v%.0s' $(seq 250))
cat >"$T/edge.conf" <<EOF
[program:odd name]
command=$long ; a comment after a long line
environment=B='single "double"',C=x:y/z
  ,D="$vs"
[program:all]
command=/bin/sleep 3600
[program:ODD_NAME]
command=/bin/sleep 3600
[fcgi-program:php]
command=/usr/bin/php-cgi
socket=tcp://127.0.0.1:9000
socket_backlog=128
[eventlistener:crashmail]
command=/usr/bin/crashmail -a
events=PROCESS_STATE_EXITED,TICK_60
buffer_size=50
[inet_http_server]
port=127.0.0.1:9001
EOF
"$CTL" import -o "$T/edge.yaml" "$T/edge.conf" 2>/dev/null
[ $? = 1 ] || fail "the edge cases: exit not 1"
check=$("$CIRQUED" --check -c "$T/edge.yaml" 2>&1) || fail "the edge cases fail --check: $check
$(cat "$T/edge.yaml")"
for want in "cmd: \"$long\"" '  odd_name:' '  all_:' '  ODD_NAME_2:' 'B: "single \"double"' 'C: "x:y/z"' \
	"D: $vs" 'use_sockets:' 'port: 9000' 'backlog: 128' '# supervisord passes the socket as stdin' \
	'queue: 50' '- reap' 'no cirque event for TICK_60' '# [inet_http_server]: no HTTP control'; do
	grep -qF -- "$want" "$T/edge.yaml" || fail "the edge cases lack '$want':
$(cat "$T/edge.yaml")"
done
note "a long command (inih reads 200 bytes a line), odd names, environment quoting, fcgi sockets, event listeners: --check passes"

# --- nothing dropped: exit 0, to stdout ---
printf '[program:a]\ncommand=/bin/sleep 10\n' >"$T/plain.conf"
out=$("$CTL" import "$T/plain.conf") || fail "a plain program: exit $?, not 0"
echo "$out" | grep -q '^  a:$' || fail "no watcher a on stdout: $out"

# --- errors: exit 2, a clear message, no output file ---
expect_error() {  # expect_error MESSAGE FILE...
	local want=$1 out rc
	shift
	out=$("$CTL" import -o "$T/err.yaml" "$@" 2>&1)
	rc=$?
	[ "$rc" = 2 ] || fail "import $*: exit $rc, not 2: $out"
	echo "$out" | grep -qF -- "$want" || fail "import $*: '$out' does not say '$want'"
	[ ! -e "$T/err.yaml" ] || fail "import $* left an output file"
	[ -z "$("$CTL" import "$@" 2>/dev/null)" ] || fail "import $* wrote to stdout"
}
expect_error "$T/missing.conf: No such file or directory" "$T/missing.conf"
mkdir "$T/loop"
printf '[supervisord]\n[include]\nfiles = b.conf\n' >"$T/loop/a.conf"
printf '[include]\nfiles = a.conf\n[program:b]\ncommand=/bin/true\n' >"$T/loop/b.conf"
expect_error "include loop" "$T/loop/a.conf"
printf '[program:x]\ncommand=/bin/true\nthis line has no equals sign\n' >"$T/bad.conf"
expect_error "bad.conf:3: not a section" "$T/bad.conf"
printf '[program:x]\ncommand=/bin/sleep \xff\n' >"$T/latin1.conf"
expect_error "latin1.conf:2: not UTF-8" "$T/latin1.conf"
printf '[program:x]\nautostart=true\n' >"$T/nocmd.conf"
expect_error "no command=" "$T/nocmd.conf"
printf '[program:x]\ncommand=/bin/true %%(nope)s\n' >"$T/unknown.conf"
"$CTL" import "$T/unknown.conf" >/dev/null 2>&1
[ $? = 1 ] || fail "an unknown %(name)s is not dropped with exit 1"
printf '[circus]\n[watcher:x]\ncmd = /bin/true\n' >"$T/circus.ini"
out=$("$CTL" import "$T/circus.ini" 2>&1) || fail "a Circus file is not imported (test_import_circus.sh): $out"
echo "$out" | grep -q '(Circus)' || fail "a Circus file is not read as one: $out"
printf '[x]\na=1\n' >"$T/neither.conf"
expect_error "use --from" "$T/neither.conf"
note "errors: a missing file, an include loop, a bad line, not UTF-8, no command: exit 2; Circus detected"
# An expansion in an unquoted environment value: supervisord expands before it splits the pairs.
printf '[program:x]\ncommand=/bin/sleep 60\nnumprocs=2\nenvironment=PORT=80%%(process_num)d,HOME_DIR=%%(here)s\n' >"$T/envexp.conf"
out=$("$CTL" import "$T/envexp.conf" 2>&1); rc=$?
[ $rc -le 1 ] || fail "an expansion in an unquoted environment value is refused: $out"
echo "$out" | grep -q 'PORT: "80$(circus.wid)"' || fail "PORT not carried over: $out"
echo "$out" | grep -qF "HOME_DIR: $T" || fail "%(here)s not expanded in the environment: $out"
# the trial of issue 16: -o onto the input is refused (the original kept); includes that match
# nothing are said and counted; stdout_logfile=NONE with stdout_syslog still goes to syslog
cp "$T/envexp.conf" "$T/same.conf"
"$CTL" import -o "$T/same.conf" "$T/same.conf" >/dev/null 2>&1; rc=$?
[ $rc = 2 ] || fail "import -o onto its input: exit $rc"
cmp -s "$T/envexp.conf" "$T/same.conf" || fail "import -o onto its input overwrote it"
printf '[include]\nfiles = nope/*.conf\n[program:a]\ncommand=/bin/sleep 9\nstdout_syslog=true\nstdout_logfile=NONE\n' >"$T/inc.conf"
out=$("$CTL" import "$T/inc.conf" 2>/dev/null); rc=$?
[ $rc = 1 ] || fail "an include matching nothing: exit $rc"
echo "$out" | grep -q "dropped: include .*inc.conf:1: nope/\*.conf: no file matches it" || fail "an include matching nothing is not said: $out"
echo "$out" | grep -q "stdout: syslog" || fail "NONE with stdout_syslog lost syslog: $out"
exit 0
