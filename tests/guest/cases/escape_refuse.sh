#!/bin/sh
# guest-timeout: 400
# Escape techniques refused by the BPF LSM guard (bpf/guard.bpf.c) in real crun containers,
# under the shipped NodeDefault (policies/00-node-default.yaml, escape: enforce), with escape
# detection on (the tracepoint sensor reports alongside): a privileged container sharing the
# host's pid namespace (every capability, every device, /sys and the cgroup mount writable),
# one with the defaults, and a quiet one started under the agent. Each technique runs as
# bulkhead verify's runner (/tmp/bh-verify, a `crun exec`, i.e. after arming), must fail
# with EPERM and raise exactly one `kind: alert` with "action":"deny",
# "enforcement":"refused" and the technique's category, for that container. The agent
# survives, 15 or more alerts come out, and container start-up, the quiet container and
# ordinary work in the others raise no alert and no denial.
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
# The LSM guard refuses, the tracepoint sensor (sharing its armed tasks) reports without killing.
if ! FL_AGENT_ARGS=--no-anomaly fl_agent esc; then t_fail escape_agent_starts "$FL_WHY"; exit 1; fi
if grep -q 'escape protections refused by BPF LSM' "$T_WORK/esc.log"; then
	t_pass escape_guard_loaded
else
	t_fail escape_guard_loaded "$(grep -m3 -E 'guard|escape' "$T_WORK/esc.log" | tr '\n' ' ')"
	exit 1
fi
grep 'guard: this kernel' "$T_WORK/esc.log" | sed 's/^/  # /' >&2
if grep -q 'escape detection on' "$T_WORK/esc.log"; then t_pass escape_detection_on
else t_fail escape_detection_on "$(grep -m2 -i 'escape' "$T_WORK/esc.log" | tr '\n' ' ' | cut -c1-300)"; fi
APID=$(cat "$T_WORK/esc.pid")
"$H" pin "$FL_PIN/bh_verify_decoy" || t_log "could not pin the decoy"

# Alerts, one a line: "container action category rule enforcement".
# (grep first: jq over every event the agent wrote is slow under TCG)
esc_alerts() {
	grep '"kind":"alert"' "$T_WORK/esc.json" | jq -r 'select(.kind == "alert") |
		"\(.container.name // "-") \(.action) \(.alert.category) \(.alert.rule) \(.alert.enforcement // "-")"' 2>/dev/null
}
# A container's denial alerts, as JSON lines, without jq (fast).
esc_denial_lines() { grep -E "\"kind\":\"alert\",\"action\":\"deny\",\"container\":\\{[^}]*\"name\":\"$1\"" "$T_WORK/esc.json"; }
esc_denials() { esc_denial_lines "$1" | wc -l; }
# Any event with "action":"deny" (a file or exec denial too) for a container, one a line.
esc_any_deny() { grep '"action":"deny"' "$T_WORK/esc.json" | jq -c "select(.action == \"deny\" and .container.name == \"$1\")" 2>/dev/null; }

# Container start-up (the quiet one, under the agent) and the runner's first exec: nothing.
ct_start quiet "" pod-quiet esc quiet || { t_fail escape_setup "container quiet: $(ct_log quiet)"; exit 1; }
ct_run quiet sh -c 'echo hi > /tmp/x; cat /tmp/x; ls -R /etc > /dev/null; for i in 1 2 3 4 5; do date > /tmp/d$i; rm /tmp/d$i; done'
ct_run priv /tmp/bh-verify true
ct_run plain /tmp/bh-verify true
sleep 1
if [ -z "$(esc_alerts)" ]; then t_pass escape_startup_no_alert
else t_fail escape_startup_no_alert "$(esc_alerts | head -n 3 | tr '\n' ';')"; fi

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

# esc_alerted NAME CT CATEGORY N0: exactly one more denial alert for CT than N0, of CATEGORY,
# "enforcement":"refused" (NAME_alert).
NREC=0
_esc_more() { [ "$(esc_denials "$1")" -gt "$2" ]; }
esc_alerted() {
	local name="$1" ct="$2" cat="$3" n0="$4" n last
	t_wait_for 5 _esc_more "$ct" "$n0"
	sleep 0.3
	n=$(esc_denials "$ct")
	last=$(esc_denial_lines "$ct" | tail -n 1 | jq -r '"\(.alert.category) \(.alert.enforcement) \(.alert.rule)"' 2>/dev/null)
	if [ "$n" -eq $((n0 + 1)) ] && [ "$(echo "$last" | cut -d' ' -f1,2)" = "$cat refused" ]; then
		t_pass "${name}_alert"
		NREC=$((NREC + 1))
		ESC_RULES="$ESC_RULES $(echo "$last" | cut -d' ' -f3)"
	else
		t_fail "${name}_alert" "expected one $cat denial for $ct, got $((n - n0)): $(esc_alerts | grep "^$ct " | tail -n 3 | tr '\n' ';')"
	fi
}

# esc_expect NAME CT CATEGORY TECH [ARG...]: refused (EPERM), and one denial alert of CATEGORY.
# BULKHEAD_GUEST_BASIC=1 (the kernel matrix's second kernel, tests/run.sh): only these.
ESC_BASIC_SET="escape_core_pattern_refused escape_mount_proc_refused escape_finit_module_refused
escape_bpf_refused escape_setns_host_refused escape_setns_pidfd_refused escape_userns_refused
guard_kill_agent_refused"
esc_basic_skips() {
	[ "${BULKHEAD_GUEST_BASIC:-}" = 1 ] || return 1
	case " $(echo $ESC_BASIC_SET) " in *" $1 "*) return 1 ;; esac
	return 0
}

esc_expect() {
	local name="$1" ct="$2" cat="$3" n0
	esc_basic_skips "$name" && return
	shift 3
	n0=$(esc_denials "$ct")
	esc_try "$ct" "$@"
	if [ "$ESC_GOT" != refused ]; then
		t_fail "$name" "in $ct: $*: expected refused, got: $ESC_LINE $CT_ERR"
		return
	fi
	t_pass "$name"
	esc_alerted "$name" "$ct" "$cat" "$n0"
}

esc_allowed() {
	local name="$1" ct="$2"
	shift 2
	esc_try "$ct" "$@"
	if [ "$ESC_GOT" = ok ]; then t_pass "$name"; else t_fail "$name" "in $ct: $*: $ESC_LINE $CT_ERR"; fi
}

# --- host paths, devices, cgroup v1 release_agent ---
esc_expect escape_core_pattern_refused priv escape core_pattern
esc_expect escape_modprobe_refused priv escape modprobe_path
esc_expect escape_sysrq_refused priv escape sysrq_trigger
esc_expect escape_kcore_refused priv sensitive-file kcore
esc_expect escape_dev_mem_refused priv sensitive-file dev_mem
esc_expect escape_block_device_refused priv sensitive-file block_device 8:0
if [ "$CGV1" = 1 ]; then
	esc_expect escape_release_agent_refused priv cgroup-escape release_agent /tmp/cgv1/release_agent
	esc_expect escape_notify_on_release_refused priv cgroup-escape notify_on_release /tmp/cgv1/notify_on_release
else
	t_skip escape_release_agent_refused "no cgroup v1 named hierarchy on this kernel"
fi
n0=$(esc_denials priv)
esc_try priv uevent_helper
case $ESC_GOT in
refused) t_pass escape_uevent_helper_refused; esc_alerted escape_uevent_helper_refused priv escape "$n0" ;;
n/a) t_skip escape_uevent_helper_refused "no /sys/kernel/uevent_helper (CONFIG_UEVENT_HELPER off)" ;;
*) t_fail escape_uevent_helper_refused "$ESC_LINE" ;;
esac

# --- mounts ---
esc_expect escape_mount_cgroup_v1_refused priv escape mount_cgroup_v1
esc_expect escape_mount_proc_refused priv escape mount_proc
esc_expect escape_mount_sysfs_refused priv escape mount_sysfs
esc_expect escape_mount_bpffs_refused priv escape mount_bpffs
esc_expect escape_mount_debugfs_refused priv escape mount_debugfs
esc_expect escape_fsconfig_proc_refused priv escape fsconfig_proc
esc_expect escape_move_mount_proc_refused priv escape move_mount_proc
n0=$(esc_denials priv)
esc_allowed escape_mount_tmpfs_allowed priv mount_tmpfs

# --- modules, bpf ---
esc_expect escape_finit_module_refused priv kernel-module finit_module
esc_expect escape_init_module_refused priv kernel-module init_module
n0=$(esc_denials plain)
esc_try plain module_request
esc_alerted escape_module_request_refused plain kernel-module "$n0"
esc_expect escape_bpf_refused priv kernel-module bpf

# --- processes, namespaces, sockets ---
esc_expect escape_ptrace_host_refused priv ptrace ptrace_host "$SPID"
esc_expect escape_process_vm_host_refused priv ptrace process_vm_host "$SPID"
esc_expect escape_setns_host_refused priv escape setns_host /proc/1/ns/mnt
esc_expect escape_setns_pidfd_refused priv escape setns_pidfd 1
esc_expect escape_userns_refused plain namespace-change userns
esc_expect escape_runtime_socket_refused plain runtime-socket runtime_socket /tmp/sock/containerd.sock
esc_expect escape_open_by_handle_refused priv escape open_by_handle /tmp/inner "$HANDLE"
esc_expect escape_memfd_exec_refused plain fileless-exec memfd_exec

# --- self-protection ---
esc_expect guard_kill_agent_refused priv tamper kill_agent "$APID"
esc_expect guard_ptrace_agent_refused priv tamper ptrace_agent "$APID"
esc_expect guard_unpin_refused priv tamper unpin /tmp/pins/bh_verify_decoy
esc_expect guard_cgroup_escape_refused priv cgroup-escape cgroup_escape /proc/1/root/sys/fs/cgroup/cgroup.procs
if kill -0 "$APID" 2>/dev/null; then t_pass guard_agent_alive; else t_fail guard_agent_alive "the agent died"; fi
t_log "$NREC refusals alerted; rules:$ESC_RULES"
n=$(esc_alerts | wc -l)
min=15
[ "${BULKHEAD_GUEST_BASIC:-}" = 1 ] && min=6
if [ "$n" -ge $min ]; then t_pass escape_alerts_15
else t_fail escape_alerts_15 "only $n alerts (want $min)"; fi
t_log "alerts (container action category rule enforcement):"
esc_alerts | sort | uniq -c | sed 's/^/    /' >&2
if esc_alerts | grep ' deny ' | grep -v ' refused$' | grep -q .; then
	t_fail escape_denials_say_refused "$(esc_alerts | grep ' deny ' | grep -v ' refused$' | head -n 2 | tr '\n' ';')"
else t_pass escape_denials_say_refused; fi

# --- ordinary work stays allowed, and raises nothing ---
sleep 1
na=$(esc_alerts | wc -l)
fl_expect escape_shell_ok OK plain 'echo hi > /tmp/x && cat /tmp/x && ls / >/dev/null'
fl_expect escape_priv_shell_ok OK priv 'mkdir -p /tmp/d && echo a > /tmp/d/f && mv /tmp/d/f /tmp/d/g && ps >/dev/null'
fl_expect escape_own_ns_ok OK priv 'cat /proc/self/ns/mnt >/dev/null 2>&1; ls -l /proc/self/ns/ >/dev/null'
fl_expect escape_own_cgroup_ok OK priv 'cat /proc/self/cgroup >/dev/null'
fl_expect escape_quiet_work_ok OK quiet 'for i in 1 2 3; do mkdir -p /tmp/q$i && echo $i > /tmp/q$i/f && cat /tmp/q$i/f >/dev/null && rm -r /tmp/q$i; done; ps >/dev/null; sh -c true'
sleep 1
if [ "$(esc_alerts | wc -l)" -eq "$na" ]; then t_pass escape_ordinary_work_no_alert
else t_fail escape_ordinary_work_no_alert "$(esc_alerts | tail -n +$((na + 1)) | head -n 3 | tr '\n' ';')"; fi
if [ -z "$(esc_alerts | grep '^quiet ')$(esc_any_deny quiet)" ]; then t_pass escape_quiet_container_no_alert
else t_fail escape_quiet_container_no_alert "$(esc_alerts | grep '^quiet ' | head -n 2) $(esc_any_deny quiet | head -c 300)"; fi
t_finish
