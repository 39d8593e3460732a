// SPDX-License-Identifier: GPL-2.0
/* Anomaly rules, episodes and alerts. See detector.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly/detector.h"
#include "anomaly/cgroup_stats.h"
#include "lib/clock.h"

#define MAX_CONTAINERS 4096
#define MEM_HIST 10		/* seconds of memory kept for the growth test */
#define MIB (1024.0 * 1024.0)

enum trigger { TR_NONE = 0, TR_COLD, TR_POLICY, TR_BASELINE };
static const char *const trigger_names[] = { "none", "floor", "policy", "baseline" };

struct rule_def {
	const char *id;
	uint8_t category, severity;
	const char *technique;
	int metric;		/* enum anom_metric, -1: none */
	int top;		/* enum bh_anom_top, -1: none */
	uint8_t sustain;	/* seconds the condition must hold (policy, baseline; cold below) */
	uint8_t sustain_cold;
	uint8_t clear;		/* seconds clear before "resolved" */
	uint8_t cooldown;	/* seconds after "resolved" before a new episode */
	int masked_by[2];	/* an open episode of these rules keeps this one quiet */
	const char *what;	/* summary */
	const char *unit;
};

/* The rule table: data, in evaluation order (a masking rule before the rules it masks). */
static const struct rule_def rules[AR_COUNT] = {
	[AR_FORK_BOMB] = { "fork-bomb", ALERT_RESOURCE_ANOMALY, ALERT_SEV_HIGH, "T1499.001", AM_FORKS,
			   BH_TOP_FORK, 2, 1, 5, 10, { -1, -1 }, "fork bomb", "new processes/s" },
	[AR_CPU_BURN] = { "cpu-burn", ALERT_RESOURCE_ANOMALY, ALERT_SEV_MEDIUM, "T1496", AM_CPU, -1,
			  15, 10, 10, 30, { AR_FORK_BOMB, AR_MEMORY }, "sustained CPU burn", "% of one CPU" },
	[AR_MEMORY] = { "memory-balloon", ALERT_RESOURCE_ANOMALY, ALERT_SEV_HIGH, "T1499", AM_MEMORY, -1,
			5, 1, 10, 10, { AR_FORK_BOMB, -1 }, "memory balloon", "bytes" },
	[AR_PORT_SCAN] = { "port-scan", ALERT_NETWORK_ANOMALY, ALERT_SEV_HIGH, "T1046", AM_PORTS,
			   BH_TOP_CONNECT, 1, 1, 5, 10, { -1, -1 }, "port scan", "distinct ports/s" },
	[AR_CONNECT_BURST] = { "connection-burst", ALERT_NETWORK_ANOMALY, ALERT_SEV_MEDIUM, "T1498",
			       AM_CONNECTS, BH_TOP_CONNECT, 1, 1, 5, 10, { AR_PORT_SCAN, -1 },
			       "connection burst", "connects/s" },
	[AR_EGRESS_BURST] = { "egress-burst", ALERT_NETWORK_ANOMALY, ALERT_SEV_MEDIUM, "T1048", AM_EGRESS,
			      -1, 3, 3, 5, 10, { -1, -1 }, "egress burst", "bytes/s" },
	[AR_EXEC_BURST] = { "exec-burst", ALERT_BEHAVIOUR_ANOMALY, ALERT_SEV_LOW, "T1059", AM_EXECS,
			    BH_TOP_EXEC, 2, 2, 5, 30, { AR_FORK_BOMB, -1 }, "burst of program starts", "execs/s" },
	[AR_REVERSE_SHELL] = { "reverse-shell", ALERT_BEHAVIOUR_ANOMALY, ALERT_SEV_CRITICAL, "T1059.004",
			       -1, -1, 1, 1, 30, 0, { -1, -1 }, "shell on the network", "" },
};

struct episode {
	bool open;
	uint8_t trigger;
	uint32_t over, under;		/* seconds the condition held / has been clear */
	uint64_t started, cooldown_until;
	double peak;
};

struct anom_ct {
	uint64_t cgroup_id;
	struct workload *w;
	struct ewma s[AM_COUNT];	/* short window: the container's current level */
	struct ewma want;		/* short window of CPU used + waited for (PSI) */
	struct episode ep[AR_COUNT];
	double mem_hist[MEM_HIST];
	uint32_t mem_n;
	uint64_t shell_last;
	bool used;
};

struct detector {
	struct event_sink sink;
	struct detector_params p;
	struct baselines *b;
	struct anom_ct *ct;
	size_t n_ct;
	uint64_t alerts;
};

const char *anom_rule_name(unsigned r)
{
	return r < AR_COUNT ? rules[r].id : "unknown";
}

double anom_burst_connects(double all, double local_answered, double execs)
{
	double forgiven = fmin(fmax(local_answered, 0), fmax(execs, 0));

	return fmax(all - forgiven, 0);
}

struct detector *detector_new(const struct event_sink *sink, const struct detector_params *p)
{
	struct detector *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->sink = *sink;
	d->p = *p;
	if (d->p.short_window <= 0)
		d->p.short_window = 10;
	if (d->p.long_window <= 0)
		d->p.long_window = 3600;
	d->b = baselines_new();
	d->ct = calloc(MAX_CONTAINERS, sizeof(*d->ct));
	if (!d->b || !d->ct) {
		detector_free(d);
		return NULL;
	}
	return d;
}

void detector_free(struct detector *d)
{
	if (!d)
		return;
	baselines_free(d->b);
	free(d->ct);
	free(d);
}

struct baselines *detector_baselines(struct detector *d)
{
	return d->b;
}

uint64_t detector_alerts(const struct detector *d)
{
	return d->alerts;
}

double detector_cpu_want(const struct anom_ct *ct)
{
	return ct->want.mean;
}

bool detector_cpu_busy(const struct anom_ct *ct)
{
	return ct->ep[AR_CPU_BURN].open || (ct->s[AM_CPU].n && ct->s[AM_CPU].mean >= 30);
}

bool detector_episode_open(const struct anom_ct *ct, enum anom_rule r)
{
	return ct && r < AR_COUNT && ct->ep[r].open;
}

static struct anom_ct *find(struct detector *d, uint64_t cgroup_id)
{
	for (size_t i = 0; i < d->n_ct; i++)
		if (d->ct[i].used && d->ct[i].cgroup_id == cgroup_id)
			return &d->ct[i];
	return NULL;
}

struct anom_ct *detector_container(struct detector *d, uint64_t cgroup_id, const char *wkey, uint64_t now_s)
{
	struct anom_ct *ct = find(d, cgroup_id);
	size_t i;

	if (ct)
		return ct;
	for (i = 0; i < d->n_ct && d->ct[i].used; i++)
		;
	if (i == d->n_ct) {
		if (d->n_ct >= MAX_CONTAINERS)
			return NULL;
		d->n_ct++;
	}
	ct = &d->ct[i];
	memset(ct, 0, sizeof(*ct));
	ct->used = true;
	ct->cgroup_id = cgroup_id;
	ct->w = baselines_get(d->b, wkey, now_s);
	if (ct->w)
		ct->w->containers++;
	return ct;
}

/* ---- Alerts ---- */

static void emit(struct detector *d, uint64_t cgroup_id, enum event_action action, struct event_alert *al,
		 const char *comm, uint32_t pid)
{
	struct event ev = { .kind = EVENT_ALERT, .action = action, .time_ns = clock_real_now_ns() };

	ev.alert = al;
	ev.proc.pid = ev.proc.tid = pid;
	if (comm)
		snprintf(ev.proc.comm, sizeof(ev.proc.comm), "%s", comm);
	if (action == ACTION_ALERT)
		d->alerts++;
	sink_emit(&d->sink, cgroup_id, &ev);
}

static void alert_head(struct event_alert *al, const struct rule_def *r)
{
	memset(al, 0, sizeof(*al));
	al->category = r->category;
	al->severity = r->severity;
	snprintf(al->rule, sizeof(al->rule), "%s", r->id);
	snprintf(al->technique, sizeof(al->technique), "%s", r->technique);
}

static const char *metric_name(const struct rule_def *r)
{
	return r->metric >= 0 ? anom_metric_names[r->metric] : "";
}

static void open_episode(struct detector *d, struct anom_ct *ct, enum anom_rule ri, const struct anom_obs *o,
			 enum trigger tr, double threshold, uint64_t now_s)
{
	const struct rule_def *r = &rules[ri];
	struct episode *e = &ct->ep[ri];
	struct event_alert al;
	const struct ewma *base = ct->w && r->metric >= 0 ? &ct->w->m[r->metric] : NULL;
	double v = r->metric >= 0 ? o->v[r->metric] : 0;
	const char *comm = NULL;
	uint32_t pid = 0;

	e->open = true;
	e->trigger = (uint8_t)tr;
	e->started = now_s;
	e->under = 0;
	e->peak = v;
	alert_head(&al, r);
	if (r->top >= 0 && o->top_comm[r->top][0]) {
		comm = o->top_comm[r->top];
		pid = o->top_pid[r->top];
	}
	if (ri == AR_MEMORY && o->oom_new && o->oom_comm[0]) {
		comm = o->oom_comm;
		pid = o->oom_pid;
	}
	snprintf(al.summary, sizeof(al.summary), "%s: %s %.0f %s (%s %.0f)%s%s", r->what, metric_name(r), v,
		 r->unit, tr == TR_BASELINE ? "baseline" : tr == TR_POLICY ? "policy threshold" : "floor",
		 threshold, comm ? ", top process " : "", comm ? comm : "");
	alert_evidence_str(&al, "metric", metric_name(r));
	alert_evidence_f64(&al, "value", v);
	alert_evidence_f64(&al, "mean", base && base->n ? base->mean : 0);
	alert_evidence_f64(&al, "sd", base && base->n ? ewma_sd(base) : 0);
	alert_evidence_f64(&al, "threshold", threshold);
	alert_evidence_str(&al, "trigger", trigger_names[tr]);
	if (comm) {
		alert_evidence_str(&al, "top_comm", comm);
		alert_evidence_u64(&al, "top_pid", pid);
	}
	switch (ri) {
	case AR_FORK_BOMB:
		alert_evidence_f64(&al, "failed_forks", o->fork_fail);
		alert_evidence_f64(&al, "exits", o->exits);
		if (o->pids_current)
			alert_evidence_u64(&al, "pids", o->pids_current);
		break;
	case AR_MEMORY:
		if (o->mem_max != CG_UNLIMITED)
			alert_evidence_u64(&al, "limit", o->mem_max);
		alert_evidence_u64(&al, "oom_kills", o->oom_new);
		break;
	case AR_PORT_SCAN:
		alert_evidence_f64(&al, "destinations", o->v[AM_DESTS]);
		alert_evidence_f64(&al, "connects", o->v[AM_CONNECTS]);
		alert_evidence_f64(&al, "failed", o->connect_fail);
		break;
	case AR_CONNECT_BURST:
		alert_evidence_f64(&al, "failed", o->connect_fail);
		alert_evidence_f64(&al, "connects_all", o->connects_all);
		alert_evidence_f64(&al, "local_answered", o->connect_local);
		break;
	case AR_CPU_BURN:
		alert_evidence_u64(&al, "limit_percent", o->cpu_limit_pct);
		break;
	default:
		break;
	}
	emit(d, ct->cgroup_id, ACTION_ALERT, &al, comm, pid);
}

static void close_episode(struct detector *d, struct anom_ct *ct, enum anom_rule ri, uint64_t now_s,
			  const char *why)
{
	const struct rule_def *r = &rules[ri];
	struct episode *e = &ct->ep[ri];
	struct event_alert al;

	alert_head(&al, r);
	al.severity = ALERT_SEV_LOW;
	snprintf(al.summary, sizeof(al.summary), "%s ended (%s) after %llu s", r->what, why,
		 (unsigned long long)(now_s - e->started));
	alert_evidence_str(&al, "metric", metric_name(r));
	alert_evidence_f64(&al, "peak", e->peak);
	alert_evidence_u64(&al, "duration_s", now_s - e->started);
	alert_evidence_str(&al, "reason", why);
	e->open = false;
	e->over = e->under = 0;
	e->cooldown_until = now_s + r->cooldown;
	emit(d, ct->cgroup_id, ACTION_RESOLVED, &al, NULL, 0);
}

void detector_container_gone(struct detector *d, uint64_t cgroup_id, uint64_t now_s)
{
	struct anom_ct *ct = find(d, cgroup_id);

	if (!ct)
		return;
	for (int r = 0; r < AR_COUNT; r++)
		if (ct->ep[r].open)
			close_episode(d, ct, (enum anom_rule)r, now_s, "container gone");
	if (ct->w && ct->w->containers)
		ct->w->containers--;
	ct->used = false;
	while (d->n_ct && !d->ct[d->n_ct - 1].used)
		d->n_ct--;
}

/* ---- Rules ---- */

static double sens_z(const struct policy_anomaly *pol)
{
	return pol->sensitivity == 1 ? 6 : pol->sensitivity == 3 ? 3 : 4;
}

/* Absolute floors scale with sensitivity: low doubles them, high halves them. */
static double sens_floor(const struct policy_anomaly *pol)
{
	return pol->sensitivity == 1 ? 2 : pol->sensitivity == 3 ? 0.5 : 1;
}

static bool warm(const struct detector *d, const struct anom_ct *ct, int metric,
		 const struct policy_anomaly *pol)
{
	uint64_t need = d->p.warmup_s ? d->p.warmup_s : pol->learn_seconds;

	return ct->w && metric >= 0 && ct->w->m[metric].n >= need;
}

/* z of the container's value over its workload's baseline (min_sd: a flat
 * baseline is not infinitely sure). */
static bool z_over(const struct anom_ct *ct, int metric, double v, double z, double min_sd)
{
	return ewma_z(&ct->w->m[metric], v, min_sd) >= z;
}

/*
 * Does rule ri's condition hold? scale < 1 asks whether it still nearly holds
 * (an open episode's hysteresis). *thr gets the level that decided.
 */
static enum trigger evaluate(const struct detector *d, const struct anom_ct *ct, enum anom_rule ri,
			     const struct anom_obs *o, const struct policy_anomaly *pol, double scale,
			     double *thr)
{
	double sf = sens_floor(pol) * scale, z = sens_z(pol) * (scale < 1 ? 0.5 : 1);
	const double *v = o->v;
	int m = rules[ri].metric;
	bool w = warm(d, ct, m, pol) && (o->have & (1u << m));
	double t;

	switch (ri) {
	case AR_FORK_BOMB:
		if (!(o->have & (1u << AM_FORKS)))
			return TR_NONE;
		t = pol->fork_per_sec ? fmax(pol->fork_per_sec, 100) : 100;
		if (o->fork_fail >= 20 * sf && (*thr = 20 * sf))
			return TR_COLD;
		if (v[AM_FORKS] >= t * sf && v[AM_FORKS] - o->exits >= 50 * sf && (*thr = t * sf))
			return TR_COLD;
		if (pol->fork_per_sec) {
			*thr = pol->fork_per_sec * scale;
			return v[AM_FORKS] > *thr ? TR_POLICY : TR_NONE;
		}
		if (w && v[AM_FORKS] >= 50 * sf && z_over(ct, AM_FORKS, v[AM_FORKS], z, 2)) {
			*thr = ct->w->m[AM_FORKS].mean + z * fmax(ewma_sd(&ct->w->m[AM_FORKS]), 2);
			return TR_BASELINE;
		}
		return TR_NONE;
	case AR_CPU_BURN: {
		double cap = o->cpu_limit_pct ? fmin((double)o->cpu_limit_pct, 100) : 100;
		double lvl = ct->s[AM_CPU].n ? ct->s[AM_CPU].mean : v[AM_CPU];
		/* What it wants: what it got, plus the time it waited for a CPU (on a
		 * busy node a miner gets less than a core but waits the rest). */
		/* Smoothed over the short window: one slow second on a busy node does
		 * not restart the count of a sustained burn. */
		double want = fmin(ct->want.mean, cap);

		if (!(o->have & (1u << AM_CPU)))
			return TR_NONE;
		/* A compile also holds a CPU, but starts programs all the time. */
		/* 80 %: PSI's "some" time plus the time run falls short of a full CPU
		 * for a process that would take all of one (measured 85-100 here). */
		if (want >= 0.8 * cap * scale && lvl >= 0.4 * cap * scale && ct->s[AM_EXECS].mean < 5 &&
		    (*thr = 0.8 * cap * scale))
			return TR_COLD;
		if (pol->cpu_percent) {
			*thr = pol->cpu_percent * scale;
			return v[AM_CPU] > *thr ? TR_POLICY : TR_NONE;
		}
		if (w && lvl >= 50 * scale && z_over(ct, AM_CPU, lvl, z, 5)) {
			*thr = ct->w->m[AM_CPU].mean + z * fmax(ewma_sd(&ct->w->m[AM_CPU]), 5);
			return TR_BASELINE;
		}
		return TR_NONE;
	}
	case AR_MEMORY: {
		double mx = o->mem_max == CG_UNLIMITED ? 0 : (double)o->mem_max;
		double old = ct->mem_n >= MEM_HIST ? ct->mem_hist[ct->mem_n % MEM_HIST] :
			     ct->mem_n ? ct->mem_hist[0] : v[AM_MEMORY];

		if (o->oom_new && (*thr = mx))
			return TR_COLD;
		if (o->oom_new) {
			*thr = 0;
			return TR_COLD;
		}
		if (!(o->have & (1u << AM_MEMORY)))
			return TR_NONE;
		if (mx > 0 && scale >= 1 && v[AM_MEMORY] >= 0.9 * mx && v[AM_MEMORY] - old >= 0.2 * mx) {
			*thr = 0.9 * mx;
			return TR_COLD;
		}
		if (mx > 0 && scale < 1 && v[AM_MEMORY] >= 0.8 * mx) {
			*thr = 0.8 * mx;
			return TR_COLD;
		}
		if (pol->memory_bytes) {
			*thr = (double)pol->memory_bytes * (scale < 1 ? 0.9 : 1);
			return v[AM_MEMORY] > *thr ? TR_POLICY : TR_NONE;
		}
		if (w && v[AM_MEMORY] - ct->w->m[AM_MEMORY].mean >= 128 * MIB * scale &&
		    z_over(ct, AM_MEMORY, v[AM_MEMORY], z, 16 * MIB)) {
			*thr = ct->w->m[AM_MEMORY].mean + z * fmax(ewma_sd(&ct->w->m[AM_MEMORY]), 16 * MIB);
			return TR_BASELINE;
		}
		return TR_NONE;
	}
	case AR_PORT_SCAN:
		if (!(o->have & (1u << AM_PORTS)))
			return TR_NONE;
		if ((v[AM_PORTS] >= 20 * sf || v[AM_DESTS] >= 20 * sf) && (*thr = 20 * sf))
			return TR_COLD;
		if (w && v[AM_PORTS] >= 8 * sf && z_over(ct, AM_PORTS, v[AM_PORTS], z, 2)) {
			*thr = ct->w->m[AM_PORTS].mean + z * fmax(ewma_sd(&ct->w->m[AM_PORTS]), 2);
			return TR_BASELINE;
		}
		return TR_NONE;
	case AR_CONNECT_BURST:
		if (!(o->have & (1u << AM_CONNECTS)))
			return TR_NONE;
		t = pol->connect_per_sec ? fmax(pol->connect_per_sec, 200) : 200;
		if (v[AM_CONNECTS] >= t * sf && (*thr = t * sf))
			return TR_COLD;
		if (pol->connect_per_sec) {
			*thr = pol->connect_per_sec * scale;
			return v[AM_CONNECTS] > *thr ? TR_POLICY : TR_NONE;
		}
		if (w && v[AM_CONNECTS] >= 30 * sf && z_over(ct, AM_CONNECTS, v[AM_CONNECTS], z, 3)) {
			*thr = ct->w->m[AM_CONNECTS].mean + z * fmax(ewma_sd(&ct->w->m[AM_CONNECTS]), 3);
			return TR_BASELINE;
		}
		return TR_NONE;
	case AR_EGRESS_BURST:
		if (!(o->have & (1u << AM_EGRESS)))
			return TR_NONE;
		t = pol->egress_bytes_per_sec ? fmax((double)pol->egress_bytes_per_sec, 100 * MIB) : 100 * MIB;
		if (v[AM_EGRESS] >= t * sf && (*thr = t * sf))
			return TR_COLD;
		if (pol->egress_bytes_per_sec) {
			*thr = (double)pol->egress_bytes_per_sec * scale;
			return v[AM_EGRESS] > *thr ? TR_POLICY : TR_NONE;
		}
		if (w && v[AM_EGRESS] >= MIB * sf && z_over(ct, AM_EGRESS, v[AM_EGRESS], z, 64 * 1024)) {
			*thr = ct->w->m[AM_EGRESS].mean + z * fmax(ewma_sd(&ct->w->m[AM_EGRESS]), 64 * 1024);
			return TR_BASELINE;
		}
		return TR_NONE;
	case AR_EXEC_BURST:
		if (!(o->have & (1u << AM_EXECS)))
			return TR_NONE;
		if (pol->exec_per_sec) {
			*thr = pol->exec_per_sec * scale;
			return v[AM_EXECS] > *thr ? TR_POLICY : TR_NONE;
		}
		if (w && v[AM_EXECS] >= 50 * sf && z_over(ct, AM_EXECS, v[AM_EXECS], z, 3)) {
			*thr = ct->w->m[AM_EXECS].mean + z * fmax(ewma_sd(&ct->w->m[AM_EXECS]), 3);
			return TR_BASELINE;
		}
		return TR_NONE;
	default:
		return TR_NONE;
	}
}

static bool masked(const struct anom_ct *ct, enum anom_rule ri)
{
	for (int i = 0; i < 2; i++) {
		int m = rules[ri].masked_by[i];

		if (m >= 0 && ct->ep[m].open)
			return true;
	}
	return false;
}

static const struct policy_anomaly default_policy = { .enabled = 1, .sensitivity = 2, .learn_seconds = 600 };

void detector_observe(struct detector *d, struct anom_ct *ct, const struct anom_obs *o,
		      const struct policy_anomaly *pol, uint64_t now_s)
{
	double alpha_s = ewma_alpha(d->p.short_window), alpha_l = ewma_alpha(d->p.long_window);
	bool any_open = false;

	if (!pol)
		pol = &default_policy;
	for (int m = 0; m < AM_COUNT; m++)
		if (o->have & (1u << m))
			ewma_add(&ct->s[m], o->v[m], alpha_s);
	if (o->have & (1u << AM_CPU))
		ewma_add(&ct->want, o->v[AM_CPU] + (o->have_psi ? o->psi_cpu : 0), alpha_s);

	for (int ri = 0; ri < AR_COUNT; ri++) {
		struct episode *e = &ct->ep[ri];
		const struct rule_def *r = &rules[ri];
		enum trigger tr;
		double thr = 0;

		if (ri == AR_REVERSE_SHELL) {
			if (e->open && now_s >= ct->shell_last + r->clear)
				close_episode(d, ct, (enum anom_rule)ri, now_s, "quiet");
			any_open |= e->open;
			continue;
		}
		if (!pol->enabled) {
			if (e->open)
				close_episode(d, ct, (enum anom_rule)ri, now_s, "disabled by policy");
			continue;
		}
		if (e->open) {
			if (r->metric >= 0 && (o->have & (1u << r->metric)) && o->v[r->metric] > e->peak)
				e->peak = o->v[r->metric];
			if (evaluate(d, ct, (enum anom_rule)ri, o, pol, 0.5, &thr) != TR_NONE)
				e->under = 0;
			else if (++e->under >= r->clear)
				close_episode(d, ct, (enum anom_rule)ri, now_s, "back to normal");
			any_open |= e->open;
			continue;
		}
		tr = evaluate(d, ct, (enum anom_rule)ri, o, pol, 1, &thr);
		if (tr == TR_NONE || masked(ct, (enum anom_rule)ri)) {
			e->over = 0;
			continue;
		}
		e->over++;
		if (e->over >= (tr == TR_COLD ? r->sustain_cold : r->sustain) && now_s >= e->cooldown_until) {
			open_episode(d, ct, (enum anom_rule)ri, o, tr, thr, now_s);
			any_open = true;
		}
	}
	if (o->have & (1u << AM_MEMORY))
		ct->mem_hist[ct->mem_n++ % MEM_HIST] = o->v[AM_MEMORY];
	/* The baseline learns normal seconds only, never an attack's. */
	if (!any_open && ct->w) {
		for (int m = 0; m < AM_COUNT; m++)
			if (o->have & (1u << m))
				ewma_add(&ct->w->m[m], o->v[m], alpha_l);
		ct->w->dirty = true;
	}
}

void detector_shell_net(struct detector *d, struct anom_ct *ct, const char *comm, uint32_t pid,
			const char *dest, uint32_t fd, uint64_t now_s)
{
	const struct rule_def *r = &rules[AR_REVERSE_SHELL];
	struct episode *e = &ct->ep[AR_REVERSE_SHELL];
	struct event_alert al;

	ct->shell_last = now_s;
	if (e->open)
		return;
	e->open = true;
	e->started = now_s;
	alert_head(&al, r);
	if (fd < 3)
		snprintf(al.summary, sizeof(al.summary), "reverse shell: %s (pid %u) started with a network "
			 "socket to %s as its %s", comm, pid, dest, fd == 0 ? "stdin" : fd == 1 ? "stdout" : "stderr");
	else
		snprintf(al.summary, sizeof(al.summary), "reverse shell: %s (pid %u) connected to %s",
			 comm, pid, dest);
	alert_evidence_str(&al, "metric", "shell-network");
	alert_evidence_str(&al, "destination", dest);
	if (fd < 3)
		alert_evidence_u64(&al, "fd", fd);
	alert_evidence_str(&al, "top_comm", comm);
	alert_evidence_u64(&al, "top_pid", pid);
	emit(d, ct->cgroup_id, ACTION_ALERT, &al, comm, pid);
}

void detector_novelty(struct detector *d, uint64_t cgroup_id, const char *rule, const char *summary,
		      const char *item_key, const char *item, const char *comm, uint32_t pid)
{
	struct event_alert al;

	memset(&al, 0, sizeof(al));
	al.category = ALERT_BEHAVIOUR_ANOMALY;
	al.severity = ALERT_SEV_MEDIUM;
	snprintf(al.rule, sizeof(al.rule), "%s", rule);
	snprintf(al.summary, sizeof(al.summary), "%s", summary);
	alert_evidence_str(&al, "metric", "learned-profile");
	alert_evidence_str(&al, item_key, item);
	if (comm && comm[0]) {
		alert_evidence_str(&al, "top_comm", comm);
		alert_evidence_u64(&al, "top_pid", pid);
	}
	emit(d, cgroup_id, ACTION_ALERT, &al, comm, pid);
}
