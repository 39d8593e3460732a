#!/bin/sh
# The file/exec benchmark inside the QEMU guest (6.1, BPF LSM): copied into a cases
# directory of its own by bench/file_bench.sh, with the static file_bench helper.
# Prints FILEBENCH lines: config rep open_ns exec_ns open_prog_runs open_prog_ns
# empty_open_runs empty_open_ns exec_prog_runs exec_prog_ns empty_exec_runs empty_exec_ns
. "$T_ROOT/tests/lib/common.sh"
. "$T_ROOT/tests/guest/lib/container.sh"

B=$T_ROOT/tests/guest/cases/file_bench
PIN=/sys/fs/bpf/bh-file-bench
OPENS=${FILE_BENCH_OPENS:-20000}
EXECS=${FILE_BENCH_EXECS:-100}
REPS=${FILE_BENCH_REPS:-5}
t_defer "'$T_BIN' unload --pin-dir '$PIN'"
echo 1 > /proc/sys/kernel/bpf_stats_enabled || { t_fail file_bench "kernel.bpf_stats_enabled"; exit 1; }
ct_start b "" pod-b bench b || { t_fail file_bench "container: $(ct_log b)"; exit 1; }
r=/proc/$(ct_pid b)/root
cp "$B" "$r/tmp/fb" && echo x > "$r/tmp/x" || { t_fail file_bench "copying the helper"; exit 1; }
cgid=$(ct_cgroup_id b)

stats() { "$B" prog-stats "$1"; }
rep=1
while [ $rep -le "$REPS" ]; do
	for cfg in nolsm 0 10 100 1000; do
		"$T_BIN" unload --pin-dir "$PIN" >/dev/null 2>&1
		if [ "$cfg" != nolsm ]; then
			"$B" setup "$PIN" "$cgid" "$cfg" >/dev/null || { t_fail file_bench "setup $cfg"; exit 1; }
			"$B" empty "$PIN" || { t_fail file_bench "empty programs"; exit 1; }
		fi
		o0=$(stats bh_file_open); e0=$(stats bh_empty_open)
		open=$(ct_exec b /tmp/fb open-loop /tmp/x "$OPENS")
		o1=$(stats bh_file_open); e1=$(stats bh_empty_open)
		x0=$(stats bh_file_exec); y0=$(stats bh_empty_exec)
		exec=$(ct_exec b /tmp/fb exec-loop /bin/true "$EXECS")
		x1=$(stats bh_file_exec); y1=$(stats bh_empty_exec)
		d() { echo "$1 $2" | awk '{ printf "%d %d", $3 - $1, $4 - $2 }'; }
		echo "FILEBENCH $cfg $rep $open $exec $(d "$o0" "$o1") $(d "$e0" "$e1") $(d "$x0" "$x1") $(d "$y0" "$y1")"
	done
	rep=$((rep + 1))
done
t_pass file_bench
t_finish
