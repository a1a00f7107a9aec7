# cirqued as a container's entry point: PID 1 of its own PID namespace (unshare -fp, as a
# container runtime starts it). Orphaned grandchildren are reparented to it and reaped (no
# zombie piles up), watchers run and answer cirquectl as usual, and SIGTERM from outside (the
# runtime's stop) brings the graceful shutdown, adopted orphans included, and exit status 0.
. "$(dirname "$0")/lib.sh"

unshare -fp --mount-proc true 2>/dev/null ||
	fail "cannot create a PID namespace here (unshare -fp needs root or user namespaces)"

S=$(sleeper pid1)
cat >"$CONF" <<YAML
watchers:
  app:
    cmd: $S 3600
    numprocesses: 2
  # 20 grandchildren that die at once, orphaned: only PID 1 can reap them.
  orphans:
    cmd: /bin/sh -c 'i=0; while [ \$i -lt 20 ]; do (/bin/sh -c "exit 0" &); i=\$((i+1)); done; exec $S 3601'
  # The classic daemon: forks into the background and exits.
  daemonizer:
    cmd: /bin/sh -c '$S 3602 & exit 0'
    respawn: false
YAML
unshare -fp --mount-proc "$CIRQUED" -c "$CONF" >>"$DLOG" 2>&1 &
UPID=$!
wait_for 10 'grep -qs "starting (pid" "$DLOG" || ! kill -0 $UPID 2>/dev/null' || fail "daemon did not start"
DPID=$(pgrep -P "$UPID")
[ -n "$DPID" ] || fail "no cirqued under unshare"
grep -q "starting (pid 1," "$DLOG" || fail "cirqued does not see itself as pid 1: $(grep starting "$DLOG")"
read -r _ outer inner <<<"$(grep NSpid "/proc/$DPID/status")"
[ "$outer" = "$DPID" ] && [ "$inner" = 1 ] || fail "NSpid of the daemon: $outer $inner"

wait_for 10 '[ "$($CTL status app | grep -c RUNNING)" = 2 ]' || fail "app not running under PID 1: $($CTL status)"
wait_for 10 '[ -n "$(pgrep -f "^$S 3602")" ]' || fail "daemonizer's background process did not start"
bg=$(pgrep -f "^$S 3602")
wait_for 5 '[ "$(awk "/^PPid:/ {print \$2}" /proc/$bg/status)" = "$DPID" ]' ||
	fail "the daemonized process was not adopted by PID 1"
# The 20 orphans died: each must have been reaped, none left as a zombie.
wait_for 10 '[ -z "$(zombies_of "$DPID")" ]' || fail "zombies under PID 1: $(zombies_of "$DPID" | tr '\n' ' ')"
note "children of PID 1: $(children "$DPID" | grep -c .), zombies: 0"

# The runtime stops the container with SIGTERM.
kill -TERM "$DPID"
wait_for 30 '! kill -0 $UPID 2>/dev/null' || fail "cirqued (PID 1) did not exit within 30s of SIGTERM"
wait "$UPID"
status=$?
DPID=""
[ "$status" = 0 ] || fail "exit status $status after SIGTERM"
grep -q "received SIGTERM" "$DLOG" || fail "SIGTERM was not handled (PID 1 ignores signals it has no handler for)"
grep -q "watcher daemonizer: 1 process left behind by its programs (pid [0-9]*): sending SIGTERM" "$DLOG" ||
	fail "the adopted orphan was not stopped gracefully"
grep -q "all processes stopped, exiting" "$DLOG" || fail "no orderly shutdown"
echo ok
