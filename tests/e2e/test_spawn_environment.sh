# Processes start with the configured count, argv, env, cwd, umask, rlimits, own process group,
# stdin on /dev/null, and $(circus.wid) substituted.
. "$(dirname "$0")/lib.sh"

mkdir "$T/work"
S=$(sleeper envcheck)
C=$(sleeper copied)
export CIRQUE_TEST_FROM_DAEMON=inherited-value
cat >"$CONF" <<YAML
watchers:
  envcheck:
    cmd: $S
    args: ["3600", "\$(circus.wid)"]
    numprocesses: 3
    working_dir: $T/work
    umask: "027"
    env:
      PLAIN: hello world
      FROM_DAEMON: \${CIRQUE_TEST_FROM_DAEMON}
      WORKER: "w\$(circus.wid)"
    rlimits:
      nofile: 1234
      core: unlimited
  copied:
    cmd: $C 3600
    copy_env: true
  copiedas:
    cmd: /bin/sleep 3609
    copy_env: true
    uid: nobody
YAML
start_daemon
wait_count "$S" 3
wait_count "$C" 1

for wid in 1 2 3; do
	pid=$(children_matching "$S 3600 $wid")
	[ -n "$pid" ] || fail "no process with wid $wid"
	env=$(proc_env "$pid")
	echo "$env" | grep -qx "PLAIN=hello world" || fail "PLAIN missing: $env"
	echo "$env" | grep -qx "FROM_DAEMON=inherited-value" || fail "\${VAR} not expanded: $env"
	echo "$env" | grep -qx "WORKER=w$wid" || fail "wid not substituted in env: $env"
	# copy_env is false: nothing else from the daemon's environment leaks in, but the PATH
	# systemd would give a service.
	echo "$env" | grep -qx "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" ||
		fail "no default PATH: $env"
	# and who it is (as supervisord's SUPERVISOR_PROCESS_NAME).
	echo "$env" | grep -qx "CIRQUE_WID=$wid" || fail "no CIRQUE_WID=$wid: $env"
	echo "$env" | grep -qx "CIRQUE_WATCHER=envcheck" ||
		fail "no CIRQUE_WATCHER: $env"
	[ "$(echo "$env" | wc -l)" -eq 6 ] || fail "unexpected variables in env: $env"
	[ "$(readlink "/proc/$pid/cwd")" = "$T/work" ] || fail "cwd is $(readlink /proc/$pid/cwd)"
	grep -q '^Umask:[[:space:]]*0027' "/proc/$pid/status" || fail "umask: $(grep Umask /proc/$pid/status)"
	grep -q '^Max open files *1234 *1234' "/proc/$pid/limits" || fail "nofile: $(grep 'open files' /proc/$pid/limits)"
	grep -q '^Max core file size *unlimited' "/proc/$pid/limits" || fail "core limit not applied"
	pgid=$(awk '{print $5}' "/proc/$pid/stat")
	[ "$pgid" = "$pid" ] || fail "process $pid is in group $pgid, not its own"
	[ "$(readlink "/proc/$pid/fd/0")" = /dev/null ] || fail "stdin is $(readlink /proc/$pid/fd/0)"
	# Only stdio is inherited: every fd of the daemon is close-on-exec.
	extra=$(ls "/proc/$pid/fd" | grep -vxE '0|1|2' || true)
	[ -z "$extra" ] || fail "child inherited fds: $extra"
done
pid=$(children_matching "$C")
proc_env "$pid" | grep -qx "CIRQUE_TEST_FROM_DAEMON=inherited-value" || fail "copy_env did not copy"
# copy_env with a uid: the daemon's environment as it is, no identity half of each
wait_count "/bin/sleep 3609" 1
pid=$(children_matching "/bin/sleep 3609")
env=$(proc_env "$pid")
echo "$env" | grep -qE "^(USER|LOGNAME)=nobody$" && fail "copy_env with uid: USER/LOGNAME of the uid added: $env"
[ "$(echo "$env" | grep "^HOME=")" = "$(env | grep "^HOME=")" ] || fail "copy_env did not keep HOME: $env"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"

# An rlimit the kernel cannot grant: --check warns, and the failed start names the limit and
# the ceiling rather than a bare "Operation not permitted".
ceiling=$(cat /proc/sys/fs/nr_open)
cat >"$CONF" <<YAML
watchers:
  toomany:
    cmd: $S 3600
    rlimits: {nofile: $((ceiling + 1))}
    max_retry: 0
YAML
out=$("$CIRQUED" -c "$CONF" --check 2>&1) || fail "--check refused: $out"
echo "$out" | grep -qF "warning: watchers.toomany.rlimits.nofile: $((ceiling + 1)) is above the kernel's fs.nr_open ($ceiling)" ||
	fail "--check did not warn: $out"
start_daemon
wait_for 10 'grep -q "toomany\[1\]: cannot set" "$DLOG"' || fail "no failed start"
grep -qF "watcher toomany[1]: cannot set rlimit nofile=$((ceiling + 1)) (above the kernel's fs.nr_open, $ceiling) for $S: Operation not permitted" "$DLOG" ||
	fail "the failure does not name the limit: $(grep 'toomany\[1\]: cannot' "$DLOG")"
echo ok
