/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace helpers over BPF maps shared by the enforcing features. */
#ifndef BULKHEAD_MAP_UTIL_H
#define BULKHEAD_MAP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Does this key belong to generation gen (or whatever arg selects)? */
typedef int (*map_key_pred)(const void *key, uint32_t arg);

/*
 * Delete every key of the map for which pred(key, arg) holds. Keys are
 * collected first and deleted afterwards: deleting while iterating makes
 * bpf_map_get_next_key() restart or skip. count (may be NULL) is increased
 * by the number of matching keys; with dry, nothing is deleted.
 * Returns 0 or the first -errno.
 */
int map_delete_matching(int fd, size_t key_size, map_key_pred pred, uint32_t arg,
			uint32_t *count, bool dry);

/*
 * The values of key in a per-CPU map of u64 counters (ncpus of them), summed
 * into *sum. 0, or -errno with *sum 0 (no such key, ncpus unknown).
 */
int map_percpu_sum(int fd, const void *key, int ncpus, uint64_t *sum);

#endif
