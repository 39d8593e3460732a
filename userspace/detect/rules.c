// SPDX-License-Identifier: GPL-2.0
/* The escape rules: the table, and kernel records -> rules. See rules.h. */
#include <stdio.h>
#include <string.h>

#include "abi/guard.h"
#include "detect/rules.h"
#include "policy/policy.h"

#define C(x)	ALERT_##x
#define S(x)	ALERT_SEV_##x
#define P(x)	POLICY_ESC_##x

const struct rule rule_table[R_COUNT] = {
	[R_MOUNT_SENSITIVE] = { "mount-host-filesystem", C(ESCAPE), S(CRITICAL), P(MOUNT), R_NONE, "T1611",
		"mounted a {fstype} file system ({source}): a way to the host's kernel interfaces or disks" },
	[R_MOUNT] = { "mount", C(ESCAPE), S(HIGH), P(MOUNT), R_NONE, "T1611",
		"mounted {source} (type {fstype}) after the container started" },
	[R_UMOUNT] = { "umount", C(ESCAPE), S(MEDIUM), P(MOUNT), R_NONE, "T1611",
		"unmounted {target}: unmasking a path the runtime hid is an escape step" },
	[R_PIVOT_ROOT] = { "pivot-root", C(ESCAPE), S(HIGH), P(MOUNT), R_NONE, "T1611",
		"pivot_root to {target} after the container started" },
	[R_MOUNT_API] = { "mount-api", C(ESCAPE), S(HIGH), P(MOUNT), R_NONE, "T1611",
		"used the new mount API ({syscall}) to attach a file system" },
	[R_SETNS_HOST] = { "setns-host", C(ESCAPE), S(CRITICAL), P(NAMESPACES), R_NONE, "T1611",
		"entered the host's {namespace} namespace" },
	[R_SETNS_OTHER] = { "setns-foreign", C(NAMESPACE_CHANGE), S(HIGH), P(NAMESPACES), R_NONE, "T1611",
		"entered a {namespace} namespace that is not the container's" },
	[R_SETNS] = { "setns", C(NAMESPACE_CHANGE), S(MEDIUM), P(NAMESPACES), R_NONE, "T1611",
		"called setns() into a {namespace} namespace" },
	[R_UNSHARE_USERNS] = { "user-namespace", C(NAMESPACE_CHANGE), S(HIGH), P(USER_NAMESPACES), R_NONE, "T1611",
		"created a user namespace ({flags}): root inside it reaches kernel code no container should" },
	[R_UNSHARE] = { "unshare", C(NAMESPACE_CHANGE), S(MEDIUM), P(NAMESPACES), R_NONE, "T1611",
		"created new namespaces ({flags})" },
	[R_CLONE_NS] = { "clone-namespaces", C(NAMESPACE_CHANGE), S(MEDIUM), P(NAMESPACES), R_NONE, "T1611",
		"started a process in new namespaces ({flags})" },
	[R_MODULE_LOAD] = { "kernel-module-load", C(KERNEL_MODULE), S(CRITICAL), P(KERNEL_MODULES), R_NONE,
		"T1547.006", "tried to load code into the kernel ({syscall})" },
	[R_MODULE_REQUEST] = { "kernel-module-request", C(KERNEL_MODULE), S(MEDIUM), P(KERNEL_MODULES), R_NONE,
		"T1547.006", "asked the kernel for module {module}" },
	[R_MODULE_TOOL] = { "kernel-module-tool", C(KERNEL_MODULE), S(HIGH), P(KERNEL_MODULES), R_NONE,
		"T1547.006", "ran the kernel module tool {binary}" },
	[R_BPF] = { "bpf-syscall", C(KERNEL_MODULE), S(HIGH), P(BPF), R_NONE, "T1014",
		"called bpf() ({command}): BPF programs and maps reach the whole host" },
	[R_PERF_EVENT] = { "perf-event-open", C(RECON), S(MEDIUM), P(RECON), R_NONE, "T1082",
		"opened a perf event (type {type}) to observe the kernel" },
	[R_PACKET_SOCKET] = { "packet-socket", C(RECON), S(HIGH), P(RECON), R_NONE, "T1040",
		"opened a raw packet socket: sniffing or forging traffic" },
	[R_KALLSYMS] = { "kernel-symbols-read", C(RECON), S(MEDIUM), P(RECON), R_NONE, "T1082",
		"read {path}: kernel addresses are an exploit's first step" },
	[R_USERFAULTFD] = { "userfaultfd", C(PRIVILEGE_ESCALATION), S(MEDIUM), P(PRIV_ESCALATION), R_NONE, "T1068",
		"created a userfaultfd, a staple of kernel exploits" },
	[R_KEYCTL] = { "kernel-keyring", C(PRIVILEGE_ESCALATION), S(MEDIUM), P(PRIV_ESCALATION), R_NONE, "T1068",
		"used the kernel keyring ({syscall})" },
	[R_IO_URING] = { "io-uring", C(PRIVILEGE_ESCALATION), S(MEDIUM), P(PRIV_ESCALATION), R_NONE, "T1068",
		"set up an io_uring: its work runs outside the syscall path that is watched" },
	[R_SETUID_ATTEMPT] = { "setuid-root", C(PRIVILEGE_ESCALATION), S(MEDIUM), P(PRIV_ESCALATION), R_NONE,
		"T1548", "a non-root process asked to become root ({syscall})" },
	[R_CAPSET] = { "capability-raise", C(PRIVILEGE_ESCALATION), S(MEDIUM), P(PRIV_ESCALATION), R_NONE, "T1548",
		"asked for capabilities it does not hold ({asked})" },
	[R_SETUID_EXEC] = { "setuid-exec", C(PRIVILEGE_ESCALATION), S(HIGH), P(PRIV_ESCALATION), R_NONE,
		"T1548.001", "uid {uid} became euid {euid} by running {binary}" },
	[R_PTRACE_HOST] = { "ptrace-host", C(PTRACE), S(CRITICAL), P(PTRACE), R_NONE, "T1055.008",
		"attached to host process {target_pid} with ptrace" },
	[R_PTRACE_OTHER] = { "ptrace-foreign", C(PTRACE), S(CRITICAL), P(PTRACE), R_NONE, "T1055.008",
		"attached to process {target_pid} of another container with ptrace" },
	[R_PTRACE] = { "ptrace", C(PTRACE), S(MEDIUM), P(PTRACE), R_NONE, "T1055.008",
		"attached to process {target_pid} with ptrace" },
	[R_PROCESS_VM] = { "process-memory-access", C(PTRACE), S(HIGH), P(PTRACE), R_NONE, "T1055",
		"{syscall} on process {target_pid} ({target})" },
	[R_PROC_MEM] = { "proc-mem-write", C(PTRACE), S(HIGH), P(PTRACE), R_NONE, "T1055.009",
		"opened {path} for writing: code injection into another process" },
	[R_OPEN_BY_HANDLE] = { "open-by-handle", C(ESCAPE), S(CRITICAL), P(HOST_PATHS), R_NONE, "T1611",
		"called open_by_handle_at(): a file handle reaches files outside the container's root" },
	[R_FILELESS_EXEC] = { "fileless-exec", C(FILELESS_EXEC), S(HIGH), P(FILELESS_EXEC), R_NONE, "T1620",
		"ran a program from memory ({name}), leaving no file behind" },
	[R_RUNTIME_SOCKET] = { "runtime-socket", C(RUNTIME_SOCKET), S(CRITICAL), P(RUNTIME_SOCKETS), R_NONE, "T1610",
		"connected to the container runtime's socket {path}: it starts containers as root on the host" },
	[R_CORE_PATTERN] = { "core-pattern-write", C(ESCAPE), S(CRITICAL), P(HOST_PATHS), R_NONE, "T1611",
		"opened {path} for writing: the host runs that program on the next crash" },
	[R_MODPROBE_PATH] = { "modprobe-path-write", C(ESCAPE), S(CRITICAL), P(HOST_PATHS), R_NONE, "T1611",
		"opened {path} for writing: the host runs that program as root" },
	[R_UEVENT_HELPER] = { "uevent-helper-write", C(ESCAPE), S(CRITICAL), P(HOST_PATHS), R_NONE, "T1611",
		"opened {path} for writing: the host runs that program on the next device event" },
	[R_SYSRQ] = { "sysrq-trigger", C(ESCAPE), S(CRITICAL), P(HOST_PATHS), R_NONE, "T1529",
		"opened {path} for writing: it can crash or reboot the host" },
	[R_RELEASE_AGENT] = { "cgroup-release-agent", C(CGROUP_ESCAPE), S(CRITICAL), P(CGROUP), R_NONE, "T1611",
		"opened {path} for writing: the host runs the release agent as root" },
	[R_LD_PRELOAD] = { "ld-preload-write", C(SENSITIVE_FILE), S(HIGH), P(HOST_PATHS), R_NONE, "T1574.006",
		"opened {path} for writing: every program would load that library" },
	[R_KCORE] = { "kcore-read", C(SENSITIVE_FILE), S(CRITICAL), P(DEVICES), R_NONE, "T1005",
		"opened {path}: the kernel's memory" },
	[R_MEMDEV] = { "memory-device-read", C(SENSITIVE_FILE), S(CRITICAL), P(DEVICES), R_NONE, "T1005",
		"opened {path}, the host's physical memory (device {device})" },
	[R_BLOCK_DEVICE] = { "block-device-open", C(SENSITIVE_FILE), S(CRITICAL), P(DEVICES), R_NONE, "T1006",
		"opened the block device {path} ({device}): raw access to a host disk" },
	[R_DEVICE_NODE] = { "device-node-create", C(SENSITIVE_FILE), S(HIGH), P(DEVICES), R_NONE, "T1006",
		"made the device node {path} ({device})" },
	[R_CGROUP_ESCAPE] = { "cgroup-move-out", C(CGROUP_ESCAPE), S(CRITICAL), P(CGROUP), R_NONE, "T1611",
		"moved process {target_pid} to the cgroup {cgroup}, outside the container's" },
	[R_REVERSE_SHELL] = { "reverse-shell", C(REVERSE_SHELL), S(CRITICAL), P(REVERSE_SHELL), R_NONE, "T1059.004",
		"made a network socket its standard {fd}: a remote shell" },
	[R_SOCKET_SHELL] = { "socket-shell", C(REVERSE_SHELL), S(CRITICAL), P(REVERSE_SHELL), R_REVERSE_SHELL,
		"T1059.004", "started {binary} with a network socket as its input and output" },
	[R_DRIFT] = { "drift-exec", C(DRIFT), S(HIGH), P(DRIFT), R_NONE, "T1105",
		"ran {binary}, written after the container started" },
	[R_HOST_NAMESPACE] = { "host-namespace", C(ESCAPE), S(CRITICAL), P(NAMESPACES), R_SETNS_HOST, "T1611",
		"runs in the host's {namespace} namespace, which the container did not start in" },
	[R_CAP_GAIN] = { "capability-gain", C(PRIVILEGE_ESCALATION), S(CRITICAL), P(PRIV_ESCALATION), R_SETUID_EXEC,
		"T1068", "holds capabilities {extra} beyond the container's bounding set" },
	[R_ROOT_GAIN] = { "root-gain", C(PRIVILEGE_ESCALATION), S(CRITICAL), P(PRIV_ESCALATION), R_SETUID_EXEC,
		"T1068", "became root in a container that started as uid {base_uid}" },
	[R_TAMPER] = { "agent-tamper", C(TAMPER), S(CRITICAL), -1, R_NONE, "T1562.001",
		"tried to disable bulkhead: {what}" },
};

static const char *const ns_names[BH_NS_COUNT] = {
	[BH_NS_MNT] = "mount", [BH_NS_PID] = "pid", [BH_NS_NET] = "network", [BH_NS_USER] = "user",
	[BH_NS_UTS] = "uts", [BH_NS_IPC] = "ipc", [BH_NS_CGROUP] = "cgroup",
};

static const char *ns_name(uint64_t i)
{
	return i < BH_NS_COUNT ? ns_names[i] : "unknown";
}

/* setns()'s nstype argument (one CLONE_NEW* flag, or 0: any). */
static const char *ns_flag_name(uint64_t f)
{
	switch (f) {
	case 0x00020000: return "mount";
	case 0x02000000: return "cgroup";
	case 0x04000000: return "uts";
	case 0x08000000: return "ipc";
	case 0x10000000: return "user";
	case 0x20000000: return "pid";
	case 0x40000000: return "network";
	case 0x00000080: return "time";
	}
	return "any";
}

/* File systems whose mount gives a container the host's kernel interfaces or disks. */
static bool sensitive_fstype(const char *t, const char *source)
{
	static const char *const types[] = { "cgroup", "cgroup2", "proc", "sysfs", "debugfs", "tracefs",
		"bpf", "securityfs", "devtmpfs", "configfs", "efivarfs", "fusectl", "binfmt_misc", "nsfs" };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(t, types[i]))
			return true;
	return !strncmp(source, "/dev/", 5) && strcmp(t, "tmpfs") && strcmp(t, "devpts") && strcmp(t, "mqueue");
}

static void ns_flags(uint64_t f, char *buf, size_t len)
{
	static const struct { uint64_t bit; const char *name; } b[] = {
		{ 0x00020000, "mnt" }, { 0x02000000, "cgroup" }, { 0x04000000, "uts" }, { 0x08000000, "ipc" },
		{ 0x10000000, "user" }, { 0x20000000, "pid" }, { 0x40000000, "net" }, { 0x00000080, "time" },
	};
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]) && used < len; i++)
		if (f & b[i].bit)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "", b[i].name);
}

static const char *syscall_name(uint64_t nr)
{
	switch (nr) {	/* x86-64 */
	case 175: return "init_module";
	case 313: return "finit_module";
	case 246: return "kexec_load";
	case 320: return "kexec_file_load";
	case 250: return "keyctl";
	case 248: return "add_key";
	case 249: return "request_key";
	case 310: return "process_vm_readv";
	case 311: return "process_vm_writev";
	case 105: return "setuid";
	case 113: return "setreuid";
	case 117: return "setresuid";
	case 106: return "setgid";
	case 114: return "setregid";
	case 119: return "setresgid";
	case 429: return "move_mount";
	case 430: return "fsopen";
	case 432: return "fsmount";
	case 428: return "open_tree";
	}
	return "syscall";
}

static const char *bpf_cmd_name(uint64_t c)
{
	static const char *const n[] = { "MAP_CREATE", "MAP_LOOKUP_ELEM", "MAP_UPDATE_ELEM",
		"MAP_DELETE_ELEM", "MAP_GET_NEXT_KEY", "PROG_LOAD", "OBJ_PIN", "OBJ_GET", "PROG_ATTACH",
		"PROG_DETACH", "PROG_TEST_RUN", "PROG_GET_NEXT_ID", "MAP_GET_NEXT_ID", "PROG_GET_FD_BY_ID",
		"MAP_GET_FD_BY_ID", "OBJ_GET_INFO_BY_FD", "PROG_QUERY", "RAW_TRACEPOINT_OPEN", "BTF_LOAD",
		"BTF_GET_FD_BY_ID", "TASK_FD_QUERY", "MAP_LOOKUP_AND_DELETE_ELEM", "MAP_FREEZE",
		"BTF_GET_NEXT_ID", "MAP_LOOKUP_BATCH", "MAP_LOOKUP_AND_DELETE_BATCH", "MAP_UPDATE_BATCH",
		"MAP_DELETE_BATCH", "LINK_CREATE", "LINK_UPDATE", "LINK_GET_FD_BY_ID", "LINK_GET_NEXT_ID",
		"ENABLE_STATS", "ITER_CREATE", "LINK_DETACH", "PROG_BIND_MAP" };

	return c < sizeof(n) / sizeof(n[0]) ? n[c] : "unknown";
}

static void dev_text(uint64_t rdev, char *buf, size_t len)
{
	/* the kernel's internal dev_t: major in the top 12 bits, minor in the low 20 */
	snprintf(buf, len, "%llu:%llu", (unsigned long long)(rdev >> 20), (unsigned long long)(rdev & 0xfffff));
}

static void hex(struct event_alert *a, const char *key, uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%llx", (unsigned long long)v);
	alert_evidence_str(a, key, b);
}

static const char *target_name(enum rule_target t)
{
	switch (t) {
	case TARGET_SAME: return "this container";
	case TARGET_OTHER: return "another container";
	case TARGET_HOST: return "the host";
	default: return "unknown";
	}
}

/* Benign device nodes (null, zero, full, random, urandom, tty, console, ptmx, pts). */
static bool benign_device(uint64_t mode, uint64_t dev)
{
	uint64_t ma, mi;

	if ((mode & 0170000) != 0020000)
		return false;
	/* userspace's dev_t here (the syscall's argument): major (bits 8..19), minor (0..7, 20..) */
	ma = (dev >> 8) & 0xfff;
	mi = (dev & 0xff) | ((dev >> 12) & ~0xffull);
	return (ma == 1 && (mi == 3 || mi == 5 || mi == 7 || mi == 8 || mi == 9)) ||
	       (ma == 5 && mi <= 2) || ma == 136;
}

static enum rule_id classify_open(const struct escape_record *r, struct event_alert *a)
{
	const struct bh_esc_event *e = r->e;
	char dev[32];
	enum rule_id id;

	alert_evidence_str(a, "path", r->str[0]);
	switch (e->arg[1]) {
	case BH_OPEN_BLOCK:
		dev_text(e->arg[2], dev, sizeof(dev));
		alert_evidence_str(a, "device", dev);
		return R_BLOCK_DEVICE;
	case BH_OPEN_MEMDEV:
		dev_text(e->arg[2], dev, sizeof(dev));
		alert_evidence_str(a, "device", dev);
		return R_MEMDEV;
	}
	switch (e->target_pid & 0xff) {	/* the name-table rule */
	case BH_NAME_CORE_PATTERN: id = R_CORE_PATTERN; break;
	case BH_NAME_MODPROBE: id = R_MODPROBE_PATH; break;
	case BH_NAME_UEVENT_HELPER: id = R_UEVENT_HELPER; break;
	case BH_NAME_SYSRQ: id = R_SYSRQ; break;
	case BH_NAME_RELEASE_AGENT:
	case BH_NAME_NOTIFY_ON_RELEASE: id = R_RELEASE_AGENT; break;
	case BH_NAME_LD_PRELOAD: id = R_LD_PRELOAD; break;
	case BH_NAME_KCORE: id = R_KCORE; break;
	case BH_NAME_PROC_MEM:
		/* /proc/self/mem is a process's own memory (some runtimes and JITs use it) */
		if (strstr(r->str[0], "/self/") || strstr(r->str[0], "/thread-self/"))
			return R_NONE;
		id = R_PROC_MEM;
		break;
	case BH_NAME_KALLSYMS: id = R_KALLSYMS; break;
	default: return R_NONE;
	}
	if (e->arg[1] == BH_OPEN_MASKED)
		alert_evidence_str(a, "masked_by_runtime", "true");
	if ((int64_t)e->arg[3] < 0)
		alert_evidence_u64(a, "errno", (uint64_t)-(int64_t)e->arg[3]);
	return id;
}

/* Runtime and kubelet sockets, by their file name. */
static bool runtime_socket(const char *path)
{
	static const char *const socks[] = { "docker.sock", "containerd.sock", "crio.sock", "podman.sock",
		"kubelet.sock", "dockershim.sock", "cri-dockerd.sock", "containerd-shim", "frakti.sock",
		"rktlet.sock", "cri-containerd.sock", "buildkitd.sock", "io.containerd" };
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++)
		if (strstr(base, socks[i]) || (path[0] == '@' && strstr(path, socks[i])))
			return true;
	return false;
}

enum rule_id rules_classify(const struct escape_record *r, enum rule_target target, struct event_alert *a)
{
	const struct bh_esc_event *e = r->e;
	char buf[96];

	switch (e->sig) {
	case BH_SIG_MOUNT:
		/* propagation changes only (MS_SHARED, MS_PRIVATE, MS_SLAVE, MS_UNBINDABLE [| MS_REC]) */
		if ((e->arg[0] & (0x100000 | 0x40000 | 0x80000 | 0x20000)) &&
		    !(e->arg[0] & ~(uint64_t)(0x100000 | 0x40000 | 0x80000 | 0x20000 | 0x4000 | 0xc0ed0000)))
			return R_NONE;
		alert_evidence_str(a, "fstype", r->str[0][0] ? r->str[0] : (e->arg[0] & 0x1000) ? "bind" : "none");
		alert_evidence_str(a, "source", r->str[1]);
		hex(a, "flags", e->arg[0]);
		return sensitive_fstype(r->str[0], r->str[1]) ? R_MOUNT_SENSITIVE : R_MOUNT;
	case BH_SIG_UMOUNT:
		alert_evidence_str(a, "target", r->str[0]);
		return R_UMOUNT;
	case BH_SIG_PIVOT_ROOT:
		alert_evidence_str(a, "target", r->str[0]);
		return R_PIVOT_ROOT;
	case BH_SIG_FSOPEN:
		alert_evidence_str(a, "syscall", "fsopen");
		alert_evidence_str(a, "fstype", r->str[0]);
		return R_MOUNT_API;
	case BH_SIG_FSMOUNT:
		alert_evidence_str(a, "syscall", syscall_name(e->arg[0]));
		if (r->str[0][0])
			alert_evidence_str(a, "path", r->str[0]);
		return R_MOUNT_API;
	case BH_SIG_SETNS:
		alert_evidence_str(a, "namespace", e->arg[2] == 0xff ? "every (pidfd)" :
				   e->arg[2] < BH_NS_COUNT ? ns_name(e->arg[2]) : ns_flag_name(e->arg[0]));
		alert_evidence_u64(a, "ns_inode", e->arg[1]);
		alert_evidence_str(a, "target", target_name(target));
		return target == TARGET_HOST ? R_SETNS_HOST : target == TARGET_OTHER ? R_SETNS_OTHER : R_SETNS;
	case BH_SIG_UNSHARE:
	case BH_SIG_CLONE_NS:
		ns_flags(e->arg[0], buf, sizeof(buf));
		alert_evidence_str(a, "flags", buf);
		if (e->arg[0] & 0x10000000)
			return R_UNSHARE_USERNS;
		return e->sig == BH_SIG_UNSHARE ? R_UNSHARE : R_CLONE_NS;
	case BH_SIG_MODULE:
		alert_evidence_str(a, "syscall", syscall_name(e->arg[0]));
		return R_MODULE_LOAD;
	case BH_SIG_MODULE_REQUEST:
		if (e->arg[1] == 1) {	/* socket() of a family whose module loads on demand */
			snprintf(buf, sizeof(buf), "net-pf-%llu", (unsigned long long)e->arg[0]);
			alert_evidence_str(a, "module", buf);
			alert_evidence_u64(a, "socket_family", e->arg[0]);
		} else {
			alert_evidence_str(a, "module", r->str[0]);
		}
		return R_MODULE_REQUEST;
	case BH_SIG_BPF:
		alert_evidence_str(a, "command", bpf_cmd_name(e->arg[0]));
		return R_BPF;
	case BH_SIG_PERF_EVENT:
		alert_evidence_u64(a, "type", e->arg[0]);
		return R_PERF_EVENT;
	case BH_SIG_USERFAULTFD:
		return R_USERFAULTFD;
	case BH_SIG_KEYCTL:
		alert_evidence_str(a, "syscall", syscall_name(e->arg[0]));
		if (r->str[0][0])
			alert_evidence_str(a, "key_type", r->str[0]);
		return R_KEYCTL;
	case BH_SIG_IO_URING:
		alert_evidence_u64(a, "entries", e->arg[0]);
		return R_IO_URING;
	case BH_SIG_PACKET_SOCKET:
		alert_evidence_u64(a, "socket_type", e->arg[0]);
		return R_PACKET_SOCKET;
	case BH_SIG_PTRACE:
		alert_evidence_u64(a, "target_pid", e->target_pid);
		alert_evidence_str(a, "target", target_name(target));
		alert_evidence_str(a, "request", e->arg[0] == 16 ? "PTRACE_ATTACH" : "PTRACE_SEIZE");
		return target == TARGET_HOST ? R_PTRACE_HOST : target == TARGET_OTHER ? R_PTRACE_OTHER : R_PTRACE;
	case BH_SIG_PROCESS_VM:
		alert_evidence_str(a, "syscall", syscall_name(e->arg[0]));
		alert_evidence_u64(a, "target_pid", e->target_pid);
		alert_evidence_str(a, "target", target_name(target));
		return R_PROCESS_VM;
	case BH_SIG_OPEN_BY_HANDLE:
		hex(a, "flags", e->arg[0]);
		return R_OPEN_BY_HANDLE;
	case BH_SIG_FILELESS_EXEC:
		alert_evidence_str(a, "name", r->str[0]);
		return R_FILELESS_EXEC;
	case BH_SIG_UNIX_CONNECT:
		if (!runtime_socket(r->str[0]))
			return R_NONE;
		alert_evidence_str(a, "path", r->str[0]);
		return R_RUNTIME_SOCKET;
	case BH_SIG_SETUID:
		alert_evidence_str(a, "syscall", syscall_name(e->arg[0]));
		return R_SETUID_ATTEMPT;
	case BH_SIG_CAPSET:
		hex(a, "asked", e->arg[0]);
		hex(a, "permitted", e->arg[1]);
		return R_CAPSET;
	case BH_SIG_SUID_EXEC:
		alert_evidence_str(a, "binary", r->str[0]);
		alert_evidence_u64(a, "uid", e->arg[0]);
		alert_evidence_u64(a, "euid", e->arg[1]);
		hex(a, "capabilities", e->arg[2]);
		return R_SETUID_EXEC;
	case BH_SIG_OPEN:
		return classify_open(r, a);
	case BH_SIG_CGROUP_ATTACH:
		alert_evidence_str(a, "cgroup", r->str[0]);
		alert_evidence_u64(a, "target_pid", e->target_pid);
		if (e->arg[1])
			alert_evidence_u64(a, "v1_hierarchy", e->arg[1]);
		return R_CGROUP_ESCAPE;
	case BH_SIG_DUP_SOCKET:
		alert_evidence_str(a, "fd", e->arg[0] == 0 ? "input" : e->arg[0] == 1 ? "output" : "error");
		alert_evidence_str(a, "family", e->arg[1] == 10 ? "ipv6" : "ipv4");
		return R_REVERSE_SHELL;
	case BH_SIG_SOCKET_SHELL:
		alert_evidence_str(a, "binary", r->str[0]);
		return R_SOCKET_SHELL;
	case BH_SIG_DRIFT_EXEC:
		alert_evidence_str(a, "binary", r->str[0]);
		alert_evidence_u64(a, "changed_after_start_ms", e->arg[0] > e->arg[1] ?
				   (e->arg[0] - e->arg[1]) / 1000000 : 0);
		return R_DRIFT;
	case BH_SIG_MKNOD:
		if (benign_device(e->arg[0], e->arg[1]))
			return R_NONE;
		alert_evidence_str(a, "path", r->str[0]);
		snprintf(buf, sizeof(buf), "%s %llu:%llu", (e->arg[0] & 0170000) == 0060000 ? "block" : "char",
			 (unsigned long long)((e->arg[1] >> 8) & 0xfff),
			 (unsigned long long)((e->arg[1] & 0xff) | ((e->arg[1] >> 12) & ~0xffull)));
		alert_evidence_str(a, "device", buf);
		return R_DEVICE_NODE;
	case BH_SIG_NS_ESCAPE:
		alert_evidence_str(a, "namespace", ns_name(e->arg[0]));
		alert_evidence_u64(a, "ns_inode", e->arg[1]);
		alert_evidence_u64(a, "container_ns_inode", e->arg[2]);
		return R_HOST_NAMESPACE;
	case BH_SIG_CAP_GAIN:
		hex(a, "extra", e->arg[0]);
		return R_CAP_GAIN;
	case BH_SIG_ROOT_GAIN:
		alert_evidence_u64(a, "base_uid", e->arg[0]);
		return R_ROOT_GAIN;
	case BH_SIG_TAMPER:
		/* arg2: what the guard (BPF LSM) refused (enum bh_tamper_what); else a signal */
		switch (e->arg[2]) {
		case BH_TAMPER_PTRACE: alert_evidence_str(a, "what", "ptrace of the agent"); break;
		case BH_TAMPER_BPF_OBJ: alert_evidence_str(a, "what", "one of its BPF maps or programs, by id"); break;
		case BH_TAMPER_LINK: alert_evidence_str(a, "what", "one of its BPF links"); break;
		case BH_TAMPER_UNPIN:
			snprintf(buf, sizeof(buf), "unpin %s", r->str[0]);
			alert_evidence_str(a, "what", buf);
			break;
		default:
			snprintf(buf, sizeof(buf), "signal %llu to the agent", (unsigned long long)e->arg[0]);
			alert_evidence_str(a, "what", buf);
			alert_evidence_u64(a, "signal", e->arg[0]);
		}
		alert_evidence_u64(a, "target_pid", e->target_pid);
		return R_TAMPER;
	}
	return R_NONE;
}

enum rule_id rules_classify_exec(const char *base, struct event_alert *a)
{
	static const char *const module_tools[] = { "insmod", "modprobe", "rmmod", "kmod", "depmod" };

	for (size_t i = 0; i < sizeof(module_tools) / sizeof(module_tools[0]); i++) {
		if (!strcmp(base, module_tools[i])) {
			alert_evidence_str(a, "binary", base);
			return R_MODULE_TOOL;
		}
	}
	return R_NONE;
}

void rules_summary(const struct rule *r, struct event_alert *a)
{
	const char *t = r->summary;
	size_t o = 0, cap = sizeof(a->summary) - 1;

	while (*t && o < cap) {
		const char *end;

		if (*t == '{' && (end = strchr(t, '}')) && end - t < 32) {
			char key[32];
			const char *v;

			memcpy(key, t + 1, (size_t)(end - t - 1));
			key[end - t - 1] = '\0';
			v = alert_evidence_get(a, key);
			if (!v)
				v = "?";
			while (*v && o < cap)
				a->summary[o++] = *v++;
			t = end + 1;
			continue;
		}
		a->summary[o++] = *t++;
	}
	a->summary[o] = '\0';
}
