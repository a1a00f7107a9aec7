# Programs that are supposed to exit (one-shot and cron-like jobs): exitcodes and restart
# (always | on-failure | never, with Circus's respawn mapped onto it). An expected exit is shown
# EXITED "exit status 0 (expected)", does not make `status` exit 3, is logged "exited (expected,
# status 0)", is never a failed start (no FATAL under always, whatever max_retry); `start` says how
# a job that is already gone ended; contradictory respawn/restart is refused with file:line:col;
# get/set see the options.
. "$(dirname "$0")/lib.sh"

SVC=$(sleeper svc)
cat >"$CONF" <<YAML
watchers:
  once:
    cmd: /bin/sh -c 'exit 0'
    restart: never
  crash:
    cmd: /bin/sh -c 'exit 3'
    restart: never
  of_ok:
    cmd: /bin/sh -c 'exit 0'
    restart: on-failure
  of_fail:
    cmd: /bin/sh -c 'exit 3'
    restart: on-failure
    max_retry: -1
  codes:
    cmd: /bin/sh -c 'exit 3'
    restart: on-failure
    exitcodes: [0, 3]
  loop:
    cmd: /bin/sh -c 'exit 0'
    restart: always
    max_retry: 0
  legacy:
    cmd: /bin/sh -c 'exit 0'
    respawn: false
  svc:
    cmd: /bin/sh -c 'if [ -e $T/finish ]; then exit 0; fi; exec $SVC 3600'
    restart: on-failure
    graceful_timeout: 1
    ready: {delay: 0.2s}
YAML
start_daemon

spawns() { grep -c "watcher $1\[1\]: spawned" "$DLOG" || true; }
line_of() { "$CTL" status "$1" | head -n 1; }

# always: a job that exits 0 at once is restarted again and again (after a short pause), beyond
# max_retry 0 (one failed start would make it FATAL), and never given up on.
wait_for 30 '[ "$(spawns loop)" -ge 3 ]' || fail "loop restarted $(spawns loop) times, expected >= 3"
grep -q "watcher loop\[1\].*gave up" "$DLOG" && fail "loop was given up on: $(grep 'loop\[1\]' "$DLOG" | tail -3)"
"$CTL" status loop | grep -q FATAL && fail "loop shown FATAL: $("$CTL" status loop)"

# on-failure: exit 3 is restarted (a failed start, backoff), exit 0 is not.
wait_for 30 '[ "$(spawns of_fail)" -ge 2 ]' || fail "of_fail not restarted after exit 3"
for job in once of_ok codes legacy; do
	wait_for 10 '"$CTL" status '$job' | grep -q EXITED' || fail "$job never EXITED: $(line_of $job)"
	[ "$(spawns $job)" -eq 1 ] || fail "$job spawned $(spawns $job) times, expected once"
done
wait_for 10 '"$CTL" status crash | grep -q EXITED' || fail "crash never EXITED: $(line_of crash)"

# status: an expected finish is EXITED "(expected)" and not a failure (exit 0) ...
out=$("$CTL" status once of_ok codes legacy); rc=$?
note "status:"; echo "$out" | sed 's/^/    /'
[ "$rc" -eq 0 ] || fail "status of jobs that finished as expected: exit $rc, expected 0"
for job in once of_ok legacy; do
	echo "$out" | grep -qE "^$job +EXITED +exit status 0 \(expected\)\$" || fail "$job line: $out"
done
echo "$out" | grep -qE "^codes +EXITED +exit status 3 \(expected\)\$" || fail "codes line (exitcodes [0, 3]): $out"
# ... while an unexpected exit still is (exit 3), and a job cycling under always counts as running.
out=$("$CTL" status crash); rc=$?
[ "$rc" -eq 3 ] || fail "status of a job that exited 3 under never: exit $rc, expected 3"
echo "$out" | grep -qE "^crash +EXITED +exit status 3\$" || fail "crash line: $out"
"$CTL" status loop >/dev/null || fail "status loop (restart: always): exit $?: $("$CTL" status loop)"

# The daemon log says what happened, and no expected exit counts as a failure.
grep -q "watcher once\[1\]: pid [0-9]* exited (expected, status 0)" "$DLOG" || fail "no 'exited (expected, status 0)' for once"
grep -q "watcher codes\[1\]: pid [0-9]* exited (expected, status 3)" "$DLOG" || fail "no 'exited (expected, status 3)' for codes"
grep -qE "watcher (once|of_ok|codes|legacy|loop)\[1\]: pid [0-9]* exited unexpectedly" "$DLOG" &&
	fail "an expected exit logged as unexpected: $(grep 'exited unexpectedly' "$DLOG" | head -3)"
grep -qE "watcher (once|of_ok|codes|legacy|loop)\[1\]: start failed" "$DLOG" &&
	fail "an expected exit counted as a failed start: $(grep 'start failed' "$DLOG" | head -3)"
grep -q "watcher crash\[1\]: pid [0-9]* exited unexpectedly with status 3" "$DLOG" || fail "crash's exit not logged as unexpected"

# Events: an expected exit is Circus's reap (with exit_code 0), nothing of cirque's own.
/usr/bin/python3 - "ipc://$CIRQUE_RUNTIME_DIR/events.sock" "$T/events" <<'PYEOF' &
import json, sys, time, zmq
sub = zmq.Context().socket(zmq.SUB)
sub.setsockopt(zmq.LINGER, 0)
sub.setsockopt(zmq.SUBSCRIBE, b"watcher.once.")
sub.connect(sys.argv[1])
with open(sys.argv[2], "w") as out:
    end = time.monotonic() + 20
    while time.monotonic() < end:
        if sub.poll(100):
            topic, body = sub.recv_multipart()
            out.write("%s %s\n" % (topic.decode(), json.dumps(json.loads(body), sort_keys=True)))
            out.flush()
            if topic.endswith(b".reap"):
                break
        else:
            out.write("waiting\n")  # subscribed by now (the first poll)
            out.flush()
PYEOF
SUBPID=$!
wait_for 10 'grep -qs waiting "$T/events"' || fail "event subscriber did not start"

# start of a job that is gone at once: how it ended, not just "started".
out=$("$CTL" start once); rc=$?
[ "$rc" -eq 0 ] || fail "start once: exit $rc ($out)"
[ "$out" = "once: started, exited with status 0 (expected)" ] || fail "start once said: $out"
[ "$(spawns once)" -eq 2 ] || fail "start once did not run it again ($(spawns once) spawns)"
wait "$SUBPID" || fail "event subscriber failed"
events=$(grep -v '^waiting$' "$T/events" | awk '{print $1}' | tr '\n' ' ')
[ "$events" = "watcher.once.spawn watcher.once.reap " ] || fail "events of start once: $events"
grep -q '^watcher.once.reap {"exit_code": 0, "process_pid": [0-9]*, "time": ' "$T/events" ||
	fail "reap event: $(grep reap "$T/events")"
out=$("$CTL" start crash); rc=$?
[ "$rc" -eq 1 ] || fail "start crash (exit 3 under never): exit $rc, expected 1 ($out)"
[ "$out" = "crash: ERROR (exited with status 3)" ] || fail "start crash said: $out"

# respawn: false is restart: never; get shows restart, exitcodes and Circus's respawn.
out=$("$CTL" get legacy restart respawn exitcodes) || fail "get legacy: exit $? ($out)"
[ "$out" = "$(printf 'restart: never\nrespawn: false\nexitcodes: [0]')" ] || fail "get legacy: $out"
# set: restart replaces the respawn: false written in the file (no contradiction), in place;
# exitcodes as supervisord writes them.
"$CTL" set legacy restart on-failure >/dev/null || fail "set legacy restart on-failure refused"
"$CTL" set legacy exitcodes 0,4 >/dev/null || fail "set legacy exitcodes 0,4 refused"
out=$("$CTL" get legacy restart respawn exitcodes) || fail "get legacy: exit $? ($out)"
[ "$out" = "$(printf 'restart: on-failure\nrespawn: true\nexitcodes: [0, 4]')" ] || fail "get legacy after set: $out"
out=$("$CTL" set legacy restart sometimes 2>&1) && fail "set restart sometimes accepted: $out"
echo "$out" | grep -q "restart: must be always, on-failure or never" || fail "set restart sometimes: $out"

# A graceful reload whose new process finishes (exit 0) before it is ready, not restarted
# (on-failure): the process it replaces stops, and the reload ends.
wait_for 10 '"$CTL" status svc | grep -q RUNNING' || fail "svc not RUNNING: $(line_of svc)"
touch "$T/finish"
out=$(timeout 20 "$CTL" reload svc 2>&1) || fail "reload svc: exit $? ($out)"
wait_count "$SVC" 0
out=$("$CTL" status svc); rc=$?
[ "$rc" -eq 0 ] || fail "status svc after its reload: exit $rc ($out)"
echo "$out" | grep -qE "^svc +EXITED +exit status 0 \(expected\)\$" || fail "svc after its reload: $out"

# reloadconfig applies a new restart/exitcodes in place: the job is not run again.
perl -0pi -e 's/(  of_ok:\n.*\n)    restart: on-failure\n/$1    restart: never\n    exitcodes: [0, 7]\n/' "$CONF"
grep -q "exitcodes: \[0, 7\]" "$CONF" || fail "test bug: of_ok not rewritten: $(cat "$CONF")"
out=$("$CTL" update 2>&1) || fail "update: exit $? ($out)"
out=$("$CTL" get of_ok restart exitcodes) || fail "get of_ok: exit $? ($out)"
[ "$out" = "$(printf 'restart: never\nexitcodes: [0, 7]')" ] || fail "get of_ok after reloadconfig: $out"
[ "$(spawns of_ok)" -eq 1 ] || fail "of_ok run again by a change of restart ($(spawns of_ok) spawns)"

# Contradictory settings are refused, with file:line:col.
BAD="$T/bad.yaml"
cat >"$BAD" <<'YAML'
watchers:
  job:
    cmd: /bin/sh -c 'exit 0'
    respawn: false
    restart: on-failure
YAML
out=$("$CIRQUED" -c "$BAD" --check 2>&1) && fail "--check accepted respawn: false with restart: on-failure"
echo "$out" | grep -qF "$BAD:5:14: watchers.job.restart: on-failure contradicts respawn: false (line 4)" ||
	fail "contradiction error: $out"
echo "ok"
