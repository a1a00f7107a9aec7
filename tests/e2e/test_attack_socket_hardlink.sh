# Attack: the mode and owner of a `sockets:` unix socket are set on whatever socket is at its name.
# cirqued binds the socket, then (and on each reload that changes mode, user or group) opens the
# name with O_PATH|O_NOFOLLOW and chmods/chowns it through /proc/self/fd: a link is never
# followed, but any socket there is accepted. In a directory another user owns (the program's
# run directory), that user puts a hard link to a root-only socket there (a service's control
# socket, /run/systemd/private, docker.sock: same file system), and cirqued makes it 0666 and
# gives it to the configured user. safefs refuses a file with two names in such a directory;
# set_socket_file does not apply that rule.
# fs.protected_hardlinks=1 stops nobody from linking a socket it does not own (it is 1 here), so
# root plants the link to stand for a system where nobody can (the kernel's default, 0), as
# test_attack_log_links.sh does.
#   reload   the socket replaced by the link, then a reload that changes mode and user
# Expected: cirqued changes only a socket that is its own and has one name (or only in a trusted
# directory); the root-only socket stays root's, 0600.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || { echo "skipped: needs $PY"; exit 0; }

APP=$T/app            # the program's run directory: nobody's
PRIV=$T/private       # root-only
mkdir -m 755 "$APP"
chown "$NOBODY:$NOBODY" "$APP"
mkdir -m 700 "$PRIV"

# A root-only socket (some root service's).
"$PY" -c 'import os, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o600); s.listen(1)
open(sys.argv[1] + ".up", "w").close(); time.sleep(3600)' "$PRIV/root.sock" &
wait_for 5 '[ -e "$PRIV/root.sock.up" ]' || fail "the root service did not start"
root_sock_meta() { stat -c '%u:%g %a' "$PRIV/root.sock"; }
before=$(root_sock_meta)

write_conf() {
	cat >"$CONF" <<YAML
sockets:
  api: {path: $APP/api.sock, mode: "$1"$2}
watchers:
  app:
    cmd: $(sleeper sockapp) 3600
    uid: nobody
    use_sockets: [api]
YAML
}
write_conf 0600 ""
start_daemon
wait_for 5 '[ -S "$APP/api.sock" ]' || fail "api.sock was not bound"

# nobody swaps its socket for the hard link (root plants it, see above).
as_nobody rm -f "$APP/api.sock" || fail "nobody cannot remove its own socket"
ln "$PRIV/root.sock" "$APP/api.sock" || fail "cannot make the hard link"

write_conf 0666 ", user: nobody"
kill -HUP "$DPID"
wait_for 5 'grep -qs "reload" "$DLOG" && [ "$(root_sock_meta)" != "$before" ]'
sleep 0.3
after=$(root_sock_meta)
if [ "$after" != "$before" ]; then
	attack_succeeded "reload: the root-only socket $PRIV/root.sock is now $(stat -c '%U:%G mode %a' "$PRIV/root.sock") (was $before): nobody can connect to it"
fi
kill -0 "$DPID" 2>/dev/null || fail "the daemon died"
finish
