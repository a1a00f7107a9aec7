# Clients that misbehave on the control and event sockets (what test_protocol.sh does not cover):
# - a DEALER that sends up to 5000 `tail` requests (64 KiB replies) and never reads a reply (once
#   the daemon closes its connection, its own libzmq stops sending: a peer that hung up while the
#   client's input was stalled is only noticed when the client reads);
# - a SUB subscribed to every output stream of a chatty child, that never reads;
# - raw connections to the ipc socket: one silent, one speaking HTTP, one that sends half of a
#   multipart message and vanishes, one that announces a 1 TiB frame (over the 1 MiB cap), one
#   that vanishes in the middle of a 1 MB frame, one that sends JSON nested 500000 deep.
# Asserted: meanwhile cirquectl still answers (within a generous timeout) and the chatty child is
# never held up (its output goes on); the daemon's memory stays bounded (for a client that does
# not read, the control socket holds 64 replies in its pipe and up to 16 MiB in its outbox, then
# names it in a warning, drops its replies and closes its connection; the event socket queues 256
# messages per subscriber: under 48 MB of growth) and it does not spin; the
# oversized frame is refused at once (connection closed, no allocation); the deep JSON gets an
# error reply; once the clients are gone the daemon holds as many descriptors as before, answers,
# and exits 0 on SIGTERM.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
"$PY" -c 'import zmq' 2>/dev/null || fail "python3-zmq is missing (import zmq fails in $PY): apt-get install python3-zmq"

# 64 KiB of output at once (the tail ring is full), then a numbered line every 10 ms.
cat >"$T/chatty.sh" <<'SH'
head -c 70000 /dev/zero | tr '\0' x | fold -w 99
i=0
while :; do i=$((i + 1)); echo "n $i"; sleep 0.01; done
SH
S=$(sleeper idle)
cat >"$CONF" <<YAML
watchers:
  chatty:
    cmd: /bin/sh $T/chatty.sh
    stdout: {file: $T/chatty.log}
  idle:
    cmd: $S 3600
YAML
# Under SANITIZE=1, AddressSanitizer keeps freed memory in a 256 MB quarantine, which would
# swamp the memory figure; a small one still catches use-after-free (ignored by other builds).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"
start_daemon
wait_count "$S" 1
wait_for 10 '"$CTL" status >"$T/st" 2>&1 && [ "$(grep -c RUNNING "$T/st")" -eq 2 ]' || fail "not all RUNNING: $(cat "$T/st")"

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$DPID/status"; }
fds() { ls "/proc/$DPID/fd" 2>/dev/null | wc -l; }
ticks() { awk '{ print $14 + $15 }' "/proc/$DPID/stat"; }
# quiet: the daemon uses at most a tenth of a CPU for a second (it reads chatty's 100 lines a
# second; a flood being worked through, or a spin, takes a whole CPU).
quiet() { local a; a=$(ticks); sleep 1; [ $(( $(ticks) - a )) -le $(( $(getconf CLK_TCK) / 10 )) ]; }
latest() { "$CTL" tail -n 1 chatty 2>/dev/null | awk '$1 == "n" { print $2 + 0 }'; }
answers() {
	out=$("$CTL" --timeout 10 status 2>&1) && [ "$(grep -c RUNNING <<<"$out")" -eq 2 ] ||
		fail "cirquectl status did not answer (or not all RUNNING) $1: $out"
}
wait_for 10 '[ -n "$(latest)" ]' || fail "chatty's output does not reach the tail buffer"
wait_for 20 quiet || fail "the daemon is never idle"
base_fds=$(fds)
base_rss=$(rss)

cat >"$T/clients.py" <<'PY'
import json, os, socket, struct, sys, time, zmq

control, events, mode = sys.argv[1], sys.argv[2], sys.argv[3]

def flag(name, text=""):
    with open(os.path.join(os.environ["T"], name), "w") as f:
        f.write(text)

def wait_release(name):
    end = time.monotonic() + 60
    while not os.path.exists(os.path.join(os.environ["T"], name)) and time.monotonic() < end:
        time.sleep(0.05)

if mode == "flood":
    # Requests with big replies, never a recv; a small receive queue of our own.
    ctx = zmq.Context()
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVHWM, 1)
    s.setsockopt(zmq.RCVBUF, 4096)
    s.connect(control)
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.RCVHWM, 1)
    sub.setsockopt(zmq.RCVBUF, 4096)
    sub.setsockopt(zmq.SUBSCRIBE, b"stream.")
    sub.connect(events)
    body = json.dumps({"id": "flood", "command": "tail",
                       "properties": {"name": "chatty", "lines": 100000}}).encode()
    sent, end, refused_since = 0, time.monotonic() + 60, None
    while sent < 5000 and time.monotonic() < end:
        try:
            s.send(body, zmq.NOBLOCK)
            sent += 1
            refused_since = None
        except zmq.Again:
            refused_since = refused_since or time.monotonic()
            if time.monotonic() - refused_since > 3:
                break
            time.sleep(0.002)
    flag("flood.sent", "%d\n" % sent)
    wait_release("flood.release")
    s.close()
    sub.close()
    ctx.term()
    sys.exit(0)

# Raw connections to the ipc socket: ZMTP 3.0 spoken by hand.
path = control[len("ipc://"):]

def connect():
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(5)
    c.connect(path)
    return c

def recv_exactly(c, n):
    data = b""
    while len(data) < n:
        chunk = c.recv(n - len(data))
        if not chunk:
            raise EOFError("closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data

def read_frame(c):
    flags = recv_exactly(c, 1)[0]
    size = struct.unpack(">Q", recv_exactly(c, 8))[0] if flags & 2 else recv_exactly(c, 1)[0]
    return flags, recv_exactly(c, size)

def frame(data, more=False):
    if len(data) < 256:
        return bytes([1 if more else 0, len(data)]) + data
    return bytes([3 if more else 2]) + struct.pack(">Q", len(data)) + data

def handshake(c):
    c.sendall(b"\xff" + b"\0" * 8 + b"\x7f" + b"\x03\x00" + b"NULL".ljust(20, b"\0") + b"\0" * 32)
    greeting = recv_exactly(c, 64)
    assert greeting[0] == 0xff and greeting[9] == 0x7f, greeting
    ready = (b"\x05READY" + b"\x0bSocket-Type" + struct.pack(">I", 6) + b"DEALER")
    c.sendall(bytes([4, len(ready)]) + ready)
    flags, body = read_frame(c)
    assert flags & 4 and body[1:6] == b"READY", body

def request(c, body):
    c.sendall(frame(body))
    parts = []
    while True:
        flags, data = read_frame(c)
        parts.append(data)
        if not flags & 1:
            return parts

def closed_by_peer(c, within):
    c.settimeout(within)
    try:
        while c.recv(4096):
            pass
        return True
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True

problems = []
held = []
# a silent client and one that speaks HTTP: both stay connected meanwhile
silent = connect()
held.append(silent)
http = connect()
http.sendall(b"GET / HTTP/1.1\r\nHost: cirque\r\n\r\n")
held.append(http)
# a well-behaved raw client works
ok = connect()
handshake(ok)
reply = json.loads(request(ok, b'{"id": "raw", "command": "numwatchers"}')[0])
if reply.get("numwatchers") != 2:
    problems.append("raw client: unexpected reply %r" % reply)
# half of a multipart message, then gone
c = connect()
handshake(c)
c.sendall(frame(b'{"id": "half", "command": "numwatchers"}', more=True))
c.close()
# a frame announced at 1 TiB: refused at once (ZMQ_MAXMSGSIZE), nothing allocated
c = connect()
handshake(c)
c.sendall(b"\x02" + struct.pack(">Q", 1 << 40) + b"{" * 1000)
if not closed_by_peer(c, 5):
    problems.append("a 1 TiB frame announcement did not get the connection closed within 5 s")
c.close()
# half of a 1 MB frame (under the cap), then gone
c = connect()
handshake(c)
c.sendall(b"\x02" + struct.pack(">Q", 1000000) + b"x" * 500000)
c.close()
# JSON nested 500000 deep: an error reply, not a stack overflow
c = connect()
handshake(c)
try:
    reply = json.loads(request(c, b"[" * 500000)[0])
    if reply.get("status") != "error":
        problems.append("deep JSON: reply %r" % reply)
except (EOFError, socket.timeout) as e:
    problems.append("deep JSON: no reply (%s)" % e)
c.close()
# the well-behaved one still works
reply = json.loads(request(ok, b'{"id": "raw2", "command": "numwatchers"}')[0])
if reply.get("numwatchers") != 2:
    problems.append("raw client after the others: unexpected reply %r" % reply)
held.append(ok)
flag("raw.done", "".join(p + "\n" for p in problems))
wait_release("raw.release")
for c in held:
    c.close()
sys.exit(1 if problems else 0)
PY
export T

# --- 1. a DEALER that never reads its replies, and a SUB that never reads its messages ---
n0=$(latest)
"$PY" "$T/clients.py" "ipc://$T/run/control.sock" "ipc://$T/run/events.sock" flood &
FLOOD=$!
peak=$(rss)
# cirquectl answers while the flood goes on, again and again.
for i in 1 2 3 4 5; do
	answers "while a client floods the daemon without reading ($i)"
	r=$(rss); [ "$r" -gt "$peak" ] && peak=$r
	sleep 0.3
done
wait_for 60 '[ -e "$T/flood.sent" ] || ! kill -0 $FLOOD 2>/dev/null' || fail "the flooding client hangs"
sent=$(cat "$T/flood.sent" 2>/dev/null)
# 256 of its 64 KiB replies are beyond the 16 MiB its outbox may hold.
[ "${sent:-0}" -ge 1000 ] || fail "the flooding client sent only $sent requests"
# Once the daemon has worked through them all, the memory is what it keeps.
wait_for 60 'r=$(rss); [ "$r" -gt "$peak" ] && peak=$r; quiet' || fail "the daemon does not settle after the flood"
r=$(rss); [ "$r" -gt "$peak" ] && peak=$r
answers "after the flood, with the flooding client still connected"
note "RSS ${base_rss} kB before, peak ${peak} kB with a client sending $sent requests for 64 KiB replies it does not read"
[ $((peak - base_rss)) -lt 49152 ] || fail "the daemon grew by $((peak - base_rss)) kB for one client that does not read"
grep -q "control: client .*(pid [0-9]*) does not read its replies: .*closing its connection" "$DLOG" ||
	fail "no warning naming the client that does not read"
note "$(grep -c "does not read its replies" "$DLOG") warnings: $(grep -m1 "does not read its replies" "$DLOG" | cut -c25-)"
# The chatty child is not held up by the subscriber that does not read.
wait_for 10 '[ "$(latest)" -ge $((n0 + 100)) ]' || fail "chatty's output stalled while a subscriber did not read ($n0 -> $(latest))"
touch "$T/flood.release"
wait "$FLOOD" || fail "the flooding client failed"
answers "after the flooding client left"

# --- 2. raw connections ---
"$PY" "$T/clients.py" "ipc://$T/run/control.sock" "ipc://$T/run/events.sock" raw &
RAW=$!
wait_for 30 '[ -e "$T/raw.done" ] || ! kill -0 $RAW 2>/dev/null' || fail "the raw clients hang"
kill -0 "$DPID" 2>/dev/null || fail "the daemon died under the raw clients"
[ -e "$T/raw.done" ] || fail "the raw clients failed (see above)"
[ -s "$T/raw.done" ] && fail "raw clients: $(cat "$T/raw.done")"
# The silent and the HTTP connection are still open: the daemon still answers.
answers "with a silent and an HTTP connection open"
touch "$T/raw.release"
wait "$RAW" || fail "the raw clients failed"

# --- afterwards: as before ---
wait_for 20 '[ "$(fds)" -eq "$base_fds" ]' || fail "$(fds) descriptors after the clients left, $base_fds before"
wait_for 20 quiet || fail "the daemon keeps using CPU after the clients left"
answers "at the end"
m=$(latest)
wait_for 10 '[ "$(latest)" -ge $((m + 50)) ]' || fail "chatty's output stalled"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
echo ok
