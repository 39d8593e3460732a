// SPDX-License-Identifier: GPL-2.0
/*
 * The enforcement core's maps, and nothing else: userspace/enforce/enforce.c loads
 * this object first so that the shared maps exist (pinned by name) before any
 * enforcing feature loads and reuses them.
 */
#include "lib/enforce.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * Used only to wait for an RCU grace period from userspace: the kernel
 * follows every update of a map-in-map from the bpf() syscall with
 * synchronize_rcu() (kernel/bpf/syscall.c, maybe_wait_bpf_programs()), after
 * which no BPF program still runs with a generation read before the update.
 */
struct bh_barrier_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct bh_barrier_inner);
} bh_barrier SEC(".maps");
