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
 * waved through. Layouts: bpf/abi/file.h.
 */
#ifndef BULKHEAD_PATH_BPF_H
#define BULKHEAD_PATH_BPF_H

#include "lib/enforce.bpf.h"
#include "lib/arm.bpf.h"
#include "abi/file.h"

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
	__uint(max_entries, BH_FILE_POL_MAX);
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
struct bh_walk {
	__u64 d, vmnt, mnt;		/* kernel pointers, read with probe reads */
	__u64 root_d, root_m;
	__u32 n, off;
	__u32 done;			/* 1: reached the root; 2: over-long; 3: not under the root */
	__u32 which;			/* bit 0: into key2 (else key); bit 1: BH_WALK_IN_ROOT */
};

struct bh_scratch {
	struct bh_file_key key;
	char slack[260];
	struct bh_file_key key2;
	char slack2[260];
	__u64 stack[BH_FILE_WALK_DEPTH];	/* dentries of the walk */
	struct bh_walk walk;
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

/* What every file/exec hook (LSM or fallback) starts from: the container's policy. */
struct bh_hook {
	const struct bh_cg_policy *pol;
	struct bh_scratch *s;
	__u64 cgid;
	__u32 gen;
	__u32 policy;
	__u32 reported;		/* an event was sent (deny or audit): nothing to memoize */
};

/*
 * Fill h for the current task. 0: not ours to judge (host, no policy, no
 * rule of these BH_CGP_* flags, or a task not armed: the runtime's setup,
 * lib/arm.bpf.h); the hook allows without looking further. BH_CGP_EXEC in
 * flags: an exec check, which polices the exec that arms the task.
 */
static __always_inline int bh_hook_begin(struct bh_hook *h, __u32 flags)
{
	h->cgid = bpf_get_current_cgroup_id();
	h->reported = 0;
	h->policy = 0;
	h->pol = bh_policy_for(h->cgid, &h->gen);
	if (!h->pol || !h->pol->policy_id || !(h->pol->flags & flags) ||
	    !bh_arm_policed(flags & BH_CGP_EXEC))
		return 0;
	h->policy = h->pol->policy_id;
	h->s = bh_scratch();
	return h->s != NULL;
}

/* ---- path resolution ------------------------------------------------------ */

/*
 * The walk's state lives in the per-CPU scratch map, not on the stack: the
 * 6.1 verifier does not model what a bpf_loop callback does to its caller's
 * stack across iterations (it may hard-wire a branch after the loop), while
 * map memory is always an unknown to it.
 */
struct bh_walk_ctx {
	struct bh_scratch *s;
};

/*
 * Walk modes: across mounts up to the task's root (the name the task sees),
 * or, BH_WALK_IN_ROOT, up the dentries only, to the root's dentry: the name a
 * file has in the root's own tree, whatever mount it was reached through.
 */
#define BH_WALK_IN_ROOT	2

/* One step up: a component, or a mount crossing. */
static long bh_walk_up(__u32 i, void *ctx)
{
	struct bh_scratch *s = ((struct bh_walk_ctx *)ctx)->s;
	struct bh_walk *w = &s->walk;
	struct dentry *d = (void *)w->d, *parent, *mroot;
	struct vfsmount *vmnt = (void *)w->vmnt;
	struct mount *mnt = (void *)w->mnt;
	int in_root = w->which & BH_WALK_IN_ROOT;

	if (w->d == w->root_d && (in_root || w->vmnt == w->root_m)) {
		w->done = 1;
		return 1;
	}
	mroot = in_root ? NULL : BPF_CORE_READ(vmnt, mnt_root);
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
		w->done = in_root ? 3 : 1;
		return 1;
	}
	if (w->n >= BH_FILE_WALK_DEPTH)
		return 1;
	s->stack[w->n & (BH_FILE_WALK_DEPTH - 1)] = (__u64)d;
	w->n++;
	w->d = (__u64)parent;
	return 0;
}

/* One component written, from the root down. */
static long bh_walk_emit(__u32 i, void *ctx)
{
	struct bh_scratch *s = ((struct bh_walk_ctx *)ctx)->s;
	struct bh_walk *w = &s->walk;
	char *out = w->which & 1 ? s->key2.path : s->key.path;
	const unsigned char *name;
	struct dentry *c;
	__u32 len, off = w->off;

	if (i >= w->n)
		return 1;
	c = (void *)s->stack[(w->n - 1 - i) & (BH_FILE_WALK_DEPTH - 1)];
	name = BPF_CORE_READ(c, d_name.name);
	len = BPF_CORE_READ(c, d_name.len);
	if (off + 1 + len >= BH_FILE_PATH_MAX) {
		w->done = 2;
		return 1;
	}
	out[off & 255] = '/';
	off++;
	bpf_probe_read_kernel(out + (off & 255), len & 255, name);
	w->off = off + len;
	return 0;
}

/*
 * The path of (vfsmnt, d) relative to the current task's root, NUL-terminated,
 * into out (s->key.path or s->key2.path). Returns bytes with the NUL, -1 when
 * the walk is over-long (too deep, or BH_FILE_PATH_MAX bytes), -2 (mode
 * BH_WALK_IN_ROOT only) when d is not under the root's dentry.
 */
static __always_inline int bh_walk_mode(struct bh_scratch *s, char *out, struct vfsmount *vmnt,
					struct dentry *d, __u32 mode)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct bh_walk_ctx c = { .s = s };
	struct bh_walk *w = &s->walk;
	__u32 off;

	w->which = (out == s->key2.path) | mode;
	w->d = (__u64)d;
	w->vmnt = (__u64)vmnt;
	w->mnt = (__u64)vmnt - bpf_core_field_offset(struct mount, mnt);
	w->root_d = (__u64)BPF_CORE_READ(t, fs, root.dentry);
	w->root_m = (__u64)BPF_CORE_READ(t, fs, root.mnt);
	w->n = 0;
	w->off = 0;
	w->done = 0;
	bpf_loop(2 * BH_FILE_WALK_DEPTH, bh_walk_up, &c, 0);
	if (w->done == 3)
		return -2;
	if (w->done != 1)
		return -1;
	if (w->n == 0) {
		out[0] = '/';
		out[1] = 0;
		return 2;
	}
	bpf_loop(BH_FILE_WALK_DEPTH, bh_walk_emit, &c, 0);
	off = w->off;
	if (w->done != 1 || off >= BH_FILE_PATH_MAX)
		return -1;
	out[off & 255] = 0;
	return off + 1;
}

static __always_inline int bh_walk_path(struct bh_scratch *s, char *out, struct vfsmount *vmnt,
					struct dentry *d)
{
	return bh_walk_mode(s, out, vmnt, d, 0);
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
	barrier_var(k);		/* bound the register that indexes */
	if (k >= BH_FILE_PATH_MAX - 1)
		return 1;
	ch = c->p[k];
	nxt = (cur & g->cmask[ch]) << 1;
	if (ch != '/')
		nxt |= cur & g->star;
	nxt |= cur & g->dstar;
	/* epsilon closures, branch-free (unused slots are zero) */
	for (int j = 0; j < BH_FILE_GLOB_EPS; j++)
		nxt |= g->eps[j] & -((nxt >> (g->eps_src[j] & 63)) & 1);
	c->cur = nxt;
	return nxt ? 0 : 1;
}

/* Does glob g match the path in k (len bytes, no NUL; its first g->skip bytes
 * are the glob's literal prefix, already matched by the trie)? A global
 * function: verified once, however many bucket slots call it. */
__noinline int bh_glob_match(const struct bh_file_glob *g, const struct bh_file_key *k, __u32 len)
{
	struct bh_gm c = {};

	if (!g || !k || len < g->skip)
		return 0;
	c.g = g;
	c.p = k->path;
	c.cur = g->start;
	c.len = len;
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
/*
 * A global function: the verifier checks it once, not at every call site
 * (the rename hook alone calls it six times). Pointers may be NULL here.
 */
__noinline int bh_decide5(struct bh_file_key *key, __u32 scope, int len, __u32 want,
			  struct bh_verdict *v)
{
	struct bh_scratch *s = bh_scratch();
	__u8 dec[BH_FILE_BUCKET];
	__u8 deny, decided = 0, d, b, first;
	struct bh_file_node *n;
	__u32 ref;

	if (!key || !v || !s || len <= 0 || len > BH_FILE_PATH_MAX)
		return -1;
	/* Keys live in the per-CPU scratch; use the map-value pointer to it (6.1
	 * takes no other pointer kind as a map key). */
	key = (void *)key == (void *)&s->key2 ? &s->key2 : &s->key;
	key->scope = scope;
	key->prefixlen = 32 + 8 * (len & 0xff);
	n = bpf_map_lookup_elem(&bh_file_paths, key);
	if (!n)
		return -1;
	deny = n->deny;
	v->flags = n->flags;
	v->exact = n->keylen == len;
	/*
	 * The bucket is in rule order and beats[j] already says for which ops
	 * glob j is more specific than the node's rule: the first matching glob
	 * decides each op. Branch-light, so the verifier stays linear.
	 */
	for (int j = 0; j < BH_FILE_BUCKET; j++) {
		const struct bh_file_glob *g;
		__u32 slot;
		__u8 m;

		dec[j] = 0;
		if (j >= n->nglob)
			continue;
		m = want & n->beats[j] & ~decided;
		if (!m)
			continue;
		slot = n->bucket[j];
		g = bpf_map_lookup_elem(&bh_file_globs, &slot);
		if (!g || !bh_glob_match(g, key, len - 1))
			continue;
		deny = (deny & ~m) | (g->action ? m : 0);
		decided |= m;
		dec[j] = m;
	}
	d = deny & want;
	v->deny = d;
	b = d & -d;			/* the lowest denied op */
	first = ((b & 0xaa) ? 1 : 0) | ((b & 0xcc) ? 2 : 0) | ((b & 0xf0) ? 4 : 0);
	ref = n->ref[first & 7];
	/* the glob that decided it, if one did (looked up again: only for a denial,
	 * and the frame stays small for the hooks' call chains) */
	for (int j = 0; j < BH_FILE_BUCKET; j++) {
		const struct bh_file_glob *g;
		__u32 slot;

		if (!(dec[j] & b))
			continue;
		slot = n->bucket[j];
		g = bpf_map_lookup_elem(&bh_file_globs, &slot);
		if (g)
			ref = g->ref;
	}
	v->first = first;
	v->ref = d ? ref : 0;
	return 0;
}

#define bh_decide(key, gen, tab, policy, len, want, v) \
	bh_decide5(key, BH_FILE_SCOPE(gen, tab, policy), len, want, v)

/* The ops the policy restricts at all: the safe default for over-long paths. */
static __always_inline __u8 bh_restricted(__u32 gen, __u32 policy, __u8 *exec_restrict)
{
	__u32 scope = BH_FILE_SCOPE(gen, BH_TAB_FILE, policy);
	struct bh_file_pol *fp = bpf_map_lookup_elem(&bh_file_pol, &scope);

	*exec_restrict = fp ? fp->exec_restrict : 0;
	return fp ? fp->restrict_ops : 0;
}

/* bh_file_pol.name_lens of a policy (0 if it has no file or exec rules). */
static __always_inline __u64 bh_file_pol_name_lens(__u32 gen, __u32 policy)
{
	__u32 scope = BH_FILE_SCOPE(gen, BH_TAB_FILE, policy);
	struct bh_file_pol *fp = bpf_map_lookup_elem(&bh_file_pol, &scope);

	return fp ? fp->name_lens : 0;
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

struct bh_report {
	__u64 cgid;
	__u32 gen, policy, op, action, hook, flags, ref;
};

/* A global function too (many call sites); k may be NULL (no path to report). */
__noinline int bh_file_report3(const struct bh_report *r, const struct bh_file_key *k, int len)
{
	struct bh_file_event *e;
	__u32 suppressed = 0;
	__u64 cgid;

	if (!r)
		return 0;
	cgid = r->cgid;

	bh_stat(r->action == BH_FILE_ACT_AUDIT ? BH_FS_AUDITED : BH_FS_DENIED);
	if (!bh_rate_ok(cgid, &suppressed))
		return 0;
	e = bpf_ringbuf_reserve(&bh_file_rb, sizeof(*e), 0);
	if (!e) {
		bh_stat(BH_FS_LOST);
		return 0;
	}
	bh_fill_hdr(&e->hdr, BH_EV_FILE, bpf_get_current_task_btf());
	e->hdr.cgroup_id = cgid;
	e->op = r->op;
	e->action = r->action;
	e->hook = r->hook;
	e->gen = r->gen;
	e->flags = r->flags;
	e->policy_id = r->policy;
	e->ref = r->ref;
	e->suppressed = suppressed;
	e->pad = 0;
	e->path[0] = 0;
	e->path_len = 0;
	if (k && len > 0 && len <= BH_FILE_PATH_MAX) {
		long n = bpf_probe_read_kernel_str(e->path, BH_FILE_PATH_MAX, (const char *)k + 8);

		e->path_len = n > 1 ? n - 1 : 0;
	}
	bpf_ringbuf_submit(e, BH_ALERT_SUBMIT_FLAGS);
	return 0;
}

static __always_inline void bh_file_report(__u64 cgid, __u32 gen, __u32 policy, __u32 op,
					   __u32 action, __u32 hook, __u32 flags, __u32 ref,
					   const struct bh_file_key *k, int len)
{
	struct bh_report r = { .cgid = cgid, .gen = gen, .policy = policy, .op = op,
			       .action = action, .hook = hook, .flags = flags, .ref = ref };

	bh_file_report3(&r, k, len);
}

#endif
