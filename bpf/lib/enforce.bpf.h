/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The enforcement core, BPF side: maps every enforcing object shares through
 * libbpf pinning (LIBBPF_PIN_BY_NAME under the agent's pin directory, default
 * /sys/fs/bpf/bulkhead), and the one lookup every enforcing hook starts with.
 * Userspace half: userspace/enforce/enforce.c. Layouts: bpf/abi/enforce.h.
 */
#ifndef BULKHEAD_ENFORCE_BPF_H
#define BULKHEAD_ENFORCE_BPF_H

#include "lib/bulkhead.bpf.h"
#include "abi/enforce.h"

/* The generation in force: 0 or 1. Written only by enforce_commit(). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_active_gen SEC(".maps");

/*
 * The policy epoch: the agent adds one whenever what the policy maps say may
 * change (userspace/enforce/enforce.c, enforce_bump_epoch()). A BPF program that memoizes a
 * decision (bpf/abi/net.h, bh_net_memo) stamps it with this and the generation,
 * and trusts it only while both are the same. A one-entry array: read with
 * an inlined lookup, or directly as a global (bpf/lib/net.bpf.h).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_policy_epoch SEC(".maps");

/* The file decision memo's epoch and mode (bpf/abi/enforce.h): the core moves
 * the epoch on every policy change, bpf/lib/file_memo.bpf.h on file-tree ones.
 * Mapped by userspace, which writes it with atomic instructions as the
 * kernel side does (enforce_memo_write()): no write undoes another. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bh_memo_ctl);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_memo_ctl SEC(".maps");

/* {generation, cgroup id} -> the container's policy, modes and counter slot. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BH_CG_POLICY_ENTRIES);
	__type(key, struct bh_cg_key);
	__type(value, struct bh_cg_policy);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_cgroup_policy SEC(".maps");

/* New cgroups held until the agent classifies them: cgroup id -> deadline
 * (bpf_ktime_get_ns()). Written by bpf/cgroup.bpf.c (handed this map by fd),
 * deleted by the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BH_MAX_CONTAINERS);
	__type(key, __u64);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} bh_cg_hold SEC(".maps");

/*
 * The policy of the container whose cgroup id is cgid, in the generation in
 * force; *gen receives that generation, which the caller must use for every
 * other policy lookup of this hook (the generation is read once).
 * NULL: the agent knows no such container: allow, never touch.
 */
static __always_inline const struct bh_cg_policy *bh_policy_for(__u64 cgid, __u32 *gen)
{
	struct bh_cg_key key = { .cgroup_id = cgid };
	__u32 zero = 0, *g;

	g = bpf_map_lookup_elem(&bh_active_gen, &zero);
	if (!g)
		return NULL;
	key.gen = *(volatile __u32 *)g & 1;
	*gen = key.gen;
	return bpf_map_lookup_elem(&bh_cgroup_policy, &key);
}

/*
 * For a cgroup without a policy entry: is it a new cgroup the agent has not
 * classified yet? Enforcing hooks deny for it (fail-closed) while it is.
 */
static __always_inline int bh_held(__u64 cgid)
{
	__u64 *deadline = bpf_map_lookup_elem(&bh_cg_hold, &cgid);

	return deadline && bpf_ktime_get_ns() < *deadline;
}

#endif
