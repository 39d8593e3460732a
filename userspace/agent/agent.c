// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/stat.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <bpf/libbpf.h>

#include "agent/agent.h"
#include "detect/detect.h"
#include "pipeline/sink.h"
#include "attrib/attrib.h"
#include "telemetry/cgroup_events.h"
#include "lib/clock.h"
#include "lib/kernel_fs.h"
#include "lib/log.h"
#include "telemetry/lost.h"
#include "metrics/metrics.h"
#include "output/output.h"
#include "enforce/policy_engine.h"
#include "agent/policy_watch.h"
#include "agent/preflight.h"
#include "enforce/probe.h"
#include "enforce/verify.h"
#include "telemetry/process.h"
#include "attrib/registry.h"
#include "anomaly/anomaly.h"

#define POLICY_WATCH_QUIET_MS 500	/* a change on disk is read once nothing changed for this long */
#define SYNC_EVERY_MS 10000	/* boot -> wall clock offset */
#define REPORT_EVERY_MS 1000	/* loss reports, metrics rendering */
#define PE_TICK_MS 1000		/* the policy engine's periodic work (net aggregate sweeps every 2 s) */
#define PE_FAST_TICK_MS 50	/* ... while new cgroups wait for their runtime state */
#define TEL_BATCH 4096		/* telemetry records between two looks at the alert rings */
#define DRAIN_ROUNDS_MAX 64	/* batches per loop turn (then epoll again) */
#define AGENT_STATE_DIR "/var/lib/bulkhead"
#define AGENT_ANOMALY_STATE_DEFAULT AGENT_STATE_DIR "/anomaly.state"

struct agent {
	const struct agent_config *cfg;
	const char *cgroup2;
	struct registry *reg;
	struct output *out;
	struct process_tel *proc;
	struct policy_engine *pe;		/* NULL: nothing enforced */
	struct policy_watch *watch;		/* NULL: reload on SIGHUP only */
	struct policy_engine_params pe_params;
	struct ring_buffer *rb;			/* telemetry (process) */
	struct ring_buffer *alert_rb;		/* alerts and cgroup events: drained first */
	struct attrib *attr;			/* container attribution, never blocking */
	struct cgroup_events *cgev;
	struct detect *det;			/* escape detection (NULL: off) */
	struct metrics *metrics;
	struct lost *lost;
	struct anomaly *anom;			/* NULL: --no-anomaly, or it could not load */
	struct event_sink sink;			/* given to every producer (pipeline/sink.h) */
	struct cgroup_listener cgl;		/* cgroup_events.c's records */
	int lock_fd, epfd, sigfd, timerfd;
	int tel_fd;				/* the telemetry ring, in epoll edge-triggered */
	int tel_budget;
	bool tel_more;				/* the last drain left records behind */
	size_t tel_urgent;			/* a backlog this large is drained at once */
	/* What is due when (CLOCK_MONOTONIC ms): the one-shot timer is armed for the earliest. */
	uint64_t drain_due;			/* 0: no telemetry waits */
	uint64_t report_due, sync_due, pe_due, anom_due;
	uint64_t timer_at;
	uint64_t trim_due;		/* agent_trim() then (a while after a reload); 0: none */
	uint64_t malformed;
	uint64_t lost_reported;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* New cgroups may wait in the policy engine for their runtime state: tick it now. */
/* Each policy (re)load, for bulkhead_policy_info and bulkhead_policy_load_errors_total. */
static void policy_loaded(void *ctx, const uint8_t *sha256)
{
	struct agent *a = ctx;

	if (sha256)
		metrics_policy_loaded(a->metrics, sha256);
	else
		metrics_policy_load_failed(a->metrics);
}

static void pe_settling(struct agent *a)
{
	a->pe_due = 0;
}

/* The event sink every producer is given (pipeline/sink.h). */
static const struct container_info *sink_container(void *ctx, uint64_t cgroup_id,
						   const char **json, size_t *json_len)
{
	struct agent *a = ctx;
	const struct container_info *ci;

	*json = NULL;
	*json_len = 0;
	if (!a->attr)
		return registry_lookup(a->reg, cgroup_id);
	ci = attrib_lookup(a->attr, cgroup_id);
	*json = attrib_container_json(a->attr, ci, json_len);
	return ci;
}

/* Events whose container is known (or given up on) go out from here. */
static void emit_now(void *ctx, const struct event *ev)
{
	struct agent *a = ctx;

	metrics_event(a->metrics, ev);
	output_emit(a->out, ev);
	if (a->det)
		detect_event(a->det, ev);
	if (a->anom && ev->kind == EVENT_EXEC)
		anomaly_observe(a->anom, ev);	/* learning mode */
}

static void sink_emit_event(void *ctx, const struct event *ev)
{
	struct agent *a = ctx;

	if (a->attr && attrib_pending(a->attr, ev->container) && attrib_defer(a->attr, ev))
		return;
	emit_now(a, ev);
}

static void count_malformed(void *ctx)
{
	struct agent *a = ctx;

	a->malformed++;
}

static void cgroup_mkdir(void *ctx, uint64_t cgroup_id, const char *path)
{
	struct agent *a = ctx;

	if (a->pe) {
		policy_engine_cgroup_mkdir(a->pe, cgroup_id, path);
		pe_settling(a);
	}
	if (a->attr)
		attrib_cgroup_new(a->attr, cgroup_id, path);
	if (a->anom)
		anomaly_cgroup_new(a->anom, cgroup_id);
}

static void cgroup_rmdir(void *ctx, uint64_t cgroup_id)
{
	struct agent *a = ctx;

	if (a->pe)
		policy_engine_cgroup_rmdir(a->pe, cgroup_id);
	if (a->attr)
		attrib_cgroup_gone(a->attr, cgroup_id);
	/* At once, while attribution still knows the container: "resolved" names it. */
	if (a->anom)
		anomaly_cgroup_gone(a->anom, cgroup_id);
}

/* A container's cgroup is gone for good (after attrib's grace period). */
static void cgroup_gone(void *ctx, uint64_t cgroup_id)
{
	struct agent *a = ctx;

	metrics_forget(a->metrics, cgroup_id);
	lost_forget(a->lost, cgroup_id);
}

/* Telemetry is consumed in batches, so that alert rings are looked at in between. */
static int tel_handle(void *ctx, void *data, size_t size)
{
	struct agent *a = ctx;
	/* The next record follows this one (an 8-byte header, 8-byte aligned;
	 * libbpf maps the ring twice, so it is mapped even across the wrap). It was
	 * written on another CPU: fetch it into the cache while this one is handled. */
	const char *next = (const char *)data + ((size + BPF_RINGBUF_HDR_SZ + 7) & ~(size_t)7);

	__builtin_prefetch(next);
	__builtin_prefetch(next + 64);

	process_tel_handle(&a->sink, data, size);
	return --a->tel_budget > 0 ? 0 : -EAGAIN;
}

/* One container's new losses: a "lost" event on every output, a metric, a log line. */
static void lost_one(void *ctx, const char *ring, uint64_t cgroup_id, uint64_t count, uint64_t total)
{
	struct agent *a = ctx;
	const char *json;
	size_t json_len;
	const struct container_info *c = sink_container(a, cgroup_id, &json, &json_len);
	struct output_lost l = {
		.time_ns = clock_real_now_ns(),
		.container = c,
		.count = count,
		.total = total,
		.ring = ring,
	};

	if (c->host)
		log_warn("events: %llu %s records lost in host cgroup %s (cgroup %llu): ring buffer full",
			 (unsigned long long)count, ring, c->cgroup_path[0] ? c->cgroup_path : "?",
			 (unsigned long long)cgroup_id);
	else
		log_warn("events: %llu %s records lost in container %s/%s/%s (cgroup %llu): ring buffer full",
			 (unsigned long long)count, ring, c->ns, c->pod, c->name[0] ? c->name : c->id,
			 (unsigned long long)cgroup_id);
	metrics_lost(a->metrics, c, ring, count);
	output_lost(a->out, &l);
}

/* Loss is never silent: every new loss is reported per container and in total. */
static void report_lost(struct agent *a)
{
	uint64_t lost = process_tel_lost(a->proc);

	if (a->lost)
		lost_poll(a->lost, lost_one, a);
	if (lost > a->lost_reported) {
		log_warn("events: %llu records lost: ring buffer full (total %llu); "
			 "raise --ringbuf-size or lower --drain-ms",
			 (unsigned long long)(lost - a->lost_reported), (unsigned long long)lost);
		a->lost_reported = lost;
	}
}

/* Every second: losses, metrics, drops. */
static void periodic(struct agent *a)
{
	static uint64_t malformed_reported;

	report_lost(a);
	metrics_update(a->metrics, &(struct metrics_sources){ .attr = a->attr, .lost = a->lost,
							      .out = a->out, .malformed = a->malformed });
	output_stats(a->out);	/* logs new drops */
	if (a->malformed > malformed_reported) {
		log_warn("events: %llu malformed records dropped", (unsigned long long)a->malformed);
		malformed_reported = a->malformed;
	}
}

/*
 * Drain the rings: alert rings (enforcement events, cgroup events) first and
 * completely, then telemetry in batches of TEL_BATCH records with a look at
 * the alert rings between two batches. The writers are woken after each
 * batch: they write while the next one is decoded.
 *
 * Then make sure no record is left without a wake-up to come: records are
 * submitted with adaptive wake-up (the kernel wakes the reader when a record
 * lands in a ring the reader has emptied), and libbpf's reader stores its
 * position and then reads the producer's without a fence between. With the
 * fence, either the producer saw the reader caught up (and wakes it) or the
 * reader sees the record: alert records are read again here, telemetry is
 * scheduled (a->drain_due).
 */
static void drain(struct agent *a)
{
	uint64_t now;
	int n;

	a->tel_more = true;
	for (int round = 0; round < DRAIN_ROUNDS_MAX; round++) {
		if (a->alert_rb && ring_buffer__consume(a->alert_rb) < 0 && errno != EINTR)
			log_warn_errno("agent: alert ring buffer consume");
		a->tel_budget = TEL_BATCH;
		n = ring_buffer__consume(a->rb);
		output_flush(a->out);
		if (n >= 0 || errno != EAGAIN) {
			if (n < 0 && errno != EINTR)
				log_warn_errno("agent: ring buffer consume");
			a->tel_more = false;
			break;
		}
	}
	do
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	while (a->alert_rb && ring_buffer__consume(a->alert_rb) > 0);
	now = mono_ms();
	a->drain_due = a->tel_more ? now : process_tel_backlog(a->proc) ? now + a->cfg->drain_ms : 0;
}

/*
 * The timed work, each when due or nearly so (then it rides on this wake-up
 * instead of making its own): loss reports and metrics every second, the
 * clock offset every 10 s, the policy engine every second (every 50 ms while
 * new cgroups may wait for their runtime state), attribution's held events
 * and dead cgroups, writers with telemetry held back.
 */
static void agent_trim(void);

static void timed_work(struct agent *a, uint64_t now)
{
	if (now + REPORT_EVERY_MS / 4 >= a->report_due) {
		/* the escape sensor's records wake no one where the LSM guard runs: read each second */
		if (a->det && a->alert_rb && ring_buffer__consume(a->alert_rb) > 0)
			output_flush(a->out);
		periodic(a);
		a->report_due = now + REPORT_EVERY_MS;
	}
	if (now + SYNC_EVERY_MS / 4 >= a->sync_due) {
		clock_sync();
		if (a->det)
			detect_tick(a->det, now);
		a->sync_due = now + SYNC_EVERY_MS;
	}
	if (a->pe) {
		uint64_t period = policy_engine_waiting(a->pe) ? PE_FAST_TICK_MS : PE_TICK_MS;

		if (now + period / 4 >= a->pe_due) {
			policy_engine_tick(a->pe);
			a->pe_due = now + period;
		}
	}
	if (a->attr && now >= attrib_next_due_ms(a->attr))
		attrib_tick(a->attr);
	if (a->anom && now + ANOMALY_TICK_MS / 4 >= a->anom_due) {
		anomaly_tick(a->anom);
		a->anom_due = now + ANOMALY_TICK_MS;
	}
	if (now >= output_due_ms(a->out))
		output_flush(a->out);
	if (a->trim_due && now >= a->trim_due) {
		agent_trim();
		a->trim_due = 0;
	}
}

/* Arm the one-shot timer for the earliest work due. */
static void arm_timer(struct agent *a)
{
	struct itimerspec its = { 0 };
	uint64_t at = a->report_due, d;

	if (a->sync_due < at)
		at = a->sync_due;
	if (a->drain_due && a->drain_due < at)
		at = a->drain_due;
	if (a->pe && a->pe_due < at)
		at = a->pe_due;
	if (a->anom && a->anom_due < at)
		at = a->anom_due;
	if (a->attr && (d = attrib_next_due_ms(a->attr)) < at)
		at = d;
	if ((d = output_due_ms(a->out)) < at)
		at = d;
	if (a->trim_due && a->trim_due < at)
		at = a->trim_due;
	if (at == a->timer_at)
		return;
	a->timer_at = at;
	its.it_value.tv_sec = (time_t)(at / 1000);
	its.it_value.tv_nsec = (long)(at % 1000) * 1000000L;
	if (!at)
		its.it_value.tv_nsec = 1;	/* now (0 would disarm) */
	if (timerfd_settime(a->timerfd, TFD_TIMER_ABSTIME, &its, NULL))
		log_warn_errno("agent: timerfd_settime");
}

static int setup_loop(struct agent *a, char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	a->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	a->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->sigfd < 0 || a->timerfd < 0 || a->epfd < 0) {
		snprintf(err, errlen, "agent: event loop set-up: %s", strerror(errno));
		return -1;
	}
	/* Everything is due at once: the first turn drains, reports and ticks. */
	a->drain_due = a->report_due = a->sync_due = a->pe_due = a->anom_due = 1;
	a->timer_at = UINT64_MAX;

	ev.data.fd = a->sigfd;
	epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->sigfd, &ev);
	ev.data.fd = a->timerfd;
	epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->timerfd, &ev);
	/*
	 * The telemetry ring wakes the loop for the first record after a drain
	 * (adaptive wake-up) and when a->tel_urgent bytes wait: edge-triggered,
	 * so a ring that fills meanwhile does not wake it again until then.
	 */
	a->tel_fd = process_tel_ringbuf_fd(a->proc);
	ev.events = EPOLLIN | EPOLLET;
	ev.data.fd = a->tel_fd;
	epoll_ctl(a->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	ev.events = EPOLLIN;
	if (a->alert_rb) {
		ev.data.fd = ring_buffer__epoll_fd(a->alert_rb);
		epoll_ctl(a->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	}
	if (a->attr) {
		ev.data.fd = attrib_fd(a->attr);
		epoll_ctl(a->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	}
	if (a->cfg->policy_path && !a->cfg->no_policy_watch) {
		char werr[PATH_MAX + 64];

		/* Not fatal: SIGHUP still reloads; said loudly. */
		a->watch = policy_watch_open(a->cfg->policy_path, POLICY_WATCH_QUIET_MS, werr, sizeof(werr));
		if (!a->watch)
			log_warn("%s: changes on disk are NOT picked up; send SIGHUP after a change", werr);
		else {
			ev.data.fd = policy_watch_fd(a->watch);
			epoll_ctl(a->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
		}
	}
	return 0;
}

/* Which policy governs a container, for the detectors (none: every protection alerts). */
static const struct policy *policy_of(void *ctx, uint64_t cgroup_id)
{
	struct agent *a = ctx;
	const char *json;
	size_t len;

	return a->pe ? policy_engine_policy_for(a->pe, sink_container(a, cgroup_id, &json, &len)) : NULL;
}

/*
 * Escape detection, in two steps: the engine before enforcement (the LSM
 * guard's refusals are its records too), its kernel sensor after (it shares
 * the enforcement core's pinned container policies, to kill what they
 * enforce where there is no BPF LSM, and the guard's armed tasks).
 */
static void detection_new(struct agent *a)
{
	struct detect_config dc = {
		.btf_path = a->cfg->btf_path, .agent_tgid = (uint32_t)getpid(), .shared_task_fd = -1,
		.cgroup2 = a->cgroup2,
	};
	struct detect_policy dp = { .of = policy_of, .ctx = a };
	struct stat st;

	if (!stat(a->cgroup2, &st))
		dc.root_cgroup_id = st.st_ino;
	a->det = detect_new(&dc, &a->sink, &dp);
	if (!a->det)
		log_warn("agent: WARNING: escape detection is OFF: out of memory");
}

static int detection_attach(struct agent *a, char *err, size_t errlen)
{
	const char *pin_dir = a->cfg->enforce.pin_dir ? a->cfg->enforce.pin_dir : BH_PIN_DIR_DEFAULT;
	int guard_tasks = policy_engine_esc_task_fd(a->pe);

	if (!a->det)
		return 0;
	/* With the LSM guard, it refuses (EPERM) and the sensor reports; without, the sensor kills. */
	if (detect_attach(a->det, a->pe && guard_tasks < 0 ? pin_dir : NULL, guard_tasks, err, errlen)) {
		log_warn("agent: WARNING: escape detection is OFF: %s", err);
		err[0] = '\0';
		return 0;
	}
	if (a->pe)
		detect_kill_default(a->det, policy_engine_default_esc(a->pe));
	if (!a->alert_rb)
		a->alert_rb = ring_buffer__new(detect_ringbuf_fd(a->det), detect_escape_handle, a->det, NULL);
	else if (ring_buffer__add(a->alert_rb, detect_ringbuf_fd(a->det), detect_escape_handle, a->det))
		a->alert_rb = NULL;
	if (!a->alert_rb) {
		snprintf(err, errlen, "agent: ring buffer reader (escape detection): %s", strerror(errno));
		return -1;
	}
	log_info("agent: escape detection on: %s", detect_describe(a->det));
	return 0;
}

/*
 * Enforcement: load it (nothing new in force yet), let the cgroup tracer hold
 * new cgroups in its map, then classify every cgroup there is and read the
 * enforcement rings. The tracer already runs, so no cgroup made meanwhile is
 * missed. At start-up, and on the SIGHUP that brings the first policy with
 * kernel rules. 0 also when there is nothing to enforce; -1 with a reason.
 */
static int enforcement_start(struct agent *a, char *err, size_t errlen)
{
	err[0] = '\0';
	a->pe = policy_engine_open(&a->pe_params, err, errlen);
	if (!a->pe)
		return err[0] ? -1 : 0;
	if (!a->cgev) {
		snprintf(err, errlen, "agent: the cgroup tracer is not running: new containers would "
			 "go unclassified");
		goto fail;
	}
	if (cgroup_events_hold(a->cgev, policy_engine_hold_fd(a->pe), err, errlen) ||
	    policy_engine_start(a->pe, err, errlen))
		goto fail;
	if (policy_engine_add_ringbufs(a->pe, a->alert_rb ? a->alert_rb : a->rb)) {
		snprintf(err, errlen, "agent: enforcement ring buffers: %s", strerror(errno));
		goto fail;
	}
	/* Every feature's ring buffers and loss counters, whoever loaded them. */
	lost_discover(a->lost);
	metrics_discover_rings(a->metrics);
	return 0;
fail:
	policy_engine_close(a->pe);
	a->pe = NULL;
	return -1;
}

/*
 * Anomaly detection (userspace/anomaly/): its counters and its ring (OOM
 * victims, shells on the network, learning records) in the alert reader.
 * It failing to load is said loudly, not fatal: enforcement and telemetry run.
 */
static int anomaly_start(struct agent *a, char *err, size_t errlen)
{
	const struct agent_config *cfg = a->cfg;
	struct anomaly_config ac = {
		.btf_path = cfg->btf_path, .cgroup2 = a->cgroup2, .policy_path = cfg->policy_path,
		.state_path = cfg->anomaly_state ? (cfg->anomaly_state[0] ? cfg->anomaly_state : NULL) :
			      AGENT_ANOMALY_STATE_DEFAULT,
		.warmup_s = cfg->anomaly_warmup_s, .learn_s = cfg->learn_s, .sink = &a->sink,
	};
	int lost_fd, lost_total_fd, e;
	char aerr[512];

	if (cfg->no_anomaly)
		return 0;
	if (!cfg->anomaly_state && mkdir(AGENT_STATE_DIR, 0700) && errno != EEXIST)
		ac.state_path = NULL;
	a->anom = anomaly_open(&ac, aerr, sizeof(aerr));
	if (!a->anom) {
		log_warn("%s: anomaly detection is OFF", aerr);
		return 0;
	}
	if (!a->alert_rb)
		a->alert_rb = ring_buffer__new(anomaly_ringbuf_fd(a->anom), anomaly_handle, a->anom, NULL);
	else if ((e = ring_buffer__add(a->alert_rb, anomaly_ringbuf_fd(a->anom), anomaly_handle, a->anom))) {
		snprintf(err, errlen, "agent: anomaly ring buffer reader: %s", strerror(-e));
		return -1;
	}
	if (!a->alert_rb) {
		snprintf(err, errlen, "agent: anomaly ring buffer reader: %s", strerror(errno));
		return -1;
	}
	metrics_add_ring(a->metrics, "anomaly", anomaly_ringbuf_fd(a->anom));
	anomaly_lost_fds(a->anom, &lost_fd, &lost_total_fd);
	lost_add(a->lost, "anomaly", lost_fd, lost_total_fd);
	log_info("agent: anomaly detection on (baselines %s%s)", ac.state_path ? "kept in " : "not kept",
		 ac.state_path ? ac.state_path : "");
	return 0;
}

/*
 * The agent's heap: a fixed mmap threshold (glibc raises it to the largest
 * block freed, and libbpf frees the kernel's parsed BTF, megabytes, after
 * every load: every later big table would then come from the heap, zeroed
 * page by page, resident), four arenas (the writer and resolver threads
 * would take one each, and the policy parser's two threads one each: sharing
 * one, they waited on its lock for most of a 10,000-rule parse). What the heap
 * holds free is given back by agent_trim() after the load, and
 * TRIM_AFTER_RELOAD_MS after the last reload, not on every free and not at
 * once: a policy parse allocates and frees its YAML tree file by file, and a
 * trim makes the next parse fault the same pages in again (a third of a
 * 10,000-rule swap's CPU; this kind of machine pays dearly for a fault). A
 * rollout's swaps in a row find the pages there; an idle agent is small again.
 */
#define TRIM_AFTER_RELOAD_MS	60000
static void agent_malloc_setup(void)
{
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
	mallopt(M_ARENA_MAX, 4);
}

/* After a load or a policy swap: what parsing and libbpf freed goes back to the kernel. */
static void agent_trim(void)
{
	malloc_trim(0);
}

/* Reload the policies (SIGHUP, or a change on disk). */
static void reload_policies(struct agent *a)
{
	char err[512];

	/* Enforcement first: the swap's time runs from the signal (or the change settling). */
	if (a->pe) {
		policy_engine_reload(a->pe);
		pe_settling(a);
		if (a->det)
			detect_kill_default(a->det, policy_engine_default_esc(a->pe));
		if (a->anom)
			anomaly_reload(a->anom, policy_engine_set(a->pe));
		a->trim_due = mono_ms() + TRIM_AFTER_RELOAD_MS;
		return;
	}
	if (a->anom)
		anomaly_reload(a->anom, NULL);
	/* The first policy the kernel must enforce may have just arrived. */
	if (enforcement_start(a, err, sizeof(err)))
		log_warn("%s: policies are NOT enforced; fix it (the agent reloads on a change, "
			 "or on SIGHUP)", err);
	else if (a->pe) {
		log_info("agent: enforcement started: %s", policy_engine_describe(a->pe));
		pe_settling(a);
	}
	a->trim_due = mono_ms() + TRIM_AFTER_RELOAD_MS;
}

/* Returns 1 to keep running, 0 to stop. */
static int handle_signal(struct agent *a)
{
	struct signalfd_siginfo si;

	while (read(a->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			log_info("agent: SIGHUP: reopening outputs%s", a->cfg->policy_path ?
				 ", reloading policies" : "");
			output_reopen(a->out);
			if (a->cfg->policy_path)
				reload_policies(a);
			break;
		default:
			log_info("agent: %s: detaching and exiting", strsignal(si.ssi_signo));
			return 0;
		}
	}
	return 1;
}

/*
 * The loop sleeps until something is due. Telemetry is drained drain_ms after
 * the first record that woke it (one wake-up per batch), at once when the
 * ring holds a->tel_urgent bytes, and along with anything else that wakes the
 * loop; alerts and cgroup events wake it at once (their rings wake the
 * reader for every record that finds it caught up).
 */
static void loop(struct agent *a)
{
	struct epoll_event evs[8];
	uint64_t expirations, now;
	size_t backlog;
	int n, running = 1;

	while (running) {
		bool other = false;

		arm_timer(a);
		n = epoll_wait(a->epfd, evs, 8, -1);
		if (n < 0 && errno != EINTR) {
			log_warn_errno("agent: epoll_wait");
			break;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == a->sigfd) {
				running = handle_signal(a);
				other = true;
			} else if (evs[i].data.fd == a->timerfd) {
				if (read(a->timerfd, &expirations, sizeof(expirations)) > 0)
					a->timer_at = 0;	/* fired: arm again */
			} else if (evs[i].data.fd == a->tel_fd) {
				;	/* the ring's backlog is looked at below */
			} else if (a->attr && evs[i].data.fd == attrib_fd(a->attr)) {
				attrib_process(a->attr);
				other = true;
			} else if (a->watch && evs[i].data.fd == policy_watch_fd(a->watch)) {
				if (policy_watch_process(a->watch)) {
					log_info("policy: %s changed on disk: reloading", a->cfg->policy_path);
					reload_policies(a);
				}
				other = true;
			} else {
				other = true;		/* the alert rings */
			}
		}
		/* Any wake-up looks at the telemetry ring: a record that did not wake
		 * the loop (none should) waits one drain period, not forever. */
		now = mono_ms();
		backlog = process_tel_backlog(a->proc);
		if (backlog && !a->drain_due)
			a->drain_due = now + a->cfg->drain_ms;
		if (other || (a->drain_due && now >= a->drain_due) || backlog >= a->tel_urgent)
			drain(a);
		timed_work(a, mono_ms());
	}
	drain(a);
	if (a->attr) {
		attrib_process(a->attr);
		attrib_flush(a->attr);
	}
	output_flush(a->out);
	report_lost(a);
	log_info("agent: stopped: %llu events written, %llu filtered, %llu lost, %llu write errors",
		 (unsigned long long)output_stats(a->out)->emitted,
		 (unsigned long long)output_stats(a->out)->filtered,
		 (unsigned long long)a->lost_reported,
		 (unsigned long long)output_stats(a->out)->write_errors);
}

static void agent_close(struct agent *a)
{
	policy_watch_free(a->watch);
	ring_buffer__free(a->rb);
	ring_buffer__free(a->alert_rb);
	policy_engine_close(a->pe);
	detect_close(a->det);
	anomaly_close(a->anom);		/* saves the baselines */
	process_tel_close(a->proc);
	cgroup_events_close(a->cgev);
	attrib_free(a->attr);		/* may still send held events: before the outputs */
	output_free(a->out);
	metrics_free(a->metrics);
	lost_free(a->lost);
	registry_free(a->reg);
	if (a->epfd >= 0)
		close(a->epfd);
	if (a->sigfd >= 0)
		close(a->sigfd);
	if (a->timerfd >= 0)
		close(a->timerfd);
	if (a->lock_fd >= 0)
		close(a->lock_fd);
}

int agent_run(const struct agent_config *cfg)
{
	struct agent a = { .cfg = cfg, .lock_fd = -1, .epfd = -1, .sigfd = -1, .timerfd = -1, .tel_fd = -1 };
	/*
	 * The drain timer empties the telemetry ring every drain_ms; waking the
	 * agent before that only guards against overflow, so it waits for an
	 * eighth of the ring (a wake-up costs a context switch: tens of
	 * microseconds on a VM, per batch of records).
	 */
	struct process_tel_opts popts = {
		.ringbuf_bytes = cfg->ringbuf_bytes,
		.wakeup_bytes = cfg->wakeup_bytes > cfg->ringbuf_bytes / 8 ? cfg->wakeup_bytes :
				cfg->ringbuf_bytes / 8,
		.fork_events = cfg->fork_events,
		.btf_path = cfg->btf_path,
	};
	struct output_config ocfg = cfg->output;
	struct attrib_config acfg = { .state_roots = cfg->state_roots, .defer_ms = cfg->defer_ms };
	struct cgroup_events_opts copts = {
		.btf_path = cfg->btf_path, .hold_prefixes = cfg->enforce.hold,
		.hold_ns = (uint64_t)cfg->enforce.hold_ms * 1000000ull,
	};
	struct registry_config rcfg = { 0 };
	int lost_fd, lost_total_fd;
	struct probe_result pr;
	char err[512] = "";
	enum bh_mode mode;
	int ret = 1;

	agent_malloc_setup();
	if (preflight_root(err, sizeof(err)) ||
	    preflight_btf(cfg->btf_path, err, sizeof(err)) ||
	    preflight_cgroup2(cfg->cgroup_root, &a.cgroup2, err, sizeof(err)) ||
	    (a.lock_fd = preflight_lock(cfg->lock_path, err, sizeof(err))) < 0 ||
	    kernel_fs_ensure(err, sizeof(err)))
		goto out;

	probe_run(&pr, false);
	mode = probe_mode(&pr);
	if (cfg->require_lsm && mode != BH_MODE_LSM) {
		snprintf(err, sizeof(err), "--require-lsm: this kernel cannot run BPF LSM programs (%s); "
			 "see 'bulkhead probe'", probe_mode_why(&pr) ? probe_mode_why(&pr) : pr.detail[PF_LSM]);
		goto out;
	}
	if (mode == BH_MODE_LSM)
		log_info("agent: enforcement mode %s: %s", probe_mode_name(mode), probe_mode_explain(mode));
	else
		log_warn("agent: WARNING: enforcement mode %s: %s", probe_mode_name(mode),
			 probe_mode_explain(mode));

	a.sink = (struct event_sink){ .container = sink_container, .emit = sink_emit_event,
				      .malformed = count_malformed, .ctx = &a };
	a.cgl = (struct cgroup_listener){ .mkdir = cgroup_mkdir, .rmdir = cgroup_rmdir,
					  .malformed = count_malformed, .ctx = &a };
	rcfg.cgroup2_root = a.cgroup2;
	rcfg.state_roots = cfg->state_roots;
	a.reg = registry_new(&rcfg);
	if (!a.reg) {
		snprintf(err, sizeof(err), "agent: cannot set up the container registry");
		goto out;
	}
	ocfg.json_path = cfg->json_path;
	ocfg.containers_only = cfg->containers_only;
	if (!(a.metrics = metrics_new(&cfg->metrics, err, sizeof(err))) ||
	    !(a.out = output_new(&ocfg, err, sizeof(err))))
		goto out;
	a.lost = lost_new();
	acfg.cgroup2_root = a.cgroup2;
	a.attr = attrib_new(&acfg, emit_now, cgroup_gone, &a, err, sizeof(err));
	if (!a.lost || !a.attr)
		goto out;
	a.tel_urgent = popts.wakeup_bytes / 2;
	a.proc = process_tel_open(&popts, err, sizeof(err));
	if (!a.proc)
		goto out;
	a.rb = ring_buffer__new(process_tel_ringbuf_fd(a.proc), tel_handle, &a, NULL);
	if (!a.rb) {
		snprintf(err, sizeof(err), "agent: ring buffer reader: %s", strerror(errno));
		goto out;
	}
	metrics_add_ring(a.metrics, "process", process_tel_ringbuf_fd(a.proc));
	process_tel_lost_fds(a.proc, &lost_fd, &lost_total_fd);
	lost_add(a.lost, "process", lost_fd, lost_total_fd);
	/* Attribution and enforcement keep up with containers coming and going. */
	a.cgev = cgroup_events_open(&copts, err, sizeof(err));
	if (!a.cgev) {
		log_warn("%s: containers are resolved on their first event only", err);
		err[0] = '\0';
	} else {
		a.alert_rb = ring_buffer__new(cgroup_events_ringbuf_fd(a.cgev), cgroup_events_handle, &a.cgl, NULL);
		if (!a.alert_rb) {
			snprintf(err, sizeof(err), "agent: ring buffer reader: %s", strerror(errno));
			goto out;
		}
		metrics_add_ring(a.metrics, "cgroup", cgroup_events_ringbuf_fd(a.cgev));
		cgroup_events_lost_fds(a.cgev, &lost_fd, &lost_total_fd);
		lost_add(a.lost, "cgroup", lost_fd, lost_total_fd);
	}
	if (cfg->escape_detection)
		detection_new(&a);
	if (anomaly_start(&a, err, sizeof(err)))
		goto out;
	a.pe_params = (struct policy_engine_params){
		.ec = &cfg->enforce, .policy_path = cfg->policy_path, .btf_path = cfg->btf_path,
		.wakeup_bytes = cfg->wakeup_bytes, .sink = &a.sink, .reg = a.reg, .cgroup2 = a.cgroup2,
		.mode = mode, .no_lsm_why = probe_mode_why(&pr), .bpf_lsm = pr.ok[PF_LSM],
		.escape_cb = a.det ? detect_escape_handle : NULL, .escape_ctx = a.det,
		.loaded_cb = policy_loaded, .loaded_ctx = &a,
	};
	if (enforcement_start(&a, err, sizeof(err)) || detection_attach(&a, err, sizeof(err)))
		goto out;
	if (a.pe)
		pe_settling(&a);
	/* Every feature's ring buffers and loss counters, whoever loaded them. */
	lost_discover(a.lost);
	metrics_discover_rings(a.metrics);
	if (setup_loop(&a, err, sizeof(err)))
		goto out;
	clock_sync();
	agent_trim();
	log_info("agent: ready: exec/fork/exit telemetry attached, cgroup v2 at %s%s%s", a.cgroup2,
		 a.pe ? "; " : "", a.pe ? policy_engine_describe(a.pe) : "");
	if (cfg->verify_at_start &&
	    verify_start_async(cfg->enforce.pin_dir ? cfg->enforce.pin_dir : BH_PIN_DIR_DEFAULT, a.cgroup2,
			       cfg->enforce.attach_cgroup, a.metrics))
		log_warn("agent: --verify-at-start: cannot start its thread");
	loop(&a);
	ret = 0;
out:
	if (err[0])
		log_warn("%s", err);
	agent_close(&a);
	return ret;
}
