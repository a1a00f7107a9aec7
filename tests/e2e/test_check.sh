# cirqued --check validates and reports file:line:column; bad configs refuse to start; --version,
# --help and bad options behave.
. "$(dirname "$0")/lib.sh"

cat >"$CONF" <<'YAML'
watchers:
  good:
    cmd: sleep 10
YAML
out=$("$CIRQUED" -c "$CONF" --check 2>&1) || fail "--check rejected a valid file: $out"
echo "$out" | grep -q "ok (1 watcher)" || fail "--check output: $out"

cat >"$CONF" <<'YAML'
watchers:
  web:
    cmd: sleep 10
    numprocesses: -2
    stop_signal: SIGBOGUS
    colour: blue
  web:
    cmd: true
YAML
out=$("$CIRQUED" -c "$CONF" --check 2>&1) && fail "--check accepted a bad file"
echo "$out" | grep -q "$CONF:4:19: watchers.web.numprocesses: must be at least 0, not -2" || fail "numprocesses error: $out"
echo "$out" | grep -q "$CONF:5:18: watchers.web.stop_signal: unknown signal 'SIGBOGUS'" || fail "signal error: $out"
echo "$out" | grep -q "$CONF:6:5: watchers.web: unknown key 'colour'" || fail "unknown key error: $out"
echo "$out" | grep -q "$CONF:7:3: watchers.web: duplicate key (first at line 2)" || fail "duplicate error: $out"

printf 'watchers:\n  a:\n    cmd: [unclosed\n' >"$CONF"
out=$("$CIRQUED" -c "$CONF" --check 2>&1) && fail "--check accepted broken YAML"
echo "$out" | grep -qE "$CONF:[0-9]+:[0-9]+: YAML syntax error" || fail "syntax error: $out"

# --check only checks: its summary does not speak of starting.
"$CIRQUED" -c "$CONF" --check 2>&1 | tail -n 1 | grep -q "errors*$" || fail "--check's summary: $("$CIRQUED" -c "$CONF" --check 2>&1 | tail -n 1)"
# circusd's habit, the file as an argument: cirqued says how it takes it.
"$CIRQUED" "$CONF" >"$T/out" 2>&1; rc=$?
[ $rc = 2 ] || fail "a file as an argument: exit $rc"
grep -qF "unexpected argument '$CONF' (the configuration file: cirqued -c $CONF)" "$T/out" ||
	fail "no hint for the file as an argument: $(cat "$T/out")"

# Without --check, a bad file means no daemon at all.
"$CIRQUED" -c "$CONF" >"$T/out" 2>&1 && fail "daemon started on a broken file"
grep -q "not starting" "$T/out" || fail "no refusal message: $(cat "$T/out")"
"$CIRQUED" -c "$T/missing.yaml" --check >"$T/out" 2>&1 && fail "missing file accepted"
grep -q "cannot open: No such file or directory" "$T/out" || fail "missing file message: $(cat "$T/out")"

# As root, a file that someone else could change is refused: it decides what root executes.
if [ "$(id -u)" = 0 ]; then
	printf 'watchers:\n  a: {cmd: /bin/true}\n' >"$CONF"
	"$CIRQUED" -c "$CONF" --check >/dev/null 2>&1 || fail "a root-owned 0644 file was refused"
	chmod g+w "$CONF"
	out=$("$CIRQUED" -c "$CONF" --check 2>&1) && fail "--check accepted a group-writable file as root"
	echo "$out" | grep -q "$CONF: writable by its group (mode 0664)" || fail "group-writable: $out"
	chmod g-w "$CONF"
	chown 65534 "$CONF"
	out=$("$CIRQUED" -c "$CONF" --check 2>&1) && fail "--check accepted a file owned by nobody as root"
	echo "$out" | grep -q "owned by uid 65534, not root" || fail "foreign owner: $out"
	chown 0 "$CONF"
fi

"$CIRQUED" --version | grep -qE '^cirqued [0-9]+\.[0-9]+' || fail "--version"
"$CIRQUED" --help | grep -q -- '--check' || fail "--help"
"$CIRQUED" --bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown option should exit 2"
"$CIRQUED" --log-level loud -c "$CONF" >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad log level should exit 2"
echo ok
