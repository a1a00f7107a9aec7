# Write errors on log files: a full disk (a tiny tmpfs, when we are root and may mount), a log
# directory removed while running, a file-size limit (RLIMIT_FSIZE: EFBIG), and a full disk right
# after logrotate's copytruncate. Each failure episode is logged once (not once per line or per
# retry), the daemon keeps answering, the child keeps running with the same pid, and once writing
# works again "writable again" is logged (as a warning) and new lines arrive. Nothing is dropped
# while the 1 MiB queue has room: after a full disk every line is in the file, once, whole.
# long: about 25 s (counters at 50 lines a second fill the files)
. "$(dirname "$0")/lib.sh"

# 50 numbered lines a second, 101 bytes each (one write each), 5 at a time: one fork (sleep) per
# 5 lines, so that a busy machine does not slow it down much.
cat >"$T/counter.sh" <<'SH'
pad=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
i=0
while :; do
	for _ in 1 2 3 4 5; do
		i=$((i + 1))
		printf 'n %06d %s\n' "$i" "$pad"
	done
	sleep 0.1
done
SH
LINE_RE='^n [0-9]{6} x{91}$'

# latest NAME: the counter's last value, from the daemon's tail buffer (not from the file).
latest() { "$CTL" tail -n 1 "$1" 2>/dev/null | awk '{ print $2 + 0 }'; }
# advanced NAME N: waits until NAME's counter has moved N lines on (the child is alive and the
# daemon reads its pipe), at 50 lines a second.
advanced() {
	local from target
	from=$(latest "$1")
	target=$(( ${from:-0} + $2 ))
	wait_for 60 '[ "$(latest '"$1"')" -ge '"$target"' ]'
}
# whole_lines FILE: lines that are not a whole "n NNNNNN x...x" line, with their numbers.
whole_lines() { grep -nvE "$LINE_RE" "$1" | cut -c 1-160 | head -n 3; }
cannot_write() { grep -c "log $1: cannot write" "$DLOG" || true; }
status_ok() { "$CTL" status "$1" >"$T/status.out" 2>&1 && grep -q "^$1 .*RUNNING" "$T/status.out"; }

MNT=""
if [ "$(id -u)" = 0 ] && mkdir -p "$T/small" && mount -t tmpfs -o size=128k cirque-e2e "$T/small" 2>/dev/null; then
	MNT=$T/small
	trap 'rc=$?; umount -l "$T/small" "$T/small2" 2>/dev/null; (exit $rc); cleanup' EXIT
	dd if=/dev/zero of="$MNT/filler" bs=4k count=28 2>/dev/null  # 16 KiB left
else
	note "SKIP the full-disk part: not root or cannot mount a tmpfs"
fi

mkdir "$T/logdir"
{
	echo "watchers:"
	if [ -n "$MNT" ]; then
		echo "  full:"
		echo "    cmd: /bin/sh $T/counter.sh"
		echo "    stdout: {file: $MNT/full.log}"
	fi
	echo "  rot:"
	echo "    cmd: /bin/sh $T/counter.sh"
	echo "    stdout: {file: $T/logdir/rot.log, max_bytes: 4k, backup_count: 2}"
	echo "  plain:"
	echo "    cmd: /bin/sh $T/counter.sh"
	echo "    stdout: {file: $T/logdir/plain.log}"
} >"$CONF"
start_daemon
wait_for 10 '[ -s "$T/logdir/plain.log" ] && [ -s "$T/logdir/rot.log" ]' || fail "log files not created"

# --- 1. full disk ---
if [ -n "$MNT" ]; then
	F=$MNT/full.log
	wait_for 30 '[ "$(cannot_write "$F")" -ge 1 ]' || fail "no error logged when $MNT filled up"
	grep -q "log $F: cannot write: No space left on device" "$DLOG" || fail "ENOSPC not named in the error"
	full_pid=$("$CTL" pid full 2>/dev/null | head -n 1)
	# The child goes on for 3 s (three retries) while the file cannot be written.
	advanced full 150 || fail "the child stopped producing output while the disk was full"
	[ "$(cannot_write "$F")" -eq 1 ] || fail "the ENOSPC episode was logged $(cannot_write "$F") times, not once"
	status_ok full || fail "cirquectl status did not answer or full is not running: $(cat "$T/status.out")"
	[ "$("$CTL" pid full 2>/dev/null | head -n 1)" = "$full_pid" ] || fail "the child was restarted during the episode"
	kill -0 "$full_pid" 2>/dev/null || fail "the child $full_pid died"
	rm -f "$MNT/filler"
	wait_for 10 'grep -q "log $F: writable again" "$DLOG"' || fail "'writable again' not logged after freeing space"
	grep -q "log $F: writable again; 0 bytes were dropped" "$DLOG" ||
		fail "bytes were dropped although the queue had room: $(grep "writable again" "$DLOG")"
	n=$(wc -l <"$F")
	wait_for 10 '[ "$(wc -l <"$F")" -ge $((n + 50)) ]' || fail "no new lines in $F after recovery"
	[ "$("$CTL" pid full 2>/dev/null | head -n 1)" = "$full_pid" ] || fail "the child was restarted"
	"$CTL" stop full >/dev/null 2>&1 || fail "cirquectl stop full failed"
	wait_for 10 '[ "$(latest full)" = "$(tail -n 1 "$F" | awk "{ print \$2 + 0 }")" ]' ||
		fail "$F does not end with the child's last line"
	last=$(tail -n 1 "$F" | awk '{ print $2 + 0 }')
	bad=$(whole_lines "$F")
	[ -z "$bad" ] || fail "torn lines in $F after the full disk: $bad"
	seq 1 "$last" | awk '{ printf "n %06d %s\n", $1, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" }' |
		cmp -s - "$F" || fail "$F does not hold lines 1..$last exactly once each (lost or doubled lines)"
	umount -l "$MNT" 2>/dev/null
fi

# --- 2. the log directory is removed ---
# Both files (one rotated, one not) are noticed removed (link count 0) at their next write, said
# once each, and made again with their directory: nothing keeps going into a deleted file.
rot_pid=$("$CTL" pid rot | head -n 1)
plain_pid=$("$CTL" pid plain | head -n 1)
rm -rf "$T/logdir"
removed() { grep -c "log $1: the file was removed; making it again" "$DLOG"; }
wait_for 10 '[ "$(removed "$T/logdir/plain.log")" -ge 1 ] && [ "$(removed "$T/logdir/rot.log")" -ge 1 ]' ||
	fail "the removed files were not noticed: $(grep -c removed "$DLOG")"
wait_for 10 '[ -s "$T/logdir/plain.log" ] && [ -s "$T/logdir/rot.log" ]' || fail "no new files after the removal"
n=$(wc -l <"$T/logdir/plain.log")
wait_for 10 '[ "$(wc -l <"$T/logdir/plain.log")" -ge $((n + 50)) ]' || fail "plain.log does not grow after recovery"
[ "$(removed "$T/logdir/plain.log")" -eq 1 ] || fail "plain.log's removal logged $(removed "$T/logdir/plain.log") times"
[ "$(removed "$T/logdir/rot.log")" -eq 1 ] || fail "rot.log's removal logged $(removed "$T/logdir/rot.log") times"
[ "$(cannot_write "$T/logdir/plain.log")" -eq 0 ] || fail "plain.log had write errors"
status_ok rot || fail "cirquectl status rot: $(cat "$T/status.out")"
[ "$("$CTL" pid rot | head -n 1)" = "$rot_pid" ] || fail "rot was restarted"
[ "$("$CTL" pid plain | head -n 1)" = "$plain_pid" ] || fail "plain was restarted"
kill -0 "$DPID" || fail "daemon died"
for f in "$T/logdir/plain.log" "$T/logdir/rot.log"; do
	# Whole lines, consecutive numbers (the queue had room: nothing dropped).
	head -n -1 "$f" >"$T/check"
	bad=$(whole_lines "$T/check")
	[ -z "$bad" ] || fail "torn lines in $f: $bad"
	gaps=$(awk 'NR > 1 && $2 + 0 != prev + 1 { print prev " -> " $2 + 0 } { prev = $2 + 0 }' "$T/check" | head -n 3)
	[ -z "$gaps" ] || fail "$f has gaps or repeats in its numbers: $gaps"
done

# --- 3. a file-size limit (RLIMIT_FSIZE): writes fail with EFBIG ---
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
cat >"$CONF" <<YAML
watchers:
  limited:
    cmd: /bin/sh $T/counter.sh
    stdout: {file: $T/limited.log}
YAML
# The daemon (only) gets a 48 KiB limit. It applies to its own log too: that goes to a fresh file
# for this part (appended to the main log afterwards). What the child writes meanwhile (about
# 20 KiB by the time the file is emptied) must fit below the limit, or the queue fills the
# emptied file at once and the episode goes on, with no "writable again".
DLOG_MAIN=$DLOG
DLOG=$T/daemon-limited.log
( ulimit -S -f 48; exec "$CIRQUED" -c "$CONF" >>"$DLOG" 2>&1 ) &
DPID=$!
wait_for 10 'grep -q "starting (pid $DPID" "$DLOG" 2>/dev/null || ! kill -0 $DPID 2>/dev/null' ||
	fail "limited daemon did not start"
L=$T/limited.log
wait_for 30 '[ "$(cannot_write "$L")" -ge 1 ]' || fail "no error logged when $L reached RLIMIT_FSIZE"
grep -q "log $L: cannot write: File too large" "$DLOG" || fail "EFBIG not named in the error"
limited_pid=$("$CTL" pid limited | head -n 1)
advanced limited 150 || fail "the child stopped producing output at the size limit"
kill -0 "$DPID" 2>/dev/null || fail "the daemon died at the file-size limit"
[ "$(cannot_write "$L")" -eq 1 ] || fail "the EFBIG episode was logged $(cannot_write "$L") times"
status_ok limited || fail "cirquectl status limited: $(cat "$T/status.out")"
[ "$("$CTL" pid limited | head -n 1)" = "$limited_pid" ] || fail "limited was restarted"
: >"$L"  # room again (O_APPEND: writing restarts at offset 0)
wait_for 10 'grep -q "log $L: writable again" "$DLOG"' || fail "'writable again' not logged after truncating"
wait_for 10 '[ "$(wc -l <"$L")" -ge 50 ]' || fail "no new lines after truncating"
# The truncation may have cut a line the daemon had half written: skip the first line.
tail -n +2 "$L" | head -n -1 >"$T/check"
bad=$(whole_lines "$T/check")
[ -z "$bad" ] || fail "torn lines in $L after the size limit: $bad"
gaps=$(awk 'NR > 1 && $2 + 0 != prev + 1 { print prev " -> " $2 + 0 } { prev = $2 + 0 }' "$T/check" | head -n 3)
[ -z "$gaps" ] || fail "$L has gaps or repeats in its numbers after the size limit: $gaps"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
cat "$DLOG" >>"$DLOG_MAIN"
DLOG=$DLOG_MAIN

# --- 4. logrotate's copytruncate (the file is emptied under the daemon's open fd), then a full
# disk: the file must only ever hold whole lines, no hole, no NUL bytes. ---
if [ -n "$MNT" ] && mkdir -p "$T/small2" && mount -t tmpfs -o size=128k cirque-e2e "$T/small2" 2>/dev/null; then
	C=$T/small2/ct.log
	cat >"$CONF" <<YAML
watchers:
  ct:
    cmd: /bin/sh $T/counter.sh
    stdout: {file: $C}
YAML
	start_daemon
	wait_for 30 '[ "$(stat -c %s "$C" 2>/dev/null || echo 0)" -ge 10000 ]' || fail "ct.log did not grow"
	: >"$C"
	wait_for 10 '[ "$(wc -l <"$C")" -ge 5 ]' || fail "ct.log gets no new lines after copytruncate"
	dd if=/dev/zero of="$T/small2/filler" bs=4k count=64 2>/dev/null  # more than is left
	wait_for 30 '[ "$(cannot_write "$C")" -ge 1 ]' || fail "no error logged when the disk filled after copytruncate"
	rm -f "$T/small2/filler"
	wait_for 10 'grep -q "log $C: writable again" "$DLOG"' || fail "'writable again' not logged (copytruncate case)"
	n=$(wc -l <"$C")
	wait_for 10 '[ "$(wc -l <"$C")" -ge $((n + 20)) ]' || fail "no new lines after recovery (copytruncate case)"
	nul=$(tr -cd '\000' <"$C" | wc -c)
	[ "$nul" -eq 0 ] || fail "after copytruncate and a full disk $C holds $nul NUL bytes (size $(stat -c %s "$C"))"
	head -n -1 "$C" >"$T/check"
	bad=$(whole_lines "$T/check")
	[ -z "$bad" ] || fail "torn lines in $C (copytruncate case): $bad"
	stop_daemon TERM
	[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
fi

# The recovery message is a warning, not a critical error.
grep "writable again" "$DLOG" | grep -vq "\[warning\]" &&
	fail "'writable again' logged at the wrong level: $(grep "writable again" "$DLOG" | head -n 1)"
echo ok
