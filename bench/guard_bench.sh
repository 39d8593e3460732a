#!/bin/sh
# make bench (guard-bench): in one QEMU guest run (Debian 6.1, BPF LSM, TCG), an open loop,
# an exec loop and a unix-socket connect loop inside a crun container with the escape
# guard's protections off (no program) and on (the guard loaded, every protection but
# setuidExec refused for the container: the NodeDefault's), interleaved GUARD_BENCH_REPS
# times. Prints per loop the medians, the spread (min..max) and the ratio on/off, and what
# the guard's programs cost (kernel.bpf_stats_enabled: ns per call, calls per loop step).
#   GUARD_BENCH_OPENS=20000 GUARD_BENCH_EXECS=100 GUARD_BENCH_CONNECTS=2000 GUARD_BENCH_REPS=5
set -u
BUILD=${BUILD:-build}
D=$BUILD/bench/guard-cases
rm -rf "$D" && mkdir -p "$D" || exit 1
cp bench/guard_bench_guest.sh "$D/guard_bench_guest.sh" && cp "$BUILD/bench/guard_bench" "$D/guard_bench" || exit 1
out=$BUILD/bench/guard-guest
mkdir -p "$out"
GUEST_OUT=$out GUEST_CASES_DIR=$D GUEST_TIMEOUT=${GUEST_TIMEOUT:-900} \
	BULKHEAD_CASE_TIMEOUT=${BULKHEAD_CASE_TIMEOUT:-850} \
	GUEST_APPEND="GUARD_BENCH_OPENS=${GUARD_BENCH_OPENS:-20000} GUARD_BENCH_EXECS=${GUARD_BENCH_EXECS:-100} GUARD_BENCH_CONNECTS=${GUARD_BENCH_CONNECTS:-2000} GUARD_BENCH_REPS=${GUARD_BENCH_REPS:-5}" \
	sh tests/guest/run.sh guard_bench_guest || { echo "guard-bench: the guest run failed"; exit 1; }
tr -d '\r' < "$out/console.log" | grep -a '^GUARDBENCH ' > "$out/results.txt"
awk '
function sort(arr, n,    i, j, t) {
	for (i = 2; i <= n; i++) { t = arr[i]; for (j = i - 1; j >= 1 && arr[j] > t; j--) arr[j + 1] = arr[j]; arr[j + 1] = t }
}
function median(arr, n) { sort(arr, n); return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2 }
{
	c = $2; k = ++n[c]
	v[c, "open", k] = $4; v[c, "exec", k] = $5; v[c, "connect", k] = $6
	runs[c] += $7; ns[c] += $8
}
END {
	split("open exec connect", loops, " ")
	printf "guard-bench (guest: Debian 6.1 under TCG, %d interleaved runs each, medians)\n", n["off"]
	printf "%-9s %14s %22s %14s %22s %9s\n", "loop", "off", "off spread", "on", "on spread", "on/off"
	for (l = 1; l <= 3; l++) {
		for (ci = 1; ci <= 2; ci++) {
			c = ci == 1 ? "off" : "on"; m = n[c]
			for (i = 1; i <= m; i++) a[i] = v[c, loops[l], i]
			med[c] = median(a, m); lo[c] = a[1]; hi[c] = a[m]
		}
		printf "%-9s %12.0fns %10.0f..%-9.0f %12.0fns %10.0f..%-9.0f %8.3fx\n", loops[l], med["off"], lo["off"], hi["off"],
			med["on"], lo["on"], hi["on"], med["off"] ? med["on"] / med["off"] : 0
	}
	printf "guard programs while on: %d runs, %.0f ns a run on average\n", runs["on"], runs["on"] ? ns["on"] / runs["on"] : 0
}' "$out/results.txt"
