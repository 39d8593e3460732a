/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The enforcement core shared by every enforcing feature (network, file,
 * exec, escape): which policy applies to which container, double-buffered by
 * generation. Shared by the BPF programs (bpf/lib/enforce.bpf.h) and the agent
 * (userspace/enforce/enforce.c): fixed-width types only, sizes pinned below.
 *
 * Every policy map key starts with a generation (0 or 1). A BPF program reads
 * the active generation once per hook and uses it for every lookup of that
 * hook. The agent fills the inactive generation, flips bh_active_gen, waits
 * for an RCU grace period (bh_barrier), then deletes the old generation: no
 * program ever sees half a policy or none. See docs/ARCHITECTURE.md.
 */
#ifndef BULKHEAD_ENFORCE_H
#define BULKHEAD_ENFORCE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Where the enforcement maps and links are pinned (bpffs); --pin-dir changes it. */
#define BH_PIN_DIR_DEFAULT	"/sys/fs/bpf/bulkhead"

/* Containers with an entry, per generation; counter slots (slot 0 = none). */
#define BH_MAX_CONTAINERS	16384
#define BH_CG_POLICY_ENTRIES	(2 * BH_MAX_CONTAINERS)
#define BH_MAX_SLOTS		BH_MAX_CONTAINERS

/* Sections of a policy; the same order as enum policy_section. */
enum bh_section {
	BH_SEC_FILE = 0,
	BH_SEC_EXEC = 1,
	BH_SEC_NET = 2,
	BH_SEC_ESCAPE = 3,
	BH_SEC_COUNT = 4,
};

/* bh_cg_policy.mode[section]; the same values as enum policy_mode. */
#define BH_ENFORCE	0	/* deny what the policy denies */
#define BH_AUDIT	1	/* report what would be denied, allow it */

/* bh_cg_policy.flags: which features have rules for this container. */
#define BH_CGP_NET	(1u << 0)	/* network rules apply (maps of bpf/abi/net.h) */
#define BH_CGP_FILE	(1u << 1)
#define BH_CGP_EXEC	(1u << 2)
#define BH_CGP_ESCAPE	(1u << 3)	/* esc_enforce is the policy's (the escape guard) */

struct bh_cg_key {
	__u32 gen;		/* 0 or 1 */
	__u32 pad;		/* must be 0 */
	__u64 cgroup_id;	/* cgroup v2 id of the container */
};
_Static_assert(sizeof(struct bh_cg_key) == 16, "bh_cg_key layout");

/*
 * A container known to the agent. policy_id 0 = no policy: nothing is
 * enforced, only counted (in the features' slot-indexed counter arrays).
 */
struct bh_cg_policy {
	__u32 policy_id;		/* id in the generation's policy set, 0 = none */
	__u8  mode[BH_SEC_COUNT];	/* BH_ENFORCE or BH_AUDIT per enum bh_section */
	__u32 flags;			/* BH_CGP_* */
	__u32 slot;			/* counter slot, 1..BH_MAX_SLOTS-1, stable per container */
	__u32 esc_enforce;		/* escape protections refused (BH_CGP_ESCAPE): bits of
					 * enum bh_esc_protection (bpf/abi/guard.h) */
	__u32 _pad;
};
_Static_assert(sizeof(struct bh_cg_policy) == 24, "bh_cg_policy layout");

/*
 * bh_memo_ctl[0]: what every memoized file decision (bpf/lib/file_memo.bpf.h)
 * depends on besides its own key, on one page (an exec's hit finds it cold).
 * epoch: a decision stays valid only while this is unchanged. The core moves it
 * BH_MEMO_EPOCH_JUMP ahead whenever what the policy maps say may change (with
 * bh_policy_epoch, and at once when a generation comes into force); the file
 * object's fexit programs add one after every change of a name, a mount tree
 * or a task's cgroups. A writer from userspace reads, adds the jump and writes
 * back: a bump the kernel made in between is not lost, the value only grows
 * past anything an entry holds. mode: BH_MEMO_* of bpf/abi/file.h (the file
 * feature's; the core never reads it). kflags: BH_MEMO_K_* of bpf/abi/file.h,
 * set by the file feature's BPF side only (never cleared, never written from
 * userspace).
 */
struct bh_memo_ctl {
	__u32 mode;
	__u32 kflags;
	__u64 epoch;
};
_Static_assert(sizeof(struct bh_memo_ctl) == 16, "bh_memo_ctl layout");
#define BH_MEMO_EPOCH_JUMP	(1ull << 20)

/*
 * New cgroups: the agent learns of every cgroup v2 directory made or removed
 * (tp_btf/cgroup_mkdir, cgroup_rmdir: bpf/cgroup.bpf.c) at once. A new cgroup under one of the
 * hold prefixes (bulkhead run --hold-new-cgroups) is held: enforcing hooks
 * deny for it, fail-closed, until the agent has classified it (assigned its
 * policy, or none) or BH_HOLD_NS have passed. This is how a container that
 * starts after the agent is covered from its first packet.
 */
#define BH_HOLD_PREFIXES	4
#define BH_HOLD_PREFIX_LEN	128
#define BH_HOLD_NS_DEFAULT	(5ull * 1000000000ull)

#endif
