/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The anomaly engine the agent runs: the kernel counters (counters.c), the
 * cgroup files (cgroup_stats.c), baselines (baseline.c), the rules
 * (detector.c) and learning mode (learn.c), once a second for every
 * container, plus the records of bh_anom_rb as they come. Alerts go to the
 * event sink it is given; it never calls the agent.
 *
 *   bpf/anomaly.bpf.c -> counters.c --(1 s)--> anomaly.c -> detector.c -> sink
 *   cgroup files -> cgroup_stats.c --(1 s)--/
 */
#ifndef BULKHEAD_ANOMALY_H
#define BULKHEAD_ANOMALY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event;
struct event_sink;

struct anomaly_config {
	const char *btf_path;
	const char *cgroup2;		/* the cgroup2 mount */
	const char *policy_path;	/* spec.anomaly of each container's policy; NULL: defaults */
	const char *state_path;		/* baselines kept here; NULL: not kept */
	uint32_t warmup_s;		/* 0: each policy's learningWindow */
	uint32_t learn_s;		/* learning mode window; 0: each policy's spec.anomaly.learn */
	const struct event_sink *sink;
};

struct anomaly;

/* NULL with a reason in err. */
struct anomaly *anomaly_open(const struct anomaly_config *c, char *err, size_t errlen);
/* Saves the baselines. */
void anomaly_close(struct anomaly *a);
int anomaly_ringbuf_fd(const struct anomaly *a);
void anomaly_lost_fds(const struct anomaly *a, int *per_cgroup, int *total);
/* ring_buffer_sample_fn for bh_anom_rb; ctx: the struct anomaly. */
int anomaly_handle(void *ctx, void *data, size_t size);
/* Sample every container and run the rules: call every ANOMALY_TICK_MS. */
#define ANOMALY_TICK_MS 1000
void anomaly_tick(struct anomaly *a);
void anomaly_cgroup_new(struct anomaly *a, uint64_t cgroup_id);
void anomaly_cgroup_gone(struct anomaly *a, uint64_t cgroup_id);
/* Telemetry the engine learns from (exec events): called on the emit path. */
void anomaly_observe(struct anomaly *a, const struct event *ev);
/*
 * Read the policies again (SIGHUP, a change on disk); a bad set keeps the old.
 * loaded: the set the agent has just put in force (copied, rules left out), so
 * it is not parsed twice; NULL: read it from the policy path.
 */
struct policy_set;
void anomaly_reload(struct anomaly *a, const struct policy_set *loaded);
/* Containers watched, alerts raised. */
void anomaly_stats(const struct anomaly *a, uint64_t *containers, uint64_t *alerts);

#endif
