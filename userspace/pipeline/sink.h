/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where decoded events go, without knowing who takes them. Every producer
 * below the agent (telemetry decoders, enforcement, detection, anomaly) is
 * handed a struct event_sink at set-up time and never calls up into the
 * agent: the agent wires a sink to attribution, metrics and the outputs
 * (Tetragon's observer does the same with its listeners).
 *
 *   producer (decoder) --sink_emit()--> sink.container (attribution, never blocks)
 *                                       sink.emit      (hold / metrics / outputs)
 */
#ifndef BULKHEAD_SINK_H
#define BULKHEAD_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/event.h"

struct event_sink {
	/* The container of a cgroup id, from a cache: may be pending, never NULL.
	 * *json is its JSON member formatted once (or NULL). */
	const struct container_info *(*container)(void *ctx, uint64_t cgroup_id,
						  const char **json, size_t *json_len);
	/* Takes a copy of what it keeps: ev and its strings belong to the caller. */
	void (*emit)(void *ctx, const struct event *ev);
	/* A record failed its checks (hostile or corrupt input): counted. */
	void (*malformed)(void *ctx);
	void *ctx;
};

/* Attach the container of cgroup_id to ev and hand it on. */
static inline void sink_emit(const struct event_sink *s, uint64_t cgroup_id, struct event *ev)
{
	ev->container = s->container(s->ctx, cgroup_id, &ev->container_json, &ev->container_json_len);
	s->emit(s->ctx, ev);
}

static inline void sink_malformed(const struct event_sink *s)
{
	s->malformed(s->ctx);
}

/* cgroup v2 directories made and removed (telemetry/cgroup_events.c). */
struct cgroup_listener {
	void (*mkdir)(void *ctx, uint64_t cgroup_id, const char *path);	/* path may be NULL */
	void (*rmdir)(void *ctx, uint64_t cgroup_id);
	void (*malformed)(void *ctx);
	void *ctx;
};

#endif
