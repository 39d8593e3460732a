// SPDX-License-Identifier: GPL-2.0
/* Container attribution off the event path. See attrib.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include "attrib/attrib.h"
#include "lib/cgroup_path.h"
#include "pipeline/event_json.h"
#include "lib/log.h"

#define REQ_QUEUE	1024		/* requests per priority */
#define RES_QUEUE	256		/* answers waiting for the loop */
#define RES_BATCH	32		/* answers taken per lock */
#define RETRY_MAX	1024		/* cgroups whose state is awaited */
#define RETRY_FIRST_MS	10
#define RETRY_MAX_MS	1000
#define RETRY_FOR_MS	10000		/* then the answer stays as it is */
#define REFRESH_MS	30000		/* the loop asks again about unfinished answers */
#define WAIT_STATE_MS	RETRY_FOR_MS	/* a container's state may appear this long after its cgroup */
#define NUDGE_MS	10		/* an event of such a container asks again, at most this often */
#define REQ_PATH	256
#define SCAN_DEPTH	32
#define JSON_CACHE_MAX	2048		/* longer container members are formatted per event */

enum req_kind { RQ_RESOLVE, RQ_NEW, RQ_FORGET };
enum { PRIO_HI = 0, PRIO_LO = 1 };

struct req {
	uint64_t id;
	uint32_t kind;
	char path[REQ_PATH];		/* "" unknown */
};

struct result {
	uint64_t id;
	struct container_info info;
};

struct retry {
	uint64_t id;
	uint64_t next_ms, until_ms;
	unsigned backoff_ms;
	char path[REQ_PATH];
};

struct held {
	struct held *next;
	struct event ev;
	char data[];			/* copies of the event's strings */
};

struct centry {
	struct centry *hnext;		/* hash chain */
	struct centry *prev, *next;	/* LRU, most recent first */
	struct centry *wnext;		/* watch list: held events or gone */
	bool watched, pending, gone, counted;
	bool waiting;			/* a container whose runtime state is not there yet */
	uint64_t wait_until_ms, nudged_ms;
	uint64_t gone_at_ms, refresh_at_ms, held_since_ms;
	struct held *held, **held_tail;
	unsigned nheld;
	char *json;			/* info as a JSON member, formatted on first use; NULL */
	size_t json_len;
	struct container_info info;
};

struct attrib {
	struct attrib_config cfg;
	attrib_emit_fn emit;
	attrib_gone_fn gone;
	void *ctx;

	/* loop side */
	struct centry **buckets;
	size_t nbuckets;
	struct centry lru;
	struct centry *watch;
	struct centry *last;		/* the entry of the last lookup: events come in runs */
	size_t n;
	unsigned nheld;
	struct container_info host0, scratch;
	char host0_json[128];
	size_t host0_json_len;
	struct json_writer jw;		/* formats the cached members */
	struct result *batch;
	struct attrib_stats st;

	/* shared */
	pthread_t thr;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv_req, cv_res;
	struct req *rq[2];
	unsigned rq_head[2], rq_len[2];
	struct result *res;
	unsigned res_head, res_len;
	bool stop;
	int efd;
	uint64_t scanned;

	/* resolver side */
	struct registry *reg;
	struct retry *retries;
	unsigned nretries;
	char root[PATH_MAX];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The event path's clock: a few ms coarse (a tick), a memory read instead of a clock read. */
static uint64_t coarse_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- requests and answers ----------------------------------------------- */

/* Loop thread. 0, or -ENOSPC. */
static int submit(struct attrib *a, int prio, uint32_t kind, uint64_t id, const char *path)
{
	struct req *r;
	int err = 0;

	pthread_mutex_lock(&a->mu);
	if (a->rq_len[prio] == REQ_QUEUE) {
		err = -ENOSPC;
		a->st.queue_full++;
	} else {
		r = &a->rq[prio][(a->rq_head[prio] + a->rq_len[prio]++) % REQ_QUEUE];
		r->id = id;
		r->kind = kind;
		r->path[0] = '\0';
		if (path && strlen(path) < sizeof(r->path))
			strcpy(r->path, path);
		pthread_cond_signal(&a->cv_req);
	}
	pthread_mutex_unlock(&a->mu);
	return err;
}

/* Resolver thread: hand an answer to the loop (waits while the loop is behind). */
static void post(struct attrib *a, uint64_t id, const struct container_info *ci)
{
	uint64_t one = 1;
	struct result *r;

	pthread_mutex_lock(&a->mu);
	while (a->res_len == RES_QUEUE && !a->stop)
		pthread_cond_wait(&a->cv_res, &a->mu);
	if (a->stop) {
		pthread_mutex_unlock(&a->mu);
		return;
	}
	r = &a->res[(a->res_head + a->res_len++) % RES_QUEUE];
	r->id = id;
	r->info = *ci;
	pthread_mutex_unlock(&a->mu);
	if (write(a->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_debug("attrib: eventfd: %s", strerror(errno));
}

/* ---- the resolver thread ------------------------------------------------ */

static struct retry *retry_find(struct attrib *a, uint64_t id)
{
	for (unsigned i = 0; i < a->nretries; i++)
		if (a->retries[i].id == id)
			return &a->retries[i];
	return NULL;
}

static void retry_remove(struct attrib *a, uint64_t id)
{
	struct retry *r = retry_find(a, id);

	if (r)
		*r = a->retries[--a->nretries];
}

static void retry_add(struct attrib *a, uint64_t id, const char *path, uint64_t now)
{
	struct retry *r = retry_find(a, id);

	if (!r) {
		if (a->nretries == RETRY_MAX)
			return;
		r = &a->retries[a->nretries++];
		r->id = id;
		r->backoff_ms = RETRY_FIRST_MS;
		r->until_ms = now + RETRY_FOR_MS;
	} else {
		r->backoff_ms = r->backoff_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : r->backoff_ms * 2;
	}
	r->next_ms = now + r->backoff_ms;
	r->path[0] = '\0';
	if (path && strlen(path) < sizeof(r->path))
		strcpy(r->path, path);
}

/* Resolve one cgroup on the resolver's own registry. */
static void resolve_one(struct attrib *a, uint64_t id, const char *path, bool from_retry)
{
	const struct container_info *ci;
	struct retry *r;
	uint64_t now = now_ms();

	/*
	 * No path (a miss, or one too long for a request): the registry's cached
	 * answer may be a miss from before the runtime wrote its state, which a
	 * path would have made it read again. Look up by id afresh instead.
	 */
	if (!(path && path[0]))
		registry_forget(a->reg, id);
	ci = path && path[0] ? registry_add_path(a->reg, id, path) : registry_lookup(a->reg, id);
	/* The root cgroup is never a container's: no state to wait for (the
	 * registry waits a few seconds for a host-looking cgroup it sees first). */
	if (ci->resolved) {
		retry_remove(a, id);
		post(a, id, ci);
		return;
	}
	if (ci->host && !strcmp(ci->cgroup_path, "/")) {
		struct container_info root = *ci;

		root.resolved = true;
		retry_remove(a, id);
		post(a, id, &root);
		return;
	}
	r = retry_find(a, id);
	if (from_retry && r && now >= r->until_ms) {
		/* Gave it long enough: what is known now is the answer. */
		retry_remove(a, id);
		post(a, id, ci);
		return;
	}
	if (!from_retry)
		post(a, id, ci);	/* what is known now; better later */
	retry_add(a, id, ci->cgroup_path[0] ? ci->cgroup_path : path, now);
}

static void handle(struct attrib *a, const struct req *q)
{
	switch (q->kind) {
	case RQ_FORGET:
		retry_remove(a, q->id);
		registry_forget(a->reg, q->id);
		break;
	case RQ_NEW:
		/* A new cgroup: forget anything stale about the id first. */
		registry_forget(a->reg, q->id);
		resolve_one(a, q->id, q->path, false);
		break;
	default:
		resolve_one(a, q->id, q->path, false);
	}
}

/* Take one request of the given priority (mutex held on entry and exit). */
static bool serve_one(struct attrib *a, int prio)
{
	struct req q;

	if (!a->rq_len[prio])
		return false;
	q = a->rq[prio][a->rq_head[prio]];
	a->rq_head[prio] = (a->rq_head[prio] + 1) % REQ_QUEUE;
	a->rq_len[prio]--;
	pthread_mutex_unlock(&a->mu);
	handle(a, &q);
	pthread_mutex_lock(&a->mu);
	return true;
}

/* During the start-up walk: misses of the event path go first. */
static bool serve_urgent(struct attrib *a)
{
	bool stop;

	pthread_mutex_lock(&a->mu);
	while (!a->stop && serve_one(a, PRIO_HI))
		;
	stop = a->stop;
	pthread_mutex_unlock(&a->mu);
	return stop;
}

struct scan {
	struct attrib *a;
	char path[CGP_PATH_MAX];
	size_t budget;
};

static bool scan_dir(struct scan *s, int dfd, size_t len, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	bool stop = false;

	if (!d) {
		close(dfd);
		return false;
	}
	while (!stop && s->budget && (de = readdir(d))) {
		struct cgroup_path_info pi;
		struct stat st;
		size_t nl = strlen(de->d_name);
		int cfd;

		if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode))
			continue;
		if (len + 1 + nl >= sizeof(s->path))
			continue;
		s->budget--;
		s->path[len] = '/';
		memcpy(s->path + len + 1, de->d_name, nl + 1);
		if (!cgroup_path_parse(s->path, &pi) && pi.kind == CGP_CONTAINER) {
			resolve_one(s->a, (uint64_t)st.st_ino, s->path, false);
			__atomic_add_fetch(&s->a->scanned, 1, __ATOMIC_RELAXED);
		}
		stop = serve_urgent(s->a);
		if (!stop && depth + 1 < SCAN_DEPTH) {
			cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			if (cfd >= 0)
				stop = scan_dir(s, cfd, len + 1 + nl, depth + 1);
		}
		s->path[len] = '\0';
	}
	closedir(d);
	return stop;
}

static void scan(struct attrib *a)
{
	struct scan *s = calloc(1, sizeof(*s));
	int fd;

	if (!s)
		return;
	s->a = a;
	s->budget = a->cfg.max_entries;
	fd = open(a->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		scan_dir(s, fd, 0, 0);
	if (!s->budget)
		log_warn("attrib: more than %u cgroups: start-up walk stopped early", a->cfg.max_entries);
	log_debug("attrib: start-up walk: %llu container cgroups",
		  (unsigned long long)__atomic_load_n(&a->scanned, __ATOMIC_RELAXED));
	free(s);
}

static void *resolver_main(void *arg)
{
	struct attrib *a = arg;

	if (!a->cfg.no_scan)
		scan(a);
	pthread_mutex_lock(&a->mu);
	while (!a->stop) {
		uint64_t now, next = UINT64_MAX;
		struct retry *due = NULL;

		if (serve_one(a, PRIO_HI) || serve_one(a, PRIO_LO))
			continue;
		now = now_ms();
		for (unsigned i = 0; i < a->nretries; i++) {
			if (a->retries[i].next_ms <= now) {
				due = &a->retries[i];
				break;
			}
			if (a->retries[i].next_ms < next)
				next = a->retries[i].next_ms;
		}
		if (due) {
			struct retry r = *due;

			pthread_mutex_unlock(&a->mu);
			resolve_one(a, r.id, r.path, true);
			pthread_mutex_lock(&a->mu);
			continue;
		}
		if (next == UINT64_MAX) {
			pthread_cond_wait(&a->cv_req, &a->mu);
		} else {
			struct timespec ts = { .tv_sec = next / 1000, .tv_nsec = (long)(next % 1000) * 1000000L };

			pthread_cond_timedwait(&a->cv_req, &a->mu, &ts);
		}
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* ---- the loop's cache --------------------------------------------------- */

static size_t bucket_of(const struct attrib *a, uint64_t id)
{
	return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 32) & (a->nbuckets - 1);
}

static struct centry *find(const struct attrib *a, uint64_t id)
{
	struct centry *e;

	for (e = a->buckets[bucket_of(a, id)]; e; e = e->hnext)
		if (e->info.cgroup_id == id)
			return e;
	return NULL;
}

static void lru_unlink(struct centry *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
}

static void lru_front(struct attrib *a, struct centry *e)
{
	e->next = a->lru.next;
	e->prev = &a->lru;
	a->lru.next->prev = e;
	a->lru.next = e;
}

static void count_container(struct attrib *a, struct centry *e)
{
	bool is = !e->pending && !e->gone && !e->info.host && e->info.id[0];

	if (is && !e->counted)
		a->st.containers++;
	else if (!is && e->counted)
		a->st.containers--;
	e->counted = is;
}

static void watch(struct attrib *a, struct centry *e)
{
	if (e->watched)
		return;
	e->watched = true;
	e->wnext = a->watch;
	a->watch = e;
}

/* Send the held events of e with what e knows now. */
static unsigned release(struct attrib *a, struct centry *e)
{
	unsigned n = 0;

	while (e->held) {
		struct held *h = e->held;

		e->held = h->next;
		h->ev.container = &e->info;
		h->ev.container_json = attrib_container_json(a, &e->info, &h->ev.container_json_len);
		a->emit(a->ctx, &h->ev);
		free(h);
		n++;
	}
	e->held_tail = &e->held;
	a->nheld -= e->nheld;
	e->nheld = 0;
	return n;
}

static void remove_entry(struct attrib *a, struct centry *e)
{
	struct centry **pp = &a->buckets[bucket_of(a, e->info.cgroup_id)];
	struct centry **wp;

	release(a, e);
	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	for (wp = &a->watch; *wp; wp = &(*wp)->wnext)
		if (*wp == e) {
			*wp = e->wnext;
			break;
		}
	lru_unlink(e);
	if (e->counted)
		a->st.containers--;
	if (a->last == e)
		a->last = NULL;
	a->n--;
	free(e->json);
	free(e);
}

static struct centry *insert(struct attrib *a, uint64_t id)
{
	struct centry *e, *victim;
	size_t b;

	/* Evict the least recently used entry that holds no events. */
	for (victim = a->lru.prev; a->n >= a->cfg.max_entries && victim != &a->lru;) {
		struct centry *prev = victim->prev;

		if (!victim->held && !victim->gone) {
			remove_entry(a, victim);
			a->st.evictions++;
		}
		victim = prev;
	}
	if (a->n >= a->cfg.max_entries)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->info.cgroup_id = id;
	e->held_tail = &e->held;
	b = bucket_of(a, id);
	e->hnext = a->buckets[b];
	a->buckets[b] = e;
	lru_front(a, e);
	a->n++;
	return e;
}

const struct container_info *attrib_lookup(struct attrib *a, uint64_t id)
{
	struct centry *e;

	a->st.lookups++;
	if (!id)
		return &a->host0;
	e = a->last && a->last->info.cgroup_id == id ? a->last : find(a, id);
	if (e) {
		a->last = e;
		if (a->lru.next != e) {
			lru_unlink(e);
			lru_front(a, e);
		}
		if (e->pending)
			return &e->info;
		if (e->waiting) {
			uint64_t now = coarse_ms();

			/* Its state may have appeared: ask now rather than at the next backoff. */
			if (now < e->wait_until_ms && now - e->nudged_ms >= NUDGE_MS &&
			    !submit(a, PRIO_HI, RQ_RESOLVE, id, e->info.cgroup_path))
				e->nudged_ms = now;
			return &e->info;
		}
		a->st.hits++;
		if (!e->info.resolved && e->refresh_at_ms) {
			uint64_t now = coarse_ms();

			if (now >= e->refresh_at_ms) {
				e->refresh_at_ms = now + REFRESH_MS;
				submit(a, PRIO_LO, RQ_RESOLVE, id, e->info.cgroup_path);
			}
		}
		return &e->info;
	}
	a->st.misses++;
	e = insert(a, id);
	if (!e) {
		memset(&a->scratch, 0, sizeof(a->scratch));
		a->scratch.cgroup_id = id;
		return &a->scratch;
	}
	a->last = e;
	if (submit(a, PRIO_HI, RQ_RESOLVE, id, NULL)) {
		/* The resolver is swamped: no answer for now, ask again soon. */
		e->refresh_at_ms = now_ms() + 100;
		return &e->info;
	}
	e->pending = true;
	return &e->info;
}

/* The cache entry whose answer ci is, or NULL (host0, scratch, not ours). */
static struct centry *entry_of(const struct attrib *a, const struct container_info *ci)
{
	struct centry *e;

	if (!ci || ci == &a->host0 || ci == &a->scratch)
		return NULL;
	if (a->last && &a->last->info == ci)
		return a->last;
	e = find(a, ci->cgroup_id);
	return e && &e->info == ci ? e : NULL;
}

bool attrib_pending(const struct attrib *a, const struct container_info *ci)
{
	const struct centry *e = entry_of(a, ci);

	if (!e)
		return false;
	return e->pending || (e->waiting && coarse_ms() < e->wait_until_ms);
}

/* Format e's member into its cache (or leave it uncached when too long). */
static void cache_json(struct attrib *a, struct centry *e)
{
	json_reset(&a->jw);
	event_json_container_member(&a->jw, &e->info);
	if (a->jw.oom || a->jw.len > JSON_CACHE_MAX)
		return;
	e->json = malloc(a->jw.len + 1);
	if (!e->json)
		return;
	memcpy(e->json, a->jw.buf, a->jw.len + 1);
	e->json_len = a->jw.len;
}

const char *attrib_container_json(struct attrib *a, const struct container_info *ci, size_t *len)
{
	struct centry *e;

	if (ci == &a->host0) {
		*len = a->host0_json_len;
		return a->host0_json;
	}
	e = entry_of(a, ci);
	if (!e)
		return NULL;
	if (!e->json)
		cache_json(a, e);
	*len = e->json_len;
	return e->json;
}

/* e's answer is about to change: its cached member goes. */
static void forget_json(struct centry *e)
{
	free(e->json);
	e->json = NULL;
	e->json_len = 0;
}

/* Strings an event points to, by kind: what copy_event() must copy. */
struct ev_strings {
	const char **p[4];
	size_t len[4];
	int n;
};

static void add_str(struct ev_strings *es, const char **p, size_t len)
{
	if (*p) {
		es->p[es->n] = p;
		es->len[es->n++] = len;
	}
}

static void event_strings(struct event *ev, struct ev_strings *es)
{
	es->n = 0;
	switch (ev->kind) {
	case EVENT_NET:
		add_str(es, &ev->net.policy, ev->net.policy ? strlen(ev->net.policy) : 0);
		add_str(es, &ev->net.rule, ev->net.rule ? strlen(ev->net.rule) : 0);
		return;
	case EVENT_FILE:
	case EVENT_EXEC_DENY:
		add_str(es, &ev->file.path, ev->file.path_len);
		add_str(es, &ev->file.policy, ev->file.policy ? strlen(ev->file.policy) : 0);
		add_str(es, &ev->file.rule, ev->file.rule ? strlen(ev->file.rule) : 0);
		break;
	default:
		break;
	}
	add_str(es, &ev->proc.exe, ev->proc.exe_len);
}

/* Deep copy of ev: every pointer field of struct event (proc.args separately: a length, NULs inside). */
static struct held *copy_event(const struct event *ev)
{
	struct event tmp = *ev;
	struct ev_strings es;
	size_t need = ev->proc.args ? ev->proc.args_len + 1 : 0;
	bool alert = ev->kind == EVENT_ALERT && ev->alert;
	struct held *h;
	char *p;

	event_strings(&tmp, &es);
	for (int i = 0; i < es.n; i++)
		need += es.len[i] + 1;
	if (alert)	/* self-contained: copied whole, first (its alignment) */
		need += sizeof(struct event_alert);
	h = malloc(sizeof(*h) + need);
	if (!h)
		return NULL;
	h->next = NULL;
	h->ev = *ev;
	h->ev.container_json = NULL;	/* the cache may change before release */
	p = h->data;
	if (alert) {
		memcpy(p, ev->alert, sizeof(struct event_alert));
		h->ev.alert = (const struct event_alert *)p;
		p += sizeof(struct event_alert);
	}
	if (ev->proc.args) {
		memcpy(p, ev->proc.args, ev->proc.args_len);
		p[ev->proc.args_len] = '\0';
		h->ev.proc.args = p;
		p += ev->proc.args_len + 1;
	}
	event_strings(&h->ev, &es);
	for (int i = 0; i < es.n; i++) {
		memcpy(p, *es.p[i], es.len[i]);
		p[es.len[i]] = '\0';
		*es.p[i] = p;
		p += es.len[i] + 1;
	}
	return h;
}

bool attrib_defer(struct attrib *a, const struct event *ev)
{
	struct centry *e = ev->container ? find(a, ev->container->cgroup_id) : NULL;
	struct held *h;

	if (!e || a->nheld >= a->cfg.defer_max) {
		a->st.overflow++;
		return false;
	}
	h = copy_event(ev);
	if (!h) {
		a->st.overflow++;
		return false;
	}
	if (!e->held)
		e->held_since_ms = now_ms();
	*e->held_tail = h;
	e->held_tail = &h->next;
	e->nheld++;
	a->nheld++;
	a->st.deferred++;
	watch(a, e);
	return true;
}

void attrib_process(struct attrib *a)
{
	uint64_t v;
	unsigned n;

	if (read(a->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_debug("attrib: eventfd: %s", strerror(errno));
	do {
		pthread_mutex_lock(&a->mu);
		for (n = 0; n < RES_BATCH && a->res_len; n++) {
			a->batch[n] = a->res[a->res_head];
			a->res_head = (a->res_head + 1) % RES_QUEUE;
			a->res_len--;
		}
		pthread_cond_signal(&a->cv_res);
		pthread_mutex_unlock(&a->mu);

		for (unsigned i = 0; i < n; i++) {
			struct result *r = &a->batch[i];
			struct centry *e = find(a, r->id);

			if (!e)
				e = insert(a, r->id);
			if (!e)
				continue;
			a->st.resolutions++;
			if (e->gone)
				continue;	/* the cgroup is gone: keep what was known */
			forget_json(e);
			e->info = r->info;
			e->info.cgroup_id = r->id;
			e->pending = false;
			e->refresh_at_ms = e->info.resolved ? 0 : now_ms() + REFRESH_MS;
			count_container(a, e);
			/* A container without its state yet: its events wait (up to defer_ms) for it. */
			if (!e->info.resolved && !e->info.host && e->info.id[0]) {
				if (!e->waiting)
					e->wait_until_ms = now_ms() + WAIT_STATE_MS;
				e->waiting = true;
				continue;
			}
			e->waiting = false;
			release(a, e);
		}
	} while (n == RES_BATCH);
}

void attrib_tick(struct attrib *a)
{
	uint64_t now = now_ms();
	struct centry **wp = &a->watch;

	while (*wp) {
		struct centry *e = *wp;

		if (e->held && now - e->held_since_ms >= a->cfg.defer_ms)
			a->st.timeouts += release(a, e);
		if (e->gone && now >= e->gone_at_ms) {
			uint64_t id = e->info.cgroup_id;

			*wp = e->wnext;
			e->watched = false;
			remove_entry(a, e);
			submit(a, PRIO_LO, RQ_FORGET, id, NULL);
			if (a->gone)
				a->gone(a->ctx, id);
			continue;
		}
		if (!e->held && !e->gone) {
			*wp = e->wnext;
			e->watched = false;
			continue;
		}
		wp = &e->wnext;
	}
}

uint64_t attrib_next_due_ms(const struct attrib *a)
{
	uint64_t due = UINT64_MAX;

	for (const struct centry *e = a->watch; e; e = e->wnext) {
		if (e->held && e->held_since_ms + a->cfg.defer_ms < due)
			due = e->held_since_ms + a->cfg.defer_ms;
		if (e->gone && e->gone_at_ms < due)
			due = e->gone_at_ms;
	}
	return due;
}

void attrib_flush(struct attrib *a)
{
	for (struct centry *e = a->watch; e; e = e->wnext)
		a->st.timeouts += release(a, e);
}

void attrib_cgroup_new(struct attrib *a, uint64_t id, const char *path)
{
	struct centry *e = find(a, id);

	if (e && e->gone)
		return;
	submit(a, PRIO_LO, RQ_NEW, id, path);
}

void attrib_cgroup_gone(struct attrib *a, uint64_t id)
{
	struct centry *e = find(a, id);

	if (!id)
		return;
	if (!e) {
		e = insert(a, id);
		if (!e) {
			submit(a, PRIO_LO, RQ_FORGET, id, NULL);
			if (a->gone)
				a->gone(a->ctx, id);
			return;
		}
	}
	e->gone = true;
	e->gone_at_ms = now_ms() + ATTRIB_GONE_GRACE_MS;
	count_container(a, e);
	watch(a, e);
}

void attrib_get_stats(const struct attrib *a, struct attrib_stats *st)
{
	*st = a->st;
	st->entries = a->n;
	st->held = a->nheld;
	st->scanned = __atomic_load_n(&a->scanned, __ATOMIC_RELAXED);
}

int attrib_fd(const struct attrib *a)
{
	return a->efd;
}

struct attrib *attrib_new(const struct attrib_config *cfg, attrib_emit_fn emit,
			  attrib_gone_fn gone, void *ctx, char *err, size_t errlen)
{
	struct registry_config rc = { 0 };
	struct attrib *a = calloc(1, sizeof(*a));
	pthread_condattr_t ca;
	sigset_t all, old;
	int e;

	if (!a)
		goto oom;
	a->cfg = *cfg;
	if (!a->cfg.max_entries)
		a->cfg.max_entries = ATTRIB_MAX_ENTRIES_DEFAULT;
	if (!a->cfg.defer_max)
		a->cfg.defer_max = ATTRIB_DEFER_MAX_DEFAULT;
	if (!a->cfg.defer_ms)
		a->cfg.defer_ms = ATTRIB_DEFER_MS_DEFAULT;
	a->emit = emit;
	a->gone = gone;
	a->ctx = ctx;
	a->efd = -1;
	a->lru.next = a->lru.prev = &a->lru;
	a->host0.host = true;
	a->host0.resolved = true;
	json_init(&a->jw, NULL);
	event_json_container_member(&a->jw, &a->host0);
	if (a->jw.oom || a->jw.len >= sizeof(a->host0_json))
		goto oom;
	memcpy(a->host0_json, a->jw.buf, a->jw.len + 1);
	a->host0_json_len = a->jw.len;
	pthread_mutex_init(&a->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);	/* the resolver's retry times */
	pthread_cond_init(&a->cv_req, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&a->cv_res, NULL);
	for (a->nbuckets = 64; a->nbuckets < a->cfg.max_entries; a->nbuckets <<= 1)
		;
	a->buckets = calloc(a->nbuckets, sizeof(*a->buckets));
	a->rq[0] = calloc(REQ_QUEUE, sizeof(struct req));
	a->rq[1] = calloc(REQ_QUEUE, sizeof(struct req));
	a->res = calloc(RES_QUEUE, sizeof(*a->res));
	a->batch = calloc(RES_BATCH, sizeof(*a->batch));
	a->retries = calloc(RETRY_MAX, sizeof(*a->retries));
	if (!a->buckets || !a->rq[0] || !a->rq[1] || !a->res || !a->batch || !a->retries)
		goto oom;
	a->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (a->efd < 0) {
		snprintf(err, errlen, "attrib: eventfd: %s", strerror(errno));
		goto fail;
	}
	rc.cgroup2_root = cfg->cgroup2_root;
	rc.state_roots = cfg->state_roots;
	rc.max_entries = a->cfg.max_entries;
	a->reg = registry_new(&rc);
	if (!a->reg) {
		snprintf(err, errlen, "attrib: container registry: %s", strerror(errno));
		goto fail;
	}
	if (!realpath(cfg->cgroup2_root ? cfg->cgroup2_root : "/sys/fs/cgroup", a->root))
		snprintf(a->root, sizeof(a->root), "%s", cfg->cgroup2_root ? cfg->cgroup2_root : "/sys/fs/cgroup");
	/* Signals are the event loop's (signalfd): the resolver takes none. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&a->thr, NULL, resolver_main, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		snprintf(err, errlen, "attrib: resolver thread: %s", strerror(e));
		goto fail;
	}
	a->started = true;
	return a;
oom:
	snprintf(err, errlen, "attrib: out of memory");
fail:
	attrib_free(a);
	return NULL;
}

void attrib_free(struct attrib *a)
{
	if (!a)
		return;
	if (a->started) {
		pthread_mutex_lock(&a->mu);
		a->stop = true;
		pthread_cond_broadcast(&a->cv_req);
		pthread_cond_broadcast(&a->cv_res);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->thr, NULL);
	}
	if (a->buckets)
		while (a->lru.next != &a->lru)
			remove_entry(a, a->lru.next);
	registry_free(a->reg);
	if (a->efd >= 0)
		close(a->efd);
	free(a->buckets);
	free(a->rq[0]);
	free(a->rq[1]);
	free(a->res);
	free(a->batch);
	free(a->retries);
	json_free(&a->jw);
	pthread_cond_destroy(&a->cv_req);
	pthread_cond_destroy(&a->cv_res);
	pthread_mutex_destroy(&a->mu);
	free(a);
}
