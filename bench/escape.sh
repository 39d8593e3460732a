#!/bin/bash
# Escape detection's cost on a benign container workload (make bench): one runc
# container runs the same shell workload (forks, execs, opens, file writes:
# `cat` of a binary, `ls`, a small file rewritten) under three configs,
# interleaved round by round, and the bench prints the medians of its wall time:
#
#   none     no agent
#   off      the agent with --no-escape-detection --no-anomaly
#   on       the agent as shipped (escape detection and anomaly detection on)
#
# The ratio on/off is the detector's cost on a container that does nothing
# wrong; on/none is the whole agent's. Then the agent's own CPU per event with
# detection on comes from the events bench (bench/events.sh).
#
#   ESC_REPS=5 ESC_ITERS=1500 bash bench/escape.sh [build dir]
set -u
BUILD=${1:-build}
REPS=${ESC_REPS:-5}
ITERS=${ESC_ITERS:-1500}
export T_ROOT=$(cd "$(dirname "$0")/.." && pwd)
export T_BUILD=$T_ROOT/$BUILD
export T_BIN=$T_BUILD/bulkhead
. "$T_ROOT/tests/lib/common.sh"
. "$T_ROOT/tests/lib/container.sh"
. "$T_ROOT/tests/lib/agent.sh"
t_mount_kernel_fs

[ -x "$T_BIN" ] || { echo "bench: $T_BIN is not built" >&2; exit 1; }
ct_start bench "" pod-bench bench bench sleep 3600 || { echo "bench: container: $(ct_log bench)" >&2; exit 1; }
WORK='i=0; while [ $i -lt '$ITERS' ]; do cat /bin/busybox > /dev/null; ls / > /dev/null;
	echo $i > /tmp/f; i=$((i + 1)); done'
R=$(mktemp -d /tmp/bh-escbench-XXXXXX)
t_defer "rm -rf '$R'"

# run CONFIG: one timed run of the workload, its wall time (ms) appended to $R/CONFIG
run() {
	local cfg="$1" t0 t1
	case "$cfg" in
	off) agent_start ebench --containers-only --state-root "$(ct_root)" --no-escape-detection --no-anomaly \
		--no-policy-watch > /dev/null || return 1 ;;
	on) agent_start ebench --containers-only --state-root "$(ct_root)" --policy "$T_ROOT/policies" \
		--pin-dir /sys/fs/bpf/bulkhead-bench-$$ --detach-on-exit --anomaly-state none \
		--no-policy-watch > /dev/null || return 1 ;;
	esac
	sleep 1
	t0=$(date +%s%N)
	ct_exec bench sh -c "$WORK" || return 1
	t1=$(date +%s%N)
	[ "$cfg" = none ] || agent_stop ebench > /dev/null 2>&1
	echo $(( (t1 - t0) / 1000000 )) >> "$R/$cfg"
}

for r in $(seq "$REPS"); do
	for cfg in none off on; do
		run "$cfg" || { echo "bench: $cfg run $r failed" >&2; exit 1; }
	done
done
rm -rf /sys/fs/bpf/bulkhead-bench-$$
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
spread() { sort -n "$1" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%d-%d", lo, hi }'; }
none=$(median "$R/none"); off=$(median "$R/off"); on=$(median "$R/on")
echo
echo "escape detection on a benign container workload ($ITERS rounds of cat+ls+write, $REPS interleaved runs, medians)"
printf '%-8s %10s %14s %8s\n' config "wall ms" "spread ms" "vs none"
for cfg in none off on; do
	m=$(median "$R/$cfg")
	printf '%-8s %10s %14s %8s\n' "$cfg" "$m" "$(spread "$R/$cfg")" "$(awk -v a="$m" -v b="$none" 'BEGIN { printf "%.2fx", a / b }')"
done
echo "detection on / off: $(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.2fx", a / b }')"
