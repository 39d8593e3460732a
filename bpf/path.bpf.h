/* SPDX-License-Identifier: GPL-2.0 */
/*
 * File and exec enforcement, BPF side, shared by bpf/file.bpf.c (BPF LSM)
 * and bpf/fallback.bpf.c (syscall tracepoints): the pinned policy maps, path
 * resolution as the container sees it, the matcher, and events.
 *
 * Paths: bpf_d_path() where the hook allows it (file_open, bprm_check);
 * elsewhere a bounded dentry walk (bh_walk_path): d_parent up to the mount's
 * root, then mnt_mountpoint/mnt_parent across mounts, stopping at the
 * current task's root (fs->root): after pivot_root, the container's "/".
 * A walk that does not reach the root in BH_FILE_WALK_DEPTH components, or a
 * path of BH_FILE_PATH_MAX bytes or more, is "over-long": it is denied for
 * every op the container's policy restricts at all (bh_file_pol), never
 * waved through. Layouts: bpf/file.h.
 */
#ifndef BULKHEAD_PATH_BPF_H
#define BULKHEAD_PATH_BPF_H

#include "enforce.bpf.h"
#include "file.h"

#define EPERM	1

const volatile __u64 file_wakeup_bytes = BH_WAKEUP_BYTES_DEFAULT;
const volatile __u32 file_events_per_sec = BH_FILE_EVENTS_PER_SEC;
const volatile __u32 file_events_burst = BH_FILE_EVENTS_BURST;

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, BH_FILE_NODES_MAX);
	__type(key, struct bh_file_key);
	__type(value, struct bh_file_node);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_file_paths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BH_FILE_GLOB_SLOTS);
	__type(key, __u32);
	__type(value, struct bh_file_glob);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_file_globs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * 1024);
	__type(key, __u32);		/* BH_FILE_SCOPE(gen, BH_TAB_FILE, policy) */
	__type(value, struct bh_file_pol);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_file_pol SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, BH_FILE_RATE_MAX);
	__type(key, __u64);
	__type(value, struct bh_file_rate);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_file_rate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BH_FS_COUNT);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_file_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, BH_FILE_RINGBUF);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_file_rb SEC(".maps");

/* Per-CPU scratch: keys are built in place (the stack is 512 bytes). The
 * slack after each key lets the walk write at a masked offset without a
 * bounds proof against the 252-byte path. */
struct bh_scratch {
	struct bh_file_key key;
	char slack[260];
	struct bh_file_key key2;
	char slack2[260];
	struct dentry *stack[BH_FILE_WALK_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bh_scratch);
} bh_file_scratch SEC(".maps");

static __always_inline void bh_stat(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&bh_file_stats, &idx);

	if (v)
		*v += 1;
}

static __always_inline struct bh_scratch *bh_scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&bh_file_scratch, &zero);
}

/* ---- path resolution ------------------------------------------------------ */

struct bh_walk {
	struct bh_scratch *s;
	char *out;
	__u64 d, vmnt, mnt;		/* kernel pointers, read with probe reads */
	__u64 root_d, root_m;
	__u32 n, off;
	int done;			/* 1: reached the root; -1: over-long */
};

/* One step up: a component, or a mount crossing. */
static long bh_walk_up(__u32 i, void *ctx)
{
	struct bh_walk *w = ctx;
	struct dentry *d = (void *)w->d, *parent, *mroot;
	struct vfsmount *vmnt = (void *)w->vmnt;
	struct mount *mnt = (void *)w->mnt;

	if (w->d == w->root_d && w->vmnt == w->root_m) {
		w->done = 1;
		return 1;
	}
	mroot = BPF_CORE_READ(vmnt, mnt_root);
	if (d == mroot) {
		struct mount *pm = BPF_CORE_READ(mnt, mnt_parent);

		if (pm == mnt) {	/* the namespace's root: outside fs->root */
			w->done = 1;
			return 1;
		}
		w->d = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = (__u64)pm;
		w->vmnt = (__u64)pm + bpf_core_field_offset(struct mount, mnt);
		return 0;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (parent == d) {
		w->done = 1;
		return 1;
	}
	if (w->n >= BH_FILE_WALK_DEPTH)
		return 1;
	w->s->stack[w->n & (BH_FILE_WALK_DEPTH - 1)] = d;
	w->n++;
	w->d = (__u64)parent;
	return 0;
}

/* One component written, from the root down. */
static long bh_walk_emit(__u32 i, void *ctx)
{
	struct bh_walk *w = ctx;
	const unsigned char *name;
	struct dentry *c;
	__u32 len, off = w->off;

	if (i >= w->n)
		return 1;
	c = w->s->stack[(w->n - 1 - i) & (BH_FILE_WALK_DEPTH - 1)];
	name = BPF_CORE_READ(c, d_name.name);
	len = BPF_CORE_READ(c, d_name.len);
	if (off + 1 + len >= BH_FILE_PATH_MAX) {
		w->done = -1;
		return 1;
	}
	w->out[off & 255] = '/';
	off++;
	bpf_probe_read_kernel(w->out + (off & 255), len & 255, name);
	w->off = off + len;
	return 0;
}

/*
 * The path of (vfsmnt, d) relative to the current task's root, NUL-terminated,
 * into out (a key's path, with slack after it). Returns bytes with the NUL,
 * or -1 when the walk is over-long (too deep, or BH_FILE_PATH_MAX bytes).
 */
static __always_inline int bh_walk_path(struct bh_scratch *s, char *out, struct vfsmount *vmnt,
					struct dentry *d)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct bh_walk w = {
		.s = s, .out = out, .d = (__u64)d, .vmnt = (__u64)vmnt,
		.mnt = (__u64)vmnt - bpf_core_field_offset(struct mount, mnt),
		.root_d = (__u64)BPF_CORE_READ(t, fs, root.dentry),
		.root_m = (__u64)BPF_CORE_READ(t, fs, root.mnt),
	};
	__u32 off;

	bpf_loop(2 * BH_FILE_WALK_DEPTH, bh_walk_up, &w, 0);
	if (w.done != 1)
		return -1;
	if (w.n == 0) {
		out[0] = '/';
		out[1] = 0;
		return 2;
	}
	bpf_loop(BH_FILE_WALK_DEPTH, bh_walk_emit, &w, 0);
	off = w.off;
	if (w.done != 1 || off >= BH_FILE_PATH_MAX)
		return -1;
	out[off & 255] = 0;
	return off + 1;
}

static __always_inline int bh_walk_struct_path(struct bh_scratch *s, char *out, const struct path *p)
{
	return bh_walk_path(s, out, BPF_CORE_READ(p, mnt), BPF_CORE_READ(p, dentry));
}

/* ---- matching --------------------------------------------------------------- */

struct bh_gm {
	const struct bh_file_glob *g;
	const char *p;
	__u64 cur;
	__u32 len;		/* path bytes without the NUL */
};

static long bh_gm_step(__u32 i, void *ctx)
{
	struct bh_gm *c = ctx;
	const struct bh_file_glob *g = c->g;
	__u32 k = g->skip + i;
	__u64 cur = c->cur, nxt;
	__u8 ch;

	if (k >= c->len)
		return 1;
	ch = c->p[k & 255];
	nxt = (cur & g->cmask[ch]) << 1;
	if (ch != '/')
		nxt |= cur & g->star;
	nxt |= cur & g->dstar;
	for (int j = 0; j < BH_FILE_GLOB_EPS; j++) {
		if (j >= g->neps)
			break;
		if ((nxt >> (g->eps_src[j] & 63)) & 1)
			nxt |= g->eps[j];
	}
	c->cur = nxt;
	return nxt ? 0 : 1;
}

/* Does glob g match path p (len bytes, no NUL; its first g->skip bytes are the
 * glob's literal prefix, already matched by the trie)? */
static __always_inline int bh_glob_match(const struct bh_file_glob *g, const char *p, __u32 len)
{
	struct bh_gm c = { .g = g, .p = p, .cur = g->start, .len = len };

	if (len < g->skip)
		return 0;
	bpf_loop(BH_FILE_PATH_MAX, bh_gm_step, &c, 0);
	return (c.cur >> (g->accept & 63)) & 1;
}

struct bh_verdict {
	__u8  deny;		/* ops (of those asked) denied */
	__u8  first;		/* the lowest denied op */
	__u8  flags;		/* BH_FN_* of the node */
	__u8  exact;		/* the node's key is exactly this path (with its NUL) */
	__u32 ref;		/* rule of the first denied op */
};

/*
 * Look up key (path in place, len bytes with the NUL) in table tab of the
 * policy, and decide the ops in want. Returns 0, or -1 if nothing is lowered
 * for this scope (the policy does not restrict this table).
 */
static __always_inline int bh_decide(struct bh_file_key *key, __u32 gen, __u32 tab, __u32 policy,
				     int len, __u8 want, struct bh_verdict *v)
{
	struct bh_file_node *n;
	__u16 best[BH_OP_COUNT];
	__u32 ref[BH_OP_COUNT];
	__u8 deny;

	key->scope = BH_FILE_SCOPE(gen, tab, policy);
	key->prefixlen = 32 + 8 * (len & 0xff);
	n = bpf_map_lookup_elem(&bh_file_paths, key);
	if (!n)
		return -1;
	deny = n->deny;
	v->flags = n->flags;
	v->exact = n->keylen == len;
	for (int o = 0; o < BH_OP_COUNT; o++) {
		best[o] = n->best[o];
		ref[o] = n->ref[o];
	}
	for (int j = 0; j < BH_FILE_BUCKET; j++) {
		const struct bh_file_glob *g;
		__u32 slot;
		__u8 better = 0;

		if (j >= n->nglob)
			break;
		slot = n->bucket[j];
		g = bpf_map_lookup_elem(&bh_file_globs, &slot);
		if (!g)
			continue;
		for (int o = 0; o < BH_OP_COUNT; o++)
			if (((want & g->ops) >> o) & 1 && g->rule < best[o])
				better |= 1 << o;
		if (!better || !bh_glob_match(g, key->path, len - 1))
			continue;
		for (int o = 0; o < BH_OP_COUNT; o++) {
			if (!((better >> o) & 1))
				continue;
			best[o] = g->rule;
			ref[o] = g->ref;
			if (g->action)
				deny |= 1 << o;
			else
				deny &= ~(1 << o);
		}
	}
	v->deny = deny & want;
	v->first = 0;
	v->ref = 0;
	for (int o = BH_OP_COUNT - 1; o >= 0; o--)
		if ((v->deny >> o) & 1) {
			v->first = o;
			v->ref = ref[o];
		}
	return 0;
}

/* The ops the policy restricts at all: the safe default for over-long paths. */
static __always_inline __u8 bh_restricted(__u32 gen, __u32 policy, __u8 *exec_restrict)
{
	__u32 scope = BH_FILE_SCOPE(gen, BH_TAB_FILE, policy);
	struct bh_file_pol *fp = bpf_map_lookup_elem(&bh_file_pol, &scope);

	*exec_restrict = fp ? fp->exec_restrict : 0;
	return fp ? fp->restrict_ops : 0;
}

/* ---- events ------------------------------------------------------------------ */

/* Token bucket per container: 1 = send, 0 = suppressed (counted). */
static __always_inline int bh_rate_ok(__u64 cgid, __u32 *suppressed)
{
	struct bh_file_rate *r, fresh = {};
	__u64 now = bpf_ktime_get_ns(), cap = (__u64)file_events_burst * 1000;

	r = bpf_map_lookup_elem(&bh_file_rate, &cgid);
	if (!r) {
		fresh.last_ns = now;
		fresh.tokens = cap;
		bpf_map_update_elem(&bh_file_rate, &cgid, &fresh, BPF_NOEXIST);
		r = bpf_map_lookup_elem(&bh_file_rate, &cgid);
		if (!r)
			return 1;
	}
	if (now > r->last_ns) {
		__u64 add = (now - r->last_ns) / 1000 * file_events_per_sec / 1000;

		if (add) {
			r->tokens = r->tokens + add > cap ? cap : r->tokens + add;
			r->last_ns = now;
		}
	}
	if (r->tokens < 1000) {
		__sync_fetch_and_add(&r->suppressed, 1);
		__sync_fetch_and_add(&r->suppressed_total, 1);
		bh_stat(BH_FS_SUPPRESSED);
		return 0;
	}
	r->tokens -= 1000;
	*suppressed = (__u32)__sync_lock_test_and_set(&r->suppressed, 0);
	return 1;
}

static __always_inline void bh_file_report(__u64 cgid, __u32 gen, __u32 policy, __u8 op, __u8 action,
					   __u8 hook, __u16 flags, __u32 ref, const char *path, int len)
{
	struct bh_file_event *e;
	__u32 suppressed = 0;

	bh_stat(action == BH_FILE_ACT_AUDIT ? BH_FS_AUDITED : BH_FS_DENIED);
	if (!bh_rate_ok(cgid, &suppressed))
		return;
	e = bpf_ringbuf_reserve(&bh_file_rb, sizeof(*e), 0);
	if (!e) {
		bh_stat(BH_FS_LOST);
		return;
	}
	bh_fill_hdr(&e->hdr, BH_EV_FILE, bpf_get_current_task_btf());
	e->hdr.cgroup_id = cgid;
	e->op = op;
	e->action = action;
	e->hook = hook;
	e->gen = gen;
	e->flags = flags;
	e->policy_id = policy;
	e->ref = ref;
	e->suppressed = suppressed;
	e->pad = 0;
	if (len > 0 && len <= BH_FILE_PATH_MAX) {
		bpf_probe_read_kernel(e->path, len & 255, path);
		e->path[(len - 1) & 255] = 0;
		e->path_len = len - 1;
	} else {
		/* over-long: what was resolved, if anything */
		e->path[0] = 0;
		e->path_len = 0;
		if (len < 0 && path) {
			long n = bpf_probe_read_kernel_str(e->path, BH_FILE_PATH_MAX, path);

			e->path_len = n > 1 ? n - 1 : 0;
		}
	}
	bpf_ringbuf_submit(e, bh_submit_flags(&bh_file_rb, file_wakeup_bytes));
}

#endif
