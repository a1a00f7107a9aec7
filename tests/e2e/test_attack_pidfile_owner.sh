# Attack: a pidfile that another user can rewrite. Whoever reads cirqued's pidfile as root
# (`kill $(cat cirqued.pid)`, logrotate's postrotate, an init script, a monitoring check that
# restarts it) signals the pid written there. safefs keeps cirqued from writing *through* a link,
# but cirqued still accepts a pidfile that is not its own to vouch for:
#   sticky   the pidfile in a 1777 directory (as /tmp), created first by nobody: cirqued opens
#            nobody's file (O_CREAT without O_EXCL; fs.protected_regular=0 here, the kernel's
#            default) and writes its pid into it; nobody then writes any pid it likes
#   dir      the pidfile in a directory owned by nobody: cirqued creates it root's, but nobody
#            replaces it at will (it owns the directory)
# The lock file beside the control socket is refused in the same situation ("owned by uid N, not
# by the daemon's user"), the pidfile is not.
# Expected: cirqued refuses a pidfile it does not own, or one in a directory others can change
# (not trusted and not a sticky one holding its own file); it does not start (or names the
# refusal) rather than leave root's tools a pid chosen by another user.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"

PUB=$T/pub            # a sticky world-writable directory, as /tmp
APPD=$T/appd          # nobody's directory
mkdir -m 1777 "$PUB"
chmod 1777 "$PUB"
mkdir -m 755 "$APPD"
chown "$NOBODY:$NOBODY" "$APPD"
note "fs.protected_regular=$(cat /proc/sys/fs/protected_regular 2>/dev/null)"

S=$(sleeper idle)
cat >"$CONF" <<YAML
watchers:
  idle:
    cmd: $S 3600
YAML

# The victim: a root process an admin's `kill $(cat pidfile)` must never reach.
"$S" 3600 &
VICTIM=$!

# try_pidfile WHAT PIDFILE: starts cirqued with --pidfile; if it accepted the file, nobody tries
# to put the victim's pid in it.
try_pidfile() {
	local what=$1 pidfile=$2 started=0
	"$CIRQUED" -c "$CONF" --pidfile "$pidfile" >>"$DLOG" 2>&1 &
	DPID=$!
	wait_for 10 'grep -qs "starting (pid $DPID" "$DLOG" || ! kill -0 $DPID 2>/dev/null'
	if ! kill -0 "$DPID" 2>/dev/null; then
		note "$what: cirqued refused to start: $(grep -F "$pidfile" "$DLOG" | tail -n 1)"
		wait "$DPID" 2>/dev/null
		DPID=""
		return
	fi
	wait_for 5 '[ "$(cat "$pidfile" 2>/dev/null)" = "$DPID" ]' || note "$what: the pidfile never held $DPID"
	note "$what: cirqued wrote $pidfile ($(stat -c '%U %a' "$pidfile"))"
	# The attacker's move: the victim's pid in the file that names cirqued.
	as_nobody sh -c "echo $VICTIM >'$pidfile'" 2>/dev/null ||
		as_nobody sh -c "rm -f '$pidfile' && echo $VICTIM >'$pidfile'" 2>/dev/null
	if [ "$(cat "$pidfile" 2>/dev/null)" = "$VICTIM" ]; then
		attack_succeeded "$what: cirqued accepted $pidfile ($(stat -c 'now %U %a' "$pidfile")), and nobody made it name pid $VICTIM: root's 'kill \$(cat $pidfile)' would kill that process instead of cirqued"
	fi
	stop_daemon TERM 10
}

# --- sticky: nobody's file in a 1777 directory ---
as_nobody sh -c "echo 1 >'$PUB/cirqued.pid'" || fail "nobody cannot write $PUB"
try_pidfile sticky "$PUB/cirqued.pid"

# --- dir: a pidfile in nobody's directory ---
try_pidfile dir "$APPD/cirqued.pid"

kill -0 "$VICTIM" 2>/dev/null || fail "the victim died"
kill "$VICTIM"
finish
