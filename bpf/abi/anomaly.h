/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Anomaly signals: per-container counters kept in the kernel by
 * bpf/anomaly.bpf.c and read once a second by userspace/anomaly/counters.c,
 * plus the few rare records (OOM victims, new listening ports, shells on the
 * network, first connections to a destination) sent over bh_anom_rb.
 * Fixed-width types only; sizes pinned by _Static_assert.
 */
#ifndef BULKHEAD_ABI_ANOMALY_H
#define BULKHEAD_ABI_ANOMALY_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "abi/events.h"

#define BH_ANOM_CGROUPS		4096	/* containers counted at once (LRU) */
#define BH_ANOM_RINGBUF		(256u << 10)
#define BH_ANOM_SEEN		16384	/* (container, destination) pairs remembered (LRU) */
#define BH_ANOM_PORT_BITS	512	/* distinct-port sketch: linear counting */
#define BH_ANOM_DEST_BITS	256	/* distinct-destination sketch */

/* Per-CPU counters of one cgroup (bh_anom_cnt): only ever added to. */
enum bh_anom_counter {
	BH_AC_FORKS = 0,	/* new processes (clone without CLONE_THREAD) */
	BH_AC_FORK_FAIL,	/* fork/vfork/clone/clone3 returning an error (EAGAIN at pids.max) */
	BH_AC_EXITS,		/* processes gone (last thread of a thread group) */
	BH_AC_EXECS,
	BH_AC_CONNECTS,		/* connect() to an IPv4/IPv6 address */
	BH_AC_CONNECT_FAIL,	/* ... that failed at once, or whose handshake was refused */
	BH_AC_LISTENS,		/* TCP sockets put in LISTEN */
	BH_AC_OOM_KILLS,	/* OOM victims in this cgroup */
	BH_AC_CONNECT_LOCAL,	/* TCP connects answered by a listener on loopback of the
				 * container's own network namespace (not the host's) */
	BH_AC_COUNT
};

struct bh_anom_counters {
	__u64 v[BH_AC_COUNT];
};
_Static_assert(sizeof(struct bh_anom_counters) == 8 * BH_AC_COUNT, "bh_anom_counters layout");

/* What process a metric comes from most: a Boyer-Moore majority vote on comm. */
enum bh_anom_top { BH_TOP_FORK = 0, BH_TOP_EXEC, BH_TOP_CONNECT, BH_TOP_COUNT };

struct bh_anom_top_slot {
	char comm[BH_COMM_LEN];
	__u32 pid;		/* the last pid with this comm */
	__s32 weight;		/* votes left for comm */
};
_Static_assert(sizeof(struct bh_anom_top_slot) == 24, "bh_anom_top_slot layout");

/*
 * Shared (not per-CPU) per cgroup: the distinct-port and -destination sketches
 * of the current and the previous second (slot = second & 1, cleared by the
 * first writer of a new second; the agent reads the slot of the second that
 * ended), and the top process per metric. Writers use atomic ORs; a lost vote
 * in the top slots only makes them approximate.
 */
struct bh_anom_sketch {
	__u64 sec[2];				/* boot-time second of each slot */
	__u64 ports[2][BH_ANOM_PORT_BITS / 64];
	__u64 dests[2][BH_ANOM_DEST_BITS / 64];
	struct bh_anom_top_slot top[BH_TOP_COUNT];
};
_Static_assert(sizeof(struct bh_anom_sketch) == 16 + 2 * 64 + 2 * 32 + 3 * 24, "bh_anom_sketch layout");

/* Records on bh_anom_rb (hdr.kind = BH_EV_ANOMALY). */
enum bh_anom_rec {
	BH_AR_OOM = 1,		/* an OOM victim: hdr names the victim (pid, comm, cgroup) */
	BH_AR_LISTEN = 2,	/* a TCP socket entered LISTEN: port */
	BH_AR_CONNECT = 3,	/* first connect of this container to (address, port) */
	BH_AR_SHELL_NET = 4,	/* a shell connected out, or was started with a socket on stdio */
};

struct bh_anom_event {
	struct bh_event_hdr hdr;
	__u32 rec;		/* enum bh_anom_rec */
	__u16 family;		/* 4 or 6 (LISTEN, CONNECT, SHELL_NET); 0 = none */
	__u16 port;		/* host order */
	__u8 addr[16];		/* IPv4 in [0..3] */
	__u32 fd;		/* SHELL_NET: the stdio fd that is a socket, or 255 for a connect */
	__u32 _pad;
	__u64 value;		/* OOM: the victim's rss in pages (anon + file + shmem) */
};
_Static_assert(sizeof(struct bh_anom_event) == 64 + 40, "bh_anom_event layout");

#endif
