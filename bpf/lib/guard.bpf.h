/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The escape guard's BPF side, shared helpers: the pinned per-task arming
 * state (bh_esc_task, also used by bpf/escape.bpf.c), the guard's pinned
 * configuration, the ring and its per-container rate limit, and the record
 * builder. Programs: bpf/guard.bpf.c. Layouts: bpf/abi/escape.h, abi/guard.h.
 */
#ifndef BULKHEAD_GUARD_BPF_H
#define BULKHEAD_GUARD_BPF_H

#include "lib/enforce.bpf.h"
#include "abi/escape.h"
#include "abi/guard.h"

#ifndef EPERM
#define EPERM 1
#endif

/*
 * The arming state of every task: created at the first exec in a container
 * (tp_btf/sched_process_exec), copied to children (sched_process_fork).
 * Pinned by name: another object opened with the same pin root (bpf/escape.bpf.c)
 * reuses this very map by declaring it identically.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct bh_esc_base);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_esc_task SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bh_guard_cfg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_guard_cfg SEC(".maps");

/* Refusals: pinned, so those made while no agent runs are read by the next one. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, BH_ESC_RINGBUF);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_guard_rb SEC(".maps");

/* Runtime and kubelet socket file names: name -> 1. Written by the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BH_GUARD_SOCK_NAMES);
	__type(key, struct bh_guard_sock_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_guard_socks SEC(".maps");

struct gd_rate {
	__u64 sec;		/* the second (boot time) being counted */
	__u32 n;		/* records sent in it */
	__u32 suppressed;	/* records dropped since the last one sent */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BH_MAX_CONTAINERS);
	__type(key, __u64);
	__type(value, struct gd_rate);
} bh_guard_rate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BH_GS_COUNT);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_guard_stats SEC(".maps");

/* Lost records, by the bh_<x>_lost convention (userspace/telemetry/lost.c). */
struct bh_lost_map bh_guard_lost SEC(".maps");
struct bh_lost_total_map bh_guard_lost_total SEC(".maps");

static __always_inline void gd_stat(__u32 k)
{
	__u64 *n = bpf_map_lookup_elem(&bh_guard_stats, &k);

	if (n)
		*n += 1;
}

static __always_inline const struct bh_guard_cfg *gd_cfg(void)
{
	__u32 zero = 0;
	const struct bh_guard_cfg *c = bpf_map_lookup_elem(&bh_guard_cfg, &zero);

	return c && (c->flags & BH_GCF_VALID) ? c : NULL;
}

/* The arming state of the current task, or NULL: not a container's task (never policed). */
static __always_inline struct bh_esc_base *gd_armed(void)
{
	struct bh_esc_base *b = bpf_task_storage_get(&bh_esc_task, bpf_get_current_task_btf(), 0, 0);

	return b && (b->flags & BH_TASK_ARMED) ? b : NULL;
}

/*
 * The protections refused for the current task's container: its entry in
 * bh_cgroup_policy (the cgroup it is in, else the one it was armed in), else
 * the configured default (a container the agent has not classified: started
 * while no agent runs, or not yet).
 */
static __always_inline __u32 gd_enforced(const struct bh_esc_base *b)
{
	const struct bh_guard_cfg *c;
	const struct bh_cg_policy *p;
	__u32 gen;

	p = bh_policy_for(bpf_get_current_cgroup_id(), &gen);
	if (!p)
		p = bh_policy_for(b->cgroup_id, &gen);
	if (p)
		return (p->flags & BH_CGP_ESCAPE) ? p->esc_enforce : 0;
	c = gd_cfg();
	return c ? c->default_esc : 0;
}

#define GD_ON(b, bit) ((gd_enforced(b) >> (bit)) & 1)

/* The current task's namespaces (enum bh_ns order). */
static __always_inline void gd_task_ns(struct task_struct *t, __u32 ns[BH_NS_COUNT])
{
	struct nsproxy *np = BPF_CORE_READ(t, nsproxy);

	ns[BH_NS_MNT] = BPF_CORE_READ(np, mnt_ns, ns.inum);
	ns[BH_NS_PID] = BPF_CORE_READ(np, pid_ns_for_children, ns.inum);
	ns[BH_NS_NET] = BPF_CORE_READ(np, net_ns, ns.inum);
	ns[BH_NS_USER] = BPF_CORE_READ(t, cred, user_ns, ns.inum);
	ns[BH_NS_UTS] = BPF_CORE_READ(np, uts_ns, ns.inum);
	ns[BH_NS_IPC] = BPF_CORE_READ(np, ipc_ns, ns.inum);
	ns[BH_NS_CGROUP] = BPF_CORE_READ(np, cgroup_ns, ns.inum);
}

/* What a hook reports; gd_emit() builds the record. Strings are kernel addresses. */
struct gd_req {
	__u32 sig;
	__u32 flags;
	__u32 target_pid;
	__u32 base_uid;
	__u64 base_cgid;
	__u64 arg[4];
	__u64 s0;
	__u64 s1;
};

/* One per container per second up to BH_ESC_RATE_PER_SEC; *suppressed = dropped before. */
static __always_inline int gd_rate_ok(__u64 cgid, __u32 *suppressed)
{
	__u64 sec = bpf_ktime_get_boot_ns() / 1000000000ull;
	struct gd_rate *r = bpf_map_lookup_elem(&bh_guard_rate, &cgid), nr = { .sec = sec, .n = 1 };

	*suppressed = 0;
	if (!r) {
		bpf_map_update_elem(&bh_guard_rate, &cgid, &nr, BPF_ANY);
		return 1;
	}
	if (r->sec != sec) {
		*suppressed = r->suppressed;
		r->sec = sec;
		r->n = 1;
		r->suppressed = 0;
		return 1;
	}
	if (r->n >= BH_ESC_RATE_PER_SEC) {
		__sync_fetch_and_add(&r->suppressed, 1);
		return 0;
	}
	r->n++;
	*suppressed = r->suppressed;
	r->suppressed = 0;
	return 1;
}

/*
 * Report a refusal (and count it). A global function: verified once, not at
 * every call site (under TCG the difference is minutes).
 */
__noinline int gd_emit(const struct gd_req *q)
{
	struct task_struct *t = bpf_get_current_task_btf(), *a;
	struct bh_esc_event *e;
	__u32 suppressed;
	__u64 cgid;
	long n;

	if (!q)
		return 0;
	cgid = q->base_cgid;
	gd_stat(BH_GS_REFUSED);
	if (q->sig == BH_SIG_TAMPER)
		gd_stat(BH_GS_TAMPER);
	if (!gd_rate_ok(cgid, &suppressed)) {
		gd_stat(BH_GS_RATE_LIMITED);
		return 0;
	}
	e = bpf_ringbuf_reserve(&bh_guard_rb, sizeof(*e), 0);
	if (!e) {
		gd_stat(BH_GS_RB_FULL);
		bh_count_lost(&bh_guard_lost, &bh_guard_lost_total, cgid);
		return 0;
	}
	bh_fill_hdr(&e->hdr, BH_EV_ESCAPE, t);
	e->sig = q->sig;
	e->flags = q->flags | BH_ESCF_REFUSED;
	e->arg[0] = q->arg[0];
	e->arg[1] = q->arg[1];
	e->arg[2] = q->arg[2];
	e->arg[3] = q->arg[3];
	e->target_pid = q->target_pid;
	e->base_cgroup_id = cgid;
	e->base_uid = q->base_uid;
	e->suppressed = suppressed;
	gd_task_ns(t, e->ns);
	e->_pad = 0;
	e->_pad2 = 0;
	e->cap_effective = 0;
	BPF_CORE_READ_INTO(&e->cap_effective, t, cred, cap_effective);
	if (BPF_CORE_READ(t, nsproxy, pid_ns_for_children, level) == 0)
		e->flags |= BH_ESCF_HOSTPID;
	e->str_len[0] = e->str_len[1] = 0;
	e->str[0][0] = e->str[1][0] = 0;
	if (q->s0) {
		n = bpf_probe_read_kernel_str(e->str[0], BH_ESC_STR_MAX, (const void *)q->s0);
		if (n > 0)
			e->str_len[0] = n - 1;
		if (n == BH_ESC_STR_MAX)
			e->flags |= BH_ESCF_STR0_TRUNC;
	}
	if (q->s1) {
		n = bpf_probe_read_kernel_str(e->str[1], BH_ESC_STR_MAX, (const void *)q->s1);
		if (n > 0)
			e->str_len[1] = n - 1;
		if (n == BH_ESC_STR_MAX)
			e->flags |= BH_ESCF_STR1_TRUNC;
	}
	/* Ancestors inside the container, nearest first. */
	e->n_chain = 0;
	a = t;
	for (int i = 0; i < BH_ESC_CHAIN_MAX; i++) {
		struct bh_esc_ancestor *c = &e->chain[i];

		a = BPF_CORE_READ(a, real_parent);
		/* stop at the container's edge (its runtime, outside its mount namespace) */
		if (!a || BPF_CORE_READ(a, tgid) <= 1 ||
		    BPF_CORE_READ(a, nsproxy, mnt_ns, ns.inum) != e->ns[BH_NS_MNT])
			break;
		c->pid = BPF_CORE_READ(a, tgid);
		c->uid = BPF_CORE_READ(a, cred, euid.val);
		BPF_CORE_READ_STR_INTO(&c->comm, a, comm);
		c->exe[0] = 0;
		bpf_probe_read_kernel_str(c->exe, sizeof(c->exe),
					  BPF_CORE_READ(a, mm, exe_file, f_path.dentry, d_name.name));
		e->n_chain = i + 1;
	}
	bpf_ringbuf_submit(e, BH_ALERT_SUBMIT_FLAGS);
	return 0;
}

/* Refuse: report (b: the task's arming state) and return -EPERM for the hook. */
static __always_inline int gd_refuse(const struct bh_esc_base *b, struct gd_req *q)
{
	q->base_cgid = b->cgroup_id;
	q->base_uid = b->uid;
	gd_emit(q);
	return -EPERM;
}

#endif
