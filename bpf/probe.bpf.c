// SPDX-License-Identifier: GPL-2.0
/*
 * Tiny programs whose only job is to be loaded (and, where harmless,
 * attached) one at a time by `bulkhead probe`: the kernel's verifier and
 * attach paths are the only reliable feature test (KERNEL-TESTING.md).
 * Loader: userspace/enforce/probe.c. Every program is a no-op for the system.
 */
#include "lib/bulkhead.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("lsm/file_open")
int BPF_PROG(bh_pr_lsm, struct file *file, int ret)
{
	return ret;
}

SEC("lsm/file_open")
int BPF_PROG(bh_pr_dpath, struct file *file, int ret)
{
	char buf[64];

	if (ret)
		return ret;
	bpf_d_path((struct path *)&file->f_path, buf, sizeof(buf));
	return 0;
}

SEC("cgroup_skb/egress")
int bh_pr_skb(struct __sk_buff *skb)
{
	return 1;
}

SEC("cgroup/connect4")
int bh_pr_conn4(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("tp/syscalls/sys_enter_openat")
int bh_pr_sys(void *ctx)
{
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(bh_pr_sched, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return 0;
}

static long loop_cb(__u32 i, void *ctx)
{
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(bh_pr_loop, struct task_struct *p)
{
	bpf_loop(4, loop_cb, NULL, 0);
	return 0;
}

SEC("tp/syscalls/sys_enter_openat")
int bh_pr_signal(void *ctx)
{
	/* Never taken; the verifier must still accept the helper call. */
	if (bpf_get_current_pid_tgid() == 0)
		bpf_send_signal(9);
	return 0;
}
