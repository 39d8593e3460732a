#!/bin/sh
# Self-test of the guest harness: every way a guest can go wrong must fail loudly.
#   sh tests/guest/selftest.sh      (make guest-selftest)
# Boots the guest with the cases in tests/guest/selftest/ (a passing case, one exiting
# non-zero without a FAIL line, one printing nothing, one hanging), then a guest that hangs
# past the host's timeout, then one that panics, and checks what tests/guest/run.sh says.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
export GUEST_OUT=$BUILD/guest/selftest GUEST_CASES_DIR=tests/guest/selftest
OUT=$(mktemp "$BUILD/guest/selftest.out.XXXXXX") || exit 1
trap 'rm -f "$OUT"' EXIT
nfail=0

# check NAME WANT-RC: run.sh's exit status, then lines on stdin that some output line
# must start with.
check() {
	local name="$1" want_rc="$2" line why=""
	[ "$rc" = "$want_rc" ] || why="exit status $rc, expected $want_rc;"
	while IFS= read -r line; do
		awk -v p="$line" 'index($0, p) == 1 { f = 1 } END { exit !f }' "$OUT" ||
			why="$why missing '$line';"
	done
	if pgrep -f "qemu-system-x86_64.*$GUEST_OUT/initrd" >/dev/null 2>&1; then
		why="$why qemu still running;"
	fi
	if [ -z "$why" ]; then
		echo "PASS $name"
	else
		echo "FAIL $name: $why output: $(tr '\n' '|' < "$OUT")"
		nfail=$((nfail + 1))
	fi
}

BULKHEAD_CASE_TIMEOUT=3 sh tests/guest/run.sh st_ok st_exit st_silent st_hang st_nope > "$OUT" 2>/dev/null
rc=$?
check guest_selftest_verdicts 1 <<'L'
PASS st_ok
PASS st_exit_partial
FAIL st_exit: exited with status 3 without a FAIL line
FAIL st_silent: printed no PASS/FAIL/SKIP line
FAIL st_hang: timed out after 3s
FAIL st_nope: no such guest case (/bulkhead/tests/guest/cases/st_nope.sh)
L

GUEST_TIMEOUT=10 BULKHEAD_CASE_TIMEOUT=1000 sh tests/guest/run.sh st_hang > "$OUT" 2>/dev/null
rc=$?
check guest_selftest_hang 1 <<'L'
FAIL guest_harness: the guest hung: no poweroff within 10s (GUEST_TIMEOUT)
L

GUEST_APPEND=rdinit=/nonexistent sh tests/guest/run.sh st_ok > "$OUT" 2>/dev/null
rc=$?
check guest_selftest_panic 1 <<'L'
FAIL guest_harness: the guest kernel panicked
L

BULKHEAD_CASES=st_ok sh tests/guest/run.sh > "$OUT" 2>/dev/null
rc=$?
check guest_selftest_pass 0 <<'L'
PASS st_ok
L
[ "$nfail" -eq 0 ]
