/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Escape detection, BPF side helpers shared by bpf/escape.bpf.c (tracepoints)
 * and bpf/guard.bpf.c (BPF LSM): the per-task armed state and baseline, the
 * namespaces and capabilities of a task, and filling a struct bh_esc_event
 * (bpf/abi/escape.h) with who did it and its ancestry.
 */
#ifndef BULKHEAD_ESCAPE_BPF_H
#define BULKHEAD_ESCAPE_BPF_H

#include "lib/bulkhead.bpf.h"
#include "abi/escape.h"

#define BH_CLONE_NEW_ANY	(0x00020000u /* NEWNS */ | 0x02000000u /* NEWCGROUP */ | \
				 0x04000000u /* NEWUTS */ | 0x08000000u /* NEWIPC */ | \
				 0x10000000u /* NEWUSER */ | 0x20000000u /* NEWPID */ | \
				 0x40000000u /* NEWNET */ | 0x00000080u /* NEWTIME */)

/* kernel_cap_t is u32[2] on 6.1 and a u64 later: the same 8 bytes either way. */
static __always_inline __u64 bh_caps(const kernel_cap_t *c)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), c);
	return v;
}

/* The task's namespaces, by inode number (what /proc/PID/ns/ links name). */
static __always_inline void bh_task_ns(struct task_struct *t, __u32 ns[BH_NS_COUNT])
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

static __always_inline __u32 bh_task_mnt_ns(struct task_struct *t)
{
	return BPF_CORE_READ(t, nsproxy, mnt_ns, ns.inum);
}

/* A file's name: its dentry's, zero-padded to BH_ESC_NAME_MAX (a map key as it is). */
static __always_inline void bh_dentry_name(struct dentry *d, char name[BH_ESC_NAME_MAX])
{
	const unsigned char *s = BPF_CORE_READ(d, d_name.name);

	__builtin_memset(name, 0, BH_ESC_NAME_MAX);
	bpf_probe_read_kernel_str(name, BH_ESC_NAME_MAX, s);
}

/* fd -> struct file of the current task, or NULL. */
static __always_inline struct file *bh_fd_file(struct task_struct *t, long fd)
{
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	struct file *f = NULL;

	if (fd < 0 || (unsigned long)fd >= max || fd > 1048576)
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

#define BH_S_IFMT	00170000
#define BH_S_IFSOCK	0140000
#define BH_S_IFBLK	0060000
#define BH_S_IFCHR	0020000

/* The family of the socket behind f (AF_INET...), or 0 if f is not a socket. */
static __always_inline __u16 bh_file_sock_family(struct file *f)
{
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
	struct socket *sock;

	if ((mode & BH_S_IFMT) != BH_S_IFSOCK)
		return 0;
	sock = BPF_CORE_READ(f, private_data);
	return BPF_CORE_READ(sock, sk, __sk_common.skc_family);
}

/*
 * Fill e for signal sig of task (the current task_struct, as a number) with
 * baseline b: the header, the task's namespaces and capabilities now, and
 * its ancestors up to the container's boundary (the first one in the host's
 * mount namespace, i.e. the runtime). Strings and args are the caller's.
 * A global function: the verifier checks it once, not in each of the ~45
 * programs that call it (minutes under TCG otherwise).
 */
__noinline int bh_esc_fill(struct bh_esc_event *e, __u64 task, const struct bh_esc_base *b, __u32 sig,
			   __u32 host_mnt_ns)
{
	struct task_struct *t = (struct task_struct *)task, *a;
	__u32 i;

	if (!e || !b)
		return -1;
	bh_fill_hdr(&e->hdr, BH_EV_ESCAPE, t);
	e->sig = sig;
	e->flags = 0;
	e->arg[0] = e->arg[1] = e->arg[2] = e->arg[3] = 0;
	e->target_pid = 0;
	e->base_cgroup_id = b->cgroup_id;
	e->base_uid = b->uid;
	e->suppressed = 0;
	bh_task_ns(t, e->ns);
	e->_pad = 0;
	e->cap_effective = bh_caps(&((struct cred *)BPF_CORE_READ(t, cred))->cap_effective);
	e->str_len[0] = e->str_len[1] = 0;
	e->_pad2 = 0;
	e->str[0][0] = e->str[1][0] = 0;
	e->n_chain = 0;
	a = BPF_CORE_READ(t, real_parent);
	for (i = 0; i < BH_ESC_CHAIN_MAX; i++) {
		struct bh_esc_ancestor *c = &e->chain[i];
		__u32 pid;

		if (!a)
			break;
		pid = BPF_CORE_READ(a, tgid);
		if (pid <= 1 || bh_task_mnt_ns(a) == host_mnt_ns)
			break;
		c->pid = pid;
		c->uid = BPF_CORE_READ(a, cred, euid.val);
		BPF_CORE_READ_STR_INTO(&c->comm, a, comm);
		__builtin_memset(c->exe, 0, sizeof(c->exe));
		bpf_probe_read_kernel_str(c->exe, sizeof(c->exe),
					  BPF_CORE_READ(a, mm, exe_file, f_path.dentry, d_name.name));
		e->n_chain = i + 1;
		a = BPF_CORE_READ(a, real_parent);
	}
	return 0;
}

/* Copy a user string into e->str[i]; flags truncation. */
static __always_inline void bh_esc_user_str(struct bh_esc_event *e, int i, const void *src)
{
	long n;

	if (!src)
		return;
	n = bpf_probe_read_user_str(e->str[i & 1], BH_ESC_STR_MAX, src);
	if (n < 1)
		n = 1;
	if (n >= BH_ESC_STR_MAX)
		e->flags |= i ? BH_ESCF_STR1_TRUNC : BH_ESCF_STR0_TRUNC;
	e->str_len[i & 1] = (__u16)(n - 1);
}

static __always_inline void bh_esc_kernel_str(struct bh_esc_event *e, int i, const void *src)
{
	long n;

	if (!src)
		return;
	n = bpf_probe_read_kernel_str(e->str[i & 1], BH_ESC_STR_MAX, src);
	if (n < 1)
		n = 1;
	if (n >= BH_ESC_STR_MAX)
		e->flags |= i ? BH_ESCF_STR1_TRUNC : BH_ESCF_STR0_TRUNC;
	e->str_len[i & 1] = (__u16)(n - 1);
}

#endif
