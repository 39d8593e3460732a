/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prometheus metrics. Counted on the event loop's thread (metrics_event(),
 * metrics_lost()); the exposition text is rendered by the loop once a second
 * (metrics_render()) and served as is by metrics_http.c, so a scrape costs
 * the agent a copy and never sees half-updated counters.
 *
 * Per-container series carry namespace, pod and container labels. Their
 * number is bounded: the first max_containers containers seen (default 100)
 * get series of their own, which are removed when the container's cgroup is
 * (metrics_forget()); events of containers beyond that are counted under
 * namespace="_other", pod="_other", container="_other". Host processes count
 * under empty namespace/pod/container. (A container never moves between its
 * own series and "_other": every counter stays monotonic.) kind and action
 * come from fixed sets; ring and output from the agent's own lists.
 */
#ifndef BULKHEAD_METRICS_H
#define BULKHEAD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline/event.h"
#include "output/output.h"

#define METRICS_MAX_CONTAINERS_DEFAULT	100
#define METRICS_MAX_RINGS		8
#define METRICS_MAX_SINKS		8

struct metrics_config {
	const char *addr;		/* --metrics-addr; NULL: count, but serve nothing */
	unsigned max_containers;	/* 0: METRICS_MAX_CONTAINERS_DEFAULT */
	bool bpf_stats;			/* --bpf-stats: turn on the kernel's BPF run-time stats */
};

/* What the agent knows, handed over at each render. */
struct metrics_agent {
	uint64_t containers_tracked;	/* live containers the agent knows */
	uint64_t cgroups_tracked;	/* attribution cache entries (containers and host cgroups) */
	uint64_t malformed;		/* ring-buffer records dropped as malformed */
	uint64_t attr_deferred;		/* events held until their container was known */
	uint64_t attr_timeouts;		/* ... of which sent before it was known */
	uint64_t attr_dropped;		/* ... not held: deferral queue full */
	uint64_t attr_resolutions;	/* answers from the background resolver */
	struct { const char *name; uint64_t lost; } rings[METRICS_MAX_RINGS];
	size_t nrings;
	struct output_sink_info sinks[METRICS_MAX_SINKS];
	size_t nsinks;
	uint64_t outputs_filtered;
};

struct metrics;

/* NULL with a reason in err (a bad address, a port in use). */
struct metrics *metrics_new(const struct metrics_config *cfg, char *err, size_t errlen);
void metrics_free(struct metrics *m);

/* A ring buffer to report usage for (producer/consumer positions, mmapped read-only). */
int metrics_add_ring(struct metrics *m, const char *name, int map_fd);
/* Add every bh_<x>_rb ring buffer this process holds that is not added yet. */
int metrics_discover_rings(struct metrics *m);

/* Counting, on the loop thread. */
void metrics_event(struct metrics *m, const struct event *ev);
void metrics_lost(struct metrics *m, const struct container_info *c, const char *ring, uint64_t n);
void metrics_forget(struct metrics *m, uint64_t cgroup_id);
/* A policy set was put in force (sha256: struct policy_set.sha256): bulkhead_policy_info
 * {sha256,generation} 1, generation counting the sets this agent put in force (1 first). */
void metrics_policy_loaded(struct metrics *m, const uint8_t sha256[32]);
/* A load or reload was refused (errors; the set in force stays): bulkhead_policy_load_errors_total. */
void metrics_policy_load_failed(struct metrics *m);

/* bulkhead_protection_verified{technique}: 1 refused or killed, 0 not protected (any thread;
 * metrics_verified.c). */
void metrics_protection_verified(struct metrics *m, const char *technique, int verified);
struct sbuf;
void metrics_render_verified(struct sbuf *b);

/* Rebuild the exposition (loop thread, about once a second). */
void metrics_render(struct metrics *m, const struct metrics_agent *ag);

/* Where the counters metrics does not keep itself are read at each update. */
struct attrib;
struct lost;
struct metrics_sources {
	const struct attrib *attr;	/* containers, attribution (NULL: all 0) */
	const struct lost *lost;	/* losses per ring (NULL: none) */
	struct output *out;		/* per-output queues and errors, filtered events */
	uint64_t malformed;		/* ring-buffer records dropped as malformed */
};
/*
 * Read the sources into a struct metrics_agent and render, if anybody can
 * read the text (--metrics-addr): else the counting goes on, the text is not made.
 */
void metrics_update(struct metrics *m, const struct metrics_sources *src);
/* A copy of the last rendered exposition (any thread): malloc'd, caller frees. */
long metrics_snapshot(struct metrics *m, char **buf);
/* The bound HTTP port, 0 if not serving. */
unsigned metrics_port(const struct metrics *m);

/* Label value escaping (exposition format): '\' '"' and newline; invalid UTF-8 -> U+FFFD. */
struct sbuf;
void metrics_escape_label(struct sbuf *b, const char *s);

#endif
