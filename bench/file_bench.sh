#!/bin/sh
# make bench (file-bench): in one QEMU guest run (Debian 6.1, BPF LSM, TCG), an open loop
# and an exec loop inside a crun container with 0 (programs attached, container without
# a policy), 10, 100 and 1,000 path rules, against no programs at all; and the
# per-program cost (kernel.bpf_stats_enabled: run_time_ns / run_cnt) of bh_file_open and
# bh_file_exec against empty LSM programs on the same hooks, attached at the same time.
# Configurations are interleaved, FILE_BENCH_REPS times; medians and ratios are printed.
#   FILE_BENCH_OPENS=20000 FILE_BENCH_EXECS=100 FILE_BENCH_REPS=5
set -u
BUILD=${BUILD:-build}
D=$BUILD/bench/file-cases
rm -rf "$D" && mkdir -p "$D" || exit 1
cp bench/file_bench_guest.sh "$D/file_bench_guest.sh" && cp "$BUILD/bench/file_bench" "$D/file_bench" || exit 1
out=$BUILD/bench/file-guest
mkdir -p "$out"
GUEST_OUT=$out GUEST_CASES_DIR=$D GUEST_TIMEOUT=${GUEST_TIMEOUT:-900} \
	BULKHEAD_CASE_TIMEOUT=${BULKHEAD_CASE_TIMEOUT:-850} \
	GUEST_APPEND="FILE_BENCH_OPENS=${FILE_BENCH_OPENS:-20000} FILE_BENCH_EXECS=${FILE_BENCH_EXECS:-100} FILE_BENCH_REPS=${FILE_BENCH_REPS:-5}" \
	sh tests/guest/run.sh file_bench_guest || { echo "file-bench: the guest run failed"; exit 1; }
tr -d '\r' < "$out/console.log" | grep -a '^FILEBENCH ' > "$out/results.txt"
awk '
function median(arr, n,    i, j, t) {
	for (i = 2; i <= n; i++) { t = arr[i]; for (j = i - 1; j >= 1 && arr[j] > t; j--) arr[j + 1] = arr[j]; arr[j + 1] = t }
	return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
}
{
	c = $2; n[c]++
	open[c, n[c]] = $4; exec[c, n[c]] = $5
	po[c, n[c]] = $6 ? $7 / $6 : 0; eo[c, n[c]] = $8 ? $9 / $8 : 0
	px[c, n[c]] = $10 ? $11 / $10 : 0; ex[c, n[c]] = $12 ? $13 / $12 : 0
}
END {
	split("nolsm 0 10 100 1000", cfgs, " ")
	for (k = 1; k <= 5; k++) {
		c = cfgs[k]; m = n[c]
		for (i = 1; i <= m; i++) { a[i] = open[c, i] } mo[c] = median(a, m)
		for (i = 1; i <= m; i++) { a[i] = exec[c, i] } mx[c] = median(a, m)
		for (i = 1; i <= m; i++) { a[i] = po[c, i] } mpo[c] = median(a, m)
		for (i = 1; i <= m; i++) { a[i] = eo[c, i] } meo[c] = median(a, m)
		for (i = 1; i <= m; i++) { a[i] = px[c, i] } mpx[c] = median(a, m)
		for (i = 1; i <= m; i++) { a[i] = ex[c, i] } mex[c] = median(a, m)
	}
	printf "file-bench (guest: Debian 6.1 under TCG, %d runs each, medians)\n", n["nolsm"]
	printf "%-22s %12s %8s %12s %8s %14s %14s %14s %14s\n", "config", "open+close", "ratio", "fork+exec", "ratio",
		"file_open ns", "empty ns", "bprm ns", "empty ns"
	for (k = 1; k <= 5; k++) {
		c = cfgs[k]
		name = c == "nolsm" ? "no programs" : c == "0" ? "no policy (attached)" : c " rules"
		printf "%-22s %10.0fns %7.3fx %10.0fns %7.3fx %14.0f %14.0f %14.0f %14.0f\n", name, mo[c], mo[c] / mo["nolsm"],
			mx[c], mx[c] / mx["nolsm"], mpo[c], meo[c], mpx[c], mex[c]
	}
	printf "per-program cost, file_open: 10 rules %.0f ns, 1000 rules %.0f ns (x%.2f); empty program %.0f ns\n",
		mpo["10"], mpo["1000"], mpo["10"] ? mpo["1000"] / mpo["10"] : 0, meo["1000"]
}' "$out/results.txt"
