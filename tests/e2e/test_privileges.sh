# As root, uid/gid drop privileges fully before exec (uid, gid and supplementary groups); a
# numeric uid without a passwd entry gets no supplementary group at all.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1; then
	echo "skipped: needs root and a 'nobody' user"
	exit 0
fi
S=$(sleeper dropped)
chmod 755 "$T"
cat >"$CONF" <<YAML
watchers:
  dropped:
    cmd: $S 3600
    uid: nobody
  numeric:
    cmd: $S 3601
    uid: 54321
    gid: 54321
YAML
start_daemon
wait_count "$S 3600" 1
pid=$(children_matching "$S 3600")
nobody_uid=$(id -u nobody); nobody_gid=$(id -g nobody)
grep -qE "^Uid:\s+$nobody_uid\s+$nobody_uid\s+$nobody_uid\s+$nobody_uid" "/proc/$pid/status" || fail "uid: $(grep Uid /proc/$pid/status)"
grep -qE "^Gid:\s+$nobody_gid\s+$nobody_gid\s+$nobody_gid\s+$nobody_gid" "/proc/$pid/status" || fail "gid: $(grep Gid /proc/$pid/status)"
groups=$(awk '/^Groups:/ {$1=""; print}' "/proc/$pid/status" | xargs)
expected=$(id -G nobody | tr ' ' '\n' | sort -n | xargs)
[ "$(echo "$groups" | tr ' ' '\n' | sort -n | xargs)" = "$expected" ] || fail "groups '$groups', expected '$expected' (root's must be gone)"
wait_count "$S 3601" 1
pid=$(children_matching "$S 3601")
grep -qE "^Uid:\s+54321\s+54321" "/proc/$pid/status" || fail "numeric uid: $(grep Uid /proc/$pid/status)"
grep -qE "^Groups:\s*$" "/proc/$pid/status" || fail "numeric uid without passwd groups kept: $(grep Groups /proc/$pid/status)"
stop_daemon TERM

cat >"$CONF" <<YAML
watchers:
  ghost:
    cmd: sleep 1
    uid: no-such-user-cirque
YAML
"$CIRQUED" -c "$CONF" --check >"$T/out" 2>&1 && fail "unknown user accepted"
grep -q "$CONF:4:10: watchers.ghost.uid: unknown user 'no-such-user-cirque'" "$T/out" || fail "message: $(cat "$T/out")"

# working_dir is entered as the program's user, after the drop: root's chdir would give nobody a
# directory it cannot reach by itself (here one inside a 0700 directory of root's), and would
# follow a link that nobody planted.
mkdir -p "$T/private/inner"
chmod 700 "$T/private"
chmod 755 "$T/private/inner"
cat >"$CONF" <<YAML
watchers:
  hidden:
    cmd: $S 3603
    uid: nobody
    working_dir: $T/private/inner
    max_retry: 0
YAML
start_daemon
wait_for 15 'grep -q "watcher hidden\[1\]: cannot chdir to working_dir" "$DLOG"' ||
	fail "nobody was given a working_dir it cannot reach: $(grep hidden "$DLOG" | tail -n 3)"
[ -z "$(pgrep -f "^$S 3603")" ] || fail "a child runs as nobody inside root's private directory"
stop_daemon TERM

# A drop that fails aborts the child: it never runs with the daemon's ids. In a user namespace
# where cirqued is root but setgroups is denied and nobody is unmapped, every drop fails.
if unshare -U -r true 2>/dev/null; then
	cat >"$CONF" <<YAML
watchers:
  undroppable:
    cmd: $S 3602
    uid: nobody
    max_retry: 1
YAML
	unshare -U -r "$CIRQUED" -c "$CONF" >>"$DLOG" 2>&1 &
	UPID=$!
	wait_for 15 'grep -q "watcher undroppable\[1\]: gave up" "$DLOG"' || fail "the failed drop was not reported"
	grep -q "watcher undroppable\[1\]: cannot drop privileges (setgroups) for $S: Operation not permitted" "$DLOG" ||
		fail "the failed step is not named: $(grep undroppable "$DLOG" | head -n 3)"
	[ -z "$(pgrep -f "^$S 3602")" ] || fail "a child ran although its privileges could not be dropped"
	kill -TERM "$UPID"
	wait "$UPID" || fail "the daemon in the user namespace exited with $?"
fi
echo ok
