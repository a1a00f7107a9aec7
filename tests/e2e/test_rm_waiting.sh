# A name is not reused while its old processes run. The processes of `stub` ignore SIGTERM and
# take their whole graceful_timeout (2 s) to go; a `set` that changes their definition replaces
# them (old ones stop, then new ones start). Then:
#   - a waiting `rm` answers only once every process of the watcher, old and new, is gone;
#   - `add` of the same name while old processes still stop is accepted, but its processes start
#     only once the old ones are gone (a waiting add answers then); a plain `rm` then `add` too;
#   - a waiting `stop` after such a `set` answers once the old processes are gone;
#   - two `set`s in a row, and an explicit `start` meanwhile, never run two generations at once;
#   - nor does a reload (SIGHUP) that removes the watcher, then one that brings it back.
# A sampler reads the daemon's children from /proc all along: never more than numprocesses (2)
# processes of `stub` at once, and never an old and a new one side by side (a process is a child
# until the daemon reaps it, and it spawns the new ones after that).
# long: about 15 s (six cases that each wait out a graceful_timeout of 2 s)
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
"$PY" -c 'import zmq' 2>/dev/null || fail "python3-zmq is missing in $PY (make test-deps)"

STUB="/bin/sh -c 'trap \"\" TERM; while :; do sleep 0.2; done' $T-stub"
cat >"$T/with.yaml" <<YAML
watchers:
  stub:
    cmd: $STUB
    numprocesses: 2
    graceful_timeout: 2s
    ready: {delay: 0.2s}
YAML
printf 'watchers:\n  other:\n    cmd: %s 3600\n' "$(sleeper other)" >"$T/without.yaml"
cp "$T/with.yaml" "$CONF"
start_daemon
wait_count "$T-stub" 2

ROOT="$ROOT" CIRQUE_TEST_DIR="$T" STUB_CMD="$STUB" CONF="$CONF" "$PY" - "ipc://$T/run/control.sock" "$DPID" <<'PYEOF' || fail "see above"
import os, signal, sys
sys.path.insert(0, os.path.join(os.environ.get("ROOT", "."), "tests/e2e"))
from lifecycle_client import Client, Sampler, alive, children, cmdline, environ, wait_until

endpoint, dpid = sys.argv[1], int(sys.argv[2])
T = os.environ["CIRQUE_TEST_DIR"]
MARK = T + "-stub"
ADD = {"name": "stub", "cmd": os.environ["STUB_CMD"], "start": True,
       "options": {"numprocesses": 2, "graceful_timeout": 2, "ready": {"delay": "0.2s"}}}
c = Client(endpoint)


def install(name):
    with open(os.path.join(T, name)) as src, open(os.environ["CONF"] + ".new", "w") as dst:
        dst.write(src.read())
    os.rename(os.environ["CONF"] + ".new", os.environ["CONF"])


sampler = Sampler(dpid, [MARK])
sampler.start()


def stubs():
    return sorted(p for p in children(dpid) if MARK in cmdline(p))


def ok(reply, what):
    assert reply.get("status") == "ok", "%s: %r" % (what, reply)
    return reply


def running_two():
    return len(stubs()) == 2 and c.call("status", {"name": "stub"}).get("status") == "active"


def check_generations(what, old):
    """No sample held an old process and a new one at once; never more than 2 processes."""
    peak, seen = sampler.snapshot(MARK)
    assert peak <= 2, "%s: %d processes of stub at once: %r" % (what, peak, seen)
    for pids in seen:
        if pids & old and pids - old:
            raise AssertionError("%s: old %r and new %r ran side by side"
                                 % (what, sorted(pids & old), sorted(pids - old)))
    print("  %s: peak %d, %d samples" % (what, peak, sampler.samples))


failures = 0


def case(fn):
    global failures
    try:
        fn()
    except AssertionError as e:
        failures += 1
        print("FAIL %s: %s" % (fn.__name__, e))
        return
    print("ok   %s" % fn.__name__)


@case
def waiting_rm_after_set_answers_when_every_process_is_gone():
    wait_until(running_two, 15, "stub running")
    old = set(stubs())
    sampler.reset()
    ok(c.call("set", {"name": "stub", "options": {"env": {"GEN": "2"}}}), "set")
    ok(c.call("rm", {"name": "stub", "waiting": True}), "waiting rm")
    left = [p for p in old if alive(p)] + stubs()
    assert not left, "the waiting rm answered while %r still ran" % sorted(set(left))
    assert "stub" not in ok(c.call("list"), "list")["watchers"]
    check_generations("rm after set", old)


@case
def add_while_old_processes_stop_waits_for_them():
    ok(c.call("add", ADD), "add")
    wait_until(running_two, 15, "stub running again")
    old = set(stubs())
    sampler.reset()
    ok(c.call("rm", {"name": "stub"}), "plain rm")
    ok(c.call("add", ADD), "add during the old processes' stop")
    status = c.call("status", {"name": "stub"}).get("status")
    if any(alive(p) for p in old):  # they were alive while status answered
        assert status == "starting", "status while the old processes stop: %r" % status
    wait_until(running_two, 20, "the new stub processes")
    assert not set(stubs()) & old
    check_generations("rm then add", old)


@case
def waiting_add_answers_once_its_processes_run():
    old = set(stubs())
    sampler.reset()
    ok(c.call("rm", {"name": "stub"}), "plain rm")
    props = dict(ADD, waiting=True)
    ok(c.call("add", props), "waiting add")
    assert not [p for p in old if alive(p)], "waiting add answered while old ones still ran"
    assert len(stubs()) == 2, "waiting add answered with %r running" % stubs()
    check_generations("waiting add", old)


@case
def waiting_stop_after_set_answers_when_the_old_processes_are_gone():
    wait_until(running_two, 15, "stub running")
    old = set(stubs())
    sampler.reset()
    ok(c.call("set", {"name": "stub", "options": {"env": {"GEN": "3"}}}), "set")
    ok(c.call("stop", {"name": "stub", "waiting": True}), "waiting stop")
    left = [p for p in old if alive(p)] + stubs()
    assert not left, "the waiting stop answered while %r still ran" % sorted(set(left))
    ok(c.call("start", {"name": "stub", "waiting": True}), "waiting start")
    assert len(stubs()) == 2
    check_generations("stop after set", old)


@case
def sets_in_a_row_and_a_start_never_overlap():
    wait_until(running_two, 15, "stub running")
    old = set(stubs())
    sampler.reset()
    ok(c.call("set", {"name": "stub", "options": {"env": {"GEN": "4"}}}), "set 4")
    ok(c.call("set", {"name": "stub", "options": {"env": {"GEN": "5"}}}), "set 5")
    ok(c.call("start", {"name": "stub"}), "start")
    ok(c.call("start", {"name": "stub", "waiting": True}), "waiting start")
    assert not [p for p in old if alive(p)], "started while old processes ran"
    wait_until(running_two, 15, "stub running")
    gens = sorted(environ(p).get("GEN") for p in stubs())
    assert gens == ["5", "5"], "environments of the new processes: %r" % gens
    check_generations("set, set, start", old)


@case
def a_reload_that_brings_the_name_back_waits_for_the_old_processes():
    wait_until(running_two, 15, "stub running")
    old = set(stubs())
    sampler.reset()
    install("without.yaml")
    os.kill(dpid, signal.SIGHUP)
    wait_until(lambda: "stub" not in c.call("list")["watchers"], 10, "stub removed")
    install("with.yaml")
    os.kill(dpid, signal.SIGHUP)
    wait_until(lambda: "stub" in c.call("list")["watchers"], 10, "stub back")
    wait_until(running_two, 20, "the new stub processes")
    assert not set(stubs()) & old
    check_generations("reload without, then with", old)


c.settle()
dups = c.duplicates()
if dups:
    failures += 1
    print("FAIL requests answered more than once: %r" % dups)
sampler.stop()
sys.exit(1 if failures else 0)
PYEOF
kill -0 "$DPID" 2>/dev/null || fail "the daemon died"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
echo ok
