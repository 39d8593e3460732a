/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Records the kernel sends to the agent over BPF ring buffers. Shared by the
 * BPF programs and the agent: fixed-width types and fixed arrays only, every
 * limit defined once here, sizes pinned by _Static_assert.
 */
#ifndef BULKHEAD_EVENTS_H
#define BULKHEAD_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define BH_COMM_LEN	16
#define BH_PATH_MAX	256	/* exe paths: longer ones are truncated and flagged */
#define BH_ARGS_MAX	512	/* argv bytes (NUL-separated): longer ones are truncated and flagged */

/* Record kinds: one per producer hook. */
enum bh_event_kind {
	BH_EV_EXEC = 1,
	BH_EV_FORK = 2,
	BH_EV_EXIT = 3,
	BH_EV_NET = 4,		/* struct bh_net_event, bpf/abi/net.h */
	BH_EV_FILE = 5,		/* struct bh_file_event, bpf/abi/file.h (file and exec decisions) */
	BH_EV_ESCAPE = 6,	/* struct bh_esc_event, bpf/abi/escape.h (escape signals) */
	BH_EV_ANOMALY = 7,	/* records of bpf/anomaly.bpf.c (bpf/abi/anomaly.h) */
};

/* bh_event_hdr.flags */
#define BH_F_EXE_TRUNC	(1u << 0)
#define BH_F_ARGS_TRUNC	(1u << 1)

/* Common to every record: who did it, where, when. */
struct bh_event_hdr {
	__u32 kind;		/* enum bh_event_kind */
	__u32 flags;		/* BH_F_* */
	__u64 ts_boot_ns;	/* bpf_ktime_get_boot_ns() */
	__u64 cgroup_id;	/* cgroup v2 id (inode of the cgroup directory) */
	__u32 pid;		/* tgid, as userspace sees it */
	__u32 tid;
	__u32 ppid;		/* real parent's tgid */
	__u32 uid;
	__u32 gid;
	__u32 _pad;
	char comm[BH_COMM_LEN];
};
_Static_assert(sizeof(struct bh_event_hdr) == 64, "bh_event_hdr layout");

/*
 * An exec record is variable-sized: the header and the two lengths, then the
 * exe bytes (no NUL) and right after them the argv bytes (NUL-separated).
 * Only BH_EXEC_HDR_SIZE + exe_len + args_len bytes are in the ring (about 120
 * for a short command line, where the full struct is 840): fewer ring pages,
 * cache lines and wake-ups per exec. data[] is the room the BPF side builds
 * the record in; a consumer must check the record's size against the lengths.
 */
struct bh_exec_event {
	struct bh_event_hdr hdr;
	__u32 exe_len;		/* bytes of exe at data[0], without a NUL, < BH_PATH_MAX */
	__u32 args_len;		/* bytes of argv at data[exe_len], <= BH_ARGS_MAX */
	char data[BH_PATH_MAX + BH_ARGS_MAX];
};
#define BH_EXEC_HDR_SIZE	72u	/* offsetof(struct bh_exec_event, data) */
_Static_assert(__builtin_offsetof(struct bh_exec_event, data) == BH_EXEC_HDR_SIZE &&
	       sizeof(struct bh_exec_event) == BH_EXEC_HDR_SIZE + BH_PATH_MAX + BH_ARGS_MAX,
	       "bh_exec_event layout");

struct bh_fork_event {
	struct bh_event_hdr hdr;	/* the parent */
	__u32 child_pid;
	__u32 child_tid;
};
_Static_assert(sizeof(struct bh_fork_event) == 72, "bh_fork_event layout");

struct bh_exit_event {
	struct bh_event_hdr hdr;
	__u32 exit_code;	/* as wait(2) encodes it */
	__u32 _pad;
	__u64 start_boot_ns;	/* when the process started */
};
_Static_assert(sizeof(struct bh_exit_event) == 80, "bh_exit_event layout");

/* Ring buffer sizing and wake-up batching (see docs/ARCHITECTURE.md). */
/*
 * 2 MiB: a ring is mapped twice into the agent (its data pages back to back)
 * and every page counts in its RSS at once, so the ring costs twice its size
 * in memory; 2 MiB holds about a second of the fastest fork/exec storm two
 * CPUs make (make bench-events: no loss), with the reader woken at an eighth.
 */
#define BH_RINGBUF_DEFAULT	(2u << 20)
#define BH_WAKEUP_BYTES_DEFAULT	(64u << 10)

/* Lost-record accounting: one slot per reason in the global per-CPU array. */
enum bh_lost_reason {
	BH_LOST_RINGBUF_FULL = 0,
	BH_LOST_MAX,
};

#endif
