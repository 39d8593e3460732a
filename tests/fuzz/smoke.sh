#!/bin/sh
# Short fuzzing run for the test suite: smoke.sh FUZZER CORPUS SECONDS
# Prints one PASS/FAIL line with the number of executions that ran clean.
bin=$1 corpus=$2 secs=${3:-20}
dir=$(dirname "$0")
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ ! -x "$bin" ]; then
	echo "SKIP fuzz_policy_smoke: $bin not built (make $bin)"
	exit 0
fi
mkdir -p "$corpus"
"$bin" -max_total_time="$secs" -max_len=16384 -timeout=5 -rss_limit_mb=1024 \
	-dict="$dir/policy.dict" -print_final_stats=1 -artifact_prefix="$(dirname "$bin")/" \
	"$corpus" >"$log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
if [ "$rc" -eq 0 ]; then
	echo "PASS fuzz_policy_smoke: ${runs:-?} executions in ${secs}s ran clean"
else
	echo "FAIL fuzz_policy_smoke: fuzzer exited $rc after ${runs:-?} executions; crash input in $(dirname "$bin")/"
	grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -n 10
	exit 1
fi
