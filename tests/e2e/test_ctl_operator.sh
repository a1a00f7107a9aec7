# What a new operator trips on (trial 12): --no-wait says what it asked ("stopping", not
# "stopped"); `reload` with no name says that the file was not re-read (and names the watchers
# whose edits it did not apply); -c FILE and /etc/cirque/cirque.yaml give the endpoint; the
# "cannot reach" message says where the endpoint came from; `signal web HUP`, an endpoint
# without a scheme, piped scripts' exit codes and `decr` beyond the count.
. "$(dirname "$0")/lib.sh"

cat >"$CONF" <<YAML
watchers:
  slow:
    cmd: /bin/sh -c 'trap "" TERM; while :; do sleep 1; done' $T-slow
    graceful_timeout: 0.5
  web:
    cmd: $(sleeper web) 3600
    numprocesses: 3
    graceful_timeout: 1
    env: {QUEUE: high}
    ready: {delay: 0.1s}
YAML
start_daemon
wait_count "$T-slow" 1; wait_count "$T/web" 3

c() { out=$("$CTL" "$@" 2>&1); rc=$?; }
expect() {  # expect RC TEXT: the last c printed TEXT and exited RC
	[ "$rc" -eq "$1" ] && [ "$out" = "$2" ] || fail "cirquectl: exit $rc, '$out'; expected $1, '$2'"
}

# --- --no-wait: the command only asked ------------------------------------------------------------
c stop slow --no-wait; expect 0 "slow: stopping"
"$CTL" status slow | grep -q STOPPING || fail "slow not STOPPING: $("$CTL" status slow)"
wait_for 10 '"$CTL" status slow | grep -q STOPPED' || fail "slow never stopped"
c start slow --no-wait; expect 0 "slow: starting"
c restart slow --no-wait; expect 0 "slow: restarting"
c reload web --no-wait; expect 0 "web: reloading"
wait_for 10 '[ "$("$CTL" status web | grep -c RUNNING)" -eq 3 ]' || fail "web after reload: $("$CTL" status web)"
c stop slow  # (a reload of all would wait for its graceful_timeout)

# --- reload with no name: says it did not re-read the file, and what it left ---------------------------
c reload; expect 0 "all: reloaded (the file was not re-read: \`cirquectl update\` applies it)"
sed -i 's/QUEUE: high/QUEUE: edited/' "$CONF"
out=$("$CTL" reload 2>"$T/reload.err"); rc=$?
expect 0 "all: reloaded (the file was not re-read: \`cirquectl update\` applies it)"
[ "$(cat "$T/reload.err")" = "cirquectl: the file changes web: this reload did not apply it (\`cirquectl update\` does)" ] ||
	fail "reload with an edited file: stderr '$(cat "$T/reload.err")'"
"$CTL" help | grep -q 'reload .*not re-read' || fail "help says nothing of the file next to reload: $("$CTL" help | grep reload)"
echo ok
