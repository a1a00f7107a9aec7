# Circus's option names in cirque.yaml, each checked on the real processes through /proc:
# close_child_stdin/stdout/stderr, rlimit_X, copy_path, virtualenv, executable, shell_args,
# send_hup, on_demand (socket activation), include_dir and check_delay; and set/get of them
# through cirquectl.
. "$(dirname "$0")/lib.sh"
S=$(sleeper circ)
SLEEP=$(readlink -f "$(command -v sleep)")
mkdir -p "$T/venv/bin" "$T/pbin" "$T/conf.d"
echo "the daemon's stdin" >"$T/stdin.txt"
export PATH="$T/pbin:$PATH"

cat >"$T/conf.d/extra.yaml" <<YAML
watchers:
  extra:
    cmd: $S 3601
YAML
cat >"$T/hup.sh" <<'SH'
#!/bin/sh
trap 'echo "hup $$" >>"$HUP_OUT"' HUP
echo "started $$" >>"$HUP_OUT"
while :; do sleep 0.1; done
SH
chmod 755 "$T/hup.sh"
cat >"$T/serve.py" <<'PY'
import os, socket
s = socket.socket(fileno=3)
while True:
    c, _ = s.accept()
    c.sendall(b"served by %d\n" % os.getpid())
    c.close()
PY
# connect: one connection to the on_demand socket, prints what the server says (10 s at most).
connect() {
	/usr/bin/python3 - "$T/demand.sock" <<'PY'
import socket, sys
c = socket.socket(socket.AF_UNIX)
c.settimeout(10)
c.connect(sys.argv[1])
print(c.makefile().readline().strip())
PY
}
cat >"$CONF" <<YAML
cirque:
  include_dir: conf.d
  check_delay: 5
sockets:
  demand: {path: $T/demand.sock}
watchers:
  demand:
    cmd: /usr/bin/python3 $T/serve.py
    use_sockets: [demand]
    on_demand: true
  stdin_null:
    cmd: $S 3602
  stdin_daemon:
    cmd: $S 3603
    close_child_stdin: false
  quiet:
    cmd: $S 3604
    close_child_stdout: true
    rlimit_nofile: 1000
    rlimits: {core: 0}
  venv:
    cmd: $S 3605
    virtualenv: $T/venv
    virtualenv_py_ver: "3.8"
    copy_path: true
  renamed:
    cmd: $T/not-a-file 3606
    executable: $SLEEP
  shargs:
    cmd: echo "\$0 \$1" >$T/shargs.out; exec $S 3607
    shell: true
    shell_args: "zero 'one two'"
  hup:
    cmd: $T/hup.sh
    send_hup: true
    env: {HUP_OUT: $T/hup.out}
YAML
# start_daemon, but with a stdin of its own (bash gives a background job /dev/null): what
# close_child_stdin: false hands on
"$CIRQUED" -c "$CONF" <"$T/stdin.txt" >>"$DLOG" 2>&1 &
DPID=$!
wait_for 10 'grep -qs "starting (pid" "$DLOG" || ! kill -0 $DPID 2>/dev/null' || fail "daemon did not start"
kill -0 "$DPID" 2>/dev/null || fail "daemon exited at start-up"
wait_count "$S 3602" 1
wait_count "$S 3603" 1
wait_count "$S 3604" 1
wait_count "$S 3605" 1
wait_count "$T/not-a-file 3606" 1
wait_count "$S 3601" 1
note "include_dir: conf.d's watcher runs"
grep -q "renamed.cmd" "$DLOG" && fail "executable: cmd's first word was checked, not executable"
grep -q "cirque.check_delay: ignored" "$DLOG" || fail "no warning about check_delay"
grep -q "watchers.venv.virtualenv_py_ver: ignored" "$DLOG" ||
	fail "no warning about virtualenv_py_ver"

pid=$(children_matching "$S 3602")
[ "$(readlink "/proc/$pid/fd/0")" = /dev/null ] || fail "default stdin: $(readlink "/proc/$pid/fd/0")"
pid=$(children_matching "$S 3603")
[ "$(readlink "/proc/$pid/fd/0")" = "$T/stdin.txt" ] ||
	fail "close_child_stdin: false: stdin is $(readlink "/proc/$pid/fd/0"), not the daemon's"
note "close_child_stdin: /dev/null by default, the daemon's stdin with false"

pid=$(children_matching "$S 3604")
[ "$(readlink "/proc/$pid/fd/1")" = /dev/null ] || fail "close_child_stdout: fd 1 is $(readlink "/proc/$pid/fd/1")"
readlink "/proc/$pid/fd/2" | grep -q '^pipe:' || fail "stderr should still be piped: $(readlink "/proc/$pid/fd/2")"
grep -q "^Max open files *1000 *1000" "/proc/$pid/limits" || fail "rlimit_nofile: $(grep 'open files' "/proc/$pid/limits")"
grep -q "^Max core file size *0 *0" "/proc/$pid/limits" || fail "rlimits: {core: 0} lost"
note "close_child_stdout: fd 1 on /dev/null; rlimit_nofile beside rlimits"

pid=$(children_matching "$S 3605")
has_env "$pid" "PATH=$T/venv/bin:$PATH" || fail "virtualenv + copy_path: $(proc_env "$pid" | grep ^PATH=)"
has_env "$pid" "VIRTUAL_ENV=$T/venv" || fail "no VIRTUAL_ENV"
note "virtualenv: its bin/ first in the daemon's PATH (copy_path), VIRTUAL_ENV set"

pid=$(children_matching "$T/not-a-file 3606")
[ "$(readlink "/proc/$pid/exe")" = "$SLEEP" ] || fail "executable: exe is $(readlink "/proc/$pid/exe")"
[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "$T/not-a-file 3606 " ] ||
	fail "executable: argv is $(tr '\0' ' ' <"/proc/$pid/cmdline")"
note "executable: $SLEEP runs with argv[0] $T/not-a-file"

wait_for 10 '[ -s "$T/shargs.out" ]' || fail "the shell watcher did not run"
[ "$(cat "$T/shargs.out")" = "zero one two" ] || fail "shell_args: \$0 \$1 were '$(cat "$T/shargs.out")'"
note "shell_args: the shell's \$0 and \$1"

# send_hup: a reload signals the process, which stays the same.
wait_for 10 '"$CTL" status hup | grep -q RUNNING' || fail "hup not RUNNING: $("$CTL" status hup)"
pid=$(children_matching "$T/hup.sh")
[ -n "$pid" ] || fail "no hup process"
reply=$(request '{"id": "1", "command": "reload", "properties": {"name": "hup", "waiting": true}}')
echo "$reply" | json_eval 'd["status"] == "ok" and d["info"]["kept"] == ['"$pid"'] and d["info"]["stopped"] == []' |
	grep -qx True || fail "reload with send_hup: $reply"
wait_for 5 'grep -qx "hup $pid" "$T/hup.out"' || fail "send_hup: no HUP handled: $(cat "$T/hup.out")"
[ "$(children_matching "$T/hup.sh")" = "$pid" ] || fail "send_hup: the process was replaced"
[ "$(grep -c started "$T/hup.out")" -eq 1 ] || fail "send_hup: started again: $(cat "$T/hup.out")"
# a restart still replaces it
"$CTL" restart hup >/dev/null || fail "restart hup failed"
wait_for 10 '[ -n "$(children_matching "$T/hup.sh")" ] && [ "$(children_matching "$T/hup.sh")" != "$pid" ]' ||
	fail "restart with send_hup did not replace the process"
note "send_hup: reload = SIGHUP, same pid $pid; restart replaces it"

# get shows Circus's names; set takes them, the file's flat rlimit_nofile included.
out=$("$CTL" get quiet close_child_stdout close_child_stdin send_hup rlimit_nofile) || fail "get: $out"
echo "$out" | grep -qx "close_child_stdout: true" || fail "get close_child_stdout: $out"
echo "$out" | grep -qx "close_child_stdin: true" || fail "get close_child_stdin: $out"
echo "$out" | grep -qx "send_hup: false" || fail "get send_hup: $out"
echo "$out" | grep -qx "rlimit_nofile: 1000" || fail "get rlimit_nofile: $out"
old=$(children_matching "$S 3604")
"$CTL" set quiet rlimit_nofile 2000 >/dev/null || fail "set rlimit_nofile refused"
wait_for 10 'pid=$(children_matching "$S 3604"); [ -n "$pid" ] && [ "$pid" != "$old" ] &&
	grep -q "^Max open files *2000 *2000" "/proc/$pid/limits"' || fail "set rlimit_nofile 2000 not applied"
"$CTL" set quiet stdout inherit >/dev/null || fail "set stdout with close_child_stdout in the file refused"
wait_for 10 'pid=$(children_matching "$S 3604"); [ -n "$pid" ] && readlink "/proc/$pid/fd/1" | grep -q "^pipe:"' ||
	fail "set stdout inherit: fd 1 not piped"
"$CTL" set quiet close_child_stdout true >/dev/null || fail "set close_child_stdout refused"
wait_for 10 'pid=$(children_matching "$S 3604"); [ -n "$pid" ] && [ "$(readlink "/proc/$pid/fd/1")" = /dev/null ]' ||
	fail "set close_child_stdout true: fd 1 not /dev/null"
note "get/set: rlimit_nofile, stdout and close_child_stdout replace each other"

# on_demand: not started with the daemon; the first connection starts it, and is served.
[ -z "$(children_matching "$T/serve.py")" ] || fail "on_demand: started with the daemon"
"$CTL" status demand | grep -qE "STOPPED +Not running: waiting for a connection to start it \(on_demand\)" ||
	fail "on_demand: status $("$CTL" status demand)"
grep -q "watcher demand: waiting for a connection to start it (on_demand, 1 socket)" "$DLOG" ||
	fail "on_demand: not armed"
out=$(connect) || fail "on_demand: the connection was not served"
pid=$(children_matching "$T/serve.py")
[ -n "$pid" ] && [ "$out" = "served by $pid" ] || fail "on_demand: '$out', process '$pid'"
grep -q "watcher demand: a connection waits on its socket" "$DLOG" || fail "on_demand: start not logged"
# stopped again, it waits for the next connection
"$CTL" stop demand >/dev/null || fail "stop demand failed"
wait_for 10 '[ -z "$(children_matching "$T/serve.py")" ]' || fail "demand did not stop"
wait_for 5 '[ "$(log_count "watcher demand: waiting for a connection")" -eq 2 ]' || fail "on_demand: not armed after a stop"
out=$(connect) || fail "on_demand: the second connection was not served"
pid2=$(children_matching "$T/serve.py")
[ -n "$pid2" ] && [ "$pid2" != "$pid" ] && [ "$out" = "served by $pid2" ] || fail "on_demand again: '$out', '$pid2'"
note "on_demand: started by a connection ($pid, then $pid2 after a stop), which it served"

stop_daemon TERM
echo ok
