# `cirquectl tail`: -n N, --stderr, name:wid, a null stream (exit 1 with a message), -f following
# live output until SIGINT (exit 0), also filtered by wid. And the stream kinds as the child and the
# daemon see them: inherit puts each line on the daemon's own stdout or stderr prefixed "name[wid]: ",
# {merge: stdout} (and its short form `stdout`) sends stderr into the stdout file, null gives the
# child /dev/null, a file gives it a pipe; time_format prefixes each line in the file.
. "$(dirname "$0")/lib.sh"

cat >"$T/one.sh" <<'SH'
for i in 1 2 3 4 5 6 7 8 9 10; do echo "out $i"; done
for i in 1 2 3 4 5; do echo "err $i" >&2; done
exec sleep 3600
SH
cat >"$T/duo.sh" <<'SH'
for i in 1 2 3 4 5; do echo "duo $1 line $i"; done
echo "duo $1 err" >&2
exec sleep 3600
SH
cat >"$T/quiet.sh" <<'SH'
echo "to nowhere"
echo "quiet err" >&2
exec sleep 3600
SH
cat >"$T/merged.sh" <<'SH'
echo "m out 1"; echo "m err 1" >&2; echo "m out 2"; echo "m err 2" >&2
exec sleep 3600
SH
cat >"$T/ticker.sh" <<'SH'
i=0
while :; do
	i=$((i + 1))
	echo "tick $1 $i"
	echo "tock $1 $i" >&2
	sleep 0.1
done
SH
S=$(sleeper mute)
cat >"$CONF" <<YAML
watchers:
  one:
    cmd: /bin/sh $T/one.sh
    stdout: {file: $T/one.out}
    stderr: {file: $T/one.err}
  duo:
    cmd: /bin/sh $T/duo.sh \$(circus.wid)
    numprocesses: 2
  quiet:
    cmd: /bin/sh $T/quiet.sh
    stdout: null
    stderr: {file: $T/quiet.err}
  mute:
    cmd: $S 3600
    stdout: null
    stderr: null
  merged:
    cmd: /bin/sh $T/merged.sh
    stdout: {file: $T/merged.log, time_format: "%H:%M:%S"}
    stderr: {merge: stdout}
  merged2:
    cmd: /bin/sh $T/merged.sh
    stdout: {file: $T/merged2.log}
    stderr: stdout
  mtick:
    cmd: /bin/sh $T/ticker.sh 9
    stdout: {file: $T/mtick.log}
    stderr: {merge: stdout}
  ticker:
    cmd: /bin/sh $T/ticker.sh \$(circus.wid)
    numprocesses: 2
    stdout: {file: $T/ticker.log}
    stderr: {file: $T/ticker.err}
YAML
# As start_daemon, with the daemon's stdout apart from its stderr (the log), to tell them apart.
"$CIRQUED" -c "$CONF" >"$T/daemon.out" 2>>"$DLOG" &
DPID=$!
wait_for 10 'grep -qs "starting (pid" "$DLOG" || ! kill -0 $DPID 2>/dev/null' || fail "daemon did not start"
kill -0 "$DPID" 2>/dev/null || fail "daemon exited at start-up"

# expect WHAT EXPECTED CMD...: runs cirquectl CMD..., compares its stdout (exit status must be 0).
expect() {
	local what=$1 expected=$2 out
	shift 2
	out=$("$CTL" "$@" 2>"$T/ctl.err") || fail "$what: cirquectl $* exited $?: $(cat "$T/ctl.err")"
	[ "$out" = "$expected" ] || fail "$what: cirquectl $* printed [$out], expected [$expected]"
}
lines() { for x in "$@"; do echo "$x"; done; }

wait_for 10 'grep -qx "out 10" "$T/one.out" 2>/dev/null && grep -qx "err 5" "$T/one.err" 2>/dev/null' ||
	fail "one's output did not reach its files"
wait_for 10 '[ "$("$CTL" tail -n 100 one 2>/dev/null | wc -l)" -eq 10 ] &&
	[ "$("$CTL" tail -n 100 --stderr one 2>/dev/null | wc -l)" -eq 5 ]' || fail "one's lines are not in the tail buffer"

# --- -n, --stderr ---
expect "tail -n 3" "$(lines "out 8" "out 9" "out 10")" tail -n 3 one
expect "tail -n3" "$(lines "out 8" "out 9" "out 10")" tail -n3 one
expect "tail (default 10)" "$(seq -f "out %g" 1 10)" tail one
expect "tail -n 100" "$(seq -f "out %g" 1 10)" tail -n 100 one
expect "tail -n 0" "" tail -n 0 one
expect "tail --stderr" "$(lines "err 4" "err 5")" tail --stderr -n 2 one
expect "tail -n 2 --stderr" "$(lines "err 4" "err 5")" tail -n 2 --stderr one
expect "tail one:1" "$(lines "out 9" "out 10")" tail -n 2 one:1

# --- name:wid, on an inherit watcher ---
wait_for 10 '[ "$("$CTL" tail -n 100 duo 2>/dev/null | wc -l)" -eq 10 ]' || fail "duo's 10 lines are not in the tail buffer"
expect "tail duo:1" "$(seq -f "duo 1 line %g" 1 5)" tail -n 100 duo:1
expect "tail duo:2" "$(seq -f "duo 2 line %g" 1 5)" tail -n 100 duo:2
expect "tail -n 2 duo:2" "$(lines "duo 2 line 4" "duo 2 line 5")" tail -n 2 duo:2
expect "tail --stderr duo:2" "duo 2 err" tail --stderr duo:2
[ "$("$CTL" tail -n 100 duo | sort)" = "$( (seq -f "duo:1 | duo 1 line %g" 1 5; seq -f "duo:2 | duo 2 line %g" 1 5) | sort)" ] ||
	fail "tail duo (both wids, each line prefixed): $("$CTL" tail -n 100 duo | tr '\n' '|')"

# --- inherit: the daemon's stdout and stderr, prefixed name[wid] ---
for w in 1 2; do
	for i in 1 2 3 4 5; do
		grep -qxF "duo[$w]: duo $w line $i" "$T/daemon.out" ||
			fail "daemon stdout lacks 'duo[$w]: duo $w line $i': $(head -c 400 "$T/daemon.out")"
	done
	grep -qxF "duo[$w]: duo $w err" "$DLOG" || fail "daemon stderr lacks 'duo[$w]: duo $w err'"
done
grep -q "err" "$T/daemon.out" && fail "stderr lines on the daemon's stdout: $(grep err "$T/daemon.out")"
grep -q "duo . line" "$DLOG" && fail "stdout lines on the daemon's stderr"

# --- null ---
out=$("$CTL" tail quiet 2>&1); rc=$?
[ "$rc" -eq 1 ] || fail "tail on a null stdout: exit $rc, expected 1 ($out)"
echo "$out" | grep -q "does not capture its stdout" || fail "tail on a null stdout: unclear message: $out"
wait_for 10 '[ "$("$CTL" tail --stderr quiet 2>/dev/null)" = "quiet err" ]' ||
	fail "tail --stderr on quiet (stdout null, stderr captured): $("$CTL" tail --stderr quiet 2>&1)"
out=$("$CTL" tail --stderr mute 2>&1); rc=$?
[ "$rc" -eq 1 ] || fail "tail --stderr on a null stderr: exit $rc"
echo "$out" | grep -q "does not capture its stderr" || fail "tail --stderr on a null stderr: $out"
out=$(timeout 10 "$CTL" tail -f quiet 2>&1); rc=$?
[ "$rc" -eq 1 ] || fail "tail -f on a null stdout: exit $rc, expected 1 at once ($out)"
out=$("$CTL" tail nosuch 2>&1); rc=$?
[ "$rc" -ne 0 ] || fail "tail on an unknown watcher succeeded"

# What the children have as fds 1 and 2.
quiet_pid=$("$CTL" pid quiet); mute_pid=$("$CTL" pid mute); one_pid=$("$CTL" pid one)
merged_pid=$("$CTL" pid merged); merged2_pid=$("$CTL" pid merged2)
[ "$(readlink "/proc/$quiet_pid/fd/1")" = /dev/null ] || fail "stdout: null: fd 1 is $(readlink "/proc/$quiet_pid/fd/1")"
readlink "/proc/$quiet_pid/fd/2" | grep -q '^pipe:' || fail "quiet's captured stderr is $(readlink "/proc/$quiet_pid/fd/2")"
[ "$(readlink "/proc/$mute_pid/fd/1")" = /dev/null ] || fail "mute: fd 1 is $(readlink "/proc/$mute_pid/fd/1")"
[ "$(readlink "/proc/$mute_pid/fd/2")" = /dev/null ] || fail "mute: fd 2 is $(readlink "/proc/$mute_pid/fd/2")"
readlink "/proc/$one_pid/fd/1" | grep -q '^pipe:' || fail "a file stream gives fd 1 $(readlink "/proc/$one_pid/fd/1")"
[ "$(readlink "/proc/$one_pid/fd/1")" != "$(readlink "/proc/$one_pid/fd/2")" ] || fail "one's stdout and stderr share a pipe"
for p in $merged_pid $merged2_pid; do
	[ "$(readlink "/proc/$p/fd/1")" = "$(readlink "/proc/$p/fd/2")" ] || fail "merged: fd 2 is not fd 1's pipe"
done
grep -q "to nowhere" "$DLOG" "$T/daemon.out" && fail "output of a null stdout was captured"

# --- merge: stderr lines in the stdout file, in the order written; time_format prefix ---
wait_for 10 '[ "$(wc -l <"$T/merged.log")" -eq 4 ] && [ "$(wc -l <"$T/merged2.log")" -eq 4 ]' ||
	fail "merged logs: $(cat "$T/merged.log" "$T/merged2.log" | tr '\n' '|')"
[ "$(cat "$T/merged2.log")" = "$(lines "m out 1" "m err 1" "m out 2" "m err 2")" ] ||
	fail "merged2.log: $(tr '\n' '|' <"$T/merged2.log")"
[ "$(sed -E 's/^[0-9]{2}:[0-9]{2}:[0-9]{2} //' "$T/merged.log")" = "$(lines "m out 1" "m err 1" "m out 2" "m err 2")" ] ||
	fail "merged.log (with time_format): $(tr '\n' '|' <"$T/merged.log")"
[ "$(grep -cE '^[0-9]{2}:[0-9]{2}:[0-9]{2} m ' "$T/merged.log")" -eq 4 ] || fail "time_format prefix missing: $(head -n 1 "$T/merged.log")"
expect "tail merged" "$(lines "m out 1" "m err 1" "m out 2" "m err 2")" tail merged
expect "tail --stderr merged" "$(lines "m out 1" "m err 1" "m out 2" "m err 2")" tail --stderr merged

# --- tail -f: live lines, filtered by wid, until SIGINT ---
# follow OUT ARGS...: starts `cirquectl tail -f ARGS` in the background, waits until it follows.
follow() {
	local out=$1
	shift
	"$CTL" tail -f "$@" >"$out" 2>"$out.err" &
	FPID=$!
	wait_for 10 'grep -q "Press Ctrl-C" "$out.err" || ! kill -0 $FPID 2>/dev/null' || fail "tail -f $* did not start"
	kill -0 $FPID 2>/dev/null || fail "tail -f $* exited: $(cat "$out.err")"
}
# stop_follow: SIGINT, then it must end by itself with status 0.
stop_follow() {
	kill -INT "$FPID"
	wait_for 10 '! kill -0 $FPID 2>/dev/null' || { kill -9 "$FPID"; fail "tail -f did not end on SIGINT"; }
	wait "$FPID"
	rc=$?
	[ "$rc" -eq 0 ] || fail "tail -f exited $rc on SIGINT ($(cat "$T/f$1.out.err"))"
}
# contiguous FILE PREFIX: the numbers after PREFIX in FILE, duplicates aside, have no gap.
contiguous() {
	awk -v p="$2" 'index($0, p) == 1 { n = substr($0, length(p) + 1) + 0; if (!(n in seen)) { seen[n] = 1; k++ }
		if (min == "" || n < min) min = n; if (n > max) max = n }
		END { if (k == 0 || max - min + 1 != k) { printf "%d numbers from %d to %d", k, min, max; exit 1 } }' "$1"
}
wait_for 10 '[ "$(grep -c "^tick 2 " "$T/ticker.log")" -ge 5 ]' || fail "ticker does not tick"
follow "$T/f1.out" -n 2 ticker:2
now=$(grep "^tick 2 " "$T/ticker.log" | tail -n 1 | awk '{ print $3 }')
wait_for 20 'grep -qx "tick 2 $((now + 20))" "$T/f1.out"' || fail "tail -f did not print new lines: $(tail -n 3 "$T/f1.out" | tr '\n' '|')"
stop_follow 1
grep -v "^tick 2 " "$T/f1.out" | head -n 3 | grep -q . && fail "tail -f ticker:2 printed other lines: $(grep -v "^tick 2 " "$T/f1.out" | head -n 3 | tr '\n' '|')"
gap=$(contiguous "$T/f1.out" "tick 2 ") || fail "tail -f lost lines: $gap ($(tr '\n' ' ' <"$T/f1.out" | cut -c 1-300))"
[ "$(head -n 2 "$T/f1.out" | wc -l)" -eq 2 ] || fail "tail -f -n 2 did not start with 2 lines"

follow "$T/f2.out" --stderr ticker
now=$(grep "^tock 1 " "$T/ticker.err" | tail -n 1 | awk '{ print $3 }')
# Two processes: each line says whose it is (ticker:wid | ).
wait_for 20 'grep -qx "ticker:1 | tock 1 $((now + 10))" "$T/f2.out" && grep -qx "ticker:2 | tock 2 $((now + 10))" "$T/f2.out"' ||
	fail "tail -f --stderr ticker did not print both processes' new lines"
stop_follow 2
grep -q "| tick" "$T/f2.out" && fail "tail -f --stderr printed stdout lines"
for w in 1 2; do
	gap=$(contiguous "$T/f2.out" "ticker:$w | tock $w ") || fail "tail -f --stderr lost lines of wid $w: $gap"
done

# The followed processes are the same ones (tail -f does not disturb them), the daemon is fine.
[ "$("$CTL" pid one)" = "$one_pid" ] || fail "one was restarted"

# --- tail -f --stderr on a merged watcher follows what tail --stderr shows: the merged stream ---
wait_for 10 '"$CTL" tail --stderr -n 4 mtick | grep -q "^tock 9 "' || fail "tail --stderr mtick: $("$CTL" tail --stderr -n 4 mtick 2>&1)"
follow "$T/f3.out" --stderr -n 0 mtick
now=$(grep "^tock 9 " "$T/mtick.log" | tail -n 1 | awk '{ print $3 }')
wait_for 10 'grep -qx "tock 9 $((now + 10))" "$T/f3.out"'
ok=$?
stop_follow 3
[ "$ok" -eq 0 ] || fail "tail -f --stderr on a merged watcher (stderr: {merge: stdout}) printed no new lines, while tail --stderr shows them: [$(head -c 200 "$T/f3.out")]"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
echo ok
