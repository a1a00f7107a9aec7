# Attack: the notify socket directory. With CIRQUE_RUNTIME_DIR in a world-writable place (here a
# 1777 directory, like /tmp), another user can create the directories first: the runtime
# directory itself, with a notify/ in it where the sockets of `ready: notify` watchers go (and
# the old place, "$CIRQUE_RUNTIME_DIR-notify"). If cirqued accepts such a directory, its owner
# swaps each new socket for a symbolic link between cirqued's bind() and its chmod()/chown() of
# the path, and the chown (to the watcher's uid) lands on whatever the link names: here a
# root-only file, which then belongs to nobody.
# Expected: cirqued refuses a runtime or notify directory it does not own or that others can
# write (the watcher fails to start with an error naming the directory, or the daemon refuses to
# start), and never chmods/chowns through a link: the secret stays root's, 0600, same content.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"

command -v cc >/dev/null || { echo "skipped: needs cc for the racer"; exit 0; }
cc -O2 -o "$T/racer" "$ROOT/tests/e2e/attack_racer.c" || fail "cannot build the racer"
chmod 755 "$T/racer"
SPAWNS=40  # processes per round
ROUNDS=6

PUB=$T/pub
mkdir -m 1777 "$PUB"
export CIRQUE_RUNTIME_DIR=$PUB/run
SECRET=$T/secret
make_secret "$SECRET"
# The attacker gets there first: the runtime directory and its notify/ are theirs (and the
# notify directory of older versions, beside it).
as_nobody mkdir -m 777 "$PUB/run" || fail "nobody cannot create $PUB/run"
as_nobody mkdir -m 755 "$PUB/run/notify" "$PUB/run-notify" || fail "nobody cannot create the notify directories"

S=$(sleeper notified)
cat >"$CONF" <<YAML
watchers:
  notified:
    cmd: $S 3600
    uid: nobody
    ready: notify
    ready_timeout: 300s
    numprocesses: $SPAWNS
    max_retry: 0
    autostart: false
YAML
# Started by hand: refusing to start at all is an acceptable answer to this directory.
"$CIRQUED" -c "$CONF" >>"$DLOG" 2>&1 &
DPID=$!
wait_for 10 'grep -qs "\] started: " "$DLOG" || ! kill -0 $DPID 2>/dev/null' || fail "daemon neither started nor exited"

# The refusal is explained, naming the directory (loose wording: the fix is being written).
refusal() {
	grep -iF "$PUB/run" "$DLOG" | grep -qiE "refus|not owned|owned by|writable|insecure|unsafe|permission"
}
if kill -0 "$DPID" 2>/dev/null; then
	"${AS_NOBODY[@]}" "$T/racer" "$PUB/run/notify" "$DPID" "$SECRET" $((SPAWNS * ROUNDS)) >"$T/racer.out" 2>&1 &
	RPID=$!
	outcomes() { grep -cE "watcher notified\[[0-9]+\]: (spawned pid|gave up)" "$DLOG" || true; }
	# Rounds of SPAWNS spawns, until the secret changed or cirqued said why not: one round wins
	# most of the time on a vulnerable cirqued; a fixed one refuses in the first.
	for round in $(seq "$ROUNDS"); do
		"$CTL" start --no-wait notified >/dev/null 2>&1
		wait_for 10 'secret_changed "$SECRET" || ! kill -0 $DPID 2>/dev/null || refusal ||
			[ "$(outcomes)" -ge $((round * SPAWNS)) ]'
		if secret_changed "$SECRET" || ! kill -0 "$DPID" 2>/dev/null || refusal; then
			break
		fi
		"$CTL" stop notified >/dev/null 2>&1
	done
	kill "$RPID" 2>/dev/null
	wait "$RPID" 2>/dev/null
	racer=$(cat "$T/racer.out" 2>/dev/null)
	note "round $round of $ROUNDS: ${racer:-racer: no output}; $(outcomes) processes spawned or given up"
else
	note "cirqued refused to start: $(tail -n 1 "$DLOG")"
fi

check_secret "$SECRET" "chown/chmod of a notify socket swapped for a link"
refusal || attack_succeeded "no error in the daemon log names $PUB/run (or its notify/) and why it is refused"
if kill -0 "$DPID" 2>/dev/null; then
	stop_daemon TERM
fi
finish
