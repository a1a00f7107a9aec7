# The daemon's own log file (logoutput:) is reopened by `cirquectl reopen` and SIGUSR1, as the
# children's are: after logrotate moves it, new lines go to a new file, not to the moved one.
. "$(dirname "$0")/lib.sh"

OWN=$T/logs/cirqued.log
mkdir -p "$T/logs"
cat >"$CONF" <<YAML
cirque:
  logoutput: $OWN
watchers:
  idle:
    cmd: sleep 3600
YAML
"$CIRQUED" -c "$CONF" >>"$DLOG" 2>&1 &
DPID=$!
wait_for 10 'grep -qs "starting (pid" "$OWN"' || fail "nothing in $OWN: $(cat "$DLOG")"
mv "$OWN" "$OWN.1"
"$CTL" reopen >/dev/null || fail "cirquectl reopen failed"
wait_for 5 '[ -e "$OWN" ]' || fail "reopen did not make a new $OWN"
mv "$OWN" "$OWN.2"
kill -USR1 "$DPID"
wait_for 5 '[ -e "$OWN" ]' || fail "SIGUSR1 did not make a new $OWN"
"$CTL" stop idle >/dev/null || fail "stop failed"
wait_for 5 'grep -q "watcher idle: stopping" "$OWN"' || fail "new lines do not reach the new file"
grep -q "watcher idle: stopping" "$OWN.1" "$OWN.2" && fail "lines still go to a moved file"
cat "$OWN.1" "$OWN.2" "$OWN" >>"$DLOG"
echo ok
