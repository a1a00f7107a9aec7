# Attack: the `ready: {unix: PATH}` probe connects as root through a link. cirqued (root) probes a
# starting process every 0.1 s with connect(2) on PATH, and connect follows symbolic links, in the
# last component and in every directory on the way. PATH is naturally in the program's own
# directory (here one owned by nobody, whose watcher runs as nobody), so its user plants a link
# there and root connects to whatever socket the link names: a root-only socket that nobody
# itself cannot reach (in a 0700 directory), e.g. a service that acts on each connection
# (systemd's Accept=yes sockets start a unit per connection) or that trusts SO_PEERCRED uid 0.
# The same probe also marks the process "ready" on a socket it never bound.
#   last     app.sock -> the root-only socket
#   dir      sub -> the root-only directory, PATH = .../sub/root.sock
# Expected: cirqued never connects to the root-only socket (it refuses the link, or probes
# without following what others can change); the root listener sees no connection.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || { echo "skipped: needs $PY for the root listener"; exit 0; }

APP=$T/app            # the program's directory: nobody's
PRIV=$T/private       # root-only
mkdir -m 755 "$APP"
chown "$NOBODY:$NOBODY" "$APP"
mkdir -m 700 "$PRIV"

# A root-only service: counts connections and records each peer's uid.
cat >"$T/listener.py" <<'PY'
import os, socket, struct, sys
path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
os.chmod(path, 0o600)
s.listen(64)
open(log + ".up", "w").close()
while True:
    c, _ = s.accept()
    pid, uid, gid = struct.unpack("3i", c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
    with open(log, "a") as f:
        f.write("connection from pid %d uid %d\n" % (pid, uid))
    c.close()
PY
"$PY" "$T/listener.py" "$PRIV/root.sock" "$T/accepted" &
LPID=$!
wait_for 5 '[ -e "$T/accepted.up" ]' || fail "the root listener did not start"
connections() { [ -f "$T/accepted" ] && grep -c "^connection" "$T/accepted" || echo 0; }

# nobody alone cannot reach it: that is what makes a root connection a gain.
if as_nobody "$PY" -c 'import socket,sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' \
	"$PRIV/root.sock" 2>/dev/null; then
	fail "nobody can reach $PRIV/root.sock by itself: the test proves nothing"
fi
[ "$(connections)" = 0 ] || fail "the listener counted a connection before the daemon started"

# Planted before the watchers start.
as_nobody ln -s "$PRIV/root.sock" "$APP/app.sock" || fail "nobody cannot write $APP"
as_nobody ln -s "$PRIV" "$APP/sub" || fail "nobody cannot write $APP"

S=$(sleeper probed)
cat >"$CONF" <<YAML
watchers:
  last:
    cmd: $S 3600
    uid: nobody
    ready: {unix: $APP/app.sock}
    ready_timeout: 60s
    autostart: false
  dir:
    cmd: $S 3600
    uid: nobody
    ready: {unix: $APP/sub/root.sock}
    ready_timeout: 60s
    autostart: false
YAML
start_daemon

for w in last dir; do
	before=$(connections)
	"$CTL" start --no-wait "$w" >/dev/null 2>&1 || note "cirquectl start $w failed"
	# The probe runs every 0.1 s: 3 s is thirty attempts.
	wait_for 3 '[ "$(connections)" -gt '"$before"' ]'
	grep -q "watcher $w\[1\]: spawned pid" "$DLOG" || fail "$w never spawned: the probe was not exercised"
	after=$(connections)
	if [ "$after" -gt "$before" ]; then
		attack_succeeded "$w: cirqued connected $((after - before)) time(s) as root to $PRIV/root.sock through nobody's link ($(tail -n 1 "$T/accepted"))"
	fi
	"$CTL" stop --no-wait "$w" >/dev/null 2>&1
done

kill "$LPID" 2>/dev/null
kill -0 "$DPID" 2>/dev/null || fail "the daemon died"
# The refusal is not silent: a link that will not be followed is said once, in the log.
grep -q "watcher last\[1\]: ready probe refused: .*link.*not followed" "$DLOG" ||
	fail "the refused probe was not logged"
finish
