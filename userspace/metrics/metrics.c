// SPDX-License-Identifier: GPL-2.0
/* Prometheus metrics: counting, rendering. See metrics.h. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>

#include "lib/log.h"
#include "telemetry/lost.h"
#include "metrics/metrics.h"
#include "metrics/metrics_http.h"
#include "lib/sbuf.h"
#include "lib/utf8.h"
#include "lib/version.h"

#define KINDS		16	/* enum event_kind values counted (more go to the last) */
#define ACTIONS		6	/* enum event_action */
#define MAX_PROGS	128

enum { S_HOST = 0, S_OTHER = 1, S_FIRST = 2 };

struct series {
	bool used;
	uint64_t cgroup_id;
	char ns[256], pod[256], container[128];
	uint64_t events[KINDS][ACTIONS];
	uint64_t denials[KINDS];
	uint64_t alerts[ALERT_CATEGORY_COUNT];
	uint64_t lost[METRICS_MAX_RINGS];
};

struct ring {
	char name[32];
	int fd;
	uint32_t id;
	uint64_t size;
	const unsigned long *cons, *prod;	/* mmapped positions */
	size_t page;
};

struct metrics {
	struct metrics_config cfg;
	struct series *s;		/* [S_HOST], [S_OTHER], then per container */
	size_t ns;			/* slots: S_FIRST + max_containers */
	uint32_t *index;		/* open addressing: cgroup id -> slot + 1, 0 empty */
	size_t nindex;			/* power of two */
	uint64_t last_id;
	size_t last_slot;
	const char *lost_rings[METRICS_MAX_RINGS];	/* ring names seen by metrics_lost() */
	size_t nlost_rings;
	struct ring rings[METRICS_MAX_RINGS];
	size_t nrings;
	char policy_sha256[65];		/* hex; "" until a set is in force */
	uint64_t policy_generation, policy_load_errors;
	int stats_fd;			/* BPF_ENABLE_STATS, -1 if not ours */
	bool stats_warned;

	struct sbuf text;		/* being rendered (loop thread) */
	pthread_mutex_t mu;
	char *published;		/* last rendered, under mu */
	size_t published_len;
	struct metrics_http *http;
};

/* ---- series ------------------------------------------------------------- */

static size_t hash_slot(const struct metrics *m, uint64_t id)
{
	return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 32) & (m->nindex - 1);
}

static size_t find_index(const struct metrics *m, uint64_t id, bool *found)
{
	size_t i = hash_slot(m, id);

	while (m->index[i]) {
		if (m->s[m->index[i] - 1].cgroup_id == id) {
			*found = true;
			return i;
		}
		i = (i + 1) & (m->nindex - 1);
	}
	*found = false;
	return i;
}

/* Backward-shift deletion keeps linear probing correct without tombstones. */
static void index_remove(struct metrics *m, size_t i)
{
	size_t j = i;

	m->index[i] = 0;
	for (;;) {
		size_t k;

		j = (j + 1) & (m->nindex - 1);
		if (!m->index[j])
			return;
		k = hash_slot(m, m->s[m->index[j] - 1].cgroup_id);
		/* move j back to i unless its home k lies cyclically in (i, j] */
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			m->index[i] = m->index[j];
			m->index[j] = 0;
			i = j;
		}
	}
}

static void set_label(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

static void set_labels(struct series *s, const struct container_info *c)
{
	char shortid[16];

	set_label(s->ns, sizeof(s->ns), c->ns);
	set_label(s->pod, sizeof(s->pod), c->pod);
	if (c->name[0]) {
		set_label(s->container, sizeof(s->container), c->name);
	} else {
		snprintf(shortid, sizeof(shortid), "%.12s", c->id);
		set_label(s->container, sizeof(s->container), shortid);
	}
}

static bool labels_differ(const struct series *s, const struct container_info *c)
{
	return strcmp(s->ns, c->ns) || strcmp(s->pod, c->pod) ||
	       (c->name[0] && strcmp(s->container, c->name));
}

static struct series *series_of(struct metrics *m, const struct container_info *c)
{
	struct series *s;
	bool found;
	size_t i, slot;

	if (!c || c->host || !c->cgroup_id)
		return &m->s[S_HOST];
	if (c->cgroup_id == m->last_id) {
		s = &m->s[m->last_slot];
		if (s->used && s->cgroup_id == c->cgroup_id)
			goto check_labels;
	}
	i = find_index(m, c->cgroup_id, &found);
	if (found) {
		slot = m->index[i] - 1;
	} else {
		for (slot = S_FIRST; slot < m->ns && m->s[slot].used; slot++)
			;
		if (slot == m->ns)
			return &m->s[S_OTHER];
		s = &m->s[slot];
		memset(s, 0, sizeof(*s));
		s->used = true;
		s->cgroup_id = c->cgroup_id;
		set_labels(s, c);
		m->index[i] = (uint32_t)slot + 1;
	}
	m->last_id = c->cgroup_id;
	m->last_slot = slot;
	s = &m->s[slot];
check_labels:
	/* Known better now (the runtime's state was read after the first event). */
	if (c->resolved && labels_differ(s, c))
		set_labels(s, c);
	return s;
}

void metrics_event(struct metrics *m, const struct event *ev)
{
	struct series *s;
	unsigned k = ev->kind < KINDS ? (unsigned)ev->kind : KINDS - 1;
	unsigned a = ev->action < ACTIONS ? (unsigned)ev->action : 0;

	if (!m)
		return;
	s = series_of(m, ev->container);
	s->events[k][a]++;
	if (ev->action == ACTION_DENY)
		s->denials[k] += ev->kind == EVENT_NET && ev->net.count ? ev->net.count : 1;
	if (ev->kind == EVENT_ALERT && ev->alert && ev->action != ACTION_RESOLVED &&
	    ev->alert->category < ALERT_CATEGORY_COUNT)
		s->alerts[ev->alert->category]++;
}

void metrics_lost(struct metrics *m, const struct container_info *c, const char *ring, uint64_t n)
{
	struct series *s;
	size_t r;

	if (!m)
		return;
	for (r = 0; r < m->nlost_rings && strcmp(m->lost_rings[r], ring); r++)
		;
	if (r == m->nlost_rings) {
		if (r == METRICS_MAX_RINGS)
			r--;
		else
			m->lost_rings[m->nlost_rings++] = ring;
	}
	s = series_of(m, c);
	s->lost[r] += n;
}

void metrics_forget(struct metrics *m, uint64_t cgroup_id)
{
	bool found;
	size_t i;

	if (!m || !cgroup_id)
		return;
	i = find_index(m, cgroup_id, &found);
	if (!found)
		return;
	m->s[m->index[i] - 1].used = false;
	m->s[m->index[i] - 1].cgroup_id = 0;
	index_remove(m, i);
	m->last_id = 0;
}

/* ---- rings --------------------------------------------------------------- */

int metrics_add_ring(struct metrics *m, const char *name, int map_fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	struct ring *r;
	void *c, *p;

	if (!m || map_fd < 0 || m->nrings == METRICS_MAX_RINGS)
		return -EINVAL;
	if (bpf_obj_get_info_by_fd(map_fd, &info, &len))
		return -errno;
	r = &m->rings[m->nrings];
	r->page = (size_t)sysconf(_SC_PAGESIZE);
	/* The consumer page, then the producer page: both readable (the kernel
	 * lets only the consumer page be mapped writable). */
	c = mmap(NULL, r->page, PROT_READ, MAP_SHARED, map_fd, 0);
	if (c == MAP_FAILED)
		return -errno;
	p = mmap(NULL, r->page, PROT_READ, MAP_SHARED, map_fd, (off_t)r->page);
	if (p == MAP_FAILED) {
		int e = -errno;

		munmap(c, r->page);
		return e;
	}
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->fd = map_fd;
	r->id = info.id;
	r->size = info.max_entries;
	r->cons = c;
	r->prod = p;
	m->nrings++;
	return 0;
}

static void discover_ring(void *ctx, int fd, const struct bpf_map_info *info)
{
	struct metrics *m = ctx;
	char x[16], buf[32];
	size_t n = strlen(info->name);

	if (info->type != BPF_MAP_TYPE_RINGBUF || strncmp(info->name, "bh_", 3) || n < 7 ||
	    strcmp(info->name + n - 3, "_rb") || n - 6 >= sizeof(x))
		return;
	for (size_t i = 0; i < m->nrings; i++)
		if (m->rings[i].id == info->id)
			return;
	memcpy(x, info->name + 3, n - 6);
	x[n - 6] = '\0';
	metrics_add_ring(m, lost_ring_name(x, buf, sizeof(buf)), fd);
}

int metrics_discover_rings(struct metrics *m)
{
	return m ? bpf_own_maps(discover_ring, m) : 0;
}

/* ---- rendering ----------------------------------------------------------- */

void metrics_escape_label(struct sbuf *b, const char *s)
{
	size_t n = strlen(s), i = 0, run = 0;

	/* Escape what the format needs; invalid UTF-8 becomes U+FFFD. */
	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x80 && c != '\\' && c != '"') {
			i++;
			run++;
			continue;
		}
		sbuf_add(b, s + i - run, run);
		run = 0;
		if (c == '\\') {
			sbuf_add(b, "\\\\", 2);
			i++;
		} else if (c == '"') {
			sbuf_add(b, "\\\"", 2);
			i++;
		} else if (c == '\n') {
			sbuf_add(b, "\\n", 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			sbuf_add(b, "?", 1);
			i++;
		} else {
			/* multi-byte: a valid sequence as it is, each byte of an invalid one U+FFFD */
			size_t l = 1, v;

			while (i + l < n && l < 4 && ((unsigned char)s[i + l] & 0xc0) == 0x80)
				l++;
			for (size_t k = 0; k < l; k += v ? v : 1) {
				v = utf8_seq_len((const unsigned char *)s + i + k, l - k);
				if (v)
					sbuf_add(b, s + i + k, v);
				else
					sbuf_add(b, "\xef\xbf\xbd", 3);
			}
			i += l;
		}
	}
	sbuf_add(b, s + i - run, run);
}

static void help(struct sbuf *b, const char *name, const char *type, const char *text)
{
	sbuf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* A metric without labels: its HELP and TYPE lines and its one sample. */
static void scalar(struct sbuf *b, const char *name, const char *type, const char *text,
		   unsigned long long v)
{
	help(b, name, type, text);
	sbuf_addf(b, "%s %llu\n", name, v);
}

static void container_labels(struct sbuf *b, const struct series *s, int which)
{
	const char *ns = s->ns, *pod = s->pod, *ct = s->container;

	if (which == S_OTHER)
		ns = pod = ct = "_other";
	else if (which == S_HOST)
		ns = pod = ct = "";
	sbuf_adds(b, "namespace=\"");
	metrics_escape_label(b, ns);
	sbuf_adds(b, "\",pod=\"");
	metrics_escape_label(b, pod);
	sbuf_adds(b, "\",container=\"");
	metrics_escape_label(b, ct);
	sbuf_add(b, "\"", 1);
}

static const char *kind_name(unsigned k)
{
	return event_kind_name((enum event_kind)k);
}

/*
 * A counter with a sample per series and per index that has a value:
 * name{namespace="..",pod="..",container=".."<label(i)>} value.
 */
struct series_family {
	const char *name, *text;
	uint64_t (*value)(const struct series *s, size_t i);
	void (*label)(struct sbuf *b, const struct metrics *m, size_t i);	/* ",kind=\"..\"" */
};

static uint64_t event_count(const struct series *s, size_t i)
{
	return s->events[i / ACTIONS][i % ACTIONS];
}

static void event_label(struct sbuf *b, const struct metrics *m, size_t i)
{
	sbuf_addf(b, ",kind=\"%s\",action=\"%s\"", kind_name((unsigned)(i / ACTIONS)),
		  event_action_name((enum event_action)(i % ACTIONS)));
}

static uint64_t denial_count(const struct series *s, size_t i)
{
	return s->denials[i];
}

static void kind_label(struct sbuf *b, const struct metrics *m, size_t i)
{
	sbuf_addf(b, ",kind=\"%s\"", kind_name((unsigned)i));
}

static uint64_t alert_count(const struct series *s, size_t i)
{
	return s->alerts[i];
}

static void category_label(struct sbuf *b, const struct metrics *m, size_t i)
{
	sbuf_addf(b, ",category=\"%s\"", alert_category_name((unsigned)i));
}

static uint64_t lost_count(const struct series *s, size_t i)
{
	return s->lost[i];
}

static void ring_label(struct sbuf *b, const struct metrics *m, size_t i)
{
	sbuf_addf(b, ",ring=\"%s\"", m->lost_rings[i]);
}

/* The family's samples, n indexes per series. */
static void render_family(struct metrics *m, struct sbuf *b, const struct series_family *f, size_t n)
{
	help(b, f->name, "counter", f->text);
	for (size_t i = 0; i < m->ns; i++) {
		const struct series *s = &m->s[i];

		if (i >= S_FIRST && !s->used)
			continue;
		for (size_t k = 0; k < n; k++) {
			uint64_t v = f->value(s, k);

			if (!v)
				continue;
			sbuf_adds(b, f->name);
			sbuf_add(b, "{", 1);
			container_labels(b, s, (int)i);
			f->label(b, m, k);
			sbuf_addf(b, "} %llu\n", (unsigned long long)v);
		}
	}
}

static void render_series(struct metrics *m, struct sbuf *b)
{
	static const struct series_family events = {
		"bulkhead_events_total",
		"Events handed to the outputs, by container, kind and action.",
		event_count, event_label,
	}, denials = {
		"bulkhead_denials_total",
		"Operations denied by policy, by container and kind (aggregated kernel records count each denial).",
		denial_count, kind_label,
	}, alerts = {
		"bulkhead_alerts_total",
		"Alerts raised by detectors (refusals of escapes included), by container and category.",
		alert_count, category_label,
	}, lost = {
		"bulkhead_events_lost_total",
		"Records the kernel could not put in a full ring buffer, by container and ring.",
		lost_count, ring_label,
	};

	render_family(m, b, &events, KINDS * ACTIONS);
	render_family(m, b, &denials, KINDS);
	render_family(m, b, &alerts, ALERT_CATEGORY_COUNT);
	render_family(m, b, &lost, m->nlost_rings);
}

static void render_rings(struct metrics *m, const struct metrics_agent *ag, struct sbuf *b)
{
	help(b, "bulkhead_ringbuf_size_bytes", "gauge", "Size of each BPF ring buffer.");
	for (size_t i = 0; i < m->nrings; i++)
		sbuf_addf(b, "bulkhead_ringbuf_size_bytes{ring=\"%s\"} %llu\n", m->rings[i].name,
			  (unsigned long long)m->rings[i].size);
	help(b, "bulkhead_ringbuf_used_bytes", "gauge",
	     "Bytes written by the kernel and not yet consumed by the agent.");
	for (size_t i = 0; i < m->nrings; i++) {
		unsigned long c = __atomic_load_n(m->rings[i].cons, __ATOMIC_ACQUIRE);
		unsigned long p = __atomic_load_n(m->rings[i].prod, __ATOMIC_ACQUIRE);

		sbuf_addf(b, "bulkhead_ringbuf_used_bytes{ring=\"%s\"} %lu\n", m->rings[i].name,
			  p >= c ? p - c : 0);
	}
	help(b, "bulkhead_ringbuf_lost_total", "counter",
	     "Records the kernel could not reserve, per ring buffer (all containers).");
	for (size_t i = 0; i < ag->nrings; i++)
		sbuf_addf(b, "bulkhead_ringbuf_lost_total{ring=\"%s\"} %llu\n", ag->rings[i].name,
			  (unsigned long long)ag->rings[i].lost);
}

static void render_outputs(const struct metrics_agent *ag, struct sbuf *b)
{
	static const char *cls[2] = { "alert", "telemetry" };

#define PER_SINK(metric, mtype, text, fmt, expr)						\
	help(b, metric, mtype, text);							\
	for (size_t i = 0; i < ag->nsinks; i++) {					\
		const struct output_sink_info *si = &ag->sinks[i];			\
		sbuf_adds(b, metric "{output=\"");					\
		metrics_escape_label(b, si->name);					\
		sbuf_addf(b, "\",type=\"%s\"} " fmt "\n", si->type, expr);		\
	}
#define PER_SINK_CLASS(metric, mtype, text, field)					\
	help(b, metric, mtype, text);							\
	for (size_t i = 0; i < ag->nsinks; i++)						\
		for (int c = 0; c < 2; c++) {						\
			const struct output_sink_info *si = &ag->sinks[i];		\
			sbuf_adds(b, metric "{output=\"");				\
			metrics_escape_label(b, si->name);				\
			sbuf_addf(b, "\",type=\"%s\",class=\"%s\"} %llu\n", si->type, cls[c], \
				  (unsigned long long)si->field[c]);			\
		}

	PER_SINK_CLASS("bulkhead_output_messages_total", "counter",
		       "Messages queued for each output, by class (alert, telemetry).", queued)
	PER_SINK_CLASS("bulkhead_output_dropped_total", "counter",
		       "Messages an output's full queue refused, by class (telemetry is dropped first).",
		       dropped)
	PER_SINK_CLASS("bulkhead_output_queue_bytes", "gauge",
		       "Bytes waiting in an output's queue, by class.", queued_bytes)
	PER_SINK_CLASS("bulkhead_output_queue_limit_bytes", "gauge",
		       "Budget of an output's queue, by class.", limit)
	PER_SINK("bulkhead_output_sent_bytes_total", "counter", "Bytes an output delivered.",
		 "%llu", (unsigned long long)si->delivered_bytes)
	PER_SINK("bulkhead_output_errors_total", "counter",
		 "Failed writes or connection attempts of an output.", "%llu",
		 (unsigned long long)si->errors)
	PER_SINK("bulkhead_output_up", "gauge",
		 "1 if the output's last write succeeded, 0 while it is failing.", "%d",
		 si->up || (!si->errors && !si->delivered_bytes) ? 1 : 0)
#undef PER_SINK
#undef PER_SINK_CLASS
}

struct prog_stat {
	char name[BPF_OBJ_NAME_LEN];
	unsigned long long cnt, ns;
};

static void render_progs(struct metrics *m, struct sbuf *b)
{
	struct prog_stat ps[MAX_PROGS];
	size_t np = 0;
	__u32 id = 0;
	FILE *f;
	int enabled = 0;

	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);
		size_t i;

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strncmp(info.name, "bh_", 3)) {
			for (i = 0; i < np && strcmp(ps[i].name, info.name); i++)
				;
			if (i == np && np < MAX_PROGS) {
				memset(&ps[np], 0, sizeof(ps[np]));
				memcpy(ps[np].name, info.name, sizeof(ps[np].name) - 1);
				np++;
			}
			if (i < np) {
				ps[i].cnt += info.run_cnt;
				ps[i].ns += info.run_time_ns;
			}
		}
		close(fd);
	}
	/* BPF_ENABLE_STATS does not show in the sysctl: our own fd counts too. */
	enabled = m->stats_fd >= 0;
	f = enabled ? NULL : fopen("/proc/sys/kernel/bpf_stats_enabled", "re");
	if (f) {
		if (fscanf(f, "%d", &enabled) != 1)
			enabled = 0;
		fclose(f);
	}
	scalar(b, "bulkhead_bpf_stats_enabled", "gauge",
	       "1 if the kernel counts BPF program runs and run time (kernel.bpf_stats_enabled; --bpf-stats).",
	       enabled ? 1 : 0);
	help(b, "bulkhead_bpf_program_runs_total", "counter",
	     "Runs of each of bulkhead's BPF programs (counted only while BPF stats are enabled).");
	for (size_t i = 0; i < np; i++)
		sbuf_addf(b, "bulkhead_bpf_program_runs_total{program=\"%s\"} %llu\n", ps[i].name, ps[i].cnt);
	help(b, "bulkhead_bpf_program_run_seconds_total", "counter",
	     "Time spent in each of bulkhead's BPF programs (counted only while BPF stats are enabled).");
	for (size_t i = 0; i < np; i++)
		sbuf_addf(b, "bulkhead_bpf_program_run_seconds_total{program=\"%s\"} %.9f\n", ps[i].name,
			  (double)ps[i].ns / 1e9);
	if (!enabled && !m->stats_warned) {
		log_info("metrics: kernel.bpf_stats_enabled is 0: BPF program run counts and times stay "
			 "at 0 (--bpf-stats turns them on while the agent runs)");
		m->stats_warned = true;
	}
}

static void render_process(struct sbuf *b)
{
	char buf[1024], *p;
	unsigned long long utime = 0, stime = 0, start = 0, vsize = 0;
	long long rss = 0;
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	unsigned long long btime = 0;
	size_t n;
	FILE *f;
	DIR *d;
	int fds = 0;

	f = fopen("/proc/self/stat", "re");
	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* comm may contain anything */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d "
			 "%*d %*d %llu %llu %lld", &utime, &stime, &start, &vsize, &rss) != 5)
		return;
	f = fopen("/proc/stat", "re");
	while (f && fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "btime %llu", &btime) == 1)
			break;
	if (f)
		fclose(f);
	d = opendir("/proc/self/fd");
	while (d && readdir(d))
		fds++;
	if (d)
		closedir(d);
	help(b, "process_cpu_seconds_total", "counter", "User and system CPU time of the agent.");
	sbuf_addf(b, "process_cpu_seconds_total %.2f\n", (double)(utime + stime) / (double)tck);
	help(b, "process_resident_memory_bytes", "gauge", "Resident memory of the agent.");
	sbuf_addf(b, "process_resident_memory_bytes %lld\n", rss * page);
	help(b, "process_virtual_memory_bytes", "gauge", "Virtual memory of the agent.");
	sbuf_addf(b, "process_virtual_memory_bytes %llu\n", vsize);
	help(b, "process_open_fds", "gauge", "Open file descriptors of the agent.");
	sbuf_addf(b, "process_open_fds %d\n", fds > 3 ? fds - 3 : 0);	/* . .. and opendir's own */
	help(b, "process_start_time_seconds", "gauge", "Start time of the agent, Unix seconds.");
	sbuf_addf(b, "process_start_time_seconds %.2f\n", (double)btime + (double)start / (double)tck);
}

/* The agent's own counters, one sample each. */
static void render_agent(const struct metrics_agent *ag, struct sbuf *b)
{
	const struct { const char *name, *type, *text; uint64_t v; } c[] = {
		{ "bulkhead_output_filtered_total", "counter",
		  "Events not written because of --containers-only.", ag->outputs_filtered },
		{ "bulkhead_containers_tracked", "gauge", "Live containers the agent knows.",
		  ag->containers_tracked },
		{ "bulkhead_cgroups_tracked", "gauge",
		  "Cgroups in the attribution cache (containers and host cgroups, bounded).",
		  ag->cgroups_tracked },
		{ "bulkhead_malformed_records_total", "counter",
		  "Ring-buffer records dropped because their size or kind was wrong.", ag->malformed },
		{ "bulkhead_attribution_deferred_total", "counter",
		  "Events held back until the background resolver knew their container.",
		  ag->attr_deferred },
		{ "bulkhead_attribution_timeouts_total", "counter",
		  "Held events sent before their container was known (resolver too slow).",
		  ag->attr_timeouts },
		{ "bulkhead_attribution_overflow_total", "counter",
		  "Events sent at once without their container because the deferral queue was full.",
		  ag->attr_dropped },
		{ "bulkhead_attribution_resolutions_total", "counter",
		  "Container answers from the background resolver.", ag->attr_resolutions },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		scalar(b, c[i].name, c[i].type, c[i].text, c[i].v);
}

void metrics_policy_loaded(struct metrics *m, const uint8_t sha256[32])
{
	static const char hx[] = "0123456789abcdef";

	if (!m)
		return;
	for (int i = 0; i < 32; i++) {
		m->policy_sha256[2 * i] = hx[sha256[i] >> 4];
		m->policy_sha256[2 * i + 1] = hx[sha256[i] & 15];
	}
	m->policy_sha256[64] = '\0';
	m->policy_generation++;
}

void metrics_policy_load_failed(struct metrics *m)
{
	if (m)
		m->policy_load_errors++;
}

static void render_policy(const struct metrics *m, struct sbuf *b)
{
	if (m->policy_sha256[0]) {
		help(b, "bulkhead_policy_info", "gauge", "The policy set in force: SHA-256 of its files' "
		     "bytes in load order; generation counts the sets this agent put in force.");
		sbuf_addf(b, "bulkhead_policy_info{sha256=\"%s\",generation=\"%llu\"} 1\n",
			  m->policy_sha256, (unsigned long long)m->policy_generation);
	}
	scalar(b, "bulkhead_policy_load_errors_total", "counter",
	       "Policy set loads and reloads refused (errors, or not written to the kernel); the "
	       "set in force stays.", m->policy_load_errors);
}

void metrics_render(struct metrics *m, const struct metrics_agent *ag)
{
	struct sbuf *b = &m->text;

	if (!m)
		return;
	b->len = 0;
	help(b, "bulkhead_build_info", "gauge", "The agent's version.");
	sbuf_adds(b, "bulkhead_build_info{version=\"" BULKHEAD_VERSION "\"} 1\n");
	render_policy(m, b);
	render_series(m, b);
	render_rings(m, ag, b);
	render_outputs(ag, b);
	render_agent(ag, b);
	render_progs(m, b);
	render_process(b);
	metrics_render_verified(b);
	if (b->oom) {
		sbuf_free(b);
		return;
	}
	/* Publish: the HTTP thread copies under the same lock. */
	pthread_mutex_lock(&m->mu);
	if (!m->published || m->published_len < b->len + 1) {
		char *nb = realloc(m->published, b->len + 1);

		if (!nb) {
			pthread_mutex_unlock(&m->mu);
			return;
		}
		m->published = nb;
	}
	memcpy(m->published, b->data, b->len + 1);
	m->published_len = b->len;
	pthread_mutex_unlock(&m->mu);
}

long metrics_snapshot(struct metrics *m, char **buf)
{
	long n = -1;

	pthread_mutex_lock(&m->mu);
	if (m->published) {
		*buf = malloc(m->published_len + 1);
		if (*buf) {
			memcpy(*buf, m->published, m->published_len + 1);
			n = (long)m->published_len;
		}
	}
	pthread_mutex_unlock(&m->mu);
	return n;
}

static long snapshot_cb(void *ctx, char **buf)
{
	return metrics_snapshot(ctx, buf);
}

unsigned metrics_port(const struct metrics *m)
{
	return m ? metrics_http_port(m->http) : 0;
}

struct metrics *metrics_new(const struct metrics_config *cfg, char *err, size_t errlen)
{
	struct metrics *m = calloc(1, sizeof(*m));
	unsigned maxc;

	if (!m)
		goto oom;
	m->cfg = *cfg;
	m->stats_fd = -1;
	pthread_mutex_init(&m->mu, NULL);
	maxc = cfg->max_containers ? cfg->max_containers : METRICS_MAX_CONTAINERS_DEFAULT;
	m->ns = S_FIRST + maxc;
	for (m->nindex = 16; m->nindex < 2 * (size_t)maxc; m->nindex <<= 1)
		;
	m->s = calloc(m->ns, sizeof(*m->s));
	m->index = calloc(m->nindex, sizeof(*m->index));
	if (!m->s || !m->index)
		goto oom;
	if (cfg->bpf_stats) {
		m->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (m->stats_fd < 0)
			log_warn_errno("metrics: --bpf-stats: cannot enable BPF run-time statistics");
		else
			log_info("metrics: BPF run-time statistics on while the agent runs "
				 "(kernel.bpf_stats_enabled)");
	}
	if (cfg->addr) {
		m->http = metrics_http_start(cfg->addr, snapshot_cb, m, err, errlen);
		if (!m->http)
			goto fail;
		log_info("metrics: serving /metrics on %s (port %u)", cfg->addr, metrics_http_port(m->http));
	}
	return m;
oom:
	snprintf(err, errlen, "metrics: out of memory");
fail:
	metrics_free(m);
	return NULL;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	metrics_http_stop(m->http);
	for (size_t i = 0; i < m->nrings; i++) {
		munmap((void *)m->rings[i].cons, m->rings[i].page);
		munmap((void *)m->rings[i].prod, m->rings[i].page);
	}
	if (m->stats_fd >= 0)
		close(m->stats_fd);
	sbuf_free(&m->text);
	free(m->published);
	free(m->s);
	free(m->index);
	pthread_mutex_destroy(&m->mu);
	free(m);
}
