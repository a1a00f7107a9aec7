# Storms of lifecycle requests never run more processes than one replacement needs, and every
# request gets exactly one reply that tells the truth. A sampler reads the daemon's children from
# /proc all along; the bounds per watcher of N processes are:
#   graceful reload (new processes first): 2N at any instant (old + new), however many at once;
#   restart, reload graceful=false, a changed definition (stop, then start): N.
# Storms: 10 waiting reloads pipelined on one connection, then spread over 5; 10 reloads of all
# watchers at once; 10 restarts; 10 non-graceful reloads; 5 whole-arbiter restarts; a reload while
# a stop waits; a restart during a reload and a reload during a restart; SIGHUP and reloadconfig
# storms over a file that changes each time (stop-then-start watchers and a socket watcher, which
# is replaced new-first). Waiting replies are checked against /proc: the pids said `stopped` are
# gone, the pids said `started` were children of the daemon.
# long: about 12 s (storms of reloads and restarts)
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
"$PY" -c 'import zmq' 2>/dev/null || fail "python3-zmq is missing in $PY (make test-deps)"

APP=$(sleeper app); WEB=$(sleeper web); SOCK=$(sleeper sock)
write_conf() {  # atomically: the daemon may be reading the file meanwhile
	cat >"$CONF.new" <<YAML
sockets:
  s: {host: 127.0.0.1, port: 0}
watchers:
  app:
    cmd: $APP 3600
    numprocesses: 3
    ready: {delay: 0.3s}
    env: {GEN: "$1"}
  web:
    cmd: $WEB 3600
    numprocesses: 2
    ready: {delay: 0.3s}
    env: {GEN: "$1"}
  slow:
    cmd: /bin/sh -c 'trap "" TERM; while :; do sleep 0.2; done' $T-slow
    numprocesses: 2
    graceful_timeout: 1s
    ready: {delay: 0.2s}
  sock:
    cmd: $SOCK 3600
    use_sockets: [s]
    numprocesses: 2
    ready: {delay: 0.3s}
    env: {GEN: "$1"}
YAML
	mv "$CONF.new" "$CONF"
}
write_conf 0
start_daemon
wait_count "$APP" 3; wait_count "$WEB" 2; wait_count "$T-slow" 2; wait_count "$SOCK" 2

export -f write_conf  # the python below rewrites the file through it
export CONF T APP WEB SOCK
ROOT="$ROOT" "$PY" - "ipc://$T/run/control.sock" "$DPID" <<'PYEOF' || fail "see above"
import os, signal, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["ROOT"], "tests/e2e"))
from lifecycle_client import Client, Sampler, alive, children, cmdline, environ, wait_until

endpoint, dpid = sys.argv[1], int(sys.argv[2])
T = os.environ["T"]
MARKS = {"app": os.environ["APP"], "web": os.environ["WEB"], "slow": T + "-slow",
         "sock": os.environ["SOCK"]}
COUNT = {"app": 3, "web": 2, "slow": 2, "sock": 2}
sampler = Sampler(dpid, MARKS.values())
sampler.start()
main = Client(endpoint)
clients = [main]
failures = 0
peaks = []


def pids(name):
    return sorted(p for p in children(dpid) if MARKS[name] in cmdline(p))


def settled():
    st = main.call("status").get("statuses", {})
    return all(st.get(n) == "active" and len(pids(n)) == COUNT[n] for n in COUNT)


def seen_pids(name):
    return set().union(*sampler.snapshot(MARKS[name])[1] or [set()])


def check_peaks(what, bounds):
    for name, bound in bounds.items():
        peak, _ = sampler.snapshot(MARKS[name])
        peaks.append("%s/%s %d (bound %d)" % (what, name, peak, bound))
        assert peak <= bound, "%s: %d processes of %s at once, bound %d" % (what, peak, name,
                                                                            bound)


def check_reply(what, name, reply, before):
    """A waiting single-watcher reply: ok, and its info true to /proc."""
    assert reply.get("status") == "ok", "%s: %r" % (what, reply)
    info = reply.get("info") or {}
    for pid in info.get("stopped", []):
        assert not alive(pid), "%s: pid %d said stopped is alive" % (what, pid)
    for pid in info.get("started", []):
        assert pid in seen_pids(name), "%s: pid %d said started never ran" % (what, pid)
    for pid in info.get("kept", []):
        assert pid in before, "%s: pid %d said kept was not there before" % (what, pid)


def storm(what, requests, bounds, spread=1, replaced=()):
    """Sends REQUESTS [(command, props)] at once, round-robin over SPREAD connections; waits for
    every reply; checks the peaks, that each process of REPLACED is new, and each reply."""
    wait_until(settled, 30, "every watcher active before " + what)
    before = {n: set(pids(n)) for n in COUNT}
    conns = [Client(endpoint) for _ in range(spread)]
    clients.extend(conns)
    sampler.reset()
    sent = [(conns[i % spread], conns[i % spread].send(cmd, props), cmd, props)
            for i, (cmd, props) in enumerate(requests)]
    for conn in conns:
        conn.wait([rid for c, rid, _, _ in sent if c is conn], 60)
    wait_until(settled, 30, "every watcher active after " + what)
    check_peaks(what, bounds)
    for c, rid, cmd, props in sent:
        reply = c.replies[rid][0]
        if props.get("name"):
            check_reply("%s %s" % (what, rid), props["name"], reply, before[props["name"]])
        else:
            assert reply.get("status") == "ok", "%s %s: %r" % (what, rid, reply)
    for name in replaced:
        assert not set(pids(name)) & before[name], "%s: %s has old processes" % (what, name)
    return before


def case(fn):
    global failures
    try:
        fn()
    except AssertionError as e:
        failures += 1
        print("FAIL %s: %s" % (fn.__name__, e))
        return
    print("ok   %s" % fn.__name__)


RELOAD = ("reload", {"name": "app", "waiting": True})


@case
def ten_reloads_on_one_connection():
    before = storm("reload x10", [RELOAD] * 10, {"app": 6}, replaced=["app"])
    # Received at once, they coalesce into the first replacement and one more at most.
    spawned = seen_pids("app") - before["app"]
    assert len(spawned) <= 6, "10 reloads spawned %d processes: %r" % (len(spawned), spawned)
    print("  10 pipelined reloads spawned %d processes" % len(spawned))


@case
def ten_reloads_on_five_connections():
    storm("reload x10 / 5", [RELOAD] * 10, {"app": 6}, spread=5, replaced=["app"])


@case
def ten_reloads_of_every_watcher():
    storm("reload all x10", [("reload", {"waiting": True})] * 10,
          {"app": 6, "web": 4, "slow": 4, "sock": 4}, spread=2,
          replaced=["app", "web", "slow", "sock"])


@case
def ten_restarts():
    storm("restart x10", [("restart", {"name": "app", "waiting": True})] * 10, {"app": 3},
          spread=2, replaced=["app"])


@case
def ten_reloads_not_graceful():
    storm("reload graceful=false x10",
          [("reload", {"name": "web", "graceful": False, "waiting": True})] * 10, {"web": 2},
          spread=3, replaced=["web"])


@case
def five_restarts_of_the_whole_arbiter():
    storm("restart (all) x5", [("restart", {"waiting": True})] * 5,
          {"app": 3, "web": 2, "slow": 2, "sock": 2}, spread=5,
          replaced=["app", "web", "slow", "sock"])


@case
def reloads_while_a_stop_waits():
    """The reloads start the watcher again: the stop, overtaken, says so at once."""
    wait_until(settled, 30, "every watcher active")
    before = set(pids("slow"))
    a, b = Client(endpoint), Client(endpoint)
    clients.extend([a, b])
    sampler.reset()
    stop = a.send("stop", {"name": "slow", "waiting": True})
    wait_until(lambda: main.call("status", {"name": "slow"}).get("status") == "stopping", 10,
               "slow stopping")
    reloads = [b.send("reload", {"name": "slow", "waiting": True}) for _ in range(5)]
    reply = a.wait([stop], 30)[stop]
    if reply.get("status") == "ok":
        left = [p for p in before if alive(p)]
        assert not left, "the stop said ok while %r still ran and the reloads restart it" % left
    else:
        assert "start" in reply.get("reason", ""), "stop: %r" % reply
        print("  the stop: %s" % reply["reason"])
    for rid, r in b.wait(reloads, 30).items():
        check_reply("reload " + rid, "slow", r, before)
    wait_until(settled, 30, "every watcher active")
    check_peaks("stop + reload x5", {"slow": 2})
    assert not set(pids("slow")) & before


@case
def restart_during_a_reload():
    storm("reload + restart", [RELOAD, ("restart", {"name": "app", "waiting": True})],
          {"app": 6}, spread=2, replaced=["app"])


@case
def reload_during_a_restart():
    storm("restart + reload", [("restart", {"name": "app", "waiting": True}), RELOAD, RELOAD],
          {"app": 6}, spread=3, replaced=["app"])


@case
def sighup_storm_over_a_changing_file():
    wait_until(settled, 30, "every watcher active")
    sampler.reset()
    for gen in range(1, 11):
        subprocess.run(["bash", "-c", "write_conf %d" % gen], check=True)
        os.kill(dpid, signal.SIGHUP)
    want = lambda: settled() and all(environ(p).get("GEN") == "10"
                                     for n in ("app", "web", "sock") for p in pids(n))
    wait_until(want, 40, "every watcher on the last definition")
    check_peaks("SIGHUP x10", {"app": 3, "web": 2, "slow": 2, "sock": 4})


@case
def reloadconfig_storm_over_a_changing_file():
    wait_until(settled, 30, "every watcher active")
    sampler.reset()
    rids = []
    for gen in range(11, 21):
        subprocess.run(["bash", "-c", "write_conf %d" % gen], check=True)
        rids.append(main.send("reloadconfig"))
    for rid, reply in main.wait(rids, 60).items():
        assert reply.get("status") == "ok", "reloadconfig %s: %r" % (rid, reply)
    want = lambda: settled() and all(environ(p).get("GEN") == "20"
                                     for n in ("app", "web", "sock") for p in pids(n))
    wait_until(want, 40, "every watcher on the last definition")
    check_peaks("reloadconfig x10", {"app": 3, "web": 2, "slow": 2, "sock": 4})


for c in clients:
    c.settle()
    for rid, replies in c.duplicates().items():
        failures += 1
        print("FAIL %s answered %d times: %r" % (rid, len(replies), replies))
sampler.stop()
print("  peaks: " + "; ".join(peaks))
print("  %d samples of /proc" % sampler.samples)
sys.exit(1 if failures else 0)
PYEOF
kill -0 "$DPID" 2>/dev/null || fail "the daemon died"
[ -z "$(zombies_of "$DPID")" ] || fail "zombies remain"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
echo ok
