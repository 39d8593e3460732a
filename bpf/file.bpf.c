// SPDX-License-Identifier: GPL-2.0
/*
 * File and exec rules, enforced by BPF LSM per container (cgroup id):
 *
 *   lsm/file_open            read / write (f_mode), path by bpf_d_path
 *   lsm/bprm_check_security  exec: the file table's exec op and spec.exec,
 *                            on the resolved binary (bpf_d_path) and on the
 *                            name it was invoked by (a denied symlink name)
 *   lsm/path_mknod           create (also open(O_CREAT) of a new file)
 *   lsm/path_mkdir           create          lsm/path_rmdir     delete
 *   lsm/path_unlink          delete          lsm/path_symlink   create
 *   lsm/path_link            link: both names; the new name may not be less
 *                            restricted than the old one (hard-link bypass)
 *   lsm/path_rename          rename: both names, the same rule, and a
 *                            directory with rules below it stays put
 *   lsm/path_truncate        write           lsm/path_chmod, path_chown setattr
 *   lsm/sb_mount             a bind mount whose source a rule denies
 *   lsm/mmap_file            PROT_EXEC mappings: the file table's exec op
 *
 * The path hooks resolve paths by a bounded dentry walk (bpf_d_path is not
 * allowed there). Containers without an entry, without a policy, or whose
 * policy has no file/exec rules are never touched. enforce: -EPERM and a
 * deny event; audit: allowed and an audit event (bpf/lib/path.bpf.h).
 *
 * file_open, bprm_check_security and mmap_file first ask the decision memo
 * (bpf/lib/file_memo.bpf.h): an allow made for this file, name, mount, root,
 * container and policy stamp is reused without resolving the path. Each of
 * the three is a decide_*() function (the full decision) wrapped by the memo.
 */
#include "lib/path.bpf.h"
#include "lib/file_memo.bpf.h"

char LICENSE[] SEC("license") = "GPL";



#define FMODE_READ	0x1
#define FMODE_WRITE	0x2
#define MS_BIND		4096
#define RENAME_EXCHANGE	(1 << 1)
#define S_IFMT		00170000
#define S_IFDIR		0040000

/*
 * Could the policy deny any of ops at all (file table; exec: spec.exec too)?
 * If not, every decision is "allow": skip resolving the path. Exact, and
 * what keeps an open cheap for a policy that only protects writes.
 */
static __always_inline int fh_restricts(struct bh_hook *h, __u8 ops, int exec)
{
	__u8 exec_r, r = bh_restricted(h->gen, h->policy, &exec_r);

	return (r & ops) || (exec && exec_r);
}

/* Report; 0 (audit: allowed) or -EPERM. */
static __always_inline int verdict(struct bh_hook *h, __u32 sec, __u8 op, __u8 hook, __u16 flags,
				   __u32 ref, const struct bh_file_key *k, int len)
{
	int audit = h->pol->mode[sec & 3] == BH_AUDIT;

	h->reported = 1;
	bh_file_report(h->cgid, h->gen, h->policy, op, audit ? BH_FILE_ACT_AUDIT : BH_FILE_ACT_DENY,
		       hook, flags, ref, k, len);
	return audit ? 0 : -EPERM;
}

static __always_inline __u8 lowest(__u8 m)
{
	for (int o = 0; o < BH_OP_COUNT; o++)
		if ((m >> o) & 1)
			return o;
	return 0;
}

/* The safe default for a path that could not be resolved within bounds. */
static __always_inline int overlong(struct bh_hook *h, __u8 ops, __u8 hook)
{
	__u8 exec_r, r = bh_restricted(h->gen, h->policy, &exec_r);

	if (!(r & ops))
		return 0;
	bh_stat(BH_FS_OVERLONG);
	return verdict(h, BH_SEC_FILE, lowest(r & ops), hook, BH_FE_OVERLONG,
		       ((__u32)1 << 24) | 0xffffffu, 0, -1);
}

/* Decide ops on the path in key (len bytes with the NUL, or < 0: over-long). */
static __always_inline int check(struct bh_hook *h, struct bh_file_key *key, int len, __u8 ops, __u8 hook)
{
	struct bh_verdict v = {};

	if (len <= 0)
		return overlong(h, ops, hook);
	if (key->path[0] != '/')
		return 0;	/* "pipe:[..]", "anon_inode:..": not in the file tree */
	if (bh_decide(key, h->gen, BH_TAB_FILE, h->policy, len, ops, &v) || !v.deny)
		return 0;
	return verdict(h, BH_SEC_FILE, v.first, hook, 0, v.ref, key, len);
}

/*
 * A file reached through another mount than the container's root, but lying
 * in the root's own tree: a bind mount of a part of it (made from a symlink,
 * or by open_tree() + move_mount(), which no mount hook sees resolved). Its
 * name in the root's tree must be allowed too, in table tab. Volumes (another
 * file system, or outside the root's tree) and /proc, /dev are not looked at.
 * key2 holds the name.
 */
static __always_inline int check_in_root(struct bh_hook *h, struct vfsmount *m, struct dentry *d,
					 __u32 tab, __u8 ops, __u8 hook)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct dentry *rd = BPF_CORE_READ(t, fs, root.dentry);
	struct bh_verdict v = {};
	int len;

	if (m == BPF_CORE_READ(t, fs, root.mnt) || BPF_CORE_READ(d, d_sb) != BPF_CORE_READ(rd, d_sb))
		return 0;
	len = bh_walk_mode(h->s, h->s->key2.path, m, d, BH_WALK_IN_ROOT);
	if (len == -2)
		return 0;
	if (tab == BH_TAB_FILE)
		return check(h, &h->s->key2, len, ops, hook);
	if (len <= 0 || bh_decide(&h->s->key2, h->gen, tab, h->policy, len, ops, &v) || !v.deny)
		return 0;
	return verdict(h, BH_SEC_EXEC, BH_OP_EXEC, hook, BH_FE_EXEC_TAB, v.ref, &h->s->key2, len);
}

static __always_inline int check_dentry(struct bh_hook *h, const struct path *dir, struct dentry *d,
					__u8 ops, __u8 hook)
{
	int len;

	if (!fh_restricts(h, ops, 0))
		return 0;
	len = bh_walk_path(h->s, h->s->key.path, BPF_CORE_READ(dir, mnt), d);

	return check(h, &h->s->key, len, ops, hook);
}

static __always_inline int check_path(struct bh_hook *h, const struct path *p, __u8 ops, __u8 hook)
{
	int len;

	if (!fh_restricts(h, ops, 0))
		return 0;
	len = bh_walk_struct_path(h->s, h->s->key.path, p);

	return check(h, &h->s->key, len, ops, hook);
}

/* file_open in full: ops (read/write bits) on the file's path. */
/* h: begun (the container has a policy with file rules). */
static __always_inline int decide_open(struct bh_hook *h, struct file *file, __u8 ops)
{
	long len;
	int r;

	if (!fh_restricts(h, ops, 0))
		return 0;
	len = bpf_d_path((struct path *)&file->f_path, h->s->key.path, BH_FILE_PATH_MAX);
	r = check(h, &h->s->key, len > 0 ? (int)len : -1, ops, BH_FH_OPEN);
	if (r)
		return r;
	return check_in_root(h, BPF_CORE_READ(file, f_path.mnt), BPF_CORE_READ(file, f_path.dentry),
			     BH_TAB_FILE, ops, BH_FH_OPEN);
}

/*
 * A file mapped executable (PROT_EXEC): the file table's exec op, as for
 * execve. Without it a denied binary or library could still run through the
 * dynamic loader ("ld.so /tmp/x") or an mmap. spec.exec names programs to
 * start, so it is not applied to mappings (libraries).
 */
#define PROT_EXEC	0x4
/* h: begun (as decide_open()). */
static __always_inline int decide_mmap(struct bh_hook *h, struct file *file)
{
	int len, r;

	if (!fh_restricts(h, 1 << BH_OP_EXEC, 0))
		return 0;
	len = bh_walk_path(h->s, h->s->key.path, BPF_CORE_READ(file, f_path.mnt),
			   BPF_CORE_READ(file, f_path.dentry));
	r = check(h, &h->s->key, len, 1 << BH_OP_EXEC, BH_FH_MMAP);
	if (r)
		return r;
	return check_in_root(h, BPF_CORE_READ(file, f_path.mnt), BPF_CORE_READ(file, f_path.dentry),
			     BH_TAB_FILE, 1 << BH_OP_EXEC, BH_FH_MMAP);
}

/*
 * The full decision of file_open (hook BH_MH_OPEN, ops: read/write bits) or
 * of mmap_file (BH_MH_MMAP), and the memo's bookkeeping around it: out of
 * line, so that a memo hit runs only the code before the call (fewer pages
 * under emulation) and the hit path's state is not kept on the stack across
 * it. The epoch a store is keyed by is read before the container's policy
 * entry (and so before what the decision reads); a task not policed (the
 * host, a container without a policy) returns before anything else.
 */
static __noinline int file_full(struct file *file, __u32 hook, __u8 ops, int hit)
{
	__u64 epoch = bh_memo_epoch();
	struct bh_memo_miss *mm;
	struct bh_hook h = {};
	int memo = -1, r;

	if (!bh_hook_begin(&h, BH_CGP_FILE)) {
		bh_memo_nopol_store(&h, BH_CGP_FILE, epoch);
		return 0;
	}
	mm = bh_memo_miss();
	if (mm)
		memo = bh_memo_begin(&mm->c, hook, file->f_path.mnt, file->f_path.dentry, epoch);
	r = hook == BH_MH_OPEN ? decide_open(&h, file, ops) : decide_mmap(&h, file);
	if (mm && memo >= 0)
		bh_memo_end(&mm->c, file->f_path.dentry, hit, r, &h,
			    hook == BH_MH_OPEN ? ops : BH_MEMO_MMAP, NULL);
	return r;
}

SEC("lsm/file_open")
int BPF_PROG(bh_file_open, struct file *file, int ret)
{
	struct task_struct *t;
	__u32 mode;
	__u8 ops = 0;
	int hit;

	if (ret)
		return ret;
	mode = file->f_mode;
	if (mode & FMODE_READ)
		ops |= 1 << BH_OP_READ;
	if (mode & FMODE_WRITE)
		ops |= 1 << BH_OP_WRITE;
	if (!ops)
		return 0;
	t = bpf_get_current_task_btf();
	hit = bh_memo_lookup(BH_MH_OPEN, t, file->f_path.mnt, file->f_path.dentry, ops, 0, NULL, 0);
	if (hit == 1 || (!hit && bh_memo_unpoliced(t, BH_CGP_FILE)))
		return 0;
	return file_full(file, BH_MH_OPEN, ops, hit);
}

/* bprm_check_security in full: the binary, its name in the root, the invoked name. */
/* h: begun (exec_begin() said the policy restricts exec). */
static __always_inline int decide_exec(struct bh_hook *h, struct linux_binprm *bprm)
{
	struct bh_verdict v = {};
	struct bh_file_key *key;
	long len, n;
	int r;

	key = &h->s->key;
	len = bpf_d_path((struct path *)&bprm->file->f_path, key->path, BH_FILE_PATH_MAX);
	if (len <= 0) {
		__u8 exec_r, r = bh_restricted(h->gen, h->policy, &exec_r);

		if (!(r & (1 << BH_OP_EXEC)) && !exec_r)
			return 0;
		bh_stat(BH_FS_OVERLONG);
		return verdict(h, exec_r ? BH_SEC_EXEC : BH_SEC_FILE, BH_OP_EXEC, BH_FH_EXEC,
			       BH_FE_OVERLONG | (exec_r ? BH_FE_EXEC_TAB : 0),
			       exec_r ? ((__u32)2 << 24) | 0xffffffu : ((__u32)1 << 24) | 0xffffffu, 0, -1);
	}
	if (key->path[0] != '/')
		return 0;
	/* The file table's exec op, then spec.exec: both must allow. */
	if ((h->pol->flags & BH_CGP_FILE) &&
	    !bh_decide(key, h->gen, BH_TAB_FILE, h->policy, len, 1 << BH_OP_EXEC, &v) && v.deny)
		return verdict(h, BH_SEC_FILE, BH_OP_EXEC, BH_FH_EXEC, 0, v.ref, key, len);
	if ((h->pol->flags & BH_CGP_EXEC) &&
	    !bh_decide(key, h->gen, BH_TAB_EXEC, h->policy, len, 1 << BH_OP_EXEC, &v) && v.deny)
		return verdict(h, BH_SEC_EXEC, BH_OP_EXEC, BH_FH_EXEC, BH_FE_EXEC_TAB, v.ref,
			       key, len);
	/* Its name in the root's tree, if reached through a bind mount of a part of it. */
	if ((h->pol->flags & BH_CGP_FILE) &&
	    (r = check_in_root(h, BPF_CORE_READ(bprm, file, f_path.mnt),
			       BPF_CORE_READ(bprm, file, f_path.dentry), BH_TAB_FILE, 1 << BH_OP_EXEC,
			       BH_FH_EXEC)))
		return r;
	if ((h->pol->flags & BH_CGP_EXEC) &&
	    (r = check_in_root(h, BPF_CORE_READ(bprm, file, f_path.mnt),
			       BPF_CORE_READ(bprm, file, f_path.dentry), BH_TAB_EXEC, 1 << BH_OP_EXEC,
			       BH_FH_EXEC)))
		return r;
	/*
	 * The name it was invoked by, when absolute and different ("/bin/sh", a
	 * symlink to busybox): a rule (not a default) that denies that name
	 * denies the exec too. Only ever adds denials.
	 */
	key = &h->s->key2;
	n = bpf_probe_read_kernel_str(key->path, BH_FILE_PATH_MAX, BPF_CORE_READ(bprm, filename));
	if (n <= 1 || key->path[0] != '/')
		return 0;
	if ((h->pol->flags & BH_CGP_FILE) &&
	    !bh_decide(key, h->gen, BH_TAB_FILE, h->policy, n, 1 << BH_OP_EXEC, &v) && v.deny &&
	    (v.ref & 0xffffffu) != 0xffffffu)
		return verdict(h, BH_SEC_FILE, BH_OP_EXEC, BH_FH_EXEC, 0, v.ref, key, n);
	if ((h->pol->flags & BH_CGP_EXEC) &&
	    !bh_decide(key, h->gen, BH_TAB_EXEC, h->policy, n, 1 << BH_OP_EXEC, &v) && v.deny &&
	    (v.ref & 0xffffffu) != 0xffffffu)
		return verdict(h, BH_SEC_EXEC, BH_OP_EXEC, BH_FH_EXEC, BH_FE_EXEC_TAB, v.ref,
			       key, n);
	return 0;
}


/* The full decision and the memo's bookkeeping (as file_full()). */
static __noinline int exec_full(struct linux_binprm *bprm, int hit)
{
	__u64 epoch = bh_memo_epoch();
	struct bh_memo_miss *mm;
	struct bh_hook h = {};
	int memo = -1, r;

	if (!bh_hook_begin(&h, BH_CGP_FILE | BH_CGP_EXEC)) {
		bh_memo_nopol_store(&h, BH_CGP_FILE | BH_CGP_EXEC, epoch);
		return 0;
	}
	if (!fh_restricts(&h, 1 << BH_OP_EXEC, 1))
		return 0;
	mm = bh_memo_miss();
	if (mm)
		memo = bh_memo_begin(&mm->c, BH_MH_EXEC, bprm->file->f_path.mnt,
				     bprm->file->f_path.dentry, epoch);
	r = decide_exec(&h, bprm);
	if (mm && memo >= 0) {
		__u64 lens = bh_file_pol_name_lens(h.gen, h.policy);
		long raw;
		int n = 0;

		if (lens) {	/* kept for a hit under a name as long */
			n = bh_memo_name(mm->name, bprm->filename, &raw);
			bh_memo_name_check(bh_memo_name_len(bprm), raw);
		} else {	/* a policy that checks no invoked name: none read */
			for (int i = 0; i < BH_MEMO_NAME / 8; i++)
				mm->name[i] = 0;
		}
		mm->c.name_len = n > 0 ? n : 0;
		mm->c.name_lens = lens;
		bh_memo_end(&mm->c, bprm->file->f_path.dentry, hit, r, &h, BH_MEMO_EXEC, mm->name);
	}
	return r;
}

/*
 * The memo first: a hit reads the memo's entry and control, the file, the
 * task, and the invoked name only where a rule could deny a name as long as
 * this one (bh_memo_name_needed(): its length is known without reading it);
 * the policy lookup (cgroup id, hash lookup, task storage) is what a miss
 * pays. 1: a hit (2: in verify mode, to be decided in full too).
 */
static __always_inline int exec_hit(struct linux_binprm *bprm)
{
	__u64 name[BH_MEMO_NAME / 8];
	struct bh_file_memo *e;
	const __u64 *nm = NULL;
	struct dentry *d;
	__u64 lens, len;
	long raw;
	int n = 0;

	if (!bprm)
		return 0;
	d = bprm->file->f_path.dentry;
	e = bh_memo_cached(d);
	if (!e)
		return 0;	/* (the name is read only for a file the memo holds) */
	lens = READ_ONCE(e->name_lens);	/* (compared again by the lookup) */
	len = bh_memo_name_len(bprm);
	if (bh_memo_name_needed(lens, len)) {
		/* the invoked name, exactly: the rule check on it is a function of it alone */
		n = bh_memo_name(name, bprm->filename, &raw);
		bh_memo_name_check(len, raw);
		if (n < 0)
			return 0;
		nm = name;
	}
	return bh_memo_lookup(BH_MH_EXEC, bpf_get_current_task_btf(), bprm->file->f_path.mnt, d,
			      BH_MEMO_EXEC, lens, nm, n);
}

SEC("lsm/bprm_check_security")
int BPF_PROG(bh_file_exec, struct linux_binprm *bprm, int ret)
{
	int hit;

	if (ret)
		return ret;
	hit = exec_hit(bprm);
	if (hit == 1 ||
	    (!hit && bh_memo_unpoliced(bpf_get_current_task_btf(), BH_CGP_FILE | BH_CGP_EXEC)))
		return 0;
	return exec_full(bprm, hit);
}

SEC("lsm/path_mknod")
int BPF_PROG(bh_file_mknod, const struct path *dir, struct dentry *dentry, umode_t mode,
	     unsigned int dev, int ret)
{
	struct bh_hook h;

	if (ret)
		return ret;
	if (!bh_hook_begin(&h, BH_CGP_FILE))
		return 0;
	return check_dentry(&h, dir, dentry, 1 << BH_OP_CREATE, BH_FH_MKNOD);
}

SEC("lsm/path_mkdir")
int BPF_PROG(bh_file_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode, int ret)
{
	struct bh_hook h;

	if (ret)
		return ret;
	if (!bh_hook_begin(&h, BH_CGP_FILE))
		return 0;
	return check_dentry(&h, dir, dentry, 1 << BH_OP_CREATE, BH_FH_MKDIR);
}

SEC("lsm/path_symlink")
int BPF_PROG(bh_file_symlink, const struct path *dir, struct dentry *dentry, const char *old_name,
	     int ret)
{
	struct bh_hook h;

	if (ret)
		return ret;
	if (!bh_hook_begin(&h, BH_CGP_FILE))
		return 0;
	return check_dentry(&h, dir, dentry, 1 << BH_OP_CREATE, BH_FH_SYMLINK);
}

SEC("lsm/path_rmdir")
int BPF_PROG(bh_file_rmdir, const struct path *dir, struct dentry *dentry, int ret)
{
	struct bh_hook h;

	if (ret)
		return ret;
	if (!bh_hook_begin(&h, BH_CGP_FILE))
		return 0;
	return check_dentry(&h, dir, dentry, 1 << BH_OP_DELETE, BH_FH_RMDIR);
}

SEC("lsm/path_unlink")
int BPF_PROG(bh_file_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	struct bh_hook h;

	if (ret)
		return ret;
	if (!bh_hook_begin(&h, BH_CGP_FILE))
		return 0;
	return check_dentry(&h, dir, dentry, 1 << BH_OP_DELETE, BH_FH_UNLINK);
}

SEC("lsm/path_truncate")
int BPF_PROG(bh_file_truncate, const struct path *path, int ret)
{
	struct bh_hook h;

	if (ret)
		return ret;
	if (!bh_hook_begin(&h, BH_CGP_FILE))
		return 0;
	return check_path(&h, path, 1 << BH_OP_WRITE, BH_FH_TRUNCATE);
}

SEC("lsm/path_chmod")
int BPF_PROG(bh_file_chmod, const struct path *path, umode_t mode, int ret)
{
	struct bh_hook h;

	if (ret)
		return ret;
	if (!bh_hook_begin(&h, BH_CGP_FILE))
		return 0;
	return check_path(&h, path, 1 << BH_OP_SETATTR, BH_FH_CHMOD);
}

SEC("lsm/path_chown")
int BPF_PROG(bh_file_chown, const struct path *path, __u32 uid, __u32 gid, int ret)
{
	struct bh_hook h;

	if (ret)
		return ret;
	if (!bh_hook_begin(&h, BH_CGP_FILE))
		return 0;
	return check_path(&h, path, 1 << BH_OP_SETATTR, BH_FH_CHOWN);
}

/*
 * A second name for a file (link) or a name moved (rename): op on both
 * names, and the new name may not be less restricted than the old one for
 * any op, in the file table or spec.exec (else a hard link or a move would
 * be a way around a rule). key holds the old path (lold), key2 the new.
 */
static __always_inline int two_names(struct bh_hook *h, int lold, int lnew, __u8 op, __u8 hook,
				     int is_dir, int exchange)
{
	struct bh_file_key *ko = &h->s->key, *kn = &h->s->key2;
	struct bh_verdict vo = {}, vn = {};
	__u8 lost;
	int r;

	if (lold <= 0 || lnew <= 0) {
		__u8 exec_r, rmask = bh_restricted(h->gen, h->policy, &exec_r);

		if (!rmask && !exec_r)
			return 0;
		bh_stat(BH_FS_OVERLONG);
		return verdict(h, BH_SEC_FILE, op, hook, BH_FE_OVERLONG, ((__u32)1 << 24) | 0xffffffu,
			       0, -1);
	}
	r = check(h, ko, lold, 1 << op, hook);
	if (r)
		return r;
	r = check(h, kn, lnew, 1 << op, hook);
	if (r)
		return r;
	if (bh_decide(ko, h->gen, BH_TAB_FILE, h->policy, lold, 0xff, &vo) ||
	    bh_decide(kn, h->gen, BH_TAB_FILE, h->policy, lnew, 0xff, &vn))
		goto exec_tab;
	lost = vo.deny & ~vn.deny;
	if (exchange)
		lost |= vn.deny & ~vo.deny;
	if (lost) {
		/* name the rule that protects the old name */
		bh_decide(ko, h->gen, BH_TAB_FILE, h->policy, lold, lost, &vo);
		return verdict(h, BH_SEC_FILE, op, hook, BH_FE_PERMS, vo.ref, ko, lold);
	}
	/* A directory moved with rules below it: its contents would change rules. */
	if (is_dir && ((vo.exact && (vo.flags & BH_FN_ANCESTOR)) || (vo.flags & BH_FN_GLOBS))) {
		bh_decide(ko, h->gen, BH_TAB_FILE, h->policy, lold, 0xff, &vo);
		return verdict(h, BH_SEC_FILE, op, hook, BH_FE_PERMS, vo.deny ? vo.ref :
			       ((__u32)1 << 24) | 0xffffffu, ko, lold);
	}
exec_tab:
	if (!(h->pol->flags & BH_CGP_EXEC))
		return 0;
	if (bh_decide(ko, h->gen, BH_TAB_EXEC, h->policy, lold, 1 << BH_OP_EXEC, &vo) ||
	    bh_decide(kn, h->gen, BH_TAB_EXEC, h->policy, lnew, 1 << BH_OP_EXEC, &vn))
		return 0;
	if ((vo.deny && !vn.deny) || (exchange && vn.deny && !vo.deny) ||
	    (is_dir && vo.exact && (vo.flags & (BH_FN_ANCESTOR | BH_FN_GLOBS))))
		return verdict(h, BH_SEC_EXEC, op, hook, BH_FE_PERMS | BH_FE_EXEC_TAB, vo.ref,
			       ko, lold);
	return 0;
}

SEC("lsm/path_link")
int BPF_PROG(bh_file_link, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry, int ret)
{
	struct vfsmount *m;
	struct bh_hook h;
	int lo, ln;

	if (ret)
		return ret;
	if (!bh_hook_begin(&h, BH_CGP_FILE) || !fh_restricts(&h, 0xff, 1))
		return 0;
	m = BPF_CORE_READ(new_dir, mnt);	/* a link never crosses mounts */
	lo = bh_walk_path(h.s, h.s->key.path, m, old_dentry);
	ln = bh_walk_path(h.s, h.s->key2.path, m, new_dentry);
	return two_names(&h, lo, ln, BH_OP_LINK, BH_FH_LINK, 0, 0);
}

SEC("lsm/path_rename")
int BPF_PROG(bh_file_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags, int ret)
{
	struct bh_hook h;
	int lo, ln, is_dir;

	if (ret)
		return ret;
	if (!bh_hook_begin(&h, BH_CGP_FILE) || !fh_restricts(&h, 0xff, 1))
		return 0;
	lo = bh_walk_path(h.s, h.s->key.path, BPF_CORE_READ(old_dir, mnt), old_dentry);
	ln = bh_walk_path(h.s, h.s->key2.path, BPF_CORE_READ(new_dir, mnt), new_dentry);
	is_dir = (BPF_CORE_READ(old_dentry, d_inode, i_mode) & S_IFMT) == S_IFDIR;
	return two_names(&h, lo, ln, BH_OP_RENAME, BH_FH_RENAME, is_dir,
			 (flags & RENAME_EXCHANGE) != 0);
}

/*
 * A bind mount gives a file a second name outside the rules: refused when the
 * source is a path some rule of the container's policy denies (any op). It
 * needs CAP_SYS_ADMIN in the container. A relative or over-long source is
 * refused if the policy restricts any file op. Not covered: open_tree() +
 * move_mount() (the escape protections' mount hook refuses mounts outright).
 */
SEC("lsm/sb_mount")
int BPF_PROG(bh_file_mount, const char *dev_name, const struct path *path, const char *type,
	     unsigned long flags, void *data, int ret)
{
	struct bh_verdict v = {};
	struct bh_hook h;
	long n;

	if (ret)
		return ret;
	if (!(flags & MS_BIND) || !bh_hook_begin(&h, BH_CGP_FILE))
		return 0;
	n = bpf_probe_read_kernel_str(h.s->key.path, BH_FILE_PATH_MAX, dev_name);
	if (n <= 1 || h.s->key.path[0] != '/')
		return overlong(&h, 0xff, BH_FH_MOUNT);
	if (bh_decide(&h.s->key, h.gen, BH_TAB_FILE, h.policy, n, 0xff, &v) || !v.deny ||
	    (v.ref & 0xffffffu) == 0xffffffu)
		return 0;
	return verdict(&h, BH_SEC_FILE, BH_OP_MOUNT, BH_FH_MOUNT, 0, v.ref, &h.s->key, n);
}

SEC("lsm/mmap_file")
int BPF_PROG(bh_file_mmap, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	struct task_struct *t;
	int hit;

	if (ret)
		return ret;
	if (!file || !(prot & PROT_EXEC))
		return 0;
	t = bpf_get_current_task_btf();
	hit = bh_memo_lookup(BH_MH_MMAP, t, file->f_path.mnt, file->f_path.dentry, BH_MEMO_MMAP, 0,
			     NULL, 0);
	if (hit == 1 || (!hit && bh_memo_unpoliced(t, BH_CGP_FILE)))
		return 0;
	return file_full(file, BH_MH_MMAP, 0, hit);
}

/*
 * Empty programs on the two hot hooks, for `make bench` only (autoload off
 * in file.c): the baseline of the per-program cost (kernel.bpf_stats_enabled).
 */
SEC("lsm/file_open")
int BPF_PROG(bh_empty_open, struct file *file, int ret)
{
	return ret;
}

SEC("lsm/bprm_check_security")
int BPF_PROG(bh_empty_exec, struct linux_binprm *bprm, int ret)
{
	return ret;
}
