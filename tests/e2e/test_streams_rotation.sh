# Size-based rotation of a `stdout: {file: ...}` log: PATH -> PATH.1 -> ... -> PATH.N happens
# between lines, so out.log.N ... out.log.1 out.log concatenated give every line exactly once, in
# order, none torn, and no file is larger than max_bytes. backup_count bounds the files kept (the
# oldest go, the kept ones are the newest lines); {name} and {wid} are expanded in the path.
. "$(dirname "$0")/lib.sh"

LINES=200000
# 20 bytes a line: "line 000001 abcdefg\n". mawk writes its block-buffered stdout in pieces that
# do not end on line boundaries, so the daemon has to join partial lines across reads.
cat >"$T/writer.sh" <<'SH'
awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) printf "line %06d abcdefg\n", i }'
echo "writer done"
exec sleep 3600
SH
cat >"$CONF" <<YAML
watchers:
  big:
    cmd: /bin/sh $T/writer.sh $LINES
    stdout: {file: $T/out.log, max_bytes: 100k, backup_count: 50}
  few:
    cmd: /bin/sh $T/writer.sh 20000
    stdout: {file: $T/few.log, max_bytes: 10k, backup_count: 3}
  perwid:
    cmd: /bin/sh $T/writer.sh 3000
    numprocesses: 2
    stdout: {file: "$T/{name}-{wid}.log", max_bytes: 16k, backup_count: 20}
YAML
start_daemon
MAX=102400

# Every line, in order, as the writer produced them.
awk -v n=$LINES 'BEGIN { for (i = 1; i <= n; i++) printf "line %06d abcdefg\n", i }' >"$T/expected"

# concat BASE: BASE.N ... BASE.1 BASE, oldest first.
concat() {
	local base=$1 i=1
	while [ -e "$base.$i" ]; do i=$((i + 1)); done
	for ((i = i - 1; i >= 1; i--)); do cat "$base.$i"; done
	cat "$base"
}

wait_for 60 'grep -qx "writer done" "$T/out.log" 2>/dev/null' ||
	fail "big writer's last line never reached out.log ($(ls "$T" | tr '\n' ' '))"
wait_for 30 'grep -qx "writer done" "$T/few.log" 2>/dev/null' || fail "few.log never got its last line"
wait_for 30 'grep -qx "writer done" "$T/perwid-1.log" 2>/dev/null &&
	grep -qx "writer done" "$T/perwid-2.log" 2>/dev/null' || fail "perwid-{1,2}.log never got their last line"

# --- big: 200000 lines, 50 backups of 100k: everything kept. ---
nfiles=$(ls "$T"/out.log.* 2>/dev/null | wc -l)
note "out.log rotated into $nfiles backups"
[ "$nfiles" -ge 30 ] || fail "expected at least 30 rotations of 4 MB at 100k, got $nfiles"
[ "$nfiles" -le 50 ] || fail "more backups ($nfiles) than backup_count 50"
[ ! -e "$T/out.log.51" ] || fail "out.log.51 exists beyond backup_count"
for i in $(seq 1 "$nfiles"); do
	[ -e "$T/out.log.$i" ] || fail "backups are not contiguous: out.log.$i is missing"
done
concat "$T/out.log" | grep -vx "writer done" >"$T/got"
if ! cmp -s "$T/expected" "$T/got"; then
	note "expected $(wc -l <"$T/expected") lines, got $(wc -l <"$T/got")"
	grep -nvE '^line [0-9]{6} abcdefg$' "$T/got" | head -n 5 | sed 's/^/  bad line: /'
	diff "$T/expected" "$T/got" | head -n 10 | sed 's/^/  /'
	fail "rotated files concatenated are not every line exactly once, in order"
fi
# Rotation happens between lines: every file starts with a whole line and ends with a newline,
# and none is over max_bytes (a file may only exceed it by a single line longer than max_bytes).
check_files() {
	local base=$1 max=$2 f size
	for f in "$base" "$base".*; do
		size=$(stat -c %s "$f")
		[ "$size" -le "$max" ] || fail "$f is $size bytes, more than max_bytes $max (lines are 20 bytes)"
		[ -z "$(tail -c 1 "$f")" ] || fail "$f does not end with a newline: a line was torn at rotation"
		head -n 1 "$f" | grep -qE '^line [0-9]{6} abcdefg$|^writer done$' ||
			fail "$f starts with a torn line"
	done
}
check_files "$T/out.log" $MAX
# The backups are full: rotation happened at max_bytes, not earlier.
for i in $(seq 1 "$nfiles"); do
	size=$(stat -c %s "$T/out.log.$i")
	[ "$size" -gt $((MAX - 20)) ] || fail "out.log.$i is only $size bytes: rotated before max_bytes"
done

# --- few: 20000 lines (400 kB) into 10k files, 3 backups: only the newest lines are kept. ---
for i in 1 2 3; do [ -e "$T/few.log.$i" ] || fail "few.log.$i missing"; done
[ ! -e "$T/few.log.4" ] || fail "few.log.4 exists with backup_count 3"
concat "$T/few.log" | grep -vx "writer done" >"$T/few.got"
first=$(head -n 1 "$T/few.got" | awk '{print $2}')
[ "$(tail -n 1 "$T/few.got")" = "line 020000 abcdefg" ] || fail "few: the newest line is not last"
awk -v n=20000 -v f="$((10#$first))" 'BEGIN { for (i = f; i <= n; i++) printf "line %06d abcdefg\n", i }' |
	cmp -s - "$T/few.got" || fail "few: the kept files are not one contiguous run of the newest lines"
kept=$(wc -l <"$T/few.got")
[ "$kept" -gt 1500 ] || fail "few: only $kept lines kept in 4 files of 10k"
check_files "$T/few.log" 10240

# --- perwid: each worker has its own file; no line of one in the other. ---
for w in 1 2; do
	check_files "$T/perwid-$w.log" 16384
	[ -e "$T/perwid-$w.log.3" ] || fail "perwid-$w.log: 60 kB at max_bytes 16k rotated fewer than 3 times"
	concat "$T/perwid-$w.log" | grep -vx "writer done" >"$T/perwid-$w.got"
	awk -v n=3000 'BEGIN { for (i = 1; i <= n; i++) printf "line %06d abcdefg\n", i }' |
		cmp -s - "$T/perwid-$w.got" || fail "perwid-$w: not every line once, in order"
done
[ ! -e "$T/{name}-{wid}.log" ] || fail "the path template was used literally"

stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
grep -q "cannot write" "$DLOG" && fail "a write error was logged"
echo ok
