/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The file/exec decision memo (BPF LSM only: bpf/file.bpf.c). A container
 * opens and runs the same files over and over; a decision its policy made
 * once is kept in a direct-mapped table at a hash of the file's dentry
 * (bh_memo_tab, the .bss; why not inode storage: docs/ARCHITECTURE.md) and
 * reused while nothing it depended on can have changed. A decision is a
 * function of the file's name (its path from the task's root), the mount it
 * was reached through, the container's policy and, for exec, the invoked
 * name; the key holds what fixes each:
 *
 *   the name    the dentry pointer and its d_seq. While a dentry lives, its
 *               name changes only by d_move, d_exchange or d_splice_alias,
 *               which move the epoch (a directory above it too); an unlink, a
 *               drop (unlinked while open, invalidated: its path then ends in
 *               " (deleted)") or a move changes its d_seq, which is kept even
 *               and hashed when decided. Its free (dentry_free) clears the
 *               entry, so a pointer reused is never matched. Another hard
 *               link is another dentry, so another key;
 *   the mount   the vfsmount pointer, and the task's root (fs->root): another
 *               mount, bind mount or chroot is another key. Mount and root
 *               changes move the epoch (path_mount, path_umount, move_mount,
 *               pivot_root, umount_tree, and, for pointers reused,
 *               copy_mnt_ns, open_tree, fsmount, chroot);
 *   the policy  the task's css_set (its cgroups, so its container: a move or
 *               a free moves the epoch, put_css_set_locked) and the epoch
 *               (bh_memo_ctl.epoch, bpf/abi/enforce.h), which the core moves
 *               after every policy change (a swap, a reload, a container's
 *               new entry). The epoch is read before the decision: a change
 *               it may have missed ends after that read, so its bump makes
 *               the entry stale;
 *   exec        the invoked name. Its check denies only by a rule, so only
 *               a name as long as one a deny rule can match can change the
 *               answer (the policy's name_lens, bh_file_pol): the hit
 *               computes the name's length from the kernel's exec
 *               bookkeeping, without reading it (bh_memo_name_len()), and
 *               reads and compares it byte for byte (names of up to 55
 *               bytes: the check is a function of that string alone) only if
 *               its length's bit is set. An allow-list (no deny rule covers
 *               exec) never reads it. An interpreter is memoized exactly too.
 *
 * A hit is the current task and loads compared without a branch (the table
 * and the control read as globals): no helper but bpf_get_current_task_btf()
 * (and for an exec whose name a rule could deny, bpf_probe_read_kernel_str()
 * of the name), no cgroup -> policy
 * lookup, no path, nothing of the inode. Only allows are memoized, and only
 * when no event was sent (a denial is decided and reported every time; so is
 * an audited one). Writers take the entry's seq (cmpxchg, never waited for);
 * readers check it before and after, so nobody acts on half an entry.
 * bh_memo_ctl.mode selects BH_MEMO_ON / OFF / VERIFY (bpf/abi/file.h); the
 * loader turns the memo off if a kernel lacks one of the fentry/fexit targets.
 */
#ifndef BULKHEAD_FILE_MEMO_BPF_H
#define BULKHEAD_FILE_MEMO_BPF_H

#include "lib/path.bpf.h"

#ifndef READ_ONCE
#define READ_ONCE(x) (*(volatile typeof(x) *)&(x))
#endif
#ifndef WRITE_ONCE
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))
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

/* Names, mount trees, roots or a task's cgroups changed (bh_memo_ctl.epoch):
 * bumped after every change (the fexit programs below), for every task. */
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

/*
 * The slot of a dentry: a multiplicative hash of its distance from the table
 * (a scalar: the verifier allows no arithmetic on a kernel pointer, but lets
 * a privileged program subtract two pointers). One dentry used by two
 * containers, or two dentries of one slot, evict each other (a full
 * decision, never a wrong one).
 */
static __always_inline struct bh_file_memo *bh_memo_slot(const struct dentry *d)
{
	__u64 k = (__u64)d - (__u64)&bh_memo_tab;

	return &bh_memo_tab.e[(k * 0x9E3779B97F4A7C15ull) >> (64 - BH_MEMO_BITS)];
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
	__u64 epoch;			/* bh_memo_ctl.epoch before the decision */
	__u64 dk, mk;			/* the dentry and the vfsmount, as keys */
	__u64 name_lens;		/* exec: the policy's bh_file_pol.name_lens */
	__u32 dseq;			/* its d_seq before the decision */
	__u8  hook, mode;
	__u8  name_len;			/* exec only */
	__u8  pad;
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
 * BH_MEMO_VERIFY), or -1: nothing to store (memo off; the dentry being
 * changed, or unhashed: a root, a pseudo file, a name removed).
 */
static __always_inline int bh_memo_begin(struct bh_memo_cur *c, __u32 hook, struct vfsmount *m,
					 struct dentry *d, __u64 epoch)
{
	struct bh_file_memo *e;
	__u32 mode;

	if (!d || !m)
		return -1;
	mode = READ_ONCE(BH_MEMO_CTL->mode);
	if ((mode & BH_MEMO_MODE_MASK) == BH_MEMO_OFF)
		return -1;
	/* d_seq even (no writer), then hashed: the name decided is the one of that d_seq */
	c->dseq = READ_ONCE(d->d_seq.seqcount.sequence);
	asm volatile("" ::: "memory");
	if ((c->dseq & 1) || !READ_ONCE(d->d_hash.pprev))
		return -1;
	c->epoch = epoch;
	e = bh_memo_slot(d);
	c->dk = BH_MEMO_KEY(d, e);
	c->mk = BH_MEMO_KEY(m, e);
	c->hook = hook;
	c->mode = mode & BH_MEMO_MODE_MASK;
	c->name_len = 0;
	c->name_lens = 0;
	return c->mode;
}

/*
 * An exec's invoked name into name (BH_MEMO_NAME bytes, zero-padded).
 * Returns its length with the NUL (0: not absolute, no rule looks at it, and
 * name is all zeroes), or -1: too long to keep (decided in full every time;
 * name is all zeroes). *raw: what the read returned (BH_MEMO_NAME if cut).
 */
static __always_inline int bh_memo_name(__u64 *name, const char *filename, long *raw)
{
	long n;

	for (int i = 0; i < BH_MEMO_NAME / 8; i++)
		name[i] = 0;
	n = bpf_probe_read_kernel_str(name, BH_MEMO_NAME, filename);
	*raw = n;
	if (n > 1 && n < BH_MEMO_NAME && (name[0] & 0xff) == '/')
		return n;
	for (int i = 0; i < BH_MEMO_NAME / 8; i++)
		name[i] = 0;
	return n >= BH_MEMO_NAME ? -1 : 0;
}

/*
 * The invoked name's length (strlen), without reading it: execve() copies
 * it first onto the new stack, which starts a pointer below the end of
 * bprm->vma (__bprm_mm_init()), and bprm->exec is where the copy begins
 * (do_execveat_common(), kernel_execve()). Read from the kernel's own
 * bookkeeping (loads, no helper), never from what the caller passed; checked
 * against the name read on every miss (bh_memo_name_check()).
 */
static __always_inline __u64 bh_memo_name_len(struct linux_binprm *bprm)
{
	return bprm->vma->vm_end - sizeof(void *) - bprm->exec - 1;
}

/*
 * Must a hit under a policy's name_lens (bh_file_pol.name_lens) read the
 * invoked name, of len bytes? Only if a deny rule could match a name that
 * long (or the length is not to be trusted): for any other, the invoked-name
 * check cannot deny, so the answer is the file's alone.
 */
static __always_inline bool bh_memo_name_needed(__u64 lens, __u64 len)
{
	if (!lens)
		return false;	/* no rule checks an invoked name */
	if (READ_ONCE(BH_MEMO_CTL->kflags) & BH_MEMO_K_NOLEN)
		return true;
	if (len - 1 >= 4095)
		return true;	/* 0, or more than a path holds: not what the kernel copies */
	return len >= 64 ? lens & BH_NAME_LONG : (lens >> len) & 1;
}

/*
 * After a read of the name (raw: bh_memo_name()'s): the length computed
 * without it (len) must agree. If it ever does not (a kernel whose exec
 * bookkeeping differs), every later exec reads its name (BH_MEMO_K_NOLEN).
 */
static __always_inline void bh_memo_name_check(__u64 len, long raw)
{
	if (raw <= 0 || (raw < BH_MEMO_NAME ? len == (__u64)raw - 1 : len >= BH_MEMO_NAME - 1))
		return;
	/* a plain store: the only flag, and every writer sets it */
	WRITE_ONCE(BH_MEMO_CTL->kflags, BH_MEMO_K_NOLEN);
}

/* The entry a hit would be in, if it holds this dentry; NULL if not. */
static __always_inline struct bh_file_memo *bh_memo_cached(struct dentry *d)
{
	struct bh_file_memo *e = bh_memo_slot(d);

	return READ_ONCE(e->dentry) == BH_MEMO_KEY(d, e) ? e : NULL;
}

/*
 * The hit path: was want (BH_MEMO_* bits) decided allowed for exactly this
 * file (m, d), task t (bpf_get_current_task_btf()) and, for an exec, policy
 * name_lens (lens: as the entry was read before) and invoked name
 * (bh_memo_name(), name_len its length; NULL: a name no rule can deny, not
 * read), under the epoch now? 1: yes; 2:
 * yes, and the memo is in verify mode (decide in full too); 0: no (or the memo
 * is off). Every field is compared without a branch (xor, or): under
 * emulation a branch costs about what a load does. Self-contained and in load
 * order, so what it computes lives in registers, not on the stack; it reads
 * the file, the dentry's d_seq and the task's cgroups and root, nothing else
 * of the kernel's (every such load is a checked one).
 */
static __always_inline int bh_memo_lookup(__u32 hook, struct task_struct *t, struct vfsmount *m,
					  struct dentry *d, __u8 want, __u64 lens, const __u64 *name,
					  __u8 name_len)
{
	struct bh_memo_ctl *ctl = BH_MEMO_CTL;
	struct bh_file_memo *e;
	struct fs_struct *fs;
	__u64 s, diff, epoch;
	__u32 mode;

	mode = READ_ONCE(ctl->mode);
	if ((mode & BH_MEMO_MODE_MASK) == BH_MEMO_OFF)
		return 0;
	epoch = READ_ONCE(ctl->epoch);	/* first: before any name is read */
	e = bh_memo_slot(d);
	s = READ_ONCE(e->seq);
	/* every load of the entry volatile: the compiler keeps them in this order (and x86 too) */
	diff = (s & 1) | (READ_ONCE(e->dentry) ^ BH_MEMO_KEY(d, e));
	if (diff)
		return 0;	/* another dentry's (or none): the usual miss, decided at once */
	diff = (READ_ONCE(e->epoch) ^ epoch) | (want & ~READ_ONCE(e->ok));
	diff |= READ_ONCE(e->mnt) ^ BH_MEMO_KEY(m, e);
	diff |= READ_ONCE(e->dseq) ^ d->d_seq.seqcount.sequence;
	/* the task's cgroups: the css_set pointer (a move or a free bumps the epoch) */
	diff |= READ_ONCE(e->css) ^ BH_MEMO_KEY(t->cgroups, e);
	fs = t->fs;
	diff |= READ_ONCE(e->root_d) ^ BH_MEMO_KEY(fs->root.dentry, e);
	diff |= READ_ONCE(e->root_m) ^ BH_MEMO_KEY(fs->root.mnt, e);
	if (hook == BH_MH_EXEC)		/* what decided whether the name was read */
		diff |= READ_ONCE(e->name_lens) ^ lens;
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
 * (ok: BH_MEMO_* bits), under the epoch and d_seq read before the decision.
 * The task's cgroups and root are read now: whatever changed them since (a
 * move to another cgroup, chroot, pivot_root) bumped the epoch after the
 * change. (setns() cannot change a root another thread shares, and the task
 * itself is here.)
 */
static __always_inline void bh_memo_end(struct bh_memo_cur *c, struct dentry *d, int hit, int r,
					struct bh_hook *h, __u8 ok, const __u64 *name)
{
	struct bh_file_memo *e;
	struct task_struct *t;
	__u64 *en;
	__u64 rd, rm, css, dk, mk;

	if (hit) {
		if (r || h->reported)
			bh_memo_stat(c->hook, BH_MS_MISMATCH);
		return;
	}
	if (!h->policy)
		return;
	bh_memo_stat(c->hook, BH_MS_MISS);
	e = bh_memo_slot(d);	/* c may be map memory: no pointer kept there */
	en = (__u64 *)e->name;
	if (r || h->reported)
		return;
	t = bpf_get_current_task_btf();
	rd = BH_MEMO_KEY(t->fs->root.dentry, e);
	rm = BH_MEMO_KEY(t->fs->root.mnt, e);
	css = BH_MEMO_KEY(t->cgroups, e);
	dk = c->dk;
	mk = c->mk;
	if (!bh_memo_write_begin(&e->seq))
		return;
	if (e->dentry == dk && e->dseq == c->dseq && e->css == css && e->mnt == mk &&
	    e->root_d == rd && e->root_m == rm && e->epoch == c->epoch) {
		/* the same key: keep what it holds, with the exec name it was decided for */
		ok |= e->ok & (name ? (__u8)~BH_MEMO_EXEC : 0xff);
	} else {
		e->name_len = 0;
		e->name_lens = 0;
		for (int i = 0; i < BH_MEMO_NAME / 8; i++)
			en[i] = 0;
	}
	if (name) {	/* an exec: its name (all zeroes if not absolute or not kept) */
		e->name_len = c->name_len;
		e->name_lens = c->name_lens;
		for (int i = 0; i < BH_MEMO_NAME / 8; i++)
			en[i] = name[i];
	}
	e->ok = ok;
	e->dentry = dk;
	e->dseq = c->dseq;
	e->css = css;
	e->mnt = mk;
	e->root_d = rd;
	e->root_m = rm;
	e->epoch = c->epoch;
	bh_memo_write_end(&e->seq);
	bh_memo_stat(c->hook, BH_MS_STORE);
}

/*
 * Containers with nothing to check: an entry per css_set (struct
 * bh_memo_nopol) saying which rule kinds its cgroup's policy has, under an
 * epoch. The host's tasks and containers without a policy then cost a lookup
 * here, not the cgroup -> policy lookup. Whatever changes the answer moves the
 * epoch: a policy change (the core), a task's move, a css_set freed (so a
 * pointer reused is never matched).
 */
static __always_inline struct bh_memo_nopol *bh_memo_np_slot(const struct css_set *cs)
{
	__u64 k = (__u64)cs - (__u64)&bh_memo_tab;

	return &bh_memo_tab.np[(k * 0x9E3779B97F4A7C15ull) >> (64 - BH_MEMO_NOPOL_BITS)];
}

/* Has task t's container nothing of flags (BH_CGP_*) to check? (memo on only) */
static __always_inline bool bh_memo_unpoliced(struct task_struct *t, __u32 flags)
{
	struct bh_memo_ctl *ctl = BH_MEMO_CTL;
	struct css_set *cs = t->cgroups;
	struct bh_memo_nopol *n = bh_memo_np_slot(cs);
	__u64 s, diff;

	if ((READ_ONCE(ctl->mode) & BH_MEMO_MODE_MASK) != BH_MEMO_ON)
		return false;
	s = READ_ONCE(n->seq);
	diff = (s & 1) | (READ_ONCE(n->css) ^ BH_MEMO_KEY(cs, n));
	diff |= (READ_ONCE(n->epoch) ^ READ_ONCE(ctl->epoch)) | (READ_ONCE(n->pflags) & flags);
	diff |= READ_ONCE(n->seq) ^ s;
	return !diff;
}

/*
 * A hook found nothing of flags to check for the current task (h: what
 * bh_hook_begin() found; epoch: read before it): remember it for the task's
 * css_set, unless the policy has such rules (the task is then only not armed
 * yet, which the css_set does not say).
 */
static __always_inline void bh_memo_nopol_store(const struct bh_hook *h, __u32 flags, __u64 epoch)
{
	struct bh_memo_nopol *n;
	struct css_set *cs;
	__u32 pf = 0;

	if ((READ_ONCE(BH_MEMO_CTL->mode) & BH_MEMO_MODE_MASK) == BH_MEMO_OFF)
		return;
	if (h->pol && h->pol->policy_id)
		pf = h->pol->flags;
	if (pf & flags)
		return;
	cs = bpf_get_current_task_btf()->cgroups;
	n = bh_memo_np_slot(cs);
	if (!bh_memo_write_begin(&n->seq))
		return;
	n->css = BH_MEMO_KEY(cs, n);
	n->epoch = epoch;
	n->pflags = pf;
	bh_memo_write_end(&n->seq);
}

/*
 * Invalidation: after every change of a name, a mount tree or a root, and at
 * a dentry's free. Each program is optional (userspace/enforce/file.c): a
 * kernel without one of these functions gets the memo off, never a memo that
 * misses a change.
 */
#define BH_IS_ERR(p)	((unsigned long)(p) >= (unsigned long)-4095)
#define BH_CLONE_NEWNS	0x00020000	/* <linux/sched.h> */

/*
 * A name moved: the moved dentry's d_seq and the target's change (__d_move()
 * writes both), so entries keyed by either miss without a bump. Only a
 * directory moved renames what is below it: that (or a dentry of no or
 * unknown type) moves the epoch. Renames of files (atomic writes, log
 * rotation: a node makes them all day) leave the rest of the memo alone.
 */
static __always_inline bool bh_memo_moves_below(struct dentry *d)
{
	struct inode *i = d ? d->d_inode : NULL;

	return !i || (i->i_mode & BH_S_IFMT) == BH_S_IFDIR;
}

SEC("fexit/d_move")
int BPF_PROG(bh_memo_d_move, struct dentry *dentry, struct dentry *target)
{
	if (bh_memo_moves_below(dentry))
		bh_memo_fs_changed();
	return 0;
}

SEC("fexit/d_exchange")
int BPF_PROG(bh_memo_d_exch, struct dentry *d1, struct dentry *d2)
{
	if (bh_memo_moves_below(d1) || bh_memo_moves_below(d2))
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

/*
 * A dentry freed: its entry cleared before its memory can be reused (an RCU
 * grace period later), so its pointer is never matched for another name. No
 * store for it can be under way: a store holds the file, so the dentry.
 */
SEC("fentry/dentry_free")
int BPF_PROG(bh_memo_d_free, struct dentry *d)
{
	struct bh_file_memo *e = bh_memo_slot(d);
	__u64 k = BH_MEMO_KEY(d, e);

	if (READ_ONCE(e->dentry) != k || !bh_memo_write_begin(&e->seq))
		return 0;	/* (a writer under way stores another dentry's) */
	if (e->dentry == k)
		e->dentry = 0;
	bh_memo_write_end(&e->seq);
	return 0;
}

/*
 * New mounts that path_mount does not make, and a task's new root: the keys
 * hold mount and root pointers, never a freed one reused. (setns() needs
 * none: a namespace's root is a live mount and its root dentry.)
 */
/* (Only a new namespace: setns() calls it too, and gets the one it joins.) */
SEC("fexit/copy_mnt_ns")
int BPF_PROG(bh_memo_copy_ns, unsigned long flags, struct mnt_namespace *ns, struct user_namespace *user_ns,
	     struct fs_struct *new_fs, struct mnt_namespace *ret)
{
	if ((flags & BH_CLONE_NEWNS) && ret != ns)
		bh_memo_fs_changed();
	return 0;
}

SEC("fexit/__x64_sys_open_tree")
int BPF_PROG(bh_memo_open_tree)
{
	bh_memo_fs_changed();
	return 0;
}

SEC("fexit/__x64_sys_fsmount")
int BPF_PROG(bh_memo_fsmount)
{
	bh_memo_fs_changed();
	return 0;
}

SEC("fexit/__x64_sys_chroot")
int BPF_PROG(bh_memo_chroot)
{
	bh_memo_fs_changed();
	return 0;
}

/*
 * Mounts detached: an unmount, lazy or not, propagated or not, and a mount
 * namespace's last reference dropped (not put_mnt_ns(), which every exit of a
 * process that entered the namespace calls).
 */
SEC("fexit/umount_tree")
int BPF_PROG(bh_memo_umount_tree)
{
	bh_memo_fs_changed();
	return 0;
}

#endif
