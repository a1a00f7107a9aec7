"""protocol_client.py - raw ZeroMQ checks of cirqued's control protocol (Circus's JSON over a
ROUTER socket) and of its PUB event socket. Run by test_protocol.sh with Debian's /usr/bin/python3
(python3-zmq):

    protocol_client.py CONTROL_ENDPOINT EVENTS_ENDPOINT DAEMON_PID TEST_DIR

The daemon runs the watchers of test_protocol.sh: alpha (1 process), beta (2), gamma (autostart
false), slow (ignores SIGTERM, graceful_timeout 2 s) and castme; their commands are links named
TEST_DIR/<watcher>. Every check runs, in order (later ones rely on the state earlier ones left);
each prints "ok" or "FAIL" with the reason. Exit status 0 when all passed, 1 otherwise."""
import json
import os
import signal
import sys
import time
import traceback
import uuid

import zmq

CONTROL, EVENTS, DPID, TDIR = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
WATCHERS = ["alpha", "beta", "castme", "gamma", "slow"]
REPLY_TIMEOUT = 5.0

ctx = zmq.Context()
sockets = []
sequence = [0]


class Timeout(Exception):
    pass


def new_socket(kind=zmq.DEALER):
    s = ctx.socket(kind)
    s.setsockopt(zmq.LINGER, 0)
    if kind == zmq.DEALER:
        s.setsockopt(zmq.IDENTITY, uuid.uuid4().hex.encode())  # as circusctl does
    s.connect(CONTROL)
    sockets.append(s)
    return s


def close(s):
    s.close(linger=0)
    sockets.remove(s)


def next_id():
    sequence[0] += 1
    return "t-%d" % sequence[0]


def recv_frames(s, timeout=REPLY_TIMEOUT):
    if not s.poll(int(timeout * 1000)):
        raise Timeout("no reply within %.1f s" % timeout)
    return s.recv_multipart()


def recv_json(s, timeout=REPLY_TIMEOUT):
    frames = recv_frames(s, timeout)
    assert len(frames) == 1, "expected one frame, got %r" % (frames,)
    reply = json.loads(frames[0])
    assert isinstance(reply, dict), "reply is not a JSON object: %r" % (reply,)
    return reply


def send_raw(s, body, timeout=REPLY_TIMEOUT):
    """Sends BODY (bytes) as one frame, returns the parsed reply."""
    s.send(body)
    return recv_json(s, timeout)


def call(command, props=None, s=None, timeout=REPLY_TIMEOUT, **extra):
    """Sends {"id", "command", "properties"} and returns the reply, whose id must match."""
    s = s or main
    msg = {"id": next_id(), "command": command, "properties": props or {}}
    msg.update(extra)
    reply = send_raw(s, json.dumps(msg).encode(), timeout)
    assert reply.get("id") == msg["id"], "reply id %r for request %r" % (reply.get("id"), msg["id"])
    return reply


def ok(reply):
    assert reply.get("status") == "ok", "expected status ok, got %r" % (reply,)
    assert isinstance(reply.get("time"), float), "no float time in %r" % (reply,)
    return reply


def error(reply, *errnos):
    assert reply.get("status") == "error", "expected an error, got %r" % (reply,)
    assert isinstance(reply.get("reason"), str) and reply["reason"], "no reason in %r" % (reply,)
    assert "tb" in reply and isinstance(reply.get("time"), float), "tb/time missing in %r" % (reply,)
    if errnos:
        assert reply.get("errno") in errnos, "errno %r, expected one of %r: %r" % (
            reply.get("errno"), errnos, reply)
    return reply


# --- /proc ------------------------------------------------------------------------------------------

def children():
    try:
        with open("/proc/%d/task/%d/children" % (DPID, DPID)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def pids_of(watcher):
    """The daemon's children running TEST_DIR/<watcher> (the slow one is a shell: $0 marks it)."""
    mark = "%s/%s" % (TDIR, watcher) if watcher != "slow" else "%s-slow" % TDIR
    return sorted(p for p in children() if mark in cmdline(p))


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def wait_until(cond, timeout, what):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(0.02)


def watcher_state(name, s=None):
    return call("status", {"name": name}, s=s)["status"]


# --- the checks ---------------------------------------------------------------------------------------

checks = []


def check(fn):
    checks.append(fn)
    return fn


@check
def list_replies_with_id_status_time_watchers():
    s = new_socket()
    body = json.dumps({"id": "abc-123", "command": "list"}).encode()
    r = ok(send_raw(s, body))
    assert r["id"] == "abc-123", r
    assert abs(r["time"] - time.time()) < 60, "time %r is not now" % r["time"]
    assert r["watchers"] == WATCHERS, r
    r = ok(call("list", {"name": "beta"}))
    assert sorted(r["pids"]) == pids_of("beta"), (r, pids_of("beta"))
    close(s)


@check
def command_names_are_case_insensitive():
    for name in ("LIST", "List", "lIsT"):
        assert ok(call(name))["watchers"] == WATCHERS
    assert ok(call("NumWatchers"))["numwatchers"] == len(WATCHERS)


@check
def ids_are_echoed():
    r = ok(send_raw(main, b'{"id": 7, "command": "list"}'))
    assert r["id"] == 7, r
    r = ok(send_raw(main, b'{"command": "list"}'))
    assert "id" in r and r["id"] is None, r


@check
def status_with_a_name_puts_the_state_in_status():
    r = call("status", {"name": "alpha"})
    assert r["status"] == "active" and "statuses" not in r and "errno" not in r, r
    assert isinstance(r["time"], float), r
    r = call("status", {"name": "gamma"})
    assert r["status"] == "stopped", r
    r = ok(call("status"))
    assert r["statuses"] == {"alpha": "active", "beta": "active", "castme": "active",
                             "gamma": "stopped", "slow": "active"}, r


@check
def non_json_is_errno_1():
    r = error(send_raw(main, b"this is not json"), 1)
    assert r["id"] is None, r
    error(send_raw(main, b'{"id": "x", "command": '), 1)


@check
def json_that_is_not_an_object_gets_an_answer():
    for body in (b"null", b"[]", b"42", b'"text"', b"true", b'[{"command": "list"}]'):
        try:
            error(send_raw(main, body), 1, 6)
        except Timeout:
            raise AssertionError("no answer to %r" % body)


@check
def empty_message_gets_an_answer():
    try:
        error(send_raw(main, b""), 1, 6)
    except Timeout:
        raise AssertionError("no answer to an empty message")


@check
def missing_command_is_errno_3():
    r = error(send_raw(main, b'{"id": "nocmd", "properties": {}}'), 3)
    assert r["id"] == "nocmd", r
    error(send_raw(main, b'{"id": "numcmd", "command": 5}'), 3, 6)


@check
def unknown_command_is_errno_2():
    r = error(call("bogus"), 2)
    assert r["reason"] == "unknown command: 'bogus'", r


@check
def unknown_watcher_is_errno_3():
    for command in ("status", "start", "stop", "restart", "list", "incr", "decr", "options",
                    "numprocesses", "stats", "rm"):
        error(call(command, {"name": "nosuch"}), 3)
    error(call("signal", {"name": "nosuch", "signum": "HUP"}), 3)
    error(call("get", {"name": "nosuch", "keys": ["cmd"]}), 3)
    assert ok(call("list"))["watchers"] == WATCHERS


@check
def wrong_types_are_errors():
    error(call("status", "a string"), 3, 6)
    error(call("status", ["name", "alpha"]), 3, 6)
    error(call("status", {"name": 5}), 3)
    error(call("start", {"name": 5}), 3)
    error(call("incr", {"name": "beta", "nb": "many"}), 3, 6)
    error(call("get", {"name": "alpha", "keys": "cmd"}), 3, 6)
    error(call("signal", {"name": "alpha", "signum": "BOGUS"}), 3)
    error(call("signal", {"name": "alpha", "signum": [1]}), 3, 6)
    error(call("set", {"name": "alpha", "options": "numprocesses"}), 3, 6)
    error(call("set", {"name": "alpha", "options": {"numprocesses": -1}}), 3, 5, 6)
    assert ok(call("numprocesses", {"name": "alpha"}))["numprocesses"] == 1
    assert len(pids_of("beta")) == 2 and len(pids_of("alpha")) == 1


@check
def extra_frames_get_an_answer():
    s = new_socket()
    s.send_multipart([json.dumps({"id": "frames", "command": "list"}).encode(), b"extra"])
    r = recv_json(s)
    assert r.get("status") in ("ok", "error"), r
    s.send_multipart([b'{"id": "f5", "command": "list"}', b"a", b"b", b"c", b"d"])
    r = recv_json(s)
    assert r.get("status") in ("ok", "error"), r
    assert ok(call("list", s=s))["watchers"] == WATCHERS, "the socket no longer works"
    close(s)


@check
def a_req_socket_gets_answers():
    s = new_socket(zmq.REQ)
    r = ok(send_raw(s, b'{"id": "req-1", "command": "list"}'))
    assert r["id"] == "req-1" and r["watchers"] == WATCHERS, r
    error(send_raw(s, b"not json"), 1)
    r = send_raw(s, b'{"id": "req-3", "command": "status", "properties": {"name": "alpha"}}')
    assert r["status"] == "active" and r["id"] == "req-3", r
    close(s)


@check
def an_oversized_message_does_not_hurt_the_daemon():
    s = new_socket()
    pad = "x" * (2 * 1024 * 1024)
    s.send(json.dumps({"id": "big", "command": "list", "properties": {"pad": pad}}).encode())
    # libzmq drops a peer that sends more than the daemon's maximum message size; others go on
    other = new_socket()
    assert ok(call("list", s=other))["watchers"] == WATCHERS
    close(other)
    assert alive(DPID), "the daemon died"
    if s.poll(300):  # an answer is fine, as long as it is not taken for a valid request
        error(recv_json(s))
    close(s)
    assert ok(call("list"))["watchers"] == WATCHERS


@check
def a_cast_gets_no_reply_but_acts():
    before = pids_of("castme")
    assert len(before) == 1, before
    s = new_socket()
    s.send(json.dumps({"id": "cast-1", "msg_type": "cast", "command": "stop",
                       "properties": {"name": "castme"}}).encode())
    s.send(json.dumps({"id": "cast-2", "msg_type": "cast", "command": "bogus"}).encode())
    # requests are handled in order: a reply to a cast would arrive before this one's
    r = ok(call("list", s=s))
    assert r["watchers"] == WATCHERS
    wait_until(lambda: watcher_state("castme") == "stopped", 5, "castme stopped by the cast")
    assert pids_of("castme") == [] and not alive(before[0]), "castme still runs"
    assert not s.poll(200), "a reply came for a cast: %r" % s.recv_multipart()
    close(s)


@check
def waiting_start_returns_the_started_pids():
    assert pids_of("gamma") == []
    r = ok(call("start", {"name": "gamma", "waiting": True}))
    pids = pids_of("gamma")
    assert len(pids) == 1, pids
    assert sorted(r["info"]["started"]) == pids and r["info"]["kept"] == [], (r, pids)
    assert watcher_state("gamma") == "active"
    r = ok(call("start", {"name": "gamma", "waiting": True}))
    assert r["info"]["started"] == [] and r["info"]["kept"] == pids, r
    r = ok(call("stop", {"name": "gamma", "waiting": True}))
    assert r["info"] is None, r
    assert pids_of("gamma") == [] and not alive(pids[0]), "gamma runs after a waiting stop"
    assert watcher_state("gamma") == "stopped"


@check
def waiting_restart_returns_stopped_and_started():
    old = pids_of("beta")
    r = ok(call("restart", {"name": "beta", "waiting": True}))
    new = pids_of("beta")
    assert len(new) == 2 and not set(old) & set(new), (old, new)
    info = r["info"]
    assert sorted(info["stopped"]) == old and sorted(info["started"]) == new, (r, old, new)
    assert info["kept"] == [], r


@check
def incr_and_decr_answer_as_circusd():
    r = ok(call("incr", {"name": "beta", "waiting": True}))
    assert r["numprocesses"] == 3, r
    assert len(pids_of("beta")) == 3, pids_of("beta")
    # Without waiting, circusd answers a plain ok (circusctl then prints "ok").
    r = ok(call("incr", {"name": "beta", "nb": 2}))
    assert "numprocesses" not in r, r
    assert ok(call("numprocesses", {"name": "beta"}))["numprocesses"] == 5
    wait_until(lambda: len(pids_of("beta")) == 5, 5, "5 beta processes")
    r = ok(call("decr", {"name": "beta", "nb": 3}))
    assert "numprocesses" not in r, r
    assert ok(call("numprocesses", {"name": "beta"}))["numprocesses"] == 2
    wait_until(lambda: len(pids_of("beta")) == 2, 5, "2 beta processes")
    error(call("incr", {}), 3)


@check
def numwatchers_and_numprocesses():
    assert ok(call("numwatchers"))["numwatchers"] == len(WATCHERS)
    r = ok(call("numprocesses"))
    assert isinstance(r["numprocesses"], int), r
    r = ok(call("numprocesses", {"name": "beta"}))
    assert r["numprocesses"] == 2 and r["watcher_name"] == "beta", r
    r = ok(call("numprocesses", {"name": "gamma"}))  # stopped: its configured count, as Circus
    assert r["numprocesses"] == 1 and r["watcher_name"] == "gamma", r


@check
def numprocesses_without_a_name_counts_the_running_processes():
    # Circus: arbiter.numprocesses() = sum(len(watcher.processes)), "the number of processes
    # running across all watchers"; castme and gamma are stopped here.
    r = ok(call("numprocesses"))
    assert r["numprocesses"] == len(children()) == 4, "numprocesses %r, %d processes run" % (
        r["numprocesses"], len(children()))


@check
def options_of_a_watcher():
    o = ok(call("options", {"name": "alpha"}))["options"]
    assert o["cmd"] == "%s/alpha 3600" % TDIR, o
    assert o["numprocesses"] == 1 and o["graceful_timeout"] == 30 and o["stop_signal"] == 15, o
    for key in ("max_retry", "warmup_delay", "respawn", "singleton", "copy_env", "env", "args"):
        assert key in o, "options lack %s: %r" % (key, o)
    g = ok(call("get", {"name": "alpha", "keys": ["numprocesses", "cmd"]}))["options"]
    assert g == {"numprocesses": 1, "cmd": "%s/alpha 3600" % TDIR}, g
    error(call("get", {"name": "alpha", "keys": ["no_such_option"]}), 3)


@check
def globaloptions():
    o = ok(call("globaloptions"))["options"]
    for key in ("endpoint", "pubsub_endpoint", "check_delay"):
        assert key in o, "globaloptions lack %s: %r" % (key, o)
    r = ok(call("globaloptions", {"option": "check_delay"}))
    assert list(r["options"]) == ["check_delay"], r
    error(call("globaloptions", {"option": "no_such_option"}), 3)


@check
def globaloptions_report_the_endpoints_in_use():
    # Circus answers getattr(arbiter, 'endpoint'): the endpoints actually bound, which clients
    # use to find the event socket.
    o = ok(call("globaloptions"))["options"]
    assert o["endpoint"] == CONTROL and o["pubsub_endpoint"] == EVENTS, (
        "endpoint %r, pubsub_endpoint %r; the daemon is bound on %s and %s" % (
            o["endpoint"], o["pubsub_endpoint"], CONTROL, EVENTS))


@check
def listsockets_is_empty():
    r = ok(call("listsockets"))
    assert r["sockets"] == [], r


@check
def dstats_describes_the_daemon():
    info = ok(call("dstats"))["info"]
    assert info["pid"] == DPID, info
    for key in ("cpu", "mem", "mem_info1", "mem_info2", "ctime", "age", "create_time", "cmdline",
                "username", "nice", "children"):
        assert key in info, "dstats lacks %s: %r" % (key, info)
    listed = sorted(c["pid"] for c in info["children"])
    assert listed == sorted(children()), "dstats lists children %s; /proc says %s" % (
        listed, sorted(children()))


@check
def stats_of_a_watcher():
    r = ok(call("stats", {"name": "beta"}))
    assert r["name"] == "beta" and sorted(int(p) for p in r["info"]) == pids_of("beta"), r
    pid = pids_of("alpha")[0]
    r = ok(call("stats", {"name": "alpha", "process": pid}))
    assert r["info"]["pid"] == pid, r
    r = ok(call("stats"))
    assert sorted(r["infos"]) == WATCHERS, r


@check
def a_client_gone_before_its_waiting_reply_does_not_matter():
    slow = pids_of("slow")
    assert len(slow) == 1, slow
    quitter = new_socket()
    quitter.send(json.dumps({"id": "gone", "command": "stop",
                             "properties": {"name": "slow", "waiting": True}}).encode())
    other = new_socket()
    wait_until(lambda: watcher_state("slow", other) == "stopping", 5, "slow stopping")
    close(quitter)  # disconnects before the reply (slow ignores SIGTERM for 2 s)
    t = time.monotonic()
    for _ in range(20):
        assert ok(call("list", s=other))["watchers"] == WATCHERS
    assert time.monotonic() - t < 2, "20 requests took %.1f s" % (time.monotonic() - t)
    wait_until(lambda: watcher_state("slow", other) == "stopped", 10, "slow stopped")
    assert pids_of("slow") == [] and not alive(slow[0]), "slow still runs"
    assert alive(DPID), "the daemon died"
    assert call("status", {"name": "alpha"}, s=other)["status"] == "active"
    # a waiting start whose client is gone too
    quitter = new_socket()
    quitter.send(json.dumps({"id": "gone2", "command": "start",
                             "properties": {"name": "slow", "waiting": True}}).encode())
    wait_until(lambda: watcher_state("slow", other) != "stopped", 5, "slow starting")
    close(quitter)
    wait_until(lambda: watcher_state("slow", other) == "active", 10, "slow active again")
    assert len(pids_of("slow")) == 1
    close(other)


@check
def events_reap_and_spawn():
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, b"watcher.")
    sub.connect(EVENTS)
    sockets.append(sub)
    # A subscription takes a moment to reach the publisher: kill until the reap is seen.
    for attempt in range(5):
        victim = pids_of("alpha")
        assert len(victim) == 1, victim
        victim = victim[0]
        os.kill(victim, signal.SIGKILL)
        reap = spawn = None
        end = time.monotonic() + 3
        while time.monotonic() < end and not (reap and spawn):
            if not sub.poll(100):
                continue
            frames = sub.recv_multipart()
            assert len(frames) == 2, "an event is [topic, json]: %r" % frames
            topic, payload = frames[0].decode(), json.loads(frames[1])
            assert isinstance(payload.get("time"), float), (topic, payload)
            if topic == "watcher.alpha.reap" and payload.get("process_pid") == victim:
                reap = payload
            elif topic == "watcher.alpha.spawn" and reap:
                spawn = payload
        if reap is None:
            wait_until(lambda: len(pids_of("alpha")) == 1 and pids_of("alpha")[0] != victim, 5,
                       "alpha respawned")
            continue
        assert reap["exit_code"] == -9, reap
        assert spawn is not None, "no watcher.alpha.spawn after the reap of %d" % victim
        wait_until(lambda: pids_of("alpha") == [spawn["process_pid"]], 5,
                   "alpha's new pid %d in /proc" % spawn["process_pid"])
        break
    else:
        raise AssertionError("no watcher.alpha.reap event after 5 kills")
    sockets.remove(sub)
    sub.close(linger=0)


@check
def kill_command():
    # In PROTOCOL.md's table (Circus's `kill`): stop the processes (stop_signal, then SIGKILL
    # after graceful_timeout); the watcher replaces them.
    old = pids_of("alpha")
    r = call("kill", {"name": "alpha", "waiting": True})
    assert r.get("status") == "ok", "kill: %r" % r
    wait_until(lambda: not alive(old[0]), 5, "alpha's pid %d killed" % old[0])
    wait_until(lambda: len(pids_of("alpha")) == 1, 5, "alpha replaced")


@check
def still_alive_and_answering():
    assert alive(DPID)
    s = new_socket()
    assert ok(call("list", s=s))["watchers"] == WATCHERS
    close(s)


main = new_socket()
failed = 0
failures = []
for fn in checks:
    name = fn.__name__
    t = time.monotonic()
    try:
        fn()
        print("  ok    %-60s %5.2fs" % (name, time.monotonic() - t))
        sys.stdout.flush()
        continue
    except (AssertionError, Timeout) as e:
        why = str(e) or traceback.format_exc().strip()
    except Exception:
        why = traceback.format_exc().strip()
    failed += 1
    failures.append("%s: %s" % (name, why.splitlines()[-1][:300]))
    print("  FAIL  %s: %s" % (name, why))
    sys.stdout.flush()
    # a failed check may leave a reply queued: the next one starts on a fresh socket
    close(main)
    main = new_socket()
for s in list(sockets):
    s.close(linger=0)
ctx.term()
if failed:
    print("%d of %d protocol checks failed:" % (failed, len(checks)))
    for f in failures:
        print("  - " + f)
else:
    print("all %d protocol checks passed" % len(checks))
sys.exit(1 if failed else 0)
