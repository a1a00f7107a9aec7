# depends_on and restart_with: a start waits for its dependencies to be ready (by readiness,
# not by timing), an independent branch starts at once, a dependency that gives up blocks its
# dependents (and `start` of it lets them follow), stops go dependents first (stop --dependents,
# stop all, shutdown), restart_with restarts a dependent after its dependency, and unknown names
# and cycles are refused at file:line:col (load, reload, add, set) without changing anything.
. "$(dirname "$0")/lib.sh"

ctl() { "$CTL" "$@"; }
# pid_of NAME: the pid of NAME's process (empty if none), from status --json
pid_of() {
	request "{\"command\": \"status\", \"properties\": {\"name\": \"$1\", \"processes\": true}}" |
		json_eval 'next((p["pid"] for p in d.get("processes", []) if "pid" in p), "")'
}
line_of() { grep -n -- "$1" "$DLOG" | head -n 1 | cut -d: -f1; }

# listen.sh NAME: becomes ready (listens on NAME.sock) only once NAME.go exists.
cat >"$T/listen.sh" <<'SH'
#!/bin/sh
while [ ! -e "$0.$1.go" ]; do sleep 0.05; done
rm -f "$0.$1.sock"
exec /usr/bin/python3 -c "import socket, sys, time; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); time.sleep(3600)" "$0.$1.sock"
SH
chmod 755 "$T/listen.sh"
L="$T/listen.sh"
W=$(sleeper worker)
WEB=$(sleeper web)

# --- refused graphs: unknown names and cycles, at file:line:col ---
cat >"$CONF" <<YAML
watchers:
  db:
    cmd: $W 60
    depends_on: [web]
  cache:
    cmd: $W 60
    depends_on: db
  web:
    cmd: $W 60
    depends_on: [cache, dbb]
YAML
out=$("$CIRQUED" -c "$CONF" --check 2>&1) && fail "--check accepted a cycle: $out"
echo "$out" | grep -qF "$CONF:10:25: watchers.web.depends_on: unknown watcher 'dbb' (did you mean 'db'?)" ||
	fail "unknown dependency not named at file:line:col: $out"
echo "$out" | grep -qE "$CONF:[0-9]+:[0-9]+: watchers\.[a-z]+\.depends_on: dependency cycle: (db -> web -> cache -> db|web -> cache -> db -> web|cache -> db -> web -> cache)" ||
	fail "the cycle is not named whole at file:line:col: $out"
note "unknown names and cycles refused at file:line:col"

# --- db -> cache -> web, and an independent worker ---
cat >"$CONF" <<YAML
watchers:
  web:
    cmd: $WEB 3600
    depends_on: [cache]
    restart_with: [cache]
    ready: {delay: 0.2}
  cache:
    cmd: $L cache
    stop_children: true
    ready: {unix: $L.cache.sock}
    depends_on: [db]
  db:
    cmd: $L db
    stop_children: true
    ready: {unix: $L.db.sock}
    ready_timeout: 5s
    max_retry: 0
  worker:
    cmd: $W 3600
    ready: {delay: 0.2}
YAML
start_daemon
# The independent branch starts at once; db runs but is not ready (no db.go): cache and web wait.
wait_for 10 '[ -n "$(pid_of worker)" ] && [ -n "$(pid_of db)" ]' || fail "worker and db did not start at once"
sleep 1  # db is not ready for a while: its dependents must still be waiting, whatever the timing
[ -z "$(pid_of cache)" ] || fail "cache started before db was ready"
[ -z "$(pid_of web)" ] || fail "web started before cache was ready"
out=$(ctl status)
echo "$out" | grep -E "^cache +STARTING +waiting for db \(starting\)" >/dev/null ||
	fail "status does not say cache waits for db: $out"
echo "$out" | grep -E "^web +STARTING +waiting for cache" >/dev/null ||
	fail "status does not say web waits for cache: $out"
note "worker started at once; cache and web wait for db and say so"

# db gives up (not ready by ready_timeout, max_retry 0): its dependents are blocked, and say why.
wait_for 10 'ctl status db | grep -q FATAL' || fail "db did not give up"
wait_for 5 'ctl status cache | grep -q "not started: db gave up (FATAL)"' ||
	fail "cache does not say db gave up: $(ctl status)"
ctl status web | grep -q "not started: cache blocked by its own dependencies" ||
	fail "web does not say why it is not started: $(ctl status)"
# blocked is no "running or on its way" for the exit code, as supervisorctl counts
ctl status web >/dev/null && fail "status of a blocked watcher exits 0"
out=$(ctl start cache 2>&1); rc=$?
# start cache restarts what it needs (db), which gives up again: the reply says so
[ $rc -ne 0 ] || fail "start cache with a FATAL db succeeded: $out"
echo "$out" | grep -q "db gave up (FATAL)" || fail "start cache does not say why: $out"
# The daemon's start-up is over all the same (READY=1 under systemd): a blocked watcher does not
# hold it for ever.
grep -q "started: 4 watchers" "$DLOG" || fail "start-up never ended with db FATAL"
note "db FATAL: cache and web not started, status and start say why"

# db can be ready now: `start db` and the rest follow, in readiness order.
touch "$L.db.go"
ctl start db >/dev/null || fail "start db failed"
wait_for 10 '[ -n "$(pid_of cache)" ]' || fail "cache did not follow db: $(ctl status)"
sleep 0.5
[ -z "$(pid_of web)" ] || fail "web started before cache was ready (cache.go missing)"
touch "$L.cache.go"
wait_for 10 '[ -n "$(pid_of web)" ] && ctl status web | grep -q RUNNING' || fail "web did not follow cache: $(ctl status)"
db_ready=$(line_of "watcher cache: its dependencies are ready")
cache_spawn=$(line_of "watcher cache\[1\]: spawned")
web_spawn=$(line_of "watcher web\[1\]: spawned")
[ -n "$db_ready" ] && [ "$cache_spawn" -gt "$db_ready" ] && [ "$web_spawn" -gt "$cache_spawn" ] ||
	fail "spawn order is not db, cache, web: $(grep spawned "$DLOG")"
note "start db: cache then web followed, each once the one before was ready"

# --- restart_with: a restart of cache restarts web, whose new process waits for cache ---
web1=$(pid_of web); worker1=$(pid_of worker); db1=$(pid_of db)
rm -f "$L.cache.go"
mark=$(wc -l <"$DLOG")
ctl restart --no-wait cache >/dev/null || fail "restart cache failed"
wait_for 10 '! kill -0 $web1 2>/dev/null' || fail "web was not restarted with cache"
wait_for 10 'tail -n +"$mark" "$DLOG" | grep -q "watcher cache: stopping"' || fail "cache was not stopped"
# web is gone before cache is signalled
[ "$(tail -n +"$mark" "$DLOG" | grep -nE "watcher web\[1\]: pid $web1 |watcher cache: stopping" | head -n 1 | grep -c "web\[1\]")" = 1 ] ||
	fail "cache was stopped before web, its follower, was gone: $(tail -n +"$mark" "$DLOG")"
sleep 0.5
[ -z "$(pid_of web)" ] || fail "web's new process started before cache was ready again"
ctl status web | grep -q "waiting for cache" || fail "web does not say it waits for cache: $(ctl status)"
touch "$L.cache.go"
wait_for 10 '[ -n "$(pid_of web)" ]' || fail "web did not start again after cache"
[ "$(pid_of worker)" = "$worker1" ] && [ "$(pid_of db)" = "$db1" ] ||
	fail "a restart of cache touched db or the worker"
note "restart_with: web restarted after cache, db and worker untouched"

# A reload that changes cache's definition restarts web as well.
web2=$(pid_of web)
sed -i "s|^    cmd: \$L cache\$|    cmd: $L cache\n    env: {GENERATION: '2'}|; s|^    cmd: $L cache\$|    cmd: $L cache\n    env: {GENERATION: '2'}|" "$CONF"
grep -q "GENERATION" "$CONF" || fail "test: the config edit did not apply"
cache2=$(pid_of cache)
mark=$(wc -l <"$DLOG")
ctl update >/dev/null || fail "update (cache changed) failed"
wait_for 10 '! kill -0 $web2 2>/dev/null' || fail "web was not restarted with cache's new definition"
wait_for 10 '! kill -0 $cache2 2>/dev/null' || fail "the old cache was not stopped"
# web went down before the old cache was signalled
[ "$(tail -n +"$mark" "$DLOG" | grep -nE "watcher web\[1\]: pid $web2 |watcher cache\[1\]: pid $cache2 " | head -n 1 | grep -c "web\[1\]")" = 1 ] ||
	fail "the old cache stopped before web: $(tail -n +"$mark" "$DLOG")"
wait_for 10 '[ -n "$(pid_of web)" ] && ctl status cache | grep -q RUNNING' || fail "web did not come back after the reload"
has_env "$(pid_of cache)" GENERATION=2 || fail "cache does not run its new definition"
note "restart_with: a reload changing cache restarts web too"

# --- stops: refused while a dependent runs; --dependents stops them first ---
out=$(ctl stop db 2>&1) && fail "stop db succeeded while cache and web need it: $out"
echo "$out" | grep -q "db is needed by cache, web" || fail "stop db refusal does not say who needs it: $out"
[ -n "$(pid_of db)" ] || fail "a refused stop stopped db"
out=$(ctl remove db 2>&1) && fail "remove db succeeded while cache needs it: $out"
echo "$out" | grep -q "db is needed by cache" || fail "remove refusal does not say who: $out"
mark=$(wc -l <"$DLOG")
out=$(ctl stop --dependents db 2>&1) || fail "stop --dependents db failed: $out"
echo "$out" | grep -q "db: stopped, and before it the watchers that depend on it: cache, web" ||
	fail "stop --dependents does not name the dependents: $out"
tail -n +"$mark" "$DLOG" | grep -E "watcher (web|cache|db): stopping" | sed 's/.*watcher \([a-z]*\):.*/\1/' >"$T/order"
[ "$(tr '\n' ' ' <"$T/order")" = "web cache db " ] || fail "stop order is not web, cache, db: $(cat "$T/order")"
[ -n "$(pid_of worker)" ] || fail "stop --dependents db stopped the worker"
note "stop db refused while needed; stop --dependents: web, cache, then db"

# --- add and set: unknown names and cycles refused, nothing changed ---
out=$(request '{"command": "add", "properties": {"name": "api", "cmd": "sleep 60", "options": {"depends_on": ["nosuch"]}}}')
echo "$out" | grep -q "unknown watcher 'nosuch'" || fail "add with an unknown dependency: $out"
out=$(request '{"command": "set", "properties": {"name": "db", "options": {"depends_on": ["web"]}}}')
echo "$out" | grep -q "dependency cycle" || fail "set making a cycle: $out"
ctl get db depends_on 2>&1 | grep -q "web" && fail "the refused set changed db"
note "add and set: unknown names and cycles refused"

# --- a reload that would make a cycle keeps the running configuration ---
ctl start web >/dev/null || fail "start web (with db and cache) failed"
sed -i 's/^    ready_timeout: 5s/    depends_on: [web]\n    ready_timeout: 5s/' "$CONF"
out=$(ctl update 2>&1) && fail "a reload with a cycle succeeded: $out"
echo "$out" | grep -q "dependency cycle" || fail "update does not show the cycle: $out"
out=$(request '{"command": "reloadconfig"}')
echo "$out" | grep -q '"status": *"error"' || fail "reloadconfig with a cycle: $out"
grep -q "depends_on: dependency cycle: " "$DLOG" || fail "the reload's cycle is not in the log"
ctl status | grep -cE "RUNNING" | grep -qx 4 || fail "the failed reload changed what runs: $(ctl status)"
note "reload with a cycle refused, running configuration kept"

# --- shutdown: dependents first ---
mark=$(wc -l <"$DLOG")
stop_daemon TERM 30
tail -n +"$mark" "$DLOG" | grep -E "watcher (web|cache|db): stopping" | sed 's/.*watcher \([a-z]*\):.*/\1/' >"$T/order"
[ "$(tr '\n' ' ' <"$T/order")" = "web cache db " ] || fail "shutdown order is not web, cache, db: $(cat "$T/order")"
note "shutdown: web, cache, then db"

# --- priorities: a dependency of a higher priority starts with it (no deadlock), and unrelated
# watchers of lower priorities still wait for that level ---
cat >"$CONF" <<YAML
watchers:
  web:
    cmd: $WEB 3600
    priority: 10
    depends_on: [db]
    ready: {delay: 0.2}
  db:
    cmd: $L db
    stop_children: true
    ready: {unix: $L.db.sock}
  worker:
    cmd: $W 3600
    priority: 5
YAML
rm -f "$L.db.go"
: >"$DLOG"
# systemd (a datagram listener stands in for it) is told the level may take the whole chain:
# db's ready_timeout (60 s), then web's ready delay (0.2 s), plus 10 s.
cat >"$T/notify.py" <<'PYEOF'
import socket, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
while True:
    out.write(sock.recv(4096).decode().replace("\n", "|") + "\n")
PYEOF
/usr/bin/python3 "$T/notify.py" "$T/notify.sock" "$T/notify.log" &
NPID=$!
trap 'rc=$?; kill $NPID 2>/dev/null; (exit $rc); cleanup' EXIT
wait_for 5 '[ -S "$T/notify.sock" ]' || fail "notify listener did not start"
NOTIFY_SOCKET=$T/notify.sock start_daemon
wait_for 10 'grep -q "STATUS=starting priority 10" "$T/notify.log"' || fail "no STATUS for level 10"
grep -q "EXTEND_TIMEOUT_USEC=70200000|STATUS=starting priority 10: web, db" "$T/notify.log" ||
	fail "level 10's EXTEND_TIMEOUT_USEC is not its chain's: $(cat "$T/notify.log")"
wait_for 10 '[ -n "$(pid_of db)" ]' || fail "db (a dependency of priority 10) did not start first"
sleep 0.5
[ -z "$(pid_of worker)" ] || fail "worker (priority 5) started before priority 10 was up"
touch "$L.db.go"
wait_for 10 '[ -n "$(pid_of worker)" ] && [ -n "$(pid_of web)" ]' || fail "start-up did not go on: $(ctl status)"
[ "$(line_of "watcher web\[1\]: spawned")" -lt "$(line_of "watcher worker\[1\]: spawned")" ] ||
	fail "worker spawned before web"
note "priorities: db raised to web's level, worker after both"
stop_daemon TERM 30

# --- a job as a dependency (ready: exit): web starts once the migration has exited as expected;
# a failed migration blocks it, `start web` runs it again; a finished job does not keep its
# dependency from stopping ---
cat >"$CONF" <<YAML
watchers:
  db:
    cmd: $W 3600
    ready: {delay: 0.1}
  migrate:
    cmd: sh -c 'sleep 1; test -e $T/migrate.ok'
    ready: exit
    restart: never
    depends_on: [db]
  web:
    cmd: $WEB 3600
    depends_on: [migrate]
    ready: {delay: 0.1}
YAML
: >"$DLOG"
start_daemon
wait_for 10 'grep -q "watcher migrate\[1\]: pid .* exited unexpectedly with status 1" "$DLOG"' ||
	fail "the migration did not run and fail"
[ -z "$(pid_of web)" ] || fail "web started although the migration failed"
wait_for 5 'ctl status web | grep -q "not started: migrate exited with an unexpected status"' ||
	fail "web does not say the migration failed: $(ctl status)"
touch "$T/migrate.ok"
ctl start web >/dev/null || fail "start web (which runs the migration again) failed: $(ctl status)"
[ -n "$(pid_of web)" ] || fail "web is not running after start web"
done_at=$(line_of "watcher migrate\[1\]: pid .* exited (expected, status 0)")
web_at=$(line_of "watcher web\[1\]: spawned")
[ -n "$done_at" ] && [ "$web_at" -gt "$done_at" ] || fail "web spawned before the migration ended"
note "ready: exit: web waited for the migration to end; start web ran it again"
# stopping db: the finished job does not count, web (running) does
out=$(ctl stop db 2>&1) && fail "stop db succeeded while web runs: $out"
echo "$out" | grep -q "db is needed by web:" || fail "the refusal names a job that only finished: $out"
ctl stop web >/dev/null || fail "stop web failed"
ctl stop db >/dev/null || fail "stop db refused with only a finished job depending on it"
note "a finished job does not hold its dependency"
stop_daemon TERM 30

# --- a dependency whose before_start hook fails: status says so, for it and its dependents ---
cat >"$CONF" <<YAML
watchers:
  db:
    cmd: $W 3600
    hooks:
      before_start: sh -c 'exit 3'
  web:
    cmd: $WEB 3600
    depends_on: [db]
YAML
: >"$DLOG"
start_daemon
wait_for 10 'ctl status web | grep -q "not started: db'"'"'s before_start hook failed: exited 3"' ||
	fail "web does not say db's hook failed: $(ctl status)"
ctl status db | grep -qE "^db +STOPPED +Not running: before_start hook failed: exited 3" ||
	fail "db's status does not say its hook failed: $(ctl status)"
note "a failed before_start shows in status, and in its dependents' reason"
stop_daemon TERM 30
echo "PASS"
