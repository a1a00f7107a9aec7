# The fuzz targets (tests/fuzz) replayed on their seed corpus and on every input that once made
# them fail (tests/fuzz/regressions): built with the suite's compiler and flags, so under
# SANITIZE=1 any leak, invalid access or UB on those inputs fails this test. `make fuzz` does
# the actual fuzzing with libFuzzer.
. "$(dirname "$0")/lib.sh"

for name in parse config control; do
	bin="$ROOT/tests/fuzz/replay_$name"
	[ -x "$bin" ] || fail "$bin is not built (make test builds it)"
	inputs=$(find "$ROOT/tests/fuzz/corpus/$name" "$ROOT/tests/fuzz/regressions/$name" -type f ! -name .keep | sort)
	[ -n "$inputs" ] || fail "no inputs for $name"
	# shellcheck disable=SC2086
	out=$("$bin" $inputs 2>&1) || fail "replay_$name failed: $(echo "$out" | tail -n 30)"
	note "$name: $(echo "$out" | tail -n 1)"
done
echo ok
