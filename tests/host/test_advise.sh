#!/bin/bash
# `bulkhead advise` round trip in a real runc container: the agent watches a
# workload under a learning policy (everything audited against defaults of
# deny), advise turns its JSON into a least-privilege Policy, the agent
# enforces that policy, the same workload runs again with zero denials, and a
# deviation (a connection to a port it never used) is refused with EPERM. The
# workload's traffic stays in the container's own network namespace (a TEST-NET
# address on its loopback device).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/container.sh"
. "$(dirname "$0")/../lib/agent.sh"

for tool in runc jq busybox; do
	command -v "$tool" >/dev/null || { t_skip advise "$tool missing (scripts/deps.sh test)"; exit 0; }
done
t_mount_kernel_fs
P=$T_BUILD/tests/helpers/netprobe
[ -x "$P" ] || { t_fail advise_setup "$P is not built (make test-bins)"; exit 1; }
D=$T_WORK/advise-$$
PIN=/sys/fs/bpf/bulkhead-test-advise-$$
mkdir -p "$D/learn" "$D/enforce" || exit 1
t_defer "rm -rf '$D'"
t_defer "'$T_BIN' unload --pin-dir '$PIN' >/dev/null 2>&1"

CT_PRIVILEGED=1 CT_BINDS="$P:/tmp/netprobe:ro" ct_start app "" app-0 adv app || {
	t_fail advise_setup "container: $(ct_log app)"; exit 1; }
ct_exec app sh -c 'ip link set lo up; ip addr add 192.0.2.1/32 dev lo' >/dev/null 2>&1
WORK='/tmp/netprobe serve tcp 192.0.2.1 9100 >/dev/null 2>&1 & s=$!; sleep 0.3
	/tmp/netprobe connect tcp 192.0.2.1 9100; r=$?
	mkdir -p /tmp/data && echo x > /tmp/data/f && ls / > /dev/null
	kill $s; exit $r'

# 1. learn: the selected container's every exec, write and connect audited
cat > "$D/learn/learn.yaml" <<'EOF'
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: learn}
spec:
  selector: {namespaces: [adv], containers: [app]}
  mode: audit
  defaults:
    file: {all: allow, write: deny, create: deny, delete: deny, rename: deny, link: deny, setattr: deny}
    exec: deny
    egress: deny
EOF
agent_start adv-learn --policy "$D/learn" --containers-only --state-root "$(ct_root)" --pin-dir "$PIN" \
	--detach-on-exit --no-policy-watch || { t_fail advise_learn "agent did not start"; exit 1; }
sleep 1
out=$(ct_exec app sh -c "$WORK" 2>&1)
if echo "$out" | grep -q '^OK'; then t_pass advise_workload_learned
else t_fail advise_workload_learned "the workload failed while learning: $out"; fi
sleep 1
agent_stop adv-learn

# 2. advise
if "$T_BIN" advise --from "$T_WORK/adv-learn.json" --selector namespace=adv,container=app \
	-o "$D/enforce/app.yaml" 2> "$D/advise.err"; then t_pass advise_writes_policy
else t_fail advise_writes_policy "advise failed: $(cat "$D/advise.err")"; exit 1; fi
if "$T_BIN" check "$D/enforce/app.yaml" --no-cgroups > "$D/check.out" 2>&1; then t_pass advise_policy_checks
else t_fail advise_policy_checks "bulkhead check refused it: $(tail -5 "$D/check.out")"; exit 1; fi
if grep -q '192.0.2.1/32' "$D/enforce/app.yaml" && grep -q '9100' "$D/enforce/app.yaml" &&
	grep -q '/tmp/netprobe' "$D/enforce/app.yaml" && grep -q '/tmp/data' "$D/enforce/app.yaml" &&
	grep -q '^ *# ' "$D/enforce/app.yaml"; then
	t_pass advise_policy_content
else
	t_fail advise_policy_content "missing the destination, the program, the write prefix or comments: $(head -c 1500 "$D/enforce/app.yaml")"
fi

# 3. enforce what was advised: the same workload passes, a deviation is refused
agent_start adv-enf --policy "$D/enforce" --containers-only --state-root "$(ct_root)" --pin-dir "$PIN" \
	--detach-on-exit --no-policy-watch || { t_fail advise_enforce "agent did not start"; exit 1; }
_in_force() { ct_exec app sh -c '/tmp/netprobe connect tcp 192.0.2.1 9999 200' 2>/dev/null | grep -q EPERM; }
t_wait_for 10 _in_force || t_log "the advised policy was not in force after 10 s"
: > "$T_WORK/adv-enf.mark"
before=$(wc -l < "$T_WORK/adv-enf.json")
out=$(ct_exec app sh -c "$WORK" 2>&1)
sleep 1
denials=$(tail -n +"$((before + 1))" "$T_WORK/adv-enf.json" | jq -R -r 'fromjson? | select(.action == "deny"
	and .container.name == "app") | "\(.kind) \(.file.path // .net.remote // .alert.rule // "")"' | head -5)
if echo "$out" | grep -q '^OK' && [ -z "$denials" ]; then t_pass advise_same_workload_no_denials
else t_fail advise_same_workload_no_denials "workload said '$out'; denials: ${denials:-none}"; fi
out=$(ct_exec app sh -c '/tmp/netprobe serve tcp 192.0.2.1 9101 >/dev/null 2>&1 & s=$!; sleep 0.3
	/tmp/netprobe connect tcp 192.0.2.1 9101 500; kill $s' 2>&1)
if echo "$out" | grep -q EPERM; then t_pass advise_deviation_refused
else t_fail advise_deviation_refused "a connection to a port never used was not refused: $out"; fi
agent_stop adv-enf
t_finish
