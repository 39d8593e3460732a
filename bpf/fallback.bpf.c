// SPDX-License-Identifier: GPL-2.0
/*
 * The fallback for kernels without BPF LSM (the 6.18 hosts here): syscall
 * tracepoints read the path a process passes to open/openat/openat2/execve/
 * execveat, match it against the same tables as the LSM programs
 * (bpf/lib/path.bpf.h), and stop an enforce-mode offender with
 * bpf_send_signal(SIGKILL) before the syscall runs. Audit mode only reports.
 *
 * What it cannot do, and says so (userspace/enforce/probe.c, the agent's start-up
 * line, docs/ARCHITECTURE.md):
 *   - the process is killed, not refused: there is no EPERM to handle. The
 *     signal is delivered when the syscall returns, so the call itself still
 *     runs: a denied read's data never reaches the process and a denied exec
 *     never starts the program (exec aborts on the pending SIGKILL), but a
 *     denied open(O_TRUNC) has truncated the file by then. (Blanking the
 *     path with bpf_probe_write_user would stop the call; that helper is
 *     refused for tracepoint programs on these kernels.);
 *   - the path is read from user memory at syscall entry: another thread can
 *     change it after the check (TOCTOU);
 *   - the path is matched as written: symlinks, "..", "." and bind mounts are
 *     not resolved. A relative path is joined to the task's working directory
 *     (a dentry walk); a path relative to a directory fd (openat(dfd, ...))
 *     is not resolved and not enforced;
 *   - only open (read/write by the open flags) and exec are covered: create,
 *     delete, rename, link, truncate, chmod/chown need the LSM hooks.
 */
#include "lib/path.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define AT_FDCWD	-100
#define O_ACCMODE	00000003
#define O_WRONLY	00000001
#define O_RDWR		00000002
#define O_PATH		010000000
#define SIGKILL		9

/*
 * The path as the process wrote it, made absolute with the working
 * directory: bytes with the NUL, 0 = not resolvable here (dfd-relative,
 * unreadable), -1 = over-long.
 */
static __always_inline int fb_path(struct bh_hook *h, int dfd, const char *upath)
{
	struct bh_file_key *k = &h->s->key;
	struct task_struct *t;
	long n;
	int l;

	n = bpf_probe_read_user_str(k->path, BH_FILE_PATH_MAX, upath);
	if (n <= 1)
		return 0;
	if (k->path[0] == '/')
		return n >= BH_FILE_PATH_MAX ? -1 : (int)n;
	if (dfd != AT_FDCWD)
		return 0;
	t = bpf_get_current_task_btf();
	l = bh_walk_path(h->s, k->path, BPF_CORE_READ(t, fs, pwd.mnt), BPF_CORE_READ(t, fs, pwd.dentry));
	if (l <= 0)
		return -1;
	if (l == 2)
		l = 1;				/* cwd "/": no second slash */
	else
		k->path[(l - 1) & 255] = '/';	/* the NUL becomes the separator */
	n = bpf_probe_read_user_str(k->path + (l & 255), BH_FILE_PATH_MAX, upath);
	if (n <= 1)
		return 0;
	if (l + n >= BH_FILE_PATH_MAX)
		return -1;
	return l + n;
}

static __always_inline int fb_verdict(struct bh_hook *h, __u32 sec, __u8 op, __u8 hook, __u16 flags,
				      __u32 ref, const struct bh_file_key *k, int len)
{
	int audit = h->pol->mode[sec & 3] == BH_AUDIT;

	if (!audit) {
		bpf_send_signal(SIGKILL);
		flags |= BH_FE_KILLED;
	}
	bh_file_report(h->cgid, h->gen, h->policy, op, audit ? BH_FILE_ACT_AUDIT : BH_FILE_ACT_DENY,
		       hook, flags, ref, k, len);
	return 0;
}

static __always_inline int fb_open(int dfd, const char *upath, __u64 flags)
{
	struct bh_verdict v = {};
	struct bh_hook h;
	__u8 ops;
	int len;

	if (flags & O_PATH)
		return 0;
	if (!bh_hook_begin(&h, BH_CGP_FILE))
		return 0;
	switch (flags & O_ACCMODE) {
	case O_WRONLY: ops = 1 << BH_OP_WRITE; break;
	case O_RDWR: ops = (1 << BH_OP_READ) | (1 << BH_OP_WRITE); break;
	default: ops = 1 << BH_OP_READ;
	}
	len = fb_path(&h, dfd, upath);
	if (!len)
		return 0;
	if (len < 0) {
		__u8 exec_r, r = bh_restricted(h.gen, h.policy, &exec_r);

		if (!(r & ops))
			return 0;
		bh_stat(BH_FS_OVERLONG);
		return fb_verdict(&h, BH_SEC_FILE, (r & ops & 1) ? BH_OP_READ : BH_OP_WRITE,
				  BH_FH_TP_OPEN, BH_FE_OVERLONG, ((__u32)1 << 24) | 0xffffffu, 0, -1);
	}
	if (bh_decide(&h.s->key, h.gen, BH_TAB_FILE, h.policy, len, ops, &v) || !v.deny)
		return 0;
	return fb_verdict(&h, BH_SEC_FILE, v.first, BH_FH_TP_OPEN, 0, v.ref, &h.s->key, len);
}

static __always_inline int fb_exec(int dfd, const char *upath)
{
	struct bh_verdict v = {};
	struct bh_hook h;
	int len;

	if (!bh_hook_begin(&h, BH_CGP_FILE | BH_CGP_EXEC))
		return 0;
	len = fb_path(&h, dfd, upath);
	if (!len)
		return 0;
	if (len < 0) {
		__u8 exec_r, r = bh_restricted(h.gen, h.policy, &exec_r);

		if (!(r & (1 << BH_OP_EXEC)) && !exec_r)
			return 0;
		bh_stat(BH_FS_OVERLONG);
		return fb_verdict(&h, exec_r ? BH_SEC_EXEC : BH_SEC_FILE, BH_OP_EXEC, BH_FH_TP_EXEC,
				  BH_FE_OVERLONG, ((__u32)1 << 24) | 0xffffffu, 0, -1);
	}
	if ((h.pol->flags & BH_CGP_FILE) &&
	    !bh_decide(&h.s->key, h.gen, BH_TAB_FILE, h.policy, len, 1 << BH_OP_EXEC, &v) && v.deny)
		return fb_verdict(&h, BH_SEC_FILE, BH_OP_EXEC, BH_FH_TP_EXEC, 0, v.ref, &h.s->key, len);
	if ((h.pol->flags & BH_CGP_EXEC) &&
	    !bh_decide(&h.s->key, h.gen, BH_TAB_EXEC, h.policy, len, 1 << BH_OP_EXEC, &v) && v.deny)
		return fb_verdict(&h, BH_SEC_EXEC, BH_OP_EXEC, BH_FH_TP_EXEC, BH_FE_EXEC_TAB, v.ref,
				  &h.s->key, len);
	return 0;
}

SEC("tp/syscalls/sys_enter_open")
int bh_fb_open(struct trace_event_raw_sys_enter *ctx)
{
	return fb_open(AT_FDCWD, (const char *)ctx->args[0], ctx->args[1]);
}

SEC("tp/syscalls/sys_enter_openat")
int bh_fb_openat(struct trace_event_raw_sys_enter *ctx)
{
	return fb_open((int)ctx->args[0], (const char *)ctx->args[1], ctx->args[2]);
}

SEC("tp/syscalls/sys_enter_openat2")
int bh_fb_openat2(struct trace_event_raw_sys_enter *ctx)
{
	__u64 flags = 0;

	bpf_probe_read_user(&flags, sizeof(flags), (void *)ctx->args[2]);	/* open_how.flags */
	return fb_open((int)ctx->args[0], (const char *)ctx->args[1], flags);
}

SEC("tp/syscalls/sys_enter_execve")
int bh_fb_execve(struct trace_event_raw_sys_enter *ctx)
{
	return fb_exec(AT_FDCWD, (const char *)ctx->args[0]);
}

SEC("tp/syscalls/sys_enter_execveat")
int bh_fb_execveat(struct trace_event_raw_sys_enter *ctx)
{
	return fb_exec((int)ctx->args[0], (const char *)ctx->args[1]);
}
