#!/bin/bash
# bulkhead run --verify-at-start on this machine's kernel (6.18, no BPF LSM): once ready the
# agent runs `bulkhead verify` (each enabled escape technique in a throwaway privileged runc
# container, under the agent's attach cgroup, the shipped NodeDefault in force) in a thread
# of its own, and exports bulkhead_protection_verified{technique}: 1 where the tracepoint
# sensor killed the technique, 0 where it only alerts (ptrace here). The agent survives,
# keeps serving metrics, and nothing is left behind.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/agent.sh"
. "$(dirname "$0")/test_output_lib.inc"
t_mount_kernel_fs

for tool in runc curl; do
	command -v $tool >/dev/null || { t_skip verify_start "$tool is not installed (scripts/deps.sh test)"; exit 0; }
done
PIN=/sys/fs/bpf/bulkhead-test-vs-$$
TOP=$(t_cgroup_create vs) || { t_fail verify_start_setup "cannot make the test cgroup"; exit 1; }
# runc (hybrid host) makes the containers' parent in every v1 hierarchy too and removes only
# their leaves: remove this test's parent there once the agent is gone (registered first: runs last).
t_defer "for d in /sys/fs/cgroup/*/${TOP##*/}; do [ -d \"\$d\" ] && rmdir \"\$d\"/* \"\$d\" 2>/dev/null; done; true"
t_defer "'$T_BIN' unload --pin-dir '$PIN'"
PM=$(free_port tcp) || { t_fail verify_start_setup "no free port"; exit 1; }
A=vs-$$
if ! agent_start "$A" --policy "$T_ROOT/policies" --attach-cgroup "$TOP" --pin-dir "$PIN" \
	--detach-on-exit --no-anomaly --metrics-addr "127.0.0.1:$PM" --verify-at-start; then
	t_fail verify_start_agent "the agent did not start: $(tail -n 3 "$T_WORK/$A.log")"
	exit 1
fi
APID=$(cat "$T_WORK/$A.pid")
_done() { grep -q -E 'verify: ([0-9]+ escape techniques tried at start|WARNING: [0-9]+ escape techniques NOT PROTECTED)' "$T_WORK/$A.log"; }
if t_wait_for 180 _done; then t_pass verify_start_ran
else t_fail verify_start_ran "no verify summary in the log: $(grep 'verify' "$T_WORK/$A.log" | tail -n 3)"; exit 1; fi
grep 'verify: ' "$T_WORK/$A.log" | sed 's/^/  # /' >&2
# rendered about once a second: wait for the series
_series() { curl -s "http://127.0.0.1:$PM/metrics" | grep -q '^bulkhead_protection_verified{'; }
t_wait_for 10 _series
body=$(curl -s "http://127.0.0.1:$PM/metrics")
echo "$body" | grep '^bulkhead_protection_verified{' | sed 's/^/  # /' >&2
v() { echo "$body" | sed -n "s/^bulkhead_protection_verified{technique=\"$1\"} //p"; }
why=""
for t in core_pattern mount_proc finit_module bpf userns memfd_exec setns_host; do
	[ "$(v $t)" = 1 ] || why="$why $t=$(v $t)"
done
# ptrace and cgroup mounts are alerted, not killed, without BPF LSM: honestly not protected here
[ "$(v ptrace_host)" = 0 ] || why="$why ptrace_host=$(v ptrace_host)"
[ "$(v mount_cgroup_v1)" = 0 ] || why="$why mount_cgroup_v1=$(v mount_cgroup_v1)"
if [ -z "$why" ]; then t_pass verify_start_metrics
else t_fail verify_start_metrics "expected 1 (killed) and ptrace_host 0:$why; got: $(echo "$body" | grep protection_verified | tr '\n' ' ' | cut -c1-600)"; fi
n=$(echo "$body" | grep -c '^bulkhead_protection_verified{')
if [ "$n" -ge 15 ]; then t_pass verify_start_many; else t_fail verify_start_many "only $n techniques exported"; fi
if kill -0 "$APID" 2>/dev/null; then t_pass verify_start_agent_alive; else t_fail verify_start_agent_alive "the agent died"; fi
if [ -z "$(ls -d /run/bulkhead-verify.* 2>/dev/null)" ]; then t_pass verify_start_cleaned_up
else t_fail verify_start_cleaned_up "$(ls -d /run/bulkhead-verify.*)"; fi
agent_stop "$A"
t_finish
