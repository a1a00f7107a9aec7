# Attack: includes reached through links. As root, cirqued refuses a configuration file owned by
# another user or writable by group/others, but it checks only the file it ends up reading
# (fstat): a link planted by another user, in a directory that user can write, leads it to any
# root-owned file whose content that user controls. Here that is a log file cirqued itself writes
# (root-owned, 0640) with the output of a watcher running as nobody, and the output is YAML with
# a watcher whose command records `id`. After a reload (SIGHUP), root runs nobody's command.
#   a  conf.d owned by nobody holds a link (evil.yaml -> the log)
#   b  conf.d owned by root but group-writable (group nogroup): nobody plants the same link
#   c  a directory on the way is nobody's: $T/way (nobody) / conf.d (root) / benign.yaml (root);
#      nobody moves conf.d aside and puts a link to the root-owned log directory in its place
# Expected: `cirqued --check -c` exits non-zero, and the reload is refused with an error naming
# the path; the running configuration stays, the command never runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/attack_lib.sh"

ROOTLOGS=$T/rootlogs
ROOTLOGS_C=$T/rootlogs-c
mkdir -m 755 "$ROOTLOGS" "$ROOTLOGS_C"
ln -s "$(command -v sleep)" "$T/pwnsleep"

# The child (nobody) prints a watchers: section; the log cirqued writes is then valid YAML.
cat >"$T/print_yaml.sh" <<'SH'
printf 'watchers:\n  %s:\n    cmd: /bin/sh\n    args: ["-c", "id > %s; exec %s 3600"]\n' "$1" "$2" "$3"
exec "$3" 3600
SH

# write_conf INCLUDE...: the root-owned main file, including the given paths.
write_conf() {
	{
		if [ $# -gt 0 ]; then
			echo "cirque:"
			echo "  include:"
			for inc in "$@"; do echo "    - \"$inc\""; done
		fi
		echo "watchers:"
		for s in a b c; do
			local log=$ROOTLOGS/$s.log
			[ "$s" = c ] && log=$ROOTLOGS_C/c.yaml
			echo "  chatty-$s:"
			echo "    cmd: /bin/sh $T/print_yaml.sh pwn-$s $T/ran-as-root-$s $T/pwnsleep"
			echo "    uid: nobody"
			echo "    stdout: {file: $log}"
		done
	} >"$CONF"
}

reloads() { grep -cE "reload complete|reload failed" "$DLOG" || true; }

# attack NAME WHAT WHERE INCLUDE: --check, then a reload of the main file including INCLUDE;
# WHERE is the path the refusal should name.
attack() {
	local name=$1 what=$2 where=$3 include=$4 before
	write_conf "$include"
	if "$CIRQUED" --check -c "$CONF" >"$T/check-$name.out" 2>&1; then
		attack_succeeded "$what: cirqued --check -c accepted it: $(tr '\n' '|' <"$T/check-$name.out")"
	else
		grep -qiF "$where" "$T/check-$name.out" ||
			attack_succeeded "$what: --check failed without naming $where: $(tr '\n' '|' <"$T/check-$name.out")"
	fi
	before=$(reloads)
	kill -HUP "$DPID"
	wait_for 10 '[ "$(reloads)" -gt '"$before"' ]' || fail "$what: the reload never finished"
	if grep "reload complete\|reload failed" "$DLOG" | tail -n 1 | grep -q "reload complete"; then
		# Accepted: give the included watcher the time to run (it writes the file at once).
		wait_for 5 '[ -s "$T/ran-as-root-'"$name"'" ]'
	fi
	if [ -e "$T/ran-as-root-$name" ]; then
		attack_succeeded "$what: after SIGHUP root ran nobody's command: $(cat "$T/ran-as-root-$name")"
	fi
	"$CTL" status >"$T/status-$name.out" 2>&1
	grep -q "^pwn-$name " "$T/status-$name.out" &&
		attack_succeeded "$what: the reload added nobody's watcher pwn-$name"
	grep -q "^chatty-$name " "$T/status-$name.out" ||
		attack_succeeded "$what: the running configuration was not kept: $(tr '\n' '|' <"$T/status-$name.out")"
	grep -F -- "$where" "$DLOG" | grep -qiE "refus|symbolic|link|not owned|owned by|writable|unsafe|insecure" ||
		attack_succeeded "$what: no error in the daemon log names $where"
}

write_conf
start_daemon
wait_for 10 'grep -qs "pwn-a" "$ROOTLOGS/a.log" && grep -qs "pwn-b" "$ROOTLOGS/b.log" &&
	grep -qs "pwn-c" "$ROOTLOGS_C/c.yaml"' || fail "the children's YAML never reached their logs"
"$CIRQUED" --check -c "$CONF" >/dev/null 2>&1 || fail "the plain configuration does not check"

# a: conf.d owned by nobody.
mkdir -m 755 "$T/inc-a"
chown "$NOBODY:$NOBODY" "$T/inc-a"
as_nobody ln -s "$ROOTLOGS/a.log" "$T/inc-a/evil.yaml" || fail "nobody cannot write $T/inc-a"
attack a "link in a conf.d owned by nobody" "$T/inc-a" "$T/inc-a/*.yaml"

# b: conf.d owned by root, writable by its group (nobody's group).
mkdir -m 775 "$T/inc-b"
chgrp "$NOBODY" "$T/inc-b"
chmod 775 "$T/inc-b"
as_nobody ln -s "$ROOTLOGS/b.log" "$T/inc-b/evil.yaml" || fail "nobody cannot write $T/inc-b"
attack b "link in a root-owned, group-writable conf.d" "$T/inc-b" "$T/inc-b/*.yaml"

# c: a directory on the way (not the one holding the file) is nobody's.
mkdir -m 755 "$T/way"
mkdir -m 755 "$T/way/conf.d"
printf 'watchers:\n  benign:\n    cmd: %s 3600\n' "$T/pwnsleep" >"$T/way/conf.d/benign.yaml"
chown "$NOBODY:$NOBODY" "$T/way"
as_nobody sh -c "mv '$T/way/conf.d' '$T/way/conf.d.orig' && ln -s '$ROOTLOGS_C' '$T/way/conf.d'" ||
	fail "nobody cannot swap $T/way/conf.d"
attack c "directory on the way owned by nobody (conf.d swapped for a link)" "$T/way" "$T/way/conf.d/*.yaml"

kill -0 "$DPID" 2>/dev/null || fail "the daemon died"
stop_daemon TERM
finish
