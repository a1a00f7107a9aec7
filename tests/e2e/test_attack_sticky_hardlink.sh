# Attack: a hard link to a root-only file, planted in a sticky world-writable directory (as /tmp).
# safefs refuses a file with more than one name in a directory others can change, but treats an
# entry of a sticky directory as fixed when it belongs to root: a hard link's name is anyone's,
# while its owner is the file's (root's). So a planted hard link to a root-only file passes, and
# root truncates it (the pidfile) or appends to it (a log) through the link.
# fs.protected_hardlinks=1 stops nobody from making such a link (it is 1 here), so root plants
# them to stand for a system where nobody can (the kernel's default, 0), as
# test_attack_log_links.sh does for its hard link in nobody's directory.
#   pidfile  --pidfile in the 1777 directory, a hard link to a root-only file
#   log      a watcher's stdout file there, a hard link to a root-only file
# Expected: both refused (a name in a sticky directory is not fixed when the file has other
# names); the secrets stay root's, 0600, unchanged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"

PUB=$T/pub
PRIV=$T/private
mkdir -m 1777 "$PUB"
chmod 1777 "$PUB"
mkdir -m 700 "$PRIV"
make_secret "$PRIV/secret-pid"
make_secret "$PRIV/secret-log"
note "fs.protected_hardlinks=$(cat /proc/sys/fs/protected_hardlinks 2>/dev/null)"
ln "$PRIV/secret-pid" "$PUB/cirqued.pid" || fail "cannot make the hard link"
ln "$PRIV/secret-log" "$PUB/app.log" || fail "cannot make the hard link"

cat >"$T/chatty.sh" <<'SH'
while :; do
	echo "attacker's line for the secret"
	sleep 0.1
done
SH
cat >"$CONF" <<YAML
watchers:
  app:
    cmd: /bin/sh $T/chatty.sh
    uid: nobody
    stdout: {file: $PUB/app.log}
YAML
"$CIRQUED" -c "$CONF" --pidfile "$PUB/cirqued.pid" >>"$DLOG" 2>&1 &
DPID=$!
wait_for 10 'grep -qs "starting (pid" "$DLOG" || ! kill -0 $DPID 2>/dev/null'
if kill -0 "$DPID" 2>/dev/null; then
	wait_for 3 'secret_changed "$PRIV/secret-log"'
else
	note "cirqued refused to start: $(tail -n 1 "$DLOG")"
fi
check_secret "$PRIV/secret-pid" "hard link as the pidfile in a sticky directory"
check_secret "$PRIV/secret-log" "hard link as a log file in a sticky directory"
finish
