#!/bin/bash
# The events benchmark (make bench): how fast the agent delivers process
# events as JSON lines to a file, whether it loses any, and what it costs,
# next to the peers that print each event, all on the same workload:
#
#   bulkhead    bulkhead run --json-file F (fork, exec, exit: 3 events a spawn)
#   execsnoop   libbpf-tools execsnoop > F (exec: 1 event a spawn)
#   opensnoop   libbpf-tools opensnoop > F (the workload's one open: 1 event a spawn)
#   bpftrace    bpftrace printing fork, exec and exit like bulkhead (3 events a spawn)
#   baseline    nothing attached
#
# Workload: events_load, WORKERS processes (forked by it: those forks are not
# counted) that vfork+exec a tiny static program (it opens /dev/null once) as
# fast as they can, SPAWNS in total; with WORKERS = the number of CPUs it is the
# highest exec rate this machine produces. A second part, the fork storm, only
# forks and exits (FORKS in total, 2 events each): the highest process-event
# rate there is; there only bulkhead and bpftrace have events to print.
# Runs are interleaved (REPS rounds of every tool in turn) and the summary
# gives medians: events delivered, lost (expected - delivered; for bulkhead
# also the kernel's own count), the workload's wall time relative to the
# baseline, and each tool's CPU time (utime + stime from /proc/PID/stat,
# from just before the workload until its output settled) per million events.
#
#   SPAWNS=20000 REPS=5 WORKERS=2 bash bench/events.sh [build dir]
set -u
BUILD=${1:-build}
SPAWNS=${SPAWNS:-20000}
FORKS=${FORKS:-60000}
REPS=${REPS:-5}
WORKERS=${WORKERS:-$(nproc)}
TOOLS=${TOOLS:-"baseline bulkhead execsnoop opensnoop bpftrace"}
FORK_TOOLS=${FORK_TOOLS:-"baseline bulkhead bpftrace"}
BIN=$BUILD/bulkhead
LOAD=$BUILD/bench/events_load
PROG_SRC=$BUILD/bench/bhbench_nop
W=$(mktemp -d /dev/shm/bh-bench-XXXXXX) || exit 1
PROG=$W/bhbench_nop		# on tmpfs: exec never waits for a disk
RES=$W/results
PIDS=""
HZ=$(getconf CLK_TCK)

cleanup() {
	local p
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for f in "$BIN" "$LOAD" "$PROG_SRC"; do
	[ -x "$f" ] || { echo "bench: $f is not built (make bench builds it)" >&2; exit 1; }
done
cp "$PROG_SRC" "$PROG"
have() { command -v "$1" >/dev/null 2>&1; }
for t in $TOOLS; do
	case $t in
	execsnoop|opensnoop) have /usr/sbin/$t || { echo "bench: /usr/sbin/$t missing (apt-get install libbpf-tools): skipped" >&2; TOOLS=${TOOLS//$t/}; } ;;
	bpftrace) have bpftrace || { echo "bench: bpftrace missing (apt-get install bpftrace): skipped" >&2; TOOLS=${TOOLS//$t/}; } ;;
	esac
done
grep -q ' /sys/fs/bpf bpf ' /proc/mounts || mount -t bpf bpf /sys/fs/bpf
grep -q ' /sys/kernel/tracing tracefs ' /proc/mounts || mount -t tracefs tracefs /sys/kernel/tracing

cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# wait_settled FILE: until FILE stops growing for 0.5 s (the tool has caught up).
wait_settled() {
	local last=-1 now i
	for i in $(seq 100); do
		now=$(stat -c %s "$1" 2>/dev/null || echo 0)
		[ "$now" = "$last" ] && return 0
		last=$now
		sleep 0.5
	done
}

BT='tracepoint:sched:sched_process_fork { printf("F %d %s %d\n", pid, comm, args->child_pid); }
tracepoint:sched:sched_process_exec { printf("E %d %s %s\n", pid, comm, str(args->filename)); }
tracepoint:sched:sched_process_exit { printf("X %d %s\n", pid, comm); }'

# run TOOL ROUND [fork]: start the tool, run the workload, stop, count. Appends a result line:
#   tool round expected delivered lost_kernel load_seconds cpu_seconds
run() {
	local tool="$1" round="$2" mode="${3:-exec}" out="$W/$1.$2.out" log="$W/$1.$2.log" pid="" c0=0 c1=0 secs expected delivered kl=0 i
	local res=$RES
	case $tool in
	baseline) ;;
	bulkhead)
		"$BIN" run --json-file "$out" --lock-file "$W/bh.lock" --policy "$W/none" 2> "$log" &
		pid=$!
		for i in $(seq 100); do grep -q 'agent: ready' "$log" && break; sleep 0.1; done ;;
	execsnoop|opensnoop)
		/usr/sbin/$tool > "$out" 2> "$log" &
		pid=$!
		sleep 2 ;;
	bpftrace)
		bpftrace -o "$out" -e "$BT" 2> "$log" &
		pid=$!
		for i in $(seq 200); do grep -q 'Attaching' "$out" 2>/dev/null && break; sleep 0.1; done
		sleep 0.5 ;;
	esac
	PIDS="$PIDS $pid"
	# Start-up work (bulkhead's walk of the cgroup tree, bpftrace's compilation) is not
	# what is measured: wait until the tool is idle.
	if [ -n "$pid" ]; then
		for i in $(seq 20); do
			c0=$(cpu_ticks "$pid"); sleep 0.5
			[ "$(cpu_ticks "$pid")" = "$c0" ] && break
		done
		c0=$(cpu_ticks "$pid")
	fi
	if [ "$mode" = fork ]; then
		secs=$("$LOAD" -n "$FORKS" -j "$WORKERS" -f | awk '{ print $4 }')
		res=$RES.fork
	else
		secs=$("$LOAD" -n "$SPAWNS" -j "$WORKERS" "$PROG" | awk '{ print $4 }')
	fi
	if [ -n "$pid" ]; then
		sleep 0.3
		[ "$tool" = bulkhead ] && wait_settled "$out"
		[ "$tool" != bulkhead ] && sleep 1
		c1=$(cpu_ticks "$pid")
		if [ "$tool" = bulkhead ]; then kill -TERM "$pid"; else kill -INT "$pid"; fi
		wait "$pid" 2>/dev/null
	fi
	case $mode.$tool in
	*.baseline) expected=0; delivered=0 ;;
	fork.bulkhead)
		# forks by events_load (its workers' included) and exits of events_load (workers and main too)
		expected=$((FORKS * 2))
		delivered=$(( $(grep -F '"kind":"fork"' "$out" | grep -cF '"comm":"events_load"') +
			      $(grep -F '"kind":"exit"' "$out" | grep -cF '"comm":"events_load"') - 2 * WORKERS - 1 ))
		kl=$(sed -n 's/.*stopped: .* \([0-9]*\) lost,.*/\1/p' "$log" | tail -1) ;;
	fork.bpftrace)
		expected=$((FORKS * 2))
		delivered=$(( $(grep -c '^F [0-9]* events_load ' "$out") + $(grep -c '^X [0-9]* events_load$' "$out") - 2 * WORKERS - 1 )) ;;
	exec.bulkhead)
		expected=$((SPAWNS * 3))
		delivered=$(( $(grep -F '"kind":"exec"' "$out" | grep -cF "\"exe\":\"$PROG\"") +
			      $(grep -F '"kind":"exit"' "$out" | grep -cF '"comm":"bhbench_nop"') +
			      $(grep -F '"kind":"fork"' "$out" | grep -cF '"comm":"events_load"') - WORKERS ))
		kl=$(sed -n 's/.*stopped: .* \([0-9]*\) lost,.*/\1/p' "$log" | tail -1) ;;
	exec.execsnoop) expected=$SPAWNS; delivered=$(grep -c '^bhbench_nop ' "$out") ;;
	exec.opensnoop) expected=$SPAWNS; delivered=$(grep -c ' bhbench_nop .*/dev/null' "$out") ;;
	exec.bpftrace)
		expected=$((SPAWNS * 3))
		delivered=$(( $(grep -c "^E [0-9]* bhbench_nop $PROG\$" "$out") + $(grep -c '^X [0-9]* bhbench_nop$' "$out") +
			      $(grep -c '^F [0-9]* events_load ' "$out") - WORKERS )) ;;
	esac
	echo "$tool $round $expected $delivered ${kl:-0} $secs $(awk -v a="$c0" -v b="$c1" -v hz="$HZ" 'BEGIN { printf "%.3f", (b - a) / hz }')" >> "$res"
	printf '  %s round %d %-10s %7s events expected, %7s delivered, load %6ss\n' "$mode" "$round" "$tool" "$expected" "$delivered" "$secs" >&2
	rm -f "$out"
}

echo "bench: events: $SPAWNS spawns x $WORKERS workers, $REPS interleaved rounds of: $TOOLS" >&2
echo "bench: kernel $(uname -r), $(nproc) CPUs, bulkhead $("$BIN" version 2>/dev/null)" >&2
for r in $(seq "$REPS"); do
	for t in $TOOLS; do run "$t" "$r"; done
done
echo "bench: fork storm: $FORKS forks x $WORKERS workers, $REPS interleaved rounds of: $FORK_TOOLS" >&2
for r in $(seq "$REPS"); do
	for t in $FORK_TOOLS; do
		case " $TOOLS " in *" $t "*) run "$t" "$r" fork ;; esac
	done
done

# Medians and ratios.
summary() {
awk '
function median(arr, n,    i, j, t) {
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (arr[j] < arr[i]) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
	return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
}
{
	t = $1; n[t]++; k = n[t]
	exp_[t] = $3; del[t, k] = $4; lost[t, k] = $3 - $4; kl[t, k] = $5; secs[t, k] = $6; cpu[t, k] = $7
	if (!(t in seen)) { seen[t] = 1; order[++nt] = t }
}
END {
	for (k = 1; k <= n["baseline"]; k++) b[k] = secs["baseline", k]
	base = median(b, n["baseline"])
	printf "\n%-10s %9s %10s %9s %9s %12s %9s %9s %13s\n", "tool", "expected", "delivered", "lost", "max lost", "events/s", "load s", "vs base", "CPU s/1M ev"
	for (i = 1; i <= nt; i++) {
		t = order[i]; m = n[t]
		for (k = 1; k <= m; k++) { a1[k] = del[t, k]; a2[k] = lost[t, k]; a3[k] = secs[t, k]; a4[k] = cpu[t, k] }
		d = median(a1, m); l = median(a2, m); maxl = a2[m]; s = median(a3, m); c = median(a4, m)
		if (t == "baseline") {
			printf "%-10s %9s %10s %9s %9s %12s %9.2f %9s %13s\n", t, "-", "-", "-", "-", "-", s, "1.00", "-"
			continue
		}
		printf "%-10s %9d %10d %9d %9d %12.0f %9.2f %9.2f %13.3f\n", t, exp_[t], d, l, maxl, d / s, s, s / base, d ? c / d * 1e6 : 0
	}
	printf "\n(medians of %d rounds; lost = expected - delivered, max lost over all rounds;\n events/s = delivered / load seconds; vs base = load time / baseline load time;\n CPU = the tool process from the start of the workload until its output settled)\n", n["baseline"] ? n["baseline"] : m
}' "$1"
if grep -q '^bulkhead ' "$1"; then
	kmax=$(awk '$1 == "bulkhead" { if ($5 > m) m = $5 } END { print m + 0 }' "$1")
	echo "bulkhead: kernel-side lost records over all rounds: at most $kmax per run"
fi
}
echo
echo "== exec workload: $SPAWNS spawns (fork + exec + exit; one open) x $WORKERS workers"
summary "$RES"
if [ -s "$RES.fork" ]; then
	echo
	echo "== fork storm: $FORKS forks (fork + exit) x $WORKERS workers"
	summary "$RES.fork"
fi
