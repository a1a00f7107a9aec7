#!/usr/bin/env bash
# run.sh - runs the unit test binaries given as arguments, then every tests/e2e/test_*.sh, and
# prints one line per test and a summary. Exits non-zero if anything failed.
set -u
cd "$(dirname "$0")/.."
passed=0 failed=0 failures=()
logdir=$(mktemp -d /tmp/cirque-tests.XXXXXX)

run_one() {
	local name=$1; shift
	local log="$logdir/$(basename "$name").log" start end
	start=$(date +%s%N)
	if timeout 180 "$@" >"$log" 2>&1; then
		end=$(date +%s%N)
		printf 'PASS  %-40s %4d.%01ds\n' "$name" $(( (end - start) / 1000000000 )) \
			$(( (end - start) / 100000000 % 10 ))
		passed=$((passed + 1))
	else
		printf 'FAIL  %s\n' "$name"
		sed 's/^/      /' "$log" | tail -n 40
		failed=$((failed + 1))
		failures+=("$name")
	fi
}

for unit in "$@"; do
	run_one "$unit" "$unit"
done
for t in tests/e2e/test_*.sh; do
	run_one "$t" bash "$t"
done
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && rm -rf "$logdir"
[ "$failed" -eq 0 ] || { printf 'failed: %s\n' "${failures[@]}"; echo "logs in $logdir"; exit 1; }
