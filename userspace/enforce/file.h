/* SPDX-License-Identifier: GPL-2.0 */
/*
 * File and exec enforcement, the userspace half of bpf/file.bpf.c (BPF LSM)
 * and bpf/fallback.bpf.c (syscall tracepoints, kernels without BPF LSM):
 *   file.c        loads the programs (maps pinned under the enforcement pin
 *                 directory, shared by both objects), attaches them, reads
 *                 counters and decodes the kernel's bh_file_event records;
 *   file_lower.c  lowers a policy's file and exec tables into one generation
 *                 of the path trie (layout: bpf/abi/file.h). It knows only the
 *                 maps it writes (struct file_maps, which file.c hands out).
 *
 *	struct file_enf *f = file_open(e, &opts, err, sizeof(err));
 *	file_lower_policy(file_maps_of(f), gen, p, &st);	// inside an enforce transaction
 *	ring_buffer__add(rb, file_ringbuf_fd(f), ...);  file_decode(data, size, &ev, &gen);
 */
#ifndef BULKHEAD_FILE_USER_H
#define BULKHEAD_FILE_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The shared layouts; the path is explicit because this header has the same name. */
#include "abi/file.h"
#include "enforce/enforce.h"
#include "pipeline/event.h"
#include "policy/policy.h"

/* Which programs to load: what 'bulkhead probe' decided (enforce/probe.h), never guessed here. */
enum file_mode {
	FILE_MODE_LSM = 1,	/* BPF LSM (BH_MODE_LSM), or fail */
	FILE_MODE_FALLBACK,	/* syscall tracepoints + SIGKILL (BH_MODE_FALLBACK), or fail */
	FILE_MODE_LOAD_ONLY,	/* maps only, of whichever object loads; nothing attached
				 * (tests of the lowering) */
	FILE_MODE_BENCH_EMPTY,	/* only the empty baseline programs (make bench) */
};

struct file_opts {
	enum file_mode mode;
	const char *no_lsm_why;		/* FILE_MODE_FALLBACK: why not BPF LSM (the probe's
					 * finding), for the messages; NULL: not said */
	const char *btf_path;		/* NULL: the running kernel's */
	uint32_t wakeup_bytes;		/* 0: a quarter of the ring */
	uint32_t events_per_sec;	/* per container; 0: BH_FILE_EVENTS_PER_SEC */
	uint32_t events_burst;		/* 0: BH_FILE_EVENTS_BURST */
	uint32_t memo;			/* BH_MEMO_ON (0), BH_MEMO_OFF, BH_MEMO_VERIFY: the decision
					 * memo (BPF LSM); BULKHEAD_FILE_MEMO=on|off|verify in the
					 * environment overrides it (tests, benchmarks) */
};

struct file_enf;

/*
 * Can this kernel run the BPF LSM file and exec programs? Loads them (private
 * maps: nothing pinned, nothing shared) and attaches each to its hook for a
 * moment (with no policy in their maps they allow everything). 0 when all load
 * and attach; -errno otherwise; out says what (bulkhead probe's rows).
 */
struct file_probe {
	bool loaded;		/* the verifier took every program */
	bool hooks_ok;		/* every one attached to its LSM hook */
	int hooks;		/* programs (hooks) tried */
	char load_detail[256];
	char hook_detail[384];	/* the hooks attached, or those that failed and why */
};
int file_probe(const char *btf_path, struct file_probe *out);

/* Open, configure, load (maps pinned under the core's pin directory),
 * register with the core, attach. NULL with a one-line reason in err. */
struct file_enf *file_open(struct enforce *e, const struct file_opts *o, char *err, size_t errlen);
/* detach: also unpin the links (bulkhead run --detach-on-exit). */
void file_close(struct file_enf *f, bool detach);

/* Which programs are in force: FILE_MODE_LSM or FILE_MODE_FALLBACK (or LOAD_ONLY). */
enum file_mode file_mode_of(const struct file_enf *f);
const char *file_mode_describe(const struct file_enf *f);
int file_ringbuf_fd(const struct file_enf *f);
int file_prog_fd(const struct file_enf *f, const char *name);

/*
 * The maps a policy is lowered into (fds of whichever object loaded, owned by
 * file.c) and the glob slots handed out in each generation.
 */
struct file_maps {
	int paths, globs, pol;
	uint32_t glob_next[2];	/* glob slots handed out per generation (file_lower_policy) */
	bool retain;		/* the policy engine's writer keeps both generations
				 * (enforce/lowered.c): a transaction does not clear them */
};
struct file_maps *file_maps_of(struct file_enf *f);

/* ---- lowering (file_lower.c) ---------------------------------------------- */

/* Does the policy restrict files (rules or a deny default)? exec? */
bool file_policy_active(const struct policy *p);
bool exec_policy_active(const struct policy *p);
/* The invoked-name lengths a deny rule of p could match (bh_file_pol.name_lens). */
uint64_t exec_name_lens(const struct policy *p);

struct file_lower_stats {
	uint32_t nodes;		/* trie entries written */
	uint32_t globs;		/* glob slots written */
	uint32_t policies;	/* policies lowered */
};

/* Write p's file and exec tables into generation gen of m. -errno on a map
 * error; -E2BIG / -EINVAL with a logged reason for what the kernel tables
 * cannot hold (pattern too long, too many globs under one prefix). */
int file_lower_policy(struct file_maps *m, uint32_t gen, const struct policy *p,
		      struct file_lower_stats *st);
/*
 * A policy's lowered file and exec tables in memory, generation 0's form with
 * glob slots counted from 0 (the writer adds the generation's and the
 * policy's glob base). Paths are kept packed in pool.
 */
struct file_block_ent {
	uint32_t off;			/* of the key bytes in pool */
	uint16_t len;			/* key bytes (with the NUL, if any) */
	uint16_t pad;
	uint32_t scope;			/* BH_FILE_SCOPE(0, table, policy) */
	struct bh_file_node node;
};
struct file_block {
	struct file_block_ent *ent;
	uint32_t n;
	char *pool;
	size_t pool_len;
	struct bh_file_glob *globs;
	uint32_t nglobs;
	struct bh_file_pol pol;
	uint32_t pol_scope;
	int lowered;			/* 0: the policy has no file/exec rules (nothing to write) */
};
/* Lower p into b. 0, or -errno with the reason in err (what the kernel tables cannot hold). */
int file_lower_build(const struct policy *p, struct file_block *b, char *err, size_t errlen);
void file_block_free(struct file_block *b);
/* Write (or, del, delete) b in generation gen, its globs from slot glob_base of that generation. */
int file_block_write(struct file_maps *m, uint32_t gen, const struct file_block *b, uint32_t glob_base,
		     bool del);

/* Delete every entry of generation gen (the core's clear_gen, through file.c). */
int file_clear_gen(struct file_maps *m, uint32_t gen);

/*
 * The lowered form in memory, for tests and for the writer: what the
 * kernel's trie holds for one table of one policy, and the decision the
 * kernel's lookup computes from it (must agree with policy_file_decide()
 * and policy_exec_decide()).
 */
struct file_entry {
	char key[BH_FILE_PATH_MAX];	/* path bytes; NUL-terminated entries include it */
	uint32_t keylen;		/* bytes compared (with the NUL if any) */
	struct bh_file_node node;	/* bucket[] holds indexes into the table's globs */
};

struct file_table {
	struct file_entry *ent;
	uint32_t n, cap;
	struct bh_file_glob *globs;
	uint32_t nglobs;
	uint8_t restrict_ops;		/* ops with any deny */
};

/* tab: BH_TAB_FILE or BH_TAB_EXEC. 0, or -errno with a reason in err. */
int file_table_build(const struct policy *p, int tab, struct file_table *t, char *err, size_t errlen);
void file_table_free(struct file_table *t);
/* The kernel's decision for op on path (absolute, normalized); *ref = rule. */
int file_table_decide(const struct file_table *t, const char *path, int op, uint32_t *ref);
/* The same glob matcher as the kernel's (bh_glob_match). */
int file_glob_match(const struct bh_file_glob *g, const char *path, uint32_t len);

/* ---- counters and events -------------------------------------------------- */

int file_stats(const struct file_enf *f, uint64_t out[BH_FS_COUNT]);

/*
 * Decode one ring-buffer record into ev (container, policy and rule names
 * are left to the caller). Returns 0, or -EINVAL for a malformed record.
 * The event points into data: use it before the record is released.
 */
int file_decode(const void *data, size_t size, struct event *ev, uint32_t *gen);

#endif
