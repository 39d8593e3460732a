// SPDX-License-Identifier: GPL-2.0
/* The anomaly engine: sample, decide, learn. See anomaly.h. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "anomaly/anomaly.h"
#include "anomaly/baseline.h"
#include "anomaly/cgroup_stats.h"
#include "anomaly/counters.h"
#include "anomaly/detector.h"
#include "anomaly/learn.h"
#include "lib/log.h"
#include "pipeline/sink.h"
#include "policy/policy.h"

#define MAX_TRACKED 4096
#define DISCOVER_EVERY_S 5	/* look for cgroups with counters we do not watch yet */
#define LIMITS_EVERY_S 10	/* limits and the container's first pid */
#define SAVE_EVERY_S 60
#define WALK_MAX 16384
#define UNRESOLVED_AFTER_S 5	/* watch a container by its cgroup path alone after this long */

enum tstate { T_NEW = 0, T_HOST, T_CONTAINER };

struct tracked {
	uint64_t cgroup_id;
	uint8_t state;
	bool have_prev;
	char rel[512];
	char wkey[BASELINE_KEY_MAX];
	struct policy_anomaly pol;
	uint32_t learn_s;
	uint64_t learn_until;		/* unix seconds */
	struct anom_ct *ct;
	struct anom_kernel_sample prev;
	struct cg_sample cg, cg_prev;
	uint64_t prev_ms, limits_at, first_seen_s;
	uint64_t born_ms;		/* made while we watched (cgroup_mkdir): its counters start at 0 */
	uint64_t file_oom_prev;
	uint32_t pid;
	bool own_netns;
	char oom_comm[17];
	uint32_t oom_pid;
	/* a shell record that came before the container was known */
	bool shell_pending;
	char shell_comm[17], shell_dest[64];
	uint32_t shell_pid, shell_fd;
};

struct anomaly {
	struct anomaly_config cfg;
	struct event_sink sink;
	struct anom_counters *kc;
	struct detector *det;
	struct learner *learn;
	struct policy_set *set;
	struct cg_roots roots;
	struct tracked *t;
	size_t n;
	uint64_t tick_no, saved_at, cpus;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t boot_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec;
}

static uint64_t unix_s(void)
{
	return (uint64_t)time(NULL);
}

static struct tracked *find(struct anomaly *a, uint64_t id)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->t[i].cgroup_id == id)
			return &a->t[i];
	return NULL;
}

static struct tracked *track(struct anomaly *a, uint64_t id)
{
	struct tracked *t = find(a, id);

	if (t || id <= 1)
		return t;
	if (a->n >= MAX_TRACKED)
		return NULL;
	t = &a->t[a->n++];
	memset(t, 0, sizeof(*t));
	t->cgroup_id = id;
	t->first_seen_s = unix_s();
	return t;
}

static void untrack(struct anomaly *a, struct tracked *t)
{
	size_t i = (size_t)(t - a->t);

	a->t[i] = a->t[--a->n];
}

void anomaly_cgroup_new(struct anomaly *a, uint64_t cgroup_id)
{
	struct tracked *t = track(a, cgroup_id);

	if (t && !t->have_prev && !t->born_ms)
		t->born_ms = mono_ms();
}

void anomaly_cgroup_gone(struct anomaly *a, uint64_t cgroup_id)
{
	struct tracked *t = find(a, cgroup_id);

	if (!t)
		return;
	if (t->state == T_CONTAINER)
		detector_container_gone(a->det, cgroup_id, unix_s());
	anom_counters_forget(a->kc, cgroup_id);
	untrack(a, t);
}

static void discover_one(void *ctx, uint64_t id)
{
	track(ctx, id);
}

/* Every cgroup there is at start-up (an idle container has no counters yet). */
static void walk(struct anomaly *a, const char *dir, int depth, size_t *budget)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	char path[PATH_MAX];

	if (depth > 16 || !*budget || !(d = opendir(dir)))
		return;
	while ((de = readdir(d)) && *budget) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		if (stat(path, &st))
			continue;
		(*budget)--;
		track(a, st.st_ino);
		walk(a, path, depth + 1, budget);
	}
	closedir(d);
}

static const struct policy_anomaly defaults = { .enabled = 1, .sensitivity = 2, .learn_seconds = 600 };

static void assign_policy(struct anomaly *a, struct tracked *t, const struct container_info *ci)
{
	struct policy_container pc = { .k8s_namespace = ci->ns, .k8s_pod = ci->pod,
				       .k8s_container = ci->name, .cgroup_path = ci->cgroup_path };
	const struct policy *p = a->set ? policy_select(a->set, &pc, NULL) : NULL;

	t->pol = p ? p->anomaly : defaults;
	t->learn_s = a->cfg.learn_s ? a->cfg.learn_s : t->pol.learn_mode_seconds;
}

/* Decide what a tracked cgroup is, once attribution knows. */
static void classify(struct anomaly *a, struct tracked *t)
{
	const char *json;
	size_t jl;
	const struct container_info *ci = a->sink.container(a->sink.ctx, t->cgroup_id, &json, &jl);
	uint64_t now = unix_s();

	/* A container whose runtime state cannot be read is watched after a while
	 * all the same, by what its cgroup path says (runtime, id). */
	if (!ci || (!ci->resolved && (ci->host || !ci->id[0] || now < t->first_seen_s + UNRESOLVED_AFTER_S)))
		return;
	if (ci->host || !ci->cgroup_path[0]) {
		t->state = T_HOST;
		return;
	}
	snprintf(t->rel, sizeof(t->rel), "%s", ci->cgroup_path);
	workload_key(ci->ns, ci->pod, ci->name, ci->image, ci->id, t->wkey, sizeof(t->wkey));
	assign_policy(a, t, ci);
	t->ct = detector_container(a->det, t->cgroup_id, t->wkey, now);
	if (!t->ct) {
		t->state = T_HOST;	/* table full: said once below */
		log_warn("anomaly: more than the containers the engine can watch: %s is not watched", t->wkey);
		return;
	}
	t->learn_until = t->learn_s ? now + t->learn_s : 0;
	t->state = T_CONTAINER;
	if (t->shell_pending) {
		detector_shell_net(a->det, t->ct, t->shell_comm, t->shell_pid, t->shell_dest, t->shell_fd, now);
		t->shell_pending = false;
	}
}

static double rate(uint64_t now, uint64_t then, double dt)
{
	return now >= then ? (double)(now - then) / dt : 0;
}

static void sample(struct anomaly *a, struct tracked *t, uint64_t now_ms, uint64_t now_boot, uint64_t now)
{
	struct anom_kernel_sample ks;
	struct anom_obs o;
	uint32_t what = CG_READ_CPU | CG_READ_MEM;
	double dt;
	bool have_k;

	if (!t->limits_at || now >= t->limits_at + LIMITS_EVERY_S) {
		what |= CG_READ_LIMITS | CG_READ_OOM | CG_READ_PIDS;
		t->pid = cg_first_pid(&a->roots, t->rel);
		t->own_netns = t->pid && cg_own_netns(&a->roots, t->pid);
		t->limits_at = now;
	}
	/* Only what a rule can use: CPU pressure only for a container busy enough
	 * for the CPU rule, network counters only in a network namespace of its own. */
	if (t->ct && detector_cpu_busy(t->ct))
		what |= CG_READ_PSI;
	if (t->own_netns)
		what |= CG_READ_NET;
	have_k = !anom_counters_read(a->kc, t->cgroup_id, now_boot, &ks);
	t->cg_prev = t->cg;
	{
		struct cg_sample s = t->cg;	/* limits stay until read again */
		uint32_t got = cg_stats_read(&a->roots, t->rel, t->pid, what, &s);

		s.have = got | (t->cg.have & CG_READ_LIMITS);
		t->cg = s;
	}
	if (!t->have_prev && t->born_ms) {
		/*
		 * Made while we watched: everything it counted happened since its
		 * birth, so a bomb or an OOM before attribution knew the container
		 * is measured too (runc's own start-up is a few forks, far below
		 * any floor).
		 */
		memset(&t->prev, 0, sizeof(t->prev));
		memset(&t->cg_prev, 0, sizeof(t->cg_prev));
		t->cg_prev.have = t->cg.have & (CG_READ_CPU | CG_READ_NET);
		t->cg_prev.net_tx_bytes = t->cg.net_tx_bytes;	/* a veth made before its first pid */
		t->prev_ms = t->born_ms;
		t->file_oom_prev = 0;
		t->have_prev = true;
	}
	if (!t->have_prev) {
		t->prev = ks;
		t->prev_ms = now_ms;
		t->have_prev = true;
		t->file_oom_prev = t->cg.oom_kills;
		return;
	}
	dt = (double)(now_ms - t->prev_ms) / 1000.0;
	if (dt < 0.2)
		return;
	memset(&o, 0, sizeof(o));
	if (have_k) {
		o.v[AM_FORKS] = rate(ks.v[BH_AC_FORKS], t->prev.v[BH_AC_FORKS], dt);
		o.v[AM_EXECS] = rate(ks.v[BH_AC_EXECS], t->prev.v[BH_AC_EXECS], dt);
		o.connects_all = rate(ks.v[BH_AC_CONNECTS], t->prev.v[BH_AC_CONNECTS], dt);
		o.connect_local = rate(ks.v[BH_AC_CONNECT_LOCAL], t->prev.v[BH_AC_CONNECT_LOCAL], dt);
		o.v[AM_CONNECTS] = anom_burst_connects(o.connects_all, o.connect_local, o.v[AM_EXECS]);
		o.fork_fail = rate(ks.v[BH_AC_FORK_FAIL], t->prev.v[BH_AC_FORK_FAIL], dt);
		o.exits = rate(ks.v[BH_AC_EXITS], t->prev.v[BH_AC_EXITS], dt);
		o.connect_fail = rate(ks.v[BH_AC_CONNECT_FAIL], t->prev.v[BH_AC_CONNECT_FAIL], dt);
		o.oom_new = ks.v[BH_AC_OOM_KILLS] > t->prev.v[BH_AC_OOM_KILLS] ?
			    ks.v[BH_AC_OOM_KILLS] - t->prev.v[BH_AC_OOM_KILLS] : 0;
		o.v[AM_PORTS] = ks.ports;
		o.v[AM_DESTS] = ks.dests;
		o.have |= 1u << AM_FORKS | 1u << AM_EXECS | 1u << AM_CONNECTS | 1u << AM_PORTS | 1u << AM_DESTS;
		for (int k = 0; k < BH_TOP_COUNT; k++) {
			memcpy(o.top_comm[k], ks.top[k].comm, sizeof(o.top_comm[k]));
			o.top_pid[k] = ks.top[k].pid;
		}
	} else {
		/* Nothing counted in the kernel yet: no forks, no connects. */
		o.have |= 1u << AM_FORKS | 1u << AM_EXECS | 1u << AM_CONNECTS | 1u << AM_PORTS | 1u << AM_DESTS;
		memset(&ks, 0, sizeof(ks));
	}
	if ((t->cg.have & CG_READ_CPU) && (t->cg_prev.have & CG_READ_CPU)) {
		o.v[AM_CPU] = rate(t->cg.cpu_usec, t->cg_prev.cpu_usec, dt) / 10000.0;
		o.have |= 1u << AM_CPU;
	}
	if (t->cg.have & CG_READ_PSI) {
		o.psi_cpu = t->cg.psi_cpu;
		o.have_psi = true;
	}
	if (t->cg.have & CG_READ_MEM) {
		o.v[AM_MEMORY] = (double)t->cg.mem_current;
		o.have |= 1u << AM_MEMORY;
	}
	if ((t->cg.have & CG_READ_NET) && (t->cg_prev.have & CG_READ_NET)) {
		o.v[AM_EGRESS] = rate(t->cg.net_tx_bytes, t->cg_prev.net_tx_bytes, dt);
		o.have |= 1u << AM_EGRESS;
	}
	if ((t->cg.have & CG_READ_OOM) && t->cg.oom_kills > t->file_oom_prev) {
		uint64_t f = t->cg.oom_kills - t->file_oom_prev;

		if (f > o.oom_new)
			o.oom_new = f;	/* the tracepoint missed one (a kill before we watched) */
	}
	if (t->cg.have & CG_READ_OOM)
		t->file_oom_prev = t->cg.oom_kills;
	if (o.oom_new && t->oom_comm[0]) {
		memcpy(o.oom_comm, t->oom_comm, sizeof(o.oom_comm));
		o.oom_pid = t->oom_pid;
	}
	o.mem_max = t->cg.have & CG_READ_LIMITS ? t->cg.mem_max : CG_UNLIMITED;
	o.cpu_limit_pct = a->cpus * 100;
	if ((t->cg.have & CG_READ_LIMITS) && t->cg.cpu_quota_pct && t->cg.cpu_quota_pct < o.cpu_limit_pct)
		o.cpu_limit_pct = t->cg.cpu_quota_pct;
	o.pids_current = t->cg.pids_current;
	o.pids_max = t->cg.pids_max;
	if (log_verbose())
		log_debug("anomaly: %s forks %.0f fail %.0f exits %.0f execs %.0f conn %.0f (all %.0f local %.0f) ports %.0f cpu %.1f mem %.0f max %llu oom %llu have %x/%x psi %.1f want %.1f",
			 t->wkey, o.v[AM_FORKS], o.fork_fail, o.exits, o.v[AM_EXECS], o.v[AM_CONNECTS], o.connects_all, o.connect_local,
			 o.v[AM_PORTS], o.v[AM_CPU], o.v[AM_MEMORY], (unsigned long long)o.mem_max,
			 (unsigned long long)o.oom_new, o.have, t->cg.have, o.psi_cpu, detector_cpu_want(t->ct));
	detector_observe(a->det, t->ct, &o, &t->pol, now);
	t->prev = ks;
	t->prev_ms = now_ms;
}

void anomaly_tick(struct anomaly *a)
{
	uint64_t now_ms = mono_ms(), now_boot = boot_s(), now = unix_s();
	char err[256];

	a->tick_no++;
	if (a->tick_no % DISCOVER_EVERY_S == 1)
		anom_counters_each(a->kc, discover_one, a, MAX_TRACKED);
	for (size_t i = 0; i < a->n; i++) {
		struct tracked *t = &a->t[i];

		if (t->state == T_NEW)
			classify(a, t);
		if (t->state == T_CONTAINER && t->pol.enabled)
			sample(a, t, now_ms, now_boot, now);
		else if (t->state == T_CONTAINER && t->ct)
			detector_observe(a->det, t->ct, &(struct anom_obs){ 0 }, &t->pol, now);
	}
	if (a->cfg.state_path && now >= a->saved_at + SAVE_EVERY_S) {
		a->saved_at = now;
		if (baselines_save(detector_baselines(a->det), a->cfg.state_path, err, sizeof(err)))
			log_warn("%s: baselines are not kept across restarts", err);
	}
}

static void format_dest(const struct anom_record *r, char *out, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (r->family == 4)
		inet_ntop(AF_INET, r->addr, ip, sizeof(ip));
	else if (r->family == 6)
		inet_ntop(AF_INET6, r->addr, ip, sizeof(ip));
	if (r->family == 6)
		snprintf(out, len, "[%s]:%u", ip, r->port);
	else
		snprintf(out, len, "%s:%u", ip, r->port);
}

static void novelty(struct anomaly *a, struct tracked *t, enum learn_kind k, const char *item,
		    const char *comm, uint32_t pid)
{
	char summary[256];
	static const char *const rule[LK_COUNT] = { "new-executable", "new-destination", "new-listen-port" };
	static const char *const what[LK_COUNT] = { "ran an executable", "connected to a destination",
						    "listened on a port" };

	if (t->state != T_CONTAINER || !t->learn_s || !t->pol.enabled)
		return;
	if (learner_see(a->learn, t->wkey, k, item, t->learn_until, unix_s()) != 1)
		return;
	snprintf(summary, sizeof(summary), "%s %s not seen while learning: %s", t->wkey, what[k], item);
	detector_novelty(a->det, t->cgroup_id, rule[k], summary, learn_kind_names[k], item, comm, pid);
}

int anomaly_handle(void *ctx, void *data, size_t size)
{
	struct anomaly *a = ctx;
	struct anom_record r;
	struct tracked *t;
	char dest[80], port[16];

	if (anom_record_decode(data, size, &r)) {
		sink_malformed(&a->sink);
		return 0;
	}
	if (!(t = track(a, r.cgroup_id)))
		return 0;
	if (t->state == T_NEW)
		classify(a, t);
	if (t->state == T_HOST)
		return 0;
	switch (r.rec) {
	case BH_AR_OOM:
		memcpy(t->oom_comm, r.comm, sizeof(t->oom_comm));
		t->oom_pid = r.pid;
		break;
	case BH_AR_SHELL_NET:
		format_dest(&r, dest, sizeof(dest));
		if (t->state == T_CONTAINER) {
			if (t->pol.enabled)
				detector_shell_net(a->det, t->ct, r.comm, r.pid, dest, r.fd, unix_s());
		} else {
			t->shell_pending = true;
			memcpy(t->shell_comm, r.comm, sizeof(t->shell_comm));
			snprintf(t->shell_dest, sizeof(t->shell_dest), "%s", dest);
			t->shell_pid = r.pid;
			t->shell_fd = r.fd;
		}
		break;
	case BH_AR_CONNECT:
		format_dest(&r, dest, sizeof(dest));
		novelty(a, t, LK_DEST, dest, r.comm, r.pid);
		break;
	case BH_AR_LISTEN:
		snprintf(port, sizeof(port), "%u", r.port);
		novelty(a, t, LK_LISTEN, port, r.comm, r.pid);
		break;
	}
	return 0;
}

void anomaly_observe(struct anomaly *a, const struct event *ev)
{
	struct tracked *t;
	char exe[BH_PATH_MAX + 1];
	size_t n;

	if (!a || ev->kind != EVENT_EXEC || !ev->container || ev->container->host || !ev->proc.exe)
		return;
	t = find(a, ev->container->cgroup_id);
	if (!t || t->state != T_CONTAINER || !t->learn_s)
		return;
	n = ev->proc.exe_len < sizeof(exe) - 1 ? ev->proc.exe_len : sizeof(exe) - 1;
	memcpy(exe, ev->proc.exe, n);
	exe[n] = '\0';
	novelty(a, t, LK_EXEC, exe, ev->proc.comm, ev->proc.pid);
}

static void load_policies(struct anomaly *a)
{
	struct policy_errors errs;
	struct policy_set *set;

	if (!a->cfg.policy_path)
		return;
	policy_errors_init(&errs);
	set = policy_set_load(a->cfg.policy_path, &errs);
	policy_errors_free(&errs);
	if (!set) {
		log_warn("anomaly: policies at %s have errors: spec.anomaly of the last good set stays",
			 a->cfg.policy_path);
		return;
	}
	policy_set_drop_rules(set);	/* selectors and spec.anomaly are what this reads */
	policy_set_free(a->set);
	a->set = set;
}

void anomaly_reload(struct anomaly *a, const struct policy_set *loaded)
{
	const struct container_info *ci;
	struct policy_set *set;
	const char *json;
	size_t jl;

	if (!loaded) {
		load_policies(a);
	} else if ((set = policy_set_copy_meta(loaded))) {
		policy_set_drop_rules(set);
		policy_set_free(a->set);
		a->set = set;
	} else {
		log_warn("anomaly: out of memory: spec.anomaly of the last set stays");
	}
	for (size_t i = 0; i < a->n; i++) {
		struct tracked *t = &a->t[i];

		if (t->state != T_CONTAINER)
			continue;
		ci = a->sink.container(a->sink.ctx, t->cgroup_id, &json, &jl);
		if (ci && !ci->host)
			assign_policy(a, t, ci);
	}
}

struct anomaly *anomaly_open(const struct anomaly_config *c, char *err, size_t errlen)
{
	struct anom_counters_opts ko = { .btf_path = c->btf_path, .report_connects = true };
	struct detector_params dp = { .warmup_s = c->warmup_s };
	struct anomaly *a = calloc(1, sizeof(*a));
	size_t budget = WALK_MAX;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char e2[512];
	int r;

	if (!a || !(a->t = calloc(MAX_TRACKED, sizeof(*a->t)))) {
		snprintf(err, errlen, "anomaly: out of memory");
		goto fail;
	}
	a->cfg = *c;
	a->sink = *c->sink;
	a->cpus = ncpu > 0 ? (uint64_t)ncpu : 1;
	cg_roots_init(&a->roots, c->cgroup2);
	if (!(a->det = detector_new(c->sink, &dp)) || !(a->learn = learner_new())) {
		snprintf(err, errlen, "anomaly: out of memory");
		goto fail;
	}
	if (c->state_path) {
		r = baselines_load(detector_baselines(a->det), c->state_path, e2, sizeof(e2));
		if (r < 0)
			log_warn("anomaly: state file %s: baselines start afresh", e2);
		else if (r == 0)
			log_info("anomaly: %zu workload baselines loaded from %s",
				 baselines_count(detector_baselines(a->det)), c->state_path);
	}
	load_policies(a);
	if (!(a->kc = anom_counters_open(&ko, err, errlen)))
		goto fail;
	walk(a, a->roots.v2, 0, &budget);
	a->saved_at = unix_s();
	return a;
fail:
	anomaly_close(a);
	return NULL;
}

void anomaly_close(struct anomaly *a)
{
	char err[256];

	if (!a)
		return;
	if (a->det && a->kc && a->cfg.state_path &&
	    baselines_save(detector_baselines(a->det), a->cfg.state_path, err, sizeof(err)))
		log_warn("%s", err);
	anom_counters_close(a->kc);
	detector_free(a->det);
	learner_free(a->learn);
	policy_set_free(a->set);
	free(a->t);
	free(a);
}

int anomaly_ringbuf_fd(const struct anomaly *a)
{
	return anom_counters_ringbuf_fd(a->kc);
}

void anomaly_lost_fds(const struct anomaly *a, int *per_cgroup, int *total)
{
	anom_counters_lost_fds(a->kc, per_cgroup, total);
}

void anomaly_stats(const struct anomaly *a, uint64_t *containers, uint64_t *alerts)
{
	uint64_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		n += a->t[i].state == T_CONTAINER;
	*containers = n;
	*alerts = detector_alerts(a->det);
}
