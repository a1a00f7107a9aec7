# Spawning fails with EAGAIN: cirqued runs as an unprivileged uid (root ignores RLIMIT_NPROC)
# whose process limit is then lowered to what it already uses plus two (RLIMIT_NPROC counts the
# daemon's threads and every child of that uid). Asserted: each fork failure is logged with the
# watcher, the worker id, the word "fork" and EAGAIN's text; the daemon stays up and answers;
# processes that cannot be forked are BACKOFF (retrying) while the others keep RUNNING with the
# same pids; a shortage does not count towards max_retry (a watcher with max_retry 1 keeps
# retrying, BACKOFF with the cause in `cirquectl status`, never FATAL); once the limit is raised
# every watcher reaches its full count on its own. No zombie, and the daemon exits 0 on SIGTERM.
. "$(dirname "$0")/lib.sh"

# A uid of our own, with no process: RLIMIT_NPROC counts every process of the uid, and another
# test (or program) running as nobody must not shift the count.
U=""
for u in $((60000 + $$ % 5000)) $((65000 + $$ % 400)) 64999; do
	if ! getent passwd "$u" >/dev/null && [ -z "$(ps -eLo ruid= | awk -v u="$u" '$1 == u')" ]; then
		U=$u
		break
	fi
done
[ -n "$U" ] || fail "no free uid for the test"
# set_nproc N: the daemon's soft RLIMIT_NPROC. prlimit runs as $U: without CAP_SYS_RESOURCE (in
# a container) root may not change another uid's limits, the owner may (below the hard limit).
set_nproc() { setpriv --reuid="$U" --regid="$U" --clear-groups prlimit --pid "$DPID" --nproc="$1:"; }
hard_nproc() { awk '/^Max processes/ {print $4}' "/proc/$DPID/limits"; }
# tasks_of_uid: processes and threads whose real uid is $U.
tasks_of_uid() { ps -eLo ruid= | awk -v u="$U" '$1 == u' | wc -l; }

S=$(sleeper forked); F=$(sleeper fatal)
cat >"$CONF" <<YAML
watchers:
  w:
    cmd: $S 3600
    numprocesses: 1
    max_retry: -1
  f:
    cmd: $F 3600
    max_retry: 1
    autostart: false
YAML
# A copy of the daemon, in case the build tree is not searchable by $U.
cp "$CIRQUED" "$T/cirqued"
chown -R "$U:$U" "$T"
setpriv --reuid="$U" --regid="$U" --clear-groups "$T/cirqued" --version >/dev/null 2>&1 || fail "uid $U cannot run $T/cirqued"
# As $U (not root); the limit is set below, once the daemon's threads are running.
setpriv --reuid="$U" --regid="$U" --clear-groups "$T/cirqued" -c "$CONF" >>"$DLOG" 2>&1 &
DPID=$!
wait_for 10 'grep -qs "starting (pid" "$DLOG" || ! kill -0 $DPID 2>/dev/null' || fail "daemon did not start"
kill -0 "$DPID" 2>/dev/null || fail "daemon exited at start-up"
[ "$(awk '/^Uid:/ {print $2}' "/proc/$DPID/status")" = "$U" ] || fail "the daemon does not run as uid $U"
wait_count "$S" 1
wait_for 10 '"$CTL" status w 2>/dev/null | grep -q "RUNNING"' || fail "w is not RUNNING: $("$CTL" status)"
first=$(children_matching "$S")

# Room for exactly two more processes.
limit=$(( $(tasks_of_uid) + 2 ))
set_nproc "$limit" || fail "prlimit --pid $DPID --nproc=$limit failed"
note "RLIMIT_NPROC $limit for uid $U ($(tasks_of_uid) tasks now)"
out=$("$CTL" incr w 4 2>&1) || fail "cirquectl incr w 4 failed: $out"
wait_for 10 'grep -q "watcher w\[[0-9]*\]: cannot fork $S: Resource temporarily unavailable" "$DLOG"' ||
	fail "no clear fork error (cannot fork $S: Resource temporarily unavailable) in the log"
wait_count "$S" 3
# Retries go on, and keep failing while the limit holds.
wait_for 10 '[ "$(grep -c "watcher w\[[0-9]*\]: cannot fork" "$DLOG")" -ge 4 ]' ||
	fail "fewer than 4 fork failures logged: the failed processes are not retried"
grep -q "watcher w\[[45]\]: start failed for want of resources, retry in" "$DLOG" ||
	fail "no backoff retry logged for w[4] or w[5]"
kill -0 "$DPID" 2>/dev/null || fail "the daemon died"
wait_for 10 '[ "$("$CTL" status w 2>/dev/null | grep -c RUNNING)" -eq 3 ]' || fail "w[2] and w[3] did not become RUNNING"
out=$("$CTL" status w 2>&1); rc=$?
[ "$rc" -eq 0 ] || fail "cirquectl status w: exit $rc (BACKOFF counts as running): $out"
[ "$(grep -c "RUNNING" <<<"$out")" -eq 3 ] || fail "expected 3 RUNNING processes: $out"
[ "$(grep -c "BACKOFF" <<<"$out")" -eq 2 ] || fail "expected 2 processes in BACKOFF: $out"
children_matching "$S" | grep -qx "$first" || fail "w[1] ($first) was restarted or killed"

# A shortage is not the program's fault: even with max_retry 1, f keeps retrying, never FATAL.
"$CTL" start --no-wait f >/dev/null 2>&1 || fail "cirquectl start --no-wait f failed"
wait_for 10 '[ "$(grep -c "watcher f\[1\]: cannot fork $F: Resource temporarily unavailable" "$DLOG")" -ge 3 ]' ||
	fail "f is not retried beyond max_retry 1 for a shortage: $(grep 'f\[1\]' "$DLOG")"
grep -q "watcher f\[1\]: gave up" "$DLOG" && fail "f gave up on a shortage"
out=$("$CTL" status f 2>&1); rc=$?
[ "$rc" -eq 0 ] && grep -qF "BACKOFF   cannot fork $F: Resource temporarily unavailable (retrying)" <<<"$out" ||
	fail "f's status does not show the shortage (exit $rc): $out"
[ "$(count_matching "$F")" -eq 0 ] || fail "f has a process although it could not fork"

# The cause goes away: every watcher gets its processes on its own (backoff retries).
set_nproc "$(hard_nproc)" || fail "cannot raise the limit"
wait_count "$S" 5 40
wait_for 20 '"$CTL" status w >"$T/st" 2>&1 && [ "$(grep -c RUNNING "$T/st")" -eq 5 ]' ||
	fail "w did not reach 5 RUNNING processes after the limit was raised: $(cat "$T/st")"
wait_count "$F" 1 40
out=$("$CTL" status 2>&1); rc=$?
[ "$rc" -eq 0 ] || fail "cirquectl status after recovery: exit $rc: $out"
[ -z "$(zombies_of "$DPID")" ] || fail "zombies remain"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
[ "$(tasks_of_uid)" -eq 0 ] || fail "processes of uid $U remain after the shutdown"
echo ok
