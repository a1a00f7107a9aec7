# Paths reached through a trusted (root's) symbolic link in their last component: safefs follows
# it and cirqued writes the link's target, but the pidfile's removal and the log's rotation use
# the *link's* name (main.c write_pidfile: pidfile_name from the path given, pidfile_dir from
# where the walk ended; sink.c rotate_file: safefs_split of the label, then renameat there).
#   pidfile  pid/cirqued.pid -> real/target.pid, and real/cirqued.pid is someone else's file: at
#            exit cirqued unlinks real/cirqued.pid (the unrelated file), and leaves its own
#   rotation logs/app.log -> real/app.log: rotation renames the link to app.log.1 and makes a
#            new regular file logs/app.log; the link ends up as a backup, real/app.log stops growing
# Expected: the pidfile written is the one removed; rotation rotates the file written (or
# refuses), and never moves the link.
. "$(dirname "$0")/lib.sh"

mkdir -m 755 "$T/pid" "$T/real" "$T/logs"
echo "not cirqued's" >"$T/real/cirqued.pid"
ln -s "$T/real/target.pid" "$T/pid/cirqued.pid"
ln -s "$T/real/app.log" "$T/logs/app.log"
S=$(sleeper idle)
cat >"$CONF" <<YAML
watchers:
  idle:
    cmd: /bin/sh
    args: ["-c", "awk 'BEGIN { for (i = 1; i <= 100; i++) printf \"rotate line %04d for the test\\\\n\", i }'; exec $S 3600"]
    stdout: {file: $T/logs/app.log, max_bytes: 1k, backup_count: 3}
YAML
start_daemon --pidfile "$T/pid/cirqued.pid"
wait_for 5 '[ "$(cat "$T/real/target.pid" 2>/dev/null)" = "$DPID" ]' ||
	fail "the pid never reached the link's target"
wait_for 5 'grep -qs "rotate line 0100" "$T/logs/app.log" "$T/real/app.log"' || note "the last line never arrived"
problems=()
[ -L "$T/logs/app.log" ] || problems+=("rotation replaced the link $T/logs/app.log with a $(stat -c %F "$T/logs/app.log")")
for f in "$T"/logs/app.log.*; do
	[ -L "$f" ] && problems+=("rotation moved the link: $f -> $(readlink "$f")")
done
stop_daemon TERM 10
[ -e "$T/real/cirqued.pid" ] || problems+=("cirqued removed $T/real/cirqued.pid at exit, an unrelated file that has the link's name")
[ ! -e "$T/real/target.pid" ] || problems+=("cirqued left its pidfile $T/real/target.pid behind")
if [ "${#problems[@]}" -gt 0 ]; then
	printf '  - %s\n' "${problems[@]}" >&2
	fail "${#problems[@]} problem(s) with trusted links"
fi
echo ok
