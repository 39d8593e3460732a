// SPDX-License-Identifier: GPL-2.0
/*
 * The enforcement core's maps, and nothing else: userspace/enforce.c loads
 * this object first so that the shared maps exist (pinned by name) before any
 * enforcing feature loads and reuses them.
 */
#include "enforce.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * Used only to wait for an RCU grace period from userspace: the kernel
 * follows every update of a map-in-map from the bpf() syscall with
 * synchronize_rcu() (kernel/bpf/syscall.c, maybe_wait_bpf_programs()), after
 * which no BPF program still runs with a generation read before the update.
 */
struct bh_barrier_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct bh_barrier_inner);
} bh_barrier SEC(".maps");

/* ---- new and removed cgroups -------------------------------------------- */

const volatile char hold_prefix[BH_HOLD_PREFIXES][BH_HOLD_PREFIX_LEN];
const volatile __u64 hold_ns = BH_HOLD_NS_DEFAULT;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} bh_cg_rb SEC(".maps");

struct bh_lost_map bh_cg_lost SEC(".maps");
struct bh_lost_total_map bh_cg_lost_total SEC(".maps");

/* Does path start with prefix p (a directory prefix: "/a" matches "/a" and "/a/b")? */
static __always_inline int under(const char *path, __u32 i)
{
	int k;

	if (!hold_prefix[i][0])
		return 0;
	for (k = 0; k < BH_HOLD_PREFIX_LEN - 1; k++) {
		char c = hold_prefix[i][k];

		if (!c)
			break;
		if (path[k & (BH_CG_PATH_MAX - 1)] != c)
			return 0;
	}
	/* a strict descendant only: the prefix itself is not held */
	return path[k & (BH_CG_PATH_MAX - 1)] == '/';
}

static __always_inline int cg_event(struct cgroup *cgrp, const char *path, __u32 kind)
{
	struct bh_cg_event *e;
	__u64 id;
	long n;

	/* The cgroup v2 hierarchy only (hierarchy id 0); v1 controllers are not ours. */
	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
		return 0;
	id = BPF_CORE_READ(cgrp, kn, id);
	e = bpf_ringbuf_reserve(&bh_cg_rb, sizeof(*e), 0);
	if (!e) {
		bh_count_lost(&bh_cg_lost, &bh_cg_lost_total, id);
		/* Still hold a new cgroup: the agent rescans when it sees losses. */
		return 0;
	}
	e->kind = kind;
	e->held = 0;
	e->cgroup_id = id;
	e->ts_boot_ns = bpf_ktime_get_boot_ns();
	e->level = BPF_CORE_READ(cgrp, level);
	n = bpf_probe_read_kernel_str(e->path, sizeof(e->path), path);
	if (n < 1) {
		n = 1;
		e->path[0] = 0;
	}
	e->path_len = n - 1;
	if (kind == BH_CG_MKDIR) {
		for (__u32 i = 0; i < BH_HOLD_PREFIXES; i++) {
			if (under(e->path, i)) {
				__u64 deadline = bpf_ktime_get_ns() + hold_ns;

				bpf_map_update_elem(&bh_cg_hold, &id, &deadline, BPF_ANY);
				e->held = 1;
				break;
			}
		}
	}
	/* Rare, and the agent must act before the container runs: wake it now. */
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(bh_cg_mkdir, struct cgroup *cgrp, const char *path)
{
	return cg_event(cgrp, path, BH_CG_MKDIR);
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(bh_cg_rmdir, struct cgroup *cgrp, const char *path)
{
	return cg_event(cgrp, path, BH_CG_RMDIR);
}
