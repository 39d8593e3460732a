#!/bin/bash
# make anomaly-bench: the anomaly engine measured on this machine's kernel.
#  1. detection latency: from the start of each anomaly (a real runc container)
#     to its alert line's time stamp; targets 2 s for bursts, 30 s for sustained CPU/memory
#  2. the engine's CPU with 200 containers: 200 cgroups in a kubepods layout, a
#     sleeping process in each; the agent's CPU seconds over 60 s with the engine and
#     with --no-anomaly, interleaved (median of 3 each); target <= 1 % of one core
#  3. false alerts of a benign steady container over 120 s, extrapolated to an hour
# Everything it makes is removed at exit.
cd "$(dirname "$0")/.." || exit 1
export T_ROOT=$PWD T_BUILD=${BUILD:-build}
T_BUILD=$PWD/$T_BUILD
. tests/lib/common.sh
. tests/lib/agent.sh
CT_TOP=bulkhead-bench-anom-$$
. tests/lib/container.sh
t_mount_kernel_fs
ct_rootfs || exit 1
J=$T_WORK/bench-anom-$$.json
RUNS=${ANOM_BENCH_RUNS:-3}
CPU_SECS=${ANOM_BENCH_CPU_SECS:-60}
BENIGN_SECS=${ANOM_BENCH_BENIGN_SECS:-120}

now() { date +%s.%N; }
# seconds from $2 (date +%s.%N) to the first alert of rule $1 for container name $3
latency() {
	local t
	t=$(grep '"action":"alert"' "$T_WORK/bench-anom-$$.json" | grep "\"name\":\"$3\"" |
		grep "\"rule\":\"$1\"" | head -1 | sed -n 's/^{"time":"\([^"]*\)".*/\1/p')
	[ -n "$t" ] || { echo "none"; return; }
	echo "$(date -d "$t" +%s.%N) $2" | awk '{ printf "%.2f", $1 - $2 }'
}
v1_dir() { echo "/sys/fs/cgroup/$1$(ct_cgroup_path "$2")"; }

# ANOM_BENCH_PART=cpu: only the CPU measure (the latency and false-alert parts take ~3 min)
if [ "${ANOM_BENCH_PART:-all}" = all ]; then
agent_start bench-anom-$$ --state-root "$(ct_root)" --anomaly-state none --no-fork-events \
	--policy /nonexistent-bench-$$ || exit 1
echo "== anomaly detection latency (start of the anomaly -> alert time stamp)"
ct_start bomb "" bomb-0 bench bomb; sleep 2
echo 64 > "$(v1_dir pids bomb)/pids.max"
t0=$(now); ct_exec bomb sh -c 'b() { b & b & wait; }; b' >/dev/null 2>&1
t_wait_for 20 grep -q '"rule":"fork-bomb"' "$J"
echo "fork bomb (pids.max 64)          $(latency fork-bomb "$t0" bomb) s   (target 2 s)"
ct_start scan "" scan-0 bench scan; sleep 2
t0=$(now); ct_exec scan sh -c 'ip link set lo up; for p in $(seq 1 300); do nc -w 1 127.0.0.1 $p </dev/null >/dev/null 2>&1; done'
t_wait_for 10 grep -q '"rule":"port-scan"' "$J"
echo "port scan (300 ports, loopback)  $(latency port-scan "$t0" scan) s   (target 2 s)"
CT_BINDS="$T_BUILD/tests/helpers/netprobe:/tmp/netprobe:ro" ct_start burst "" burst-0 bench burst; sleep 2
ct_exec burst sh -c 'ip link set lo up; /tmp/netprobe serve tcp 127.0.0.1 9000 >/dev/null & sleep 0.5; echo $(date +%s.%N) > /tmp/t0;
	/tmp/netprobe loop tcp 127.0.0.1 9000 3000 >/dev/null; cat /tmp/t0; kill %1' > "$T_WORK/bench-burst-$$" 2>/dev/null
t_wait_for 10 grep -q '"rule":"connection-burst"' "$J"
echo "connection burst (one port)      $(latency connection-burst "$(tail -1 "$T_WORK/bench-burst-$$")" burst) s   (target 2 s)"
rm -f "$T_WORK/bench-burst-$$"
ct_start rsh "" rsh-0 bench rsh; sleep 2
t0=$(now); ct_exec rsh sh -c 'ip link set lo up; (sleep 3 | nc -l -p 4444 >/dev/null) & sleep 0.5; nc 127.0.0.1 4444 -e /bin/sh; wait' >/dev/null 2>&1
t_wait_for 10 grep -q '"rule":"reverse-shell"' "$J"
echo "reverse shell (nc -e /bin/sh)    $(latency reverse-shell "$t0" rsh) s   (0.5 s of it is the test's own sleep)"
ct_start mem "" mem-0 bench mem; sleep 2
echo $((64 << 20)) > "$(v1_dir memory mem)/memory.limit_in_bytes"
t0=$(now); ct_exec mem sh -c 'x=aaaaaaaaaaaaaaaa; while :; do x="$x$x"; done' >/dev/null 2>&1
t_wait_for 15 grep -q '"rule":"memory-balloon"' "$J"
echo "memory balloon to OOM (64 MiB)   $(latency memory-balloon "$t0" mem) s   (target 30 s)"
t0=$(now); ct_start cpu "" miner-0 bench cpu timeout 60 sh -c 'while :; do :; done'
t_wait_for 50 grep -q '"rule":"cpu-burn"' "$J"
echo "sustained CPU burn (one core)    $(latency cpu-burn "$t0" cpu) s   (target 30 s; the rule wants 10 s over a 10 s average)"
for c in bomb scan burst rsh mem cpu; do ct_stop $c; done

echo "== false alerts of a benign steady container over ${BENIGN_SECS} s"
: > "$J.mark"; before=$(grep -c -- '-anomaly"' "$J")
ct_start benign "" web-7d9f8b6c4d-x2x7q bench app sh -c '
	nc -ll -p 8080 -e /bin/cat >/dev/null 2>&1 &
	while :; do
		i=0; while [ $i -lt 1500 ]; do i=$((i+1)); done
		sleep 0.2; echo hi | nc -w 1 127.0.0.1 8080 >/dev/null 2>&1
		[ $(( $(date +%s) % 30 )) -eq 0 ] && for k in $(seq 100); do /bin/echo $k >/dev/null; done
	done'
sleep "$BENIGN_SECS"
n=$(grep -- '-anomaly"' "$J" | grep '"action":"alert"' | grep -c '"name":"app"')
echo "benign alerts: $n in ${BENIGN_SECS} s -> $(awk -v n="$n" -v s="$BENIGN_SECS" 'BEGIN { printf "%.1f", n * 3600 / s }') per hour (extrapolated)"
ct_stop benign
agent_stop bench-anom-$$
fi

echo "== the engine's CPU with 200 containers (${CPU_SECS} s per run, median of $RUNS)"
TOP=$(t_cgroup2_root)/bulkhead-bench-anom-cg-$$
mkdir -p "$TOP/kubepods"
cleanup_cgs() {
	local d
	for d in "$TOP"/kubepods/pod*/*; do
		[ -d "$d" ] || continue
		for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	done
	sleep 0.2
	for d in "$TOP"/kubepods/pod*/*; do rmdir "$d" 2>/dev/null; done
	for d in "$TOP"/kubepods/pod*; do rmdir "$d" 2>/dev/null; done
	rmdir "$TOP/kubepods" "$TOP" 2>/dev/null
}
t_defer cleanup_cgs
for i in $(seq 1 200); do
	d=$TOP/kubepods/pod$(printf '%08d-0000-0000-0000-%012d' "$i" "$i")/$(printf '%064x' "$i")
	mkdir -p "$d"
	sh -c "echo \$\$ > $d/cgroup.procs; exec sleep 100000" &
done
sleep 1
agent_cpu() {	# agent_cpu ARGS... -> CPU seconds the agent used over CPU_SECS
	local pid a b
	agent_start bench-cpu-$$ --anomaly-state none --no-fork-events --policy /nonexistent-bench-$$ "$@" >/dev/null || return 1
	pid=$(cat "$T_WORK/bench-cpu-$$.pid")
	sleep 10	# the start-up walk and attribution settle
	a=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
	sleep "$CPU_SECS"
	b=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
	agent_stop bench-cpu-$$
	echo "$a $b $(getconf CLK_TCK)" | awk '{ printf "%.3f", ($2 - $1) / $3 }'
}
on=""; off=""
for r in $(seq 1 "$RUNS"); do
	on="$on $(agent_cpu)"
	off="$off $(agent_cpu --no-anomaly)"
done
med() { echo "$@" | tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
m_on=$(med $on); m_off=$(med $off)
echo "agent CPU seconds in ${CPU_SECS} s: with the engine $m_on (runs:$on), without $m_off (runs:$off)"
echo "$m_on $m_off $CPU_SECS" | awk '{ printf "the anomaly engine: %.2f %% of one core with 200 containers (target <= 1 %%)\n", ($1 - $2) * 100 / $3 }'
