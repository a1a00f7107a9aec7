#!/usr/bin/env bash
# run.sh SECONDS NAME... - fuzzes each target (tests/fuzz/fuzz_NAME, built by `make fuzz`) for
# SECONDS, starting from its seed corpus and regression inputs. New inputs go to a scratch
# corpus, not into the repository. Exits non-zero on the first crash, leak, timeout or UB report,
# printing the input that triggered it: keep it in tests/fuzz/regressions/NAME/ once fixed.
set -u
cd "$(dirname "$0")/../.."
seconds=$1; shift
scratch=$(mktemp -d /tmp/cirque-fuzz.XXXXXX)
status=0
for name in "$@"; do
	mkdir -p "$scratch/$name" tests/fuzz/regressions/"$name"
	log="$scratch/$name.log"
	start=$(date +%s)
	if tests/fuzz/fuzz_"$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$scratch/$name-" \
		"$scratch/$name" tests/fuzz/corpus/"$name" tests/fuzz/regressions/"$name" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1)
		printf 'PASS  fuzz_%-10s %4ds  %s runs, %s\n' "$name" $(( $(date +%s) - start )) "${runs:-?}" "${cov:-cov: ?}"
	else
		printf 'FAIL  fuzz_%s\n' "$name"
		grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" | head -n 20 | sed 's/^/      /'
		echo "      full log: $log"
		status=1
	fi
done
[ "$status" -eq 0 ] && rm -rf "$scratch"
exit $status
