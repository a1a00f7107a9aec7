# Crash survival (survivors.h): cirqued is SIGKILLed with 50 processes over 3 watchers; the next
# cirqued finds them through its state file. on_orphans: adopt: no duplicate starts (counted in
# /proc), status shows the same pids in the same slots, marked adopted, and a survivor killed is
# respawned in its slot (its exit without a status). on_orphans: stop: every survivor gets its
# watcher's stop_signal, those that ignore it SIGKILL after graceful_timeout, and no new process
# runs before every old one is gone (sampled all along, and in the log's order). Survivors of a
# watcher or slot no longer configured are stopped either way. A clean exit removes the state
# file.
. "$(dirname "$0")/lib.sh"

A=$(sleeper alpha); B=$(sleeper beta); C=$(sleeper gamma)
STATE="$CIRQUE_RUNTIME_DIR/survivors"
KNOWN=""  # every pid this test saw: killed at the end whatever happens (they outlive daemons)
trap 'rc=$?; [ -n "$KNOWN" ] && kill -9 $KNOWN 2>/dev/null; (exit $rc); cleanup' EXIT

# gamma ignores SIGTERM (the disposition survives exec): only the SIGKILL of a stop ends it.
write_conf() {
	cat >"$CONF" <<YAML
cirque: {on_orphans: $1}
watchers:
  alpha:
    cmd: $A 3600
    numprocesses: 25
    stdout: null
    stderr: null
  beta:
    cmd: $B 3600
    numprocesses: 15
  gamma:
    cmd: /bin/sh -c "trap '' TERM; exec $C 3600"
    numprocesses: 10
    stop_children: true
    graceful_timeout: 2
YAML
}

count() { procs_matching "^$1 3600" | grep -c . || true; }
all_counts() { echo "$(count "$A") $(count "$B") $(count "$C")"; }
# slots: "name:wid pid adopted" of every slot's process, sorted, from status with processes.
slots() {
	request '{"command": "status", "properties": {"processes": true}}' | json_eval \
		'"\n".join(sorted("%s:%d %s %d" % (n, p["wid"], p.get("pid", 0), p.get("adopted", False)) for n in d["processes"] for p in d["processes"][n] if not p["retiring"]))'
}
state_lines() { grep -c '^process ' "$STATE" 2>/dev/null || true; }
remember() { KNOWN="$KNOWN $(procs_matching "^$A 3600") $(procs_matching "^$B 3600") $(procs_matching "^$C 3600")"; }
crash() {
	kill -9 "$DPID"
	wait_for 5 '! kill -0 $DPID 2>/dev/null' || fail "cirqued survived SIGKILL"
	wait "$DPID" 2>/dev/null
	DPID=""
}
log_since() { tail -n +"$(( $1 + 1 ))" "$DLOG"; }
# start_of PID: its start time (field 22 of /proc/PID/stat), empty when it is gone or a zombie.
start_of() {
	local line f
	read -r line 2>/dev/null <"/proc/$1/stat" || return 0
	f=(${line##*) })
	[ "${f[0]}" = Z ] || echo "${f[19]}"
}

# --- 50 processes, then SIGKILL --------------------------------------------------------------
write_conf adopt-all
start_daemon
wait_for 15 '[ "$(all_counts)" = "25 15 10" ]' || fail "not all started: $(all_counts)"
remember
wait_for 5 '[ "$(state_lines)" = 50 ]' || fail "the state file lists $(state_lines) processes, not 50"
grep -qx "daemon $DPID [0-9]*" "$STATE" && grep -qx "boot $(cat /proc/sys/kernel/random/boot_id)" "$STATE" || fail "state file: $(head -n 3 "$STATE")"
before=$(slots)
[ "$(echo "$before" | grep -c ' 0$')" = 50 ] || fail "status before: $before"
crash
[ "$(all_counts)" = "25 15 10" ] || fail "the processes did not outlive cirqued: $(all_counts)"
[ -s "$STATE" ] || fail "SIGKILL left no state file"
note "50 processes outlived the SIGKILL of cirqued"

# --- adopt: the same pids in the same slots, nothing new ------------------------------------
mark=$(wc -l <"$DLOG")
start_daemon
wait_for 10 'log_since $mark | grep -q "started: 3 watchers"' || fail "the second cirqued did not start"
[ "$(all_counts)" = "25 15 10" ] || fail "duplicates started: $(all_counts) processes, not 25 15 10"
after=$(slots)
[ "$after" = "$(echo "$before" | sed 's/ 0$/ 1/')" ] ||
	fail "status after adoption differs: $(diff <(echo "$before") <(echo "$after") | head)"
log_since $mark | grep -q "survivors: 50 processes of a cirqued that died" || fail "no survivors line"
[ "$(log_since $mark | grep -c 'spawned pid')" = 0 ] || fail "spawned after adopting: $(log_since $mark | grep 'spawned pid')"
# beta's and gamma's output went to the dead daemon's pipes; alpha's is null.
log_since $mark | grep -q "watcher beta: 15 adopted processes wrote their output to the pipes" ||
	fail "no warning about beta's lost pipes"
log_since $mark | grep -q "watcher alpha: .*pipes" && fail "alpha's output was null, yet a warning"
"$CTL" status beta:3 | grep -q ", adopted" || fail "cirquectl status: $("$CTL" status beta:3)"
# In cgroup mode each adopted process is moved into the new daemon's cgroup of its watcher.
if log_since $mark | grep -q "containment: cgroup v2"; then
	pid=$(echo "$after" | sed -n 's/^alpha:1 \([0-9]*\) 1$/\1/p')
	cgroup_of "$pid" | grep -qx ".*/cirque-$DPID/alpha" || fail "pid $pid in cgroup $(cgroup_of "$pid")"
	note "adopted processes moved to cgroup .../cirque-$DPID/<watcher>"
fi
note "adopt: 50 survivors in their slots, no duplicate"

# A survivor killed is respawned in its slot (its exit comes without a status).
victim=$(echo "$after" | sed -n 's/^beta:7 \([0-9]*\) 1$/\1/p')
[ -n "$victim" ] || fail "no beta:7 in: $after"
kill -9 "$victim"
wait_for 10 'p=$(slots | sed -n "s/^beta:7 \([0-9]*\) 0$/\1/p"); [ -n "$p" ] && [ "$p" != "$victim" ]' ||
	fail "beta:7 was not respawned: $(slots | grep beta:7)"
grep -q "watcher beta\[7\]: pid $victim exited unexpectedly (status unknown: adopted from a previous cirqued)" "$DLOG" ||
	fail "the adopted process's exit was not logged"
[ "$(all_counts)" = "25 15 10" ] || fail "after the respawn: $(all_counts)"
remember
note "adopt: killed survivor $victim respawned in beta:7"

# A stop of adopted processes works as any (stop_signal through their pidfds), and a start runs
# new ones in their slots.
adopted_alpha=$(procs_matching "^$A 3600")
"$CTL" stop alpha >/dev/null || fail "stop alpha: exit $?"
for p in $adopted_alpha; do gone "$p" || fail "adopted pid $p outlived stop alpha"; done
[ "$(count "$A")" = 0 ] || fail "alpha still has $(count "$A") processes"
"$CTL" start alpha >/dev/null || fail "start alpha: exit $?"
[ "$(count "$A")" = 25 ] || fail "alpha has $(count "$A") processes after start, not 25"
remember
note "adopt: stop and start of an adopted watcher"

# A re-exec in place keeps the adopted ones adopted (watched by pidfd, not as children).
before_exec=$(slots)
out=$("$CTL" reexec 2>&1) || fail "reexec failed: $out"
[ "$(slots)" = "$before_exec" ] || fail "slots changed across reexec: $(diff <(echo "$before_exec") <(slots) | head)"
victim=$(slots | sed -n 's/^beta:3 \([0-9]*\) 1$/\1/p')
[ -n "$victim" ] || fail "beta:3 not adopted after the reexec: $(slots | grep beta:3)"
kill -9 "$victim"
wait_for 10 'p=$(slots | sed -n "s/^beta:3 \([0-9]*\) 0$/\1/p"); [ -n "$p" ] && [ "$p" != "$victim" ]' ||
	fail "beta:3 was not respawned after the reexec: $(slots | grep beta:3)"
grep -q "watcher beta\[3\]: pid $victim exited unexpectedly (status unknown" "$DLOG" ||
	fail "the exit after the reexec was not logged"
remember
note "adopt: a reexec keeps them adopted; killed survivor $victim respawned in beta:3"

# --- adopt (the default): those whose output went to the dead cirqued's pipes are restarted --
# (alpha's output is null: adopted; beta's and gamma's went to the pipes nobody reads now.)
alpha_before=$(slots | grep '^alpha:' | awk '{print $1, $2}')
piped_old=$(slots | grep -E '^(beta|gamma):' | awk '{print $2}')
for p in $piped_old; do echo "$p $(start_of "$p")"; done >"$T/piped"
crash
write_conf adopt
mark=$(wc -l <"$DLOG")
start_daemon
wait_for 15 'log_since $mark | grep -q "started: 3 watchers"' || fail "the cirqued after the third crash did not start"
[ "$(slots | grep '^alpha:' | awk '{print $1, $2}')" = "$alpha_before" ] || fail "alpha was not adopted: $(slots | grep '^alpha:' | head -3)"
[ "$(slots | grep -c '^alpha:.* 1$')" = 25 ] || fail "alpha not marked adopted"
while read -r p ticks; do [ "$(start_of "$p")" != "$ticks" ] || fail "piped survivor $p still runs"; done <"$T/piped"
wait_for 10 '[ "$(all_counts)" = "25 15 10" ]' || fail "beta and gamma not restarted: $(all_counts)"
[ "$(slots | grep -cE '^(beta|gamma):.* 0$')" = 25 ] || fail "beta and gamma: $(slots | grep -E '^(beta|gamma):' | head -3)"
log_since $mark | grep -q "survivors: pid [0-9]* (beta\[[0-9]*\]) wrote its output to the pipes of the cirqued that died: restarting it" ||
	fail "the restart of piped survivors was not said"
remember
note "adopt: alpha (output null) adopted, beta and gamma (output piped) restarted"

# --- stop: the old ones are gone before new ones start --------------------------------------
wait_for 5 '[ "$(state_lines)" = 50 ] && grep -q " $(slots | sed -n "s/^beta:7 \([0-9]*\) 0$/\1/p") " "$STATE"' ||
	fail "the state file did not follow the respawn"
old=$(procs_matching "^$A 3600|^$B 3600|^$C 3600" | sort -n)
[ "$(echo "$old" | wc -l)" = 50 ] || fail "expected 50 old processes, have $(echo "$old" | wc -l)"
# Each old one by its pid and start time: other tests' processes may reuse its pid once it is gone.
for p in $old; do echo "$p $(start_of "$p")"; done >"$T/old"
echo "$old" >"$T/oldpids"
crash
write_conf stop
mark=$(wc -l <"$DLOG")
# The sampler: at no moment both an old process alive and a new one running.
(
	while :; do
		# New ones first, then the old: a new one seen, then an old one alive, ran at once.
		new=$(procs_matching "^$A 3600|^$B 3600|^$C 3600" | grep -vxF -f "$T/oldpids")
		alive=""
		while read -r p ticks; do
			[ "$(start_of "$p")" = "$ticks" ] && { alive=$p; break; }
		done <"$T/old"
		[ -n "$alive" ] && [ -n "$new" ] &&
			echo "overlap: old $alive alive ($(tr '\0' ' ' </proc/$alive/cmdline)), new $new" >>"$T/overlap"
		[ -z "$alive" ] && [ -n "$new" ] && break
		[ -e "$T/stop-sampling" ] && break
	done
) &
sampler=$!
t0=$(date +%s%N)
start_daemon
# A re-exec asked for while the survivors are being stopped waits for them, and for the start.
wait_for 5 'log_since $mark | grep -q "survivors: the watchers start once"' || fail "no stop under way"
"$CTL" reexec >"$T/reexec.out" 2>&1 & rx=$!
# Meanwhile status says what the watchers wait for (gamma's survivors ignore SIGTERM: 2 s).
"$CTL" status alpha | grep -q "waiting for what a cirqued that died left running to stop" ||
	fail "status during the stop of survivors: $("$CTL" status alpha | head -n 3)"
wait_for 20 'log_since $mark | grep -q "started: 3 watchers"' || { touch "$T/stop-sampling"; fail "the third cirqued did not start"; }
t1=$(date +%s%N)
touch "$T/stop-sampling"
wait "$sampler"
[ ! -e "$T/overlap" ] || fail "old and new processes ran at once: $(head -n 3 "$T/overlap")"
wait_for 20 '! kill -0 $rx 2>/dev/null' || fail "reexec still waiting"
wait "$rx" || fail "reexec during the stop of survivors: $(cat "$T/reexec.out")"
exec_line=$(log_since $mark | grep -n "re-exec: executing" | cut -d: -f1)
gone_line=$(log_since $mark | grep -n "survivors: the 50 processes of the cirqued that died are gone" | cut -d: -f1)
[ -n "$exec_line" ] && [ -n "$gone_line" ] && [ "$gone_line" -lt "$exec_line" ] ||
	fail "the reexec did not wait for the survivors: $(log_since $mark | grep -E 're-exec|are gone')"
while read -r p ticks; do [ "$(start_of "$p")" != "$ticks" ] || fail "old pid $p still runs"; done <"$T/old"
[ "$(all_counts)" = "25 15 10" ] || fail "after the stop: $(all_counts)"
[ "$("$CTL" globaloptions on_orphans)" = "on_orphans: stop" ] || fail "globaloptions: $("$CTL" globaloptions on_orphans)"
log=$(log_since $mark)
echo "$log" | grep -q "survivors: 50 processes of a cirqued that died .*stopping them before the watchers start (on_orphans: stop)" ||
	fail "no stop line"
# gamma ignores SIGTERM: SIGKILL after its graceful_timeout (2 s), and only then do spawns begin.
echo "$log" | grep -q "survivors: pid [0-9]* (gamma\[[0-9]*\]) still running after its graceful_timeout, sending SIGKILL" ||
	fail "no SIGKILL said"
gone_line=$(echo "$log" | grep -n "survivors: the 50 processes of the cirqued that died are gone (10 after SIGKILL)" | cut -d: -f1)
first_spawn=$(echo "$log" | grep -n "spawned pid" | head -n 1 | cut -d: -f1)
[ -n "$gone_line" ] && [ -n "$first_spawn" ] && [ "$gone_line" -lt "$first_spawn" ] ||
	fail "spawns did not wait for the survivors' end (gone at line $gone_line, first spawn $first_spawn)"
[ $(( (t1 - t0) / 1000000 )) -ge 2000 ] || fail "started after $(( (t1 - t0) / 1000000 )) ms: graceful_timeout not waited"
# Every new process started after the SIGKILLs (2 s after the start): /proc start times.
hz=$(getconf CLK_TCK)
for p in $(procs_matching "^$A 3600|^$B 3600|^$C 3600"); do
	start=$(awk '{print $22}' "/proc/$p/stat" 2>/dev/null)
	up=$(awk '{print int($1 * '"$hz"')}' /proc/uptime)
	age_ms=$(( (up - start) * 1000 / hz )) since_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$age_ms" -le $(( since_ms - 1900 )) ] ||
		fail "new pid $p is $age_ms ms old, the daemon started $since_ms ms ago: it did not wait"
done
remember
note "stop: 50 survivors stopped (10 by SIGKILL after 2 s), then 50 new processes"

# --- a watcher or slots gone from the file: those survivors are stopped, the rest adopted ----
wait_for 5 '[ "$(state_lines)" = 50 ]' || fail "the state file lists $(state_lines) processes"
for p in $(slots | sed -n 's/^beta:1[1-5] \([0-9]*\) 0$/\1/p') $(procs_matching "^$A 3600"); do
	echo "$p $(start_of "$p")"
done >"$T/dropped"
[ "$(wc -l <"$T/dropped")" = 30 ] || fail "expected 25 of alpha and 5 of beta: $(cat "$T/dropped")"
crash
cat >"$CONF" <<YAML
cirque: {on_orphans: adopt-all}
watchers:
  beta:
    cmd: $B 3600
    numprocesses: 10
  gamma:
    cmd: /bin/sh -c "trap '' TERM; exec $C 3600"
    numprocesses: 10
    stop_children: true
    graceful_timeout: 2
YAML
mark=$(wc -l <"$DLOG")
start_daemon
wait_for 10 'log_since $mark | grep -q "started: 2 watchers"' || fail "the fourth cirqued did not start"
log=$(log_since $mark)
[ "$(all_counts)" = "0 10 10" ] || fail "after dropping alpha and 5 of beta: $(all_counts)"
echo "$log" | grep -q "survivors: pid [0-9]* (alpha\[[0-9]*\]) runs, but no watcher alpha is configured any more: stopping it" ||
	fail "alpha's survivors were not said to be stopped"
# Each is gone before the watchers start (they die at SIGTERM).
while read -r p ticks; do [ "$(start_of "$p")" != "$ticks" ] || fail "dropped pid $p still runs"; done <"$T/dropped"
echo "$log" | grep -q "survivors: 20 more processes whose watcher or slot is not configured" ||
	fail "no summary of the others: $(echo "$log" | grep survivors:)"
[ "$(echo "$log" | grep -c 'spawned pid')" = 0 ] || fail "spawned: $(echo "$log" | grep 'spawned pid')"
[ "$(slots | grep -c ' 1$')" = 20 ] || fail "not 20 adopted: $(slots)"
note "a watcher and 5 slots gone: 30 survivors stopped, 20 adopted"

# --- a stop that begins is in the state file at once: a crash then does not adopt them -------
"$CTL" stop gamma --no-wait >/dev/null || fail "stop gamma"
wait_for 2 '[ "$(grep -c "^process gamma .* stop$" "$STATE")" = 10 ]' ||
	fail "the stop of gamma is not in the state file: $(grep "^process gamma" "$STATE" | head -3)"
note "a stop under way is marked in the state file"

# --- a clean exit removes the state file ----------------------------------------------------
stop_daemon TERM
[ ! -e "$STATE" ] || fail "the state file outlived a clean exit"
[ "$(all_counts)" = "0 0 0" ] || fail "processes left after the shutdown: $(all_counts)"
echo ok
