# $(circus.env.NAME) is substituted, as in Circus, in cmd, args, env values, working_dir and the
# file of a stdout/stderr stream: from the watcher's environment (its env: on top of the daemon's
# with copy_env), else the daemon's; the name as written, else in any case; an unknown name is
# left as written (and `cirqued --check` warns about it).
. "$(dirname "$0")/lib.sh"

mkdir "$T/wd" "$T/logs"
cat >"$T/show" <<'SH'
#!/bin/sh
# one line per argument, then the working directory and $FROM_ENV; the daemon's `file:` stream
{ printf 'arg=%s\n' "$@"; echo "pwd=$(pwd)"; echo "from_env=$FROM_ENV"; } >"$SHOW_OUT.tmp"
mv "$SHOW_OUT.tmp" "$SHOW_OUT"
echo "to the log"
exec sleep 3600
SH
chmod 755 "$T/show"
cat >"$CONF" <<'YAML'
watchers:
  app:
    cmd: $(circus.env.E2E_DIR)/show $(circus.env.GREETING) $(cirque.env.greeting)
    args: ["$(circus.env.E2E_DAEMON_VAR)", "$(circus.env.E2E_UNKNOWN)", "$(circus.wid)"]
    working_dir: $(circus.env.E2E_DIR)/wd
    stdout: {file: "$(circus.env.E2E_DIR)/logs/{name}.log"}
    env:
      GREETING: hello
      FROM_ENV: "$(circus.env.GREETING)-$(circus.env.E2E_DAEMON_VAR)"
      SHOW_OUT: $(circus.env.E2E_DIR)/out
YAML
export E2E_DIR="$T" E2E_DAEMON_VAR=daemon GREETING=not-this-one
unset E2E_UNKNOWN
out=$("$CIRQUED" -c "$CONF" --check 2>&1) || fail "--check rejected the file: $out"
echo "$out" | grep -q "warning: .*E2E_UNKNOWN" || fail "--check did not warn about the unknown variable: $out"
start_daemon
wait_for 10 '[ -s "$T/out" ]' || fail "the watcher did not run: $(tail -n 5 "$DLOG")"
expected="arg=hello
arg=hello
arg=daemon
arg=\$(circus.env.E2E_UNKNOWN)
arg=1
pwd=$T/wd
from_env=hello-daemon"
[ "$(cat "$T/out")" = "$expected" ] || fail "substitutions: got
$(cat "$T/out")
expected
$expected"
wait_for 10 'grep -qs "to the log" "$T/logs/app.log"' || fail "the stdout file path was not substituted: $(ls -R "$T/logs")"
"$CTL" get app cmd | grep -qF 'cmd: $(circus.env.E2E_DIR)/show' || fail "get cmd does not show the command as written"
stop_daemon TERM
[ "$DSTATUS" = 0 ] || fail "exit status $DSTATUS"

# As systemd gives a service: a PATH when env has none, and for a uid its HOME, USER, LOGNAME
# and SHELL (env's own values win). Without copy_env nothing else of the daemon's.
MARK="sleep 3600.$RANDOM"  # nobody cannot run a sleeper in the private test directory
cat >"$CONF" <<YAML
watchers:
  asnobody:
    cmd: /bin/$MARK
    uid: nobody
    env: {LOGNAME: custom}
YAML
start_daemon
wait_count "$MARK" 1
env_of=$(proc_env "$(children_matching "$MARK")" | sort)
home=$(getent passwd nobody | cut -d: -f6); shell=$(getent passwd nobody | cut -d: -f7)
expected=$(printf '%s\n' "CIRQUE_WATCHER=asnobody" "CIRQUE_WID=1" "HOME=$home" "LOGNAME=custom" \
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "SHELL=$shell" "USER=nobody" | sort)
[ "$env_of" = "$expected" ] || fail "the environment of a uid: nobody process:
$env_of
expected
$expected"
echo ok
