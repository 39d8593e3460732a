/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The file/exec decision memo (BPF LSM only: bpf/file.bpf.c). A container
 * opens and runs the same files over and over; a decision its policy made
 * once is kept in a direct-mapped table at a hash of the file's inode
 * number (bh_memo_tab, the .bss; why not inode storage: docs/ARCHITECTURE.md)
 * and reused while nothing it depended on can have changed:
 *
 *   the epoch   bh_memo_ctl.epoch (bpf/abi/enforce.h), read before the
 *               decision: the core moves it after every policy change (a
 *               swap, a reload, a container's new entry), the fexit
 *               programs below after every change of a name or of a mount
 *               tree (d_move, d_exchange, an alias spliced by d_splice_alias,
 *               path_mount, path_umount, move_mount, pivot_root, put_mnt_ns)
 *               or of a task's cgroups (put_css_set_locked), by any task and
 *               any path into the VFS: a change the decision may have missed
 *               ends after that read, so its bump makes the entry stale;
 *   the file    the inode (pointer, number and generation); only files with
 *               one name (nlink 1; directories: not removed) are memoized or
 *               matched, and path_link bumps the epoch too;
 *   the name    the dentry, its parent and its name hash; the vfsmount the
 *               file was reached through; the task's root (another mount,
 *               bind mount or chroot is another key);
 *   the policy  the task's css_set (its cgroups, so its container: a move or
 *               a free bumps the epoch, so a pointer reused is never matched);
 *   exec        the invoked name, compared byte for byte (names of up to 63
 *               bytes; the invoked-name rule check is a function of that
 *               string alone), so an interpreter is memoized exactly too.
 *
 * A hit is the current task and loads compared without a branch (the table
 * and the control read as globals): no helper but bpf_get_current_task_btf()
 * (and for exec bpf_probe_read_kernel_str() of the name), no cgroup -> policy
 * lookup, no path. Only allows are memoized, and only when no event was sent (a denial
 * is decided and reported every time; so is an audited one). Writers take
 * the entry's seq (cmpxchg, never waited for); readers check it before and
 * after, so nobody acts on half an entry. bh_memo_ctl.mode selects
 * BH_MEMO_ON / OFF / VERIFY (bpf/abi/file.h); the loader turns the memo off
 * if a kernel lacks one of the fexit targets.
 */
#ifndef BULKHEAD_FILE_MEMO_BPF_H
#define BULKHEAD_FILE_MEMO_BPF_H

#include "lib/path.bpf.h"

#ifndef READ_ONCE
#define READ_ONCE(x) (*(volatile typeof(x) *)&(x))
#endif

#define BH_S_IFMT	00170000
#define BH_S_IFDIR	0040000

/*
 * Both read as globals, one load each, no lookup: the table is this object's
 * .bss (nothing else zero-initialized may join it: userspace/enforce/file.c
 * checks its size), and bh_memo_ctl is the core's pinned map, which
 * userspace/enforce/file.c makes this section before loading (or refuses to
 * load: a private copy would never see the core's epoch moves).
 */
struct bh_file_memo_table bh_memo_tab;
struct bh_memo_ctl bh_memo_ctl_alias SEC(".data.bh_memo_ctl") = {};
#define BH_MEMO_CTL	(&bh_memo_ctl_alias)

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BH_MEMO_STATS);
	__type(key, __u32);
	__type(value, __u64);
} bh_fmemo_stats SEC(".maps");

/* Names, mount trees or a task's cgroups changed (bh_memo_ctl.epoch): bumped
 * after every change (the fexit programs below) and by lsm/path_link before a
 * link, for every task. */
static __always_inline void bh_memo_fs_changed(void)
{
	__sync_fetch_and_add(&BH_MEMO_CTL->epoch, 1);
}

static __always_inline void bh_memo_stat(__u32 hook, __u32 kind)
{
	__u32 idx = BH_MEMO_STAT(hook, kind);
	__u64 *v = bpf_map_lookup_elem(&bh_fmemo_stats, &idx);

	if (v)
		*v += 1;
}

/* The slot of an inode number: a multiplicative hash (of a scalar: the verifier
 * allows no arithmetic on a kernel pointer). Inodes of other file systems with
 * the same number, and one inode opened by two containers, share a slot and
 * evict each other (a full decision, never a wrong one). */
static __always_inline struct bh_file_memo *bh_memo_at(__u64 idx)
{
	return &bh_memo_tab.e[idx & (BH_MEMO_ENTRIES - 1)];
}

static __always_inline __u32 bh_memo_idx(__u64 ino)
{
	return (ino * 0x9E3779B97F4A7C15ull) >> (64 - BH_MEMO_BITS);
}

/* Writers exclude each other: odd while one writes, taken with cmpxchg, never
 * waited for (the loser does not memoize: a later call decides in full). */
static __always_inline int bh_memo_write_begin(__u64 *seq)
{
	__u64 s = *(volatile __u64 *)seq;

	return !(s & 1) && __sync_val_compare_and_swap(seq, s, s + 1) == s;
}

static __always_inline void bh_memo_write_end(__u64 *seq)
{
	__sync_fetch_and_add(seq, 1);
}

/* A miss: what a store will be keyed by (kept in bh_fmemo_miss across the decision). */
struct bh_memo_cur {
	__u64 ino;			/* the inode, as the entry keeps it (BH_MEMO_KEY) */
	__u64 ino_nr;			/* its number */
	__u64 epoch;			/* bh_memo_ctl.epoch before the decision */
	__u32 idx;			/* its slot */
	__u64 dk, mk;			/* the dentry and the vfsmount, as keys */
	__u32 nlink, igen;
	__u8  hook, mode;
	__u8  name_len;			/* exec only */
	__u8  name_read;		/* exec: the name buffer holds the invoked name */
};

/*
 * A kernel pointer as the entry keeps it: its distance from the entry itself.
 * The verifier refuses xor on a pointer but lets a privileged program
 * subtract two pointers (a scalar); the entry's address is the same when it
 * is written and when it is read, so equal keys mean equal pointers.
 */
#define BH_MEMO_KEY(p, e)	((__u64)(p) - (__u64)(e))

/* A miss's state, kept across the full decision (off the stack: the decision
 * needs it all). */
struct bh_memo_miss {
	struct bh_memo_cur c;
	__u64 name[BH_MEMO_NAME / 8];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bh_memo_miss);
} bh_fmemo_miss SEC(".maps");

static __always_inline struct bh_memo_miss *bh_memo_miss(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&bh_fmemo_miss, &zero);
}

/* The epoch, read before anything a decision reads (the policy entry, a name). */
static __always_inline __u64 bh_memo_epoch(void)
{
	return READ_ONCE(BH_MEMO_CTL->epoch);
}

/*
 * A miss's state (c: map memory, so no pointer is kept in it): what a store
 * for the file (m, d) is keyed by, under epoch (bh_memo_epoch(), read before
 * the container's policy entry). Returns the mode (BH_MEMO_ON or
 * BH_MEMO_VERIFY), or -1: nothing to store (memo off, no inode).
 */
static __always_inline int bh_memo_begin(struct bh_memo_cur *c, __u32 hook, struct vfsmount *m,
					 struct dentry *d, __u64 epoch)
{
	struct bh_memo_ctl *ctl = BH_MEMO_CTL;
	struct bh_file_memo *e;
	struct inode *ino;
	__u32 mode;

	if (!d || !m)
		return -1;
	mode = READ_ONCE(ctl->mode);
	if ((mode & BH_MEMO_MODE_MASK) == BH_MEMO_OFF)
		return -1;
	c->epoch = epoch;
	ino = d->d_inode;
	if (!ino)
		return -1;
	c->ino_nr = ino->i_ino;
	c->idx = bh_memo_idx(c->ino_nr);
	e = bh_memo_at(c->idx);
	c->nlink = ino->i_nlink;
	c->igen = ino->i_generation;
	c->ino = BH_MEMO_KEY(ino, e);
	c->dk = BH_MEMO_KEY(d, e);
	c->mk = BH_MEMO_KEY(m, e);
	c->hook = hook;
	c->mode = mode & BH_MEMO_MODE_MASK;
	c->name_len = 0;
	c->name_read = 0;
	return c->mode;
}

/*
 * An exec's invoked name into name (BH_MEMO_NAME bytes, zero-padded).
 * Returns its length with the NUL (0: not absolute, no rule looks at it, and
 * name is all zeroes), or -1: too long to keep (decided in full every time).
 */
static __always_inline int bh_memo_name(__u64 *name, const char *filename)
{
	long n;

	for (int i = 0; i < BH_MEMO_NAME / 8; i++)
		name[i] = 0;
	n = bpf_probe_read_kernel_str(name, BH_MEMO_NAME, filename);
	if (n >= BH_MEMO_NAME)
		return -1;
	if (n > 1 && (name[0] & 0xff) == '/')
		return n;
	for (int i = 0; i < BH_MEMO_NAME / 8; i++)
		name[i] = 0;
	return 0;
}

/* The entry a hit would be in, if it holds this inode (d's); NULL if not. */
static __always_inline struct bh_file_memo *bh_memo_cached(struct dentry *d)
{
	struct inode *ino = d->d_inode;
	struct bh_file_memo *e;

	if (!ino)
		return NULL;
	e = bh_memo_at(bh_memo_idx(ino->i_ino));
	return READ_ONCE(e->inode) == BH_MEMO_KEY(ino, e) ? e : NULL;
}

/*
 * The hit path: was want (BH_MEMO_* bits) decided allowed for exactly this
 * file (m, d), task t (bpf_get_current_task_btf()) and, for an exec, invoked
 * name (bh_memo_name(), name_len its length), under the epoch now? 1: yes; 2:
 * yes, and the memo is in verify mode (decide in full too); 0: no (or the memo
 * is off). Every field is compared without a branch (xor, or): under
 * emulation a branch costs about what a load does. Self-contained and in load
 * order, so what it computes lives in registers, not on the stack.
 */
static __always_inline int bh_memo_lookup(__u32 hook, struct task_struct *t, struct vfsmount *m,
					  struct dentry *d, __u8 want, const __u64 *name, __u8 name_len)
{
	struct bh_memo_ctl *ctl = BH_MEMO_CTL;
	struct bh_file_memo *e;
	struct fs_struct *fs;
	struct inode *ino;
	__u64 s, diff, epoch;
	__u32 mode;

	mode = READ_ONCE(ctl->mode);
	if ((mode & BH_MEMO_MODE_MASK) == BH_MEMO_OFF)
		return 0;
	epoch = READ_ONCE(ctl->epoch);	/* first: before any name is read */
	ino = d->d_inode;
	if (!ino)
		return 0;
	e = bh_memo_at(bh_memo_idx(ino->i_ino));
	s = READ_ONCE(e->seq);
	/* every load of the entry volatile: the compiler keeps them in this order (and x86 too) */
	diff = (s & 1) | (READ_ONCE(e->inode) ^ BH_MEMO_KEY(ino, e));
	if (diff)
		return 0;	/* another inode's (or none): the usual miss, decided at once */
	diff = (READ_ONCE(e->ino) ^ ino->i_ino) | (READ_ONCE(e->epoch) ^ epoch);
	diff |= (want & ~READ_ONCE(e->ok)) | (READ_ONCE(e->nlink) ^ ino->i_nlink);
	diff |= READ_ONCE(e->igen) ^ ino->i_generation;
	diff |= (READ_ONCE(e->dentry) ^ BH_MEMO_KEY(d, e)) | (READ_ONCE(e->mnt) ^ BH_MEMO_KEY(m, e));
	diff |= READ_ONCE(e->parent) ^ BH_MEMO_KEY(d->d_parent, e);
	/* (two loads: the 6.1 verifier takes a union by its first member) */
	diff |= READ_ONCE(e->hash_len) ^ ((__u64)d->d_name.hash | (__u64)d->d_name.len << 32);
	/* the task's cgroups: the css_set pointer (a move or a free bumps the epoch) */
	diff |= READ_ONCE(e->css) ^ BH_MEMO_KEY(t->cgroups, e);
	fs = t->fs;
	diff |= READ_ONCE(e->root_d) ^ BH_MEMO_KEY(fs->root.dentry, e);
	diff |= READ_ONCE(e->root_m) ^ BH_MEMO_KEY(fs->root.mnt, e);
	if (name) {
		const __u64 *en = (const __u64 *)e->name;

		diff |= READ_ONCE(e->name_len) ^ name_len;
		for (int i = 0; i < BH_MEMO_NAME / 8; i++)
			diff |= READ_ONCE(en[i]) ^ name[i];
	}
	diff |= (READ_ONCE(e->seq) ^ s) | (READ_ONCE(ctl->epoch) ^ epoch);
	if (diff)
		return 0;
	if (mode & BH_MEMO_COUNT_HITS)
		bh_memo_stat(hook, BH_MS_HIT);
	return (mode & BH_MEMO_MODE_MASK) == BH_MEMO_VERIFY ? 2 : 1;
}

/*
 * After the full decision (r: the hook's answer; h: its state). A hit whose
 * full decision denied or reported is a mismatch (verify mode); a miss of a
 * container with a policy is counted, and memoized if it allowed silently
 * (ok: BH_MEMO_* bits), under the epoch read before the decision, if the
 * file has one name (nlink 1; a directory: not removed). The name, mount and
 * the task's cgroups are read now: whatever changed them since (rename,
 * mount, a move to another cgroup) bumped the epoch after the change. The root too: only the task's own threads can change it
 * (chroot, setns), and a task's root already decides which names it sees
 * (rules name paths relative to it).
 */
static __always_inline void bh_memo_end(struct bh_memo_cur *c, struct dentry *d, int hit, int r,
					struct bh_hook *h, __u8 ok, const __u64 *name)
{
	struct bh_file_memo *e;
	struct task_struct *t;
	__u64 *en;
	__u64 rd, rm, par, hl, css, ino, dk, mk;

	if (hit) {
		if (r || h->reported)
			bh_memo_stat(c->hook, BH_MS_MISMATCH);
		return;
	}
	if (!h->policy)
		return;
	bh_memo_stat(c->hook, BH_MS_MISS);
	e = bh_memo_at(c->idx);	/* c may be map memory: no pointer kept there */
	en = (__u64 *)e->name;
	if (r || h->reported || (name && !c->name_read))
		return;
	if ((d->d_inode->i_mode & BH_S_IFMT) == BH_S_IFDIR ? c->nlink == 0 : c->nlink != 1)
		return;		/* another name could decide otherwise */
	t = bpf_get_current_task_btf();
	rd = BH_MEMO_KEY(t->fs->root.dentry, e);
	rm = BH_MEMO_KEY(t->fs->root.mnt, e);
	css = BH_MEMO_KEY(t->cgroups, e);
	par = BH_MEMO_KEY(d->d_parent, e);
	ino = c->ino;
	dk = c->dk;
	mk = c->mk;
	hl = (__u64)d->d_name.hash | (__u64)d->d_name.len << 32;
	if (!bh_memo_write_begin(&e->seq))
		return;
	if (e->inode == ino && e->ino == c->ino_nr && e->igen == c->igen && e->css == css &&
	    e->dentry == dk && e->parent == par && e->hash_len == hl &&
	    e->mnt == mk && e->root_d == rd && e->root_m == rm &&
	    e->epoch == c->epoch && e->nlink == c->nlink) {
		/* the same key: keep what it holds, with the exec name it was decided for */
		ok |= e->ok & (name ? (__u8)~BH_MEMO_EXEC : 0xff);
	} else {
		e->name_len = 0;
		for (int i = 0; i < BH_MEMO_NAME / 8; i++)
			en[i] = 0;
	}
	if (name) {
		e->name_len = c->name_len;
		for (int i = 0; i < BH_MEMO_NAME / 8; i++)
			en[i] = name[i];
	}
	e->ok = ok;
	e->inode = ino;
	e->ino = c->ino_nr;
	e->igen = c->igen;
	e->css = css;
	e->dentry = dk;
	e->parent = par;
	e->hash_len = hl;
	e->mnt = mk;
	e->root_d = rd;
	e->root_m = rm;
	e->epoch = c->epoch;
	e->nlink = c->nlink;
	bh_memo_write_end(&e->seq);
	bh_memo_stat(c->hook, BH_MS_STORE);
}

/*
 * Invalidation: after every change of a name or a mount tree. Each program is
 * optional (userspace/enforce/file.c): a kernel without one of these
 * functions gets the memo off, never a memo that misses a change.
 */
#define BH_IS_ERR(p)	((unsigned long)(p) >= (unsigned long)-4095)

SEC("fexit/d_move")
int BPF_PROG(bh_memo_d_move)
{
	bh_memo_fs_changed();
	return 0;
}

SEC("fexit/d_exchange")
int BPF_PROG(bh_memo_d_exch)
{
	bh_memo_fs_changed();
	return 0;
}

/* A directory alias moved into place (the other caller of __d_move). */
SEC("fexit/d_splice_alias")
int BPF_PROG(bh_memo_splice, struct inode *inode, struct dentry *dentry, struct dentry *ret)
{
	if (ret && !BH_IS_ERR(ret))
		bh_memo_fs_changed();
	return 0;
}

SEC("fexit/path_mount")
int BPF_PROG(bh_memo_mount)
{
	bh_memo_fs_changed();
	return 0;
}

SEC("fexit/path_umount")
int BPF_PROG(bh_memo_umount)
{
	bh_memo_fs_changed();
	return 0;
}

SEC("fexit/__x64_sys_move_mount")
int BPF_PROG(bh_memo_move_mnt)
{
	bh_memo_fs_changed();
	return 0;
}

SEC("fexit/__x64_sys_pivot_root")
int BPF_PROG(bh_memo_pivot)
{
	bh_memo_fs_changed();
	return 0;
}

/*
 * A css_set put on a move to another cgroup, or freed: a hit compares the
 * task's css_set pointer, never a freed one reused for other cgroups.
 */
SEC("fexit/put_css_set_locked")
int BPF_PROG(bh_memo_css_put)
{
	bh_memo_fs_changed();
	return 0;
}

/* A mount namespace released: its mounts are detached from every name. */
SEC("fexit/put_mnt_ns")
int BPF_PROG(bh_memo_put_ns)
{
	bh_memo_fs_changed();
	return 0;
}

#endif
