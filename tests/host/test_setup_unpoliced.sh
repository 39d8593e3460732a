#!/bin/bash
# The runtime's setup is never policed (runc, this machine's kernel: the syscall-tracepoint
# fallback kills where BPF LSM refuses): a restrictive policy in force on the containers'
# cgroups before runc starts them gives no event from start-up or teardown, and kills no part
# of runc's setup, while the container's own denied actions, a process entering by `runc exec`
# and the entrypoint's own exec are still stopped. (The guest twin, crun and BPF LSM:
# tests/guest/cases/runtime_setup.sh; the checks: tests/lib/runtime_setup.sh.)
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/agent.sh"
CT_TOP=bulkhead-test-rs-$$
. "$(dirname "$0")/../lib/container.sh"
. "$(dirname "$0")/../lib/runtime_setup.sh"
t_mount_kernel_fs

if ! command -v runc >/dev/null 2>&1; then t_skip setup_unpoliced "runc is not installed"; exit 0; fi
PIN=/sys/fs/bpf/bulkhead-test-rs-$$
t_defer "'$T_BIN' unload --pin-dir '$PIN' >/dev/null 2>&1"
RS_DENIED=KILLED
rs_agent() {
	agent_start "$1" --policy "$2" --attach-cgroup "$(t_cgroup2_root)/$CT_TOP" --pin-dir "$PIN" \
		--state-root "$(ct_root)" --detach-on-exit --no-escape-detection --no-anomaly -v
}
rs_main
t_finish
