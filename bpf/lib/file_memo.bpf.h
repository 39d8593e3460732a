/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The file/exec decision memo (BPF LSM only: bpf/file.bpf.c). A container
 * opens and runs the same files over and over; a decision its policy made
 * once is kept in the file's inode (BPF inode local storage, bh_file_memo)
 * and reused while nothing it depended on can have changed:
 *
 *   policy      stamp = policy epoch << 1 | generation (bh_policy_epoch,
 *               bh_active_gen: the network memo's stamp) and the container's
 *               cgroup id: a swap, a reload or a container's new entry bumps
 *               the epoch, and every entry at once is stale;
 *   the name    the dentry, its parent and its name hash; the vfsmount the
 *               file was reached through; the task's root (another mount,
 *               bind mount or chroot is another key); the kernel's
 *               rename_lock sequence (every d_move, of the file or of any
 *               directory above it, by any task, by any path into the VFS)
 *               and mount_lock sequence (every change of any mount tree),
 *               both read before the decision, so a change during it leaves
 *               an entry no hit can match; only files with one name (nlink
 *               1; directories: not removed) are memoized or matched, and
 *               path_link bumps bh_memo_link_epoch before a link is made;
 *   exec        the invoked name, compared byte for byte (names of up to 63
 *               bytes; the invoked-name rule check is a function of that
 *               string alone), so an interpreter is memoized exactly too.
 *
 * Only allows are memoized, and only when no event was sent (an audited
 * denial is reported every time; a denial is decided and reported every
 * time). Entries are never written in place: a store deletes the inode's
 * entry and creates it whole, so a reader never sees half of one.
 * bh_fmemo_ctl selects BH_MEMO_ON / OFF / VERIFY (bpf/abi/file.h).
 */
#ifndef BULKHEAD_FILE_MEMO_BPF_H
#define BULKHEAD_FILE_MEMO_BPF_H

#include "lib/path.bpf.h"

#define BH_S_IFMT	00170000
#define BH_S_IFDIR	0040000

struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct bh_file_memo);
} bh_file_memo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);		/* BH_MEMO_ON / OFF / VERIFY */
} bh_fmemo_ctl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BH_MEMO_STATS);
	__type(key, __u32);
	__type(value, __u64);
} bh_fmemo_stats SEC(".maps");

/* The kernel's seqlocks (first word: the sequence). Weak: if kallsyms does not
 * give them, the sequence reads odd and nothing is ever memoized. */
extern const void rename_lock __ksym __weak;
extern const void mount_lock __ksym __weak;

/* Hard links made: bumped by lsm/path_link before any link, for any task. */
__u64 bh_memo_link_epoch = 0;

static __always_inline void bh_memo_link_made(void)
{
	__sync_fetch_and_add(&bh_memo_link_epoch, 1);
}

static __always_inline void bh_memo_stat(__u32 hook, __u32 kind)
{
	__u32 idx = BH_MEMO_STAT(hook, kind);
	__u64 *v = bpf_map_lookup_elem(&bh_fmemo_stats, &idx);

	if (v)
		*v += 1;
}

static __always_inline __u32 bh_seq(const void *lock)
{
	__u32 s = 1;

	if (!lock || bpf_probe_read_kernel(&s, sizeof(s), lock))
		return 1;
	return s;
}

/* What the current hook's decision depends on, besides the policy maps. */
struct bh_memo_cur {
	struct inode *inode;
	__u64 stamp, cgid;
	__u64 dentry, parent, hash_len, mnt, root_d, root_m, link_epoch;
	__u32 seq_rename, seq_mount;
	__u8  hook, mode;
	__u8  name_len;			/* exec only */
	__u8  seqs_read;
};

/*
 * Fill c for the file (m, d) reached by the current task. Returns the mode
 * (BH_MEMO_ON or BH_MEMO_VERIFY), or -1: nothing to look up or store (memo
 * off, no inode, more than one name, a removed directory).
 */
static __always_inline int bh_memo_begin(struct bh_memo_cur *c, __u32 hook, struct vfsmount *m,
					 struct dentry *d)
{
	struct task_struct *t;
	__u32 zero = 0, *g, *mode;
	__u64 *ep;
	struct inode *ino;
	__u32 nlink;

	mode = bpf_map_lookup_elem(&bh_fmemo_ctl, &zero);
	if (!mode || *mode == BH_MEMO_OFF || !d || !m)
		return -1;
	ino = d->d_inode;
	if (!ino)
		return -1;
	nlink = ino->i_nlink;
	if ((ino->i_mode & BH_S_IFMT) == BH_S_IFDIR ? nlink == 0 : nlink != 1)
		return -1;
	g = bpf_map_lookup_elem(&bh_active_gen, &zero);
	ep = bpf_map_lookup_elem(&bh_policy_epoch, &zero);
	if (!g || !ep)
		return -1;
	c->stamp = (*(volatile __u64 *)ep << 1) | (*(volatile __u32 *)g & 1);
	c->cgid = bpf_get_current_cgroup_id();
	c->inode = ino;
	c->dentry = (__u64)d;
	c->parent = (__u64)d->d_parent;
	c->hash_len = (__u64)d->d_name.hash | (__u64)d->d_name.len << 32;
	c->mnt = (__u64)m;
	t = bpf_get_current_task_btf();
	c->root_d = (__u64)t->fs->root.dentry;
	c->root_m = (__u64)t->fs->root.mnt;
	c->link_epoch = *(volatile __u64 *)&bh_memo_link_epoch;
	c->seq_rename = 1;		/* read only when needed (bh_memo_seqs) */
	c->seq_mount = 1;
	c->seqs_read = 0;
	c->hook = hook;
	c->mode = *mode;
	c->name_len = 0;
	return c->mode;
}

/* The tree's state now: 0 if it is being changed (an odd sequence). */
static __always_inline int bh_memo_seqs(struct bh_memo_cur *c)
{
	c->seq_rename = bh_seq(&rename_lock);
	c->seq_mount = bh_seq(&mount_lock);
	c->seqs_read = 1;
	return !((c->seq_rename | c->seq_mount) & 1);
}

/*
 * Was want (BH_MEMO_* bits) decided allowed for exactly this? name: the exec's
 * invoked name (BH_MEMO_NAME bytes, zero-padded; c->name_len set), else NULL.
 * On a miss the sequences are read before the caller decides, for the store.
 */
static __always_inline int bh_memo_hit(struct bh_memo_cur *c, __u8 want, const __u64 *name)
{
	struct bh_file_memo *e = bpf_inode_storage_get(&bh_file_memo, c->inode, 0, 0);
	int hit = 0;

	if (!e || e->stamp != c->stamp || e->cgid != c->cgid || (want & ~e->ok) ||
	    e->dentry != c->dentry || e->parent != c->parent || e->hash_len != c->hash_len ||
	    e->mnt != c->mnt || e->root_d != c->root_d || e->root_m != c->root_m ||
	    e->link_epoch != c->link_epoch)
		goto out;
	if (name) {
		const __u64 *en = (const __u64 *)e->name;

		if (e->name_len != c->name_len)
			goto out;
		for (int i = 0; i < BH_MEMO_NAME / 8; i++)
			if (en[i] != name[i])
				goto out;
	}
	if (!bh_memo_seqs(c) || e->seq_rename != c->seq_rename || e->seq_mount != c->seq_mount)
		goto out;
	hit = 1;
out:
	if (!hit && !c->seqs_read)
		bh_memo_seqs(c);	/* before the full decision: the store's key */
	bh_memo_stat(c->hook, hit ? BH_MS_HIT : BH_MS_MISS);
	return hit;
}

/*
 * After the full decision (r: the hook's answer; h: its state). A hit whose
 * full decision denied or reported is a mismatch (verify mode); a miss that
 * allowed silently is memoized (ok: BH_MEMO_* bits), under the sequences read
 * before the decision.
 */
static __always_inline void bh_memo_end(struct bh_memo_cur *c, int hit, int r, struct bh_hook *h,
					__u8 ok, const __u64 *name)
{
	struct bh_file_memo *e, *n;

	if (hit) {
		if (r || h->reported)
			bh_memo_stat(c->hook, BH_MS_MISMATCH);
		return;
	}
	if (r || h->reported || !h->policy || !h->s || ((c->seq_rename | c->seq_mount) & 1))
		return;
	n = &h->s->memo;
	e = bpf_inode_storage_get(&bh_file_memo, c->inode, 0, 0);
	n->ok = ok;
	n->name_len = 0;
	__builtin_memset(n->name, 0, sizeof(n->name));
	if (e && e->stamp == c->stamp && e->cgid == c->cgid && e->dentry == c->dentry &&
	    e->parent == c->parent && e->hash_len == c->hash_len && e->mnt == c->mnt &&
	    e->root_d == c->root_d && e->root_m == c->root_m && e->link_epoch == c->link_epoch &&
	    e->seq_rename == c->seq_rename && e->seq_mount == c->seq_mount) {
		/* the same key: keep what it holds, with the exec name it was decided for */
		n->ok |= e->ok & (name ? (__u8)~BH_MEMO_EXEC : 0xff);
		if (!name) {
			n->name_len = e->name_len;
			__builtin_memcpy(n->name, e->name, sizeof(n->name));
		}
	}
	if (name) {
		n->name_len = c->name_len;
		__builtin_memcpy(n->name, name, sizeof(n->name));
	}
	n->stamp = c->stamp;
	n->cgid = c->cgid;
	n->dentry = c->dentry;
	n->parent = c->parent;
	n->hash_len = c->hash_len;
	n->mnt = c->mnt;
	n->root_d = c->root_d;
	n->root_m = c->root_m;
	n->link_epoch = c->link_epoch;
	n->seq_rename = c->seq_rename;
	n->seq_mount = c->seq_mount;
	n->pad = 0;
	n->pad2 = 0;
	if (e)
		bpf_inode_storage_delete(&bh_file_memo, c->inode);
	if (bpf_inode_storage_get(&bh_file_memo, c->inode, n, BPF_LOCAL_STORAGE_GET_F_CREATE))
		bh_memo_stat(c->hook, BH_MS_STORE);
}

#endif
