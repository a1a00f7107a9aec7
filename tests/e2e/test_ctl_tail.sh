# cirquectl tail, as an operator reads it: lines of a watcher that runs several processes each
# say whose they are ("name:wid | line", status's naming), with -f too, while one process's
# lines (name:wid, or a watcher of one process) and --raw come as they are; a wid there is not
# exits 4, a bad count or wid 2, printing nothing; tail -f ends (exit 7, with a message) when
# the daemon stops rather than hang.
. "$(dirname "$0")/lib.sh"

cat >"$T/duo.sh" <<'SH'
for i in 1 2 3; do echo "duo $1 line $i"; done
echo "duo $1 err" >&2
exec sleep 3600
SH
cat >"$T/ticker.sh" <<'SH'
i=0
while :; do i=$((i + 1)); echo "tick $1 $i"; sleep 0.05; done
SH
S=$(sleeper solo)
cat >"$CONF" <<YAML
watchers:
  duo:
    cmd: /bin/sh $T/duo.sh \$(circus.wid)
    numprocesses: 2
    stdout: {file: $T/duo.out}
    stderr: {file: $T/duo.err}
  solo:
    cmd: /bin/sh -c 'echo "solo line"; exec $S 3600'
  ticker:
    cmd: /bin/sh $T/ticker.sh \$(circus.wid)
    numprocesses: 2
    graceful_timeout: 1
YAML
start_daemon

wait_for 10 '[ "$("$CTL" tail -n 100 duo 2>/dev/null | wc -l)" -eq 6 ]' || fail "duo's 6 lines never in the tail buffer: $("$CTL" tail -n 100 duo 2>&1)"
wait_for 10 '[ "$("$CTL" tail solo 2>/dev/null)" = "solo line" ]' || fail "tail solo: $("$CTL" tail solo 2>&1)"

# --- mixed processes: each line prefixed with name:wid --------------------------------------------
expected=$(for w in 1 2; do for i in 1 2 3; do echo "duo:$w | duo $w line $i"; done; done)
got=$("$CTL" tail -n 100 duo) || fail "tail duo: exit $?"
[ "$(echo "$got" | sort)" = "$expected" ] || fail "tail duo (2 processes) is not prefixed: [$got]"
# Each process's lines in its order.
[ "$(echo "$got" | grep '^duo:2 | ')" = "$(echo "$expected" | grep '^duo:2 | ')" ] || fail "duo:2's lines out of order: [$got]"
got=$("$CTL" tail --stderr duo | sort)
[ "$got" = "$(printf 'duo:1 | duo 1 err\nduo:2 | duo 2 err')" ] || fail "tail --stderr duo: [$got]"
# One process: as they are.
[ "$("$CTL" tail -n 100 duo:2)" = "$(printf 'duo 2 line %s\n' 1 2 3)" ] || fail "tail duo:2 is prefixed: $("$CTL" tail duo:2)"
[ "$("$CTL" tail solo)" = "solo line" ] || fail "tail of a one-process watcher is prefixed: $("$CTL" tail solo)"
# --raw: the bytes as written, no prefix.
got=$("$CTL" tail --raw -n 100 duo | sort)
[ "$got" = "$( (printf 'duo 1 line %s\n' 1 2 3; printf 'duo 2 line %s\n' 1 2 3) | sort)" ] || fail "tail --raw duo is changed: [$got]"

# --- errors: printed, never an empty success --------------------------------------------------
out=$("$CTL" tail duo:9 2>"$T/err"); rc=$?
[ "$rc" -eq 4 ] || fail "tail duo:9 (no such wid): exit $rc, expected 4"
[ -z "$out" ] || fail "tail duo:9 printed [$out]"
grep -q "duo:9: ERROR (no such process)" "$T/err" || fail "tail duo:9 said: $(cat "$T/err")"
out=$("$CTL" tail -n 0 duo:2); rc=$?
[ "$rc" -eq 0 ] && [ -z "$out" ] || fail "tail -n 0 duo:2 (a wid there is): exit $rc [$out]"
"$CTL" tail nosuch:1 >/dev/null 2>&1; rc=$?
[ "$rc" -eq 4 ] || fail "tail nosuch:1: exit $rc, expected 4"
for bad in "-n abc duo" "-n -3 duo" "-nx duo" "duo:x" "duo:" "-n"; do
	out=$("$CTL" tail $bad 2>"$T/err"); rc=$?
	[ "$rc" -eq 2 ] || fail "tail $bad: exit $rc, expected 2 (usage)"
	[ -z "$out" ] || fail "tail $bad printed [$out]"
	grep -q "usage: cirquectl tail" "$T/err" || fail "tail $bad: no usage: $(cat "$T/err")"
done

# --- tail -f: live lines of both processes, each prefixed; one wid unprefixed ---------------------
follow() {  # follow OUT ARGS...: cirquectl tail -f ARGS in the background, until it follows
	local out=$1
	shift
	"$CTL" tail -f "$@" >"$out" 2>"$out.err" &
	FPIDS="${FPIDS:-} $!"
	wait_for 10 'grep -q "Press Ctrl-C" "$out.err"' || fail "tail -f $* did not start: $(cat "$out.err")"
}
follow "$T/f_mixed" -n 0 ticker
follow "$T/f_one" -n 0 ticker:2
wait_for 10 'grep -qE "^ticker:1 \| tick 1 [0-9]+$" "$T/f_mixed" && grep -qE "^ticker:2 \| tick 2 [0-9]+$" "$T/f_mixed"' ||
	fail "tail -f ticker: lines not prefixed by process: $(head -n 4 "$T/f_mixed")"
bad=$(grep -vE "^ticker:([12]) \| tick \1 [0-9]+$" "$T/f_mixed" | head -n 3)
[ -z "$bad" ] || fail "tail -f ticker: lines without their own prefix (or run together): [$bad]"
wait_for 10 'grep -qE "^tick 2 [0-9]+$" "$T/f_one"' || fail "tail -f ticker:2 printed: $(head -n 3 "$T/f_one")"
grep -vqE "^tick 2 [0-9]+$" "$T/f_one" && fail "tail -f ticker:2: other lines: $(grep -vE "^tick 2 " "$T/f_one" | head -n 3)"

# --- the daemon stops: every tail -f ends, saying so --------------------------------------------
stop_daemon TERM
for p in $FPIDS; do
	wait_for 15 '! kill -0 '"$p"' 2>/dev/null' || { kill -9 $FPIDS; fail "tail -f still runs after the daemon stopped"; }
	wait "$p"; rc=$?
	[ "$rc" -eq 7 ] || fail "tail -f exited $rc when the daemon stopped, expected 7"
done
for f in "$T/f_mixed" "$T/f_one"; do
	grep -q "stopped or dropped this connection" "$f.err" || fail "tail -f ended without a word: $(cat "$f.err")"
done
echo ok
