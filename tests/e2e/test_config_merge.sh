# Options shared between watchers with YAML anchors and merge keys (`<<: *base`, a list of
# them), top-level x- keys to hold the anchors (as docker-compose): the running daemon has the
# merged options, `set` keeps them (it rebuilds a watcher from its options as written), and the
# environment merges too.
. "$(dirname "$0")/lib.sh"

A=$(sleeper merged-a); B=$(sleeper merged-b)
cat >"$CONF" <<YAML
x-defaults: &defaults
  graceful_timeout: 2s
  stop_children: true
  stdout: {file: $T/merged.log, max_bytes: 0}
  env: &env {SHARED: from-anchor, OVERRIDDEN: anchor}
watchers:
  a: &base
    cmd: $A 3600
    graceful_timeout: 1s
    ready: {delay: 0.2s}
  b:
    <<: [*defaults, *base]
    cmd: $B 3600
    numprocesses: 2
    env: {<<: *env, OVERRIDDEN: own}
YAML
out=$("$CIRQUED" -c "$CONF" --check 2>&1) || fail "--check refused merge keys: $out"
start_daemon
wait_count "$B" 2
[ "$("$CTL" get b graceful_timeout)" = "graceful_timeout: 2.0" ] || fail "b's graceful_timeout: $("$CTL" get b graceful_timeout)"
[ "$("$CTL" get b stop_children)" = "stop_children: true" ] || fail "b's stop_children"
[ "$("$CTL" get a graceful_timeout)" = "graceful_timeout: 1.0" ] || fail "a changed"
pid=$(children_matching "$B" | head -n 1)
proc_env "$pid" | grep -qx "SHARED=from-anchor" || fail "env not merged: $(proc_env "$pid")"
proc_env "$pid" | grep -qx "OVERRIDDEN=own" || fail "the mapping's own env value lost: $(proc_env "$pid")"
# get shows the output as configured (merged here), and inherit where nothing was said.
[ "$("$CTL" get a stdout)" = 'stdout: inherit' ] || fail "get a stdout: $("$CTL" get a stdout)"
[ "$("$CTL" get b stdout)" = "stdout: {\"file\": \"$T/merged.log\", \"max_bytes\": \"0\"}" ] ||
	fail "get b stdout: $("$CTL" get b stdout)"
# get without a key lists every option.
all=$("$CTL" get b)
for line in "graceful_timeout: 2.0" "stop_children: true" "numprocesses: 2" "min_uptime: 10.0"; do
	echo "$all" | grep -qxF "$line" || fail "get b has no '$line': $all"
done
# set rebuilds b from its options as written: the merged ones stay.
"$CTL" set b numprocesses 3 >/dev/null || fail "set numprocesses"
wait_count "$B" 3
[ "$("$CTL" get b graceful_timeout)" = "graceful_timeout: 2.0" ] || fail "set lost the merged options"
"$CTL" get b cmd | grep -qF "$B 3600" || fail "set lost b's own cmd: $("$CTL" get b cmd)"
# set takes a mapping written in YAML's flow style, as the file would.
"$CTL" set a stdout "{file: $T/a.log, max_bytes: 1MB}" >/dev/null || fail "set a stdout {file: ...}"
[ "$("$CTL" get a stdout)" = "stdout: {\"file\": \"$T/a.log\", \"max_bytes\": \"1MB\"}" ] ||
	fail "get a stdout after set: $("$CTL" get a stdout)"
echo ok
