#!/bin/sh
# The whole test suite: unit tests (plain and ASan/UBSan builds), host tests on
# this machine's kernel, guest tests in QEMU VMs (BPF LSM) on the kernel matrix:
# every case on Debian 12's 6.1, a subset on Debian 13's 6.12 (GUEST_612_CASES),
# and a final check that nothing was left behind.
# Every part prints PASS/FAIL/SKIP lines; this prints the closing
# "N passed, N failed, N skipped" line and exits non-zero on any failure.
#
#   sh tests/run.sh [unit|host|guest|leftovers]...   (default: all parts)
#   T_ONLY=test_name sh tests/run.sh host           (one host script)
#   sh tests/run.sh guest                            (both kernels; guest61 or guest612 for one)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
LOGS=build/tests/logs
mkdir -p "$LOGS"
PASSED=0 FAILED=0 SKIPPED=0
START=$(date +%s)
# Every FAIL line of every part, repeated at the end: a CI log is often read from its tail.
FAILS=$LOGS/failures.txt
: > "$FAILS"

# run_part NAME TIMEOUT CMD...: run, echo its verdict lines, count them.
run_part() {
	local name="$1" limit="$2" t0
	shift 2
	t0=$(date +%s)
	timeout --kill-after=10 "$limit" "$@" >"$LOGS/$name.log" 2>&1
	part_verdicts "$name" "$limit" $? "$t0"
}

# part_verdicts NAME TIMEOUT RC T0: echo a finished part's verdict lines, count them.
part_verdicts() {
	local name="$1" limit="$2" rc="$3" t0="$4" log="$LOGS/$1.log" p f s
	grep -E '^(PASS|FAIL|SKIP) ' "$log" | sed "s|^|[$name] |"
	grep -E '^FAIL ' "$log" | sed "s|^|[$name] |" >> "$FAILS"
	p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log"); s=$(grep -c '^SKIP ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "[$name] FAIL $name: exited with status $rc$([ $rc -ge 124 ] && echo " (timeout ${limit}s?)") without a FAIL line; last lines of $log:"
		tail -n 15 "$log" | sed 's/^/    /'
		echo "[$name] FAIL $name: exited with status $rc without a FAIL line (see $log)" >> "$FAILS"
		f=1
	elif [ "$f" -gt 0 ]; then
		echo "    (details: $log)"
	fi
	PASSED=$((PASSED + p)); FAILED=$((FAILED + f)); SKIPPED=$((SKIPPED + s))
	echo "[$name] $p passed, $f failed, $s skipped in $(( $(date +%s) - t0 ))s" >&2
}

part_unit() {
	local b
	# The unit tests that write real maps pin under /sys/fs/bpf: on a fresh
	# machine nothing is mounted yet (host tests mount it through common.sh).
	grep -q ' /sys/fs/bpf bpf ' /proc/mounts || mount -t bpf bpf /sys/fs/bpf
	for b in build/tests/unit/test_* build/san/tests/unit/test_*; do
		[ -x "$b" ] || continue
		case "$b" in build/san/*) n="san-$(basename "$b")" ;; *) n="$(basename "$b")" ;; esac
		run_part "$n" 120 "$b"
	done
}

part_host() {
	local t
	for t in tests/host/test_*.sh; do
		[ -f "$t" ] || continue
		[ -n "${T_ONLY:-}" ] && [ "$(basename "$t" .sh)" != "$T_ONLY" ] && continue
		run_part "$(basename "$t" .sh)" 300 bash "$t"
	done
}

# The 6.12 subset: boot, modules, probe, file and exec enforcement, the file decision memo,
# the escape guard's basic refusals (8 of 31) and unload; BULKHEAD_GUEST_BASIC=1 trims
# escape_refuse and guest_probe.
GUEST_612_CASES=${GUEST_612_CASES:-guest_boot,guest_modules,guest_probe,file_enforce,exec_enforce,file_memo,escape_refuse,guest_unload}

part_guest61() {
	[ -f tests/guest/run.sh ] || return 0
	run_part guest-6.1 1500 env GUEST_KERNEL=6.1 sh tests/guest/run.sh
}

# One vCPU on 6.12: with two, under TCG, a CPU once ran stale code across the kernel's live
# patching of a static key ("Oops: int3" in get_page_from_freelist, a panic) as the agent
# detached its programs; one vCPU has no other CPU to run it.
part_guest612() {
	[ -f tests/guest/run.sh ] || return 0
	run_part guest-6.12 900 env GUEST_KERNEL=6.12 GUEST_SMP=1 BULKHEAD_CASES="$GUEST_612_CASES" \
		GUEST_APPEND="BULKHEAD_GUEST_BASIC=1${GUEST_APPEND:+ $GUEST_APPEND}" sh tests/guest/run.sh
}

part_guest() {
	part_guest61
	part_guest612
}

part_leftovers() {
	run_part leftovers 30 sh tests/leftovers.sh
}

parts=${*:-unit host guest leftovers}
for p in $parts; do
	"part_$p"
done
echo "suite took $(( $(date +%s) - START ))s" >&2
if [ -s "$FAILS" ]; then
	# A guest case that hung: where its processes were, and what the kernel said.
	grep -h -E '# hang:   ([0-9]+ |.*(lockup|BUG|rcu_|stall))' "$LOGS"/guest-6.1*.log 2>/dev/null |
		head -n 12 | cut -c1-200
	echo "failed:"
	head -n 20 "$FAILS" | cut -c1-300 | sed 's/^/  /'
fi
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ]
