/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Network enforcement: the map layouts and the event record shared by
 * bpf/net.bpf.c and userspace/enforce/net.c (fixed-width types only, sizes pinned).
 *
 * A policy's network rules (struct policy_net_rule, userspace/policy/policy.h) are
 * lowered per {generation, policy, direction, family} into two LPM tries:
 *
 *   bh_net_cidr4 / bh_net_cidr6   {scope, address} -> node
 *       One node per distinct CIDR of the rules, plus a /0 root node, so the
 *       longest-prefix match always finds the node whose rules (its own and
 *       those of every CIDR containing it) decide. A node that decides the
 *       same way for every protocol and port carries its verdict inline
 *       (BH_NV_UNIFORM): one lookup per packet.
 *   bh_net_ports                  {node, protocol class, port prefix} -> verdict
 *       Otherwise the node's decision as a function of (protocol, port) is cut
 *       into port ranges of equal verdict. Up to BH_NET_NODE_RANGES ranges
 *       that differ from the node's own verdict are held by the node itself
 *       (one lookup); more are stored as aligned port prefixes: a second LPM
 *       lookup. Cost per packet does not depend on the number of rules (two
 *       trie walks bounded by the key length).
 *
 * Scope kind BH_NK_BIND holds, per policy and family, for each (protocol,
 * port) whether any peer may reach it: bind() of a port no ingress rule
 * could ever allow fails with EPERM.
 */
#ifndef BULKHEAD_NET_H
#define BULKHEAD_NET_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "abi/events.h"
#include "abi/enforce.h"

/*
 * Map sizes (entries; LPM tries are allocated on demand, so an unused
 * entry costs nothing). The generation-swapped tries hold two generations,
 * half each (docs/ARCHITECTURE.md, "Map sizing"); a set needing more than
 * half is refused before anything is written (enforce/lowered.c).
 */
#define BH_NET_CIDR_MAX		(2 * 65536)	/* nodes per family, all generations */
#define BH_NET_PORT_MAX		(2 * 1048576)	/* port-prefix entries, all generations */
#define BH_NET_AGG_MAX		16384	/* aggregated denials tracked (LRU) */
#define BH_NET_RINGBUF		(512u << 10)	/* aggregated: at most one event a second per destination */
#define BH_NET_SK_PEERS		8	/* flows remembered per socket (a power of two) */
#define BH_NET_EVENTS_PER_SEC	100	/* net events per container per CPU per second */
#define BH_NET_AGG_NS		1000000000ull	/* one event per destination per second */

/* Scope kinds. */
enum bh_net_kind {
	BH_NK_EGRESS = 0,	/* remote = destination; port = destination port */
	BH_NK_INGRESS = 1,	/* remote = source; port = local (destination) port */
	BH_NK_BIND = 2,		/* address 0/0 only: which local ports may be bound */
};

/* scope = generation (1 bit) | kind (2 bits) | policy id (29 bits) */
#define BH_NET_SCOPE(gen, kind, policy) \
	(((__u32)(gen) << 31) | ((__u32)(kind) << 29) | ((__u32)(policy) & 0x1fffffffu))
#define BH_NET_SCOPE_GEN(s)	((s) >> 31)
#define BH_NET_SCOPE_BITS	32

/* Protocol classes of the port trie. ICMP and "other" have no ports: port 0. */
enum bh_net_pclass {
	BH_PC_OTHER = 0,
	BH_PC_TCP = 1,
	BH_PC_UDP = 2,
	BH_PC_ICMP = 3,		/* ICMP for IPv4, ICMPv6 for IPv6 */
	BH_PC_COUNT = 4,
};

/* LPM keys: prefixlen counts the scope bits plus the address prefix. */
struct bh_net_key4 {
	__u32 prefixlen;	/* 32 + 0..32 */
	__u32 scope;		/* BH_NET_SCOPE() */
	__u8  addr[4];		/* network byte order */
};
_Static_assert(sizeof(struct bh_net_key4) == 12, "bh_net_key4 layout");

struct bh_net_key6 {
	__u32 prefixlen;	/* 32 + 0..128 */
	__u32 scope;
	__u8  addr[16];
};
_Static_assert(sizeof(struct bh_net_key6) == 24, "bh_net_key6 layout");

struct bh_net_port_key {
	__u32 prefixlen;	/* 32 (node) + 8 (class) + 0..16 (port prefix) */
	__u32 node;		/* bh_net_node.id; bit 31 = generation */
	__u8  pclass;		/* enum bh_net_pclass */
	__u8  port[2];		/* network byte order */
	__u8  pad;
};
_Static_assert(sizeof(struct bh_net_port_key) == 12, "bh_net_port_key layout");
#define BH_NET_PORT_KEY_BITS	(32 + 8)

/* bh_net_verdict.flags */
#define BH_NV_UNIFORM	(1u << 0)	/* node: this verdict holds for every protocol and port */
#define BH_NV_ROOT	(1u << 1)	/* decided by the default or a rule for any address
					 * (0.0.0.0/0, ::/0): loopback is exempt from it */
#define BH_NV_PORTS	(1u << 2)	/* node: its port ranges are entries of bh_net_ports */

struct bh_net_verdict {
	__u8  action;		/* enum policy_action: 0 allow, 1 deny */
	__u8  flags;		/* BH_NV_* */
	__u16 pad;
	__u32 ref;		/* POLICY_REF() of the deciding rule (or the default) */
};
_Static_assert(sizeof(struct bh_net_verdict) == 8, "bh_net_verdict layout");

/* A port range a node decides itself (bh_net_node.r). */
struct bh_net_prange {
	__u16 lo, hi;			/* host order, inclusive */
	__u8  pclass;			/* enum bh_net_pclass */
	__u8  pad[3];
	struct bh_net_verdict v;
};
_Static_assert(sizeof(struct bh_net_prange) == 16, "bh_net_prange layout");

/*
 * A node that is not uniform decides by port: its ranges of another verdict
 * than v, at most BH_NET_NODE_RANGES of them, are in r[] (a rule for a port
 * or a range of one CIDR, the common case: no port entry to write, no second
 * lookup); more are entries of bh_net_ports (BH_NV_PORTS). What no range
 * says, v says.
 */
#define BH_NET_NODE_RANGES	2
struct bh_net_node {
	__u32 id;			/* key of this node's entries in bh_net_ports */
	struct bh_net_verdict v;	/* BH_NV_UNIFORM: for every port; else what no range says */
	__u32 nr;			/* ranges in r[] */
	struct bh_net_prange r[BH_NET_NODE_RANGES];
};
_Static_assert(sizeof(struct bh_net_node) == 48, "bh_net_node layout");

/*
 * Decisions memoized (bh_net_memo): a packet of a flow already decided under
 * the policy in force costs a compare instead of the policy lookups. A table
 * of entries, each for one flow of one socket, at a hash of {socket cookie,
 * remote address, ports, protocol}; a cache: a flow whose entry was taken by
 * another is decided again. The socket cookie is unique for the
 * system's uptime and a socket's cgroup never changes, so the entry is the
 * decision for that container's flow.
 *
 * Every memoized verdict carries the stamp it was decided under:
 *	stamp = (bh_policy_epoch << 1 | active generation) & BH_NET_STAMP_MASK
 * The agent bumps bh_policy_epoch whenever what the policy maps say may
 * change (each policy transaction, a counter slot handed to a new container),
 * and a generation flip changes the stamp by itself: one policy swap
 * invalidates every memoized verdict at once, and each flow is decided
 * afresh under the new policy on its next packet.
 *
 * Writers exclude each other with the entry's seq (odd while one writes,
 * taken with cmpxchg, never waited for: the loser skips memoizing); readers
 * read seq before and after the entry and trust it only if it was even and
 * unchanged.
 */
#define BH_NET_MEMO_ENTRIES	32768	/* a power of two; 64 bytes each */
#define BH_NET_MEMO_BITS	15
_Static_assert(BH_NET_MEMO_ENTRIES == 1u << BH_NET_MEMO_BITS, "bh_net_memo size");
#define BH_NET_STAMP_MASK	((1ull << 40) - 1)
/* bh_net_memo.verdict: stamp, the container's counter slot, BH_NET_PASS bits */
#define BH_NET_VERDICT(stamp, slot, bits) \
	(((__u64)(stamp) << 24) | ((__u64)((slot) & 0xffff) << 8) | ((bits) & 0xff))
#define BH_NET_V_STAMP(v)	((v) >> 24)
#define BH_NET_V_SLOT(v)	((__u32)((v) >> 8) & 0xffff)
/* this direction passes, on loopback (lo 1) or not (lo 0) */
#define BH_NET_PASS(dir, lo)	(1u << (((dir) & 1) * 2 + ((lo) & 1)))
_Static_assert(BH_MAX_SLOTS <= 0x10000, "a counter slot fits bh_net_memo.verdict");

/* A flow's kind: family and protocol class; 0 = a free entry */
#define BH_NET_KIND(family, pclass)	((__u8)(((family) << 4) | ((pclass) & 0xf)))
/*
 * A flow's key word: the ports in network order as an outgoing packet
 * carries them (the local port first), then the kind.
 */
#define BH_NET_KEY(lport_be, rport_be, kind) \
	((__u64)(lport_be) | (__u64)(rport_be) << 16 | (__u64)(kind) << 32)

struct bh_net_memo {
	__u64 seq;		/* odd while a writer changes the entry */
	__u64 cookie;		/* socket cookie (never 0) */
	__u64 key;		/* BH_NET_KEY() */
	__u64 addr[2];		/* remote address; IPv4 in the low 4 bytes of addr[0] */
	__u64 verdict;		/* BH_NET_VERDICT(stamp, slot, BH_NET_PASS bits) */
	__u64 pad[2];
};
_Static_assert(sizeof(struct bh_net_memo) == 64, "bh_net_memo layout");

/*
 * The whole table is the one value of a one-entry array: a program takes its
 * address once (an inlined lookup) and indexes it, no lookup per entry. One
 * entry more than used: the program starts the table at the first cache line
 * boundary inside the value (the value's offset in the kernel's array is
 * known at load time, bpf/lib/net.bpf.h), so no entry straddles two lines.
 */
struct bh_net_memo_table {
	struct bh_net_memo e[BH_NET_MEMO_ENTRIES + 1];
};

/*
 * Flow memory, per socket (socket local storage bh_net_sk_state): which way
 * each flow was opened, i.e. the direction of its first packet that passed
 * by the rules of its own direction (connection tracking's original
 * direction). A packet the other way is a reply, and passes while the
 * policy in force allows the flow the way it was opened: replies of a
 * connection the new policy denies stop. The last BH_NET_SK_PEERS flows of
 * the socket; seq as above.
 */
#define BH_NET_ORIGIN(dir)	((__u32)(dir) + 1)	/* bh_net_peer.origin; 0: none */
struct bh_net_peer {
	__u64 addr[2];		/* as bh_net_memo.addr */
	__u64 key;		/* BH_NET_KEY() */
	__u32 origin;		/* BH_NET_ORIGIN(enum bh_net_dir) */
	__u32 pad;
};
_Static_assert(sizeof(struct bh_net_peer) == 32, "bh_net_peer layout");

struct bh_net_sk {
	__u64 seq;		/* odd while a writer changes peers[] */
	__u32 next;		/* next peers[] entry to take over */
	__u32 pad;
	struct bh_net_peer peers[BH_NET_SK_PEERS];
};
_Static_assert(sizeof(struct bh_net_sk) == 16 + 32 * BH_NET_SK_PEERS, "bh_net_sk layout");

/* Per-container counters (per-CPU array indexed by bh_cg_policy.slot). */
enum bh_net_dir { BH_DIR_EGRESS = 0, BH_DIR_INGRESS = 1 };
enum bh_net_verdict_idx { BH_V_ALLOW = 0, BH_V_DENY = 1 };
struct bh_net_counters {
	__u64 packets[2][2];	/* [enum bh_net_dir][BH_V_ALLOW / BH_V_DENY] */
	__u64 bytes[2][2];
	__u64 connects;		/* connect() calls seen */
	__u64 sock_denied;	/* connect/sendmsg/bind refused with EPERM */
	__u64 audited;		/* denials let through by audit mode */
	__u64 events_suppressed;	/* events not sent: over the per-container rate */
	__u64 ev_window_ns;	/* rate limiter: start of the current second */
	__u64 ev_in_window;	/* rate limiter: events sent in it */
};
_Static_assert(sizeof(struct bh_net_counters) == 8 * 14, "bh_net_counters layout");

/* Which hook decided. */
enum bh_net_hook {
	BH_HOOK_EGRESS = 0,	/* cgroup_skb/egress: packet dropped */
	BH_HOOK_INGRESS = 1,	/* cgroup_skb/ingress: packet dropped */
	BH_HOOK_CONNECT = 2,	/* connect(): EPERM */
	BH_HOOK_SENDMSG = 3,	/* sendto()/sendmsg() with an address: EPERM */
	BH_HOOK_BIND = 4,	/* bind(): EPERM */
};

/* bh_net_event.action */
#define BH_NET_ACT_DENY		1
#define BH_NET_ACT_AUDIT	2

/* Denials aggregated in the kernel per container and destination (LRU, per CPU). */
struct bh_net_agg_key {
	__u64 cgroup_id;
	__u8  addr[16];		/* remote address */
	__u16 port;		/* remote port (egress), local port (ingress, bind) */
	__u8  family;
	__u8  proto;		/* IPPROTO_* */
	__u8  dir;		/* enum bh_net_dir */
	__u8  action;		/* BH_NET_ACT_* */
	__u8  pad[2];
};
_Static_assert(sizeof(struct bh_net_agg_key) == 32, "bh_net_agg_key layout");

/*
 * This CPU's slot of an aggregate. count and bytes only grow (atomic adds): the
 * kernel never resets them and the agent never writes them, so nothing is lost
 * to a race. The agent reports the difference to what it has accounted for
 * (struct bh_net_agg_seen), from events and from its sweep of quiet keys.
 */
struct bh_net_agg {
	__u64 last_ns;		/* when the kernel last sent an event for this slot */
	__u64 count;		/* denials, in total */
	__u64 bytes;
	__u32 policy_id;	/* of the latest denial: for the agent's sweep */
	__u32 ref;
	__u8  hook;
	__u8  gen;
	__u8  held;
	__u8  pad[5];
};
_Static_assert(sizeof(struct bh_net_agg) == 40, "bh_net_agg layout");

/* What the agent has reported of a slot (map bh_net_agg_seen, written by the agent only). */
struct bh_net_agg_seen {
	__u64 count;
	__u64 bytes;
};

/* Ring-buffer record, kind BH_EV_NET. hdr.pid/comm are 0 where no task is known
 * (packets in softirq); hdr.cgroup_id is the socket's cgroup. */
struct bh_net_event {
	struct bh_event_hdr hdr;
	__u8  family;		/* 4 or 6 */
	__u8  proto;		/* IPPROTO_* */
	__u8  dir;		/* enum bh_net_dir */
	__u8  action;		/* BH_NET_ACT_* */
	__u8  hook;		/* enum bh_net_hook */
	__u8  gen;		/* generation that decided (which policy set) */
	__u8  held;		/* 1: a new cgroup not classified yet (policy_id 0) */
	__u8  pad;
	__u32 policy_id;
	__u32 ref;		/* POLICY_REF() of the deciding rule */
	__u8  raddr[16];	/* remote address */
	__u8  laddr[16];	/* local address (zero if unknown) */
	__u16 rport, lport;	/* host order; 0 for ICMP and unknown */
	__u32 cpu;		/* the aggregate's slot */
	__u64 count_total;	/* the slot's denials in total: the agent reports what is new */
	__u64 bytes_total;	/* bytes of the dropped packets (packet hooks), in total */
};
_Static_assert(sizeof(struct bh_net_event) == 64 + 16 + 32 + 8 + 16, "bh_net_event layout");

#endif
