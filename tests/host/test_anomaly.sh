#!/bin/bash
# Anomaly detection (userspace/anomaly/, bpf/anomaly.bpf.c) against real runc
# containers: each anomaly raises exactly one alert of its category for its
# episode (fork bomb, CPU burn, memory balloon to OOM, port scan, connection
# burst, reverse shell), an episode ends with one "resolved" event, and a benign
# steady workload next to them (CPU ~30 %, periodic requests, a compile-like
# burst of execs, a batch job, container churn, a web server under a load of
# 300 sequential wget) raises none. Every workload is
# bounded by the test (pids.max, memory limit, loop limits) and killed by it.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/agent.sh"
CT_TOP=bulkhead-test-anom-$$
. "$(dirname "$0")/../lib/container.sh"
t_mount_kernel_fs
ct_rootfs || { t_fail setup "no busybox root"; exit 1; }

P=$T_BUILD/tests/helpers/netprobe
[ -x "$P" ] || { t_fail setup "$P is not built (make test-bins)"; exit 1; }
NAME=anom-$$
J=$T_WORK/$NAME.json
STATE=$T_WORK/anom-$$.state
t_defer "rm -f '$STATE' '$STATE.tmp'"
agent_start "$NAME" --state-root "$(ct_root)" --anomaly-state "$STATE" --no-fork-events \
	--policy /nonexistent-bulkhead-test-$$ ||
	{ t_fail agent_starts "see $T_WORK/$NAME.log"; exit 1; }
if grep -q 'anomaly detection on' "$T_WORK/$NAME.log"; then t_pass anomaly_loads
else t_fail anomaly_loads "$(grep anomaly "$T_WORK/$NAME.log")"; exit 1; fi

# anomaly alerts of container $1 (its name): one JSON line each
alerts_of() { grep '"kind":"alert"' "$J" | grep '"action":"alert"' | grep -- '-anomaly"' |
	grep "\"name\":\"$1\"" ; }
resolved_of() { grep '"kind":"alert"' "$J" | grep '"action":"resolved"' | grep "\"name\":\"$1\"" ; }
has_rule() { alerts_of "$1" | grep -q "\"rule\":\"$2\""; }

# v1 hierarchy directory of a container (runc puts it at the same path in each)
v1_dir() { echo "/sys/fs/cgroup/$1$(ct_cgroup_path "$2")"; }

# exactly_one NAME CONTAINER RULE CATEGORY
exactly_one() {
	local n rules
	n=$(alerts_of "$2" | grep -c "\"rule\":\"$3\"")
	rules=$(alerts_of "$2" | sed -n 's/.*"rule":"\([^"]*\)".*/\1/p' | sort | uniq -c | tr '\n' ' ')
	if [ "$n" -eq 1 ] && [ "$(alerts_of "$2" | wc -l)" -eq 1 ] &&
	   alerts_of "$2" | grep -q "\"category\":\"$4\""; then
		t_pass "$1"
	else
		t_fail "$1" "expected one $3 ($4) alert for $2, got: ${rules:-none}"
	fi
}

# ---- benign, steady, started first and watched until the end ----
ct_start benign "" web-7d9f8b6c4d-x2x7q bh-anom app sh -c '
	nc -ll -p 8080 -e /bin/cat >/dev/null 2>&1 &
	n=0
	while [ $n -lt 1000 ]; do
		i=0; while [ $i -lt 1500 ]; do i=$((i+1)); done   # about 30 % of a CPU
		sleep 0.2
		[ $((n % 10)) -eq 0 ] && echo hi | nc -w 1 127.0.0.1 8080 >/dev/null 2>&1
		n=$((n+1))
	done' || { t_fail setup "benign container"; exit 1; }

# ---- fork bomb, bounded by pids.max ----
ct_start bomb "" bomb-0 bh-anom bomb || { t_fail setup "bomb container"; exit 1; }
echo 64 > "$(v1_dir pids bomb)/pids.max" || t_fail setup "pids.max"
ct_exec bomb sh -c 'b() { b & b & wait; }; b' >/dev/null 2>&1 &
t_wait_for 20 has_rule bomb fork-bomb
ct_stop bomb
t_wait_for 10 eval 'resolved_of bomb | grep -q fork-bomb'
exactly_one fork_bomb_one_alert bomb fork-bomb resource-anomaly
if resolved_of bomb | grep -q '"rule":"fork-bomb"'; then t_pass fork_bomb_resolved
else t_fail fork_bomb_resolved "no resolved event for the fork bomb"; fi
if alerts_of bomb | grep -q '"top_comm":"sh"'; then t_pass fork_bomb_top_process
else t_fail fork_bomb_top_process "$(alerts_of bomb | head -1)"; fi

# ---- port scan inside the container's own network namespace ----
ct_start scan "" scan-0 bh-anom scan || { t_fail setup "scan container"; exit 1; }
ct_exec scan sh -c 'ip link set lo up 2>/dev/null; for p in $(seq 1 300); do nc -w 1 127.0.0.1 $p </dev/null >/dev/null 2>&1; done'
t_wait_for 10 has_rule scan port-scan
exactly_one port_scan_one_alert scan port-scan network-anomaly
ct_stop scan

# ---- connection burst: one port, many connects ----
CT_BINDS="$P:/tmp/netprobe:ro" ct_start burst "" burst-0 bh-anom burst ||
	{ t_fail setup "burst container"; exit 1; }
ct_exec burst sh -c 'ip link set lo up 2>/dev/null; /tmp/netprobe serve tcp 127.0.0.1 9000 >/dev/null & sleep 0.5;
	/tmp/netprobe loop tcp 127.0.0.1 9000 3000; kill %1' >/dev/null 2>&1
t_wait_for 10 has_rule burst connection-burst
exactly_one connection_burst_one_alert burst connection-burst network-anomaly
ct_stop burst

# ---- connection burst of refused connects: one closed port, over and over ----
CT_BINDS="$P:/tmp/netprobe:ro" ct_start refused "" refused-0 bh-anom refused ||
	{ t_fail setup "refused container"; exit 1; }
ct_exec refused sh -c 'ip link set lo up 2>/dev/null; /tmp/netprobe loop tcp 127.0.0.1 9001 3000' >/dev/null 2>&1
t_wait_for 10 has_rule refused connection-burst
exactly_one connection_burst_refused_one_alert refused connection-burst network-anomaly
ct_stop refused

# ---- reverse shell: nc -e /bin/sh to a listener ----
ct_start rsh "" rsh-0 bh-anom rsh || { t_fail setup "rsh container"; exit 1; }
ct_exec rsh sh -c 'ip link set lo up 2>/dev/null; (sleep 3 | nc -l -p 4444 >/dev/null) & sleep 0.5;
	nc 127.0.0.1 4444 -e /bin/sh; wait' >/dev/null 2>&1
t_wait_for 10 has_rule rsh reverse-shell
exactly_one reverse_shell_one_alert rsh reverse-shell behaviour-anomaly
ct_stop rsh

# ---- memory balloon up to OOM, inside a 64 MiB limit ----
ct_start mem "" mem-0 bh-anom mem || { t_fail setup "mem container"; exit 1; }
echo $((64 << 20)) > "$(v1_dir memory mem)/memory.limit_in_bytes" || t_fail setup "memory limit"
ct_exec mem sh -c 'x=aaaaaaaaaaaaaaaa; while :; do x="$x$x"; done' >/dev/null 2>&1
t_wait_for 15 has_rule mem memory-balloon
exactly_one memory_balloon_one_alert mem memory-balloon resource-anomaly
if alerts_of mem | grep -q '"oom_kills":[1-9]'; then t_pass memory_balloon_oom_named
else t_fail memory_balloon_oom_named "$(alerts_of mem | head -1)"; fi
ct_stop mem

# ---- sustained CPU burn (the rule wants 10 s of a 10 s average at 80 % of a CPU) ----
ct_start cpu "" miner-0 bh-anom cpu timeout 60 sh -c 'while :; do :; done' ||
	{ t_fail setup "cpu container"; exit 1; }
t_wait_for 45 has_rule cpu cpu-burn
ct_stop cpu
exactly_one cpu_burn_one_alert cpu cpu-burn resource-anomaly

# ---- benign: compile-like exec burst, a batch job, container churn ----
ct_exec benign sh -c 'for i in $(seq 300); do /bin/echo $i >/dev/null; done'
ct_exec benign sh -c 'seq 1 300000 | md5sum >/dev/null'
# a web server under load: busybox httpd and 300 sequential wget in its own network
# namespace (tests/attacks/benign.tsv benign-web-load), several hundred connects/s
ct_start web "" web-load-0 bh-anom web || { t_fail setup "web container"; exit 1; }
WEB_CMD=$(awk -F'\t' '$1 == "benign-web-load" { print $4 }' "$T_ROOT/tests/attacks/benign.tsv")
if ct_exec web sh -c "$WEB_CMD" 2>&1 | grep -q 'benign-marker web-load 300'; then t_pass benign_web_load_ran
else t_fail benign_web_load_ran "the benign-web-load workload did not finish its 300 requests"; fi
for i in 1 2; do
	ct_start churn$i "" churn-$i bh-anom churn sh -c 'seq 1 20000 | md5sum; sleep 1' >/dev/null 2>&1
	ct_stop churn$i
done
sleep 2
n=$(grep '"kind":"alert"' "$J" | grep -- '-anomaly"' | grep -c '"name":"\(app\|churn\|web\)"')
ct_stop benign
ct_stop web
if [ "$n" -eq 0 ]; then t_pass benign_no_alerts
else t_fail benign_no_alerts "$(grep -- '-anomaly"' "$J" | grep '"name":"\(app\|churn\|web\)"' | head -3)"; fi

# ---- baselines persisted, and a bad state file refused whole ----
agent_stop "$NAME"
if head -1 "$STATE" 2>/dev/null | grep -q 'bulkhead-anomaly-state 1' && grep -q '^w bh-anom/web/app cpu' "$STATE"; then
	t_pass state_saved
else t_fail state_saved "$(head -3 "$STATE" 2>&1)"; fi
printf 'bulkhead-anomaly-state 1\nw x cpu 1 nan 0 0\n' > "$STATE"
agent_start "$NAME" --state-root "$(ct_root)" --anomaly-state "$STATE" --policy /nonexistent-bulkhead-test-$$ ||
	{ t_fail agent_restarts "see $T_WORK/$NAME.log"; exit 1; }
if grep -q 'state file .*line 2: bad mean' "$T_WORK/$NAME.log"; then t_pass bad_state_refused
else t_fail bad_state_refused "$(grep anomaly "$T_WORK/$NAME.log")"; fi
agent_stop "$NAME"
