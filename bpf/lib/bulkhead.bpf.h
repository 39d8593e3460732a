/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by bulkhead's BPF programs (BPF side only). */
#ifndef BULKHEAD_BPF_H
#define BULKHEAD_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "abi/events.h"

#define BH_MAX_CGROUPS_TRACKED	16384

/*
 * Records that could not be reserved, counted in the kernel: per cgroup
 * (LRU-bounded) and in total (never evicted). The agent exports both.
 */
struct bh_lost_map {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, BH_MAX_CGROUPS_TRACKED);
	__type(key, __u64);	/* cgroup id */
	__type(value, __u64);	/* records lost */
};

struct bh_lost_total_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BH_LOST_MAX);
	__type(key, __u32);
	__type(value, __u64);
};

static __always_inline void bh_count_lost(void *lost, void *lost_total, __u64 cgid)
{
	__u32 reason = BH_LOST_RINGBUF_FULL;
	__u64 one = 1, *n;

	n = bpf_map_lookup_elem(lost_total, &reason);
	if (n)
		*n += 1;
	n = bpf_map_lookup_elem(lost, &cgid);
	if (n)
		*n += 1;
	else
		bpf_map_update_elem(lost, &cgid, &one, BPF_NOEXIST);
}

/*
 * Telemetry: wake the reader when wakeup_bytes are waiting (it must drain
 * before the ring fills), otherwise only if it has caught up (flags 0,
 * adaptive: the kernel wakes the reader for a record that lands in a ring the
 * reader had emptied, i.e. the first record after a drain). A wake-up costs a
 * VM exit (KERNEL-TESTING.md) and the agent's caches: it gets one per batch,
 * then drains --drain-ms later.
 */
static __always_inline __u64 bh_submit_flags(void *rb, __u64 wakeup_bytes)
{
	return bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : 0;
}

/*
 * Alerts and cgroup events: adaptive wake-up, so the agent reads an alert as
 * soon as it is submitted (a flood wakes it once per batch it reads, not per
 * record), whatever the telemetry drain period.
 */
#define BH_ALERT_SUBMIT_FLAGS	0

static __always_inline void bh_fill_hdr(struct bh_event_hdr *h, __u32 kind,
					struct task_struct *task)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();

	h->kind = kind;
	h->flags = 0;
	h->ts_boot_ns = bpf_ktime_get_boot_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->pid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	h->uid = (__u32)uid_gid;
	h->gid = uid_gid >> 32;
	h->_pad = 0;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

#endif
