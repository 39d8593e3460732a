// SPDX-License-Identifier: GPL-2.0
/*
 * Cgroup v2 directories made and removed (BTF tracepoints: no tracefs), so
 * that the agent attributes a container's first event without a disk read
 * on the event path and forgets containers that are gone.
 * Consumer: userspace/cgroup_events.c. Records: bpf/cgroup.h.
 */
#include "bulkhead.bpf.h"
#include "cgroup.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, BH_CGROUP_RINGBUF);
} bh_cgev_rb SEC(".maps");

struct bh_lost_map bh_cgev_lost SEC(".maps");
struct bh_lost_total_map bh_cgev_lost_total SEC(".maps");

static __always_inline int cgroup_event(struct cgroup *cgrp, const char *path, __u32 op)
{
	struct bh_cgroup_event *e;
	__u64 id;
	long n;

	/* The v2 hierarchy is the default root, hierarchy id 0; v1 controllers are not ours. */
	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
		return 0;
	id = BPF_CORE_READ(cgrp, kn, id);
	e = bpf_ringbuf_reserve(&bh_cgev_rb, sizeof(*e), 0);
	if (!e) {
		bh_count_lost(&bh_cgev_lost, &bh_cgev_lost_total, id);
		return 0;
	}
	e->op = op;
	e->flags = 0;
	e->cgroup_id = id;
	e->ts_boot_ns = bpf_ktime_get_boot_ns();
	e->level = BPF_CORE_READ(cgrp, level);
	n = bpf_probe_read_kernel_str(e->path, sizeof(e->path), path);
	if (n < 1) {
		n = 1;
		e->path[0] = '\0';
	}
	if (n == sizeof(e->path))
		e->flags |= BH_CGF_PATH_TRUNC;
	e->path_len = n - 1;
	/* Rare: the default wake-up (when the agent has caught up) is cheap here. */
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(bh_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	return cgroup_event(cgrp, path, BH_CGROUP_MKDIR);
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(bh_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	return cgroup_event(cgrp, path, BH_CGROUP_RMDIR);
}
