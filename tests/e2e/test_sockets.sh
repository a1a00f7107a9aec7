# Sockets: the daemon binds the sockets: section and passes them with systemd's convention
# (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES, fds from 3); the sockets stay open while processes are
# replaced, so a client hammering the port sees no refused connection through a graceful reload,
# a definition change (reloadconfig) and max_age rotation. A reload whose socket cannot be bound
# changes nothing; listsockets reports the sockets; shutdown closes them.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
# A socket-activated server, written the way systemd's sd_listen_fds(3) expects.
cat >"$T/server.py" <<'PYEOF'
import os, signal, socket, sys
if os.environ.get("LISTEN_PID") != str(os.getpid()):
    sys.exit("LISTEN_PID %r is not my pid %d" % (os.environ.get("LISTEN_PID"), os.getpid()))
names = os.environ["LISTEN_FDNAMES"].split(":")
assert len(names) == int(os.environ["LISTEN_FDS"])
server = socket.socket(fileno=3 + names.index(sys.argv[1]))
server.settimeout(0.1)
stopping = False
def on_term(signum, frame):
    global stopping
    stopping = True   # finish the connection in hand, accept no more
signal.signal(signal.SIGTERM, on_term)
while not stopping:
    try:
        conn, _ = server.accept()
    except (socket.timeout, BlockingIOError):
        continue
    conn.settimeout(5)
    conn.sendall(("%d %s\n" % (os.getpid(), sys.argv[2])).encode())
    conn.close()
PYEOF
# The client: connects again and again from 4 threads until STOPFILE exists; every connection
# must be answered with "pid tag".
cat >"$T/hammer.py" <<'PYEOF'
import json, os, socket, sys, threading, time
port, stopfile, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ok = fail = 0
pids, tags, errors = set(), set(), []
lock = threading.Lock()
def worker():
    global ok, fail
    while not os.path.exists(stopfile):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            data = b""
            while True:
                chunk = s.recv(256)
                if not chunk:
                    break
                data += chunk
            s.close()
            pid, tag = data.decode().split()
            with lock:
                ok += 1; pids.add(pid); tags.add(tag)
        except Exception as e:
            with lock:
                fail += 1; errors.append(repr(e))
        time.sleep(0.002)
threads = [threading.Thread(target=worker) for _ in range(4)]
for t in threads: t.start()
while not os.path.exists(stopfile):
    with lock:
        open(out + ".ok.tmp", "w").write(str(ok)); os.replace(out + ".ok.tmp", out + ".ok")
    time.sleep(0.1)
for t in threads: t.join()
json.dump({"ok": ok, "fail": fail, "pids": sorted(pids), "tags": sorted(tags),
           "errors": errors[:5]}, open(out, "w"))
PYEOF

write_conf() {  # write_conf TAG [extra socket line]
	cat >"$CONF" <<YAML
sockets:
  web: {host: 127.0.0.1, port: 0, backlog: 128}
  aged: {port: 0}
  api: {path: $T/api.sock, mode: "0660", group: nogroup}
${2:-}
watchers:
  app:
    cmd: $PY $T/server.py web $1
    use_sockets: [api, web]
    numprocesses: 2
    ready: {delay: 0.3s}
    graceful_timeout: 5
  aged:
    cmd: $PY $T/server.py aged v1
    use_sockets: aged
    numprocesses: 2
    ready: {delay: 0.3s}
    max_age: 2
    max_age_variance: 0
YAML
}
write_conf v1
start_daemon
# app autostarts: wait for it (`start app` says "already started" once it is active)
wait_for 15 '[ "$($CTL status app | grep -c RUNNING)" = 2 ]' || fail "app did not start: $($CTL status app)"

# --- listsockets, and what a process is given ------------------------------------------------
json=$($CTL --json sockets) || fail "cirquectl sockets failed"
field() {  # field SOCKET KEY
	echo "$json" | $PY -c 'import json,sys; d={s["name"]: s for s in json.load(sys.stdin)["sockets"]}; print(d[sys.argv[1]].get(sys.argv[2], ""))' "$1" "$2"
}
web_port=$(field web port); web_fd=$(field web fd); aged_port=$(field aged port)
[ "$web_port" -gt 0 ] && [ "$aged_port" -gt 0 ] || fail "port 0 not resolved in listsockets: $json"
[ "$(field web host)" = 127.0.0.1 ] && [ "$(field web backlog)" = 128 ] || fail "listsockets: $json"
[ "$(field api path)" = "$T/api.sock" ] || fail "unix socket missing from listsockets: $json"
$CTL sockets | grep -q "^web  *127.0.0.1:$web_port  *fd $web_fd" || fail "cirquectl sockets: $($CTL sockets)"
[ -S "$T/api.sock" ] || fail "api.sock not created"
[ "$(stat -c %a:%U:%G "$T/api.sock")" = 660:root:nogroup ] ||
	fail "api.sock is $(stat -c %a:%U:%G "$T/api.sock"), wanted 660:root:nogroup"
# The daemon itself accepts nothing: the socket is listening before any server runs.
wait_count "$T/server.py web" 2 10 || fail "app processes not running"
pid=$(children_matching "$T/server.py web" | head -n1)
env_of_pid=$(proc_env "$pid")
echo "$env_of_pid" | grep -qx "LISTEN_FDS=2" || fail "LISTEN_FDS: $env_of_pid"
echo "$env_of_pid" | grep -qx "LISTEN_PID=$pid" || fail "LISTEN_PID is not the child's pid"
echo "$env_of_pid" | grep -qx "LISTEN_FDNAMES=api:web" || fail "LISTEN_FDNAMES: $env_of_pid"
[ "$(readlink "/proc/$pid/fd/4")" = "$(readlink "/proc/$DPID/fd/$web_fd")" ] ||
	fail "fd 4 of the child is not the daemon's web socket"
[ "$(readlink "/proc/$pid/fd/3")" != "$(readlink "/proc/$pid/fd/4")" ] || fail "fds 3 and 4 are the same"
[ ! -e "/proc/$pid/fd/5" ] || fail "the child got more descriptors than its sockets: $(ls -l /proc/$pid/fd)"

# --- hammering through reloads ------------------------------------------------------------------
$PY "$T/hammer.py" "$web_port" "$T/stop" "$T/web.json" &
H1=$!
$PY "$T/hammer.py" "$aged_port" "$T/stop" "$T/aged.json" &
H2=$!
wait_for 10 '[ "$(cat $T/web.json.ok 2>/dev/null || echo 0)" -gt 50 ]' || fail "hammer got no answers"
before=$(children_matching "$T/server.py web" | sort | tr '\n' ' ')
$CTL reload app >/dev/null || fail "reload app failed"
after=$(children_matching "$T/server.py web" | sort | tr '\n' ' ')
[ -n "$after" ] && [ "$before" != "$after" ] || fail "graceful reload did not replace processes ($before / $after)"
for p in $before; do
	echo " $after " | grep -q " $p " && fail "old process $p survived the reload"
done
# A definition change (new cmd) replaces the processes new-first as well.
write_conf v2
$CTL update >/dev/null || fail "update failed"
wait_for 20 '[ "$(children_matching "server.py web v2" | grep -c .)" = 2 ] && [ "$(children_matching "server.py web v1" | grep -c .)" = 0 ]' ||
	fail "definition change did not replace the processes: $($CTL status)"
# Two rounds of max_age rotation of both aged processes while the hammer runs.
wait_for 30 '[ "$(grep -c "watcher aged\[[12]\]: pid [0-9]* exited" "$DLOG")" -ge 4 ]' ||
	fail "max_age did not rotate the aged processes twice"
touch "$T/stop"
wait $H1 $H2
read -r web_ok web_fail web_pids web_tags <<<"$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["ok"], d["fail"], len(d["pids"]), ",".join(d["tags"])); d["errors"] and print(d["errors"], file=sys.stderr)' "$T/web.json")"
read -r aged_ok aged_fail aged_pids _ <<<"$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["ok"], d["fail"], len(d["pids"]), "-"); d["errors"] and print(d["errors"], file=sys.stderr)' "$T/aged.json")"
note "web: $web_ok answered, $web_fail failed, $web_pids server pids, tags $web_tags"
note "aged: $aged_ok answered, $aged_fail failed, $aged_pids server pids (max_age 2s)"
[ "$web_fail" = 0 ] || fail "$web_fail connections failed during reloads"
[ "$aged_fail" = 0 ] || fail "$aged_fail connections failed during max_age rotation"
[ "$web_pids" -ge 6 ] || fail "only $web_pids server pids answered: the reloads were not exercised"
[ "$web_tags" = "v1,v2" ] || fail "answers came from $web_tags, wanted v1 and v2"
[ "$aged_pids" -ge 4 ] || fail "max_age did not rotate the aged processes ($aged_pids pids)"
grep -q "definition changed, replacing its processes (new ones first)" "$DLOG" ||
	fail "the definition change did not take the graceful path"

# The sockets are the same ones after all that.
json=$($CTL --json sockets)
[ "$(field web fd)" = "$web_fd" ] && [ "$(field web port)" = "$web_port" ] ||
	fail "the web socket changed across reloads: $json"

# --- a reload that cannot bind changes nothing -------------------------------------------------
pids_before=$(children_matching "$T/server.py" | sort | tr '\n' ' ')
write_conf v3 "  clash: {host: 127.0.0.1, port: $web_port}"
kill -HUP "$DPID"
wait_for 10 'grep -q "reload failed: keeping the running configuration" "$DLOG"' ||
	fail "a reload with an unbindable socket did not fail"
grep -q "socket clash: cannot bind 127.0.0.1:$web_port: Address already in use" "$DLOG" ||
	fail "the bind failure is not explained"
sleep 0.5
[ "$(children_matching "server.py web v3" | grep -c .)" = 0 ] || fail "the failed reload changed watchers"
[ "$($CTL --json sockets | grep -c clash)" = 0 ] || fail "the failed reload left the clash socket"
# A bad request names the problem and changes nothing.
out=$($CTL set app use_sockets nope 2>&1) && fail "set use_sockets to an unknown socket succeeded"
echo "$out" | grep -q "unknown socket 'nope'" || fail "set with an unknown socket: $out"

# --- errors located in the file ---------------------------------------------------------------
cat >"$T/bad.yaml" <<YAML
sockets:
  web: {port: 0}
watchers:
  a: {cmd: /bin/true, use_sockets: [web, nope]}
YAML
out=$("$CIRQUED" --check -c "$T/bad.yaml" 2>&1) && fail "--check accepted an unknown socket"
echo "$out" | grep -q "bad.yaml:4:42: watchers.a.use_sockets: unknown socket 'nope'" ||
	fail "unknown socket error: $out"

# --- shutdown closes the sockets --------------------------------------------------------------
stop_daemon TERM 30
[ "$DSTATUS" = 0 ] || fail "daemon exited with $DSTATUS"
[ ! -e "$T/api.sock" ] || fail "api.sock left behind"
$PY -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)' "$web_port" 2>/dev/null &&
	fail "the web port still accepts connections after shutdown"
echo "ok"
