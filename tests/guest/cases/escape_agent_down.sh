#!/bin/sh
# guest-timeout: 400
# Enforcement while the agent is down (6.1, BPF LSM, crun): the agent runs the shipped
# NodeDefault, then dies by kill -9. Its guard's links and maps stay pinned, so a container
# started now is armed at its entrypoint and refused by the NodeDefault's protections
# (pinned bh_guard_cfg.default_esc): its core_pattern write fails with EPERM while ordinary
# work runs. A new agent then starts, takes the pinned guard over, and reads the refusal
# made while none ran from the pinned ring: one denial alert for that container.
. "$T_ROOT/tests/guest/cases/file_lib.inc"

H=$T_BUILD/tests/helpers/bh-verify
fl_setup || { t_fail down_setup "policy directory / cgroup"; exit 1; }
cp "$T_ROOT/policies/00-node-default.yaml" "$FL_POL/" || { t_fail down_setup "NodeDefault"; exit 1; }
if ! FL_AGENT_ARGS=--no-anomaly fl_agent down1; then t_fail down_agent_starts "$FL_WHY"; exit 1; fi
kill -9 "$(cat "$T_WORK/down1.pid")"
sleep 1
if [ -n "$(ls "$FL_PIN/links" 2>/dev/null | grep '^guard_')" ]; then t_pass down_guard_links_pinned
else t_fail down_guard_links_pinned "no guard_* link under $FL_PIN/links: $(ls "$FL_PIN/links" 2>&1 | head -c 200)"; fi

CT_PRIVILEGED=1 CT_BINDS="$H:/tmp/bh-verify" ct_start late "" pod-late esc late ||
	{ t_fail down_setup "container: $(ct_log late)"; exit 1; }
ct_run late /tmp/bh-verify core_pattern
line=$(echo "$CT_OUT" | tail -n 1)
case "$line" in
"core_pattern refused"*) t_pass down_core_pattern_refused ;;
*) t_fail down_core_pattern_refused "with no agent: $line $CT_ERR" ;;
esac
ct_run late /tmp/bh-verify userns
case "$(echo "$CT_OUT" | tail -n 1)" in
"userns refused"*) t_pass down_userns_refused ;;
*) t_fail down_userns_refused "with no agent: $CT_OUT $CT_ERR" ;;
esac
fl_expect down_ordinary_work_ok OK late 'echo hi > /tmp/x && cat /tmp/x && ls / > /dev/null'

if ! FL_AGENT_ARGS=--no-anomaly fl_agent down2; then t_fail down_agent_restarts "$FL_WHY"; exit 1; fi
t_pass down_agent_restarts
_late_denied() { grep '"kind":"alert","action":"deny"' "$T_WORK/down2.json" | grep -q '"name":"late"'; }
if t_wait_for 10 _late_denied; then t_pass down_refusal_read_after_restart
else t_fail down_refusal_read_after_restart "no denial alert for the container started while no agent ran: $(grep -c '"kind":"alert"' "$T_WORK/down2.json") alerts"; fi
grep '"kind":"alert"' "$T_WORK/down2.json" | jq -r '"\(.container.name) \(.action) \(.alert.rule)"' 2>/dev/null | sed 's/^/  # /' >&2
ct_run late /tmp/bh-verify core_pattern
case "$(echo "$CT_OUT" | tail -n 1)" in
"core_pattern refused"*) t_pass down_refused_after_restart ;;
*) t_fail down_refused_after_restart "$CT_OUT $CT_ERR" ;;
esac
agent_stop down2
t_finish
