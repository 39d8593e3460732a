// SPDX-License-Identifier: GPL-2.0
/* The escape detector's engine. See detect.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "detect/detect.h"
#include "detect/escape.h"
#include "detect/rules.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "policy/policy.h"

/* A container's recent alerts: per rule, and per category (key DEDUP_CAT + category). */
struct dedup {
	uint64_t cgroup_id;
	uint64_t last_ms;		/* 0: free */
	uint32_t key;
	uint16_t repeats;		/* suppressed since the last alert */
	uint8_t severity;		/* the highest alerted in the window */
};
#define DEDUP_CAT	1000u

struct detect {
	struct detect_config cfg;
	struct event_sink sink;
	struct detect_policy pol;
	struct escape_sensor *sensor;	/* NULL: engine only */
	char proc[128];
	uint32_t host_mnt_ns;
	uint64_t alerts, dropped_policy, deduplicated;
	uint64_t clock_off;
	struct dedup dd[DETECT_DEDUP_MAX];
	struct event_alert scratch;
	char describe[640];
	bool guarded;
	/* The guard's last refusals: the sensor's record of the same call is no alert of its own. */
	struct { uint32_t tid, sig; uint64_t ms; } refused[8];
	unsigned nrefused;
};
#define REFUSED_SAME_CALL_MS	1000

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct detect *detect_new(const struct detect_config *c, const struct event_sink *sink,
			  const struct detect_policy *pol)
{
	struct detect *d = calloc(1, sizeof(*d));
	char path[160];
	struct stat st;

	if (!d)
		return NULL;
	d->cfg = *c;
	d->sink = *sink;
	if (pol)
		d->pol = *pol;
	snprintf(d->proc, sizeof(d->proc), "%s", c->proc ? c->proc : "/proc");
	snprintf(path, sizeof(path), "%s/1/ns/mnt", d->proc);
	if (!stat(path, &st) || (snprintf(path, sizeof(path), "%s/self/ns/mnt", d->proc), !stat(path, &st)))
		d->host_mnt_ns = (uint32_t)st.st_ino;
	return d;
}

int detect_attach(struct detect *d, const char *pin_dir, int task_fd, char *err, size_t errlen)
{
	struct escape_opts o = {
		.btf_path = d->cfg.btf_path, .agent_tgid = d->cfg.agent_tgid,
		.root_cgroup_id = d->cfg.root_cgroup_id, .proc = d->cfg.proc,
		.shared_task_fd = task_fd, .pin_dir = pin_dir,
	};

	if (d->sensor)
		return 0;
	d->sensor = escape_open(&o, err, errlen);
	if (!d->sensor)
		return -1;
	d->guarded = task_fd >= 0;
	d->clock_off = 0;
	detect_tick(d, now_ms());
	return 0;
}

struct detect *detect_open(const struct detect_config *c, const struct event_sink *sink,
			   const struct detect_policy *pol, char *err, size_t errlen)
{
	struct detect *d = detect_new(c, sink, pol);

	if (!d) {
		snprintf(err, errlen, "detect: out of memory");
		return NULL;
	}
	if (detect_attach(d, NULL, c->shared_task_fd, err, errlen)) {
		free(d);
		return NULL;
	}
	return d;
}

void detect_kill_default(struct detect *d, uint32_t protections)
{
	if (d->sensor && escape_can_kill(d->sensor))
		escape_kill_default(d->sensor, protections);
}

const char *detect_describe(struct detect *d)
{
	const char *miss = d->sensor ? escape_missing(d->sensor) : "";

	snprintf(d->describe, sizeof(d->describe), "%s%s%s",
		 d->sensor && escape_can_kill(d->sensor) ?
		 "techniques a policy enforces are killed (SIGKILL) at the syscall (no BPF LSM to refuse them)" :
		 d->sensor && d->guarded ? "reports; the BPF LSM guard refuses what policies enforce" :
		 "alerts only (no policy enforces escape protections)",
		 miss[0] ? "; no tracepoint here for " : "", miss);
	return d->describe;
}

int detect_ringbuf_fd(const struct detect *d)
{
	return d->sensor ? escape_ringbuf_fd(d->sensor) : -1;
}

int detect_task_fd(const struct detect *d)
{
	return d->sensor ? escape_task_fd(d->sensor) : -1;
}

void detect_lost_fds(const struct detect *d, int *per_cgroup, int *total)
{
	*per_cgroup = *total = -1;
	if (d->sensor)
		escape_lost_fds(d->sensor, per_cgroup, total);
}

uint64_t detect_alerts(const struct detect *d)
{
	return d->alerts;
}

void detect_tick(struct detect *d, uint64_t now)
{
	uint64_t real = clock_real_now_ns(), off;
	struct timespec ts;

	(void)now;
	if (!d->sensor)
		return;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	off = real - ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
	/* Re-written when it moved by more than a millisecond (NTP steps, suspend). */
	if (off > d->clock_off + 1000000 || off + 1000000 < d->clock_off) {
		d->clock_off = off;
		escape_clock(d->sensor, off);
	}
}

static struct dedup *dedup_find(struct detect *d, uint64_t cg, uint32_t key, bool create, uint64_t now)
{
	uint64_t h = (cg * 0x9e3779b97f4a7c15ull) ^ (key * 0xff51afd7ed558ccdull);
	struct dedup *victim = NULL;

	for (int i = 0; i < 8; i++) {
		struct dedup *e = &d->dd[(h + (uint64_t)i) % DETECT_DEDUP_MAX];

		if (e->last_ms && e->cgroup_id == cg && e->key == key)
			return e;
		if (!victim || !e->last_ms || now - e->last_ms >= DETECT_DEDUP_MS ||
		    (victim->last_ms && e->last_ms < victim->last_ms))
			victim = e;
	}
	if (!create)
		return NULL;
	*victim = (struct dedup){ .cgroup_id = cg, .key = key };
	return victim;
}

/*
 * One attempt, one alert: within the window a container's alerts of one
 * category are one incident, and only a more severe rule of that category
 * raises another (a mount and its umount, an unshare and the setns that
 * follows). Repeats are counted into the next alert. True if this one goes out.
 */
static bool dedup_pass(struct detect *d, uint64_t cg, const struct rule *r, enum rule_id id,
		       uint64_t now, uint32_t attempt, uint32_t *repeats)
{
	struct dedup *c = dedup_find(d, cg, DEDUP_CAT + r->category, true, now);
	struct dedup *ru;

	*repeats = 0;
	/*
	 * A refusal (attempt: its fingerprint) is an alert of its own, whatever the
	 * category's incident: only the same call again within the window is a
	 * repeat. It opens or raises the category's incident, so the tracepoint
	 * sensor's record of the very same call is counted into it.
	 */
	if (attempt) {
		struct dedup *at = dedup_find(d, cg, attempt, true, now);

		if (at->last_ms && now - at->last_ms < DETECT_DEDUP_MS) {
			if (at->repeats < UINT16_MAX)
				at->repeats++;
			d->deduplicated++;
			return false;
		}
		*repeats = at->last_ms ? at->repeats : 0;
		at->repeats = 0;
		at->last_ms = now;
		c = dedup_find(d, cg, DEDUP_CAT + r->category, true, now);
		if (!c->last_ms || now - c->last_ms >= DETECT_DEDUP_MS)
			c->severity = 0;
		c->last_ms = now;
		if (r->severity > c->severity)
			c->severity = r->severity;
		ru = dedup_find(d, cg, (uint32_t)id, true, now);
		ru->last_ms = now;
		return true;
	}
	if (c->last_ms && now - c->last_ms < DETECT_DEDUP_MS && r->severity <= c->severity) {
		if (c->repeats < UINT16_MAX)
			c->repeats++;
		d->deduplicated++;
		return false;
	}
	if (c->last_ms && now - c->last_ms >= DETECT_DEDUP_MS) {
		*repeats = c->repeats;
		c->severity = 0;
	}
	c->repeats = 0;
	c->last_ms = now;
	if (r->severity > c->severity)
		c->severity = r->severity;
	ru = dedup_find(d, cg, (uint32_t)id, true, now);
	ru->last_ms = now;
	return true;
}

/* Did rule fire for this container within the window? */
static bool fired_lately(struct detect *d, uint64_t cg, uint32_t rule, uint64_t now)
{
	const struct dedup *e = dedup_find(d, cg, rule, false, now);

	return e && now - e->last_ms < DETECT_DEDUP_MS;
}

/*
 * The kernel arms any task outside the host's mount namespace. Attribution
 * says "host" for a cgroup no runtime's state names: a systemd service (its
 * own mount namespace: PrivateTmp, ProtectSystem) is not reported, but a
 * container of a runtime whose state the agent does not read still is.
 */
static bool host_service(const struct container_info *ci)
{
	static const char *const host_trees[] = { "/system.slice", "/user.slice", "/init.scope", "/machine.slice" };
	const char *p = ci->cgroup_path;

	if (!ci->host)
		return false;
	if (!p[0] || !strcmp(p, "/"))
		return ci->resolved;
	for (size_t i = 0; i < sizeof(host_trees) / sizeof(host_trees[0]); i++) {
		size_t n = strlen(host_trees[i]);

		if (!strncmp(p, host_trees[i], n) && (p[n] == '/' || !p[n]))
			return true;
	}
	return false;
}

/* /proc/PID/exe, or "" */
static void exe_of(const struct detect *d, uint32_t pid, char *buf, size_t len)
{
	char path[160];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%u/exe", d->proc, pid);
	n = readlink(path, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
}

/*
 * Where pid lives, seen from the host: the same container (its cgroup is the
 * container's or below), the host (the host's mount namespace), or another
 * container. /proc is hostile input: bounded reads, strict parsing.
 */
static enum rule_target resolve_pid(const struct detect *d, uint32_t pid, const struct container_info *c)
{
	char path[160], buf[1024];
	const char *line, *cg = NULL;
	struct stat st;
	FILE *f;
	size_t n, cl;

	snprintf(path, sizeof(path), "%s/%u/cgroup", d->proc, pid);
	f = fopen(path, "re");
	if (!f)
		return TARGET_UNKNOWN;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (!strncmp(line, "0::", 3)) {
			cg = line + 3;
			break;
		}
	}
	if (cg && c && c->cgroup_path[0]) {
		cl = strlen(c->cgroup_path);
		if (!strncmp(cg, c->cgroup_path, cl) && (cg[cl] == '\n' || cg[cl] == '/' || cg[cl] == '\0'))
			return TARGET_SAME;
	}
	snprintf(path, sizeof(path), "%s/%u/ns/mnt", d->proc, pid);
	if (!stat(path, &st) && d->host_mnt_ns && (uint32_t)st.st_ino == d->host_mnt_ns)
		return TARGET_HOST;
	return TARGET_OTHER;
}

/*
 * Is namespace inum held by a process of the container (its cgroup's
 * processes, at most 4096 looked at)? A setns() into a namespace that a
 * process of the same container made (unshare) is not a way out.
 */
static bool ns_in_container(const struct detect *d, const struct container_info *c, uint64_t inum)
{
	static const char *const types[] = { "mnt", "pid", "net", "user", "uts", "ipc", "cgroup" };
	char path[768], link[64], want[32];
	unsigned pid, seen = 0;
	bool found = false;
	FILE *f;

	if (!d->cfg.cgroup2 || !c || !c->cgroup_path[0])
		return false;
	snprintf(path, sizeof(path), "%s%s/cgroup.procs", d->cfg.cgroup2, c->cgroup_path);
	f = fopen(path, "re");
	if (!f)
		return false;
	snprintf(want, sizeof(want), ":[%llu]", (unsigned long long)inum);
	while (!found && seen++ < 4096 && fscanf(f, "%u", &pid) == 1) {
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]) && !found; t++) {
			ssize_t n;

			snprintf(path, sizeof(path), "%s/%u/ns/%s", d->proc, pid, types[t]);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			found = strstr(link, want) != NULL;
		}
	}
	fclose(f);
	return found;
}

/* /proc/<pid>/mem from a container sharing the host's pids: whose memory? */
static uint32_t proc_mem_pid(const char *path)
{
	const char *p = strstr(path, "/proc/");
	char *end;
	unsigned long v;

	if (!p)
		return 0;
	v = strtoul(p + 6, &end, 10);
	return end != p + 6 && !strcmp(end, "/mem") && v < 0x400000 ? (uint32_t)v : 0;
}

/*
 * A refused call's fingerprint (never 0, above every rule and category key):
 * its signal, numbers and strings, not who made it. The same call again is a
 * repeat; another technique of the same category is another alert.
 */
static uint32_t attempt_key(const struct escape_record *r)
{
	const struct bh_esc_event *e = r->e;
	uint64_t h = 0xcbf29ce484222325ull;
	const unsigned char *p;

#define MIX(ptr, n) for (p = (const unsigned char *)(ptr); p < (const unsigned char *)(ptr) + (n); p++) \
		h = (h ^ *p) * 0x100000001b3ull
	MIX(&e->sig, sizeof(e->sig));
	MIX(e->arg, sizeof(e->arg));
	MIX(&e->target_pid, sizeof(e->target_pid));
	MIX(r->str[0], strlen(r->str[0]));
	h = (h ^ 0xff) * 0x100000001b3ull;
	MIX(r->str[1], strlen(r->str[1]));
#undef MIX
	return 0x80000000u | (uint32_t)(h ^ (h >> 32));
}

static bool policy_allows(const struct detect *d, uint64_t cg, const struct rule *r)
{
	const struct policy *p;

	if (r->policy_bit < 0 || !d->pol.of)
		return true;
	p = d->pol.of(d->pol.ctx, cg);
	return !p || (p->escape.enabled & (1u << r->policy_bit));
}

/* The alert for rule id with evidence already in a: policy, dedup, summary, out. */
static void fire(struct detect *d, enum rule_id id, struct event_alert *a, struct event *ev,
		  uint64_t cg, const struct container_info *ci, uint32_t attempt)
{
	const struct rule *r = &rule_table[id];
	uint64_t now = now_ms();
	uint32_t repeats;

	if (!policy_allows(d, cg, r)) {
		d->dropped_policy++;
		return;
	}
	if (!attempt && r->covered_by && fired_lately(d, cg, r->covered_by, now))
		return;
	if (!dedup_pass(d, cg, r, id, now, attempt, &repeats))
		return;
	if (repeats)
		alert_evidence_u64(a, "repeats_before", repeats);
	a->category = r->category;
	a->severity = r->severity;
	snprintf(a->rule, sizeof(a->rule), "%s", r->name);
	snprintf(a->technique, sizeof(a->technique), "%s", r->technique);
	rules_summary(r, a);
	ev->kind = EVENT_ALERT;
	ev->alert = a;
	ev->container = ci;
	d->alerts++;
	d->sink.emit(d->sink.ctx, ev);
}

int detect_escape_handle(void *ctx, void *data, size_t size)
{
	struct detect *d = ctx;
	struct escape_record r;
	const struct bh_esc_event *e;
	const struct container_info *ci;
	struct event_alert *a = &d->scratch;
	enum rule_target target = TARGET_SAME;
	struct event ev;
	uint64_t cg;
	char exe[256];
	enum rule_id id;

	if (escape_decode(data, size, &r)) {
		sink_malformed(&d->sink);
		return 0;
	}
	e = r.e;
	/*
	 * The guard's refusal and the tracepoint sensor's record of one call (the
	 * guard's is read first: the sensor's wakes no reader where the guard runs):
	 * one alert, the refusal's, even when the two are judged by different rules.
	 */
	if (e->flags & BH_ESCF_REFUSED) {
		d->refused[d->nrefused++ % 8] = (typeof(d->refused[0])){ e->hdr.tid, e->sig, now_ms() };
	} else if (d->guarded) {
		uint64_t now = now_ms();

		for (unsigned i = 0; i < 8; i++)
			if (d->refused[i].ms && d->refused[i].tid == e->hdr.tid && d->refused[i].sig == e->sig &&
			    now - d->refused[i].ms < REFUSED_SAME_CALL_MS) {
				d->deduplicated++;
				return 0;
			}
	}
	memset(&ev, 0, sizeof(ev));
	/* The container the lineage started in: a task that moved itself out is still its. */
	cg = e->base_cgroup_id ? e->base_cgroup_id : e->hdr.cgroup_id;
	ci = d->sink.container(d->sink.ctx, cg, &ev.container_json, &ev.container_json_len);
	if (host_service(ci))
		return 0;	/* a host service with a private mount namespace: not a container */
	if (e->sig == BH_SIG_SETNS)
		target = e->flags & BH_ESCF_TARGET_HOST ? TARGET_HOST :
			 (e->flags & BH_ESCF_TARGET_OTHER) && !ns_in_container(d, ci, e->arg[1]) ? TARGET_OTHER :
			 TARGET_SAME;
	if ((e->flags & BH_ESCF_REFUSED) && (e->sig == BH_SIG_PTRACE || e->sig == BH_SIG_PROCESS_VM) &&
	    (e->flags & (BH_ESCF_TARGET_HOST | BH_ESCF_TARGET_OTHER)))
		/* the guard (BPF LSM) saw the target in the kernel */
		target = e->flags & BH_ESCF_TARGET_HOST ? TARGET_HOST : TARGET_OTHER;
	else if (e->flags & BH_ESCF_HOSTPID) {
		uint32_t pid = e->target_pid;

		if (e->sig == BH_SIG_OPEN)
			pid = proc_mem_pid(r.str[0]);
		if ((e->sig == BH_SIG_PTRACE || e->sig == BH_SIG_PROCESS_VM || e->sig == BH_SIG_OPEN) && pid)
			target = resolve_pid(d, pid, ci);
	}
	memset(a, 0, offsetof(struct event_alert, evidence));
	id = rules_classify(&r, target, a);
	if (id == R_NONE)
		return 0;
	if (e->suppressed)
		alert_evidence_u64(a, "suppressed_before", e->suppressed);
	a->enforcement = e->flags & BH_ESCF_REFUSED ? ALERT_ENF_REFUSED :
			 e->flags & BH_ESCF_KILLED ? ALERT_ENF_KILLED : ALERT_ENF_NONE;
	a->n_chain = 0;
	for (uint32_t i = 0; i < r.n_chain && i < ALERT_CHAIN_MAX; i++) {
		const struct bh_esc_ancestor *c = &e->chain[i];
		struct alert_ancestor *o = &a->chain[a->n_chain++];

		o->pid = c->pid;
		o->uid = c->uid;
		snprintf(o->comm, sizeof(o->comm), "%.*s", (int)sizeof(c->comm), c->comm);
		exe_of(d, c->pid, o->exe, sizeof(o->exe));
		if (!o->exe[0])
			snprintf(o->exe, sizeof(o->exe), "%.*s", (int)sizeof(c->exe), c->exe);
	}
	ev.action = a->enforcement ? ACTION_DENY : ACTION_ALERT;
	ev.time_ns = clock_boot_to_real_ns(e->hdr.ts_boot_ns);
	ev.proc.pid = e->hdr.pid;
	ev.proc.tid = e->hdr.tid;
	ev.proc.ppid = e->hdr.ppid;
	ev.proc.uid = e->hdr.uid;
	ev.proc.gid = e->hdr.gid;
	snprintf(ev.proc.comm, sizeof(ev.proc.comm), "%.*s", BH_COMM_LEN, e->hdr.comm);
	exe_of(d, e->hdr.pid, exe, sizeof(exe));
	if (exe[0]) {
		ev.proc.exe = exe;
		ev.proc.exe_len = strlen(exe);
	}
	fire(d, id, a, &ev, cg, ci, e->flags & BH_ESCF_REFUSED ? attempt_key(&r) : 0);
	return 0;
}

void detect_event(struct detect *d, const struct event *in)
{
	struct event_alert *a = &d->scratch;
	struct event ev;
	const char *base;
	char name[64];
	size_t n;
	enum rule_id id;

	if (in->kind != EVENT_EXEC || !in->container || in->container->host || !in->proc.exe)
		return;
	n = in->proc.exe_len;
	base = memrchr(in->proc.exe, '/', n);
	base = base ? base + 1 : in->proc.exe;
	n -= (size_t)(base - in->proc.exe);
	if (!n || n >= sizeof(name))
		return;
	memcpy(name, base, n);
	name[n] = '\0';
	memset(a, 0, offsetof(struct event_alert, evidence));
	id = rules_classify_exec(name, a);
	if (id == R_NONE)
		return;
	ev = *in;
	ev.action = ACTION_ALERT;
	ev.proc.args = NULL;
	ev.proc.args_len = 0;
	fire(d, id, a, &ev, in->container->cgroup_id, in->container, 0);
}

void detect_close(struct detect *d)
{
	if (!d)
		return;
	escape_close(d->sensor);
	free(d);
}
