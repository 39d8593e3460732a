// SPDX-License-Identifier: GPL-2.0
/*
 * Process lifecycle telemetry: exec, fork, exit from BTF-enabled sched
 * tracepoints (no tracefs needed), streamed to the agent over one ring buffer.
 * Consumer: userspace/telemetry/process.c.
 */
#include "lib/bulkhead.bpf.h"

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

/*
 * Exec records are built here and only their used bytes are sent
 * (bpf_ringbuf_output). The slack lets the verifier see that argv fits after
 * an exe of any length it can prove (offset < BH_PATH_MAX, length masked to
 * 2 * BH_ARGS_MAX - 1). Tracepoints run with preemption off and a program
 * does not nest on its CPU, so one entry per CPU is enough.
 */
struct bh_exec_scratch {
	struct bh_exec_event e;
	char slack[BH_ARGS_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bh_exec_scratch);
} bh_exec_scratch SEC(".maps");

SEC("tp_btf/sched_process_exec")
int BPF_PROG(bh_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct bh_exec_scratch *s;
	struct bh_exec_event *e;
	unsigned long arg_start, arg_end, len;
	__u32 zero = 0, exe_len;
	long n;

	s = bpf_map_lookup_elem(&bh_exec_scratch, &zero);
	if (!s)
		return 0;
	e = &s->e;
	bh_fill_hdr(&e->hdr, BH_EV_EXEC, p);

	n = bpf_probe_read_kernel_str(e->data, BH_PATH_MAX, BPF_CORE_READ(bprm, filename));
	if (n < 1)
		n = 1;
	if (n >= BH_PATH_MAX)
		e->hdr.flags |= BH_F_EXE_TRUNC;
	exe_len = (__u32)(n - 1) & (BH_PATH_MAX - 1);	/* the NUL is overwritten by argv */

	arg_start = BPF_CORE_READ(p, mm, arg_start);
	arg_end = BPF_CORE_READ(p, mm, arg_end);
	len = arg_end - arg_start;
	if (arg_end < arg_start)
		len = 0;
	if (len > BH_ARGS_MAX) {
		len = BH_ARGS_MAX;
		e->hdr.flags |= BH_F_ARGS_TRUNC;
	}
	len &= BH_ARGS_MAX * 2 - 1;
	if (bpf_probe_read_user(e->data + exe_len, len, (void *)arg_start) < 0)
		len = 0;
	e->exe_len = exe_len;
	e->args_len = len;

	if (bpf_ringbuf_output(&bh_proc_rb, e, BH_EXEC_HDR_SIZE + exe_len + len,
			       bh_submit_flags(&bh_proc_rb, wakeup_bytes)))
		bh_count_lost(&bh_proc_lost, &bh_proc_lost_total, e->hdr.cgroup_id);
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
