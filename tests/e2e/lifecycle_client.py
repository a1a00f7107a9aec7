"""lifecycle_client.py - what test_rm_waiting.sh and test_reload_storm.sh share: a raw DEALER client
of the control socket that can pipeline requests, and a sampler that watches the daemon's children
in /proc from a thread while the test drives the daemon. Imported by the inline scripts of those
tests (run with /usr/bin/python3, which has python3-zmq)."""
import json
import os
import threading
import time
import uuid

import zmq

ctx = zmq.Context()


class Client:
    """One DEALER connection. send() returns the request id; replies are matched by id, so
    several requests can be in flight on one connection."""

    def __init__(self, endpoint):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.IDENTITY, uuid.uuid4().hex.encode())
        self.sock.connect(endpoint)
        self.replies = {}          # id -> list of replies received (more than one is a bug)
        self.sequence = 0

    def send(self, command, props=None):
        self.sequence += 1
        rid = "%s-%d" % (command, self.sequence)
        self.sock.send(json.dumps({"id": rid, "command": command,
                                   "properties": props or {}}).encode())
        self.replies.setdefault(rid, [])
        return rid

    def pump(self, timeout):
        """Receives what arrives within TIMEOUT seconds (at least one message, or none)."""
        if not self.sock.poll(int(timeout * 1000)):
            return False
        while True:
            reply = json.loads(self.sock.recv())
            self.replies.setdefault(reply.get("id"), []).append(reply)
            if not self.sock.poll(0):
                return True

    def wait(self, rids, timeout):
        """Waits until every id in RIDS has a reply; returns {id: first reply}."""
        end = time.monotonic() + timeout
        while any(not self.replies[r] for r in rids):
            left = end - time.monotonic()
            if left <= 0:
                missing = [r for r in rids if not self.replies[r]]
                raise AssertionError("no reply within %.0f s to %s" % (timeout, missing))
            self.pump(left)
        return {r: self.replies[r][0] for r in rids}

    def call(self, command, props=None, timeout=20):
        rid = self.send(command, props)
        return self.wait([rid], timeout)[rid]

    def settle(self):
        """A last round trip: a reply sent twice would have arrived before this one's."""
        self.call("list")

    def duplicates(self):
        return {r: v for r, v in self.replies.items() if len(v) > 1}

    def close(self):
        self.sock.close(linger=0)


def children(dpid):
    try:
        with open("/proc/%d/task/%d/children" % (dpid, dpid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def environ(pid):
    try:
        with open("/proc/%d/environ" % pid, "rb") as f:
            return dict(kv.split("=", 1) for kv in f.read().decode(errors="replace").split("\0")
                        if "=" in kv)
    except OSError:
        return {}


def alive(pid):
    """Not yet reaped (a zombie still counts: the daemon has not waited for it)."""
    return os.path.exists("/proc/%d" % pid)


def wait_until(cond, timeout, what):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(0.01)


class Sampler(threading.Thread):
    """Samples the daemon's children as fast as it can. For each MARK (a string in the command
    line), keeps the peak number of children at once and every distinct set of pids seen."""

    def __init__(self, dpid, marks):
        super().__init__(daemon=True)
        self.dpid, self.marks = dpid, list(marks)
        self.peak = {m: 0 for m in self.marks}
        self.seen = {m: [] for m in self.marks}   # distinct consecutive pid sets
        self.samples = 0
        self.running = True
        self.lock = threading.Lock()
        self.cmdlines = {}

    def mark_of(self, pid):
        if pid in self.cmdlines:
            return self.cmdlines[pid]
        line = cmdline(pid)
        for m in self.marks:
            if m in line:
                self.cmdlines[pid] = m  # cached once exec'ed: before, it reads as the daemon's
                return m
        return None

    def run(self):
        while self.running:
            sets = {m: set() for m in self.marks}
            for pid in children(self.dpid):
                m = self.mark_of(pid)
                if m:
                    sets[m].add(pid)
            with self.lock:
                self.samples += 1
                for m, pids in sets.items():
                    self.peak[m] = max(self.peak[m], len(pids))
                    if not self.seen[m] or self.seen[m][-1] != pids:
                        self.seen[m].append(pids)
            time.sleep(0.001)

    def reset(self):
        with self.lock:
            self.peak = {m: 0 for m in self.marks}
            self.seen = {m: [] for m in self.marks}

    def snapshot(self, mark):
        with self.lock:
            return self.peak[mark], list(self.seen[mark])

    def stop(self):
        self.running = False
        self.join()
