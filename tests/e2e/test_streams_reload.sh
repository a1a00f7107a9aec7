# A reload that changes only where output goes (file, max_bytes, time_format, inherit, a
# daemon stream) applies in place: the same processes, their next lines in the new place, none
# lost or repeated at the switch. Capturing a stream or not (null) still needs new processes,
# and the log names the option that restarts them.
. "$(dirname "$0")/lib.sh"

cat >"$T/talk.sh" <<'SH'
i=0
while :; do i=$((i+1)); echo "out $i"; echo "err $i" >&2; sleep 0.02; done
SH
write_conf() {  # write_conf STDOUT STDERR
	cat >"$CONF" <<YAML
watchers:
  talk:
    cmd: /bin/sh $T/talk.sh
    numprocesses: 2
    graceful_timeout: 1
    stdout: $1
    stderr: $2
YAML
}
write_conf "{file: \"$T/a/{name}-{wid}.log\"}" inherit
start_daemon
wait_count "$T/talk.sh" 2
wait_for 10 'grep -qx "out 3" "$T/a/talk-1.log" 2>/dev/null && grep -qx "out 3" "$T/a/talk-2.log" 2>/dev/null' ||
	fail "no lines in the first files"
wait_for 10 'grep -qx "talk\[1\]: err 3" "$DLOG"' || fail "no inherited stderr line"
pids=$(children_matching "$T/talk.sh" | sort)

# Another file, a size, a time format; stderr to the daemon's stderr without prefix.
write_conf "{file: \"$T/b/\$(circus.name)-\$(circus.wid).log\", max_bytes: 40MB, time_format: TS}" \
	"{file: /dev/stderr}"
out=$("$CTL" reread) || fail "reread: $out"
[ "$out" = "talk: changed" ] || fail "reread: '$out'"
kill -HUP "$DPID"
wait_for 20 '[ "$(log_count "reload complete")" -ge 1 ]' || fail "the reload did not complete"
grep -q "watcher talk: options updated in place" "$DLOG" ||
	fail "the reload did not apply the output options in place: $(grep 'watcher talk:' "$DLOG" | tail -n 3)"
[ "$(children_matching "$T/talk.sh" | sort)" = "$pids" ] || fail "an output option change restarted the processes"
for wid in 1 2; do
	wait_for 10 'grep -qE "^TS out [0-9]+\$" "$T/b/talk-$wid.log" 2>/dev/null' ||
		fail "no lines with the new time format in $T/b/talk-$wid.log"
done
wait_for 10 'grep -qxE "err [0-9]+" "$DLOG"' || fail "stderr did not switch to the raw daemon stream"
# The switch happens between lines: each line once, in order, in the old file then the new one.
n=$(grep -c . "$T/b/talk-1.log")
wait_for 10 '[ "$(grep -c . "$T/b/talk-1.log")" -gt $((n + 2)) ]' || fail "no more lines after the switch"
grep -q '^TS' "$T/a/talk-1.log" && fail "lines of the new format went to the old file"
{ cat "$T/a/talk-1.log"; sed 's/^TS //' "$T/b/talk-1.log"; } | awk '{ print $2 }' >"$T/numbers"
seq 1 "$(tail -n 1 "$T/numbers")" | cmp -s - "$T/numbers" ||
	fail "lines lost or repeated at the switch: $(tr '\n' ' ' <"$T/numbers" | head -c 400)"

# Not capturing stdout any more: the processes get /dev/null, so they are new ones.
write_conf null "{file: /dev/stderr}"
kill -HUP "$DPID"
wait_for 20 '[ "$(log_count "reload complete")" -ge 2 ]' || fail "the second reload did not complete"
wait_for 10 '[ "$(count_matching "$T/talk.sh")" -eq 2 ] &&
	[ -z "$(comm -12 <(children_matching "$T/talk.sh" | sort) <(echo "$pids"))" ]' ||
	fail "stdout: null did not give new processes"
grep -q "watcher talk: definition changed (stdout), restarting it" "$DLOG" ||
	fail "the reload did not name the option that restarts: $(grep 'watcher talk: definition' "$DLOG")"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
echo ok
