/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The anomaly rules: one second of a container's signals (struct anom_obs,
 * built by anomaly.c from the kernel counters and the cgroup files) in,
 * alerts out through the event sink. The rules are data (detector.c's table:
 * id, category, severity, ATT&CK technique, metric, floors, how long the
 * condition must hold, how long it must be clear).
 *
 * A rule fires on any of:
 *   - its absolute floor ("cold": no baseline needed, e.g. failed forks, a CPU
 *     wanted at 80 % of its limit for 10 s (used, plus the time its tasks waited
 *     for a CPU: PSI; a 10 s average), an OOM kill, 20 distinct ports a second);
 *   - a spec.anomaly threshold (it replaces the learned trigger, and raises
 *     the cold floor to itself);
 *   - the baseline: once the workload's baseline is warm, a z-score over it
 *     (sensitivity: low 6, medium 4, high 3) AND a learned floor.
 * The condition must hold `sustain` seconds in a row. Then one alert opens an
 * episode; the episode ends (a "resolved" event) once the value stayed below
 * the clear level for `clear` seconds; a new episode of the same rule may not
 * open for `cooldown` seconds after that. Overlapping rules of one attack do
 * not both alert: a fork bomb also burns CPU, a port scan is also a burst of
 * connections; the rule listed in `masked_by` stays quiet while the other's
 * episode is open.
 */
#ifndef BULKHEAD_ANOMALY_DETECTOR_H
#define BULKHEAD_ANOMALY_DETECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "abi/anomaly.h"
#include "anomaly/baseline.h"
#include "pipeline/sink.h"
#include "policy/policy.h"

enum anom_rule {
	AR_FORK_BOMB = 0,
	AR_CPU_BURN,
	AR_MEMORY,
	AR_PORT_SCAN,
	AR_CONNECT_BURST,
	AR_EGRESS_BURST,
	AR_EXEC_BURST,
	AR_REVERSE_SHELL,
	AR_COUNT
};

/* One second of one container. Rates are per second over the last interval. */
struct anom_obs {
	double v[AM_COUNT];
	uint32_t have;			/* 1 << AM_* for the metrics measured this time */
	double fork_fail;		/* failed forks per second */
	double exits;			/* processes gone per second */
	double connect_fail;
	double connects_all;		/* every connect() per second (v[AM_CONNECTS]: those that count) */
	double connect_local;		/* answered by a listener on the container's own loopback */
	uint64_t oom_new;		/* OOM kills since the last observation */
	uint64_t mem_max;		/* CG_UNLIMITED if none */
	uint64_t cpu_limit_pct;		/* percent of one CPU the container can use at most */
	uint64_t pids_current, pids_max;
	double psi_cpu;			/* cpu.pressure "some" avg10 (percent of time a task waited) */
	bool have_psi;
	char top_comm[BH_TOP_COUNT][17];
	uint32_t top_pid[BH_TOP_COUNT];
	char oom_comm[17];		/* the last OOM victim, if oom_new */
	uint32_t oom_pid;
};

struct detector_params {
	uint32_t warmup_s;		/* 0: the policy's learningWindow */
	double short_window;		/* samples; default 10 */
	double long_window;		/* samples; default 3600 */
};

struct anom_ct;				/* a container's detector state */
struct detector;

struct detector *detector_new(const struct event_sink *sink, const struct detector_params *p);
void detector_free(struct detector *d);
struct baselines *detector_baselines(struct detector *d);

/* A container's state, made on first use (NULL: table full). wkey: its workload key. */
struct anom_ct *detector_container(struct detector *d, uint64_t cgroup_id, const char *wkey,
				   uint64_t now_s);
/* The cgroup is gone: open episodes end ("resolved", reason gone). */
void detector_container_gone(struct detector *d, uint64_t cgroup_id, uint64_t now_s);

/* One second of signals; pol: the container's policy (NULL: defaults). */
void detector_observe(struct detector *d, struct anom_ct *ct, const struct anom_obs *o,
		      const struct policy_anomaly *pol, uint64_t now_s);

/* A shell on the network (bh_anom_rb): behaviour-anomaly, one per episode. */
void detector_shell_net(struct detector *d, struct anom_ct *ct, const char *comm, uint32_t pid,
			const char *dest, uint32_t fd, uint64_t now_s);

/* A one-off behaviour alert (learning mode: a new item); not an episode. */
void detector_novelty(struct detector *d, uint64_t cgroup_id, const char *rule, const char *summary,
		      const char *item_key, const char *item, const char *comm, uint32_t pid);

/*
 * The connects per second that count toward a connection burst (the
 * AM_CONNECTS metric): all of them, less those answered by a listener on the
 * container's own loopback that came one per program started (a web server
 * under load from wget/curl, a health-check loop). A connect that fails, is
 * refused, goes to another host, or comes many to a process (a flood tool)
 * counts.
 */
double anom_burst_connects(double all, double local_answered, double execs);

const char *anom_rule_name(unsigned r);
/* Alerts raised, in total (bench, tests). */
uint64_t detector_alerts(const struct detector *d);
bool detector_episode_open(const struct anom_ct *ct, enum anom_rule r);
/* Busy enough on CPU that its CPU pressure matters (the sampler reads PSI then). */
bool detector_cpu_busy(const struct anom_ct *ct);
/* The short-window average of CPU used + waited for (percent of one CPU). */
double detector_cpu_want(const struct anom_ct *ct);

#endif
