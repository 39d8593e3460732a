/* SPDX-License-Identifier: GPL-2.0 */
/*
 * File and exec enforcement: map layouts and the event record shared by
 * bpf/file.bpf.c (BPF LSM), bpf/fallback.bpf.c (syscall tracepoints) and
 * userspace/enforce/file.c, file_lower.c (fixed-width types only, sizes pinned).
 *
 * A policy's file table and exec table (struct policy_path_rule) are lowered
 * per {generation, table, policy} into one LPM trie:
 *
 *   bh_file_paths   {scope, path bytes} -> struct bh_file_node
 *       One entry per literal string that can decide: an exact rule "/a/b"
 *       is stored with its NUL ("/a/b\0": it matches only itself), a
 *       directory prefix "/a/" as "/a/" and "/a\0" (the directory itself),
 *       each glob's literal directory prefix ("/home/" for "/home/ * /.ssh/"),
 *       every ancestor directory of a rule ("/a\0" for "/a/b", marked
 *       BH_FN_ANCESTOR), and "/" always. The longest-prefix match of
 *       "{scope, path\0}" finds the node whose precomputed per-op decision
 *       (the most specific exact/prefix rule, inherited from shorter entries
 *       for ops the node's own rule does not name) is final unless one of the
 *       node's bucket globs, evaluated in order, is more specific.
 *   bh_file_globs   array: glob slot -> struct bh_file_glob
 *       A glob's tail (after its literal prefix) as a bit-parallel NFA of at
 *       most 63 tokens: per input byte one table lookup, a shift and the
 *       precomputed epsilon closures. Slots are split per generation.
 *   bh_file_pol     {scope} -> struct bh_file_pol: which ops the policy
 *       restricts at all (decides over-long and unresolvable paths).
 *
 * Cost per hook: one path resolution, one LPM lookup, and the node's few
 * bucket globs (at most BH_FILE_BUCKET, usually none): flat in rule count.
 */
#ifndef BULKHEAD_FILE_H
#define BULKHEAD_FILE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "abi/events.h"

/* Path bytes in an LPM key (the kernel's LPM data limit is 256 bytes, 4 go to
 * the scope): paths of BH_FILE_PATH_MAX-1 bytes and more are "over-long". */
#define BH_FILE_PATH_MAX	252
/*
 * Sizes of the generation-swapped maps: each holds two generations of a
 * policy set, half each (docs/ARCHITECTURE.md, "Map sizing"); a set needing
 * more than half is refused before anything is written (enforce/lowered.c).
 */
#define BH_FILE_NODES_MAX	(2 * 65536)	/* trie entries, all generations */
#define BH_FILE_GLOB_SLOTS	2048	/* glob slots, all generations (half each) */
#define BH_FILE_POL_MAX		(2 * 1024)	/* bh_file_pol: policies, all generations */
#define BH_FILE_BUCKET		8	/* globs evaluated per node at most */
#define BH_FILE_GLOB_TOKENS	63	/* NFA tokens of a glob's tail (bit 63 = accept max) */
#define BH_FILE_GLOB_EPS	10	/* states with epsilon moves per glob */
#define BH_FILE_WALK_DEPTH	32	/* path components resolved by the dentry walk */
#define BH_FILE_RINGBUF		(512u << 10)	/* rate-limited per container: 100/s, burst 200 */
#define BH_FILE_EVENTS_PER_SEC	100	/* token bucket per container: refill rate */
#define BH_FILE_EVENTS_BURST	200	/* and depth */
#define BH_FILE_RATE_MAX	16384	/* containers tracked by the rate limiter (LRU) */

/* Ops: the same values as enum policy_op (userspace/policy/policy.h). */
#define BH_OP_READ	0
#define BH_OP_WRITE	1
#define BH_OP_CREATE	2
#define BH_OP_DELETE	3
#define BH_OP_RENAME	4
#define BH_OP_LINK	5
#define BH_OP_SETATTR	6
#define BH_OP_EXEC	7
#define BH_OP_COUNT	8
#define BH_OP_MOUNT	8	/* events only: a bind mount by a confined container */

/* Tables of a policy. */
#define BH_TAB_FILE	0
#define BH_TAB_EXEC	1

/* scope = generation (1 bit) | table (1 bit) | policy id (30 bits) */
#define BH_FILE_SCOPE(gen, tab, policy) \
	(((__u32)(gen) << 31) | ((__u32)(tab) << 30) | ((__u32)(policy) & 0x3fffffffu))
#define BH_FILE_SCOPE_GEN(s)	((s) >> 31)

struct bh_file_key {
	__u32 prefixlen;	/* 32 (scope) + 8 * bytes of path compared */
	__u32 scope;		/* BH_FILE_SCOPE(); always compared whole (prefixlen >= 32) */
	char  path[BH_FILE_PATH_MAX];
};
_Static_assert(sizeof(struct bh_file_key) == 8 + BH_FILE_PATH_MAX, "bh_file_key layout");

/* bh_file_node.flags */
#define BH_FN_ANCESTOR	(1u << 0)	/* exact directory entry with rules below it */
#define BH_FN_GLOBS	(1u << 1)	/* globs may match below this node (renaming a
					 * directory here could move their matches) */

#define BH_RULE_NONE	0xffffu		/* best[]: the default decides */

struct bh_file_node {
	__u8  deny;		/* bit op: the static decision denies */
	__u8  flags;		/* BH_FN_* */
	__u8  nglob;		/* globs in bucket[] */
	__u8  pad;
	__u16 keylen;		/* path bytes of this entry's key (with the NUL, if any) */
	__u16 pad2;
	__u16 best[BH_OP_COUNT];	/* rule index that decided, BH_RULE_NONE = default */
	__u32 ref[BH_OP_COUNT];		/* POLICY_REF() of that rule (or the default) */
	__u16 bucket[BH_FILE_BUCKET];	/* glob slots, in rule order */
	__u8  beats[BH_FILE_BUCKET];	/* ops for which bucket[j] is more specific than best[] */
};
_Static_assert(sizeof(struct bh_file_node) == 8 + 16 + 32 + 3 * BH_FILE_BUCKET, "bh_file_node layout");

struct bh_file_glob {
	__u64 cmask[256];	/* bit i: token i is this literal byte */
	__u64 star;		/* bit i: token i is '*' (any byte but '/') */
	__u64 dstar;		/* bit i: token i is '**' (any byte) */
	__u64 start;		/* closure of state 0 */
	__u64 eps[BH_FILE_GLOB_EPS];	/* closure of state eps_src[j] */
	__u8  eps_src[BH_FILE_GLOB_EPS];
	__u8  neps;
	__u8  accept;		/* the accepting state (number of tokens) */
	__u16 skip;		/* bytes of the literal prefix (matched by the trie) */
	__u16 rule;		/* rule index: lower = more specific */
	__u16 ops;		/* BH_OP bits this glob decides */
	__u8  action;		/* 0 allow, 1 deny */
	__u8  pad;
	__u32 ref;		/* POLICY_REF() */
};
_Static_assert(sizeof(struct bh_file_glob) == 8 * 256 + 24 + 8 * BH_FILE_GLOB_EPS + 24,
	       "bh_file_glob layout");

/* bh_file_pol.flags */
#define BH_FP_LOWERED	(1u << 0)

/*
 * bh_file_pol.name_lens: the lengths (strlen) of the invoked names a rule
 * of the policy could deny an exec by (a deny rule that covers exec: a file
 * rule with the exec op, or spec.exec). Bit n (1..63): a name of n bytes;
 * BH_NAME_LONG (bit 0): 64 bytes or more (or a length not known). 0: no rule
 * checks the invoked name (an allow-list). An exact rule adds its own length,
 * a prefix or a glob every length from its directory's on. The decision memo
 * reads and compares an exec's invoked name only when its bit is set.
 */
#define BH_NAME_LONG	1ull
#define BH_NAME_BIT(n)	((n) >= 1 && (n) < 64 ? 1ull << (n) : BH_NAME_LONG)

struct bh_file_pol {
	__u8  restrict_ops;	/* file ops with any deny (rule or default): over-long and
				 * unresolvable paths are denied for these */
	__u8  exec_restrict;	/* the exec table denies anything */
	__u8  flags;
	__u8  pad;
	__u32 over_ref;		/* always POLICY_REF(FILE or EXEC, DEFAULT) */
	__u64 name_lens;	/* BH_NAME_BIT()s of the invoked names a rule may deny */
};
_Static_assert(sizeof(struct bh_file_pol) == 16, "bh_file_pol layout");

/* Per-container event rate limiter (LRU hash by cgroup id). */
struct bh_file_rate {
	__u64 last_ns;
	__u64 tokens;		/* x 1000 */
	__u64 suppressed;	/* since the last event sent */
	__u64 suppressed_total;
};
_Static_assert(sizeof(struct bh_file_rate) == 32, "bh_file_rate layout");

/* Global counters (per-CPU array). */
enum bh_file_stat {
	BH_FS_DENIED = 0,	/* refused with EPERM (or killed, fallback) */
	BH_FS_AUDITED,		/* denials let through by audit mode */
	BH_FS_SUPPRESSED,	/* events not sent: over the per-container rate */
	BH_FS_LOST,		/* events not sent: ring buffer full */
	BH_FS_OVERLONG,		/* paths decided by the over-long default */
	BH_FS_GLOB_OVER,	/* glob evaluations cut short by the step bound */
	BH_FS_COUNT,
};

/* Hooks (bh_file_event.hook). */
enum bh_file_hook {
	BH_FH_OPEN = 0, BH_FH_EXEC, BH_FH_MKNOD, BH_FH_MKDIR, BH_FH_RMDIR, BH_FH_UNLINK,
	BH_FH_SYMLINK, BH_FH_LINK, BH_FH_RENAME, BH_FH_TRUNCATE, BH_FH_CHMOD, BH_FH_CHOWN,
	BH_FH_MOUNT, BH_FH_TP_OPEN, BH_FH_TP_EXEC, BH_FH_MMAP, BH_FH_COUNT,
};

/* bh_file_event.action */
#define BH_FILE_ACT_DENY	1
#define BH_FILE_ACT_AUDIT	2

/* bh_file_event.flags */
#define BH_FE_OVERLONG	(1u << 0)	/* path too long or unresolvable: the safe default decided */
#define BH_FE_KILLED	(1u << 1)	/* fallback: the process was sent SIGKILL */
#define BH_FE_EXEC_TAB	(1u << 2)	/* decided by the exec table (spec.exec) */
#define BH_FE_PERMS	(1u << 3)	/* rename/link: the new name would be less restricted */
#define BH_FE_HELD	(1u << 4)	/* a new cgroup not classified yet */

/* Ring-buffer record, kind BH_EV_FILE. */
struct bh_file_event {
	struct bh_event_hdr hdr;
	__u8  op;		/* BH_OP_* (BH_OP_MOUNT for a bind mount) */
	__u8  action;		/* BH_FILE_ACT_* */
	__u8  hook;		/* enum bh_file_hook */
	__u8  gen;
	__u16 flags;		/* BH_FE_* */
	__u16 path_len;		/* bytes in path, without the NUL */
	__u32 policy_id;
	__u32 ref;		/* POLICY_REF() of the deciding rule */
	__u32 suppressed;	/* events of this container suppressed before this one */
	__u32 pad;
	char  path[BH_FILE_PATH_MAX + 4];
};
_Static_assert(sizeof(struct bh_file_event) == 64 + 24 + BH_FILE_PATH_MAX + 4, "bh_file_event layout");

/*
 * The decision memo (bpf/lib/file_memo.bpf.h): a direct-mapped table of
 * BH_MEMO_ENTRIES entries (one array element), at a hash of the file's
 * dentry: the ops a container's policy allowed on the file under that name,
 * one mount, one task root and one state of the file tree. A hit needs every
 * field to equal what the hook sees now; writers take the entry's seq (odd
 * while written, cmpxchg) and readers check it before and after, so nobody
 * acts on half an entry. A collision evicts: it costs a full decision, never
 * a wrong one.
 */
#define BH_MEMO_ENTRIES	16384	/* a power of two */
#define BH_MEMO_BITS	14
#define BH_MEMO_NAME	56	/* invoked-name bytes an exec entry holds (with the NUL) */
_Static_assert(BH_MEMO_ENTRIES == 1u << BH_MEMO_BITS, "bh_file_memo size");

/* bh_file_memo.ok: what was decided allowed */
#define BH_MEMO_READ	(1u << BH_OP_READ)	/* file_open for reading */
#define BH_MEMO_WRITE	(1u << BH_OP_WRITE)	/* file_open for writing */
#define BH_MEMO_EXEC	(1u << 5)		/* bprm_check_security, under name[] */
#define BH_MEMO_MMAP	(1u << 6)		/* mmap_file with PROT_EXEC */

struct bh_file_memo {
	__u64 seq;		/* odd while a writer fills it */
	__u64 dentry;		/* the name (kernel pointer, as a key: BH_MEMO_KEY); its
				 * free clears the entry, a rename moves the epoch */
	__u64 mnt;		/* the vfsmount it was reached through (key) */
	__u64 css;		/* the task's css_set (key): its cgroups, so the container,
				 * whose policy is fixed while the epoch is */
	__u64 root_d, root_m;	/* the task's root (fs->root, keys) */
	__u64 epoch;		/* bh_memo_ctl.epoch before the decision: policy changes,
				 * renames, mount and root changes and cgroup moves made
				 * since make it stale */
	__u64 name_lens;	/* exec: the policy's bh_file_pol.name_lens; an invoked
				 * name whose length has no bit here is never read */
	__u8  ok;		/* BH_MEMO_* */
	__u8  name_len;		/* exec: invoked-name bytes with the NUL; 0 = not absolute
				 * (or not read) */
	__u16 pad;
	__u32 dseq;		/* the dentry's d_seq, even and hashed when decided: an
				 * unlink, a drop (" (deleted)") or a move changes it */
	char  name[BH_MEMO_NAME];	/* exec: the invoked name, zero-padded */
};
_Static_assert(sizeof(struct bh_file_memo) == 9 * 8 + BH_MEMO_NAME, "bh_file_memo layout");
_Static_assert(sizeof(struct bh_file_memo) == 128, "bh_file_memo: two cache lines");

/*
 * Containers with nothing to check (bpf/lib/file_memo.bpf.h): a
 * direct-mapped table at a hash of the task's css_set, each entry saying
 * which rule kinds (BH_CGP_*) the css_set's cgroup had a policy for (none:
 * the host, a container without a policy) under one epoch. A hook whose kind
 * the entry lacks returns at once, without the cgroup -> policy lookup.
 */
#define BH_MEMO_NOPOL	1024	/* a power of two */
#define BH_MEMO_NOPOL_BITS 10
_Static_assert(BH_MEMO_NOPOL == 1u << BH_MEMO_NOPOL_BITS, "bh_memo_nopol size");

struct bh_memo_nopol {
	__u64 seq;		/* odd while a writer fills it */
	__u64 css;		/* the css_set (key, as the entry keeps it: BH_MEMO_KEY) */
	__u64 epoch;		/* bh_memo_ctl.epoch before the policy was looked up */
	__u32 pflags;		/* BH_CGP_* of its policy (0: none) */
	__u32 pad;
};
_Static_assert(sizeof(struct bh_memo_nopol) == 32, "bh_memo_nopol layout");

struct bh_file_memo_table {
	struct bh_file_memo e[BH_MEMO_ENTRIES];
	struct bh_memo_nopol np[BH_MEMO_NOPOL];
};

/* bh_memo_ctl.mode (bpf/abi/enforce.h; BULKHEAD_FILE_MEMO=off|verify; default on) */
#define BH_MEMO_ON	0
#define BH_MEMO_OFF	1	/* never looked up, never stored: every decision in full */
#define BH_MEMO_VERIFY	2	/* looked up, and every hit decided in full too: a hit
				 * whose full decision denies or reports is a mismatch */
#define BH_MEMO_MODE_MASK	3
#define BH_MEMO_COUNT_HITS	(1u << 8)	/* count hits too (misses always are): a
						 * per-CPU counter costs a helper call on the hit path */
/* bh_memo_ctl.kflags (set by bpf/lib/file_memo.bpf.h, never cleared) */
#define BH_MEMO_K_NOLEN		(1u << 0)	/* an invoked name's length, as the hit path
						 * computes it, was once found wrong: every
						 * exec under name_lens then reads the name */

/* bh_fmemo_stats: per-CPU counters at BH_MEMO_STAT(hook, kind) */
enum bh_memo_hook { BH_MH_OPEN = 0, BH_MH_EXEC, BH_MH_MMAP, BH_MH_COUNT };
enum bh_memo_kind {
	BH_MS_HIT = 0,		/* decided by the memo (counted with BH_MEMO_COUNT_HITS) */
	BH_MS_MISS,		/* looked up, decided in full */
	BH_MS_STORE,		/* an allow memoized */
	BH_MS_MISMATCH,		/* verify mode: a hit the full decision contradicts */
	BH_MS_COUNT,
};
#define BH_MEMO_STAT(hook, kind)	((hook) * BH_MS_COUNT + (kind))
#define BH_MEMO_STATS			(BH_MH_COUNT * BH_MS_COUNT)

#endif
