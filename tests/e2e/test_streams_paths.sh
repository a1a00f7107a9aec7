# Where a stream's file: leads.
# 1. {file: /dev/stdout} (supervisord-in-docker's idiom) with the daemon's stdout and stderr
#    pipes, as under docker: the lines reach them, as written (no prefix), and rotation options
#    that would rotate them are refused by --check; other files that are not regular files are
#    warned about; /dev/null is null.
# 2. Placeholders in file paths: {name}/{wid} and $(circus.name)/$(circus.wid) are replaced; an
#    unknown one ({pid}) is an error at file:line:col with the known ones listed.
. "$(dirname "$0")/lib.sh"

# --- 1. /dev/stdout, /dev/stderr, /proc/self/fd/1 through pipes ---
cat >"$CONF" <<'YAML'
watchers:
  a:
    cmd: /bin/sh -c 'echo to-dev-stdout; exec sleep 3600'
    stdout: {file: /dev/stdout, max_bytes: 0, backup_count: 0}
  b:
    cmd: /bin/sh -c 'echo to-dev-stderr >&2; exec sleep 3600'
    stderr: {file: /dev/stderr}
  c:
    cmd: /bin/sh -c 'echo to-proc-fd-1; exec sleep 3600'
    stdout: {file: /proc/self/fd/1, time_format: "T"}
YAML
"$CIRQUED" -c "$CONF" --check >"$T/out" 2>&1 || fail "--check refused /dev/stdout: $(cat "$T/out")"
# The readers are our children, not the daemon's (FIFOs), so that their files are complete when
# they see EOF.
mkfifo "$T/stdout.fifo" "$T/stderr.fifo"
cat <"$T/stdout.fifo" >"$T/daemon.out" &
OUT_READER=$!
cat <"$T/stderr.fifo" >>"$DLOG" &
ERR_READER=$!
"$CIRQUED" -c "$CONF" >"$T/stdout.fifo" 2>"$T/stderr.fifo" &
DPID=$!
wait_for 10 'grep -qx "to-dev-stdout" "$T/daemon.out" && grep -qx "T to-proc-fd-1" "$T/daemon.out" &&
	grep -qx "to-dev-stderr" "$DLOG"' ||
	fail "lines for /dev/stdout, /dev/stderr and /proc/self/fd/1 never reached the daemon's pipes (out: $(cat "$T/daemon.out"))"
grep -q "cannot write" "$DLOG" && fail "a write error was reported"
stop_daemon TERM
[ "$DSTATUS" -eq 0 ] || fail "exit status $DSTATUS"
wait "$OUT_READER" "$ERR_READER"
grep -q "to-dev-stderr" "$T/daemon.out" && fail "stderr's line went to stdout"
grep -q "to-dev-stdout" "$DLOG" && fail "stdout's line went to stderr"

# A rotation of the daemon's own stdout makes no sense: refused where it is written.
cat >"$CONF" <<'YAML'
watchers:
  a:
    cmd: sleep 10
    stdout: {file: /dev/stdout, max_bytes: 10MB}
    stderr: {file: /dev/fd/2, rotate: daily}
YAML
out=$("$CIRQUED" -c "$CONF" --check 2>&1) && fail "--check accepted max_bytes on /dev/stdout"
echo "$out" | grep -qF "$CONF:4:44: watchers.a.stdout.max_bytes: /dev/stdout is the daemon's own stdout (a pipe or a terminal), which is never rotated: remove max_bytes (or set it to 0)" ||
	fail "max_bytes error: $out"
echo "$out" | grep -qF "$CONF:5:39: watchers.a.stderr.rotate: /dev/fd/2 is the daemon's own stderr" ||
	fail "rotate error: $out"

# Other paths that are not regular files are never written (a /proc link, a FIFO): --check warns.
# /dev/null is stdout: null.
mkfifo "$T/fifo"
cat >"$CONF" <<YAML
watchers:
  a:
    cmd: sleep 10
    stdout: {file: $T/fifo}
    stderr: {file: /dev/null}
YAML
out=$("$CIRQUED" -c "$CONF" --check 2>&1) || fail "--check refused a FIFO (a warning only): $out"
echo "$out" | grep -qF "$CONF:2: warning: watchers.a.stdout.file: $T/fifo is not a regular file, which cirqued never writes to (for the daemon's own stdout or stderr: inherit, or /dev/stdout, /dev/stderr)" ||
	fail "no warning for a FIFO: $out"
echo "$out" | grep -q "stderr.file" && fail "a warning for /dev/null: $out"

# --- 2. placeholders ---
cat >"$CONF" <<YAML
watchers:
  a:
    cmd: sleep 10
    numprocesses: 2
    stdout: {file: "$T/logs/{name}-{pid}.log"}
    stderr: {file: "$T/logs/\$(circus.hostname).err"}
YAML
out=$("$CIRQUED" -c "$CONF" --check 2>&1) && fail "--check accepted {pid}"
echo "$out" | grep -qF "$CONF:5:20: watchers.a.stdout.file: unknown placeholder {pid} (known: {name}, {wid}, \$(circus.name), \$(circus.wid), \$(circus.env.NAME))" ||
	fail "{pid} error: $out"
echo "$out" | grep -qF "$CONF:6:20: watchers.a.stderr.file: unknown placeholder \$(circus.hostname)" ||
	fail "\$(circus.hostname) error: $out"

cat >"$CONF" <<YAML
watchers:
  a:
    cmd: /bin/sh -c 'echo out \$(circus.wid); echo err \$(circus.wid) >&2; exec sleep 3600'
    numprocesses: 2
    stdout: {file: "$T/logs/\$(circus.name)-\$(circus.wid).log"}
    stderr: {file: "$T/logs/\$(CIRQUE.NAME)/{name}-{wid}.err"}
YAML
"$CIRQUED" -c "$CONF" --check >"$T/out" 2>&1 || fail "--check refused \$(circus.wid): $(cat "$T/out")"
start_daemon
for wid in 1 2; do
	wait_for 10 'grep -qx "out $wid" "$T/logs/a-$wid.log" 2>/dev/null' ||
		fail "no $T/logs/a-$wid.log with its line (logs: $(ls -R "$T/logs" 2>&1))"
	wait_for 10 'grep -qx "err $wid" "$T/logs/a/a-$wid.err" 2>/dev/null' ||
		fail "no $T/logs/a/a-$wid.err with its line (logs: $(ls -R "$T/logs" 2>&1))"
done
# `clear` knows that $(circus.wid) makes one file per process.
"$CTL" clear a >"$T/out" 2>&1 || fail "clear: $(cat "$T/out")"
wait_for 10 '[ ! -s "$T/logs/a-2.log" ] && [ ! -s "$T/logs/a/a-2.err" ]' ||
	fail "clear did not empty the second process's files: $(cat "$T/out")"
stop_daemon TERM
echo ok
