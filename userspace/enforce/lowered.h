/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A policy set lowered for the kernel, and the two generations it is written to.
 *
 *	struct lowered_set *ls = lowered_prepare(lw, set, true, &need, err, sizeof(err), NULL);
 *	// NULL: the set cannot be held (err says needed vs capacity per map); nothing written
 *	gen = enforce_begin(e);
 *	lowered_write(lw, ls, net_maps, file_maps, gen);	// only what differs from gen's content
 *	enforce_commit(e);	// the flip: the single commit point
 *
 * Each policy lowers to a block of map entries kept in memory (enforce/net.h
 * struct net_block, enforce/file.h struct file_block), named by a SHA-256 of
 * what the lowering reads. Both generations stay filled: the engine knows
 * what each holds (an image: its blocks) and a swap writes into the inactive
 * one only the blocks that differ from it, in batches. An unchanged policy
 * costs nothing; a set swapped back and forth costs nothing either.
 *
 * Capacity: every generation-swapped map is sized for two generations of
 * LOWERED_CAP_* entries each (the maps' max_entries are twice these), and a
 * set needing more than one generation's share is refused before anything is
 * written, with the numbers. See docs/ARCHITECTURE.md, "Map sizing".
 */
#ifndef BULKHEAD_LOWERED_H
#define BULKHEAD_LOWERED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

struct net_maps;
struct file_maps;

/* What a set takes in one generation, per map. */
enum lowered_map {
	LM_NET_CIDR4 = 0,	/* bh_net_cidr4 */
	LM_NET_CIDR6,		/* bh_net_cidr6 */
	LM_NET_PORTS,		/* bh_net_ports */
	LM_FILE_PATHS,		/* bh_file_paths */
	LM_FILE_GLOBS,		/* bh_file_globs */
	LM_FILE_POL,		/* bh_file_pol */
	LM_COUNT,
};
struct lowered_need {
	uint32_t n[LM_COUNT];
};
extern const char *const lowered_map_names[LM_COUNT];
/* Entries one generation may hold, per map (half of each map's max_entries). */
extern const uint32_t lowered_cap[LM_COUNT];

/*
 * Lower every policy of set (no maps needed: `bulkhead check` calls this
 * too) and compare with the capacity. 0 when it fits; -E2BIG (or the
 * lowering's error) with one line in err naming every map over its share:
 * "bh_net_ports: 1200000 entries needed, 1048576 per generation".
 */
int lowered_check(const struct policy_set *set, struct lowered_need *need, char *err, size_t errlen);

struct lowered;
struct lowered_set;

struct lowered *lowered_new(void);
void lowered_free(struct lowered *lw);

/*
 * Lower set (blocks of policies already lowered in either generation are
 * reused, not lowered again) and check it against the capacity. with_file:
 * file/exec rules are written (their programs are loaded). NULL with err as
 * in lowered_check, and *errnum (if errnum) ESTALE where a policy without
 * rule tables (policy_set_load_reusing()) has no block left to reuse: load
 * the set again without reuse.
 */
struct lowered_set *lowered_prepare(struct lowered *lw, const struct policy_set *set, bool with_file,
				    struct lowered_need *need, char *err, size_t errlen, int *errnum);
void lowered_set_free(struct lowered_set *ls);
/* A second reference to the same blocks (to write one set into both generations). */
struct lowered_set *lowered_set_dup(const struct lowered_set *ls);

struct lowered_write_stats {
	uint32_t written, deleted;	/* entries */
	uint32_t blocks_written, blocks_kept;
};
/*
 * Make generation gen hold ls: delete the blocks gen holds that ls does not,
 * write those it lacks. On success gen's image is ls (lw owns it then); on
 * an error gen's content is unknown and the next write clears it first.
 * maps: the features' (file may be NULL when ls has no file rules).
 */
int lowered_write(struct lowered *lw, struct lowered_set *ls, struct net_maps *net,
		  struct file_maps *file, uint32_t gen, struct lowered_write_stats *st);
/*
 * Right after the flip to gen: delete what lowered_write() left in gen for
 * later because no lookup of the new generation can reach it (the port
 * entries of replaced blocks, the entries of policies the set no longer
 * has). Not part of the swap's time. 0 or -errno (gen then cleared before
 * its next write).
 */
int lowered_after_flip(struct lowered *lw, struct net_maps *net, struct file_maps *file, uint32_t gen);
/* Forget what gen holds (after an error, or pins of another agent): cleared before the next write. */
void lowered_forget(struct lowered *lw, uint32_t gen);
/* Does lw know what gen holds? */
bool lowered_known(const struct lowered *lw, uint32_t gen);
/* The image of gen (NULL if none or unknown). */
struct lowered_set *lowered_image(struct lowered *lw, uint32_t gen);

#endif
