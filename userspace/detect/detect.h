/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The escape detector: kernel signals (detect/escape.c, and the LSM guard's
 * refusals, same records) and process telemetry's execs become kind "alert"
 * events by the rules of detect/rules.c. For each record it resolves the
 * target (a pid named from a container that shares the host's pid namespace
 * is looked up in /proc), asks the container's policy whether that
 * protection is on, deduplicates (one attempt, one alert: a rule fires once
 * per container per DETECT_DEDUP_MS, repeats are counted into the next), and
 * hands the alert, with its evidence and ancestry, to its event sink.
 */
#ifndef BULKHEAD_DETECT_H
#define BULKHEAD_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline/sink.h"

#define DETECT_DEDUP_MS		30000
#define DETECT_DEDUP_MAX	4096

struct policy;

/* Which policy governs a container (NULL: none; every protection then alerts). */
struct detect_policy {
	const struct policy *(*of)(void *ctx, uint64_t cgroup_id);
	void *ctx;
};

struct detect_config {
	const char *btf_path;
	const char *proc;		/* NULL: /proc */
	const char *cgroup2;		/* the cgroup2 mount (a container's processes), or NULL */
	uint32_t agent_tgid;
	uint64_t root_cgroup_id;
	int shared_task_fd;		/* the guard's pinned bh_esc_task, or -1 */
};

struct detect;

/* Load the escape sensor and set up the engine. NULL with a reason in err. */
struct detect *detect_open(const struct detect_config *c, const struct event_sink *sink,
			   const struct detect_policy *pol, char *err, size_t errlen);
/* The engine alone, without a kernel sensor yet (tests, replay; detect_attach adds it). */
struct detect *detect_new(const struct detect_config *c, const struct event_sink *sink,
			  const struct detect_policy *pol);
/*
 * Load and attach the kernel sensor. pin_dir: the enforcement core's pins, whose
 * container policies say what to kill where there is no BPF LSM (NULL: alerts
 * only); task_fd: the guard's pinned armed-task map to share, or -1. 0 or -1.
 */
int detect_attach(struct detect *d, const char *pin_dir, int task_fd, char *err, size_t errlen);
/* The protections killed for containers not classified yet (the NodeDefault's). */
void detect_kill_default(struct detect *d, uint32_t protections);
/* One line for the agent's log: what this kernel lets the sensor see and do. */
const char *detect_describe(struct detect *d);
int detect_ringbuf_fd(const struct detect *d);
/* The sensor's map of armed tasks (-1 without a sensor), to share with the guard. */
int detect_task_fd(const struct detect *d);
void detect_lost_fds(const struct detect *d, int *per_cgroup, int *total);
/* ring_buffer_sample_fn for bh_esc_event records (escape sensor and guard): ctx is the struct detect. */
int detect_escape_handle(void *ctx, void *data, size_t size);
/* Every event with its container: execs are matched by name (module tools). */
void detect_event(struct detect *d, const struct event *ev);
/* Periodic: the kernel's clock offset, expiry of deduplication entries. */
void detect_tick(struct detect *d, uint64_t now_ms);
uint64_t detect_alerts(const struct detect *d);
void detect_close(struct detect *d);

#endif
