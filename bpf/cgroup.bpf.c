// SPDX-License-Identifier: GPL-2.0
/*
 * The one tracer of cgroup v2 directories made and removed (BTF tracepoints:
 * no tracefs). Its records feed container attribution and enforcement alike
 * (bpf/abi/cgroup.h); the agent wakes at once for each: it must act before the
 * container's first process runs.
 *
 * Once enforcement runs, a new cgroup below one of the hold prefixes
 * (bulkhead run --hold-new-cgroups) also enters bh_cg_hold, the enforcement
 * core's map: enforcing hooks deny for it, fail-closed, until the agent has
 * classified it or hold_ns have passed (bpf/abi/enforce.h). The tracer reaches
 * that map through a one-slot map of maps, which the agent fills when
 * enforcement starts (at start-up, or on the SIGHUP that brings the first
 * policy with kernel rules): the tracer itself never pins anything.
 * Consumer: userspace/telemetry/cgroup_events.c.
 */
#include "lib/bulkhead.bpf.h"
#include "abi/cgroup.h"
#include "abi/enforce.h"

char LICENSE[] SEC("license") = "GPL";

/* Set at load (bulkhead run --hold-new-cgroups, --hold-ms); empty: nothing is held. */
const volatile char hold_prefix[BH_HOLD_PREFIXES][BH_HOLD_PREFIX_LEN];
const volatile __u64 hold_ns = BH_HOLD_NS_DEFAULT;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, BH_CGROUP_RINGBUF);
} bh_cgev_rb SEC(".maps");

/* Slot 0: the enforcement core's bh_cg_hold (bpf/lib/enforce.bpf.h), or empty. */
struct bh_cg_hold_inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BH_MAX_CONTAINERS);
	__type(key, __u64);
	__type(value, __u64);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct bh_cg_hold_inner);
} bh_cg_hold_slot SEC(".maps");

struct bh_lost_map bh_cgev_lost SEC(".maps");
struct bh_lost_total_map bh_cgev_lost_total SEC(".maps");

/* Is path a strict descendant of hold prefix i ("/a" holds "/a/b", not "/a")? */
static __always_inline int under(const char *path, __u32 i)
{
	int k;

	if (!hold_prefix[i][0])
		return 0;
	for (k = 0; k < BH_HOLD_PREFIX_LEN - 1; k++) {
		char c = hold_prefix[i][k];

		if (!c)
			break;
		if (path[k & (BH_CGROUP_PATH_MAX - 1)] != c)
			return 0;
	}
	return path[k & (BH_CGROUP_PATH_MAX - 1)] == '/';
}

static __always_inline void hold(struct bh_cgroup_event *e)
{
	__u32 zero = 0;
	void *held = bpf_map_lookup_elem(&bh_cg_hold_slot, &zero);

	if (!held)
		return;		/* nothing is enforced */
	for (__u32 i = 0; i < BH_HOLD_PREFIXES; i++) {
		if (under(e->path, i)) {
			__u64 deadline = bpf_ktime_get_ns() + hold_ns, id = e->cgroup_id;

			/* The key on the stack: 6.1 takes no ring buffer memory as a key. */
			if (!bpf_map_update_elem(held, &id, &deadline, BPF_ANY))
				e->flags |= BH_CGF_HELD;
			return;
		}
	}
}

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
		/* Not held either: the agent rescans the tree when it sees losses. */
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
	if (op == BH_CGROUP_MKDIR)
		hold(e);	/* a prefix is shorter than any cut path */
	bpf_ringbuf_submit(e, BH_ALERT_SUBMIT_FLAGS);
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
