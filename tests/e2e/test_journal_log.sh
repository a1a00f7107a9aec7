# Under systemd, the daemon's log reaches the journal with each line's priority ("<3>" for an
# error: `journalctl -p err` finds a FATAL watcher) and without a timestamp of its own (the
# journal keeps one). cirqued knows its stderr is the journal when JOURNAL_STREAM names that
# very file (its device and inode); any other stderr gets the usual timestamped lines.
. "$(dirname "$0")/lib.sh"

cat >"$CONF" <<YAML
watchers:
  crasher: {cmd: /bin/false, max_retry: 0}
YAML
: >"$DLOG"
JOURNAL_STREAM=$(stat -c '%d:%i' "$DLOG") start_daemon
wait_for 10 'grep -q "gave up" "$DLOG"' || fail "crasher did not give up"
grep -q '^<6>\[info\] cirqued .* starting (pid' "$DLOG" || fail "no <6> info line: $(head -3 "$DLOG")"
grep -q '^<4>\[warning\] watcher crasher\[1\]: pid [0-9]* exited unexpectedly' "$DLOG" ||
	fail "no <4> warning line"
grep -q '^<3>\[error\] watcher crasher\[1\]: gave up' "$DLOG" || fail "no <3> error line"
grep -v '^<[0-9]>\[' "$DLOG" | grep -q '\[info\]' && fail "a line without its priority: $(grep -v '^<' "$DLOG" | head -3)"
# maintail keeps the time: the journal's prefix is for the journal only.
"$CTL" maintail | grep -q '^20[0-9-]* [0-9:.]* \[error\] watcher crasher\[1\]: gave up' ||
	fail "maintail lost its timestamps: $("$CTL" maintail | tail -2)"
stop_daemon

# A JOURNAL_STREAM that is not our stderr (a child of a systemd service, say) changes nothing.
: >"$DLOG"
JOURNAL_STREAM=1:1 start_daemon
wait_for 10 'grep -q "gave up" "$DLOG"' || fail "crasher did not give up (2)"
grep -q '^20[0-9-]* [0-9:.]* \[error\] watcher crasher\[1\]: gave up' "$DLOG" ||
	fail "a foreign JOURNAL_STREAM changed the log: $(tail -2 "$DLOG")"
grep -q '^<' "$DLOG" && fail "priority prefixes on a stderr that is not the journal"
echo ok
