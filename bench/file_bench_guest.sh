#!/bin/sh
# The file/exec benchmark inside the QEMU guest (6.1, BPF LSM): copied into a cases
# directory of its own by bench/file_bench.sh, with the static file_bench helpers.
# Each round: no programs at all, then (programs loaded once) the container with no
# policy, with 10, 100 and 1,000 rules (decision memo on), and 1,000 rules with the memo
# off, in an order rotated every round. Per configuration: a repeated open of one file and a
# repeated exec of /bin/true (memo hits), and first opens / first execs of files made new
# for it (memo misses). The hit rate is taken in a short pass of the same loops with hit
# counting on (a per-CPU counter costs a helper call per hit: kept out of the timed loops).
# Prints FILEBENCH lines:
#   cfg rep open first_open exec first_exec
#   open_runs open_ns empty_open_runs empty_open_ns first_open_runs first_open_ns
#   exec_runs exec_ns empty_exec_runs empty_exec_ns first_exec_runs first_exec_ns
#   open_hits open_misses exec_hits exec_misses
. "$T_ROOT/tests/lib/common.sh"
. "$T_ROOT/tests/guest/lib/container.sh"

B=$T_ROOT/tests/guest/cases/file_bench
NOOP=$T_ROOT/tests/guest/cases/file_bench_noop
PIN=/sys/fs/bpf/bh-file-bench
OPENS=${FILE_BENCH_OPENS:-40000}
EXECS=${FILE_BENCH_EXECS:-150}
FIRST_OPENS=${FILE_BENCH_FIRST_OPENS:-1000}
FIRST_EXECS=${FILE_BENCH_FIRST_EXECS:-30}
REPS=${FILE_BENCH_REPS:-5}
t_defer "'$T_BIN' unload --pin-dir '$PIN'"
echo 1 > /proc/sys/kernel/bpf_stats_enabled || { t_fail file_bench "kernel.bpf_stats_enabled"; exit 1; }
ct_start b "" pod-b bench b || { t_fail file_bench "container: $(ct_log b)"; exit 1; }
r=/proc/$(ct_pid b)/root
cp "$B" "$r/tmp/fb" && echo x > "$r/tmp/x" || { t_fail file_bench "copying the helper"; exit 1; }
cgid=$(ct_cgroup_id b)
echo "FILEBENCH-ENV cpus=$(nproc) meltdown=$(cat /sys/devices/system/cpu/vulnerabilities/meltdown 2>/dev/null) pcid=$(grep -c -w pcid /proc/cpuinfo)"

stats() { "$B" prog-stats "$1"; }
d() { echo "$1 $2" | awk '{ printf "%d %d", $3 - $1, $4 - $2 }'; }
# fresh files and binaries for the first-open / first-exec loops (made by the host: not policed)
fresh() {
	"$B" mkfiles "$r/tmp/fo.$1" "$FIRST_OPENS" || return 1
	mkdir -p "$r/tmp/fx.$1" || return 1
	i=0
	while [ $i -lt "$FIRST_EXECS" ]; do cp "$NOOP" "$r/tmp/fx.$1/b$i" || return 1; i=$((i + 1)); done
}
# one configuration's loops, one FILEBENCH line
measure() {
	cfg=$1 tag=$2
	fresh "$tag" || { t_fail file_bench "fresh files"; exit 1; }
	o0=$(stats bh_file_open); e0=$(stats bh_empty_open)
	open=$(ct_exec b /tmp/fb open-loop /tmp/x "$OPENS")
	o1=$(stats bh_file_open); e1=$(stats bh_empty_open)
	first=$(ct_exec b /tmp/fb open-each "/tmp/fo.$tag" "$FIRST_OPENS")
	o2=$(stats bh_file_open)
	x0=$(stats bh_file_exec); y0=$(stats bh_empty_exec)
	exec=$(ct_exec b /tmp/fb exec-loop /bin/true "$EXECS")
	x1=$(stats bh_file_exec); y1=$(stats bh_empty_exec)
	fexec=$(ct_exec b /tmp/fb exec-each "/tmp/fx.$tag" "$FIRST_EXECS")
	x2=$(stats bh_file_exec)
	memo="0 0 0 0"
	if [ "$3" = memo ]; then	# the hit rate, counted in a pass of its own
		"$B" memo-mode on count
		m0=$("$B" memo-stats)
		ct_exec b /tmp/fb open-loop /tmp/x 2000 >/dev/null
		m1=$("$B" memo-stats)
		ct_exec b /tmp/fb exec-loop /bin/true 20 >/dev/null
		m2=$("$B" memo-stats)
		"$B" memo-mode on
		memo=$(echo "$m0 $m1 $m2" | awk '{ printf "%d %d %d %d", $5 - $1, $6 - $2, $11 - $7, $12 - $8 }')
	fi
	echo "FILEBENCH $cfg $rep $open $first $exec $fexec $(d "$o0" "$o1") $(d "$e0" "$e1") $(d "$o1" "$o2")" \
		"$(d "$x0" "$x1") $(d "$y0" "$y1") $(d "$x1" "$x2") $memo"
	rm -rf "$r/tmp/fo.$tag" "$r/tmp/fx.$tag"
}
set -- $(echo "${FILE_BENCH_CONFIGS:-0,10,100,1000,1000full}" | tr ',' ' ')
rep=1
while [ $rep -le "$REPS" ]; do
	"$T_BIN" unload --pin-dir "$PIN" >/dev/null 2>&1
	measure nolsm "nolsm.$rep" -
	# The empty programs attach after ours in odd rounds, before them in even ones: the
	# first program on a hook pays for the trampoline's pages the second finds warm.
	if [ $((rep % 2)) -eq 1 ]; then
		"$B" setup-all "$PIN" >/dev/null && "$B" empty "$PIN"
	else
		"$B" empty "$PIN" && "$B" setup-all "$PIN" >/dev/null
	fi || { t_fail file_bench "loading the programs"; exit 1; }
	for cfg in "$@"; do
		case $cfg in
		0) "$B" assign "$PIN" "$cgid" 0 && "$B" memo-mode on ;;
		1000full) "$B" assign "$PIN" "$cgid" 1000 && "$B" memo-mode off ;;
		*) "$B" assign "$PIN" "$cgid" "$cfg" && "$B" memo-mode on ;;
		esac || { t_fail file_bench "config $cfg"; exit 1; }
		case $cfg in 0|1000full) measure "$cfg" "$cfg.$rep" - ;; *) measure "$cfg" "$cfg.$rep" memo ;; esac
	done
	set -- "$@" "$1"; shift	# rotate the order for the next round
	rep=$((rep + 1))
done
t_pass file_bench
t_finish
