# Circus's own semantics on the wire, as circusd 0.19 behaves (shared PROTOCOL.md, "measured side
# by side"): the order and set of events on the PUB socket (start, stop with and without SIGKILL
# escalation, decr, the kill command), incr/decr replies (plain ok without waiting, singleton),
# signal's childpid/children/recursive, rm with nostop, and case-insensitive watcher names.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
"$PY" -c 'import zmq' 2>/dev/null || fail "python3-zmq is missing (make test-deps)"

EV=$(sleeper ev); KEEP=$(sleeper keep); SOLO=$(sleeper solo); MIX=$(sleeper mix)
TP=$(sleeper tree-p); TA=$(sleeper tree-a); TB=$(sleeper tree-b); TC=$(sleeper tree-c)
cat >"$CONF" <<YAML
watchers:
  ev:
    cmd: $EV 3600
    numprocesses: 2
    autostart: false
    graceful_timeout: 2
    ready: {delay: 0.2s}
  stubborn:
    cmd: /bin/sh -c 'trap "" TERM; while :; do sleep 0.1; done' $T-stubborn
    autostart: false
    graceful_timeout: 0.3
    ready: {delay: 0.2s}
  tree:
    # tree-p has two children, tree-a and tree-c; tree-c has one, tree-b
    cmd: /bin/sh -c '$TA 3600 & /bin/sh -c "$TB 3600 & exec $TC 3600" & exec $TP 3600'
    ready: {delay: 0.2s}
    stop_children: true
  keep:
    cmd: $KEEP 3600
    numprocesses: 2
    ready: {delay: 0.2s}
  solo:
    cmd: $SOLO 3600
    singleton: true
    ready: {delay: 0.2s}
  Mixed:
    cmd: $MIX 3600
    ready: {delay: 0.2s}
YAML
start_daemon

"$PY" - "ipc://$T/run/control.sock" "ipc://$T/run/events.sock" "$DPID" "$T" <<'PYEOF' || fail "wire checks failed (see above)"
import json, os, sys, time, uuid
import zmq

CONTROL, EVENTS, DPID, TDIR = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ctx = zmq.Context()
ctl = ctx.socket(zmq.DEALER)
ctl.setsockopt(zmq.LINGER, 0)
ctl.setsockopt(zmq.IDENTITY, uuid.uuid4().hex.encode())
ctl.connect(CONTROL)
sub = ctx.socket(zmq.SUB)
sub.setsockopt(zmq.LINGER, 0)
sub.setsockopt(zmq.SUBSCRIBE, b"watcher.")
sub.connect(EVENTS)
seq = [0]
events = []          # (topic, payload) in the order received
failures = []

def call(command, **props):
    seq[0] += 1
    mid = "w-%d" % seq[0]
    ctl.send(json.dumps({"id": mid, "command": command, "properties": props}).encode())
    if not ctl.poll(15000):
        raise AssertionError("no reply to %s %r" % (command, props))
    reply = json.loads(ctl.recv())
    assert reply.get("id") == mid, reply
    return reply

def ok(reply):
    assert reply.get("status") == "ok", reply
    return reply

def pump(timeout=0.05):
    while sub.poll(int(timeout * 1000)):
        topic, body = sub.recv_multipart()
        events.append((topic.decode(), json.loads(body)))
        timeout = 0

def wait_until(cond, timeout, what):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for " + what)
        pump(0.02)

def children(pid=DPID):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []

def pids(mark, parent=DPID):
    out = []
    for p in children(parent):
        try:
            with open("/proc/%d/cmdline" % p, "rb") as f:
                if (TDIR + "/" + mark + "\0").encode() in f.read():
                    out.append(p)
        except OSError:
            pass
    return sorted(out)

def alive(pid):
    try:
        os.kill(pid, 0)
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return False

def of(name, since):
    """[(event, pid or None)] of watcher NAME published since index SINCE."""
    return [(t.split(".")[2], p.get("process_pid")) for t, p in events[since:]
            if t.startswith("watcher.%s." % name)]

def check(fn):
    try:
        fn()
        print("  ok    " + fn.__name__)
    except Exception as e:
        failures.append(fn.__name__)
        print("  FAIL  %s: %r" % (fn.__name__, e))
    return fn

# PUB/SUB: the subscription reaches the daemon after a while; an add's event proves it did.
for i in range(100):
    ok(call("add", name="probe%d" % i, cmd="/bin/true"))
    pump(0.05)
    ok(call("rm", name="probe%d" % i))
    if any(t == "watcher.probe%d.add" % i for t, _ in events):
        break
else:
    sys.exit("the event subscription never took")
wait_until(lambda: all(ok(call("status"))["statuses"][name] == "active"
                       for name in ("keep", "solo", "tree", "Mixed")), 10, "the watchers up")

@check
def start_publishes_spawns_then_start():
    mark = len(events)
    ok(call("start", name="ev", waiting=True))
    wait_until(lambda: ("start", None) in of("ev", mark), 5, "ev start event")
    seen, running = of("ev", mark), pids("ev")
    assert seen == [("spawn", running[0]), ("spawn", running[1]), ("start", None)] or \
        seen == [("spawn", running[1]), ("spawn", running[0]), ("start", None)], seen

@check
def decr_publishes_kill_but_no_reap():
    mark = len(events)
    before = pids("ev")
    r = ok(call("decr", name="ev"))
    assert "numprocesses" not in r, "decr without waiting: circusd answers a plain ok: %r" % r
    wait_until(lambda: len(pids("ev")) == 1, 5, "ev down to 1")
    gone = [p for p in before if p not in pids("ev")][0]
    wait_until(lambda: not alive(gone), 5, "the decr'd process gone")
    pump(0.2)
    assert of("ev", mark) == [("kill", gone)], of("ev", mark)

@check
def kill_command_publishes_kill_then_spawn_and_no_reap():
    mark = len(events)
    victim = pids("ev")[0]
    ok(call("kill", name="ev", waiting=True))
    wait_until(lambda: pids("ev") and pids("ev") != [victim], 5, "ev respawned")
    wait_until(lambda: len(of("ev", mark)) >= 2, 5, "kill's events")
    pump(0.2)
    assert of("ev", mark) == [("kill", victim), ("spawn", pids("ev")[0])], of("ev", mark)

@check
def stop_publishes_kill_reap_then_stop():
    mark = len(events)
    victim = pids("ev")[0]
    ok(call("stop", name="ev", waiting=True))
    wait_until(lambda: ("stop", None) in of("ev", mark), 5, "ev stop event")
    pump(0.1)
    assert of("ev", mark) == [("kill", victim), ("reap", victim), ("stop", None)], of("ev", mark)
    reap = [p for t, p in events[mark:] if t == "watcher.ev.reap"][0]
    assert reap["exit_code"] == -15, reap

@check
def escalation_to_sigkill_publishes_a_second_kill():
    mark = len(events)
    ok(call("start", name="stubborn", waiting=True))
    wait_until(lambda: ("start", None) in of("stubborn", mark), 5, "stubborn start event")
    victim = of("stubborn", mark)[0][1]
    mark = len(events)
    ok(call("stop", name="stubborn", waiting=True))
    wait_until(lambda: ("stop", None) in of("stubborn", mark), 5, "stubborn stop event")
    pump(0.1)
    assert of("stubborn", mark) == [("kill", victim), ("kill", victim), ("reap", victim),
                                    ("stop", None)], of("stubborn", mark)

@check
def kill_leaves_a_process_already_stopping_to_its_own_stop():
    # As circusd: a decr'd process is no longer the watcher's; a kill during its stop (it ignores
    # SIGTERM, and its SIGKILL is 1.5 s away) signals only the other process.
    ok(call("set", name="stubborn", options={"graceful_timeout": 1.5}))
    ok(call("start", name="stubborn", waiting=True))
    ok(call("incr", name="stubborn", waiting=True))
    both = ok(call("list", name="stubborn"))["pids"]
    assert len(both) == 2, both
    mark = len(events)
    ok(call("decr", name="stubborn"))
    wait_until(lambda: any(e == "kill" for e, _ in of("stubborn", mark)), 5, "the decr's kill")
    decr_kills = [p for e, p in of("stubborn", mark) if e == "kill"]
    assert len(decr_kills) == 1, of("stubborn", mark)
    leaving = decr_kills[0]
    staying = [p for p in both if p != leaving][0]
    mark = len(events)
    ok(call("kill", name="stubborn", signum=9))
    pump(0.3)
    assert alive(leaving), "the decr'd process was killed before its graceful_timeout"
    assert [p for e, p in of("stubborn", mark) if e == "kill"] == [staying], of("stubborn", mark)
    ok(call("set", name="stubborn", options={"graceful_timeout": 0.3}))
    ok(call("stop", name="stubborn", waiting=True))

@check
def incr_answers_as_circusd():
    r = ok(call("incr", name="keep"))
    assert "numprocesses" not in r, "without waiting circusd answers a plain ok: %r" % r
    r = ok(call("incr", name="keep", waiting=True))
    assert r.get("numprocesses") == 4 and "singleton" not in r, r
    ok(call("decr", name="keep", nb=2, waiting=True))
    wait_until(lambda: len(pids("keep")) == 2, 5, "keep back to 2")
    for command in ("incr", "decr"):
        for waiting in (False, True):
            r = ok(call(command, name="solo", waiting=waiting))
            assert r.get("numprocesses") == 1 and r.get("singleton") is True, (command, r)
    assert len(pids("solo")) == 1 and ok(call("numprocesses", name="solo"))["numprocesses"] == 1

@check
def set_publishes_updated_even_without_a_change():
    for value in (3, 3):  # a change, then the same value again
        mark = len(events)
        ok(call("set", name="solo", options={"graceful_timeout": value}))
        wait_until(lambda: of("solo", mark), 5, "watcher.solo.updated")
        pump(0.1)
        assert of("solo", mark) == [("updated", None)], of("solo", mark)

def tree():
    p = pids("tree-p")
    if len(p) != 1:  # being respawned
        return None, [], [], []
    a, c = pids("tree-a", p[0]), pids("tree-c", p[0])
    b = pids("tree-b", c[0]) if c else []
    return p[0], a, c, b

@check
def signal_childpid_signals_only_that_child():
    wait_until(lambda: all(tree()[1:]), 5, "the whole tree up")
    p, [a], [c], [b] = tree()
    r = call("signal", name="tree", pid=p, childpid=b, signum="TERM")  # a grandchild
    assert r.get("status") == "error", "childpid %d is not a child of %d: %r" % (b, p, r)
    r = call("signal", name="tree", childpid=a, signum="TERM")
    assert r.get("status") == "error", "childpid without pid: %r" % r
    ok(call("signal", name="tree", pid=p, childpid=a, signum="TERM"))
    wait_until(lambda: not alive(a), 5, "tree-a gone")
    time.sleep(0.1)
    assert alive(p) and alive(c) and alive(b), "signalled more than the child"

@check
def signal_children_spares_the_process_and_grandchildren():
    p, a, [c], [b] = tree()
    ok(call("signal", name="tree", pid=p, children=True, signum="TERM"))
    wait_until(lambda: not alive(c), 5, "tree-c gone")
    time.sleep(0.1)
    assert alive(p), "children: true signalled the process itself"
    assert alive(b), "children: true signalled a grandchild"
    os.kill(b, 9)

@check
def signal_recursive_signals_the_whole_tree():
    ok(call("restart", name="tree", waiting=True))
    wait_until(lambda: all(tree()[1:]), 5, "the new tree up")
    p, [a], [c], [b] = tree()
    ok(call("signal", name="tree", recursive=True, signum="TERM"))
    wait_until(lambda: not any(alive(x) for x in (p, a, c, b)), 5, "the whole tree gone")

@check
def stop_with_stop_children_publishes_a_kill_for_each_child():
    wait_until(lambda: all(tree()[1:]), 5, "the tree up")
    p, [a], [c], [b] = tree()
    mark = len(events)
    ok(call("stop", name="tree", waiting=True))
    wait_until(lambda: ("stop", None) in of("tree", mark), 5, "tree stop event")
    # p may be the respawn of the process an earlier check signalled: its spawn event, still on
    # its way when the mark was taken, may come after it.
    seen = [e for e in of("tree", mark) if e != ("spawn", p)]
    assert seen[0] == ("kill", p) and sorted(seen[1:3]) == sorted([("kill", a), ("kill", c)]) \
        and seen[3:] == [("reap", p), ("stop", None)], seen
    ok(call("start", name="tree"))

@check
def rm_nostop_leaves_the_processes_running():
    kept = pids("keep")
    assert len(kept) == 2, kept
    ok(call("rm", name="keep", nostop=True, waiting=True))
    assert "keep" not in ok(call("list"))["watchers"]
    time.sleep(0.3)
    assert all(alive(p) for p in kept), "rm nostop stopped %r" % kept
    # Forgotten: the name is free at once, and an exit is reaped, not respawned.
    ok(call("add", name="keep", cmd=TDIR + "/keep 3600", start=True))
    wait_until(lambda: len([p for p in pids("keep") if p not in kept]) == 1, 5, "a new keep")
    os.kill(kept[0], 15)
    wait_until(lambda: kept[0] not in children(), 5, "the released process reaped")
    time.sleep(0.2)
    assert len(pids("keep")) == 2, "a released process was replaced: %r" % pids("keep")

@check
def watcher_names_ignore_case():
    # (status with a name: Circus's quirk puts the state in "status")
    assert call("status", name="MIXED")["status"] == "active"
    assert call("status", name="mixed")["status"] == "active"
    assert "Mixed" in ok(call("list"))["watchers"], "names are shown as configured"
    assert ok(call("list", name="mIxEd"))["pids"] == pids("mix")
    r = call("add", name="MIXED", cmd="/bin/true")
    assert r.get("status") == "error", "a second watcher differing only in case: %r" % r
    mark = len(events)
    old = pids("mix")
    ok(call("restart", name="MIXED", waiting=True))
    wait_until(lambda: ("start", None) in of("mixed", mark), 5, "watcher.mixed.start")
    # A restart: the stop's events (kill, reap, stop), then the start's (spawn, start).
    assert of("mixed", mark) == [("kill", old[0]), ("reap", old[0]), ("stop", None),
                                 ("spawn", pids("mix")[0]), ("start", None)], of("mixed", mark)

sys.exit(1 if failures else 0)
PYEOF

# The released process outlives the daemon's shutdown (it is not an orphan to clean up).
managed=$("$CTL" pid keep) || fail "cirquectl pid keep: $managed"
released=$(children_matching "$KEEP" | grep -vx "$managed")
[ -n "$released" ] || fail "the released keep process is gone"
out=$("$CTL" status MIXED) || fail "cirquectl status MIXED: $out"
echo "$out" | grep -q "^Mixed .*RUNNING" || fail "cirquectl status MIXED: $out"
out=$("$CTL" incr solo) || fail "cirquectl incr solo: $out"
echo "$out" | grep -q "singleton" || fail "cirquectl incr solo: $out"
out=$("$CTL" incr keep) || fail "cirquectl incr keep: $out"
[ "$out" = "keep: 2 processes" ] || fail "cirquectl incr keep: $out"
cat >"$T/dup.yaml" <<YAML
watchers:
  web:
    cmd: /bin/true
  WEB:
    cmd: /bin/true
YAML
out=$("$CIRQUED" --check -c "$T/dup.yaml" 2>&1) && fail "web and WEB accepted: $out"
echo "$out" | grep -q "dup.yaml:4:.*duplicate watcher name 'WEB'" || fail "web and WEB: $out"
stop_daemon TERM
kill -0 "$released" 2>/dev/null || fail "the daemon's shutdown stopped the process rm --nostop released"
kill "$released"
echo ok
