/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The escape guard: BPF LSM programs (bpf/guard.bpf.c) that refuse escape
 * techniques with EPERM for armed container tasks and protect bulkhead's own
 * objects, loaded by userspace/enforce/guard.c. Records are struct
 * bh_esc_event (bpf/abi/escape.h) with BH_ESCF_REFUSED, in bh_guard_rb.
 *
 * Every map here is pinned by name under the enforcement pin directory, as
 * are the programs' links: the guard, and the arming of new containers'
 * tasks, keep working while no agent runs. Fixed-width types only.
 */
#ifndef BULKHEAD_GUARD_H
#define BULKHEAD_GUARD_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "abi/escape.h"

#define BH_GUARD_SOCK_NAMES	64	/* runtime socket file names (bh_guard_socks) */

/* bh_guard_cfg.flags */
#define BH_GCF_VALID		(1u << 0)	/* written by an agent: the guard acts only then */
#define BH_GCF_OBH_TP		(1u << 1)	/* the open_by_handle_at tracepoints are attached */

/* The one entry of bh_guard_cfg: written by the agent at start, kept while it is down. */
struct bh_guard_cfg {
	__u32 flags;			/* BH_GCF_* */
	__u32 agent_tgid;		/* the running agent (host pid namespace), 0: none */
	__u32 host_ns[BH_NS_COUNT];	/* /proc/1/ns/<x> inode numbers */
	__u32 default_esc;		/* POLICY_ESC_* bits refused for a container without an
					 * entry in bh_cgroup_policy (the NodeDefault's, so a container
					 * started while no agent runs is covered) */
	__u64 root_cgid;		/* tasks are armed only below this cgroup (the attach cgroup;
					 * the cgroup2 root: any cgroup but the root) */
	__u64 cg2_root_id;		/* the cgroup2 root: never armed there */
	__u64 agent_cgid;		/* the agent's own cgroup: never armed (a DaemonSet restarting) */
	__u64 pin_dir_ino;		/* the pin directory on bpffs: its pins are never unlinked */
	__u64 links_dir_ino;		/* <pin dir>/links */
	__u32 pin_dev;			/* s_dev of that bpffs, kernel encoding (major << 20 | minor) */
	__u32 _pad;
};
_Static_assert(sizeof(struct bh_guard_cfg) == 8 + 4 * BH_NS_COUNT + 4 + 5 * 8 + 8,
	       "bh_guard_cfg layout");

/* Key of bh_guard_socks: a socket file's name ("containerd.sock"), zero-padded. */
struct bh_guard_sock_key {
	char name[BH_ESC_NAME_MAX];
};

/* Counters (bh_guard_stats, per CPU). */
enum bh_guard_stat {
	BH_GS_REFUSED = 0,	/* calls refused */
	BH_GS_ARMED,		/* lineages armed at exec */
	BH_GS_RATE_LIMITED,	/* records not sent: per-container rate limit */
	BH_GS_RB_FULL,		/* records not sent: ring full */
	BH_GS_TAMPER,		/* refusals aimed at bulkhead itself */
	BH_GS_COUNT
};

/*
 * The guard's BH_SIG_TAMPER records: arg[0] = the signal (as the tracepoint
 * sensor sends it; 0 when it was no signal), arg[1] = the detail below,
 * arg[2] = what was aimed at bulkhead.
 */
enum bh_tamper_what {
	BH_TAMPER_KILL = 1,	/* a signal to the agent: arg1 = signal */
	BH_TAMPER_PTRACE,	/* ptrace / process_vm / /proc/<agent>/mem: arg1 = ptrace mode */
	BH_TAMPER_BPF_OBJ,	/* an fd of one of bulkhead's maps or programs: arg1 = id */
	BH_TAMPER_LINK,		/* detach / update / get of bulkhead's link: arg1 = bpf cmd */
	BH_TAMPER_UNPIN,	/* unlink or rename of a pin under the pin directory: str0 = name */
};

/*
 * The protections, as bits of bh_cg_policy.esc_enforce and bh_guard_cfg.default_esc:
 * the same values as enum policy_escape_bit (userspace/policy/policy.h; guard.c
 * checks that they agree).
 */
enum bh_esc_protection {
	BH_EP_MOUNT = 0,
	BH_EP_PTRACE,
	BH_EP_KERNEL_MODULES,
	BH_EP_BPF,
	BH_EP_PRIV_ESCALATION,
	BH_EP_NAMESPACES,
	BH_EP_HOST_PATHS,
	BH_EP_DEVICES,
	BH_EP_CGROUP,
	BH_EP_RUNTIME_SOCKETS,
	BH_EP_FILELESS_EXEC,
	BH_EP_DRIFT,
	BH_EP_REVERSE_SHELL,
	BH_EP_RECON,
	BH_EP_USER_NAMESPACES,
	BH_EP_SETUID_EXEC,
	BH_EP_COUNT
};

#endif
