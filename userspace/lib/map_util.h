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

/*
 * fn(fd, info, ctx) for every loaded map called name (whoever loaded it: tests and
 * benchmarks find the agent's unpinned maps this way). Returns how many fn
 * returned 0 for.
 */
struct bpf_map_info;
int map_each_named(const char *name, int (*fn)(int fd, const struct bpf_map_info *info, void *ctx),
		   void *ctx);

/*
 * A list of map entries built in memory before anything is written: keys and
 * values of fixed sizes, stored back to back (the layout BPF_MAP_UPDATE_BATCH
 * takes).
 */
struct kv_list {
	uint32_t ksz, vsz;
	uint32_t n, cap;
	uint8_t *keys, *vals;
};

void kv_init(struct kv_list *l, uint32_t ksz, uint32_t vsz);
void kv_free(struct kv_list *l);
/* Append one entry; 0 or -ENOMEM. */
int kv_add(struct kv_list *l, const void *key, const void *val);
/* Shrink the buffers to what is used (a list kept for long). */
void kv_shrink(struct kv_list *l);
static inline void *kv_key(const struct kv_list *l, uint32_t i) { return l->keys + (size_t)i * l->ksz; }
static inline void *kv_val(const struct kv_list *l, uint32_t i) { return l->vals + (size_t)i * l->vsz; }

/*
 * Write (update, BPF_ANY) or delete n entries: BPF_MAP_{UPDATE,DELETE}_BATCH
 * in chunks where the map type supports it, one syscall per entry where it
 * does not. A delete of a missing key is not an error. 0 or -errno.
 */
int map_update_many(int fd, const void *keys, const void *vals, uint32_t ksz, uint32_t vsz,
		    uint32_t n);
int map_delete_many(int fd, const void *keys, uint32_t ksz, uint32_t n);

#endif
