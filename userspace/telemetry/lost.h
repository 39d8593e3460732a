/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lost-record accounting. Every BPF feature counts the records it could not
 * reserve in its ring buffer, per cgroup (an LRU per-CPU hash, bh_*_lost)
 * and in total (a per-CPU array, bh_*_lost_total): bpf/lib/bulkhead.bpf.h.
 * lost_poll() reads them and reports, per container, what is new since the
 * last poll; the agent turns each report into a kind "lost" event on every
 * output, a metric and a log line. The per-cgroup map is read only when the
 * total grew, so a quiet system costs one lookup per ring and poll.
 */
#ifndef BULKHEAD_LOST_H
#define BULKHEAD_LOST_H

#include <stddef.h>
#include <stdint.h>

#define LOST_MAX_RINGS	8

struct lost;

/* count: records lost since the last report; total: for this cgroup so far. */
typedef void (*lost_report_fn)(void *ctx, const char *ring, uint64_t cgroup_id,
			       uint64_t count, uint64_t total);

struct lost *lost_new(void);
void lost_free(struct lost *l);
/* A ring's counters: its per-cgroup map (may be -1) and its total array. */
int lost_add(struct lost *l, const char *ring, int per_cgroup_fd, int total_fd);
/* Report what is new. Returns how many records were newly lost, all rings. */
uint64_t lost_poll(struct lost *l, lost_report_fn fn, void *ctx);
/* Totals per ring, for metrics. Returns the number of rings. */
size_t lost_totals(const struct lost *l, const char **names, uint64_t *totals, size_t n);
/* The cgroup is gone: forget what was reported for it. */
void lost_forget(struct lost *l, uint64_t cgroup_id);

/*
 * Find every feature's counters among the BPF maps this process holds, by
 * the naming convention of bpf/lib/bulkhead.bpf.h: bh_<x>_lost (per cgroup) and
 * bh_<x>_lost_total (the kernel keeps 15 characters of a name), and add
 * those not added yet. Features loaded by other parts of the agent (network,
 * file enforcement) are covered without their loaders knowing about this.
 * Returns the number of rings added.
 */
int lost_discover(struct lost *l);

/* The BPF maps this process holds (from /proc/self/fdinfo), each once: fn gets a
 * fd that stays valid during the call. */
struct bpf_map_info;
int bpf_own_maps(void (*fn)(void *ctx, int fd, const struct bpf_map_info *info), void *ctx);

/* "proc" -> "process", "cgev" -> "cgroup": the ring names reports use. */
const char *lost_ring_name(const char *x, char *buf, size_t len);

#endif
