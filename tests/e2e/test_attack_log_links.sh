# Attack: log files and the pidfile follow links. cirqued (root) opens a watcher's `stdout: {file:}`
# with O_CREAT|O_APPEND and writes the pidfile with O_CREAT|O_TRUNC, following whatever link is at
# the path. When the directory is writable by another user (here a log directory owned by nobody,
# whose watcher runs as nobody), that user plants a link and root writes where it points:
#   new      app-new.log -> a missing file in a root-only directory: root creates it at the next spawn
#   reopen   app-reopen.log -> a root-only file: after `cirquectl reopen` the child's output is
#            appended to it
#   hard     app-hard.log is a hard link to a root-only file. fs.protected_hardlinks=1 stops nobody
#            from making it, so root plants it here to stand for a system where nobody can (=0)
#   rotate   rot.log.1..3 planted as links: rotation must only rename inside the directory
#   pidfile  cirqued --pidfile in a nobody-owned directory, the pidfile a link to a root-only file
#            (truncated to the pid) or to a missing file (created)
# Expected: no secret touched, nothing created where a link points, an error in the daemon log
# naming each refused path; the daemon keeps running and other output still reaches its log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"

LOGS=$T/logs          # the attacker's directory
PRIV=$T/private       # root-only: nothing may appear here
SAFE=$T/safe          # a proper log directory
mkdir -m 700 "$PRIV"
mkdir -m 755 "$SAFE"
mkdir -m 755 "$LOGS"
chown "$NOBODY:$NOBODY" "$LOGS"
make_secret "$PRIV/secret-reopen"
make_secret "$PRIV/secret-hard"
make_secret "$PRIV/secret-rotate"
make_secret "$PRIV/secret-pidfile"
note "fs.protected_hardlinks=$(cat /proc/sys/fs/protected_hardlinks 2>/dev/null)"

# refused PATH WHAT: the daemon log names PATH with a reason (loose: the wording is not fixed yet).
refused() {
	grep -F -- "$1" "$DLOG" | grep -qiE "refus|symbolic|link|not owned|owned by|writable|unsafe|insecure|too many levels"
}
expect_refusal() { refused "$1" || attack_succeeded "$2: no error in the daemon log names $1"; }
no_file() { [ ! -e "$1" ] || attack_succeeded "$2: root created $1 ($(stat -c '%U %a' "$1"), content: $(head -c 80 "$1" | tr '\n' '|'))"; }

# The child prints a line every 0.1 s; whatever it prints is the attacker's.
cat >"$T/chatty.sh" <<'SH'
i=0
while :; do
	i=$((i + 1))
	echo "$1 line $i written for uid $(id -u)"
	sleep 0.1
done
SH
cat >"$T/burst.sh" <<'SH'
awk 'BEGIN { for (i = 1; i <= 300; i++) printf "rotate line %04d written for the attacker\n", i }'
exec sleep 3600
SH

# Planted before the watchers' first spawn.
as_nobody ln -s "$PRIV/created-by-new" "$LOGS/app-new.log" || fail "nobody cannot write $LOGS"
ln "$PRIV/secret-hard" "$LOGS/app-hard.log"  # root plants it (see above)
as_nobody ln -s "$PRIV/created-by-rotate-1" "$LOGS/rot.log.1"
as_nobody ln -s "$PRIV/secret-rotate" "$LOGS/rot.log.2"
as_nobody ln -s "$PRIV/created-by-rotate-3" "$LOGS/rot.log.3"

cat >"$CONF" <<YAML
watchers:
  other:
    cmd: /bin/sh $T/chatty.sh other
    stdout: {file: $SAFE/other.log}
  new:
    cmd: /bin/sh $T/chatty.sh new
    uid: nobody
    autostart: false
    stdout: {file: $LOGS/app-new.log}
  reopen:
    cmd: /bin/sh $T/chatty.sh reopen
    uid: nobody
    stdout: {file: $LOGS/app-reopen.log}
  hard:
    cmd: /bin/sh $T/chatty.sh hard
    uid: nobody
    autostart: false
    stdout: {file: $LOGS/app-hard.log}
  rotate:
    cmd: /bin/sh $T/burst.sh
    uid: nobody
    autostart: false
    stdout: {file: $LOGS/rot.log, max_bytes: 1k, backup_count: 3}
YAML
start_daemon
wait_for 10 'grep -qs "^other line" "$SAFE/other.log"' || fail "other's output never reached $SAFE/other.log"

# --- new: the link is there at the next spawn ---
"$CTL" start new >/dev/null 2>&1
wait_for 5 '[ -e "$PRIV/created-by-new" ] || refused "$LOGS/app-new.log"'
no_file "$PRIV/created-by-new" "symlink at the log path, next spawn"
expect_refusal "$LOGS/app-new.log" "symlink at the log path, next spawn"

# --- reopen: the child's log swapped for a link, then `cirquectl reopen` ---
wait_for 5 'grep -qs "^reopen line" "$LOGS/app-reopen.log"' || note "reopen's output never reached its log"
# Atomically (rename over it): cirqued makes a removed log file again at once, so an rm then ln
# would race with it.
as_nobody sh -c "ln -s '$PRIV/secret-reopen' '$LOGS/.swap' && mv -Tf '$LOGS/.swap' '$LOGS/app-reopen.log'" ||
	fail "nobody cannot replace the log"
"$CTL" reopen >/dev/null 2>&1 || note "cirquectl reopen failed"
wait_for 5 'secret_changed "$PRIV/secret-reopen" || refused "$LOGS/app-reopen.log"'
check_secret "$PRIV/secret-reopen" "symlink at the log path, after reopen"
expect_refusal "$LOGS/app-reopen.log" "symlink at the log path, after reopen"

# --- hard: a hard link to a root-only file at the log path ---
"$CTL" start hard >/dev/null 2>&1
wait_for 5 'secret_changed "$PRIV/secret-hard" || refused "$LOGS/app-hard.log"'
check_secret "$PRIV/secret-hard" "hard link at the log path"
expect_refusal "$LOGS/app-hard.log" "hard link at the log path"

# --- rotate: links planted as the backups ---
"$CTL" start rotate >/dev/null 2>&1
wait_for 10 'grep -qs "rotate line 0300" "$LOGS/rot.log" || refused "$LOGS/rot.log"' ||
	note "rotate's last line never reached rot.log"
note "after rotation: $(cd "$LOGS" && for f in rot.log*; do printf '%s:%s ' "$f" "$(stat -c %F "$f")"; done)"
check_secret "$PRIV/secret-rotate" "links planted as rotation backups"
no_file "$PRIV/created-by-rotate-1" "links planted as rotation backups"
no_file "$PRIV/created-by-rotate-3" "links planted as rotation backups"

# The daemon is alive and other output still reaches a proper log.
kill -0 "$DPID" 2>/dev/null || fail "the daemon died"
before=$(grep -c "^other line" "$SAFE/other.log")
wait_for 10 '[ "$(grep -c "^other line" "$SAFE/other.log")" -gt '"$before"' ]' ||
	attack_succeeded "other's output stopped reaching $SAFE/other.log"
"$CTL" status other 2>/dev/null | grep -q RUNNING || attack_succeeded "other is not RUNNING: $("$CTL" status other 2>&1)"
stop_daemon TERM

# --- pidfile: a link planted where `cirqued --pidfile` writes ---
PIDDIR=$T/piddir
mkdir -m 755 "$PIDDIR"
chown "$NOBODY:$NOBODY" "$PIDDIR"
cat >"$CONF" <<YAML
watchers:
  idle:
    cmd: $(sleeper idle) 3600
YAML
# pid_attack LINK_TARGET: one daemon started by hand (refusing to start is a fine answer).
pid_attack() {
	rm -f "$PIDDIR/cirqued.pid"
	as_nobody ln -s "$1" "$PIDDIR/cirqued.pid" || fail "nobody cannot write $PIDDIR"
	DLOG=$T/daemon-pidfile-$(basename "$1").log
	"$CIRQUED" -c "$CONF" --pidfile "$PIDDIR/cirqued.pid" >>"$DLOG" 2>&1 &
	DPID=$!
	wait_for 10 'grep -qs "\] started: " "$DLOG" || ! kill -0 $DPID 2>/dev/null' ||
		fail "daemon neither started nor exited"
	if kill -0 "$DPID" 2>/dev/null; then
		note "pidfile link to $1: cirqued started"
		stop_daemon TERM
	else
		wait "$DPID"
		DPID=""
		note "pidfile link to $1: cirqued refused to start: $(tail -n 1 "$DLOG")"
	fi
	expect_refusal "$PIDDIR/cirqued.pid" "pidfile link to $1"
}
pid_attack "$PRIV/secret-pidfile"
check_secret "$PRIV/secret-pidfile" "pidfile link to a root-only file"
pid_attack "$PRIV/created-by-pidfile"
no_file "$PRIV/created-by-pidfile" "pidfile link to a missing file"

leftover=$(find "$PRIV" -mindepth 1 ! -name 'secret-*' 2>/dev/null | head -n 5 | tr '\n' ' ')
[ -z "$leftover" ] || attack_succeeded "files created in the root-only directory: $leftover"
finish
