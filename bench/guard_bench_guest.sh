#!/bin/sh
# The escape guard's benchmark inside the QEMU guest (6.1, BPF LSM): copied into a cases
# directory of its own by bench/guard_bench.sh, with the static guard_bench helper.
# Prints GUARDBENCH lines: config rep open_ns exec_ns connect_ns guard_runs guard_run_ns
# (config "off": no bulkhead program; "on": the guard loaded, every protection but
# setuidExec refused for the container, whose loops run armed).
. "$T_ROOT/tests/lib/common.sh"
. "$T_ROOT/tests/guest/lib/container.sh"

B=$T_ROOT/tests/guest/cases/guard_bench
PIN=/sys/fs/bpf/bh-guard-bench
OPENS=${GUARD_BENCH_OPENS:-20000}
EXECS=${GUARD_BENCH_EXECS:-100}
CONNS=${GUARD_BENCH_CONNECTS:-2000}
REPS=${GUARD_BENCH_REPS:-5}
t_defer "'$T_BIN' unload --pin-dir '$PIN'"
echo 1 > /proc/sys/kernel/bpf_stats_enabled || { t_fail guard_bench "kernel.bpf_stats_enabled"; exit 1; }
ct_start b "" pod-b bench b || { t_fail guard_bench "container: $(ct_log b)"; exit 1; }
r=/proc/$(ct_pid b)/root
cp "$B" "$r/tmp/gb" && echo x > "$r/tmp/x" || { t_fail guard_bench "copying the helper"; exit 1; }
top=$(dirname "$(ct_cgroup_dir b)")

rep=1
while [ $rep -le "$REPS" ]; do
	for cfg in off on; do
		"$T_BIN" unload --pin-dir "$PIN" >/dev/null 2>&1
		if [ "$cfg" = on ]; then
			"$B" on "$PIN" "$T_CGROUP2" "$top" || { t_fail guard_bench "loading the guard"; exit 1; }
		fi
		s0=$("$B" prog-stats bh_guard_)
		open=$(ct_exec b /tmp/gb open-loop /tmp/x "$OPENS")
		exec=$(ct_exec b /tmp/gb exec-loop /bin/true "$EXECS")
		conn=$(ct_exec b /tmp/gb connect-loop /tmp "$CONNS")
		s1=$("$B" prog-stats bh_guard_)
		echo "GUARDBENCH $cfg $rep ${open:-0} ${exec:-0} ${conn:-0} $(echo "$s0 $s1" | awk '{ printf "%d %d", $3 - $1, $4 - $2 }')"
	done
	rep=$((rep + 1))
done
t_pass guard_bench
t_finish
