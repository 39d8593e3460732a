#!/bin/bash
# Escape detection on this host's kernel (tracepoints; no BPF LSM): the agent
# with the shipped policies watches real runc containers. Every attack of the
# kit (tests/attacks/scenarios.tsv, the real syscalls) must raise exactly one
# alert of its category, for its own container and pod, with evidence and the
# process's ancestry; every benign workload (tests/attacks/benign.tsv), and
# the containers' own start-up and teardown, must raise none.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/container.sh"
. "$(dirname "$0")/../lib/agent.sh"
. "$(dirname "$0")/../lib/attacks.sh"

for tool in runc jq busybox; do
	command -v "$tool" >/dev/null || { t_skip escape "$tool missing (scripts/deps.sh test)"; exit 0; }
done
t_mount_kernel_fs
atk_build && atk_rootfs plain || { t_fail escape_setup "could not build the attack kit"; exit 1; }

A=esc-$$
agent_start "$A" --policy "$T_ROOT/policies" --containers-only --state-root "$(ct_root)" \
	--pin-dir /sys/fs/bpf/bulkhead-test-esc-$$ --detach-on-exit || { t_fail escape_agent "agent did not start"; exit 1; }
t_defer "rm -rf /sys/fs/bpf/bulkhead-test-esc-$$"
if grep -q 'escape detection is OFF' "$T_WORK/$A.log"; then
	t_fail escape_loaded "the agent could not load escape detection: $(grep 'escape' "$T_WORK/$A.log" | head -3)"
	exit 1
fi
t_pass escape_loaded

# alerts of container NAME (container name = scenario name): "category rule" lines
alerts_of() {
	jq -R -r --arg n "$1" 'fromjson? | select(.kind == "alert" and .container.name == $n)
		| "\(.alert.category) \(.alert.rule)"' "$T_WORK/$A.json" 2>/dev/null
}
has_alert() { alerts_of "$1" | grep -q "^$2 "; }

ATK_KEEP=1
for n in $(atk_names scenarios); do
	cat=$(atk_field "$n" category)
	atk_run "$n" > /dev/null 2>&1
	t_wait_for 5 has_alert "$n" "$cat"
	ct_stop "$ATK_CT" > /dev/null 2>&1
	got=$(alerts_of "$n" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
	same=$(alerts_of "$n" | grep -c "^$cat ")
	line=$(jq -c --arg n "$n" --arg c "$cat" 'select(.kind == "alert" and .container.name == $n and
		.alert.category == $c)' "$T_WORK/$A.json" | head -1)
	if [ "$same" -ne 1 ]; then
		t_fail "detect_$n" "expected one $cat alert for container $n (pod atk-$n), got $same (all: ${got:-none}; run status $ATK_STATUS: $(head -c 300 "$ATK_OUT"))"
	elif ! echo "$line" | jq -e --arg n "$n" '.container.pod == "atk-" + $n and .container.namespace == "atk"
		and (.alert.technique | test("^T[0-9]")) and (.alert.summary | length > 10)
		and (.alert.evidence | type == "object") and (.process.pid > 0)' > /dev/null; then
		t_fail "detect_$n" "the alert lacks pod, technique, summary, evidence or process: $line"
	else
		t_pass "detect_$n"
		[ "$got" = "1 $(alerts_of "$n" | head -1);" ] || t_log "$n: also $got"
	fi
done

# Ancestry: ptrace-attach-peer's attacker ran from the container's shell, which is in its chain.
if jq -R -r 'fromjson? | select(.kind == "alert" and .container.name == "ptrace-attach-peer")
	| .alert.ancestry | length >= 1 and .[0].comm == "sh" and .[0].pid > 0' "$T_WORK/$A.json" | grep -q '^true$'; then
	t_pass alert_ancestry
else t_fail alert_ancestry "the ptrace alert's ancestry does not name the shell: $(grep ptrace-attach-peer "$T_WORK/$A.json" | grep alert | head -1)"; fi

for n in $(atk_names benign); do
	atk_run "$n" > /dev/null 2>&1
	st=$ATK_STATUS
	ct_stop "$ATK_CT" > /dev/null 2>&1
	sleep 0.3
	got=$(jq -r --arg n "$n" 'select(.kind == "alert" and (.container.name == $n or
		(.container.pod // "" | startswith("atk-" + $n)))) | "\(.alert.category)/\(.alert.rule): \(.alert.summary)"' \
		"$T_WORK/$A.json" | head -3)
	if [ -n "$got" ]; then t_fail "benign_$n" "alerts on a benign workload: $got"
	elif [ "$st" -ne 0 ]; then t_fail "benign_$n" "the workload itself failed ($st): $(head -c 300 "$ATK_OUT")"
	else t_pass "benign_$n"; fi
done

# The shipped NodeDefault enforces: without BPF LSM these are killed at the call, and say so.
for n in escape-core-pattern kmod-bpf-map drift-cp socket-docker; do
	if jq -R -r --arg n "$n" 'fromjson? | select(.kind == "alert" and .container.name == $n)
		| "\(.action) \(.alert.enforcement // "")"' "$T_WORK/$A.json" | grep -q '^deny killed$'; then
		t_pass "killed_$n"
	else
		t_fail "killed_$n" "expected action deny, enforcement killed: $(grep "\"$n\"" "$T_WORK/$A.json" | grep '"alert"' | head -1 | cut -c1-300)"
	fi
done

if agent_stop "$A"; then t_pass agent_clean_exit; else t_fail agent_clean_exit "the agent exited with an error"; fi
t_finish
