# A reload that changes only where output goes (file, max_bytes, time_format, inherit, a
# daemon stream) applies in place: the same processes, their next lines in the new place, none
# lost or repeated at the switch. Capturing a stream or not (null) still needs new processes,
# and the log names the option that restarts them. A reader that back-pressure paused (syslog
# reading nothing) switches too.
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

# --- a reader paused by back-pressure switches too: syslog that reads nothing, then a file ---
export CIRQUE_SYSLOG_PATH="$T/log"
cat >"$T/stuck.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
time.sleep(3600)
PY
python3 "$T/stuck.py" "$T/log" &
STUCK=$!
wait_for 10 '[ -S "$T/log" ]' || fail "the test syslog socket did not appear"
cat >"$T/fast.sh" <<'SH'
i=0
while :; do i=$((i+1)); echo "fast $i"; done
SH
write_fast() {
	cat >"$CONF" <<YAML
watchers:
  fast:
    cmd: /bin/sh $T/fast.sh
    graceful_timeout: 1
    stdout: $1
YAML
}
write_fast syslog
DLOG=$T/daemon2.log
start_daemon
# The syslog queue fills (1 MiB), then the daemon stops reading: the child blocks on its write.
wait_count "$T/fast.sh" 1
FAST=$(children_matching "$T/fast.sh")
if ! wait_for 20 'grep -q pipe_write "/proc/$FAST/wchan" 2>/dev/null'; then
	# wchan is "0" for a running process, and on kernels that do not show it at all.
	[ "$(cat "/proc/$STUCK/wchan" 2>/dev/null)" = 0 ] ||
		fail "the child never blocked on its pipe (no back-pressure from a syslog daemon that reads nothing)"
	note "no wchan on this kernel: the pause itself is not checked"
fi
write_fast "{file: $T/fast.log}"
kill -HUP "$DPID"
wait_for 10 '[ "$(grep -c . "$T/fast.log" 2>/dev/null)" -gt 100 ]' ||
	fail "the paused reader did not resume into the new file"
first=$(head -n 1 "$T/fast.log" | awk '{ print $2 }')
[ "$first" -gt 1 ] || fail "the lines queued for syslog went to the file: it starts at $first"
head -n 100 "$T/fast.log" | awk '{ print $2 }' >"$T/numbers"
seq "$first" $((first + 99)) | cmp -s - "$T/numbers" || fail "the file's first lines are not contiguous"
kill "$STUCK"  # the syslog lines are then refused, and the exit does not wait for them
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "second daemon: exit status $DSTATUS"
echo ok
