// SPDX-License-Identifier: GPL-2.0
/* Lost-record accounting per container. See lost.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lost.h"

#define SEEN_MAX	16384	/* cgroups remembered per ring (the kernel map's size) */

struct seen {
	uint64_t id;		/* 0: empty */
	uint64_t reported;	/* the map's value at the last report */
};

struct ring {
	char name[32];
	int map_fd, total_fd;
	uint64_t total, total_reported;
	struct seen *seen;	/* open addressing, SEEN_MAX * 2 slots */
	size_t nseen;
};

struct lost {
	struct ring rings[LOST_MAX_RINGS];
	size_t nrings;
	int ncpus;
	uint64_t *vals;		/* per-CPU lookup buffer */
};

#define NSLOTS (SEEN_MAX * 2)

static size_t slot_of(uint64_t id)
{
	return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 32) & (NSLOTS - 1);
}

static struct seen *seen_get(struct ring *r, uint64_t id, int create)
{
	size_t i = slot_of(id);

	while (r->seen[i].id) {
		if (r->seen[i].id == id)
			return &r->seen[i];
		i = (i + 1) & (NSLOTS - 1);
	}
	if (!create || r->nseen >= SEEN_MAX)
		return NULL;
	r->seen[i].id = id;
	r->seen[i].reported = 0;
	r->nseen++;
	return &r->seen[i];
}

/* Backward-shift deletion (linear probing). */
static void seen_del(struct ring *r, struct seen *s)
{
	size_t i = (size_t)(s - r->seen), j = i;

	r->seen[i].id = 0;
	r->nseen--;
	for (;;) {
		size_t k;

		j = (j + 1) & (NSLOTS - 1);
		if (!r->seen[j].id)
			return;
		k = slot_of(r->seen[j].id);
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			r->seen[i] = r->seen[j];
			r->seen[j].id = 0;
			i = j;
		}
	}
}

struct lost *lost_new(void)
{
	struct lost *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->ncpus = libbpf_num_possible_cpus();
	if (l->ncpus <= 0)
		l->ncpus = 1;
	l->vals = calloc((size_t)l->ncpus, sizeof(uint64_t));
	if (!l->vals) {
		free(l);
		return NULL;
	}
	return l;
}

void lost_free(struct lost *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nrings; i++)
		free(l->rings[i].seen);
	free(l->vals);
	free(l);
}

int lost_add(struct lost *l, const char *ring, int per_cgroup_fd, int total_fd)
{
	struct ring *r;

	if (l->nrings == LOST_MAX_RINGS || total_fd < 0)
		return -EINVAL;
	r = &l->rings[l->nrings];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", ring);
	r->map_fd = per_cgroup_fd;
	r->total_fd = total_fd;
	if (per_cgroup_fd >= 0) {
		r->seen = calloc(NSLOTS, sizeof(*r->seen));
		if (!r->seen)
			return -ENOMEM;
	}
	l->nrings++;
	return 0;
}

static int sum(struct lost *l, int fd, const void *key, uint64_t *out)
{
	*out = 0;
	if (bpf_map_lookup_elem(fd, key, l->vals))
		return -errno;
	for (int c = 0; c < l->ncpus; c++)
		*out += l->vals[c];
	return 0;
}

static void poll_ring(struct lost *l, struct ring *r, lost_report_fn fn, void *ctx)
{
	uint64_t key, next, v;
	void *prev = NULL;
	int guard = SEEN_MAX * 2;

	while (guard-- > 0 && !bpf_map_get_next_key(r->map_fd, prev, &next)) {
		struct seen *s;

		key = next;
		prev = &key;
		if (sum(l, r->map_fd, &key, &v) || !v)
			continue;
		s = seen_get(r, key, 1);
		if (!s) {
			fn(ctx, r->name, key, v, v);	/* remembering is full: report all */
			continue;
		}
		if (v < s->reported)
			s->reported = 0;	/* evicted by the kernel's LRU, then counted anew */
		if (v > s->reported) {
			fn(ctx, r->name, key, v - s->reported, v);
			s->reported = v;
		}
	}
}

uint64_t lost_poll(struct lost *l, lost_report_fn fn, void *ctx)
{
	uint64_t newly = 0;
	uint32_t zero = 0;

	for (size_t i = 0; i < l->nrings; i++) {
		struct ring *r = &l->rings[i];
		uint64_t t;

		if (sum(l, r->total_fd, &zero, &t) || t <= r->total)
			continue;
		newly += t - r->total;
		r->total = t;
		if (r->map_fd >= 0)
			poll_ring(l, r, fn, ctx);
	}
	return newly;
}

size_t lost_totals(const struct lost *l, const char **names, uint64_t *totals, size_t n)
{
	for (size_t i = 0; i < l->nrings && i < n; i++) {
		names[i] = l->rings[i].name;
		totals[i] = l->rings[i].total;
	}
	return l->nrings;
}

void lost_forget(struct lost *l, uint64_t cgroup_id)
{
	for (size_t i = 0; i < l->nrings; i++) {
		struct ring *r = &l->rings[i];
		struct seen *s;

		if (!r->seen)
			continue;
		s = seen_get(r, cgroup_id, 0);
		if (s)
			seen_del(r, s);
		if (r->map_fd >= 0)
			bpf_map_delete_elem(r->map_fd, &cgroup_id);
	}
}
