// SPDX-License-Identifier: GPL-2.0
/*
 * Process lifecycle telemetry: exec, fork, exit from BTF-enabled sched
 * tracepoints (no tracefs needed), streamed to the agent over one ring buffer.
 * Consumer: userspace/process.c.
 */
#include "bulkhead.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u64 wakeup_bytes = BH_WAKEUP_BYTES_DEFAULT;
const volatile bool emit_fork = true;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, BH_RINGBUF_DEFAULT);	/* resized by the loader */
} bh_proc_rb SEC(".maps");

struct bh_lost_map bh_proc_lost SEC(".maps");
struct bh_lost_total_map bh_proc_lost_total SEC(".maps");

static __always_inline void *reserve(__u64 size)
{
	void *e = bpf_ringbuf_reserve(&bh_proc_rb, size, 0);

	if (!e)
		bh_count_lost(&bh_proc_lost, &bh_proc_lost_total, bpf_get_current_cgroup_id());
	return e;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(bh_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct bh_exec_event *e;
	unsigned long arg_start, arg_end, len;
	long n;

	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	bh_fill_hdr(&e->hdr, BH_EV_EXEC, p);

	n = bpf_probe_read_kernel_str(e->exe, sizeof(e->exe), BPF_CORE_READ(bprm, filename));
	if (n < 0) {
		n = 1;
		e->exe[0] = '\0';
	}
	e->exe_len = n - 1;
	if (n == sizeof(e->exe))
		e->hdr.flags |= BH_F_EXE_TRUNC;

	arg_start = BPF_CORE_READ(p, mm, arg_start);
	arg_end = BPF_CORE_READ(p, mm, arg_end);
	len = arg_end - arg_start;
	if (arg_end < arg_start)
		len = 0;
	if (len > BH_ARGS_MAX) {
		len = BH_ARGS_MAX;
		e->hdr.flags |= BH_F_ARGS_TRUNC;
	}
	if (bpf_probe_read_user(e->args, len & (BH_ARGS_MAX * 2 - 1), (void *)arg_start) < 0)
		len = 0;
	e->args_len = len;

	bpf_ringbuf_submit(e, bh_submit_flags(&bh_proc_rb, wakeup_bytes));
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(bh_fork, struct task_struct *parent, struct task_struct *child)
{
	struct bh_fork_event *e;
	__u32 child_pid = BPF_CORE_READ(child, tgid);

	/* New threads are not new processes. */
	if (!emit_fork || child_pid == BPF_CORE_READ(parent, tgid))
		return 0;
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	bh_fill_hdr(&e->hdr, BH_EV_FORK, parent);
	e->child_pid = child_pid;
	e->child_tid = BPF_CORE_READ(child, pid);
	bpf_ringbuf_submit(e, bh_submit_flags(&bh_proc_rb, wakeup_bytes));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(bh_exit, struct task_struct *p)
{
	struct bh_exit_event *e;

	/* Only the last thread of a process reports the process's exit. */
	if (BPF_CORE_READ(p, signal, live.counter) > 0)
		return 0;
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	bh_fill_hdr(&e->hdr, BH_EV_EXIT, p);
	e->exit_code = BPF_CORE_READ(p, exit_code);
	e->_pad = 0;
	e->start_boot_ns = BPF_CORE_READ(p, start_boottime);
	bpf_ringbuf_submit(e, bh_submit_flags(&bh_proc_rb, wakeup_bytes));
	return 0;
}
