#!/bin/sh
# make bench (file-bench): in one QEMU guest run (Debian 6.1, BPF LSM, TCG), in a crun
# container, rounds of: no programs at all; the programs loaded with the container under no
# policy, 10, 100 and 1,000 path rules (decision memo on), and 1,000 rules with the memo off
# (every decision in full), in an order rotated each round. Per configuration: repeated
# opens of one file and repeated execs of /bin/true (memo hits), first opens and first execs
# of files made new for it (memo misses); the per-program cost (kernel.bpf_stats_enabled:
# run_time_ns / run_cnt) of bh_file_open and bh_file_exec against empty LSM programs on the
# same hooks, attached at the same time (after ours in odd rounds, before them in even ones:
# the first program on a hook finds the trampoline's pages cold); the memo's hit rate.
# Loop ratios are taken per round against that round's "no programs" and summarized as
# median [25th..75th percentile]; "~" marks a ratio whose spread is larger than its effect.
#   FILE_BENCH_REPS=5 FILE_BENCH_OPENS=40000 FILE_BENCH_EXECS=150
#   FILE_BENCH_FIRST_OPENS=1000 FILE_BENCH_FIRST_EXECS=30
#   FILE_BENCH_CONFIGS=0,10,100,1000,1000full   (a subset, for a quick look)
set -u
BUILD=${BUILD:-build}
D=$BUILD/bench/file-cases
rm -rf "$D" && mkdir -p "$D" || exit 1
cp bench/file_bench_guest.sh "$D/file_bench_guest.sh" && cp "$BUILD/bench/file_bench" "$D/file_bench" &&
	cp "$BUILD/bench/file_bench_noop" "$D/file_bench_noop" || exit 1
out=$BUILD/bench/file-guest
mkdir -p "$out"
GUEST_OUT=$out GUEST_CASES_DIR=$D GUEST_TIMEOUT=${GUEST_TIMEOUT:-1200} \
	BULKHEAD_CASE_TIMEOUT=${BULKHEAD_CASE_TIMEOUT:-1100} \
	GUEST_APPEND="FILE_BENCH_OPENS=${FILE_BENCH_OPENS:-40000} FILE_BENCH_EXECS=${FILE_BENCH_EXECS:-150} FILE_BENCH_REPS=${FILE_BENCH_REPS:-5} FILE_BENCH_FIRST_OPENS=${FILE_BENCH_FIRST_OPENS:-1000} FILE_BENCH_FIRST_EXECS=${FILE_BENCH_FIRST_EXECS:-30} FILE_BENCH_CONFIGS=${FILE_BENCH_CONFIGS:-0,10,100,1000,1000full}" \
	sh tests/guest/run.sh file_bench_guest || { echo "file-bench: the guest run failed"; exit 1; }
tr -d '\r' < "$out/console.log" | grep -a '^FILEBENCH ' > "$out/results.txt"
awk -f - "$out/results.txt" <<'AWK'
function sortn(arr, n,    i, j, t) {
	for (i = 2; i <= n; i++) { t = arr[i]; for (j = i - 1; j >= 1 && arr[j] > t; j--) arr[j + 1] = arr[j]; arr[j + 1] = t }
}
function q(arr, n, p,    x, i) {	# arr sorted; p in [0,1], linear interpolation
	if (n < 1) return 0
	x = 1 + p * (n - 1); i = int(x)
	return i >= n ? arr[n] : arr[i] + (x - i) * (arr[i + 1] - arr[i])
}
function med(key, c,    i, a, m) { m = 0; for (i = 1; i <= n[c]; i++) a[++m] = v[key, c, i]; sortn(a, m); return q(a, m, 0.5) }
# ratio of loop field f of config c to no programs, per round: median, p25, p75
function ratio(f, c,    i, a, m, rr) {
	m = 0
	for (i = 1; i <= n[c]; i++) { rr = rep[c, i]; if ((f, "nolsm", rr) in byrep && byrep[f, "nolsm", rr] > 0) a[++m] = v[f, c, i] / byrep[f, "nolsm", rr] }
	sortn(a, m); R50 = q(a, m, 0.5); R25 = q(a, m, 0.25); R75 = q(a, m, 0.75)
	NOISE = (R75 - R25) >= (R50 > 1 ? R50 - 1 : 1 - R50)
	return sprintf("%6.3fx [%5.3f..%5.3f]%s", R50, R25, R75, NOISE ? "~" : " ")
}
function per(runs, ns) { return runs > 0 ? ns / runs : 0 }
{
	c = $2; i = ++n[c]; rep[c, i] = $3
	v["open", c, i] = $4; v["fopen", c, i] = $5; v["exec", c, i] = $6; v["fexec", c, i] = $7
	byrep["open", c, $3] = $4; byrep["fopen", c, $3] = $5; byrep["exec", c, $3] = $6; byrep["fexec", c, $3] = $7
	v["po", c, i] = per($8, $9); v["eo", c, i] = per($10, $11); v["pfo", c, i] = per($12, $13)
	v["px", c, i] = per($14, $15); v["ex", c, i] = per($16, $17); v["pfx", c, i] = per($18, $19)
	v["xo", c, i] = v["eo", c, i] > 0 ? v["po", c, i] / v["eo", c, i] : 0
	v["xx", c, i] = v["ex", c, i] > 0 ? v["px", c, i] / v["ex", c, i] : 0
	ho[c] += $20; mo[c] += $21; hx[c] += $22; mx[c] += $23
}
END {
	split("nolsm 0 10 100 1000 1000full", cfgs, " ")
	name["nolsm"] = "no programs"; name["0"] = "no policy (attached)"; name["10"] = "10 rules"
	name["100"] = "100 rules"; name["1000"] = "1000 rules"; name["1000full"] = "1000 rules, memo off"
	printf "file-bench (guest: Debian 6.1 under TCG; %d rounds, configurations interleaved and rotated; medians)\n\n", n["nolsm"]
	printf "Loops, time per call; ratio to no programs in the same round: median [25th..75th percentile]\n"
	printf "(~: the spread is larger than the effect: within noise)\n"
	printf "%-22s %9s %-26s %9s %-26s\n", "config", "open", "  repeated open", "1st open", "  first open"
	for (k = 1; k <= 6; k++) {
		c = cfgs[k]; if (!n[c]) continue
		printf "%-22s %7.0fns %-26s %7.0fns %-26s\n", name[c], med("open", c), c == "nolsm" ? "" : ratio("open", c),
			med("fopen", c), c == "nolsm" ? "" : ratio("fopen", c)
	}
	printf "%-22s %9s %-26s %9s %-26s\n", "config", "exec", "  repeated exec", "1st exec", "  first exec"
	for (k = 1; k <= 6; k++) {
		c = cfgs[k]; if (!n[c]) continue
		printf "%-22s %7.0fus %-26s %7.0fus %-26s\n", name[c], med("exec", c) / 1000, c == "nolsm" ? "" : ratio("exec", c),
			med("fexec", c) / 1000, c == "nolsm" ? "" : ratio("fexec", c)
	}
	printf "\nPer-program cost (bpf_stats, ns per run; x = against the empty program on the same hook, same loop)\n"
	printf "%-22s %10s %8s %10s %8s | %10s %8s %10s %8s | %-16s\n", "config", "file_open", "x empty", "1st open", "empty",
		"bprm", "x empty", "1st exec", "empty", "memo hits open/exec"
	for (k = 2; k <= 6; k++) {
		c = cfgs[k]; if (!n[c]) continue
		printf "%-22s %10.0f %7.2fx %10.0f %8.0f | %10.0f %7.2fx %10.0f %8.0f | %5.1f%% / %5.1f%%\n", name[c],
			med("po", c), med("xo", c), med("pfo", c), med("eo", c), med("px", c), med("xx", c), med("pfx", c), med("ex", c),
			ho[c] + mo[c] ? 100 * ho[c] / (ho[c] + mo[c]) : 0, hx[c] + mx[c] ? 100 * hx[c] / (hx[c] + mx[c]) : 0
	}
	c = "1000"
	if (n[c]) {
		printf "\nGoal (1,000 rules, memo on): file_open %.2fx empty (<= 3x: %s), bprm %.2fx empty (<= 3x: %s)\n",
			med("xo", c), med("xo", c) <= 3 ? "met" : "MISSED", med("xx", c), med("xx", c) <= 3 ? "met" : "MISSED"
		printf "  loops against no programs: open %s, exec %s\n", ratio("open", c), ratio("exec", c)
		ratio("open", c); a1 = NOISE || R50 <= 1.0; ratio("exec", c); a2 = NOISE || R50 <= 1.0
		printf "  loops within noise of no programs: %s\n", a1 && a2 ? "yes" : "NO (spread smaller than the effect)"
	}
}
AWK
# The guest CPU's page-table isolation and PCID, which decide how cold an exec's pages are
# under TCG (docs/ARCHITECTURE.md: the file memo).
tr -d '\r' < "$out/console.log" | grep -a '^FILEBENCH-ENV ' | head -n 1 | sed 's/^FILEBENCH-ENV /guest: /'
