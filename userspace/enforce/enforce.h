/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The enforcement core, userspace half of bpf/enforce.bpf.c: the pinned maps
 * every enforcing feature shares, and the generation swap that replaces the
 * policy in force without a moment of half a policy or none.
 *
 *	struct enforce *e = enforce_open(&opts, err, sizeof(err));
 *	net = net_open(e, ...);			// features register with the core
 *	int gen = enforce_begin(e);		// inactive generation, cleared
 *	net_lower_policy(net_maps_of(net), gen, p, &st);	// each feature fills gen
 *	enforce_txn_assign(e, cgid, &pol);	// containers -> policies in gen
 *	enforce_commit(e);			// flip, RCU barrier, clear the old gen
 *	enforce_assign(e, cgid, &pol, NULL);	// a container appearing later
 *
 * The BPF side reads the active generation once per hook and uses it for
 * every lookup of that hook (bh_policy_for()). enforce_commit() flips the
 * generation, then waits for an RCU grace period (an update of bh_barrier, a
 * map-in-map, which the kernel follows with synchronize_rcu()), so no hook
 * still runs on the old generation when its entries are deleted.
 *
 * Maps are pinned by name under the pin directory (default
 * /sys/fs/bpf/bulkhead); a restarted agent reuses them, and the counter slot
 * of each container survives. Not thread-safe: one owner, the event loop.
 *
 * Include it as "enforce/enforce.h"; the kernel/user records it builds on are
 * "abi/enforce.h".
 */
#ifndef BULKHEAD_ENFORCE_USER_H
#define BULKHEAD_ENFORCE_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The shared layouts; the path is explicit because this header has the same name. */
#include "abi/enforce.h"

#define ENFORCE_MAX_FEATURES 8
#define ENFORCE_LINK_SUBDIR  "links"	/* <pin dir>/links/<feature>_<program> */

struct enforce;

struct enforce_opts {
	const char *pin_dir;		/* NULL: BH_PIN_DIR_DEFAULT */
	const char *btf_path;		/* NULL: the running kernel's */
};

/* A feature's per-generation and per-slot state, cleared through the core. */
struct enforce_feature {
	const char *name;
	/* Delete every entry of generation gen from the feature's maps. */
	int (*clear_gen)(void *ctx, uint32_t gen);
	/* Zero the feature's counters of a slot about to be given to a container. */
	int (*reset_slot)(void *ctx, uint32_t slot);
	void *ctx;
};

/* Creates the pin directory and the shared maps, or reuses pinned ones. */
struct enforce *enforce_open(const struct enforce_opts *opts, char *err, size_t errlen);
void enforce_close(struct enforce *e);	/* userspace only: pins stay */

const char *enforce_pin_dir(const struct enforce *e);
/* "<pin dir>/links/<name>" into buf; creates the links directory. */
int enforce_link_path(const struct enforce *e, const char *name, char *buf, size_t len);
/*
 * Free a feature's link. detach: first take it off its hook, then remove its
 * pin (the order of enforce_unload()); without, a pinned link stays in force.
 */
struct bpf_link;
void enforce_link_close(struct bpf_link *l, bool detach);
int enforce_register(struct enforce *e, const struct enforce_feature *f);

uint32_t enforce_active_gen(const struct enforce *e);
/* Which generation a transaction is filling, or -1 if none is open. */
int enforce_txn_gen(const struct enforce *e);

/* Open a transaction: clears the inactive generation; returns it, or -errno. */
int enforce_begin(struct enforce *e);
/* Assign a container its policy in the transaction's generation. */
int enforce_txn_assign(struct enforce *e, uint64_t cgroup_id, const struct bh_cg_policy *pol);
/* Flip to the transaction's generation, wait out readers, clear the old one. */
int enforce_commit(struct enforce *e);
/* Drop the transaction: clears its generation; the active one is untouched. */
void enforce_abort(struct enforce *e);

/*
 * A container appearing (or re-classified) outside a transaction: write its
 * entry in the active generation; with a transaction open, pending (from the
 * new set; NULL = no entry) goes into the transaction's generation too. A
 * NULL active deletes the entry. pol->slot is filled in by the core. Releases
 * the container's hold, if any.
 */
int enforce_assign(struct enforce *e, uint64_t cgroup_id, const struct bh_cg_policy *active,
		   const struct bh_cg_policy *pending);
/* The cgroup is gone: delete its entries in both generations, free its slot. */
void enforce_forget(struct enforce *e, uint64_t cgroup_id);
/* The container's counter slot (allocated on first use; 0 if none is free). */
uint32_t enforce_slot(struct enforce *e, uint64_t cgroup_id);
/* The container's slot if it has one, else 0 (never allocates): for metrics,
 * e.g. net_counters(net, enforce_slot_lookup(e, cgid), &c). */
uint32_t enforce_slot_lookup(struct enforce *e, uint64_t cgroup_id);
/* Stop holding a new cgroup (classified as needing no entry). */
void enforce_release(struct enforce *e, uint64_t cgroup_id);

/* Wait until no BPF program runs with state read before this call. */
int enforce_barrier(struct enforce *e);

/* Entries of a generation, for tests and metrics. */
uint32_t enforce_count(const struct enforce *e, uint32_t gen);

/*
 * A new policy epoch (bh_policy_epoch): every decision a feature memoized
 * under the old one is decided again. The core starts one itself whenever a
 * container's entry in force changes outside a transaction; features start
 * one when their own state changes (a generation cleared, a slot reused).
 */
int enforce_bump_epoch(struct enforce *e);
/*
 * The file decision memo's control (bh_memo_ctl, bpf/abi/enforce.h), given
 * its map's fd: the epoch moved BH_MEMO_EPOCH_JUMP ahead, and the mode set
 * if mode >= 0, each with one atomic instruction on the mapped value (the
 * kernel side bumps the same epoch). The core does this after every policy
 * change; the file feature and the tools set the mode through it.
 */
int enforce_memo_write(int memo_ctl_fd, int64_t mode);
/*
 * Make a global-variable section of an object not yet loaded (".data.<name>",
 * ".bss") the pinned map <pin_dir>/<name>, so its programs read that map as a
 * global: one load, no lookup. The kernel allows it for one-entry arrays.
 */
struct bpf_map;
int enforce_alias_map(struct bpf_map *m, const char *pin_dir, const char *name);
int enforce_memo_ctl_fd(const struct enforce *e);
/* bh_cg_hold, for the cgroup tracer (userspace/telemetry/cgroup_events.c) to write. */
int enforce_hold_fd(const struct enforce *e);

/*
 * Remove everything under a pin directory: detach every pinned link
 * (<pin dir>/links/...), unpin the maps, remove the directories, then wait
 * (up to wait_ms) until the links' programs are freed: the kernel may release
 * a link in a work item after its last reference goes (6.12 does), and its
 * program runs on its hook until then. A freed program (its id gone) is off
 * its hook. Returns the number of links removed, or -errno with a reason in
 * err; rep says how long it waited and which programs are still loaded.
 */
#define ENFORCE_UNLOAD_MAX_PROGS 256	/* bulkhead pins about 75 programs */
#define ENFORCE_UNLOAD_WAIT_MS	 10000
struct enforce_unload_rep {
	int progs;		/* programs behind the removed links */
	int lingering;		/* still loaded when the wait ended */
	unsigned waited_ms;
	uint32_t lingering_id[ENFORCE_UNLOAD_MAX_PROGS];
};
int enforce_unload_report(const char *pin_dir, unsigned wait_ms, struct enforce_unload_rep *rep,
			  char *err, size_t errlen);
/* The same, waiting ENFORCE_UNLOAD_WAIT_MS; a program still loaded then is logged. */
int enforce_unload(const char *pin_dir, char *err, size_t errlen);

/* Program ids, by the links that hold them (a detach-on-exit agent's own). */
struct enforce_prog_set {
	uint32_t id[ENFORCE_UNLOAD_MAX_PROGS];
	int n;
};
/* The programs behind the links pinned under pin_dir (none if there is no pin directory). */
void enforce_pinned_progs(const char *pin_dir, struct enforce_prog_set *ps);
/*
 * Wait up to wait_ms until none of ps's programs is loaded (freed ids are
 * zeroed); returns how many still are, and the time waited in *waited_ms.
 */
int enforce_wait_freed(struct enforce_prog_set *ps, unsigned wait_ms, unsigned *waited_ms);

#endif
