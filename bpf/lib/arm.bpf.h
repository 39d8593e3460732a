/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Arming for enforcement: a container's policy applies from its entrypoint's
 * exec, never to the runtime's own setup before it (crun's and runc's mounts,
 * opens and setns in the container's cgroup and namespaces).
 *
 * The rule is the escape guard's (bpf/guard.bpf.c, bh_esc_task): a task is
 * armed by its first exec in a mount namespace that is not the host's, and
 * its children (threads too) inherit it. Here it lives in its own pinned task
 * storage, bh_arm_task, so that file and exec enforcement (bpf/file.bpf.c,
 * bpf/fallback.bpf.c, which include this through lib/path.bpf.h) arm with
 * escape detection and the guard off, and so that a restarted agent finds
 * the containers it armed.
 *
 *   tp_btf/sched_process_exec   bh_arm_exec: a first exec outside the host's
 *                               mount namespace arms the task
 *   tp_btf/sched_process_fork   bh_arm_fork: children inherit
 *   iter/task                   bh_arm_existing: run once at load, arms the
 *                               container tasks that already run
 *   bh_arm_policed()            the gate at every enforcement hook's prologue;
 *                               an exec check (bprm_check_security, the
 *                               fallback's sys_enter_execve) polices the exec
 *                               that arms the task: the entrypoint's own exec
 *                               and a `runc exec`/`crun exec` command's.
 *
 * arm_host_mnt_ns is the host's mount namespace (pid 1's, else the agent's);
 * 0 (unknown) polices every task, as before arming existed.
 */
#ifndef BULKHEAD_ARM_BPF_H
#define BULKHEAD_ARM_BPF_H

#include "lib/bulkhead.bpf.h"

#define BH_ARMED	1u

const volatile __u32 arm_host_mnt_ns = 0;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_arm_task SEC(".maps");

static __always_inline bool bh_arm_outside_host(struct task_struct *t)
{
	return BPF_CORE_READ(t, nsproxy, mnt_ns, ns.inum) != arm_host_mnt_ns;
}

static __always_inline bool bh_armed(struct task_struct *t)
{
	__u32 *a = bpf_task_storage_get(&bh_arm_task, t, 0, 0);

	return a && (*a & BH_ARMED);
}

static __always_inline void bh_arm(struct task_struct *t)
{
	__u32 *a = bpf_task_storage_get(&bh_arm_task, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (a)
		*a = BH_ARMED;
}

/*
 * Is the current task policed? exec: the hook checks an exec, which arms a
 * task outside the host's mount namespace: that exec is policed (and the task
 * armed now, so the loader's mappings of this exec are too).
 */
static __always_inline bool bh_arm_policed(bool exec)
{
	struct task_struct *t;

	if (!arm_host_mnt_ns)
		return true;
	t = bpf_get_current_task_btf();
	if (bh_armed(t))
		return true;
	if (!exec || !bh_arm_outside_host(t))
		return false;
	bh_arm(t);
	return true;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(bh_arm_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *t = bpf_get_current_task_btf();

	if (arm_host_mnt_ns && !bh_armed(t) && bh_arm_outside_host(t))
		bh_arm(t);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(bh_arm_fork, struct task_struct *parent, struct task_struct *child)
{
	if (bh_armed(parent))
		bh_arm(child);
	return 0;
}

/* The runtime's own processes (runc init, crun, conmon, containerd-shim) are never armed here. */
static __always_inline bool bh_arm_runtime_comm(const char *c)
{
	return (c[0] == 'r' && c[1] == 'u' && c[2] == 'n' && c[3] == 'c') ||
	       (c[0] == 'c' && c[1] == 'r' && c[2] == 'u' && c[3] == 'n' && c[4] == 0) ||
	       (c[0] == 'm' && c[1] == 'e' && c[2] == 'm' && c[3] == 'f' && c[4] == 'd' && c[5] == ':' &&
		((c[6] == 'c' && c[7] == 'r' && c[8] == 'u' && c[9] == 'n') ||
		 (c[6] == 'r' && c[7] == 'u' && c[8] == 'n' && c[9] == 'c'))) ||
	       (c[0] == 'c' && c[1] == 'o' && c[2] == 'n' && c[3] == 'm' && c[4] == 'o' && c[5] == 'n') ||
	       (c[0] == 'c' && c[1] == 'o' && c[2] == 'n' && c[3] == 't' && c[4] == 'a' && c[9] == 'd');
}

SEC("iter/task")
int bh_arm_existing(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	char comm[16];

	if (!t || !arm_host_mnt_ns || !BPF_CORE_READ(t, mm) || !bh_arm_outside_host(t))
		return 0;
	BPF_CORE_READ_STR_INTO(&comm, t, comm);
	if (!bh_arm_runtime_comm(comm))
		bh_arm(t);
	return 0;
}

#endif
