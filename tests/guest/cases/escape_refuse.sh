#!/bin/sh
# Escape techniques refused by the BPF LSM guard (bpf/guard.bpf.c) in real crun containers,
# under the shipped NodeDefault (policies/00-node-default.yaml, escape: enforce): a
# privileged container sharing the host's pid namespace (every capability, every device,
# /sys and the cgroup mount writable) and an ordinary one. Each technique runs as
# bulkhead verify's runner (/tmp/bh-verify, a `crun exec`, i.e. after arming) and must
# fail with EPERM, with the guard's record of it (logged by the agent as "guard: REFUSED
# <signal>"). Ordinary work in the same containers stays allowed.
. "$T_ROOT/tests/guest/cases/file_lib.inc"

H=$T_BUILD/tests/helpers/bh-verify
W=/run/bh-esc-$$
fl_setup || { t_fail escape_setup "policy directory / cgroup"; exit 1; }
cp "$T_ROOT/policies/00-node-default.yaml" "$FL_POL/" || { t_fail escape_setup "NodeDefault"; exit 1; }
mkdir -p "$W/sock" "$W/share/inner" "$W/cgv1" && t_defer "rm -rf '$W'"

# Host fixtures: a named cgroup v1 hierarchy (release_agent), a stand-in runtime socket, a
# host process to ptrace, a decoy pin in the agent's pin directory (made once it exists).
if mount -t cgroup -o none,name=bhtest cgroup "$W/cgv1" 2>/dev/null; then
	t_defer "umount '$W/cgv1'"
	CGV1=1
else
	CGV1=0
fi
"$H" listen "$W/sock/containerd.sock" > /dev/null &
LPID=$!
t_defer "kill $LPID"
sleep 300 &
SPID=$!
t_defer "kill $SPID"
HANDLE=$("$H" handle "$W/share")

BINDS="$H:/tmp/bh-verify $W/sock:/tmp/sock $W/share/inner:/tmp/inner $FL_PIN:/tmp/pins"
[ "$CGV1" = 1 ] && BINDS="$BINDS $W/cgv1:/tmp/cgv1"
mkdir -p "$FL_PIN"
CT_PRIVILEGED=1 CT_HOST_PID=1 CT_BINDS="$BINDS" ct_start priv "" pod-priv esc priv ||
	{ t_fail escape_setup "privileged container: $(ct_log priv)"; exit 1; }
CT_BINDS="$H:/tmp/bh-verify $W/sock:/tmp/sock" ct_start plain "" pod-plain esc plain ||
	{ t_fail escape_setup "container: $(ct_log plain)"; exit 1; }
# The LSM guard alone: the tracepoint detector (which kills some of these first) is off here.
if ! FL_AGENT_ARGS=--no-escape-detection fl_agent esc; then t_fail escape_agent_starts "$FL_WHY"; exit 1; fi
if grep -q 'escape protections refused by BPF LSM' "$T_WORK/esc.log"; then
	t_pass escape_guard_loaded
else
	t_fail escape_guard_loaded "$(grep -m3 -E 'guard|escape' "$T_WORK/esc.log" | tr '\n' ' ')"
	exit 1
fi
grep 'guard: this kernel' "$T_WORK/esc.log" | sed 's/^/  # /' >&2
APID=$(cat "$T_WORK/esc.pid")
"$H" pin "$FL_PIN/bh_verify_decoy" || t_log "could not pin the decoy"

# esc_try CT TECH [ARG...]: the runner's verdict word (ok, refused, error, n/a) in ESC_GOT,
# its line in ESC_LINE.
esc_try() {
	local ct="$1"
	shift
	ct_run "$ct" /tmp/bh-verify "$@"
	ESC_LINE=$(echo "$CT_OUT" | tail -n 1)
	set -- $ESC_LINE
	ESC_GOT=${2:-none}
}

# esc_expect NAME CT SIGNAL TECH [ARG...]: refused (EPERM) and recorded with SIGNAL.
NREC=0
esc_expect() {
	local name="$1" ct="$2" sig="$3" n
	shift 3
	n=$(grep -c "guard: REFUSED $sig " "$T_WORK/esc.log")
	esc_try "$ct" "$@"
	if [ "$ESC_GOT" != refused ]; then
		t_fail "$name" "in $ct: $*: expected refused, got: $ESC_LINE $CT_ERR"
		return
	fi
	if t_wait_for 3 sh -c "[ \$(grep -c 'guard: REFUSED $sig ' '$T_WORK/esc.log') -gt $n ]"; then
		t_pass "$name"
		NREC=$((NREC + 1))
	else
		t_fail "$name" "refused ($ESC_LINE) but no 'guard: REFUSED $sig' record"
	fi
}

esc_allowed() {
	local name="$1" ct="$2"
	shift 2
	esc_try "$ct" "$@"
	if [ "$ESC_GOT" = ok ]; then t_pass "$name"; else t_fail "$name" "in $ct: $*: $ESC_LINE $CT_ERR"; fi
}

# --- host paths, devices, cgroup v1 release_agent ---
esc_expect escape_core_pattern_refused priv open core_pattern
esc_expect escape_modprobe_refused priv open modprobe_path
esc_expect escape_sysrq_refused priv open sysrq_trigger
esc_expect escape_kcore_refused priv open kcore
esc_expect escape_dev_mem_refused priv open dev_mem
esc_expect escape_block_device_refused priv open block_device 8:0
if [ "$CGV1" = 1 ]; then
	esc_expect escape_release_agent_refused priv open release_agent /tmp/cgv1/release_agent
	esc_expect escape_notify_on_release_refused priv open notify_on_release /tmp/cgv1/notify_on_release
else
	t_skip escape_release_agent_refused "no cgroup v1 named hierarchy on this kernel"
fi
esc_try priv uevent_helper
case $ESC_GOT in
refused) t_pass escape_uevent_helper_refused ;;
n/a) t_skip escape_uevent_helper_refused "no /sys/kernel/uevent_helper (CONFIG_UEVENT_HELPER off)" ;;
*) t_fail escape_uevent_helper_refused "$ESC_LINE" ;;
esac

# --- mounts ---
esc_expect escape_mount_cgroup_v1_refused priv mount mount_cgroup_v1
esc_expect escape_mount_proc_refused priv mount mount_proc
esc_expect escape_mount_sysfs_refused priv mount mount_sysfs
esc_expect escape_mount_bpffs_refused priv mount mount_bpffs
esc_expect escape_mount_debugfs_refused priv mount mount_debugfs
esc_expect escape_fsconfig_proc_refused priv fsmount fsconfig_proc
esc_expect escape_move_mount_proc_refused priv fsmount move_mount_proc
esc_allowed escape_mount_tmpfs_allowed priv mount_tmpfs

# --- modules, bpf ---
esc_expect escape_finit_module_refused priv module finit_module
esc_expect escape_init_module_refused priv module init_module
n=$(grep -c 'guard: REFUSED module_request ' "$T_WORK/esc.log")
esc_try plain module_request
if t_wait_for 3 sh -c "[ \$(grep -c 'guard: REFUSED module_request ' '$T_WORK/esc.log') -gt $n ]"; then
	t_pass escape_module_request_refused
else
	t_fail escape_module_request_refused "no record for request_module(net-pf-12): $ESC_LINE"
fi
esc_expect escape_bpf_refused priv bpf bpf

# --- processes, namespaces, sockets ---
esc_expect escape_ptrace_host_refused priv ptrace ptrace_host "$SPID"
esc_expect escape_process_vm_host_refused priv ptrace process_vm_host "$SPID"
esc_expect escape_setns_host_refused priv setns setns_host /proc/1/ns/mnt
esc_expect escape_setns_pidfd_refused priv setns setns_pidfd 1
esc_expect escape_userns_refused plain unshare userns
esc_expect escape_runtime_socket_refused plain unix_connect runtime_socket /tmp/sock/containerd.sock
esc_expect escape_open_by_handle_refused priv open_by_handle open_by_handle /tmp/inner "$HANDLE"
esc_expect escape_memfd_exec_refused plain fileless_exec memfd_exec

# --- self-protection ---
esc_expect guard_kill_agent_refused priv tamper kill_agent "$APID"
esc_expect guard_ptrace_agent_refused priv tamper ptrace_agent "$APID"
esc_expect guard_unpin_refused priv tamper unpin /tmp/pins/bh_verify_decoy
esc_expect guard_cgroup_escape_refused priv cgroup_attach cgroup_escape /proc/1/root/sys/fs/cgroup/cgroup.procs
if kill -0 "$APID" 2>/dev/null; then t_pass guard_agent_alive; else t_fail guard_agent_alive "the agent died"; fi
t_log "$NREC refusals recorded"

# --- ordinary work stays allowed ---
fl_expect escape_shell_ok OK plain 'echo hi > /tmp/x && cat /tmp/x && ls / >/dev/null'
fl_expect escape_priv_shell_ok OK priv 'mkdir -p /tmp/d && echo a > /tmp/d/f && mv /tmp/d/f /tmp/d/g && ps >/dev/null'
fl_expect escape_own_ns_ok OK priv 'cat /proc/self/ns/mnt >/dev/null 2>&1; ls -l /proc/self/ns/ >/dev/null'
fl_expect escape_own_cgroup_ok OK priv 'cat /proc/self/cgroup >/dev/null'
t_finish
