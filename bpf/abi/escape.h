/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Escape detection: what the kernel saw a container's task do, as records of
 * bpf/escape.bpf.c (tracepoints: every kernel) and bpf/guard.bpf.c (BPF LSM:
 * the same signals, refused), decoded by userspace/detect/escape.c and judged
 * by the rules of userspace/detect/rules.c. Fixed-width types only, sizes
 * pinned below.
 *
 * Only "armed" tasks report: a task is armed by its first exec inside a
 * container (its mount namespace is not the host's), and its children inherit
 * it. The runtime's own setup (runc init, crun: mounts, setns, pivot_root,
 * capset) runs before the entrypoint's exec and is never reported. Each
 * armed lineage carries the container's baseline, taken at that exec: its
 * namespaces, capability bounding set and uid, against which outcomes are
 * judged ("runs in a host namespace", "holds more capabilities").
 */
#ifndef BULKHEAD_ESCAPE_H
#define BULKHEAD_ESCAPE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "abi/events.h"

#define BH_ESC_RINGBUF		(512u << 10)
#define BH_ESC_STR_MAX		256	/* each of the two strings of a record */
#define BH_ESC_CHAIN_MAX	8	/* ancestors reported, nearest first */
#define BH_ESC_NAME_MAX		32	/* file names (dentry names) in the name table and chains */
#define BH_ESC_RATE_PER_SEC	64	/* records per container per second; the rest counted */

/* The namespaces compared: index into bh_esc_base.ns[] and the host's. */
enum bh_ns {
	BH_NS_MNT = 0,
	BH_NS_PID,		/* pid_ns_for_children: what a setns(CLONE_NEWPID) changes */
	BH_NS_NET,
	BH_NS_USER,
	BH_NS_UTS,
	BH_NS_IPC,
	BH_NS_CGROUP,
	BH_NS_COUNT
};

/* What was seen: one value per kernel signal. The rule engine maps each to a rule. */
enum bh_esc_sig {
	BH_SIG_MOUNT = 1,	/* mount(2): str0 = fs type, str1 = source; arg0 = flags */
	BH_SIG_UMOUNT,		/* umount2: str0 = target */
	BH_SIG_PIVOT_ROOT,	/* str0 = new root */
	BH_SIG_FSOPEN,		/* fsopen: str0 = fs type */
	BH_SIG_FSMOUNT,		/* fsmount / move_mount / open_tree(OPEN_TREE_CLONE): arg0 = syscall nr */
	BH_SIG_SETNS,		/* arg0 = nstype asked, arg1 = target ns inum, arg2 = ns type found (enum bh_ns) */
	BH_SIG_UNSHARE,		/* arg0 = CLONE_NEW* flags */
	BH_SIG_CLONE_NS,	/* clone/clone3 with CLONE_NEW*: arg0 = flags */
	BH_SIG_MODULE,		/* init_module / finit_module / kexec: arg0 = syscall nr */
	BH_SIG_MODULE_REQUEST,	/* request_module(): str0 = module name */
	BH_SIG_BPF,		/* bpf(): arg0 = command */
	BH_SIG_PERF_EVENT,	/* perf_event_open: arg0 = type, arg1 = target pid */
	BH_SIG_USERFAULTFD,
	BH_SIG_KEYCTL,		/* keyctl / add_key / request_key: arg0 = syscall nr, arg1 = op */
	BH_SIG_IO_URING,
	BH_SIG_PACKET_SOCKET,	/* socket(AF_PACKET): arg0 = type */
	BH_SIG_PTRACE,		/* arg0 = request, target_pid as the caller names it */
	BH_SIG_PROCESS_VM,	/* process_vm_writev / readv: arg0 = syscall nr, target_pid */
	BH_SIG_OPEN_BY_HANDLE,	/* open_by_handle_at */
	BH_SIG_FILELESS_EXEC,	/* exec of a memfd or an unlinked file: str0 = its name */
	BH_SIG_UNIX_CONNECT,	/* connect() to a unix socket named *.sock: str0 = path ('@' = abstract) */
	BH_SIG_SETUID,		/* a non-root task asks for uid/gid 0: arg0 = syscall nr, arg1 = id asked */
	BH_SIG_CAPSET,		/* capset asking for capabilities not permitted: arg0 = asked, arg1 = permitted */
	BH_SIG_SUID_EXEC,	/* exec gave euid 0 to a non-root uid, or capabilities to a non-root task:
				 * str0 = binary, arg0 = old euid, arg1 = new euid, arg2 = new cap_effective */
	BH_SIG_OPEN,		/* a sensitive open: str0 = path (or name), arg0 = open flags, arg1 = enum bh_open_kind,
				 * arg2 = rdev (devices), arg3 = the open's result (0 or -errno) */
	BH_SIG_CGROUP_ATTACH,	/* a task moved to a cgroup outside the container's: arg0 = dst cgroup id,
				 * arg1 = v1 hierarchy id (0: v2), target_pid = the task moved; str0 = dst path */
	BH_SIG_DUP_SOCKET,	/* dup2/dup3 of an inet socket onto 0/1/2: arg0 = new fd, arg1 = family */
	BH_SIG_SOCKET_SHELL,	/* a shell exec'd with an inet socket as stdin and stdout: str0 = binary */
	BH_SIG_DRIFT_EXEC,	/* exec of a file changed after the container started: str0 = binary,
				 * arg0 = its ctime (boot ns), arg1 = the container's start (boot ns) */
	BH_SIG_MKNOD,		/* a device node made: arg0 = mode, arg1 = rdev; str0 = path */
	BH_SIG_NS_ESCAPE,	/* outcome: a namespace that is the host's, not the baseline's:
				 * arg0 = enum bh_ns, arg1 = the ns inum, arg2 = the baseline's */
	BH_SIG_CAP_GAIN,	/* outcome: effective caps beyond the baseline's bounding set: arg0 = extra */
	BH_SIG_ROOT_GAIN,	/* outcome: euid 0 in a lineage that started non-root: arg0 = baseline uid */
	BH_SIG_TAMPER,		/* a signal, ptrace or bpf() aimed at the agent: arg0 = what, target_pid */
	BH_SIG_COUNT
};

/* BH_SIG_OPEN kinds: what the opened file is. */
enum bh_open_kind {
	BH_OPEN_NAMED = 1,	/* a name of the name table (core_pattern, release_agent, ...) */
	BH_OPEN_BLOCK,		/* a block device */
	BH_OPEN_MEMDEV,		/* /dev/mem, /dev/kmem, /dev/port (char 1:1, 1:2, 1:4) */
	BH_OPEN_MASKED,		/* a path the runtime masked with /dev/null, by its asked name */
};

/* bh_esc_event.flags */
#define BH_ESCF_REFUSED		(1u << 0)	/* BPF LSM refused it (EPERM) */
#define BH_ESCF_KILLED		(1u << 1)	/* the task was sent SIGKILL before the call ran */
#define BH_ESCF_HOSTPID		(1u << 2)	/* the caller shares the host's pid namespace */
#define BH_ESCF_TARGET_HOST	(1u << 3)	/* the target (ns, task, cgroup) is the host's */
#define BH_ESCF_TARGET_OTHER	(1u << 4)	/* the target is outside the container, not the host's */
#define BH_ESCF_STR0_TRUNC	(1u << 5)
#define BH_ESCF_STR1_TRUNC	(1u << 6)
#define BH_ESCF_WRITE		(1u << 7)	/* BH_SIG_OPEN: opened for writing */

/* Name-table values (bh_esc_names): which rule a file name belongs to. */
enum bh_name_rule {
	BH_NAME_CORE_PATTERN = 1,	/* parent "kernel" on procfs */
	BH_NAME_MODPROBE,		/* parent "kernel" on procfs */
	BH_NAME_UEVENT_HELPER,		/* sysfs */
	BH_NAME_SYSRQ,			/* procfs */
	BH_NAME_RELEASE_AGENT,		/* cgroup v1 */
	BH_NAME_NOTIFY_ON_RELEASE,	/* cgroup v1 */
	BH_NAME_LD_PRELOAD,		/* /etc/ld.so.preload */
	BH_NAME_KCORE,			/* procfs */
	BH_NAME_PROC_MEM,		/* /proc/<pid>/mem, written */
	BH_NAME_KALLSYMS,		/* read only: recon */
};
/* Flags in the name table's value: report only when opened for writing. */
#define BH_NAMEF_WRITE_ONLY	(1u << 8)

struct bh_esc_name_key {
	char name[BH_ESC_NAME_MAX];	/* the file's name (its last component), zero-padded */
};

/* An ancestor of the reporting task, inside the container. */
struct bh_esc_ancestor {
	__u32 pid;
	__u32 uid;
	char comm[BH_COMM_LEN];
	char exe[BH_ESC_NAME_MAX];	/* the executable's file name (not its path) */
};
_Static_assert(sizeof(struct bh_esc_ancestor) == 56, "bh_esc_ancestor layout");

/* Ring-buffer record, kind BH_EV_ESCAPE; the header's cgroup id is the caller's. */
struct bh_esc_event {
	struct bh_event_hdr hdr;
	__u32 sig;			/* enum bh_esc_sig */
	__u32 flags;			/* BH_ESCF_* */
	__u64 arg[4];			/* per signal, see enum bh_esc_sig */
	__u32 target_pid;		/* as the caller names it (its own pid namespace) */
	__u32 n_chain;			/* ancestors in chain[] */
	__u64 base_cgroup_id;		/* the container's cgroup when its lineage was armed */
	__u32 base_uid;			/* uid at arming */
	__u32 suppressed;		/* records of this container dropped by the rate limit before this one */
	__u32 ns[BH_NS_COUNT];		/* the caller's namespaces now */
	__u32 _pad;
	__u64 cap_effective;		/* the caller's now */
	__u16 str_len[2];		/* bytes in str[i], without a NUL */
	__u32 _pad2;
	struct bh_esc_ancestor chain[BH_ESC_CHAIN_MAX];
	char str[2][BH_ESC_STR_MAX];
};
_Static_assert(sizeof(struct bh_esc_event) ==
	       64 + 8 + 32 + 8 + 8 + 8 + 4 * BH_NS_COUNT + 4 + 8 + 8 +
	       BH_ESC_CHAIN_MAX * 56 + 2 * BH_ESC_STR_MAX, "bh_esc_event layout");

/* Per-task state (task storage): set at arming, copied to children at fork. */
#define BH_TASK_ARMED		(1u << 0)

struct bh_esc_base {
	__u32 flags;			/* BH_TASK_* */
	__u32 uid;			/* euid at arming */
	__u64 cgroup_id;		/* the container's cgroup v2 id at arming */
	__u64 start_ns;			/* boot ns of the arming exec (the container's start) */
	__u64 cap_bset;			/* capability bounding set at arming */
	__u32 ns[BH_NS_COUNT];		/* namespaces at arming */
	__u32 reported;			/* BH_SIG_NS_ESCAPE..ROOT_GAIN already reported (bits) */
};
_Static_assert(sizeof(struct bh_esc_base) == 64, "bh_esc_base layout");

/* Loader configuration (rodata). */
struct bh_esc_config {
	__u32 host_ns[BH_NS_COUNT];	/* the host's namespaces (/proc/1/ns/) */
	__u32 agent_tgid;		/* the agent, as the host's pid namespace names it */
	__u64 root_cgroup_id;		/* the cgroup2 root: never a container */
};

#endif
