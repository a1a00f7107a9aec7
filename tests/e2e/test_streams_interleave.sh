# Ten processes of one watcher write long lines (about 4 KiB, not a divisor of the pipe's or the
# reader's buffer sizes) to one shared file at the same time: every line in the file is whole and
# intact (never torn, never spliced with another process's line) and every process's lines are
# all there, in that process's order. A line longer than 64 KiB is passed on in 64 KiB pieces.
. "$(dirname "$0")/lib.sh"

N=1000      # lines per process
P=10        # processes
# Line of process W, number I: "wWW IIIIII " + (4000 + 7*W) times the W-th letter + " end".
cat >"$T/writer.sh" <<'SH'
awk -v w="$1" -v n="$2" 'BEGIN {
	c = substr("abcdefghijklmnopqrstuvwxyz", w, 1)
	for (i = 0; i < 4000 + 7 * w; i++) f = f c
	for (i = 1; i <= n; i++) printf "w%02d %06d %s end\n", w, i, f
}'
exec sleep 3600
SH
# One line of 200000 bytes, then a short one; another of exactly 64 KiB (a single piece).
cat >"$T/huge.sh" <<'SH'
awk 'BEGIN {
	for (i = 0; i < 200000; i++) printf "%c", 97 + i % 26
	printf "\nafter the huge line\n"
	for (i = 0; i < 65536; i++) printf "y"
	printf "\nthe end\n"
}'
exec sleep 3600
SH
cat >"$CONF" <<YAML
watchers:
  many:
    cmd: /bin/sh $T/writer.sh \$(circus.wid) $N
    numprocesses: $P
    stdout: {file: $T/shared.log}
  huge:
    cmd: /bin/sh $T/huge.sh
    stdout: {file: $T/huge.log}
YAML
start_daemon

total=$((N * P))
lines() { wc -l <"$1" 2>/dev/null || echo 0; }
wait_for 120 '[ "$(lines "$T/shared.log")" -ge $total ]' ||
	fail "shared.log has $(lines "$T/shared.log") lines, expected $total"
sleep 0.5  # anything extra (a duplicate) would show by now
[ "$(lines "$T/shared.log")" -eq $total ] || fail "shared.log has $(lines "$T/shared.log") lines, expected exactly $total"
# Interleaving of the processes at line granularity: if one wrote all its lines before the next
# started the test would prove little. Count how often consecutive lines come from different
# processes.
switches=$(awk '{ w = substr($0, 1, 3); if (w != last) s++; last = w } END { print s + 0 }' "$T/shared.log")
note "$total lines of ~4 KiB; the writing process changed $switches times along the file"

report=$(awk -v n=$N -v p=$P '
BEGIN { letters = "abcdefghijklmnopqrstuvwxyz"
	for (w = 1; w <= p; w++) { c = substr(letters, w, 1); f = ""; for (i = 0; i < 4000 + 7 * w; i++) f = f c; fill[w] = f } }
{
	w = substr($0, 2, 2) + 0; s = substr($0, 5, 6) + 0
	if (w < 1 || w > p || $0 != sprintf("w%02d %06d %s end", w, s, fill[w])) {
		bad++
		if (bad <= 3) printf "torn or corrupt line %d (%d bytes): %.60s...%s\n", NR, length($0), $0, substr($0, length($0) - 20)
		next
	}
	if (s != last[w] + 1 && misorder++ < 3) printf "process %d: line %d after %d\n", w, s, last[w]
	last[w] = s; count[w]++
}
END {
	for (w = 1; w <= p; w++) if (count[w] != n) printf "process %d: %d lines, expected %d\n", w, count[w], n
	if (bad) printf "%d bad lines\n", bad
}' "$T/shared.log")
[ -z "$report" ] || fail "shared.log is not $P x $N intact lines: $report"

# 200000 bytes without a newline: pieces of 65536, 65536, 65536 and 3392 bytes, each a line, the
# bytes in order; a line of exactly 65536 bytes stays one line.
wait_for 30 'grep -qx "the end" "$T/huge.log" 2>/dev/null' || fail "huge.log never got its last line"
lens=$(awk '{ printf "%d ", length($0) }' "$T/huge.log")
[ "$lens" = "65536 65536 65536 3392 19 65536 7 " ] || fail "huge.log line lengths: $lens"
awk 'BEGIN { for (i = 0; i < 200000; i++) printf "%c", 97 + i % 26; printf "\n" }' >"$T/huge.expected"
head -n 4 "$T/huge.log" | tr -d '\n' | cmp -s - <(tr -d '\n' <"$T/huge.expected") ||
	fail "the pieces of the huge line are not its bytes in order"

stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
echo ok
