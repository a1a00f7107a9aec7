#!/usr/bin/env bash
# run.sh - runs the unit test binaries given as arguments, then every tests/e2e/test_*.sh, and
# prints one line per test (with its time) and a summary. Exits non-zero if anything failed; the
# logs of failed tests are kept (their last lines are printed too).
#
# The e2e tests mostly wait (graceful timeouts, polling), so TEST_JOBS of them (default 3) run at
# once, each on its own daemon and temporary directory. A test whose header has a line
#   # serial: REASON
# runs alone (it measures latency, loads the CPU, changes something system-wide...): those run one
# by one before the others. A line `# long: REASON` starts a test among the first of its group,
# so that a long test does not end up running alone at the end. TEST_JOBS=1 runs every test one
# after the other in name order. Results are printed in a fixed order (the order of the groups,
# names sorted within each), whatever order the tests finish in.
#   TEST_JOBS=N       tests at once (default 3)
#   TEST_TIMEOUT=S    seconds before a test is killed and failed (default 180)
#   TESTS='GLOB...'   e2e tests to run instead of tests/e2e/test_*.sh
set -u
cd "$(dirname "$0")/.."
jobs=${TEST_JOBS:-3}
limit=${TEST_TIMEOUT:-180}
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: TEST_JOBS must be a positive number" >&2; exit 2; }
[[ "$limit" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: TEST_TIMEOUT must be a positive number" >&2; exit 2; }
passed=0 failed=0 failures=()
logdir=$(mktemp -d /tmp/cirque-tests.XXXXXX)
state=$logdir/.state
mkdir "$state"

# Each test's output is in $logdir/NAME.log; $state/N.rc (its exit status, written last) and
# $state/N.ms (its run time, in ms) are named after its index N in the print order.
names=() commands=()

add_test() {
	names+=("$1")
	shift
	commands+=("$(printf '%q ' "$@")")
}

log_of() { echo "$logdir/$(basename "${names[$1]}").log"; }

# start_test I: runs test I in the background.
start_test() {
	local i=$1
	(
		start=$(date +%s%N)
		eval "timeout $limit ${commands[$i]}" </dev/null >"$(log_of "$i")" 2>&1
		rc=$?
		echo $(( ($(date +%s%N) - start) / 1000000 )) >"$state/$i.ms"
		echo "$rc" >"$state/$i.rc.tmp" && mv "$state/$i.rc.tmp" "$state/$i.rc"
	) &
}

# report I: the line (and on failure the log's end) of test I, which has finished.
next_report=0
report() {
	local i=$1 rc ms
	rc=$(cat "$state/$i.rc") ms=$(cat "$state/$i.ms")
	if [ "$rc" -eq 0 ]; then
		printf 'PASS  %-40s %4d.%01ds\n' "${names[$i]}" $((ms / 1000)) $((ms / 100 % 10))
		passed=$((passed + 1))
	else
		[ "$rc" -eq 124 ] && rc="$rc, killed after ${limit}s"
		printf 'FAIL  %-40s %4d.%01ds  (exit %s)\n' "${names[$i]}" $((ms / 1000)) $((ms / 100 % 10)) "$rc"
		sed 's/^/      /' "$(log_of "$i")" | tail -n 40
		failed=$((failed + 1))
		failures+=("${names[$i]}")
	fi
}
# report_done: reports the finished tests that come next in the print order.
report_done() {
	while [ "$next_report" -lt "${#names[@]}" ] && [ -e "$state/$next_report.rc" ]; do
		report "$next_report"
		next_report=$((next_report + 1))
	done
}

# run_group N I...: runs the tests I..., at most N at a time, in the order given.
run_group() {
	local n=$1 i running=0
	shift
	for i in "$@"; do
		while [ "$running" -ge "$n" ]; do
			wait -n
			running=$((running - 1))
			report_done
		done
		start_test "$i"
		running=$((running + 1))
	done
	wait
	report_done
}

# Interrupted: the tests' timeout processes (children of our subshells) pass it on to the tests.
stop_tests() {
	local pid
	for pid in $(jobs -p); do pkill -TERM -P "$pid"; done
	wait
	exit 130
}
trap stop_tests INT TERM

has_mark() { grep -qE "^#[[:space:]]*$2:" "$1"; }

for unit in "$@"; do
	add_test "$unit" "$unit"
done
units=${#names[@]}
# shellcheck disable=SC2206 # TESTS is a list of globs
e2e=(${TESTS:-tests/e2e/test_*.sh})
serial=() parallel=()
if [ "$jobs" -eq 1 ]; then
	parallel=("${e2e[@]}")
else
	for t in "${e2e[@]}"; do
		if has_mark "$t" serial; then serial+=("$t"); else parallel+=("$t"); fi
	done
fi
for t in "${serial[@]}" "${parallel[@]}"; do
	add_test "$t" bash "$t"
done

# Unit tests and serial tests one at a time; then the others, the long ones started first.
seq_order=() long=() rest=()
for ((i = 0; i < units + ${#serial[@]}; i++)); do seq_order+=("$i"); done
for ((i = units + ${#serial[@]}; i < ${#names[@]}; i++)); do
	if [ "$jobs" -gt 1 ] && has_mark "${names[$i]}" long; then long+=("$i"); else rest+=("$i"); fi
done
[ "${#serial[@]}" -gt 0 ] && echo "--- unit tests, then ${#serial[@]} tests alone ---"
run_group 1 "${seq_order[@]}"
[ "$jobs" -gt 1 ] && [ "${#parallel[@]}" -gt 0 ] && echo "--- ${#parallel[@]} tests, $jobs at a time ---"
run_group "$jobs" "${long[@]}" "${rest[@]}"

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && rm -rf "$logdir"
rm -rf "$state"
[ "$failed" -eq 0 ] || { printf 'failed: %s\n' "${failures[@]}"; echo "logs in $logdir"; exit 1; }
