# cirquectl reexec: 200 processes in 5 watchers, two of them writing without pause, one in a
# graceful stop, and a client sending requests in a loop. The daemon execs a rebuilt binary:
# same daemon pid, every process pid the same and still its child, status agrees with /proc,
# every line the children wrote is in the logs once, every request got exactly one reply, the
# stop escalates at its graceful_timeout (not reset by the exec), and a process killed just
# after the exec is reaped and respawned. Then the failures: a removed binary and one that
# cannot read the state leave the daemon running and answering; SIGUSR2 re-executes too.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
mkdir -p "$T/bin"
cp "$CIRQUED" "$T/bin/cirqued"
CIRQUED="$T/bin/cirqued"
LINES=1500

cat >"$CONF" <<YAML
watchers:
  idle1:
    cmd: $(sleeper idle1) 1000
    numprocesses: 120
  idle2:
    cmd: $(sleeper idle2) 1000
    numprocesses: 60
  talk1:
    cmd: sh -c 'n=0; while [ \$n -lt $LINES ]; do n=\$((n+1)); echo "\$\$ \$n"; [ \$((n % 20)) -eq 0 ] && sleep 0.05; done; sleep 1000'
    numprocesses: 5
    stdout: { file: $T/talk1.log }
  talk2:
    cmd: sh -c 'n=0; while [ \$n -lt $LINES ]; do n=\$((n+1)); echo "\$\$ \$n" >&2; [ \$((n % 20)) -eq 0 ] && sleep 0.05; done; sleep 1000'
    numprocesses: 5
    stderr: { file: $T/talk2.log }
  slow:
    cmd: sh -c 'trap "" TERM; while :; do sleep 0.2; done'
    numprocesses: 10
    graceful_timeout: 4
YAML
start_daemon
wait_for 30 '[ "$(children | wc -l)" -ge 200 ]' || fail "200 processes did not start: $(children | wc -l)"
wait_for 30 '"$CTL" status >/dev/null 2>&1 && ! "$CTL" status | grep -q STARTING' ||
	fail "not all running: $("$CTL" status | grep -v RUNNING | head)"

# The pids of every watcher, as status gives them: "name wid pid" lines, sorted.
status_pids() {
	"$CTL" status --json | $PY -c '
import json, sys
d = json.load(sys.stdin)
for name, procs in d["processes"].items():
    for p in procs:
        if p.get("pid"):
            print(name, p["wid"], p["pid"])' | sort
}
status_pids >"$T/before"
[ "$(wc -l <"$T/before")" -eq 200 ] || fail "status lists $(wc -l <"$T/before") processes, not 200"

# A client sending `list` requests one after the other; a request whose connection closes
# before its reply is sent again (same id), as cirquectl does. It reports what it counted.
$PY - "ipc://$CIRQUE_RUNTIME_DIR/control.sock" "$T/stop-loop" >"$T/loop.json" <<'PYEOF' &
import json, os, sys, time, zmq
from zmq.utils.monitor import recv_monitor_message
ctx = zmq.Context()
s = ctx.socket(zmq.DEALER)
s.setsockopt(zmq.LINGER, 0)
mon = s.get_monitor_socket(zmq.EVENT_DISCONNECTED)
s.connect(sys.argv[1])
poller = zmq.Poller()
poller.register(s, zmq.POLLIN)
poller.register(mon, zmq.POLLIN)
sent = resends = errors = 0
replies = {}
def take(msg):
    global errors
    r = json.loads(msg)
    replies[r.get("id")] = replies.get(r.get("id"), 0) + 1
    if r.get("status") != "ok":
        errors += 1
    if len(replies) == 1:
        open(os.path.join(os.path.dirname(sys.argv[2]), "loop-started"), "w").write("1")
    return r.get("id")
seq = 0
while not os.path.exists(sys.argv[2]):
    seq += 1
    rid = "loop-%d" % seq
    msg = json.dumps({"id": rid, "command": "list", "properties": {}})
    s.send_string(msg)
    sent += 1
    deadline = time.time() + 30
    closed_at = None
    while time.time() < deadline:
        for sock, _ in poller.poll(50):
            if sock is mon:
                recv_monitor_message(mon)
                closed_at = time.time()
            elif take(s.recv_string()) == rid:
                deadline = 0
        if deadline and closed_at and time.time() - closed_at > 0.5:
            s.send_string(msg)   # never read by the old image: goes to the new one
            resends += 1
            closed_at = None
end = time.time() + 1
while time.time() < end:
    if s.poll(100):
        take(s.recv_string())
lost = [i for i in ("loop-%d" % k for k in range(1, seq + 1)) if i not in replies]
dups = [i for i, n in replies.items() if n > 1]
print(json.dumps({"sent": sent, "lost": len(lost), "dups": len(dups), "errors": errors,
                  "resends": resends}))
PYEOF
LOOP=$!
wait_for 10 '[ -s "$T/loop-started" ]' || fail "the request loop did not start"

# The graceful stop under way across the exec: the processes ignore SIGTERM.
# A follower of the output (tail -f) goes on across the exec.
"$CTL" tail -f talk1 >"$T/follow.out" 2>"$T/follow.err" &
FOLLOWER=$!
wait_for 10 '[ -s "$T/follow.out" ]' || fail "tail -f shows nothing"
# A waiting stop on the wire is answered before the exec, saying so; cirquectl's waiting stop
# asks again and waits for the stop in the new image.
$PY - "ipc://$CIRQUE_RUNTIME_DIR/control.sock" >"$T/rawstop.out" <<'PYEOF' &
import sys, zmq
s = zmq.Context().socket(zmq.DEALER)
s.setsockopt(zmq.LINGER, 0)
s.connect(sys.argv[1])
s.send_string('{"id": "raw-stop", "command": "stop", "properties": {"name": "slow", "waiting": true}}')
print(s.recv_string() if s.poll(30000) else "no reply")
PYEOF
RAWSTOP=$!
wait_for 10 'grep -q "watcher slow: stopping" "$DLOG"' || fail "the stop of slow did not begin"
"$CTL" stop slow >"$T/stop.out" 2>&1 &
STOPPER=$!
# The talkers are writing: the exec comes in the middle of their output.
written=$(cat "$T/talk1.log" "$T/talk2.log" | wc -l)
[ "$written" -gt 0 ] && [ "$written" -lt $((10 * LINES / 2)) ] ||
	fail "the talkers are not mid-way at the exec ($written lines of $((10 * LINES)))"
stop_began=$(date +%s.%N)
# A rebuilt binary: a new file (a new inode) at the same path.
cp "$ROOT/src/cirqued" "$T/bin/cirqued.new" && mv "$T/bin/cirqued.new" "$T/bin/cirqued"
out=$("$CTL" reexec --check 2>&1) || fail "reexec --check failed: $out"
echo "$out" | grep -q "can resume this daemon: cirqued .*: can resume state version 1$" || fail "reexec --check: $out"
grep -q "resuming" "$DLOG" && fail "reexec --check re-executed"
out=$("$CTL" reexec 2>&1) || fail "reexec failed: $out"
note "$out"
version=$(sed -n 's/^#define CIRQUE_VERSION "\(.*\)"/\1/p' "$ROOT/src/version.h")
echo "$out" | grep -q "^cirqued $version re-executed from $T/bin/cirqued (generation 1): every process kept" ||
	fail "reexec output: $out"
kill -0 "$DPID" || fail "the daemon's pid changed"
grep -q "resumed generation 1: 5 watchers" "$DLOG" || fail "no resume in the log"
readlink "/proc/$DPID/exe" | grep -q deleted && fail "the daemon still runs the old binary"

wait_for 10 'grep -q "following again" "$T/follow.err"' || fail "tail -f: $(cat "$T/follow.err")"
followed=$(wc -l <"$T/follow.out")
wait_for 10 '[ "$(wc -l <"$T/follow.out")" -gt "$followed" ]' || fail "tail -f shows nothing after the exec"
kill "$FOLLOWER" 2>/dev/null

wait "$RAWSTOP"
grep -q '"status": *"error".*cirqued re-executed meanwhile: it goes on' "$T/rawstop.out" ||
	fail "the waiting stop on the wire was not told of the exec: $(cat "$T/rawstop.out")"
wait "$STOPPER" || fail "cirquectl's waiting stop failed across the exec: $(cat "$T/stop.out")"
"$CTL" status slow | grep -q STOPPED || fail "cirquectl stop returned before slow stopped: $("$CTL" status slow | head -2)"


# A process killed just after the exec is reaped and respawned in its slot.
victim=$(awk '$1 == "idle1" && $2 == 7 {print $3}' "$T/before")
kill -9 "$victim"
wait_for 10 '"$CTL" status idle1:7 | grep -q RUNNING && ! "$CTL" status idle1:7 | grep -qw "$victim"' ||
	fail "idle1:7 (pid $victim, killed after the exec) was not respawned: $("$CTL" status idle1:7)"

# The stop ends at graceful_timeout from its start, not from the exec.
wait_for 30 '"$CTL" status slow | grep -qv STOPPING && [ "$(grep -c "^slow" "$T/after_slow" 2>/dev/null || echo 0)" = 0 ]; status_pids >"$T/after_slow"; ! grep -q "^slow" "$T/after_slow"' ||
	fail "slow did not stop: $("$CTL" status slow | head -3)"
grep -q "watcher slow.*sending SIGKILL\|watcher slow.*sent SIGKILL" "$DLOG" || fail "slow was not escalated"
kill_at=$(grep -m1 "watcher slow.*SIGKILL" "$DLOG" | awk '{print $2}')
stop_at=$(grep -m1 "watcher slow: stopping" "$DLOG" | awk '{print $2}')
$PY -c 'import sys
def s(t): h, m, x = t.split(":"); return int(h) * 3600 + int(m) * 60 + float(x)
d = s(sys.argv[2]) - s(sys.argv[1])
sys.exit(0 if d >= 3.9 else "SIGKILL %.2f s after the stop, before graceful_timeout 4" % d)' "$stop_at" "$kill_at" ||
	fail "the stop's grace was not carried across the exec"

# Every other pid is the same, and status agrees with /proc.
grep -v "^slow" "$T/before" | grep -v "^idle1 7 " >"$T/expected"
status_pids | grep -v "^idle1 7 " >"$T/after"
diff "$T/expected" "$T/after" >/dev/null || fail "pids changed: $(diff "$T/expected" "$T/after" | head)"
status_pids | awk '{print $3}' | sort >"$T/status_set"
children | sort >"$T/proc_set"
diff "$T/status_set" "$T/proc_set" >/dev/null ||
	fail "status and /proc differ: $(diff "$T/status_set" "$T/proc_set" | head)"

# Every line written, once: each talker wrote 1..LINES.
for log in talk1 talk2; do
	wait_for 30 '[ "$(wc -l <"$T/$log.log")" -ge $((5 * LINES)) ]' ||
		fail "$log.log has $(wc -l <"$T/$log.log") lines, expected $((5 * LINES))"
	$PY - "$T/$log.log" "$LINES" <<'PYEOF' || fail "$log's output across the exec"
import sys, collections
lines = open(sys.argv[1]).read().split("\n")[:-1]
seen = collections.defaultdict(list)
for line in lines:
    pid, n = line.split()
    seen[pid].append(int(n))
want = list(range(1, int(sys.argv[2]) + 1))
bad = {p: (len(v), len(set(v))) for p, v in seen.items() if v != want}
if len(seen) != 5 or bad:
    sys.exit("pids %d, wrong sequences (lines, distinct): %s" % (len(seen), bad))
PYEOF
done
grep -q "$LINES" <("$CTL" tail talk1 -n 1) || fail "tail after the exec: $("$CTL" tail talk1 -n 2)"

touch "$T/stop-loop"
wait "$LOOP" || fail "the request loop failed"
loop=$(cat "$T/loop.json")
note "request loop: $loop"
[ "$(echo "$loop" | json_eval 'd["lost"] + d["dups"] + d["errors"]')" = 0 ] ||
	fail "requests lost, answered twice or failed across the exec: $loop"
[ "$(echo "$loop" | json_eval 'd["sent"]')" -gt 10 ] || fail "the loop sent too little: $loop"

# A removed binary: refused, nothing changes.
before_pids=$(status_pids)
mv "$T/bin/cirqued" "$T/bin/cirqued.kept"
out=$("$CTL" reexec 2>&1) && fail "reexec without a binary succeeded: $out"
echo "$out" | grep -q "cannot run $T/bin/cirqued" || fail "reexec without a binary: $out"
[ "$(status_pids)" = "$before_pids" ] || fail "pids changed after a failed reexec"
# A binary that cannot read this state (here one that fails whatever it is asked) refuses.
cp /bin/false "$T/bin/cirqued"
chmod 755 "$T/bin/cirqued"
out=$("$CTL" reexec 2>&1) && fail "reexec with an old binary succeeded: $out"
echo "$out" | grep -q "cannot resume this daemon" || fail "old binary: $out"
# One that exits 0 without saying it can (not a cirqued) is no answer either.
cp /bin/true "$T/bin/cirqued"
out=$("$CTL" reexec 2>&1) && fail "reexec with /bin/true succeeded: $out"
echo "$out" | grep -q "cannot resume this daemon: it does not say it can" || fail "/bin/true: $out"
# One that others could replace is never run as root.
cp "$T/bin/cirqued.kept" "$T/bin/cirqued" && chmod 0757 "$T/bin/cirqued"
out=$("$CTL" reexec 2>&1) && fail "reexec of a binary others can write succeeded: $out"
echo "$out" | grep -q "refusing to run $T/bin/cirqued: others can write it" || fail "writable binary: $out"
"$CTL" status idle2 >/dev/null || fail "the daemon does not answer after refused re-execs"
[ "$(status_pids)" = "$before_pids" ] || fail "pids changed after a refused reexec"

# An exec that fails after the check (a script passes the check, but is not exec'd through its
# descriptor): the control socket is opened again on the socket kept, nothing else changed.
printf '#!/bin/sh\nexec %s "$@"\n' "$T/bin/cirqued.kept" >"$T/bin/cirqued"
chmod 0755 "$T/bin/cirqued"
out=$("$CTL" reexec 2>&1) && fail "reexec of a script succeeded: $out"
grep -q "re-exec: cannot execute $T/bin/cirqued: .*going on as before" "$DLOG" ||
	fail "no failed exec in the log: $out"
wait_for 10 '"$CTL" status idle2 >/dev/null 2>&1' || fail "no answer after a failed exec"
[ "$(status_pids)" = "$before_pids" ] || fail "pids changed after a failed exec"

# SIGUSR2 re-executes as the command does.
mv "$T/bin/cirqued.kept" "$T/bin/cirqued"
chmod 0755 "$T/bin/cirqued"
kill -USR2 "$DPID"
wait_for 20 'grep -q "resumed generation 2" "$DLOG"' || fail "SIGUSR2 did not re-execute"
wait_for 10 '"$CTL" status idle2 >/dev/null 2>&1' || fail "no answer after SIGUSR2"
[ "$(status_pids)" = "$before_pids" ] || fail "pids changed across SIGUSR2"

# Each cirquectl reexec is one exec, even when its reply is lost with the closing connection
# and cirquectl sends the request again (the new image answers the repeat with the reply).
asked=$(grep -c "asked for (reexec command)" "$DLOG")
for i in 1 2 3 4 5 6; do "$CTL" reexec >/dev/null || fail "reexec $i failed"; done
[ "$(grep -c "asked for (reexec command)" "$DLOG")" = $((asked + 6)) ] ||
	fail "6 reexec commands made $(( $(grep -c "asked for (reexec command)" "$DLOG") - asked )) re-execs"
wait_for 10 'grep -q "resumed generation 8" "$DLOG"' || fail "not at generation 8: $(grep "resumed generation" "$DLOG" | tail -n 2)"
grep -q "resumed generation 9" "$DLOG" && fail "a ninth generation: a reexec ran twice"
[ "$(status_pids)" = "$before_pids" ] || fail "pids changed across the reexecs"

stop_daemon TERM 60
[ "$DSTATUS" = 0 ] || fail "daemon exit status $DSTATUS"
echo "ok"
