# cirquectl's name:wid (as `status` prints it) and name:* for status, start, stop, restart,
# signal and stats: a process stopped alone stays STOPPED (not respawned) until started again;
# restart and signal touch only it; incr, decr and reload leave a stopped slot stopped; a start
# of the whole watcher runs it again. Options anywhere on the line; --json status and stats keep
# to the names asked; one wording for "no such process" in every verb; stats shows each wid;
# status shows how the process before a respawned one ended.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

WEB=$(sleeper web); ONE=$(sleeper one)
cat >"$CONF" <<YAML
watchers:
  web:
    cmd: $WEB 3600
    numprocesses: 3
    graceful_timeout: 1
    ready: {delay: 0.2s}
  one:
    cmd: $ONE 3600
    graceful_timeout: 1
    ready: {delay: 0.2s}
YAML
start_daemon
wait_for 10 '[ "$("$CTL" status web one | grep -c " RUNNING ")" -eq 4 ]' ||
	fail "not all RUNNING: $("$CTL" status)"

# pid_of NAME[:WID]: the pid status shows RUNNING for it
pid_of() { "$CTL" status "$1" | sed -n 's/^[^ ]* *RUNNING *pid \([0-9]*\),.*/\1/p'; }
run() { out=$("$CTL" "$@" 2>&1); rc=$?; }
expect() {  # expect RC TEXT: the last run's exit code and (whole) output
	[ "$rc" -eq "$1" ] && [ "$out" = "$2" ] || fail "exit $rc, '$out'; expected exit $1, '$2'"
}
alive() { kill -0 "$1" 2>/dev/null; }
p1=$(pid_of web:1); p2=$(pid_of web:2); p3=$(pid_of web:3)
[ -n "$p1" ] && [ -n "$p2" ] && [ -n "$p3" ] || fail "no pids: $("$CTL" status web)"

# --- status name:wid: that process alone ---------------------------------------------------------
run status web:2
[ "$rc" -eq 0 ] && echo "$out" | grep -qxE "web:2 +RUNNING +pid $p2, uptime [0-9:]+" ||
	fail "status web:2: exit $rc, '$out'"
run status web:*
[ "$rc" -eq 0 ] && [ "$(echo "$out" | grep -c RUNNING)" -eq 3 ] || fail "status web:*: $out"

# --- stop name:wid: that slot stops and stays stopped ----------------------------------------------
run stop web:2; expect 0 "web:2: stopped"
alive "$p2" && fail "web:2's pid $p2 still alive after a waiting stop"
alive "$p1" && alive "$p3" || fail "stop web:2 touched the other processes"
run status web:2
[ "$rc" -eq 3 ] && echo "$out" | grep -qxE "web:2 +STOPPED +Not running" ||
	fail "status web:2 after its stop: exit $rc, '$out'"
run stop web:2; expect 0 "web:2: ERROR (not running)"

# --- signal name:wid: that process alone (sleep dies of SIGHUP: it is respawned) ------------------
run signal HUP web:3; expect 0 "web:3: signalled"
wait_for 10 '! alive $p3 && [ -n "$(pid_of web:3)" ]' || fail "web:3 not respawned after SIGHUP: $("$CTL" status web)"
alive "$p1" || fail "signal HUP web:3 reached web:1"
# the slot stopped alone was not respawned meanwhile (a respawn is immediate)
[ "$(count_matching "$WEB")" -eq 2 ] || fail "expected 2 web processes, have $(count_matching "$WEB")"
"$CTL" status web:2 | grep -q STOPPED || fail "web:2 came back by itself: $("$CTL" status web)"
# how the previous process of that slot ended
run status web:3
echo "$out" | grep -qE "^web:3 +RUNNING +pid [0-9]+, uptime [0-9:]+, 1 restart \(last exit: SIGHUP\)\$" ||
	fail "status does not show web:3's last exit: '$out'"
p3=$(pid_of web:3)

# --- start, restart name:wid ---------------------------------------------------------------------
run start web:2; expect 0 "web:2: started"
p2=$(pid_of web:2)
[ -n "$p2" ] || fail "web:2 not RUNNING after a waiting start: $("$CTL" status web)"
run start web:2; expect 0 "web:2: ERROR (already started)"
run restart web:2; expect 0 "web:2: restarted"
new=$(pid_of web:2)
[ -n "$new" ] && [ "$new" != "$p2" ] || fail "restart web:2 kept pid $p2 ($new)"
alive "$p2" && fail "the old web:2 ($p2) still runs after its restart"
[ "$(pid_of web:1)" = "$p1" ] && [ "$(pid_of web:3)" = "$p3" ] || fail "restart web:2 touched others"
p2=$new

# --- stats: the wid of each process; name:wid alone -----------------------------------------------
run stats web
[ "$rc" -eq 0 ] || fail "stats web: exit $rc, $out"
echo "$out" | head -n 1 | grep -qE "^NAME +WID +PID " || fail "stats header: $out"
for w in 1 2 3; do
	eval "p=\$p$w"
	echo "$out" | grep -qE "^web +$w +$p " || fail "stats web: no row 'web $w $p': $out"
done
run stats web:2
[ "$rc" -eq 0 ] && [ "$(echo "$out" | grep -c '^web ')" -eq 1 ] && echo "$out" | grep -qE "^web +2 +$p2 " ||
	fail "stats web:2: exit $rc, $out"

# --- name:*, and a start of one slot of a stopped watcher ------------------------------------------
run stop 'web:*'; expect 0 "web:*: stopped"
[ "$(count_matching "$WEB")" -eq 0 ] || fail "stop web:* left processes"
run status web
[ "$rc" -eq 3 ] && [ "$(echo "$out" | grep -cE '^web:[123] +STOPPED +Not running$')" -eq 3 ] ||
	fail "status of the stopped web: exit $rc, $out"
run start web:1; expect 0 "web:1: started"
[ "$(count_matching "$WEB")" -eq 1 ] || fail "start web:1 of a stopped watcher ran $(count_matching "$WEB")"
"$CTL" status web:2 web:3 | grep -c STOPPED | grep -qx 2 || fail "web:2, web:3 not STOPPED: $("$CTL" status web)"

# --- incr adds a slot, decr drops the highest: stopped slots stay stopped ---------------------------
"$CTL" incr web >/dev/null || fail "incr web"
wait_for 10 '[ -n "$(pid_of web:4)" ]' || fail "incr web: no web:4: $("$CTL" status web)"
"$CTL" status web:2 web:3 | grep -c STOPPED | grep -qx 2 || fail "incr started a stopped slot: $("$CTL" status web)"
"$CTL" decr web 2 >/dev/null || fail "decr web 2"
wait_for 10 '[ "$(count_matching "$WEB")" -eq 1 ]' || fail "decr web 2: $("$CTL" status web)"
run status web
[ "$(echo "$out" | awk '{print $1 " " $2}' | tr '\n' ' ')" = "web:1 RUNNING web:2 STOPPED " ] ||
	fail "after decr to 2: $out"
# --- reload replaces what runs; the stopped slot stays stopped; start web runs every slot --------
p1=$(pid_of web:1)
run reload web; expect 0 "web: reloaded"
[ -n "$(pid_of web:1)" ] && [ "$(pid_of web:1)" != "$p1" ] || fail "reload did not replace web:1"
"$CTL" status web:2 | grep -q STOPPED || fail "reload started the stopped slot"
run start web; expect 0 "web: started"
[ "$(count_matching "$WEB")" -eq 2 ] || fail "start web: $(count_matching "$WEB") processes"
run status web; [ "$rc" -eq 0 ] || fail "status web after start: exit $rc, $out"

# --- no such process: one wording, exit 4, in every verb ---------------------------------------------
for cmd in "status web:9" "stop web:9" "start web:0" "restart web:x" "signal HUP web:9" \
	"stats web:9" "status nosuch" "stop nosuch" "signal HUP nosuch" "stats nosuch" \
	"get nosuch cmd" "set nosuch graceful_timeout 2" "incr nosuch" "remove nosuch" "pid nosuch"; do
	run $cmd
	what=$(echo "$cmd" | awk '{print $1 == "signal" ? $3 : $2}')
	[ "$rc" -eq 4 ] && [ "$out" = "$what: ERROR (no such process)" ] ||
		fail "cirquectl $cmd: exit $rc, '$out' (expected exit 4, '$what: ERROR (no such process)')"
done
run reload web:1
[ "$rc" -eq 1 ] && echo "$out" | grep -q "^web:1: ERROR (.*restart" || fail "reload web:1: exit $rc, '$out'"

# --- options anywhere; --json keeps to the names asked -------------------------------------------------
json() {  # json FILE ARGS...: cirquectl ARGS into $T/FILE.json, its stderr into $T/FILE.err
	local f=$1; shift
	"$CTL" "$@" >"$T/$f.json" 2>"$T/$f.err"; rc=$?
}
json a --json status web; [ "$rc" -eq 0 ] || fail "--json status web: exit $rc"
json b status web:2 --json; [ "$rc" -eq 0 ] || fail "status web:2 --json: exit $rc"
json c status --timeout 5 one --json; [ "$rc" -eq 0 ] || fail "status --timeout 5 one --json: exit $rc"
json d status --json nosuch; [ "$rc" -eq 4 ] || fail "status --json nosuch: exit $rc"
[ "$(cat "$T/d.err")" = "nosuch: ERROR (no such process)" ] || fail "--json status nosuch: stderr $(cat "$T/d.err")"
json e stats --json web:1; [ "$rc" -eq 0 ] || fail "stats --json web:1: exit $rc"
json f --json stats nosuch one; [ "$rc" -eq 4 ] || fail "--json stats nosuch one: exit $rc"
"$PY" - "$T" <<'PYEOF' || fail "--json replies: $(head -c 3000 "$T"/[a-f].json)"
import json, sys
r = {f: json.load(open(f"{sys.argv[1]}/{f}.json")) for f in "abcdef"}
assert set(r["a"]["statuses"]) == {"web"} and set(r["a"]["processes"]) == {"web"}, r["a"]
assert set(r["b"]["statuses"]) == {"web"}, r["b"]
assert [p["wid"] for p in r["b"]["processes"]["web"]] == [2], r["b"]
assert set(r["c"]["statuses"]) == {"one"}, r["c"]
assert r["d"]["status"] == "error" and r["d"]["statuses"] == {}, r["d"]
i = r["e"]["infos"]
assert list(i) == ["web"] and [v["wid"] for v in i["web"].values()] == [1], r["e"]
assert list(r["f"]["infos"]) == ["one"] and r["f"]["status"] == "error", r["f"]
PYEOF
# in the shell too, for that line alone
out=$(printf 'status one --json\nstatus one\n' | "$CTL" 2>&1)
echo "$out" | grep -q '"statuses": {' && echo "$out" | grep -qE '^one +RUNNING +pid ' ||
	fail "the shell's options per line: $out"
run status one --endpoint "ipc://$T/nothing.sock"
[ "$rc" -eq 7 ] || fail "status one --endpoint <nowhere>: exit $rc, $out"
run status one --timeout; [ "$rc" -eq 2 ] || fail "--timeout without a value: exit $rc"
# after --, and among add's program arguments, an option is an argument
run add echoer /bin/echo --json; [ "$rc" -eq 0 ] || fail "add echoer /bin/echo --json: exit $rc, $out"
"$CTL" get echoer args | grep -q -- "--json" || fail "add took its program's --json: $("$CTL" get echoer args)"

kill -0 "$DPID" || fail "daemon died"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
echo ok
