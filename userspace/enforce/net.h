/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Network enforcement, the userspace half of bpf/net.bpf.c:
 *   net.c        loads the programs (maps pinned under the enforcement pin
 *                directory), attaches them under one cgroup with pinned
 *                links (re-adopted by a restarted agent), reads counters and
 *                decodes the kernel's bh_net_event records;
 *   net_lower.c  lowers a policy's network rules into one generation of the
 *                LPM tries (layout: bpf/abi/net.h). It knows only the maps it
 *                writes (struct net_maps, which net.c hands out), never the loader.
 */
#ifndef BULKHEAD_NET_USER_H
#define BULKHEAD_NET_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The shared layouts; the path is explicit because this header has the same name. */
#include "abi/net.h"
#include "enforce/enforce.h"
#include "pipeline/event.h"
#include "policy/policy.h"

struct net_opts {
	/* cgroup v2 directory to attach under; NULL: load only (tests, benchmarks) */
	const char *attach_cgroup;
	const char *btf_path;		/* NULL: the running kernel's */
	uint32_t wakeup_bytes;		/* 0: BH_WAKEUP_BYTES_DEFAULT */
	uint32_t events_per_sec;	/* per container per CPU; 0: BH_NET_EVENTS_PER_SEC */
	bool helper_path;		/* tests, benchmarks: the cgroup_skb programs of
					 * net.bpf.c even where net_fast.bpf.c loads */
	bool memo_off;			/* benchmarks: decide every packet in full, as
					 * the first of its flow (memoized decisions are
					 * written, never read) */
};

struct net_enf;

/*
 * Open, configure, load (reusing the maps pinned under the core's pin
 * directory), register with the core, attach. Links already pinned for this
 * cgroup are updated in place to the new programs (BPF_LINK_UPDATE: no moment
 * without enforcement); links pinned for another cgroup are detached first.
 * NULL with a one-line reason in err.
 */
struct net_enf *net_open(struct enforce *e, const struct net_opts *o, char *err, size_t errlen);
/* detach: also detach and unpin the links (bulkhead run --detach-on-exit). */
void net_close(struct net_enf *n, bool detach);

int net_ringbuf_fd(const struct net_enf *n);
/* Program fd by name ("bh_net_egress", ...), for tests and benchmarks. */
int net_prog_fd(const struct net_enf *n, const char *name);
/* Are the cgroup_skb programs the helper-free ones (bpf/net_fast.bpf.c)? */
bool net_fast_path(const struct net_enf *n);
/* Links attached (0 when loaded only). */
int net_links(const struct net_enf *n);

/*
 * The maps a policy is lowered into (fds of the loaded object, owned by
 * net.c) and the node ids handed out in each generation.
 */
struct net_maps {
	int cidr4, cidr6, ports;
	/* The policy engine keeps both generations filled and writes only what
	 * differs (enforce/lowered.c): a transaction then does not clear them. */
	bool retain;
};
struct net_maps *net_maps_of(struct net_enf *n);

/* ---- lowering (net_lower.c) ---------------------------------------------- */

/* Does the policy restrict the network at all (rules, or a deny default)? */
bool net_policy_active(const struct policy *p);

struct net_lower_stats {
	uint32_t nodes;		/* CIDR trie entries written */
	uint32_t port_entries;	/* port trie entries written */
	uint32_t uniform;	/* nodes decided by one lookup */
};

/*
 * A policy's lowered entries, in memory, in generation 0's form (the
 * generation bit of scopes and node ids is set when written). Node ids are
 * the block's number (1..2047, unique among the blocks the agent holds)
 * above NET_ID_LOCAL_BITS and the node's number below: port entries of a
 * block no longer referenced by any node are unreachable, whatever replaced it.
 */
#include "lib/map_util.h"
#define NET_ID_LOCAL_BITS	20
#define NET_ID_BLOCK_BITS	11	/* bit 31 is the generation */
struct net_block {
	struct kv_list cidr4, cidr6, ports;
	uint32_t nodes, port_entries;
};
void net_block_init(struct net_block *b);
void net_block_free(struct net_block *b);
/* Lower p into b (initialized, empty) as block block_id. -E2BIG, -EINVAL, -ENOMEM. */
int net_lower_build(const struct policy *p, uint32_t block_id, struct net_block *b,
		    struct net_lower_stats *st);
/* Write (or, del, delete) b's entries in generation gen: batched. parts: NET_PART_* bits. */
#define NET_PART_PORTS	(1 << 0)	/* bh_net_ports */
#define NET_PART_NODES	(1 << 1)	/* bh_net_cidr4, bh_net_cidr6 */
#define NET_PART_ALL	(NET_PART_PORTS | NET_PART_NODES)
int net_block_write(struct net_maps *m, uint32_t gen, const struct net_block *b, bool del, int parts);

/* Write p's network rules into generation gen of m. -errno on a map error. */
int net_lower_policy(struct net_maps *m, uint32_t gen, const struct policy *p,
		     struct net_lower_stats *st);
/* Delete every entry of generation gen (the core's clear_gen, through net.c). */
int net_clear_gen(struct net_maps *m, uint32_t gen);

/*
 * The verdict the kernel's maps give, looked up from userspace exactly as
 * the BPF side does (for tests: must agree with policy_net_decide()).
 * kind: enum bh_net_kind; family 4/6; proto IPPROTO_*; port host order.
 * Returns 0 and fills v, or -ENOENT if nothing is lowered for this scope
 * (the kernel then allows).
 */
int net_map_decide(const struct net_maps *m, uint32_t gen, uint32_t policy_id, int kind,
		   int family, const uint8_t *addr, int proto, uint16_t port,
		   struct bh_net_verdict *v);

/* Entries of generation gen (CIDR nodes + port entries), for tests. */
uint32_t net_count_gen(const struct net_maps *m, uint32_t gen);

/* ---- counters and events ------------------------------------------------- */

/* The container's counters summed over CPUs. */
int net_counters(const struct net_enf *n, uint32_t slot, struct bh_net_counters *sum);
/* Net records the kernel could not reserve, in total. */
uint64_t net_lost(const struct net_enf *n);

/*
 * Decode one ring-buffer record into ev (container, policy and rule names
 * are left to the caller). Returns 0, or -EINVAL for a malformed record.
 * The event points into data: use it before the record is released.
 */
int net_decode(const void *data, size_t size, struct event *ev, uint32_t *gen);
/*
 * The count and bytes of a decoded record: what its aggregate slot holds
 * beyond what the agent has reported (the kernel sends totals). Returns 1
 * with ev->net.count/bytes set, 0 when the sweep already reported it all
 * (drop the record).
 */
int net_account(struct net_enf *n, const void *data, struct event *ev);

/*
 * Aggregated denials the kernel has not reported yet (a burst that ended
 * within its last second, or events it could not send): calls fn for each
 * as a synthesized event and accounts for it. Run every few seconds.
 */
typedef void (*net_sweep_fn)(void *ctx, struct event *ev, uint64_t cgroup_id, uint32_t gen);
int net_sweep(struct net_enf *n, net_sweep_fn fn, void *ctx);

#endif
