/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cgroup lifecycle records, shared by bpf/cgroup.bpf.c and
 * userspace/telemetry/cgroup_events.c: fixed-width types only, sizes pinned. One
 * record feeds both consumers of a cgroup v2 directory made or removed:
 *   - container attribution (userspace/attrib/attrib.c): a new directory is resolved
 *     before its first process runs, a removed one is forgotten;
 *   - enforcement (userspace/enforce/policy_engine.c): a new directory is classified
 *     (its policy assigned, or none) and released from its hold, a removed
 *     one loses its policy entry and counter slot.
 */
#ifndef BULKHEAD_CGROUP_H
#define BULKHEAD_CGROUP_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define BH_CGROUP_PATH_MAX	256		/* longer paths: flagged, resolved by id instead */
#define BH_CGROUP_RINGBUF	(256u << 10)

enum bh_cgroup_op {
	BH_CGROUP_MKDIR = 1,
	BH_CGROUP_RMDIR = 2,
};

#define BH_CGF_PATH_TRUNC	(1u << 0)	/* path cut short: resolve by id */
#define BH_CGF_HELD		(1u << 1)	/* entered bh_cg_hold (bpf/abi/enforce.h) */

struct bh_cgroup_event {
	__u32 op;		/* enum bh_cgroup_op */
	__u32 flags;		/* BH_CGF_* */
	__u64 cgroup_id;	/* the directory's kernfs id (what bpf_get_current_cgroup_id() returns) */
	__u64 ts_boot_ns;
	__u32 level;		/* depth below the cgroup2 root */
	__u32 path_len;		/* bytes in path, without the NUL */
	char path[BH_CGROUP_PATH_MAX];	/* relative to the cgroup2 root, "/a/b" */
};
_Static_assert(sizeof(struct bh_cgroup_event) == 32 + BH_CGROUP_PATH_MAX, "bh_cgroup_event layout");

#endif
