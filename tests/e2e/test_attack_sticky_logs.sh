# Attack: log files in a sticky world-writable directory (as /tmp) that another user made first.
# cirqued opens a `stdout: {file:}` or `logoutput:` path with O_CREAT|O_APPEND, without O_EXCL:
# in a 1777 directory, a file there may be anyone's. safefs refuses a link or a second name there,
# but accepts a regular file owned by another user, so root appends to nobody's file, and nobody
# reads everything written to it: the output of a program that runs as root, the daemon's own log.
# fs.protected_regular=1 (a sysctl many distributions set, 0 in the kernel and here) makes the
# kernel refuse that open; safefs should not depend on it, as it does not for links.
#   child    a root watcher's stdout file, created first by nobody (0666, nobody's)
#   daemon   cirque.logoutput, created first by nobody
# Expected: cirqued refuses a file of another user in a sticky directory (or replaces it with its
# own): nobody reads neither the root program's output nor the daemon's log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"

PUB=$T/pub
mkdir -m 1777 "$PUB"
chmod 1777 "$PUB"
note "fs.protected_regular=$(cat /proc/sys/fs/protected_regular 2>/dev/null)"

# The root program prints something only root should see.
cat >"$T/rootprog.sh" <<'SH'
while :; do
	echo "root-only output $(id -u)"
	sleep 0.1
done
SH
as_nobody sh -c "umask 0; : >'$PUB/root-app.log'; : >'$PUB/cirqued.log'" || fail "nobody cannot write $PUB"

cat >"$CONF" <<YAML
cirque:
  logoutput: $PUB/cirqued.log
watchers:
  rootapp:
    cmd: /bin/sh $T/rootprog.sh
    stdout: {file: $PUB/root-app.log}
YAML
"$CIRQUED" -c "$CONF" >>"$DLOG" 2>&1 &
DPID=$!
wait_for 10 'grep -qs "starting (pid" "$DLOG" "$PUB/cirqued.log" || ! kill -0 $DPID 2>/dev/null'
kill -0 "$DPID" 2>/dev/null || note "cirqued refused to start: $(tail -n 1 "$DLOG")"

# What nobody can read of it.
wait_for 3 'as_nobody grep -qs "^root-only output 0" "$PUB/root-app.log"'
if as_nobody grep -qs "^root-only output 0" "$PUB/root-app.log"; then
	attack_succeeded "child: nobody reads the root program's output in its own $PUB/root-app.log ($(stat -c '%U %a' "$PUB/root-app.log")): '$(as_nobody head -n 1 "$PUB/root-app.log")'"
fi
if as_nobody grep -qs "cirqued .* starting" "$PUB/cirqued.log"; then
	attack_succeeded "daemon: nobody reads cirqued's log in its own $PUB/cirqued.log ($(stat -c '%U %a' "$PUB/cirqued.log")): '$(as_nobody grep -m1 starting "$PUB/cirqued.log" | cut -c1-100)'"
fi
finish
