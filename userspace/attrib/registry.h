/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Container registry: cgroup v2 id (what bpf_get_current_cgroup_id() returns)
 * -> the container that owns the cgroup.
 *
 * On a miss the id is turned into a path with open_by_handle_at() on the
 * cgroup2 mount (a kernfs file handle holds the 64-bit id; no tree walk),
 * the path is matched against the runtime layouts (cgroup_path.h) and the
 * runtime's state is read for pod, namespace, container name and image
 * (oci_state.h). A cgroup that matches no layout is the host's, unless some
 * runtime's state names it (runc's default cgroupsPath is /<id>).
 *
 * Answers that may still change are re-resolved later, never cached for good:
 *   - a container whose state is not there yet (just created): retried after
 *     negative_ttl_ms, backing off to 30 s;
 *   - a host-looking cgroup: re-checked against the state roots every
 *     negative_ttl_ms during its first settle_ms (runc makes the cgroup
 *     before it writes its state), then final.
 * Memory is bounded: at most max_entries, least recently used evicted first.
 *
 * Not thread-safe: one owner (the event loop). A returned pointer stays
 * valid until the next call on the registry.
 */
#ifndef BULKHEAD_REGISTRY_H
#define BULKHEAD_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline/container.h"	/* struct container_info: what it answers */

struct registry_config {
	const char *cgroup2_root;		/* NULL: /sys/fs/cgroup/unified if cgroup2, else /sys/fs/cgroup */
	const char *const *state_roots;		/* NULL-terminated; NULL: registry_default_state_roots */
	unsigned max_entries;			/* 0: 16384 */
	unsigned negative_ttl_ms;		/* 0: 1000 */
	unsigned settle_ms;			/* 0: 5000 */
};

/*
 * /run/runc (runc, CRI-O), /run/containerd/runc/k8s.io,
 * /run/containerd/io.containerd.runtime.v2.task (containerd: every namespace),
 * /run/crun, /var/lib/docker/containers (Docker: config.v2.json),
 * /run/docker/runtime-runc/moby, /run/docker/containerd/daemon/io.containerd.runtime.v2.task,
 * /run/containerd/runc/moby, /run/containers/storage/overlay-containers (CRI-O),
 * /var/lib/containers/storage/overlay-containers (podman: userdata/config.json
 * and containers.json).
 *
 * A root whose last component is io.containerd.runtime.v2.task holds one
 * directory per containerd namespace: <root>/<namespace>/<id>/config.json is
 * looked up in each (at most 64 namespaces). For one container id, the first
 * root that has it gives its state; later roots only fill fields it left
 * empty (Docker: runc's state has the cgroup, config.v2.json the name).
 */
extern const char *const registry_default_state_roots[];

struct registry *registry_new(const struct registry_config *cfg);
void registry_free(struct registry *r);

/* Never NULL: an unknown id is host=true, with cgroup_path if resolvable. */
const struct container_info *registry_lookup(struct registry *r, uint64_t cgroup_id);

/* The cgroup was removed (cgroup_rmdir): drop what we know. */
void registry_forget(struct registry *r, uint64_t cgroup_id);

/*
 * The cgroup's path is already known (cgroup_mkdir tracepoint, start-up
 * walk): resolve without a file handle lookup. @path is relative to the
 * cgroup2 mount.
 */
const struct container_info *registry_add_path(struct registry *r, uint64_t cgroup_id,
					       const char *path);

/*
 * Walk the cgroup2 tree once (at start-up) and register every cgroup that
 * belongs to a container. Bounded: at most max_entries directories, depth 32.
 * Returns the number of container cgroups found, or -errno.
 */
int registry_scan(struct registry *r);

size_t registry_size(const struct registry *r);

struct registry_stats {
	uint64_t lookups, hits, misses, evictions, rechecks;
	uint64_t handle_resolves, walk_resolves, unresolved;
};
void registry_get_stats(const struct registry *r, struct registry_stats *st);

/* Whether open_by_handle_at() resolves cgroup ids here (else: bounded walks). */
bool registry_uses_handles(const struct registry *r);

/* Resolve one cgroup id to its path relative to the cgroup2 mount, no caching.
 * 0, -ESTALE if the cgroup is gone, another -errno. */
int registry_cgroup_path(struct registry *r, uint64_t cgroup_id, char *buf, size_t size);

#endif
