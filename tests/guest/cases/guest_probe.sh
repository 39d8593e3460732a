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
t_finish
