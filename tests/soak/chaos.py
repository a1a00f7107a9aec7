#!/usr/bin/python3
"""chaos.py - the chaos soak of cirqued (issue "Hardening").

Runs the real daemon on W watchers with P processes in all, and for DURATION seconds:
  - kills random children with random signals (KILL, TERM, SEGV, STOP; CONT later), and in bursts
    kills every new process of the "crashy" watcher so that it gives up (FATAL);
  - sends random control commands from several clients at once: one runs cirquectl, the others
    speak the raw protocol over their own DEALER socket, several requests in flight each (stop,
    start, restart, reload, incr, decr, signal, add, rm, set, kill, and status/list/stats/
    numprocesses; now and then a glob names several watchers); a SUB socket reads the events;
  - rewrites the configuration (counts, a changed definition, a removed and an added watcher,
    now and then an invalid file) and sends SIGHUP, one reload at a time.
Then it quiesces (SIGCONT to every stopped process, waits for every reply), restores the initial
configuration (reloadconfig, `set numprocesses`, waiting `start` of every watcher) and checks:
  - every watcher has exactly numprocesses processes, all RUNNING, the same pids for the daemon and
    for /proc; no other child of the daemon (no orphan left, nothing of a removed watcher); no
    zombie and no stopped process anywhere below the daemon;
  - every request got a reply, and every error reply has an expected reason
    (ALLOWED_REPLY_ERRORS, ALLOWED_CTL_ERRORS); every event is [topic, json];
  - every SIGHUP was handled, valid files complete and invalid ones fail;
  - the daemon's open fds equal those at the start (same processes) within --fd-margin, and its
    RSS is within --rss-margin-pct / --rss-margin-mb of the start (reported only under ASan,
    whose quarantine holds freed memory);
  - SIGTERM stops the daemon with status 0 and leaves no process behind;
  - the daemon log has no [error]/[critical] line beyond the allowed ones (ALLOWED_LOG_ERRORS) and
    no sanitizer report.
It prints the figures and exits 0 when every check holds, 1 with the violations listed otherwise.

Run with Debian's python (python3-zmq):
  /usr/bin/python3 tests/soak/chaos.py                       # the long soak: 600 s, 20 x 200, 4 clients
  /usr/bin/python3 tests/soak/chaos.py --duration 20 --watchers 10 --procs 100   # the short one
Options: --cirqued/--cirquectl (default: src/ of this repo), --workdir (default: a new temporary
directory, removed after a pass), --log (default WORKDIR/daemon.log), --seed (printed; replays
the driver's choices, not the daemon's timing), --loglevel debug (shows "reply dropped"), --help.
"""
import argparse
import collections
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid

import zmq

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Error replies the chaos can cause. Anything else is a violation.
ALLOWED_REPLY_ERRORS = [
    r"^program \S+ not found$",                    # rm'd, removed by a reload, or not added yet
    r"^watcher \S+ already exists$",               # add of a name that exists
    # a waiting start, restart, reload or stop that gave up, was overtaken, or lost its watcher
    r" did not settle: (a process gave up \(FATAL\)|a later stop \(or rm\) stopped it first|"
    r"a later start, restart or reload started it again|the watcher was removed)$",
]

# cirquectl's exit 1 (an error) is expected when its output says one of these: the reasons above,
# and supervisorctl's "ERROR (already started)" / "ERROR (not running)" for a start or stop that
# had nothing to do; and a decr of more processes than the watcher has, which cirquectl refuses.
ALLOWED_CTL_ERRORS = ["not found", "already exists", "did not settle", "ERROR (already started)",
                      "ERROR (not running)", "ERROR (no such process)", "cannot remove"]

# Daemon log lines at [error] or [critical] that the chaos explains (see check_log). The patterns
# marked with a name only apply to the watchers given; {conf} is the config file.
#  - the crashy watcher (max_retry 3) is killed at once in bursts: it gives up; so does xbad (a
#    missing program added with max_retry 1), after logging the exec failure each time;
#  - an invalid file written on purpose: its errors, then "reload failed" (counted: exactly one
#    per invalid file).
ALLOWED_LOG_ERRORS = {
    "gave up": r"^watcher (?P<name>[^\[\s]+)\[\d+\]: gave up after \d+ failed starts "
               r"\(max_retry \d+\): too many failures$",
    "exec": r"^watcher (?P<name>xbad)\[\d+\]: cannot exec \S+/missing-program: "
            r"No such file or directory$",
    "config": r"^{conf}:\d+:\d+: watchers\.\S+\.numprocesses: must be an integer$",
    "reload failed": r"^reload failed: 1 error in the configuration; keeping the running one$",
}

SIGNALS = {"KILL": 3, "TERM": 3, "SEGV": 2, "STOP": 2, "CONT": 1}   # random signals (weights)
CTL_SIGNALS = ["TERM", "KILL", "HUP", "USR1", "INT", "SEGV", "STOP", "CONT"]  # `signal` command
COMMANDS = {  # weights of the control commands
    "start": 4, "stop": 2, "restart": 2, "reload": 2, "incr": 3, "decr": 3, "signal": 3,
    "add": 1.5, "rm": 1, "set": 0.5, "kill": 0.5, "status": 1, "list": 0.5, "stats": 0.5,
    "numprocesses": 0.5,
}
GLOBS = ["w0*", "w1*", "w0[1-4]", "x*"]  # start/stop/restart/reload of several watchers at once
CTL_COMMANDS = {"start": 4, "stop": 2, "restart": 2, "reload": 2, "incr": 3, "decr": 3,
                "signal": 3, "rm": 1, "status": 1}
ADDED = ["x1", "x2", "x3", "x4"]           # names the clients add (and remove)
BAD = "xbad"                              # added with a missing program


class Violations:
    def __init__(self):
        self.lock = threading.Lock()
        self.items = []

    def add(self, msg):
        with self.lock:
            self.items.append(msg)
        print("VIOLATION: " + msg, flush=True)


V = Violations()


class DaemonDied(Exception):
    pass


# --- /proc -----------------------------------------------------------------------------------------

def read_stat(pid):
    """(state, ppid, starttime) of PID, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    fields = s[s.rfind(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[19])


def read_args(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def direct_children(pid):
    out = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                    out.extend(int(p) for p in f.read().split())
            except OSError:
                pass
    except OSError:
        pass
    return out


Proc = collections.namedtuple("Proc", "pid ppid state start args")


def scan_proc():
    procs = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        st = read_stat(int(d))
        if st:
            procs[int(d)] = Proc(int(d), st[1], st[0], st[2], None)
    return procs


def descendants(procs, root):
    kids = collections.defaultdict(list)
    for p in procs.values():
        kids[p.ppid].append(p.pid)
    out, todo = [], [root]
    while todo:
        for c in kids.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def fd_targets(pid):
    out = []
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                out.append(os.readlink("/proc/%d/fd/%s" % (pid, fd)))
            except OSError:
                pass
    except OSError:
        pass
    return out


def fd_kinds(targets):
    c = collections.Counter()
    for t in targets:
        c[re.sub(r"\[\d+\]$", "", t) if ":" in t else t] += 1
    return c


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def has_asan(pid):
    try:
        with open("/proc/%d/maps" % pid) as f:
            return "libasan" in f.read()
    except OSError:
        return False


# --- configuration ---------------------------------------------------------------------------------

def yaml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, dict):
        return "{" + ", ".join("%s: %s" % (k, yaml_value(x)) for k, x in v.items()) + "}"
    return json.dumps(str(v))  # a JSON string is a YAML double-quoted scalar


def render(daemon_opts, watchers):
    lines = ["# written by chaos.py", "cirque:"]
    lines += ["  %s: %s" % (k, yaml_value(v)) for k, v in daemon_opts.items()]
    lines.append("watchers:")
    for name, spec in watchers.items():
        lines.append("  %s:" % name)
        lines += ["    %s: %s" % (k, yaml_value(v)) for k, v in spec.items()]
    return "\n".join(lines) + "\n"


def split_counts(total, n):
    weights = [1 + i % 4 for i in range(n)]
    counts = [max(1, total * w // sum(weights)) for w in weights]
    i = 0
    while sum(counts) < total:
        counts[i % n] += 1
        i += 1
    while sum(counts) > total and max(counts) > 1:
        counts[counts.index(max(counts))] -= 1
    return counts


def base_watchers(work, nwatchers, nprocs):
    """The initial (and final) watchers: name -> options. Roles by index (see ROLES)."""
    bindir = os.path.join(work, "bin")
    counts = split_counts(nprocs, nwatchers)
    watchers = collections.OrderedDict()
    roles = {}
    for i in range(nwatchers):
        name = "w%02d" % (i + 1)
        mark = os.path.join(bindir, name)
        spec = collections.OrderedDict()
        spec["cmd"] = "%s 3600" % mark
        spec["numprocesses"] = counts[i]
        spec["graceful_timeout"] = 1
        spec["max_retry"] = -1
        spec["ready"] = {"delay": "0.2s"}
        spec["rlimits"] = {"core": 0}
        role = "plain"
        if i == 0:
            role = "crashy"           # killed at once in bursts: gives up, revived by start
            spec["max_retry"] = 3
            spec["ready"] = {"delay": "0.5s"}
        elif i == 1:
            role = "shell+files"      # a shell with children, output to rotated files
            spec["cmd"] = ("/bin/sh -c 'while :; do echo tick $$ xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx;"
                           " sleep 0.5; done' %s" % mark)
            spec["stop_children"] = True
            spec["stdout"] = {"file": os.path.join(work, "logs", "{name}-{wid}.log"),
                              "max_bytes": "4KB", "backup_count": 2}
        elif i == 2:
            role = "stubborn shell"   # ignores SIGTERM: every stop ends in SIGKILL
            spec["cmd"] = ("/bin/sh -c 'trap \"\" TERM; while :; do echo tick; sleep 0.5; done' %s"
                           % mark)
            spec["stop_children"] = True
        elif i == 3:
            role = "max_age"
            spec["max_age"] = "15s"
            spec["max_age_variance"] = 5
        elif i == 4:
            role = "warmup, priority 2"
            spec["warmup_delay"] = "0.05s"
            spec["priority"] = 2
        elif i == 5:
            role = "SIGINT, priority 1"
            spec["stop_signal"] = "INT"
            spec["priority"] = 1
        if role.endswith("shell") or role.startswith("shell"):
            spec["numprocesses"] = min(spec["numprocesses"], 3)
        watchers[name] = spec
        roles[name] = role
    # What the shells could not take goes to the plain watchers.
    plain = [n for n in watchers if roles[n] == "plain"] or list(watchers)
    i = 0
    while sum(s["numprocesses"] for s in watchers.values()) < nprocs:
        watchers[plain[i % len(plain)]]["numprocesses"] += 1
        i += 1
    return watchers, roles


def mutate(base, rng, work):
    """A random variant of the configuration for a SIGHUP; (watchers, invalid)."""
    w = json.loads(json.dumps(base), object_pairs_hook=collections.OrderedDict)
    names = list(w)
    for name in rng.sample(names, min(len(names), rng.randint(1, 3))):
        w[name]["numprocesses"] = max(1, w[name]["numprocesses"] + rng.randint(-2, 3))
    if rng.random() < 0.3:  # a definition change: the watcher restarts
        name = rng.choice(names[3:] or names)
        w[name]["cmd"] = w[name]["cmd"].replace(" 3600", " 3601")
    if rng.random() < 0.3:  # an option changed in place
        w[rng.choice(names)]["graceful_timeout"] = 2
    if rng.random() < 0.25:  # a watcher removed (the next file brings it back)
        del w[rng.choice(names)]
    if rng.random() < 0.3:  # a watcher added by the file
        w["f1"] = collections.OrderedDict([
            ("cmd", "%s 3600" % os.path.join(work, "bin", "f1")), ("numprocesses", 2),
            ("graceful_timeout", 1), ("max_retry", -1), ("ready", {"delay": "0.2s"}),
            ("rlimits", {"core": 0})])
    invalid = rng.random() < 0.1
    if invalid:
        w[rng.choice(list(w))]["numprocesses"] = "many"
    return w, invalid


# --- statistics ------------------------------------------------------------------------------------

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.sent = collections.Counter()
        self.ok = collections.Counter()
        self.err = collections.Counter()
        self.reasons = collections.Counter()
        self.maxlat = collections.defaultdict(float)
        self.unanswered = []

    def on_sent(self, key):
        with self.lock:
            self.sent[key] += 1

    def on_reply(self, key, ok, latency, reason=None):
        with self.lock:
            (self.ok if ok else self.err)[key] += 1
            self.maxlat[key] = max(self.maxlat[key], latency)
            if reason:
                self.reasons[re.sub(r"\b(w\d+|x\d+|xbad|f1)\b", "NAME", reason)] += 1


STATS = Stats()


def reply_error_allowed(reason):
    return any(re.search(p, reason or "") for p in ALLOWED_REPLY_ERRORS)


# --- the chaos -------------------------------------------------------------------------------------

class Chaos:
    def __init__(self, args):
        self.args = args
        self.work = args.workdir
        self.bindir = os.path.join(self.work, "bin")
        self.conf = os.path.join(self.work, "cirque.yaml")
        self.control = "ipc://" + os.path.join(self.work, "control.sock")
        self.events = "ipc://" + os.path.join(self.work, "events.sock")
        self.daemon_opts = collections.OrderedDict([
            ("loglevel", args.loglevel), ("endpoint", self.control), ("pubsub_endpoint", self.events)])
        self.base, self.roles = base_watchers(self.work, args.watchers, args.procs)
        self.crashy = "w01"
        self.finite_retry = {self.crashy, BAD}
        self.rng = random.Random(args.seed)
        self.ctx = zmq.Context()
        self.proc = None
        self.dpid = None
        self.logf = None
        self.stop = threading.Event()
        self.drain_deadline = None
        self.live = 0                     # the daemon's children, as last seen
        self.signals = collections.Counter()
        self.sig_missed = 0
        self.cont_sweeps = 0
        self.burst_kills = 0
        self.bursts = 0
        self.reloads = collections.Counter()
        self.events_seen = collections.Counter()
        self.events_malformed = []
        self.peak = collections.Counter()
        self.zombie_sightings = 0
        self.driver_requests = collections.Counter()
        self.seq = 0
        self.main = None
        self.threads = []

    # -- files and daemon --
    def prepare(self):
        os.makedirs(self.bindir, exist_ok=True)
        os.makedirs(os.path.join(self.work, "logs"), exist_ok=True)
        os.makedirs(os.path.join(self.work, "run"), mode=0o700, exist_ok=True)
        sleep = shutil.which("sleep") or "/bin/sleep"
        for name in list(self.base) + ADDED + ["f1"]:
            path = os.path.join(self.bindir, name)
            if not os.path.lexists(path):
                os.symlink(sleep, path)
        if len(self.control) > 100:
            raise SystemExit("work dir path too long for an ipc endpoint: %s" % self.work)
        self.write_config(self.base)

    def write_config(self, watchers):
        tmp = self.conf + ".tmp"
        with open(tmp, "w") as f:
            f.write(render(self.daemon_opts, watchers))
        os.replace(tmp, self.conf)

    def start_daemon(self):
        env = dict(os.environ)
        env["CIRQUE_RUNTIME_DIR"] = os.path.join(self.work, "run")
        env.pop("NOTIFY_SOCKET", None)
        self.logf = open(self.args.log, "ab")
        self.proc = subprocess.Popen([self.args.cirqued, "-c", self.conf], stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=self.logf, cwd=self.work, env=env,
                                     start_new_session=True)
        self.dpid = self.proc.pid
        self.main = self.socket()
        self.call("list", timeout=30)

    def check_alive(self):
        if self.proc.poll() is not None:
            raise DaemonDied("the daemon exited with status %s" % self.proc.returncode)

    def socket(self):
        s = self.ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.IDENTITY, uuid.uuid4().hex.encode())
        s.connect(self.control)
        return s

    def call(self, command, props=None, timeout=30.0):
        """A request of the driver itself on the main socket: its reply (TimeoutError if none)."""
        self.seq += 1
        rid = "d-%d" % self.seq
        self.driver_requests[command] += 1
        self.main.send(json.dumps({"id": rid, "command": command,
                                   "properties": props or {}}).encode())
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                self.check_alive()
                raise TimeoutError("no reply to %s %s within %.0f s" % (command, props, timeout))
            if self.main.poll(int(min(left, 0.5) * 1000)):
                reply = json.loads(self.main.recv())
                if reply.get("id") == rid:
                    return reply
            else:
                self.check_alive()

    # -- clients --
    def pick_name(self, rng, command):
        r = rng.random()
        if command == "add":
            if r < 0.1:
                return BAD
            if r < 0.15:
                return rng.choice(list(self.base))
            return rng.choice(ADDED)
        if command == "rm":
            return rng.choice(ADDED + [BAD]) if r < 0.6 else rng.choice(list(self.base))
        if r < 0.12:
            return rng.choice(ADDED + [BAD, "f1"])
        return rng.choice(list(self.base))

    def random_request(self, rng, table=COMMANDS):
        command = rng.choices(list(table), weights=list(table.values()))[0]
        if command == "incr" and self.live > self.args.procs * 1.5:
            command = "decr"
        name = self.pick_name(rng, command)
        if command in ("start", "stop", "restart", "reload") and rng.random() < 0.05:
            name = rng.choice(GLOBS)
        props = {"name": name}
        if command in ("start", "stop", "restart", "reload", "rm", "incr", "decr"):
            props["waiting"] = rng.random() < 0.4
        if command in ("incr", "decr"):
            props["nb"] = rng.randint(1, 3)
        elif command == "signal":
            sig = rng.choice(CTL_SIGNALS)
            props["signum"] = sig if rng.random() < 0.7 else int(getattr(signal, "SIG" + sig))
            props["children"] = rng.random() < 0.3
        elif command == "add":
            if name == BAD:
                props["cmd"] = os.path.join(self.bindir, "missing-program") + " 3600"
                props["options"] = {"max_retry": 1}
            else:
                props["cmd"] = os.path.join(self.bindir, name) + " 3600"
                props["options"] = {"numprocesses": rng.randint(1, 3), "graceful_timeout": 1,
                                    "max_retry": -1, "ready": {"delay": "0.2s"},
                                    "rlimits": {"core": 0}}
            props["start"] = True
        elif command == "kill":
            props["signum"] = rng.choice(["TERM", "KILL"])
            props["graceful_timeout"] = 1
        elif command == "set":  # an option in place, a definition change, a count
            props["options"] = rng.choice([{"graceful_timeout": rng.choice([1, 2])},
                                           {"args": "1"}, {"numprocesses": rng.randint(1, 6)}])
        elif command == "status":
            if rng.random() < 0.5:
                props = {"processes": True}
        elif command in ("list", "numprocesses", "stats") and rng.random() < 0.5:
            props = {}
        return command, props

    def zmq_client(self, n):
        rng = random.Random("%s-%d" % (self.args.seed, n))
        sock = self.socket()
        outstanding = {}
        late = set()
        sent_at = {}
        seq = 0
        next_send = time.monotonic()
        try:
            while True:
                now = time.monotonic()
                stopping = self.stop.is_set()
                if not stopping and len(outstanding) < self.args.max_outstanding and \
                        now >= next_send:
                    command, props = self.random_request(rng)
                    seq += 1
                    rid = "c%d-%d" % (n, seq)
                    sock.send(json.dumps({"id": rid, "command": command,
                                          "properties": props}).encode())
                    STATS.on_sent(command)
                    outstanding[rid] = (command, props, now)
                    sent_at[rid] = time.strftime("%H:%M:%S", time.localtime()) + \
                        ".%03d" % (time.time() % 1 * 1000)
                    next_send = now + rng.expovariate(1.0 / self.args.request_interval)
                if stopping and not outstanding:
                    break
                if stopping and now > self.drain_deadline:
                    for rid, (command, props, t0) in outstanding.items():
                        STATS.unanswered.append("%s %s (sent at %s, id %s)" % (
                            command, json.dumps(props), sent_at[rid], rid))
                    break
                for rid, (command, props, t0) in outstanding.items():
                    if now - t0 > self.args.reply_timeout and rid not in late:
                        late.add(rid)
                        V.add("no reply within %.0f s to %s %s (sent at %s)" % (
                            self.args.reply_timeout, command, json.dumps(props), sent_at[rid]))
                if not sock.poll(20):
                    continue
                raw = sock.recv()
                try:
                    reply = json.loads(raw)
                except ValueError:
                    V.add("client %d: a reply is not JSON: %r" % (n, raw[:200]))
                    continue
                rid = reply.get("id") if isinstance(reply, dict) else None
                if rid not in outstanding:
                    V.add("client %d: a reply for no request: %r" % (n, raw[:200]))
                    continue
                command, props, t0 = outstanding.pop(rid)
                sent_at.pop(rid, None)
                late.discard(rid)
                status = reply.get("status")
                if status == "error":
                    reason = reply.get("reason")
                    STATS.on_reply(command, False, time.monotonic() - t0, reason)
                    if not reply_error_allowed(reason):
                        V.add("unexpected error reply to %s %s: %s" % (
                            command, json.dumps(props), json.dumps(reply)))
                elif status is not None and "time" in reply:
                    STATS.on_reply(command, True, time.monotonic() - t0)
                else:
                    STATS.on_reply(command, False, time.monotonic() - t0, "malformed reply")
                    V.add("malformed reply to %s: %r" % (command, raw[:200]))
        finally:
            sock.close(linger=0)

    def ctl_argv(self, command, props, rng):
        name = props.get("name")
        nowait = [] if props.get("waiting") else ["--no-wait"]
        if command in ("start", "stop", "restart", "reload"):
            return [command, name] + nowait
        if command in ("incr", "decr"):
            return [command, name, str(props["nb"])]
        if command == "signal":
            return ["signal", rng.choice(CTL_SIGNALS), name]
        if command == "rm":
            return ["remove", name]
        return ["status"] + ([name] if name else [])

    def ctl_client(self, n):
        rng = random.Random("%s-ctl-%d" % (self.args.seed, n))
        base = [self.args.cirquectl, "--endpoint", self.control, "--timeout",
                "%d" % self.args.reply_timeout]
        while not self.stop.is_set():
            command, props = self.random_request(rng, CTL_COMMANDS)
            argv = self.ctl_argv(command, props, rng)
            key = "ctl " + argv[0]
            STATS.on_sent(key)
            t0 = time.monotonic()
            try:
                r = subprocess.run(base + argv, stdin=subprocess.DEVNULL, capture_output=True,
                                   timeout=self.args.reply_timeout + 10)
            except subprocess.TimeoutExpired:
                STATS.unanswered.append("cirquectl %s" % " ".join(argv))
                V.add("cirquectl %s did not return" % " ".join(argv))
                continue
            out = (r.stdout + r.stderr).decode(errors="replace").strip()
            lat = time.monotonic() - t0
            if r.returncode in (5, 7):  # no reply within its --timeout (7: no connection)
                STATS.unanswered.append("cirquectl %s" % " ".join(argv))
                V.add("cirquectl %s: no reply within %d s (exit %d)" % (
                    " ".join(argv), self.args.reply_timeout, r.returncode))
            elif r.returncode in (0, 3):
                STATS.on_reply(key, True, lat)
            elif r.returncode == 4 or (r.returncode == 1 and any(
                    s in out for s in ALLOWED_CTL_ERRORS)):
                STATS.on_reply(key, False, lat, out.splitlines()[-1] if out else "exit %d" %
                               r.returncode)
            else:
                STATS.on_reply(key, False, lat, "exit %d" % r.returncode)
                V.add("cirquectl %s: exit %d: %s" % (" ".join(argv), r.returncode, out[-300:]))
            time.sleep(rng.expovariate(1.0 / self.args.request_interval))

    def subscriber(self):
        sub = self.ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        sub.setsockopt(zmq.SUBSCRIBE, b"watcher.")
        sub.connect(self.events)
        try:
            while not self.stop.is_set():
                if sub.poll(100):
                    frames = sub.recv_multipart()
                    try:
                        body = json.loads(frames[1]) if len(frames) == 2 else None
                    except ValueError:
                        body = None
                    if not (isinstance(body, dict) and "time" in body and
                            frames[0].startswith(b"watcher.")):
                        self.events_malformed.append(frames[:3])
                        continue
                    self.events_seen[frames[0].decode(errors="replace").rsplit(".", 1)[-1]] += 1
        finally:
            sub.close(linger=0)

    # -- the main loop: signals, bursts, reloads, sampling --
    def owner(self, args):
        prefix = self.bindir + "/"
        for a in args:
            if a.startswith(prefix):
                return a[len(prefix):]
        return None

    def run_chaos(self):
        args, rng = self.args, self.rng
        self.threads = threads = [threading.Thread(target=self.subscriber, daemon=True)]
        for n in range(args.clients):
            target = self.ctl_client if n == 0 and args.cirquectl else self.zmq_client
            threads.append(threading.Thread(target=target, args=(n,), daemon=True))
        for t in threads:
            t.start()
        log = LogTail(args.log)
        log.read()
        start = time.monotonic()
        end = start + args.duration
        next_signal = start
        next_sweep = start + 1
        next_burst = start + rng.uniform(3, 8)
        burst_end = 0
        next_reload = start + rng.uniform(1, args.reload_interval)
        pending = None  # (invalid, sent at)
        stopped_seen = set()
        zombies_seen = set()
        args_cache = {}
        next_progress = start + 30
        while True:
            now = time.monotonic()
            self.check_alive()
            chaos_on = now < end
            kids = direct_children(self.dpid)
            self.live = len(kids)
            # random signals to random children
            while chaos_on and kids and now >= next_signal:
                pid = rng.choice(kids)
                sig = rng.choices(list(SIGNALS), weights=list(SIGNALS.values()))[0]
                try:
                    os.kill(pid, getattr(signal, "SIG" + sig))
                    self.signals[sig] += 1
                except ProcessLookupError:
                    self.sig_missed += 1
                next_signal += rng.expovariate(1.0 / args.kill_interval)
            # crash-loop bursts on the crashy watcher: every new process dies at once
            if chaos_on and now >= next_burst:
                self.bursts += 1
                burst_end = now + 3
                next_burst = now + rng.uniform(8, 15)
            if chaos_on and now < burst_end:
                live = set(kids)
                for pid in list(args_cache):
                    if pid not in live:
                        del args_cache[pid]
                for pid in kids:
                    if pid not in args_cache:
                        a = read_args(pid)
                        if a and os.path.basename(a[0]) == os.path.basename(args.cirqued):
                            continue  # between clone and exec
                        args_cache[pid] = a
                    if self.owner(args_cache[pid]) == self.crashy:
                        try:
                            os.kill(pid, signal.SIGKILL)
                            self.burst_kills += 1
                        except ProcessLookupError:
                            pass
            # every second: SIGCONT to what stayed stopped for a second; zombies; peaks
            if now >= next_sweep:
                next_sweep = now + 1
                procs = scan_proc()
                below = descendants(procs, self.dpid)
                stopped = {(p, procs[p].start) for p in below if procs[p].state == "T"}
                for pid, _ in stopped & stopped_seen:
                    try:
                        os.kill(pid, signal.SIGCONT)
                        self.cont_sweeps += 1
                    except ProcessLookupError:
                        pass
                stopped_seen = stopped
                zombies = {(p, procs[p].start) for p in kids if p in procs and
                           procs[p].state == "Z"}
                self.zombie_sightings += len(zombies & zombies_seen)
                zombies_seen = zombies
                self.peak["children"] = max(self.peak["children"], len(kids))
                self.peak["descendants"] = max(self.peak["descendants"], len(below))
                self.peak["fds"] = max(self.peak["fds"], len(fd_targets(self.dpid)))
                self.peak["rss_kb"] = max(self.peak["rss_kb"], rss_kb(self.dpid))
            # SIGHUP reloads, one at a time: its outcome is read in the log
            if pending:
                text = log.read()
                done = re.search(r"\] (reload complete|reload failed)", text)
                if done:
                    invalid = pending[0]
                    if (done.group(1) == "reload failed") != invalid:
                        V.add("a reload of a%s file ended with '%s'" % (
                            "n invalid" if invalid else " valid", done.group(1)))
                    self.reloads["failed" if done.group(1) == "reload failed" else "complete"] += 1
                    pending = None
                elif now - pending[1] > args.reply_timeout:
                    V.add("SIGHUP not handled within %.0f s" % args.reply_timeout)
                    pending = None
            elif chaos_on and now >= next_reload:
                watchers, invalid = mutate(self.base, rng, self.work)
                self.write_config(watchers)
                log.read()
                os.kill(self.dpid, signal.SIGHUP)
                self.reloads["sighup"] += 1
                self.reloads["invalid" if invalid else "valid"] += 1
                pending = (invalid, now)
                next_reload = now + rng.uniform(0.5, 1.5) * args.reload_interval
            if now >= next_progress and chaos_on:
                next_progress = now + 60
                print("  %4.0f s: %d children, %d requests, %d signals, %d reloads" % (
                    now - start, len(kids), sum(STATS.sent.values()), sum(self.signals.values()),
                    self.reloads["sighup"]), flush=True)
            if not chaos_on:
                if not self.stop.is_set():
                    # quiesce: no new request; wait for the replies still due
                    self.stop.set()
                    self.drain_deadline = now + args.reply_timeout
                self.cont_all()
                if pending is None and not any(t.is_alive() for t in threads):
                    break
                if now > self.drain_deadline + 30:
                    V.add("the clients did not finish")
                    break
                time.sleep(0.1)
                continue
            time.sleep(0.01)
        self.cont_all()  # after the last reply: a `signal STOP` may have come just before it
        self.chaos_seconds = time.monotonic() - start

    def cont_all(self):
        procs = scan_proc()
        for pid in descendants(procs, self.dpid):
            if procs[pid].state == "T":
                try:
                    os.kill(pid, signal.SIGCONT)
                    self.cont_sweeps += 1
                except ProcessLookupError:
                    pass

    # -- checks --
    def snapshot(self, expect):
        """Problems with the state EXPECT (name -> count); an empty list when all is right."""
        problems = []
        listed = self.call("list").get("watchers")
        if sorted(listed or []) != sorted(expect):
            problems.append("watchers listed %s, expected %s" % (listed, sorted(expect)))
        status = self.call("status", {"processes": True})
        procs = scan_proc()
        below = descendants(procs, self.dpid)
        by_name = collections.defaultdict(list)
        foreign = []
        for pid in below:
            p = procs[pid]
            if p.state == "Z":
                problems.append("zombie pid %d (parent %d)" % (pid, p.ppid))
            elif p.state == "T":
                problems.append("stopped pid %d" % pid)
            if p.ppid != self.dpid:
                continue
            name = self.owner(read_args(pid))
            if name is None:
                foreign.append(pid)
            else:
                by_name[name].append(pid)
        if foreign:
            problems.append("children of the daemon that belong to no watcher: %s" % ", ".join(
                "%d %s" % (p, " ".join(read_args(p))) for p in foreign))
        for name in sorted(set(by_name) - set(expect)):
            problems.append("%s: %d processes left of a removed watcher" % (
                name, len(by_name[name])))
        self.final_counts = {}
        for name, n in expect.items():
            state = (status.get("statuses") or {}).get(name)
            plist = (status.get("processes") or {}).get(name) or []
            running = [p for p in plist if p.get("state") == "RUNNING" and not p.get("retiring")]
            dpids = sorted(p.get("pid", 0) for p in plist)
            ppids = sorted(by_name.get(name, []))
            self.final_counts[name] = (n, len(running), len(ppids))
            if state != "active" or len(plist) != n or len(running) != n or dpids != ppids:
                problems.append("%s: expected %d; the daemon says %s, %d processes (%d RUNNING): "
                                "%s; /proc has %d: %s" % (
                                    name, n, state, len(plist), len(running), ", ".join(
                                        "wid %s %s%s pid %s" % (
                                            p.get("wid"), p.get("state"),
                                            " retiring" if p.get("retiring") else "",
                                            p.get("pid", "-")) for p in plist),
                                    len(ppids), ppids))
        return problems

    def converge(self, expect, timeout):
        t0 = time.monotonic()
        while True:
            problems = self.snapshot(expect)
            if not problems:
                return time.monotonic() - t0, []
            if time.monotonic() - t0 > timeout:
                return time.monotonic() - t0, problems
            time.sleep(0.2)

    def quiet_figures(self, expect, baseline, timeout):
        """(fds, rss) at a moment when the state is EXPECT before and after; with BASELINE, waits
        until the fd count is within the margin (the zmq connections of the clients close
        asynchronously)."""
        t0 = time.monotonic()
        best = None
        while True:
            if not self.snapshot(expect):
                fds, rss = fd_targets(self.dpid), rss_kb(self.dpid)
                if not self.snapshot(expect):
                    if baseline is None:
                        return fds, rss
                    if best is None or abs(len(fds) - baseline) < abs(len(best[0]) - baseline):
                        best = (fds, rss)
                    if abs(len(fds) - baseline) <= self.args.fd_margin:
                        return fds, rss
            if time.monotonic() - t0 > timeout:
                if best is None:
                    return fd_targets(self.dpid), rss_kb(self.dpid)
                return best
            time.sleep(0.25)

    def restore(self, end):
        """The initial configuration, counts and started watchers again, by the time END."""
        self.write_config(self.base)
        r = self.call("reloadconfig", timeout=self.args.reply_timeout)
        if r.get("status") != "ok":
            V.add("final reloadconfig: %s" % json.dumps(r))
        for name, spec in self.base.items():
            r = self.call("set", {"name": name, "options": {"numprocesses": spec["numprocesses"]}})
            if r.get("status") != "ok":
                V.add("final set %s numprocesses: %s" % (name, json.dumps(r)))
        # every waiting start in flight at once; the replies come as the watchers settle
        ids = {}
        for name in self.base:
            self.seq += 1
            rid = "d-%d" % self.seq
            ids[rid] = name
            self.driver_requests["start"] += 1
            self.main.send(json.dumps({"id": rid, "command": "start",
                                       "properties": {"name": name, "waiting": True}}).encode())
        failed = []
        while ids and time.monotonic() < end:
            if not self.main.poll(500):
                self.check_alive()
                continue
            reply = json.loads(self.main.recv())
            name = ids.pop(reply.get("id"), None)
            if name and reply.get("status") != "ok":
                failed.append((name, reply))
        for rid, name in ids.items():
            V.add("no reply within %.0f s to the final waiting start of %s" % (
                self.args.settle_timeout, name))
        for name, reply in failed:  # a second chance: report, then start again
            V.add("final waiting start of %s: %s" % (name, json.dumps(reply)))
            try:
                self.call("start", {"name": name, "waiting": True},
                          timeout=max(1, end - time.monotonic()))
            except TimeoutError as e:
                V.add(str(e))

    def shutdown(self):
        os.kill(self.dpid, signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            V.add("the daemon did not exit within 30 s of SIGTERM")
            self.kill_daemon()
            return
        if rc != 0:
            V.add("the daemon exited with status %d after SIGTERM" % rc)
        left = []
        for pid in scan_proc():
            a = read_args(pid)
            if any(x.startswith(self.bindir + "/") for x in a):
                left.append("%d %s" % (pid, " ".join(a)))
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if left:
            V.add("processes left after the daemon's exit: %s" % "; ".join(left[:10]))
        self.left_after_exit = len(left)

    def kill_daemon(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pid in scan_proc():
            if any(x.startswith(self.bindir + "/") for x in read_args(pid)):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def check_log(self):
        """Counts the log's lines by level; every [error]/[critical] must match ALLOWED_LOG_ERRORS."""
        allowed = collections.Counter()
        unexpected = []
        levels = collections.Counter()
        sanitizer = []
        pats = {k: re.compile(p.replace("{conf}", re.escape(self.conf)))
                for k, p in ALLOWED_LOG_ERRORS.items()}
        with open(self.args.log, errors="replace") as f:
            f.seek(self.log_start)
            for line in f:
                if "Sanitizer" in line or "runtime error:" in line:
                    sanitizer.append(line.rstrip())
                m = re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \[(\w+)\] (.*)$", line.rstrip())
                if not m:
                    continue
                levels[m.group(1)] += 1
                if m.group(1) not in ("error", "critical"):
                    continue
                msg = m.group(2)
                for kind, pat in pats.items():
                    hit = pat.match(msg)
                    if hit and (kind not in ("gave up", "exec") or
                                hit.group("name") in self.finite_retry):
                        allowed[kind] += 1
                        break
                else:
                    unexpected.append(line.rstrip())
        if sanitizer:
            V.add("sanitizer report in the daemon log: %s" % sanitizer[0])
        if unexpected:
            V.add("%d unexpected [error]/[critical] lines in the daemon log, first: %s" % (
                len(unexpected), "\n    ".join(unexpected[:10])))
        if allowed["reload failed"] != self.reloads["invalid"] or \
                allowed["config"] != self.reloads["invalid"]:
            V.add("%d invalid files sent with SIGHUP, but the log has %d 'reload failed' and %d "
                  "configuration errors" % (self.reloads["invalid"], allowed["reload failed"],
                                            allowed["config"]))
        return levels, allowed, unexpected


class LogTail:
    """What was appended to the log since the last read, in whole lines."""
    def __init__(self, path):
        self.path = path
        self.offset = os.path.getsize(path) if os.path.exists(path) else 0

    def read(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except OSError:
            return ""
        end = data.rfind(b"\n") + 1
        self.offset += end
        return data[:end].decode(errors="replace")


# --- main ------------------------------------------------------------------------------------------

def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--duration", type=float, default=600, help="seconds of chaos (600)")
    p.add_argument("--watchers", type=int, default=20)
    p.add_argument("--procs", type=int, default=200, help="processes over all watchers (200)")
    p.add_argument("--clients", type=int, default=4,
                   help="concurrent clients (4): the first runs cirquectl, the others raw zmq")
    p.add_argument("--cirqued", default=os.path.join(ROOT, "src", "cirqued"))
    p.add_argument("--cirquectl", default=os.path.join(ROOT, "src", "cirquectl"),
                   help="'' for raw zmq clients only")
    p.add_argument("--workdir", help="default: a new temporary directory")
    p.add_argument("--log", help="the daemon's log (default WORKDIR/daemon.log); appended to")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--kill-interval", type=float, default=0.05,
                   help="mean seconds between random signals (0.05)")
    p.add_argument("--request-interval", type=float, default=0.15,
                   help="mean pause of each client between requests (0.15)")
    p.add_argument("--max-outstanding", type=int, default=3,
                   help="requests in flight per zmq client (3)")
    p.add_argument("--reload-interval", type=float, default=3, help="mean seconds between SIGHUPs")
    p.add_argument("--reply-timeout", type=float, default=90,
                   help="a request without reply after this long is a violation (90)")
    p.add_argument("--settle-timeout", type=float, default=90,
                   help="limit for the start and final states to be reached (90)")
    p.add_argument("--fd-margin", type=int, default=4)
    p.add_argument("--rss-margin-pct", type=float, default=25)
    p.add_argument("--rss-margin-mb", type=float, default=4)
    p.add_argument("--loglevel", default="info", help="the daemon's loglevel (info)")
    p.add_argument("--keep", action="store_true", help="keep the work dir after a pass")
    a = p.parse_args()
    if a.watchers < 6 or a.procs < a.watchers:
        p.error("at least 6 watchers, and one process per watcher")
    if a.seed is None:
        a.seed = random.randrange(1 << 30)
    return a


def main():
    args = parse_args()
    own_workdir = args.workdir is None
    if own_workdir:
        args.workdir = tempfile.mkdtemp(prefix="cirque-soak.")
    args.workdir = os.path.abspath(args.workdir)
    os.makedirs(args.workdir, exist_ok=True)
    args.log = os.path.abspath(args.log or os.path.join(args.workdir, "daemon.log"))
    for path in (args.cirqued,) + ((args.cirquectl,) if args.cirquectl else ()):
        if not os.access(path, os.X_OK):
            raise SystemExit("chaos.py: %s is not executable (run make)" % path)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    c = Chaos(args)
    c.prepare()
    nctl = 1 if args.cirquectl and args.clients else 0
    print("chaos soak: %.0f s, %d watchers, %d processes, %d clients (%d cirquectl, %d zmq), "
          "seed %d" % (args.duration, args.watchers, args.procs, args.clients, nctl,
                       args.clients - nctl, args.seed))
    print("  work dir %s, daemon log %s" % (args.workdir, args.log), flush=True)
    expect = collections.OrderedDict((n, s["numprocesses"]) for n, s in c.base.items())
    c.log_start = os.path.getsize(args.log) if os.path.exists(args.log) else 0
    figures = {}
    asan = False
    t_begin = time.monotonic()
    try:
        c.start_daemon()
        asan = has_asan(c.dpid)
        print("  daemon pid %d%s; roles: %s" % (c.dpid, " (ASan build)" if asan else "", ", ".join(
            "%s %s" % (n, r) for n, r in c.roles.items() if r != "plain")), flush=True)
        took, problems = c.converge(expect, args.settle_timeout)
        if problems:
            raise AssertionError("the initial state was not reached within %.0f s:\n    %s" % (
                args.settle_timeout, "\n    ".join(problems)))
        time.sleep(1)
        fds0, rss0 = c.quiet_figures(expect, None, args.settle_timeout)
        print("  started: %d processes RUNNING in %.1f s; %d fds, RSS %d kB" % (
            args.procs, took, len(fds0), rss0), flush=True)

        c.run_chaos()
        print("  chaos over after %.0f s; restoring the initial configuration" % c.chaos_seconds,
              flush=True)
        t_restore = time.monotonic()
        end = t_restore + args.settle_timeout
        c.restore(end)
        took, problems = c.converge(expect, max(5, end - time.monotonic()))
        figures["converged"] = time.monotonic() - t_restore
        for p in problems:
            V.add("final state: " + p)
        fds1, rss1 = c.quiet_figures(expect, len(fds0), 10)
        figures["fds"] = (fds0, rss0, fds1, rss1)
        # zombies: none below the daemon now, nor a second later
        procs = scan_proc()
        z1 = {(p, procs[p].start) for p in descendants(procs, c.dpid) if procs[p].state == "Z"}
        time.sleep(1)
        procs = scan_proc()
        z2 = {(p, procs[p].start) for p in descendants(procs, c.dpid) if procs[p].state == "Z"}
        figures["zombies"] = len(z1 & z2)
        if z1 & z2:
            V.add("zombies below the daemon for more than 1 s: %s" % sorted(z1 & z2))
        c.shutdown()
    except DaemonDied as e:
        V.add(str(e))
    except (AssertionError, TimeoutError) as e:
        V.add(str(e))
    except BaseException as e:
        if not isinstance(e, SystemExit):
            traceback.print_exc()
        V.add("chaos.py stopped: %r" % e)
    finally:
        c.stop.set()
        if c.drain_deadline is None or c.proc is None or c.proc.poll() is not None:
            c.drain_deadline = time.monotonic()  # the clients list what is still unanswered
        for t in c.threads:
            t.join(timeout=args.reply_timeout + 15)
        c.kill_daemon()
    levels, allowed, unexpected = c.check_log()

    # --- figures ---
    print()
    print("requests (sent / ok / error / unanswered / max latency s):")
    keys = sorted(STATS.sent, key=lambda k: (k.startswith("ctl "), k))
    for k in keys:
        print("  %-14s %6d %6d %6d %4d %7.2f" % (k, STATS.sent[k], STATS.ok[k], STATS.err[k],
                                                 STATS.sent[k] - STATS.ok[k] - STATS.err[k],
                                                 STATS.maxlat[k]))
    tot_sent, tot_ans = sum(STATS.sent.values()), sum(STATS.ok.values()) + sum(STATS.err.values())
    print("  %-14s %6d %6d %6d %4d" % ("total", tot_sent, sum(STATS.ok.values()),
                                       sum(STATS.err.values()), tot_sent - tot_ans))
    print("  driver's own requests: %d (%s)" % (sum(c.driver_requests.values()), ", ".join(
        "%s %d" % kv for kv in sorted(c.driver_requests.items()))))
    if STATS.reasons:
        print("  error replies: " + "; ".join("%s: %d" % kv for kv in STATS.reasons.most_common(8)))
    if tot_sent != tot_ans:
        V.add("%d of %d requests got no reply: %s" % (tot_sent - tot_ans, tot_sent,
                                                      "; ".join(STATS.unanswered[:10])))
    print("signals: %s (%d to processes already gone); crash bursts %d (%d kills); SIGCONT by the "
          "sweeper %d" % (", ".join("%s %d" % kv for kv in sorted(c.signals.items())),
                          c.sig_missed, c.bursts, c.burst_kills, c.cont_sweeps))
    print("reloads: %d SIGHUP (%d valid, %d invalid) -> %d complete, %d failed" % (
        c.reloads["sighup"], c.reloads["valid"], c.reloads["invalid"], c.reloads["complete"],
        c.reloads["failed"]))
    print("events received: %s; malformed: %d" % (", ".join("%s %d" % kv for kv in sorted(
        c.events_seen.items())) or "none", len(c.events_malformed)))
    if c.events_malformed:
        V.add("%d malformed events (not [topic, json]), first: %r" % (
            len(c.events_malformed), c.events_malformed[0]))
    print("during the chaos: up to %d children (%d descendants), %d fds, RSS %d kB; zombies "
          "older than 1 s seen %d times" % (c.peak["children"], c.peak["descendants"],
                                           c.peak["fds"], c.peak["rss_kb"], c.zombie_sightings))
    if "converged" in figures:
        print("final state reached %.1f s after the restore; per watcher (expected/RUNNING/in "
              "/proc):" % figures["converged"])
        items = ["%s %d/%d/%d" % ((n,) + c.final_counts.get(n, (0, 0, 0))) for n in c.base]
        for i in range(0, len(items), 5):
            print("  " + "   ".join(items[i:i + 5]))
        print("zombies: %d; processes left after the daemon's exit: %d" % (
            figures.get("zombies", -1), getattr(c, "left_after_exit", -1)))
    if "fds" in figures:
        fds0, rss0, fds1, rss1 = figures["fds"]
        d = len(fds1) - len(fds0)
        print("fds: start %d, end %d (%+d, margin %d)" % (len(fds0), len(fds1), d, args.fd_margin))
        k0, k1 = fd_kinds(fds0), fd_kinds(fds1)
        if d:
            print("  by kind, start -> end: " + ", ".join(
                "%s %d -> %d" % (k.replace(args.workdir + "/", ""), k0[k], k1[k])
                for k in sorted(set(k0) | set(k1))
                if k0[k] != k1[k]))
        if abs(d) > args.fd_margin:
            V.add("the daemon has %d fds at the end, %d at the start" % (len(fds1), len(fds0)))
        limit = max(rss0 * args.rss_margin_pct / 100, args.rss_margin_mb * 1024)
        print("RSS: start %d kB, end %d kB (%+d kB, %+.0f%%; allowed +%d kB%s)" % (
            rss0, rss1, rss1 - rss0, 100.0 * (rss1 - rss0) / max(rss0, 1), limit,
            ", not enforced under ASan" if asan else ""))
        if rss1 - rss0 > limit and not asan:
            V.add("the daemon's RSS grew from %d kB to %d kB" % (rss0, rss1))
    print("log: %s; allowed errors: %s; unexpected: %d" % (
        ", ".join("%s %d" % kv for kv in sorted(levels.items())),
        ", ".join("%s %d" % kv for kv in sorted(allowed.items())) or "none", len(unexpected)))
    print("time: %.0f s in all" % (time.monotonic() - t_begin))
    print()
    if V.items:
        print("FAIL: %d violation%s:" % (len(V.items), "" if len(V.items) == 1 else "s"))
        for v in V.items:
            print("  - " + v)
        print("work dir kept: %s (seed %d)" % (args.workdir, args.seed))
        return 1
    print("PASS")
    if own_workdir and not args.keep:
        shutil.rmtree(args.workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
