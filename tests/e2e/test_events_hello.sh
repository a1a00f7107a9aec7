# A subscriber cannot tell when its subscriptions reach the daemon, so `tail -f` could lose the
# lines published between its history and then. The event socket answers a subscription to
# cirque.hello.<anything> with a message ({}) on that very topic, to that subscriber (not to others),
# once the subscriptions sent before it are in force: a line published after the answer reaches
# the subscriber. Checked with two raw SUB sockets (a JSON body, as on Circus's topics), then
# `cirquectl tail -f` on a fast stream: its tail request names that topic as a "mark", published
# right after the history's snapshot, so no line is missing or shown twice where they join.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
"$PY" -c 'import zmq' 2>/dev/null || fail "python3-zmq is missing (make test-deps)"

cat >"$CONF" <<YAML
watchers:
  ticker:
    cmd: /bin/sh -c 'i=0; while :; do i=\$((i+1)); echo "tick \$i"; sleep 0.005; done'
YAML
start_daemon

"$PY" - "ipc://$T/run/events.sock" <<'PYEOF' || fail "hello checks failed"
import sys, time
import zmq

ctx = zmq.Context()
def subscriber(*topics):
    s = ctx.socket(zmq.SUB)
    s.setsockopt(zmq.LINGER, 0)
    for t in topics:
        s.setsockopt(zmq.SUBSCRIBE, t)
    s.connect(sys.argv[1])
    return s

a = subscriber(b"stream.ticker.", b"cirque.hello.a-1")
b = subscriber(b"cirque.hello.b-2")
got = {a: [], b: []}
end = time.monotonic() + 5
while time.monotonic() < end and not all(any(t.startswith(b"cirque.hello.") for t, _ in got[s]) for s in (a, b)):
    for s in (a, b):
        while s.poll(10):
            got[s].append(tuple(s.recv_multipart()))
hellos_a = [m for m in got[a] if m[0].startswith(b"cirque.hello.")]
hellos_b = [m for m in got[b] if m[0].startswith(b"cirque.hello.")]
assert hellos_a == [(b"cirque.hello.a-1", b"{}")], got[a][:5]
assert hellos_b == [(b"cirque.hello.b-2", b"{}")], got[b][:5]
# After its hello, a's stream flows: the subscription before the hello is in force.
first = len(got[a])
end = time.monotonic() + 3
while time.monotonic() < end and len(got[a]) < first + 5:
    if a.poll(50):
        got[a].append(tuple(a.recv_multipart()))
assert len(got[a]) >= first + 5 and got[a][-1][0].startswith(b"stream.ticker."), got[a][-3:]
# A hello topic another client holds already is still answered (a topic can be guessed).
def hello_of(sock, topic, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if sock.poll(50) and sock.recv_multipart()[0] == topic:
            return True
    return False
first = subscriber(b"cirque.hello.taken")
assert hello_of(first, b"cirque.hello.taken", 5), "no answer to the first holder"
second = subscriber(b"cirque.hello.taken")
assert hello_of(second, b"cirque.hello.taken", 2), "a hello topic held by another was not answered"
# Not a hello: nothing comes back on a topic of another prefix.
c = subscriber(b"cirque.other.x")
assert not c.poll(500), "an answer to a subscription that is not a hello"
print("ok")
PYEOF

# A tail's mark must be a hello topic: no other topic is published on a client's word.
out=$(request '{"id": "m1", "command": "tail", "properties": {"name": "ticker", "mark": "watcher.ticker.stop"}}')
grep -q '"status": *"error"' <<<"$out" || fail "a tail with a mark that is not a hello topic: $out"

# tail -f on a stream of a line per 5 ms: the history and the live lines join exactly once
# (no line missing, none twice).
for round in 1 2 3 4 5; do
	"$CTL" tail -f -n 5 ticker >"$T/f$round.out" 2>"$T/f$round.err" &
	fpid=$!
	wait_for 10 'grep -q "Press Ctrl-C" "$T/f$round.err"' || fail "tail -f did not start: $(cat "$T/f$round.err")"
	wait_for 20 '[ "$(grep -c "^tick " "$T/f$round.out")" -ge 20 ]' || fail "tail -f round $round: too few lines: $(wc -l <"$T/f$round.out")"
	kill -INT "$fpid"
	wait "$fpid"
	gap=$(awk '/^tick / { n = $2 + 0; if (seen && n != last + 1) { print last " -> " n; exit } last = n; seen = 1 }' "$T/f$round.out")
	[ -z "$gap" ] || fail "tail -f round $round: lines missing or twice: $gap"
done
stop_daemon TERM
echo ok
