#!/bin/sh
# `bulkhead probe --json` in the guest (6.1, BPF LSM on) finds the BPF LSM by loading and
# attaching its tiny programs, and picks the full LSM enforcement mode.
. "$T_ROOT/tests/lib/common.sh"

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
for want in '"bpf_lsm":{"ok":true' '"bpf_d_path":{"ok":true' '"btf":{"ok":true' '"mode":"lsm"'; do
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
t_finish
