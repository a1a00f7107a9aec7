# cirqued --check helps: "did you mean" for a mistyped key, the reason of a YAML error at a tab,
# the line:column of a missing include; and warnings that leave the exit status 0 for what may
# be fixed before the processes start: a command not found or not executable, a missing
# working_dir, a log file's directory that does not exist yet. A clean file has no warning.
. "$(dirname "$0")/lib.sh"

check() { out=$("$CIRQUED" -c "$CONF" --check 2>&1); rc=$?; }
has() { echo "$out" | grep -qF -- "$1" || fail "--check: no '$1' in: $out"; }

cat >"$CONF" <<'YAML'
cirque:
  loglevl: info
watchers:
  web:
    cmd: /bin/sleep 10
    numprocess: 2
    stdout: {fiel: /tmp/x.log}
YAML
check; [ "$rc" = 1 ] || fail "--check accepted mistyped keys: $out"
has "$CONF:2:3: cirque: unknown key 'loglevl' (did you mean 'loglevel'?)"
has "$CONF:6:5: watchers.web: unknown key 'numprocess' (did you mean 'numprocesses'?)"
has "$CONF:7:14: watchers.web.stdout: unknown key 'fiel' (did you mean 'file'?)"

# Indentation slips: a watcher at the top level, an env variable beside env: instead of under it.
printf 'watchers:\nweb:\n  cmd: /bin/sleep 10\n' >"$CONF"
check; [ "$rc" = 1 ] || fail "--check accepted a watcher at the top level: $out"
has "$CONF:2:1: unknown top-level key 'web' (a watcher? indent it under watchers:)"
printf 'watchers:\n  web:\n    cmd: /bin/sleep 10\n    env:\n    DB_HOST: db\n' >"$CONF"
check; [ "$rc" = 1 ] || fail "--check accepted an env variable beside env: $out"
has "$CONF:5:5: watchers.web: unknown key 'DB_HOST' (an environment variable? indent it under env:)"

# A supervisord.conf or circus.ini given as it is: said what it is.
printf '[program:web]\ncommand=/bin/sleep 10\n' >"$CONF"
check; [ "$rc" = 1 ] || fail "--check accepted an INI file: $out"
has "$CONF:1:1: this looks like an INI file (supervisord.conf, circus.ini): cirque reads YAML"

# supervisord's keys get cirque's name for them.
cat >"$CONF" <<'YAML'
watchers:
  web:
    command: /bin/sleep 10
    directory: /tmp
    stopwaitsecs: 5
YAML
check; [ "$rc" = 1 ] || fail "--check accepted supervisord's keys: $out"
has "$CONF:3:5: watchers.web: unknown key 'command' (supervisord's; here: cmd)"
has "$CONF:4:5: watchers.web: unknown key 'directory' (supervisord's; here: working_dir)"
has "$CONF:5:5: watchers.web: unknown key 'stopwaitsecs' (supervisord's; here: graceful_timeout)"

printf 'watchers:\n  web:\n\tcmd: /bin/sleep 10\n' >"$CONF"
check; [ "$rc" = 1 ] || fail "--check accepted a tab: $out"
has "$CONF:3:1: YAML syntax error: found character that cannot start any token"
has "tabs are not allowed for indentation in YAML, use spaces"

printf 'cirque:\n  include:\n    - "conf.d/*.yaml"\n    - other.yaml\nwatchers:\n  web: {cmd: /bin/sleep 10}\n' >"$CONF"
check; [ "$rc" = 1 ] || fail "--check accepted a missing include: $out"
has "$CONF:4:7: include 'other.yaml': no such file"

mkdir "$T/logs" "$T/wd"; printf '#!/bin/sh\n' >"$T/noexec"; chmod 644 "$T/noexec"
cat >"$CONF" <<YAML
watchers:
  clean:
    cmd: sleep 10
    working_dir: $T/wd
    stdout: {file: $T/logs/clean.log}
    stderr: {file: "$T/nolog/{name}.log"}
  missing:
    cmd: no-such-program-cirque --flag
    working_dir: $T/nowhere
    stdout: {file: $T/nolog/out.log}
  noexec:
    cmd: $T/noexec
  relative:
    cmd: ./noexec
    working_dir: $T
  later:
    cmd: "\$(circus.env.NO_SUCH_VAR_CIRQUE)/bin/app"
    shell: false
YAML
check; [ "$rc" = 0 ] || fail "--check rejected a file that only has warnings: $out"
has "$CONF: ok (5 watchers)"
has "$CONF:7: warning: watchers.missing.cmd: 'no-such-program-cirque' not found in PATH"
has "$CONF:7: warning: watchers.missing.working_dir: $T/nowhere: No such file or directory"
has "$CONF:7: warning: watchers.missing.stdout.file: the directory $T/nolog does not exist"
has "$CONF:11: warning: watchers.noexec.cmd: $T/noexec: not an executable file"
has "$CONF:13: warning: watchers.relative.cmd: $T/./noexec: not an executable file"
has "$CONF:16: warning: watchers.later.cmd: \$(circus.env.NO_SUCH_VAR_CIRQUE): no such variable"
echo "$out" | grep -q "watchers.clean" && fail "warnings for a clean watcher: $out"
[ "$(echo "$out" | grep -c warning)" = 6 ] || fail "expected 6 warnings: $out"

# An env value's $VAR that the daemon's environment lacks expands to nothing: said by --check
# and in the daemon's log ($$ is a literal $, as in a password).
cat >"$CONF" <<'YAML'
watchers:
  db:
    cmd: /bin/sleep 10
    env:
      DB_URL: postgres://u:p$ss@host/db
      PRICE: $$5 for $HOME
      HOST: ${E2E_UNSET_HOST:-localhost}
YAML
check; [ "$rc" = 0 ] || fail "--check rejected an unset variable: $out"
has "$CONF:2: warning: watchers.db.env.DB_URL: \$ss is not set in cirqued's environment: it expands to nothing (write \$\$ for a literal \$)"
[ "$(echo "$out" | grep -c warning)" = 1 ] || fail "expected 1 warning: $out"

# One log file, two rotation settings: said, as only one of them can apply.
cat >"$CONF" <<YAML
watchers:
  one: {cmd: /bin/sleep 10, stdout: {file: $T/shared.log, max_bytes: 1KB}}
  two: {cmd: /bin/sleep 10, stdout: {file: $T/shared.log, max_bytes: 1KB}, stderr: {file: $T/shared.log, max_bytes: 3KB}}
YAML
check; [ "$rc" = 0 ] || fail "--check rejected a shared log file: $out"
has "warning: watchers.two.stderr.file: $T/shared.log is written by watchers.one.stdout too, with other rotation settings"
echo "$out" | grep -q "watchers.two.stdout.file" && fail "same settings warned about: $out"
[ "$(echo "$out" | grep -c warning)" = 2 ] || fail "expected 2 warnings: $out"

# Shell syntax in a cmd that no shell reads: said (a shell: true cmd is not looked at).
cat >"$CONF" <<'YAML'
watchers:
  redirect: {cmd: "/bin/echo hello > /tmp/out 2>&1"}
  variable: {cmd: "/bin/sleep $DELAY"}
  fine: {cmd: "/bin/echo $(circus.wid) $$5"}
  shelled: {cmd: "echo $HOME > /dev/null", shell: true}
YAML
check; [ "$rc" = 0 ] || fail "--check rejected shell syntax: $out"
has "warning: watchers.redirect.cmd: '>' goes to the program as it is, no shell reads it: use shell: true"
has "warning: watchers.variable.cmd: '\$DELAY' goes to the program as it is"
[ "$(echo "$out" | grep -c warning)" = 2 ] || fail "expected 2 warnings: $out"

# A watcher run as another user: its command and working_dir are checked with that user's
# rights (the test directory is root's, 0700).
if [ "$(id -u)" = 0 ]; then
	printf '#!/bin/sh\nexit 0\n' >"$T/job.sh"; chmod 755 "$T/job.sh"
	cat >"$CONF" <<YAML
watchers:
  job: {cmd: $T/job.sh, uid: nobody}
  home: {cmd: /bin/sleep 10, uid: nobody, working_dir: $T}
  mine: {cmd: $T/job.sh}
YAML
	check; [ "$rc" = 0 ] || fail "--check rejected another user's paths: $out"
	has "warning: watchers.job.cmd: $T/job.sh: uid $(id -u nobody) may not enter $T (the watcher's user)"
	has "warning: watchers.home.working_dir: $T: uid $(id -u nobody) may not enter it (the watcher's user)"
	[ "$(echo "$out" | grep -c warning)" = 2 ] || fail "expected 2 warnings: $out"
fi

# An include glob whose directory is not there (a typo) is said; an empty conf.d is not.
mkdir -p "$T/inc/conf.d"
printf 'cirque:\n  include: ["confd/*.yaml", "conf.d/*.yaml"]\nwatchers:\n  m: {cmd: /bin/sleep 10}\n' >"$T/inc/c.yaml"
out=$("$CIRQUED" -c "$T/inc/c.yaml" --check 2>&1) || fail "--check rejected a missing include directory: $out"
echo "$out" | grep -qF "$T/inc/c.yaml:2: warning: include 'confd/*.yaml': the directory $T/inc/confd does not exist" ||
	fail "no warning for the missing include directory: $out"
[ "$(echo "$out" | grep -c warning)" = 1 ] || fail "an empty conf.d warned about: $out"

# supervisord's %(...)s placeholders are not expanded: said, with cirque's names for them.
cat >"$CONF" <<YAML
watchers:
  port: {cmd: "/bin/sleep 80%(process_num)02d", stdout: {file: "$T/%(program_name)s.log"}}
YAML
check; [ "$rc" = 0 ] || fail "--check rejected %(...)s: $out"
has "warning: watchers.port.cmd: '80%(process_num)02d': supervisord's %(...)s is not expanded here: \$(circus.wid) for process_num"
has "warning: watchers.port.stdout.file: '$T/%(program_name)s.log': supervisord's %(...)s is not expanded here"

# Relative paths work from a shell in the right directory and break under systemd (cwd /).
mkdir -p "$T/rel/www"
cat >"$T/rel/c.yaml" <<'YAML'
cirque: {pidfile: run/cirqued.pid}
watchers:
  rel: {cmd: /bin/sleep 10, working_dir: www, stdout: {file: logs/rel.log}, ready: {unix: s.sock}}
YAML
out=$(cd "$T/rel" && "$CIRQUED" -c c.yaml --check 2>&1) || fail "--check rejected relative paths: $out"
for what in "cirque.pidfile: run/cirqued.pid" "watchers.rel.working_dir: www" \
	    "watchers.rel.stdout.file: logs/rel.log" "watchers.rel.ready.unix: s.sock"; do
	echo "$out" | grep -qF "warning: $what: a relative path, resolved against cirqued's working directory (/ under systemd)" ||
		fail "--check did not warn about $what: $out"
done

# The daemon's pidfile and logoutput in directories not there yet (/run/NAME after a boot):
# --check says they will be made, and the daemon makes them rather than refusing to start.
cat >"$CONF" <<YAML
cirque:
  pidfile: $T/piddir/sub/cirqued.pid
  logoutput: $T/logdir/sub/cirqued.log
watchers:
  clean: {cmd: /bin/sleep 10}
YAML
check; [ "$rc" = 0 ] || fail "--check rejected missing daemon directories: $out"
has "$CONF: warning: cirque.pidfile: the directory $T/piddir/sub does not exist"
has "$CONF: warning: cirque.logoutput: the directory $T/logdir/sub does not exist"
"$CIRQUED" -c "$CONF" >>"$DLOG" 2>&1 &
DPID=$!
wait_for 10 'grep -qs "watcher clean" "$T/logdir/sub/cirqued.log"' ||
	fail "no daemon log in the directory made for it: $(cat "$DLOG")"
wait_for 10 'test -s "$T/piddir/sub/cirqued.pid"' || fail "no pidfile in the directory made for it"
# --check's warnings go to the daemon's log too (here stderr: logoutput is not open yet).
grep -q "\[warning\] $CONF: cirque.pidfile: the directory $T/piddir/sub does not exist" "$DLOG" ||
	fail "the daemon did not log the configuration's warnings"
[ "$(cat "$T/piddir/sub/cirqued.pid")" = "$DPID" ] || fail "pidfile: $(cat "$T/piddir/sub/cirqued.pid"), daemon $DPID"
echo ok
