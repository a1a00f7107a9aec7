# A re-exec (cirquectl reexec) keeps what waits for an event listener: the events of a restart
# of 30 processes, written while the listener does not read (its pipe full, the rest in the
# slot's queue), reach it after the exec, each once, whole; the listener keeps its pid and stdin.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
# The listener reads nothing until $2 exists, then appends what it reads to $1.
cat >"$T/ear.sh" <<'SH'
while [ ! -e "$2" ]; do sleep 0.05; done
exec cat >>"$1"
SH
W=$(sleeper web)
cat >"$CONF" <<YAML
watchers:
  ear:
    cmd: /bin/sh $T/ear.sh $T/ear.events $T/go
    listen_events: {events: [spawn], watchers: [web]}
    priority: 10
  web:
    cmd: $W 3600
    numprocesses: 30
    stop_signal: KILL
YAML
start_daemon
wait_for 10 '[ "$("$CTL" pid web | wc -l)" -eq 30 ] && [ -n "$("$CTL" pid ear)" ]' ||
	fail "the watchers did not start"
ear=$("$CTL" pid ear)
"$CTL" restart web >/dev/null || fail "cannot restart web"
wait_for 10 '[ "$("$CTL" pid web | wc -l)" -eq 30 ]' || fail "web did not come back"
"$CTL" pid web | sort >"$T/pids"
"$CTL" reexec >"$T/reexec.out" 2>&1 || { cat "$T/reexec.out" >&2; fail "cirquectl reexec failed"; }
wait_for 10 'grep -qs "resumed from" "$DLOG"' || fail "the daemon did not resume"
[ "$("$CTL" pid ear)" = "$ear" ] || fail "the listener was replaced"
touch "$T/go"

# Every line an event; the spawns of the restarted processes, each pid once.
check() {
	$PY - "$T/ear.events" "$T/pids" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[-1] == "", "a cut last line"
events = [json.loads(l) for l in lines[:-1]]
assert len(set(lines[:-1])) == len(lines) - 1, "a line twice"
pids = set(open(sys.argv[2]).read().split())
got = [str(e["process_pid"]) for e in events if str(e["process_pid"]) in pids]
assert sorted(got) == sorted(pids), "%d of %d spawns" % (len(got), len(pids))
PY
}
wait_for 10 'check 2>/dev/null' || fail "the listener's events after a re-exec: $(check 2>&1 | tail -n 1)"
note "$(wc -l <"$T/ear.events") events, the 30 spawns of the restart each once"
exit 0
