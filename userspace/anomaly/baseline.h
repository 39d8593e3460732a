/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Baselines: EWMA mean and variance of each metric, per workload (replicas of
 * one owner share one: the key is namespace/pod-without-replica-suffix/
 * container), over a long window; each container also keeps a short window
 * (its current level). A workload's baseline is warm after warmup samples;
 * before that only absolute floors can alert. Persisted in a state file
 * (written atomically, read as hostile input), so a restart or a rolling
 * update does not learn again.
 */
#ifndef BULKHEAD_ANOMALY_BASELINE_H
#define BULKHEAD_ANOMALY_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum anom_metric {
	AM_FORKS = 0,		/* new processes per second */
	AM_EXECS,
	AM_CONNECTS,
	AM_PORTS,		/* distinct destination ports in a second */
	AM_DESTS,		/* distinct destination addresses in a second */
	AM_CPU,			/* percent of one CPU */
	AM_MEMORY,		/* bytes */
	AM_EGRESS,		/* bytes sent per second */
	AM_COUNT
};

extern const char *const anom_metric_names[AM_COUNT];

struct ewma {
	double mean, var;
	uint64_t n;		/* samples seen */
};

/* alpha for a window of n samples: 2 / (n + 1). */
double ewma_alpha(double window);
void ewma_add(struct ewma *e, double x, double alpha);
double ewma_sd(const struct ewma *e);
/* (x - mean) / sd, with sd at least min_sd (a flat baseline is not infinitely sure). */
double ewma_z(const struct ewma *e, double x, double min_sd);

#define BASELINE_KEY_MAX 200
#define BASELINE_MAX_WORKLOADS 4096

struct workload {
	char key[BASELINE_KEY_MAX];
	struct ewma m[AM_COUNT];
	uint64_t first_seen;	/* unix seconds */
	uint32_t containers;	/* live containers of it now */
	bool dirty;
};

/*
 * The workload key of a container: "ns/pod-base/container". The pod's
 * replica suffix is stripped: a Deployment's "-<template hash>-<5 chars>",
 * a DaemonSet's or Job's "-<5 chars>", a StatefulSet's "-<ordinal>". Without
 * a pod: "image:<image>" or "ct:<name or id>".
 */
void workload_key(const char *ns, const char *pod, const char *container, const char *image,
		  const char *id, char *out, size_t len);
/* The pod name with its replica suffix stripped (exposed for tests). */
size_t pod_base_len(const char *pod);

struct baselines;

struct baselines *baselines_new(void);
void baselines_free(struct baselines *b);
/* The workload of key, made if new (NULL when the table is full). */
struct workload *baselines_get(struct baselines *b, const char *key, uint64_t now_s);
size_t baselines_count(const struct baselines *b);

/*
 * State file: "bulkhead-anomaly-state 1" then one line per workload metric:
 *   w KEY METRIC N MEAN VAR FIRST_SEEN
 * (KEY %-escaped). Saved to path.tmp, fsync'd and renamed. Loading checks every
 * line (known metric, finite numbers, var >= 0, bounded sizes) and refuses the
 * whole file on the first bad line, saying which. 0 or -1 with err.
 */
int baselines_save(const struct baselines *b, const char *path, char *err, size_t errlen);
int baselines_load(struct baselines *b, const char *path, char *err, size_t errlen);
int baselines_load_buffer(struct baselines *b, const char *buf, size_t len, char *err, size_t errlen);

#endif
