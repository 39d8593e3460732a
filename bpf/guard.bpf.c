// SPDX-License-Identifier: GPL-2.0
/*
 * The escape guard: BPF LSM refusals (EPERM) of escape techniques for armed
 * container tasks, and bulkhead's protection of itself. Loader:
 * userspace/enforce/guard.c. Records: struct bh_esc_event with BH_ESCF_REFUSED
 * in bh_guard_rb (rate-limited per container), judged by userspace/detect/.
 *
 * Arming (also for bpf/escape.bpf.c, which shares bh_esc_task):
 *   tp_btf/sched_process_exec   a task's first exec in a mount namespace that is
 *                               not the host's, in a cgroup below the configured
 *                               container root (not the agent's own): armed, with
 *                               the container's baseline (cgroup, uid, caps, ns)
 *   tp_btf/sched_process_fork   children inherit it
 * The runtime's own setup (mounts, setns, pivot_root) runs before the
 * entrypoint's exec and is never policed; neither is `crun exec` before its exec.
 *
 * Refusals, each under its protection (bh_cg_policy.esc_enforce, or the
 * configured default for a container the agent has not classified):
 *   file_open        host paths (core_pattern, modprobe, sysrq-trigger, kcore,
 *                    uevent_helper), cgroup v1 release_agent / notify_on_release,
 *                    /dev/mem, kmem, port and block devices, nsfs files of
 *                    namespaces not the task's own (nsenter / setns by path),
 *                    open_by_handle_at landing outside the mount's root,
 *                    cgroup.procs / tasks / cgroup.threads of a cgroup outside the
 *                    container's (always: no container sheds its policy)
 *   sb_mount, sb_set_mnt_opts, move_mount   new mounts of cgroup v1, proc, sysfs,
 *                    bpffs, debugfs, tracefs, securityfs, ... and of block devices
 *                    (mount(2) and the fsopen/fsconfig/fsmount path)
 *   kernel_read_file, kernel_load_data, kernel_module_request    modules
 *   bpf              bpf() unless the policy allows it; bulkhead's own links
 *                    always (bpf_map, bpf_prog: bulkhead's maps and programs)
 *   ptrace_access_check   attach to a task outside the container; the agent always
 *   task_kill        a signal to the agent (always)
 *   inode_unlink, inode_rename   a pin under the pin directory (always)
 *   unix_stream_connect   a runtime or kubelet socket (bh_guard_socks)
 *   userns_create    a user namespace
 *   bprm_creds_from_file  exec of a memfd or an unlinked file; of a set-user-id
 *                    root binary by a non-root task (setuidExec, off by default)
 */
#include "lib/guard.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define FMODE_READ		0x1
#define FMODE_WRITE		0x2
#define S_IFMT			00170000
#define S_IFBLK			0060000
#define S_IFCHR			0020000
#define S_ISUID			0004000
#define MS_REMOUNT		32
#define MS_BIND			4096
#define MS_MOVE			8192
#define MS_PROPAGATION		(0x20000 | 0x40000 | 0x80000 | 0x100000)	/* unbindable private slave shared */
#define CLONE_NEWUSER		0x10000000
#define PTRACE_MODE_ATTACH	0x02

#define PROC_SUPER_MAGIC	0x9fa0
#define SYSFS_MAGIC		0x62656572
#define CGROUP_SUPER_MAGIC	0x27e0eb
#define CGROUP2_SUPER_MAGIC	0x63677270
#define NSFS_MAGIC		0x6e736673
#define BPF_FS_MAGIC		0xcafe4a11

/* bpf() commands the guard looks into (uapi/linux/bpf.h). */
#define BPF_CMD_OBJ_GET			7
#define BPF_CMD_PROG_GET_FD_BY_ID	13
#define BPF_CMD_MAP_GET_FD_BY_ID	14
#define BPF_CMD_LINK_UPDATE		29
#define BPF_CMD_LINK_GET_FD_BY_ID	30
#define BPF_CMD_LINK_DETACH		34

/* Set while an armed task is inside open_by_handle_at (tracepoints, if attached). */
__u32 obh_inflight SEC(".bss");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);	/* tid */
	__type(value, __u32);
} bh_guard_obh SEC(".maps");

/* The current task's system call (x86-64 numbers) and its first argument. */
static __always_inline long cur_syscall(__u64 *arg0)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	if (arg0)
		*arg0 = BPF_CORE_READ(regs, di);
	return BPF_CORE_READ(regs, orig_ax);
}
#define NR_PROCESS_VM_READV	310
#define NR_PROCESS_VM_WRITEV	311
#define NR_PTRACE		101

/* ---- arming --------------------------------------------------------------------- */

/* Is the current task's cgroup v2 at or below the cgroup id root? */
static __always_inline int cgroup_below(struct task_struct *t, __u64 root, __u64 *cur)
{
	struct cgroup *cg = BPF_CORE_READ(t, cgroups, dfl_cgrp);

	*cur = BPF_CORE_READ(cg, kn, id);
	for (int i = 0; i < 32 && cg; i++) {
		if (BPF_CORE_READ(cg, kn, id) == root)
			return 1;
		cg = BPF_CORE_READ(cg, self.parent, cgroup);
	}
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(bh_guard_arm, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *t = bpf_get_current_task_btf();
	const struct bh_guard_cfg *c = gd_cfg();
	struct bh_esc_base *b;
	__u64 cgid;

	if (!c)
		return 0;
	b = bpf_task_storage_get(&bh_esc_task, t, 0, 0);
	if (b && (b->flags & BH_TASK_ARMED))
		return 0;
	if (BPF_CORE_READ(t, nsproxy, mnt_ns, ns.inum) == c->host_ns[BH_NS_MNT])
		return 0;
	if (!cgroup_below(t, c->root_cgid, &cgid) || cgid == c->cg2_root_id || cgid == c->agent_cgid)
		return 0;
	b = bpf_task_storage_get(&bh_esc_task, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!b)
		return 0;
	b->cgroup_id = cgid;
	b->uid = BPF_CORE_READ(t, cred, euid.val);
	b->start_ns = bpf_ktime_get_boot_ns();
	b->cap_bset = 0;
	BPF_CORE_READ_INTO(&b->cap_bset, t, cred, cap_bset);
	gd_task_ns(t, b->ns);
	b->reported = 0;
	b->flags = BH_TASK_ARMED;
	gd_stat(BH_GS_ARMED);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(bh_guard_fork, struct task_struct *parent, struct task_struct *child)
{
	struct bh_esc_base *pb, *cb;

	pb = bpf_task_storage_get(&bh_esc_task, parent, 0, 0);
	if (!pb || !(pb->flags & BH_TASK_ARMED))
		return 0;
	cb = bpf_task_storage_get(&bh_esc_task, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (cb)
		*cb = *pb;
	return 0;
}

/* ---- open_by_handle_at: mark the task while it runs (cheap file_open otherwise) ---- */

SEC("tp/syscalls/sys_enter_open_by_handle_at")
int bh_guard_obh_enter(void *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), one = 1;

	if (!gd_armed())
		return 0;
	bpf_map_update_elem(&bh_guard_obh, &tid, &one, BPF_ANY);
	__sync_fetch_and_add(&obh_inflight, 1);
	return 0;
}

SEC("tp/syscalls/sys_exit_open_by_handle_at")
int bh_guard_obh_exit(void *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (bpf_map_delete_elem(&bh_guard_obh, &tid) == 0)
		__sync_fetch_and_add(&obh_inflight, -1);
	return 0;
}

/*
 * setns() by pidfd: no LSM hook sees the target (6.1 and 6.12 have no setns hook), but
 * every namespace's install asks capable(CAP_SYS_ADMIN). sys_enter_setns marks
 * the task when the fd is a pidfd of a process outside its container (another
 * mount namespace than its baseline's); lsm/capable refuses CAP_SYS_ADMIN to
 * it until sys_exit_setns. setns() by a namespace file: file_open (nsfs).
 */
__u32 setns_inflight SEC(".bss");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);	/* tid */
	__type(value, __u64);	/* the target's pid (host) << 32 | nstype */
} bh_guard_setns SEC(".maps");

#define ANON_INODE_FS_MAGIC	0x09041934
#define PID_FS_MAGIC		0x50494446
#define CAP_SYS_ADMIN		21
#define SETNS_TARGET_HOST	(1ull << 31)	/* in bh_guard_setns's value: the pidfd's process is the host's */

static __always_inline struct file *file_of_fd(__u32 fd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct file **fds = BPF_CORE_READ(t, files, fdt, fd), *f = NULL;

	if (fd >= BPF_CORE_READ(t, files, fdt, max_fds))
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd & 0xffff]);
	return f;
}

SEC("tp/syscalls/sys_enter_setns")
int bh_guard_setns_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), magic;
	struct bh_esc_base *b = gd_armed();
	struct task_struct *target;
	struct file *f;
	struct pid *pid;
	void *first;
	__u64 v;

	if (!b || !(f = file_of_fd((__u32)ctx->args[0])))
		return 0;
	magic = BPF_CORE_READ(f, f_inode, i_sb, s_magic);
	if (magic != ANON_INODE_FS_MAGIC && magic != PID_FS_MAGIC)
		return 0;
	/*
	 * The struct pid: an anon-inode pidfd (6.1) keeps it in private_data; a pidfs one
	 * (6.9+, CONFIG_FS_PID: 6.12) in its inode's i_private.
	 */
	pid = magic == PID_FS_MAGIC ? BPF_CORE_READ(f, f_inode, i_private) : BPF_CORE_READ(f, private_data);
	first = BPF_CORE_READ(pid, tasks[0].first);
	if (!pid || !first)
		return 0;
	target = (void *)((char *)first - bpf_core_field_offset(struct task_struct, pid_links));
	if (BPF_CORE_READ(target, nsproxy, mnt_ns, ns.inum) == b->ns[BH_NS_MNT])
		return 0;
	v = ((__u64)BPF_CORE_READ(target, tgid) << 32) | ((__u32)ctx->args[1] & 0x7fffffff);
	{
		const struct bh_guard_cfg *c = gd_cfg();

		if (c && BPF_CORE_READ(target, nsproxy, mnt_ns, ns.inum) == c->host_ns[BH_NS_MNT])
			v |= SETNS_TARGET_HOST;
	}
	bpf_map_update_elem(&bh_guard_setns, &tid, &v, BPF_ANY);
	__sync_fetch_and_add(&setns_inflight, 1);
	return 0;
}

SEC("tp/syscalls/sys_exit_setns")
int bh_guard_setns_exit(void *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (setns_inflight && bpf_map_delete_elem(&bh_guard_setns, &tid) == 0)
		__sync_fetch_and_add(&setns_inflight, -1);
	return 0;
}

SEC("lsm/capable")
int BPF_PROG(bh_guard_capable, const struct cred *cred, struct user_namespace *ns, int cap,
	     unsigned int opts, int ret)
{
	struct gd_req q = { .sig = BH_SIG_SETNS };
	__u32 tid;
	struct bh_esc_base *b;
	__u64 *v;

	if (ret)
		return ret;
	if (!setns_inflight || cap != CAP_SYS_ADMIN)
		return 0;
	tid = (__u32)bpf_get_current_pid_tgid();
	v = bpf_map_lookup_elem(&bh_guard_setns, &tid);
	if (!v || !(b = gd_armed()) || !GD_ON(b, BH_EP_NAMESPACES))
		return 0;
	/* the record as rules_classify() reads it: arg0 = nstype asked, arg2 = 0xff (every, by pidfd) */
	q.arg[0] = (__u32)*v & 0x7fffffff;
	q.arg[2] = 0xff;
	q.flags = (*v & SETNS_TARGET_HOST) ? BH_ESCF_TARGET_HOST : BH_ESCF_TARGET_OTHER;
	q.target_pid = *v >> 32;
	return gd_refuse(b, &q);
}

/* ---- file_open -------------------------------------------------------------------- */

/* A dentry name, read once (zero-padded), compared with literals. */
struct gd_name {
	char c[24];
};

static __always_inline int name_is(const struct gd_name *n, const char *lit, int len)
{
	if (n->c[len])
		return 0;
	for (int i = 0; i < len; i++)
		if (n->c[i] != lit[i])
			return 0;
	return 1;
}
#define NAME_IS(n, lit) name_is((n), (lit), sizeof(lit) - 1)

static __always_inline int open_named(const struct bh_esc_base *b, struct dentry *d, __u32 rule,
				      __u32 bit, __u32 flags)
{
	/* as the tracepoint sensor sends it: arg1 = enum bh_open_kind, target_pid = enum bh_name_rule */
	struct gd_req q = { .sig = BH_SIG_OPEN, .flags = flags, .arg = { 0, BH_OPEN_NAMED, rule },
			    .target_pid = rule };

	if (!GD_ON(b, bit))
		return 0;
	q.s0 = (__u64)BPF_CORE_READ(d, d_name.name);
	q.s1 = (__u64)BPF_CORE_READ(d, d_parent, d_name.name);
	return gd_refuse(b, &q);
}

/* A namespace's CLONE_NEW* type: ns_common.ns_type (newer kernels) or ops->type (6.1). */
struct proc_ns_operations___v61 {
	int type;
} __attribute__((preserve_access_index));
struct ns_common___v61 {
	const struct proc_ns_operations___v61 *ops;
} __attribute__((preserve_access_index));

static __always_inline __u32 ns_type_of(struct inode *ino)
{
	void *ns = BPF_CORE_READ(ino, i_private);

	if (bpf_core_field_exists(struct ns_common, ns_type))
		return BPF_CORE_READ((struct ns_common *)ns, ns_type);
	if (bpf_core_field_exists(struct proc_ns_operations___v61, type))
		return BPF_CORE_READ((struct ns_common___v61 *)ns, ops, type);
	return 0;
}

/* A namespace file: refused unless it is one of the task's own (now or at arming). */
static __always_inline int open_nsfs(const struct bh_esc_base *b, struct inode *ino)
{
	const struct bh_guard_cfg *c;
	struct gd_req q = { .sig = BH_SIG_SETNS };
	__u32 inum = BPF_CORE_READ(ino, i_ino), ns[BH_NS_COUNT];

	gd_task_ns(bpf_get_current_task_btf(), ns);
	for (int i = 0; i < BH_NS_COUNT; i++)
		if (inum == ns[i] || inum == b->ns[i])
			return 0;
	if (!GD_ON(b, BH_EP_NAMESPACES))
		return 0;
	q.arg[0] = ns_type_of(ino);
	q.arg[1] = inum;
	q.arg[2] = BH_NS_COUNT;
	q.flags = BH_ESCF_TARGET_OTHER;
	c = gd_cfg();
	if (c)
		for (int i = 0; i < BH_NS_COUNT; i++)
			if (inum == c->host_ns[i]) {
				q.arg[2] = i;
				q.flags = BH_ESCF_TARGET_HOST;
			}
	return gd_refuse(b, &q);
}

/* cgroup.procs, tasks, cgroup.threads opened for writing: only in the container's subtree. */
static __always_inline int open_cgroup_procs(const struct bh_esc_base *b, struct dentry *d, __u32 magic)
{
	struct gd_req q = { .sig = BH_SIG_CGROUP_ATTACH, .flags = BH_ESCF_TARGET_OTHER | BH_ESCF_WRITE };
	struct dentry *dir = BPF_CORE_READ(d, d_parent), *p = dir;

	if (magic == CGROUP2_SUPER_MAGIC) {
		for (int i = 0; i < 32; i++) {
			struct dentry *up;

			if (BPF_CORE_READ(p, d_inode, i_ino) == b->cgroup_id)
				return 0;
			up = BPF_CORE_READ(p, d_parent);
			if (up == p)
				break;
			p = up;
		}
		q.arg[0] = BPF_CORE_READ(dir, d_inode, i_ino);
	} else {
		q.arg[1] = 1;	/* a v1 hierarchy: no container's own */
	}
	q.s0 = (__u64)BPF_CORE_READ(dir, d_name.name);
	q.s1 = (__u64)BPF_CORE_READ(d, d_name.name);
	return gd_refuse(b, &q);
}

/* Is the dentry below the mount's root? (open_by_handle_at can land anywhere on the fs.) */
static __always_inline int below_mnt_root(struct dentry *d, struct vfsmount *m)
{
	struct dentry *root = BPF_CORE_READ(m, mnt_root);

	for (int i = 0; i < 32; i++) {
		struct dentry *up;

		if (d == root)
			return 1;
		up = BPF_CORE_READ(d, d_parent);
		if (up == d)
			return 0;
		d = up;
	}
	return 0;	/* deeper than 32: treated as outside */
}

SEC("lsm/file_open")
int BPF_PROG(bh_guard_open, struct file *file, int ret)
{
	struct bh_esc_base *b;
	struct dentry *d;
	struct inode *ino;
	__u32 fmode, magic, mode;
	struct gd_name nm = {}, *n = &nm;

	if (ret)
		return ret;
	b = gd_armed();
	if (!b)
		return 0;
	/* direct loads through the hook's BTF pointers: no helper call on the common path */
	d = file->f_path.dentry;
	ino = file->f_inode;
	fmode = file->f_mode;
	mode = ino->i_mode & S_IFMT;

	if (obh_inflight) {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();

		if (bpf_map_lookup_elem(&bh_guard_obh, &tid) &&
		    !below_mnt_root(d, BPF_CORE_READ(file, f_path.mnt)) && GD_ON(b, BH_EP_HOST_PATHS)) {
			struct gd_req q = { .sig = BH_SIG_OPEN_BY_HANDLE, .flags = BH_ESCF_TARGET_HOST };

			q.s0 = (__u64)BPF_CORE_READ(d, d_name.name);
			return gd_refuse(b, &q);
		}
	}
	if (mode == S_IFBLK || mode == S_IFCHR) {
		__u32 rdev = BPF_CORE_READ(ino, i_rdev), maj = rdev >> 20, min = rdev & 0xfffff;
		struct gd_req q = { .sig = BH_SIG_OPEN, .arg = { fmode, BH_OPEN_BLOCK, rdev } };

		if (mode == S_IFCHR) {
			if (maj != 1 || (min != 1 && min != 2 && min != 4))
				return 0;
			q.arg[1] = BH_OPEN_MEMDEV;
		}
		if (!GD_ON(b, BH_EP_DEVICES))
			return 0;
		if (fmode & FMODE_WRITE)
			q.flags |= BH_ESCF_WRITE;
		q.s0 = (__u64)BPF_CORE_READ(d, d_name.name);
		return gd_refuse(b, &q);
	}
	magic = ino->i_sb->s_magic;
	if (magic != PROC_SUPER_MAGIC && magic != SYSFS_MAGIC && magic != CGROUP_SUPER_MAGIC &&
	    magic != CGROUP2_SUPER_MAGIC)
		return magic == NSFS_MAGIC ? open_nsfs(b, ino) : 0;
	bpf_probe_read_kernel_str(nm.c, sizeof(nm.c), BPF_CORE_READ(d, d_name.name));
	switch (magic) {
	case PROC_SUPER_MAGIC:
		if (NAME_IS(n, "kcore"))
			return open_named(b, d, BH_NAME_KCORE, BH_EP_HOST_PATHS, 0);
		if (!(fmode & FMODE_WRITE))
			return 0;
		if (NAME_IS(n, "core_pattern"))
			return open_named(b, d, BH_NAME_CORE_PATTERN, BH_EP_HOST_PATHS, BH_ESCF_WRITE);
		if (NAME_IS(n, "modprobe"))
			return open_named(b, d, BH_NAME_MODPROBE, BH_EP_HOST_PATHS, BH_ESCF_WRITE);
		if (NAME_IS(n, "sysrq-trigger"))
			return open_named(b, d, BH_NAME_SYSRQ, BH_EP_HOST_PATHS, BH_ESCF_WRITE);
		return 0;
	case SYSFS_MAGIC:
		if ((fmode & FMODE_WRITE) && NAME_IS(n, "uevent_helper"))
			return open_named(b, d, BH_NAME_UEVENT_HELPER, BH_EP_HOST_PATHS, BH_ESCF_WRITE);
		return 0;
	case CGROUP_SUPER_MAGIC:
	case CGROUP2_SUPER_MAGIC:
		if (!(fmode & FMODE_WRITE))
			return 0;
		if (magic == CGROUP_SUPER_MAGIC) {
			if (NAME_IS(n, "release_agent"))
				return open_named(b, d, BH_NAME_RELEASE_AGENT, BH_EP_CGROUP, BH_ESCF_WRITE);
			if (NAME_IS(n, "notify_on_release"))
				return open_named(b, d, BH_NAME_NOTIFY_ON_RELEASE, BH_EP_CGROUP,
						  BH_ESCF_WRITE);
		}
		if (NAME_IS(n, "cgroup.procs") || NAME_IS(n, "tasks") || NAME_IS(n, "cgroup.threads"))
			return open_cgroup_procs(b, d, magic);
		return 0;
	}
	return 0;
}

/* ---- mounts ------------------------------------------------------------------------ */

/*
 * File system types a container never mounts anew: kernel interfaces that reach
 * the host. Block-device file systems are refused by their superblock's s_bdev
 * (sb_set_mnt_opts) whatever their type.
 */
static __always_inline int eq16(const char *a, const char *lit, int len)
{
	for (int i = 0; i < len && i < 16; i++)
		if (a[i] != lit[i])
			return 0;
	return 1;
}

static __always_inline int fstype_denied(const char *type)
{
	char t[16] = {};

	if (!type || bpf_probe_read_kernel_str(t, sizeof(t), type) <= 0)
		return 0;
#define T_IS(lit) eq16(t, lit, sizeof(lit))
	return T_IS("cgroup") || T_IS("proc") || T_IS("sysfs") || T_IS("bpf") || T_IS("debugfs") ||
	       T_IS("tracefs") || T_IS("securityfs") || T_IS("devtmpfs") || T_IS("configfs") ||
	       T_IS("efivarfs") || T_IS("pstore") || T_IS("binfmt_misc") || T_IS("fusectl");
#undef T_IS
}

SEC("lsm/sb_mount")
int BPF_PROG(bh_guard_mount, const char *dev_name, const struct path *path, const char *type,
	     unsigned long flags, void *data, int ret)
{
	struct gd_req q = { .sig = BH_SIG_MOUNT };
	struct bh_esc_base *b;

	if (ret)
		return ret;
	b = gd_armed();
	if (!b || (flags & (MS_BIND | MS_REMOUNT | MS_MOVE | MS_PROPAGATION)))
		return 0;
	if (!fstype_denied(type) || !GD_ON(b, BH_EP_MOUNT))
		return 0;
	q.arg[0] = flags;
	q.arg[3] = cur_syscall(NULL);
	q.s0 = (__u64)type;
	q.s1 = (__u64)dev_name;
	return gd_refuse(b, &q);
}

/*
 * Every new mount, by mount(2) or by fsconfig(FSCONFIG_CMD_CREATE), reaches
 * vfs_get_tree(), which asks this hook about the superblock it got.
 */
SEC("lsm/sb_set_mnt_opts")
int BPF_PROG(bh_guard_sb_opts, struct super_block *sb, void *mnt_opts, unsigned long kern_flags,
	     unsigned long *set_kern_flags, int ret)
{
	/* a mount, as rules_classify() reads one: str0 = fs type, str1 = source (the device) */
	struct gd_req q = { .sig = BH_SIG_MOUNT };
	struct bh_esc_base *b;
	const char *type;

	if (ret)
		return ret;
	b = gd_armed();
	if (!b)
		return 0;
	type = BPF_CORE_READ(sb, s_type, name);
	if (!BPF_CORE_READ(sb, s_bdev) && !fstype_denied(type))
		return 0;
	if (!GD_ON(b, BH_EP_MOUNT))
		return 0;
	/* no s_dev: a new superblock's, different at every try (a repeat is the same record) */
	q.arg[3] = cur_syscall(NULL);
	q.s0 = (__u64)type;
	q.s1 = (__u64)&sb->s_id;
	return gd_refuse(b, &q);
}

SEC("lsm/move_mount")
int BPF_PROG(bh_guard_move_mount, const struct path *from_path, const struct path *to_path, int ret)
{
	struct gd_req q = { .sig = BH_SIG_MOUNT };
	struct super_block *sb;
	struct bh_esc_base *b;
	const char *type;

	if (ret)
		return ret;
	b = gd_armed();
	if (!b)
		return 0;
	sb = BPF_CORE_READ(from_path, mnt, mnt_sb);
	type = BPF_CORE_READ(sb, s_type, name);
	if (!BPF_CORE_READ(sb, s_bdev) && !fstype_denied(type))
		return 0;
	if (!GD_ON(b, BH_EP_MOUNT))
		return 0;
	q.arg[1] = BPF_CORE_READ(sb, s_dev);
	q.arg[3] = cur_syscall(NULL);
	q.s0 = (__u64)type;
	q.s1 = (__u64)&sb->s_id;
	return gd_refuse(b, &q);
}

/* ---- modules ----------------------------------------------------------------------- */

SEC("lsm/kernel_read_file")
int BPF_PROG(bh_guard_read_file, struct file *file, enum kernel_read_file_id id, bool contents, int ret)
{
	struct gd_req q = { .sig = BH_SIG_MODULE, .arg = { 313 /* finit_module */, id } };
	struct bh_esc_base *b;

	if (ret)
		return ret;
	b = gd_armed();
	if (!b || !GD_ON(b, BH_EP_KERNEL_MODULES))
		return 0;
	q.s0 = (__u64)BPF_CORE_READ(file, f_path.dentry, d_name.name);
	return gd_refuse(b, &q);
}

SEC("lsm/kernel_load_data")
int BPF_PROG(bh_guard_load_data, enum kernel_load_data_id id, bool contents, int ret)
{
	struct gd_req q = { .sig = BH_SIG_MODULE, .arg = { 175 /* init_module */, id } };
	struct bh_esc_base *b;

	if (ret)
		return ret;
	b = gd_armed();
	if (!b || !GD_ON(b, BH_EP_KERNEL_MODULES))
		return 0;
	return gd_refuse(b, &q);
}

SEC("lsm/kernel_module_request")
int BPF_PROG(bh_guard_modreq, char *kmod_name, int ret)
{
	struct gd_req q = { .sig = BH_SIG_MODULE_REQUEST };
	struct bh_esc_base *b;

	if (ret)
		return ret;
	b = gd_armed();
	if (!b || !GD_ON(b, BH_EP_KERNEL_MODULES))
		return 0;
	q.s0 = (__u64)kmod_name;
	return gd_refuse(b, &q);
}

/* ---- bpf() and bulkhead's own objects -------------------------------------------------- */

/* One of bulkhead's programs or maps: by name ("bh_..."; maps of its objects' data sections). */
static __always_inline int ours(const char *name)
{
	char n[16] = {};

	bpf_probe_read_kernel(n, sizeof(n), name);
	return n[0] == 'b' && n[1] == 'h' && n[2] == '_';
}

static __always_inline int tamper(const struct bh_esc_base *b, __u32 what, __u64 a1, __u32 pid)
{
	/* as the sensor sends it (arg0 = the signal, 0: none), and what in arg2 (enum bh_tamper_what) */
	struct gd_req q = { .sig = BH_SIG_TAMPER, .flags = BH_ESCF_TARGET_HOST,
			    .arg = { what == BH_TAMPER_KILL ? a1 : 0, a1, what }, .target_pid = pid };

	return gd_refuse(b, &q);
}

/* The bpf_link behind fd in the current task's file table, or NULL. */
static __always_inline struct bpf_link *link_of_fd(__u32 fd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct file **fds = BPF_CORE_READ(t, files, fdt, fd), *f = NULL;

	if (fd >= BPF_CORE_READ(t, files, fdt, max_fds))
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd & 0xffff]);
	return f ? BPF_CORE_READ(f, private_data) : NULL;
}

SEC("lsm/bpf")
int BPF_PROG(bh_guard_bpf, int cmd, union bpf_attr *attr, unsigned int size, int ret)
{
	struct gd_req q = { .sig = BH_SIG_BPF };
	struct bpf_link *l;
	struct bh_esc_base *b;

	if (ret)
		return ret;
	b = gd_armed();
	if (!b)
		return 0;
	/* bulkhead's links: never detached, replaced or reached by id from a container */
	if (cmd == BPF_CMD_LINK_GET_FD_BY_ID)
		return tamper(b, BH_TAMPER_LINK, cmd, 0);
	if (cmd == BPF_CMD_LINK_DETACH || cmd == BPF_CMD_LINK_UPDATE) {
		__u32 fd = cmd == BPF_CMD_LINK_DETACH ? BPF_CORE_READ(attr, link_detach.link_fd) :
							 BPF_CORE_READ(attr, link_update.link_fd);

		l = link_of_fd(fd);
		if (l && ours(BPF_CORE_READ(l, prog, aux, name)))
			return tamper(b, BH_TAMPER_LINK, cmd, 0);
	}
	if (!GD_ON(b, BH_EP_BPF))
		return 0;
	q.arg[0] = cmd;
	return gd_refuse(b, &q);
}

/* An fd of a map is handed out (by id, or from a pin): not one of bulkhead's. */
SEC("lsm/bpf_map")
int BPF_PROG(bh_guard_bpf_map, struct bpf_map *map, fmode_t fmode, int ret)
{
	struct bh_esc_base *b;

	if (ret)
		return ret;
	b = gd_armed();
	if (!b || !ours(map->name))
		return 0;
	return tamper(b, BH_TAMPER_BPF_OBJ, BPF_CORE_READ(map, id), 0);
}

SEC("lsm/bpf_prog")
int BPF_PROG(bh_guard_bpf_prog, struct bpf_prog *prog, int ret)
{
	struct bh_esc_base *b;

	if (ret)
		return ret;
	b = gd_armed();
	if (!b || !ours(BPF_CORE_READ(prog, aux, name)))
		return 0;
	return tamper(b, BH_TAMPER_BPF_OBJ, BPF_CORE_READ(prog, aux, id), 0);
}

/* A pin under the pin directory (or its links/) unlinked or renamed away. */
static __always_inline int pin_dir_touched(const struct bh_esc_base *b, struct inode *dir,
					   struct dentry *d)
{
	const struct bh_guard_cfg *c = gd_cfg();
	struct gd_req q = { .sig = BH_SIG_TAMPER, .flags = BH_ESCF_TARGET_HOST,
			    .arg = { 0, 0, BH_TAMPER_UNPIN } };
	__u64 ino;

	if (!c || BPF_CORE_READ(dir, i_sb, s_magic) != BPF_FS_MAGIC ||
	    BPF_CORE_READ(dir, i_sb, s_dev) != c->pin_dev)
		return 0;
	ino = BPF_CORE_READ(dir, i_ino);
	if (ino != c->pin_dir_ino && ino != c->links_dir_ino &&
	    BPF_CORE_READ(d, d_inode, i_ino) != c->pin_dir_ino &&
	    BPF_CORE_READ(d, d_inode, i_ino) != c->links_dir_ino)
		return 0;
	q.s0 = (__u64)BPF_CORE_READ(d, d_name.name);
	return gd_refuse(b, &q);
}

SEC("lsm/inode_unlink")
int BPF_PROG(bh_guard_unlink, struct inode *dir, struct dentry *dentry, int ret)
{
	struct bh_esc_base *b;

	if (ret)
		return ret;
	b = gd_armed();
	return b ? pin_dir_touched(b, dir, dentry) : 0;
}

SEC("lsm/inode_rmdir")
int BPF_PROG(bh_guard_rmdir, struct inode *dir, struct dentry *dentry, int ret)
{
	struct bh_esc_base *b;

	if (ret)
		return ret;
	b = gd_armed();
	return b ? pin_dir_touched(b, dir, dentry) : 0;
}

SEC("lsm/inode_rename")
int BPF_PROG(bh_guard_rename, struct inode *old_dir, struct dentry *old_dentry, struct inode *new_dir,
	     struct dentry *new_dentry, int ret)
{
	struct bh_esc_base *b;

	if (ret)
		return ret;
	b = gd_armed();
	if (!b)
		return 0;
	ret = pin_dir_touched(b, old_dir, old_dentry);
	return ret ? ret : pin_dir_touched(b, new_dir, new_dentry);
}

/* ---- processes --------------------------------------------------------------------- */

SEC("lsm/task_kill")
int BPF_PROG(bh_guard_kill, struct task_struct *p, struct kernel_siginfo *info, int sig,
	     const struct cred *cred, int ret)
{
	const struct bh_guard_cfg *c;
	struct bh_esc_base *b;

	if (ret)
		return ret;
	if (!sig)
		return 0;
	b = gd_armed();
	if (!b || !(c = gd_cfg()) || !c->agent_tgid || p->tgid != c->agent_tgid)
		return 0;
	return tamper(b, BH_TAMPER_KILL, sig, p->tgid);
}

SEC("lsm/ptrace_access_check")
int BPF_PROG(bh_guard_ptrace, struct task_struct *child, unsigned int mode, int ret)
{
	struct gd_req q = { .sig = BH_SIG_PTRACE };
	const struct bh_guard_cfg *c;
	struct bh_esc_base *b, *cb;

	if (ret)
		return ret;
	b = gd_armed();
	if (!b)
		return 0;
	if (!(mode & PTRACE_MODE_ATTACH))
		return 0;	/* reads (ps, /proc/<pid>/stat): allowed, the agent's too */
	c = gd_cfg();
	if (c && c->agent_tgid && child->tgid == c->agent_tgid)
		return tamper(b, BH_TAMPER_PTRACE, mode, child->tgid);
	cb = bpf_task_storage_get(&bh_esc_task, child, 0, 0);
	if (cb && (cb->flags & BH_TASK_ARMED) && cb->cgroup_id == b->cgroup_id)
		return 0;	/* a task of the same container */
	if (!GD_ON(b, BH_EP_PTRACE))
		return 0;
	{
		__u64 a0 = 0;
		long nr = cur_syscall(&a0);

		/* as the sensor sends them: ptrace's request, or process_vm_*'s syscall number */
		if (nr == NR_PROCESS_VM_READV || nr == NR_PROCESS_VM_WRITEV) {
			q.sig = BH_SIG_PROCESS_VM;
			q.arg[0] = nr;
		} else {
			q.arg[0] = nr == NR_PTRACE ? a0 : 0;
		}
		q.arg[1] = mode;
	}
	q.target_pid = child->tgid;
	q.flags = cb && (cb->flags & BH_TASK_ARMED) ? BH_ESCF_TARGET_OTHER : BH_ESCF_TARGET_HOST;
	q.s0 = (__u64)child->comm;
	return gd_refuse(b, &q);
}

/* ---- sockets, namespaces, exec ---------------------------------------------------------- */

SEC("lsm/unix_stream_connect")
int BPF_PROG(bh_guard_unix, struct sock *sock, struct sock *other, struct sock *newsk, int ret)
{
	struct gd_req q = { .sig = BH_SIG_UNIX_CONNECT, .flags = BH_ESCF_TARGET_HOST };
	struct bh_guard_sock_key k = {};
	struct unix_sock *u = (struct unix_sock *)other;
	struct bh_esc_base *b;
	const unsigned char *n;

	if (ret)
		return ret;
	b = gd_armed();
	if (!b)
		return 0;
	n = BPF_CORE_READ(u, path.dentry, d_name.name);
	if (!n || bpf_probe_read_kernel_str(k.name, sizeof(k.name), n) <= 0 ||
	    !bpf_map_lookup_elem(&bh_guard_socks, &k) || !GD_ON(b, BH_EP_RUNTIME_SOCKETS))
		return 0;
	{
		struct unix_address *ua = BPF_CORE_READ(u, addr);

		/* str0 = the path the listener bound (rules_classify() names the socket by it) */
		q.s0 = ua ? (__u64)ua + bpf_core_field_offset(struct unix_address, name) +
			    bpf_core_field_offset(struct sockaddr_un, sun_path) : (__u64)n;
	}
	return gd_refuse(b, &q);
}

SEC("lsm/userns_create")
int BPF_PROG(bh_guard_userns, const struct cred *cred, int ret)
{
	struct gd_req q = { .sig = BH_SIG_UNSHARE, .arg = { CLONE_NEWUSER } };
	struct bh_esc_base *b;

	if (ret)
		return ret;
	b = gd_armed();
	if (!b || !GD_ON(b, BH_EP_USER_NAMESPACES))
		return 0;
	return gd_refuse(b, &q);
}

SEC("lsm/bprm_creds_from_file")
int BPF_PROG(bh_guard_exec, struct linux_binprm *bprm, struct file *file, int ret)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct bh_esc_base *b;
	struct inode *ino;

	if (ret)
		return ret;
	b = gd_armed();
	if (!b)
		return 0;
	ino = file->f_inode;	/* direct loads: no helper call on the common path */
	if (ino->__i_nlink == 0 && GD_ON(b, BH_EP_FILELESS_EXEC)) {
		struct gd_req q = { .sig = BH_SIG_FILELESS_EXEC };

		q.s0 = (__u64)BPF_CORE_READ(file, f_path.dentry, d_name.name);
		return gd_refuse(b, &q);
	}
	if ((ino->i_mode & S_ISUID) && BPF_CORE_READ(ino, i_uid.val) == 0 &&
	    BPF_CORE_READ(bprm, cred, euid.val) == 0 && BPF_CORE_READ(t, cred, euid.val) != 0 &&
	    GD_ON(b, BH_EP_SETUID_EXEC)) {
		struct gd_req q = { .sig = BH_SIG_SUID_EXEC,
				    .arg = { BPF_CORE_READ(t, cred, euid.val), 0 } };

		q.s0 = (__u64)BPF_CORE_READ(bprm, filename);
		return gd_refuse(b, &q);
	}
	return 0;
}
