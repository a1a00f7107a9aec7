# A missing binary or a bad working_dir is reported with the watcher's name and errno text, and
# counts as a failed start (ending FATAL); the daemon keeps running.
. "$(dirname "$0")/lib.sh"
S=$(sleeper fine)

printf 'not executable\n' >"$T/noexec"
chmod 644 "$T/noexec"
cat >"$CONF" <<YAML
watchers:
  missing:
    cmd: $T/does-not-exist --flag
    max_retry: 1
  noexec:
    cmd: $T/noexec
    max_retry: 0
  nodir:
    cmd: sleep 3600
    working_dir: $T/no-such-dir
    max_retry: 0
  fine:
    cmd: $S 3600
YAML
start_daemon
wait_count "$S" 1
wait_for 10 'grep -q "missing\[1\]: gave up after 2 failed starts" "$DLOG"' || fail "missing binary: no give-up"
grep -q "watcher missing\[1\]: cannot exec $T/does-not-exist: No such file or directory" "$DLOG" ||
	fail "missing binary not reported clearly"
grep -q "watcher noexec\[1\]: cannot exec $T/noexec: Permission denied" "$DLOG" ||
	fail "non-executable file not reported clearly"
grep -q "watcher nodir\[1\]: cannot chdir to working_dir $T/no-such-dir: No such file or directory" "$DLOG" ||
	fail "bad working_dir not reported clearly"
wait_for 5 'grep -q "noexec\[1\]: gave up after 1 failed starts" "$DLOG"' || fail "noexec: no give-up"
# A failed exec leaves a child that exits at once: reaped within moments, not at this instant.
wait_for 5 '[ -z "$(zombies_of "$DPID")" ]' || fail "zombies remain: $(zombies_of "$DPID")"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
echo ok
