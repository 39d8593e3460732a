#!/bin/sh
# Fails if the suite left anything of ours on the machine: BPF programs or
# links (all ours are named bh_*), pins, test cgroups, runc containers, qemu,
# the real runtimes' daemons and state.
set -u
. "$(dirname "$0")/lib/common.sh"

progs=$(bpftool prog show 2>/dev/null | grep -E '^[0-9]+: .* name bh_' || true)
if [ -n "$progs" ]; then t_fail leftover_progs "BPF programs still loaded: $progs"; else t_pass leftover_progs; fi

links=""
for id in $(bpftool link show 2>/dev/null | sed -n 's/^\([0-9]*\): .*/\1/p'); do
	pid=$(bpftool link show id "$id" 2>/dev/null | sed -n 's/.*prog \([0-9]*\).*/\1/p')
	[ -n "$pid" ] && bpftool prog show id "$pid" 2>/dev/null | grep -q ' name bh_' && links="$links $id"
done
if [ -n "$links" ]; then t_fail leftover_links "BPF links still attached:$links"; else t_pass leftover_links; fi

pins=$(ls -d /sys/fs/bpf/bulkhead* 2>/dev/null || true)
if [ -n "$pins" ]; then t_fail leftover_pins "pins left: $pins"; else t_pass leftover_pins; fi

cg=$(find "$(t_cgroup2_root)" -maxdepth 3 -type d -name 'bulkhead-test*' 2>/dev/null; \
     find /sys/fs/cgroup -maxdepth 4 -type d -name 'bulkhead-test*' 2>/dev/null)
if [ -n "$cg" ]; then t_fail leftover_cgroups "test cgroups left: $(echo $cg)"; else t_pass leftover_cgroups; fi

q=$(pgrep -x qemu-system-x86_64 2>/dev/null || true)
if [ -n "$q" ]; then t_fail leftover_qemu "qemu still running: $q"; else t_pass leftover_qemu; fi

agents=$(pgrep -f 'bulkhead(-static)? run' 2>/dev/null || true)
if [ -n "$agents" ]; then t_fail leftover_agents "agents still running: $agents"; else t_pass leftover_agents; fi

ct=""
for r in "$T_BUILD"/tests/runc-root /run/bulkhead-test-runc*; do
	[ -d "$r" ] && ct="$ct $(runc --root "$r" list -q 2>/dev/null)"
done
ct=$(echo $ct)
if [ -n "$ct" ]; then t_fail leftover_containers "runc containers left: $ct"; else t_pass leftover_containers; fi

# The real runtimes of test_runtimes (tests/lib/runtimes.sh): their directories and
# any daemon, shim or monitor still running with one of them in its command line.
rt=$(ls -d /run/bh-test-rt-* 2>/dev/null; pgrep -af '/run/bh-test-rt-' 2>/dev/null | grep -v pgrep || true)
if [ -n "$rt" ]; then t_fail leftover_runtimes "runtime state or daemons left: $(echo $rt)"
else t_pass leftover_runtimes; fi
t_finish
