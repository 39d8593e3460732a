/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Container attribution for the event path, without blocking it.
 *
 * The event loop asks attrib_lookup(cgroup id) for every record. Answers come
 * from a cache owned by the loop; nothing on this path touches the disk.
 * Everything that does (a kernfs file handle to find the cgroup's path, the
 * runtime's state file for pod, namespace, name and image: about 84 us for a
 * runc state.json) runs on a resolver thread, which owns its own registry
 * (registry.h) and posts finished answers back through an eventfd.
 *
 *   - start-up: the resolver walks the cgroup2 tree and resolves every
 *     container cgroup it finds (the cache is warm before most events);
 *   - cgroup_mkdir (cgroup_events.c): the new cgroup is resolved at once, and
 *     again with short backoff while its runtime has not written its state;
 *   - a miss (a cgroup seen first in an event): the event is held, in a
 *     bounded deferral queue, until the answer comes (typically well under a
 *     millisecond), so that it still carries pod and namespace; events of the
 *     same container that arrive meanwhile are held behind it (per-container
 *     order is kept). If the answer takes longer than defer_ms, or the queue
 *     is full, the event goes out with what is known (its cgroup id);
 *   - cgroup_rmdir: the entry is dropped after a grace period (records of
 *     the cgroup's last processes may still wait in another ring buffer).
 *
 * Memory is bounded: max_entries cached answers (least recently used
 * evicted), defer_max held events, fixed-size queues to and from the resolver.
 *
 * Held events are deep copies: struct event's pointer fields (proc.exe,
 * proc.args, net.policy/rule, file.path/policy/rule) are copied; a new
 * pointer field in struct event must be added to attrib.c's event_strings().
 */
#ifndef BULKHEAD_ATTRIB_H
#define BULKHEAD_ATTRIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline/event.h"
#include "attrib/registry.h"

#define ATTRIB_MAX_ENTRIES_DEFAULT	16384
#define ATTRIB_DEFER_MAX_DEFAULT	4096
#define ATTRIB_DEFER_MS_DEFAULT		250
#define ATTRIB_GONE_GRACE_MS		2000

struct attrib_config {
	const char *cgroup2_root;		/* NULL: as registry.h */
	const char *const *state_roots;		/* NULL: registry_default_state_roots */
	unsigned max_entries;			/* 0: ATTRIB_MAX_ENTRIES_DEFAULT */
	unsigned defer_max;			/* 0: ATTRIB_DEFER_MAX_DEFAULT */
	unsigned defer_ms;			/* 0: ATTRIB_DEFER_MS_DEFAULT */
	bool no_scan;				/* skip the start-up walk (tests) */
};

/* Where held events go once their container is known (the agent's outputs). */
typedef void (*attrib_emit_fn)(void *ctx, const struct event *ev);
/* A cgroup's entry was dropped (after rmdir): forget per-container state. */
typedef void (*attrib_gone_fn)(void *ctx, uint64_t cgroup_id);

struct attrib;

struct attrib *attrib_new(const struct attrib_config *cfg, attrib_emit_fn emit,
			  attrib_gone_fn gone, void *ctx, char *err, size_t errlen);
void attrib_free(struct attrib *a);

/* Readable when the resolver has answers: then call attrib_process(). */
int attrib_fd(const struct attrib *a);
/* Apply the resolver's answers, send the events they release. */
void attrib_process(struct attrib *a);
/* Release events held too long, drop dead cgroups: at least by attrib_next_due_ms(). */
void attrib_tick(struct attrib *a);
/* When attrib_tick() has work next (CLOCK_MONOTONIC ms), UINT64_MAX if never. */
uint64_t attrib_next_due_ms(const struct attrib *a);

/*
 * Never blocks, never NULL. The answer may be pending (asked, not answered
 * yet): then it has only cgroup_id, and attrib_pending() says so.
 */
const struct container_info *attrib_lookup(struct attrib *a, uint64_t cgroup_id);
bool attrib_pending(const struct attrib *a, const struct container_info *ci);
/*
 * ci's JSON member ("container":{...}, event_json.h), formatted once per cache
 * entry and kept until the entry's answer changes, so that events only copy
 * it; NULL if ci is not a cache entry's (or its member is unusually long):
 * then the outputs format it per event. Valid until the next attrib_* call.
 */
const char *attrib_container_json(struct attrib *a, const struct container_info *ci, size_t *len);
/*
 * Hold a copy of ev (whose container is pending) until the container is
 * known; returns false if it could not be held (queue full): send it now.
 */
bool attrib_defer(struct attrib *a, const struct event *ev);
/* Send everything held now (at exit). */
void attrib_flush(struct attrib *a);

/* cgroup_mkdir / cgroup_rmdir (cgroup_events.c). path: relative to the cgroup2 mount, or NULL. */
void attrib_cgroup_new(struct attrib *a, uint64_t cgroup_id, const char *path);
void attrib_cgroup_gone(struct attrib *a, uint64_t cgroup_id);

struct attrib_stats {
	uint64_t lookups, hits, misses;
	uint64_t deferred, timeouts, overflow;	/* held; sent before known; not held (full) */
	uint64_t resolutions;			/* answers applied */
	uint64_t evictions, queue_full;		/* cache LRU evictions; requests not queued */
	uint64_t entries, containers, held;	/* now */
	uint64_t scanned;			/* container cgroups found by the start-up walk */
};
void attrib_get_stats(const struct attrib *a, struct attrib_stats *st);

#endif
