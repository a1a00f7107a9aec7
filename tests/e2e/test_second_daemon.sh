# A second cirqued started by mistake on the same configuration is refused before it touches
# anything of the first one's: its unix sockets (a second bind would unlink the live one), its
# pidfile (a second one would write its own pid there) and its control socket.
. "$(dirname "$0")/lib.sh"

S=$(sleeper second)
cat >"$CONF" <<YAML
cirque:
  pidfile: $T/cirqued.pid
sockets:
  api: {path: $T/api.sock}
watchers:
  app:
    cmd: $S 3600
    use_sockets: api
YAML
start_daemon
wait_count "$S 3600" 1
wait_for 5 '[ -s "$T/cirqued.pid" ]' || fail "no pidfile"
[ "$(cat "$T/cirqued.pid")" = "$DPID" ] || fail "pidfile holds $(cat "$T/cirqued.pid"), not $DPID"
inode=$(stat -c %i "$T/api.sock")

"$CIRQUED" -c "$CONF" >"$T/second.log" 2>&1 && fail "a second daemon on the same endpoint started"
grep -q "another cirqued is already running" "$T/second.log" || fail "second daemon: $(cat "$T/second.log")"
grep -q "listening on" "$T/second.log" && fail "the second daemon bound sockets before refusing: $(cat "$T/second.log")"

[ "$(stat -c %i "$T/api.sock")" = "$inode" ] || fail "the first daemon's api.sock was replaced"
/usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$T/api.sock" ||
	fail "the first daemon's api.sock refuses connections"
[ "$(cat "$T/cirqued.pid")" = "$DPID" ] || fail "the second daemon rewrote the pidfile: $(cat "$T/cirqued.pid")"
"$CTL" status app | grep -qE "RUNNING|STARTING" || fail "the first daemon does not answer: $("$CTL" status app 2>&1)"

# A pidfile that is refused leaves nothing behind (it was created only to be refused).
stop_daemon TERM
[ ! -e "$T/cirqued.pid" ] || fail "pidfile left after exit"
mkdir "$T/theirs"
chown 65534 "$T/theirs"
"$CIRQUED" -c "$CONF" --pidfile "$T/theirs/cirqued.pid" >"$T/refused.log" 2>&1 && fail "a pidfile nobody can rewrite was accepted"
grep -q "refusing pidfile" "$T/refused.log" || fail "refusal: $(cat "$T/refused.log")"
[ ! -e "$T/theirs/cirqued.pid" ] || fail "the refused pidfile was left behind"
echo ok
