#!/bin/sh
# `bulkhead probe --json` in the guest (BPF LSM on) finds the BPF LSM by loading and
# attaching its tiny programs, loads the file and exec programs themselves (bpf_loop path
# walk, bpf_d_path) and attaches each to its hook, and picks the full LSM enforcement mode;
# an agent then started with a file rule reports and loads that same mode.
. "$T_ROOT/tests/guest/cases/file_lib.inc"

out=$("$T_BIN" probe --json 2>/tmp/probe.err)
rc=$?
err=$(cat /tmp/probe.err)
rm -f /tmp/probe.err
if [ $rc -eq 2 ] && echo "$err" | grep -q "unknown command"; then
	t_skip guest_probe "this agent has no 'probe' command yet ($err)"
	exit 0
fi
if [ $rc -ne 0 ]; then
	t_fail guest_probe "bulkhead probe --json exited $rc: $err"
	exit 1
fi
# {"kernel":..,"features":{"bpf_lsm":{"ok":true,"detail":..},..},"mode":"lsm",..}
flat=$(echo "$out" | tr -d ' \n\t')
why=""
for want in '"bpf_lsm":{"ok":true' '"bpf_d_path":{"ok":true' '"btf":{"ok":true' '"bpf_loop":{"ok":true' \
	'"file_programs":{"ok":true' '"lsm_hooks":{"ok":true' '"mode":"lsm"'; do
	case "$flat" in *"$want"*) ;; *) why="$why $want" ;; esac
done
if [ -z "$why" ]; then
	t_pass guest_probe
else
	t_fail guest_probe "expected$why in: $(echo "$out" | cut -c1-600)"
fi

# Escape protections: the guard's programs loaded here (a probe load), so every protection
# with a BPF LSM refusal says "refuses"; drift, reverse shells, recon and privilege steps
# are alerted (the sensor kills nothing where the guard runs).
esc() { echo "$out" | jq -r ".escape.protections.$1.enforcement" 2>/dev/null; }
why=""
[ "$(echo "$out" | jq -r .escape.guard 2>/dev/null)" = true ] || why="$why guard:$(echo "$out" | jq -c .escape.guard_detail)"
for p in selfProtection mount ptrace kernelModules bpf namespaces hostPaths devices cgroups runtimeSockets \
	filelessExec userNamespaces setuidExec; do
	[ "$(esc $p)" = refuses ] || why="$why $p=$(esc $p)"
done
for p in drift reverseShell recon privilegeEscalation; do
	[ "$(esc $p)" = alerts ] || why="$why $p=$(esc $p)"
done
if [ -z "$why" ]; then t_pass guest_probe_escape_refuses; else t_fail guest_probe_escape_refuses "$why"; fi
"$T_BIN" probe 2>/dev/null | sed -n '/^escape protections/,$p' | sed 's/^/  # /' >&2
if "$T_BIN" probe 2>/dev/null | grep -q '^  mount  *refuses'; then t_pass guest_probe_escape_table
else t_fail guest_probe_escape_table "no 'mount refuses' line in bulkhead probe"; fi

# The mode the agent in fact uses: its "enforcement mode" line and the programs it loaded.
# (BULKHEAD_GUEST_BASIC=1, the matrix's second kernel: file_enforce's file_mode_is_lsm is the
# agent's side there, and this agent start is left out for time.)
if [ "${BULKHEAD_GUEST_BASIC:-}" = 1 ]; then
	t_finish
	exit $?
fi
pmode=$(echo "$out" | jq -r .mode)
t_log "probe: $(echo "$out" | jq -r '.features.lsm_hooks.detail')"
if fl_setup && fl_policy pr <<'EOF'
apiVersion: bulkhead/v1
kind: Policy
metadata: {name: pr}
spec:
  selector: {containers: [nothing-runs-here]}
  file:
    - {paths: [/etc/passwd], action: deny}
EOF
then
	if fl_agent probeagent; then
		amode=$(sed -n 's/.*agent: .*enforcement mode \([a-z-]*\):.*/\1/p' "$T_WORK/probeagent.log" | head -n 1)
		if [ "$amode" = "$pmode" ] && grep -q 'file and exec rules by BPF LSM' "$T_WORK/probeagent.log"; then
			t_pass guest_probe_matches_agent
		else
			t_fail guest_probe_matches_agent "probe says $pmode, the agent $amode: $(grep -m2 -E 'enforcement mode|file and exec' "$T_WORK/probeagent.log")"
		fi
	else
		t_fail guest_probe_matches_agent "$FL_WHY"
	fi
else
	t_fail guest_probe_matches_agent "policy directory"
fi
t_finish
