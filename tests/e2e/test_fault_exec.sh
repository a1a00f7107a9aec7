# Exec failures and their recovery (test_exec_failure.sh checks the messages of a missing binary,
# a non-executable file and a bad working_dir; this one adds a directory as the command, and the
# way back once the cause is fixed). Asserted: a directory is reported as "Is a directory" and a
# file without the execute bit as "Permission denied", with the watcher, worker id and path, in
# the log and in `cirquectl status`; the process goes through
# BACKOFF (retries logged) to FATAL after max_retry, with no process or zombie left; a sibling
# watcher keeps its pid throughout; once the file is made executable (or the directory replaced by
# a program), `cirquectl start` brings the watcher up (RUNNING, exit 0); a watcher that never gives
# up (max_retry -1) comes up on its own when the file becomes executable during its backoff.
. "$(dirname "$0")/lib.sh"

S=$(sleeper fine)
mkdir "$T/adir"
for f in noexec late; do
	printf '#!/bin/sh\nexec %s 3600\n' "$(command -v sleep)" >"$T/$f"
	chmod 644 "$T/$f"
done
cat >"$CONF" <<YAML
watchers:
  dir:
    cmd: $T/adir
    max_retry: 1
  noexec:
    cmd: $T/noexec
    max_retry: 2
  late:
    cmd: $T/late
    max_retry: -1
  fine:
    cmd: $S 3600
YAML
start_daemon
wait_count "$S" 1
fine_pid=$(children_matching "$S")

wait_for 10 'grep -q "watcher dir\[1\]: gave up after 2 failed starts" "$DLOG"' || fail "dir: no give-up after max_retry 1"
grep -q "watcher dir\[1\]: cannot exec $T/adir: Is a directory" "$DLOG" || fail "a directory as cmd is not reported clearly"
out=$("$CTL" status dir 2>&1)
grep -qF "cannot exec $T/adir: Is a directory: gave up after 2 failed starts" <<<"$out" ||
	fail "status does not say why dir never ran: $out"
wait_for 10 'grep -q "watcher noexec\[1\]: gave up after 3 failed starts" "$DLOG"' || fail "noexec: no give-up after max_retry 2"
[ "$(grep -c "watcher noexec\[1\]: cannot exec $T/noexec: Permission denied" "$DLOG")" -eq 3 ] ||
	fail "noexec: expected 3 'cannot exec $T/noexec: Permission denied' lines, got $(grep -c "noexec\[1\]: cannot exec" "$DLOG")"
grep -q "watcher noexec\[1\]: start failed, retry 2 of 2" "$DLOG" || fail "noexec: the backoff retries are not logged"
for w in dir noexec; do
	out=$("$CTL" status $w 2>&1); rc=$?
	[ "$rc" -eq 3 ] && grep -q "^$w .*FATAL" <<<"$out" || fail "$w is not FATAL (exit $rc): $out"
done
# late keeps retrying (BACKOFF counts as running for the exit code).
wait_for 10 '[ "$(grep -c "watcher late\[1\]: cannot exec $T/late: Permission denied" "$DLOG")" -ge 3 ]' ||
	fail "late is not retried"
out=$("$CTL" status late 2>&1); rc=$?
[ "$rc" -eq 0 ] && grep -q "^late .*BACKOFF" <<<"$out" || fail "late is not in BACKOFF (exit $rc): $out"
[ "$(count_matching "$T/noexec")" -eq 0 ] && [ "$(count_matching "$T/adir")" -eq 0 ] || fail "a process remains for a failed exec"
[ -z "$(zombies_of "$DPID")" ] || fail "zombies remain"

# The causes go away.
chmod +x "$T/late"
wait_for 40 '"$CTL" status late 2>/dev/null | grep -q "^late .*RUNNING"' || fail "late did not come up by itself once executable: $("$CTL" status late)"
chmod +x "$T/noexec"
# FATAL stays FATAL until asked.
out=$("$CTL" status noexec 2>&1)
grep -q "FATAL" <<<"$out" || fail "noexec left FATAL by itself: $out"
out=$("$CTL" start noexec 2>&1) || fail "cirquectl start noexec failed once the file was executable: $out"
out=$("$CTL" status noexec 2>&1); rc=$?
[ "$rc" -eq 0 ] && grep -q "^noexec .*RUNNING" <<<"$out" || fail "noexec is not RUNNING after start (exit $rc): $out"
p=$("$CTL" pid noexec 2>/dev/null)
[ -n "$p" ] && kill -0 "$p" 2>/dev/null || fail "noexec's process ($p) is not alive"
rmdir "$T/adir"
printf '#!/bin/sh\nexec %s 3600\n' "$(command -v sleep)" >"$T/adir"
chmod 755 "$T/adir"
out=$("$CTL" start dir 2>&1) || fail "cirquectl start dir failed once the directory was a program: $out"
out=$("$CTL" status 2>&1); rc=$?
[ "$rc" -eq 0 ] && [ "$(grep -c RUNNING <<<"$out")" -eq 4 ] || fail "not all RUNNING at the end (exit $rc): $out"
[ "$(children_matching "$S")" = "$fine_pid" ] || fail "the sibling watcher fine was restarted"
[ -z "$(zombies_of "$DPID")" ] || fail "zombies remain"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"

# How a command is found and run: a bare name is looked up in the watcher's own PATH (as Circus
# does), a file that is not a program is never handed to /bin/sh behind the operator's back, and
# a script whose #! interpreter is missing is reported as such, not as a missing script.
mkdir "$T/bin"
ln -s "$S" "$T/bin/only-here"
printf 'touch %s/ran-by-sh\n' "$T" >"$T/notaprogram"
printf '#!/no/such/interpreter\n' >"$T/orphan-script"
chmod 755 "$T/notaprogram" "$T/orphan-script"
cat >"$CONF" <<YAML
watchers:
  bare:
    cmd: only-here 3602
    env: {PATH: $T/bin}
  text:
    cmd: $T/notaprogram
    max_retry: 0
  orphan:
    cmd: $T/orphan-script
    max_retry: 0
YAML
start_daemon
wait_for 10 '"$CTL" status bare 2>/dev/null | grep -q "^bare .*RUNNING"' ||
	fail "a bare command name was not found in the watcher's PATH: $(grep bare "$DLOG")"
wait_for 10 'grep -q "watcher text\[1\]: cannot exec $T/notaprogram: Exec format error" "$DLOG"' ||
	fail "a file that is not a program: $(grep 'text\[' "$DLOG")"
[ ! -e "$T/ran-by-sh" ] || fail "a file that is not a program was run by /bin/sh"
wait_for 10 'grep -q "watcher orphan\[1\]: cannot find the interpreter (#! line) or loader of $T/orphan-script: No such file or directory" "$DLOG"' ||
	fail "a missing #! interpreter: $(grep 'orphan\[' "$DLOG")"
stop_daemon TERM
echo ok
