# logrotate's `create` mode: the log file is moved away while the child writes; after SIGUSR1
# (first round) or `cirquectl reopen` (second round) new lines go to a new file at the original
# path, and the moved file holds the earlier lines. A counter shows that no line is lost or doubled
# across the switches; a reopen without a move just goes on appending.
. "$(dirname "$0")/lib.sh"

# One line per write, about 200 a second.
cat >"$T/counter.sh" <<'SH'
i=0
while :; do
	i=$((i + 1))
	echo "count $i"
	sleep 0.005
done
SH
cat >"$CONF" <<YAML
watchers:
  counter:
    cmd: /bin/sh $T/counter.sh
    stdout: {file: $T/out.log}
  other:
    cmd: /bin/sh $T/counter.sh
    stdout: {file: "$T/{name}.log", max_bytes: 1MB, backup_count: 2}
YAML
start_daemon
LOG=$T/out.log
nlines() { wc -l <"$1" 2>/dev/null || echo 0; }
# wait_stable FILE: until FILE's size stays the same for 0.3 s (the writer thread is done with it).
wait_stable() {
	local prev=-1 cur stable=0 end=$(( $(date +%s) + 10 ))
	while [ "$(date +%s)" -le "$end" ]; do
		cur=$(stat -c %s "$1" 2>/dev/null || echo 0)
		if [ "$cur" = "$prev" ]; then stable=$((stable + 1)); else stable=0; fi
		[ "$stable" -ge 3 ] && return 0
		prev=$cur
		sleep 0.1
	done
	return 1
}
last_count() { tail -n 1 "$1" 2>/dev/null | awk '{ print $2 + 0 }'; }

wait_for 10 '[ "$(nlines "$LOG")" -ge 50 ]' || fail "out.log did not get 50 lines"

# --- round 1: mv + SIGUSR1 ---
mv "$LOG" "$T/out.log.moved1"
# Lines keep going to the moved file (same inode) until the reopen.
n=$(nlines "$T/out.log.moved1")
wait_for 10 '[ "$(nlines "$T/out.log.moved1")" -gt $((n + 10)) ]' || fail "the moved file stopped growing before the reopen"
[ ! -e "$LOG" ] || fail "out.log was recreated before any reopen"
kill -USR1 "$DPID"
wait_for 10 'grep -q "SIGUSR1" "$DLOG"' || fail "SIGUSR1 not logged"
wait_for 10 '[ "$(nlines "$LOG")" -ge 50 ]' || fail "no new out.log after SIGUSR1"
wait_stable "$T/out.log.moved1" || fail "the moved file still grows after the reopen"
n=$(nlines "$T/out.log.moved1")
wait_for 2 '[ "$(nlines "$LOG")" -ge 100 ]'
[ "$(nlines "$T/out.log.moved1")" -eq "$n" ] || fail "the moved file still grows after the reopen"
[ "$(stat -c %a "$LOG")" = 640 ] || note "new out.log has mode $(stat -c %a "$LOG")"

# --- round 2: mv + cirquectl reopen ---
mv "$LOG" "$T/out.log.moved2"
out=$("$CTL" reopen 2>&1) || fail "cirquectl reopen failed: $out"
wait_for 10 'grep -q "reopen command" "$DLOG"' || fail "reopen command not logged"
wait_for 10 '[ "$(nlines "$LOG")" -ge 50 ]' || fail "no new out.log after cirquectl reopen"
wait_stable "$T/out.log.moved2" || fail "the second moved file still grows after the reopen"
n=$(nlines "$T/out.log.moved2")
wait_for 2 '[ "$(nlines "$LOG")" -ge 100 ]'
[ "$(nlines "$T/out.log.moved2")" -eq "$n" ] || fail "the second moved file still grows after the reopen"

# --- round 3: reopen without a move: the same file goes on ---
before=$(nlines "$LOG")
ino=$(stat -c %i "$LOG")
"$CTL" reopen >/dev/null 2>&1 || fail "second cirquectl reopen failed"
kill -USR1 "$DPID"
wait_for 10 '[ "$(nlines "$LOG")" -ge $((before + 50)) ]' || fail "out.log stopped growing after a plain reopen"
[ "$(stat -c %i "$LOG")" = "$ino" ] || fail "a plain reopen replaced out.log"

# Freeze the counter, then check the three files hold 1..N once each, in order.
"$CTL" stop counter >/dev/null 2>&1 || fail "cirquectl stop counter failed"
wait_stable "$LOG" || fail "out.log still grows after stop"
cat "$T/out.log.moved1" "$T/out.log.moved2" "$LOG" >"$T/all"
total=$(nlines "$T/all")
seq -f "count %g" 1 "$total" | cmp -s - "$T/all" ||
	fail "lines lost, doubled or reordered across the reopens: $(seq -f 'count %g' 1 "$total" | diff - "$T/all" | head -n 6 | tr '\n' ' ')"
m1=$(last_count "$T/out.log.moved1"); m2=$(last_count "$T/out.log.moved2")
note "moved1 ends at $m1, moved2 at $m2, out.log at $(last_count "$LOG") ($total lines)"
head -n 1 "$T/out.log.moved1" | grep -qx "count 1" || fail "the first moved file does not start at count 1"

# The other watcher's file (path from a template) was reopened too, and never lost a line.
"$CTL" stop other >/dev/null 2>&1 || fail "cirquectl stop other failed"
wait_stable "$T/other.log" || fail "other.log still grows after stop"
seq -f "count %g" 1 "$(nlines "$T/other.log")" | cmp -s - "$T/other.log" || fail "other.log lost lines across reopens"

stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
grep -q "cannot write" "$DLOG" && fail "a write error was logged"
echo ok
