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
# baseline, and each tool's CPU time per million events.
#
# CPU time: every tool runs alone in a cgroup of its own that the bench makes
# (bulkhead-test-bench-TOOL-PID, removed at the end, also on failure), and its
# cpu.stat usage_usec (all threads, microseconds) is read when the tool has
# gone idle before the workload and again when its output has settled (grew
# by less than 1/16 of its rate during the workload in the last second;
# events_watch polls without starting processes, which would be events too). CPU per million events divides it by the
# lines the tool wrote in that window: the workload's events and any other
# process's on the machine, which every tool here traces too. (The kernel-side
# cost of the BPF programs runs in the workload's processes: see "vs base".)
#
#   SPAWNS=20000 REPS=5 WORKERS=2 bash bench/events.sh [build dir]
#
# A/B comparisons: a tool named bulkhead_X runs the binary in $BIN_X (default: the
# build's) with the extra run options in $ARGS_X, e.g.
#   BIN_old=/tmp/bulkhead.old TOOLS="bulkhead_old bulkhead" bash bench/events.sh
#   ARGS_d200="--drain-ms 200" TOOLS="baseline bulkhead bulkhead_d200" bash bench/events.sh
set -u
BUILD=${1:-build}
SPAWNS=${SPAWNS:-20000}
FORKS=${FORKS:-60000}
REPS=${REPS:-5}
WORKERS=${WORKERS:-$(nproc)}
TOOLS=${TOOLS:-"baseline bulkhead execsnoop opensnoop bpftrace"}
FORK_TOOLS=${FORK_TOOLS:-}	# default: TOOLS but execsnoop and opensnoop (no events to print)
BIN=$BUILD/bulkhead
LOAD=$BUILD/bench/events_load
WATCH=$BUILD/bench/events_watch
PROG_SRC=$BUILD/bench/bhbench_nop
W=$(mktemp -d /dev/shm/bh-bench-XXXXXX) || exit 1
PROG=$W/bhbench_nop		# on tmpfs: exec never waits for a disk
RES=$W/results
PIDS=""
if grep -q ' /sys/fs/cgroup/unified cgroup2 ' /proc/mounts; then CG2=/sys/fs/cgroup/unified; else CG2=/sys/fs/cgroup; fi

# cg_remove DIR: kill what is left inside, then remove the cgroup.
cg_remove() {
	local i p
	[ -d "$1" ] || return 0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		for p in $(cat "$1/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		rmdir "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench: cannot remove $1" >&2
}

cleanup() {
	local p d
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	for d in "$CG2"/bulkhead-test-bench-*-$$; do cg_remove "$d"; done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for f in "$BIN" "$LOAD" "$WATCH" "$PROG_SRC"; do
	[ -x "$f" ] || { echo "bench: $f is not built (make bench builds it)" >&2; exit 1; }
done
cp "$PROG_SRC" "$PROG"
have() { command -v "$1" >/dev/null 2>&1; }
for t in $TOOLS; do
	case $t in
	bulkhead_*) v=BIN_${t#bulkhead_}; [ -x "${!v:-$BIN}" ] || { echo "bench: $t: \$$v is not an executable" >&2; exit 1; } ;;
	execsnoop|opensnoop) have /usr/sbin/$t || { echo "bench: /usr/sbin/$t missing (apt-get install libbpf-tools): skipped" >&2; TOOLS=${TOOLS//$t/}; } ;;
	bpftrace) have bpftrace || { echo "bench: bpftrace missing (apt-get install bpftrace): skipped" >&2; TOOLS=${TOOLS//$t/}; } ;;
	esac
done
grep -q ' /sys/fs/bpf bpf ' /proc/mounts || mount -t bpf bpf /sys/fs/bpf
grep -q ' /sys/kernel/tracing tracefs ' /proc/mounts || mount -t tracefs tracefs /sys/kernel/tracing

BT='tracepoint:sched:sched_process_fork { printf("F %d %s %d\n", pid, comm, args->child_pid); }
tracepoint:sched:sched_process_exec { printf("E %d %s %s\n", pid, comm, str(args->filename)); }
tracepoint:sched:sched_process_exit { printf("X %d %s\n", pid, comm); }'

# run TOOL ROUND [fork]: start the tool, run the workload, stop, count. Appends a result line:
#   tool round expected delivered lost_kernel load_seconds cpu_seconds lines_in_window
run() {
	local tool="$1" round="$2" mode="${3:-exec}" out="$W/$1.$2.out" log="$W/$1.$2.log" pid="" c0="0 0 0" c1="0 0 0" cpu secs expected delivered kl=0 i
	local res=$RES cg="$CG2/bulkhead-test-bench-$1-$$" bin=$BIN v extra
	# in_cg CMD...: run CMD in the tool's cgroup (from its first instruction).
	in_cg() { exec sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "$@"; }
	[ "$tool" != baseline ] && { mkdir "$cg" || exit 1; }
	case $tool in
	baseline) ;;
	bulkhead*)
		extra=""
		if [ "$tool" != bulkhead ]; then
			v=BIN_${tool#bulkhead_}; bin=${!v:-$BIN}
			v=ARGS_${tool#bulkhead_}; extra=${!v:-}
		fi
		# shellcheck disable=SC2086 # $extra: options, split on purpose
		in_cg "$bin" run --json-file "$out" --lock-file "$W/bh.lock" --policy "$W/none" $extra 2> "$log" &
		pid=$!
		for i in $(seq 100); do grep -q 'agent: ready' "$log" && break; sleep 0.1; done ;;
	execsnoop|opensnoop)
		in_cg /usr/sbin/$tool > "$out" 2> "$log" &
		pid=$!
		sleep 2 ;;
	bpftrace)
		in_cg bpftrace -o "$out" -e "$BT" 2> "$log" &
		pid=$!
		for i in $(seq 200); do grep -q 'Attaching' "$out" 2>/dev/null && break; sleep 0.1; done
		sleep 0.5 ;;
	esac
	PIDS="$PIDS $pid"
	# Start-up work (bulkhead's walk of the cgroup tree, bpftrace's compilation) is not
	# what is measured: wait until the tool is idle.
	if [ -n "$pid" ]; then
		"$WATCH" idle "$cg"
		c0=$("$WATCH" snap "$cg" "$out")
	fi
	if [ "$mode" = fork ]; then
		secs=$("$LOAD" -n "$FORKS" -j "$WORKERS" -f | awk '{ print $4 }')
		res=$RES.fork
	else
		secs=$("$LOAD" -n "$SPAWNS" -j "$WORKERS" "$PROG" | awk '{ print $4 }')
	fi
	if [ -n "$pid" ]; then
		c1=$("$WATCH" settle "$cg" "$out" "${c0##* }" "$secs")
		case $tool in bulkhead*) kill -TERM "$pid" ;; *) kill -INT "$pid" ;; esac
		wait "$pid" 2>/dev/null
		cg_remove "$cg"
	fi
	case $mode.${tool%%_*} in
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
	set -- $c0 $c1
	cpu=$(awk -v a="$1" -v b="$4" 'BEGIN { printf "%.6f", (b - a) / 1e6 }')
	echo "$tool $round $expected $delivered ${kl:-0} $secs $cpu $(($5 - $2))" >> "$res"
	printf '  %s round %d %-12s %7s events expected, %7s delivered, load %6ss, CPU %ss for %s lines\n' \
		"$mode" "$round" "$tool" "$expected" "$delivered" "$secs" "$cpu" "$(($5 - $2))" >&2
	rm -f "$out"
}

echo "bench: events: $SPAWNS spawns x $WORKERS workers, $REPS interleaved rounds of: $TOOLS" >&2
echo "bench: kernel $(uname -r), $(nproc) CPUs, bulkhead $("$BIN" version 2>/dev/null)" >&2
for r in $(seq "$REPS"); do
	for t in $TOOLS; do run "$t" "$r"; done
done
if [ -z "$FORK_TOOLS" ]; then
	for t in $TOOLS; do case $t in execsnoop|opensnoop) ;; *) FORK_TOOLS="$FORK_TOOLS $t" ;; esac; done
fi
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
	exp_[t] = $3; del[t, k] = $4; lost[t, k] = $3 - $4; kl[t, k] = $5; secs[t, k] = $6; cpu[t, k] = $8 ? $7 / $8 * 1e6 : 0
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
		printf "%-10s %9d %10d %9d %9d %12.0f %9.2f %9.2f %13.3f\n", t, exp_[t], d, l, maxl, d / s, s, s / base, c
	}
	printf "\n(medians of %d rounds; lost = expected - delivered, max lost over all rounds;\n events/s = delivered / load seconds; vs base = load time / baseline load time;\n CPU s/1M ev = the tool'"'"'s cgroup CPU time (cpu.stat usage_usec) from the start of the workload\n until its output settled, per million lines it wrote meanwhile)\n", n["baseline"] ? n["baseline"] : m
}' "$1"
if grep -q '^bulkhead' "$1"; then
	kmax=$(awk '$1 ~ /^bulkhead/ { if ($5 > m) m = $5 } END { print m + 0 }' "$1")
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
