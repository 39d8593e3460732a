// SPDX-License-Identifier: GPL-2.0
/* Lost-record accounting per container. See lost.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <stdbool.h>

#include "lib/map_util.h"
#include "telemetry/lost.h"

#define SEEN_MAX	16384	/* cgroups remembered per ring (the kernel map's size) */

struct seen {
	uint64_t id;		/* 0: empty */
	uint64_t reported;	/* the map's value at the last report */
};

struct ring {
	char name[32];
	int map_fd, total_fd;
	uint32_t map_id, total_id;	/* to add each once */
	bool owned;			/* the fds are our dups: close them */
	uint64_t total, total_reported;
	struct seen *seen;	/* open addressing, SEEN_MAX * 2 slots */
	size_t nseen;
};

struct lost {
	struct ring rings[LOST_MAX_RINGS];
	size_t nrings;
	int ncpus;
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
	return l;
}

void lost_free(struct lost *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nrings; i++) {
		free(l->rings[i].seen);
		if (l->rings[i].owned) {
			if (l->rings[i].map_fd >= 0)
				close(l->rings[i].map_fd);
			close(l->rings[i].total_fd);
		}
	}
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
	{
		struct bpf_map_info info = { 0 };
		__u32 len = sizeof(info);

		if (!bpf_obj_get_info_by_fd(total_fd, &info, &len))
			r->total_id = info.id;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (per_cgroup_fd >= 0 && !bpf_obj_get_info_by_fd(per_cgroup_fd, &info, &len))
			r->map_id = info.id;
	}
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
	return map_percpu_sum(fd, key, l->ncpus, out);
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

int bpf_own_maps(void (*fn)(void *ctx, int fd, const struct bpf_map_info *info), void *ctx)
{
	uint32_t seen[256];
	size_t nseen = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct bpf_map_info info = { 0 };
		__u32 len = sizeof(info);
		char path[64], line[128];
		bool is_map = false;
		size_t i;
		FILE *f;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		if (fd == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "map_id:", 7))
				is_map = true;
		if (f)
			fclose(f);
		if (!is_map || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		for (i = 0; i < nseen && seen[i] != info.id; i++)
			;
		if (i < nseen)
			continue;
		if (nseen < sizeof(seen) / sizeof(seen[0]))
			seen[nseen++] = info.id;
		fn(ctx, fd, &info);
		n++;
	}
	closedir(d);
	return n;
}

const char *lost_ring_name(const char *x, char *buf, size_t len)
{
	if (!strcmp(x, "proc"))
		return "process";
	if (!strcmp(x, "cgev"))
		return "cgroup";
	if (!strcmp(x, "cg"))
		return "policy_cgroup";	/* the enforcement core's own cgroup events */
	snprintf(buf, len, "%s", x);
	return buf;
}

struct found {
	char x[16];
	int map_fd, total_fd;
	uint32_t map_id, total_id;
};

struct discover {
	struct found f[LOST_MAX_RINGS * 2];
	size_t n;
};

static struct found *found_of(struct discover *d, const char *x, size_t xl)
{
	size_t i;

	if (xl == 0 || xl >= sizeof(d->f[0].x))
		return NULL;
	for (i = 0; i < d->n; i++)
		if (strlen(d->f[i].x) == xl && !strncmp(d->f[i].x, x, xl))
			return &d->f[i];
	if (d->n == sizeof(d->f) / sizeof(d->f[0]))
		return NULL;
	memset(&d->f[d->n], 0, sizeof(d->f[0]));
	memcpy(d->f[d->n].x, x, xl);
	d->f[d->n].map_fd = d->f[d->n].total_fd = -1;
	return &d->f[d->n++];
}

static void discover_one(void *ctx, int fd, const struct bpf_map_info *info)
{
	struct discover *d = ctx;
	const char *name = info->name, *p;
	struct found *f;

	if (strncmp(name, "bh_", 3) || !(p = strstr(name + 3, "_lost")))
		return;
	f = found_of(d, name + 3, (size_t)(p - name - 3));
	if (!f)
		return;
	if (!strcmp(p, "_lost") && info->type == BPF_MAP_TYPE_LRU_PERCPU_HASH && f->map_fd < 0) {
		f->map_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		f->map_id = info->id;
	} else if (!strncmp(p, "_lost_t", 7) && info->type == BPF_MAP_TYPE_PERCPU_ARRAY && f->total_fd < 0) {
		f->total_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		f->total_id = info->id;
	}
}

int lost_discover(struct lost *l)
{
	struct discover *d = calloc(1, sizeof(*d));
	int added = 0;

	if (!d)
		return -ENOMEM;
	bpf_own_maps(discover_one, d);
	for (size_t i = 0; i < d->n; i++) {
		struct found *f = &d->f[i];
		bool known = false;
		char buf[32];

		for (size_t r = 0; r < l->nrings; r++)
			if (l->rings[r].total_id == f->total_id)
				known = true;
		if (known || f->total_fd < 0 ||
		    lost_add(l, lost_ring_name(f->x, buf, sizeof(buf)), f->map_fd, f->total_fd)) {
			if (f->map_fd >= 0)
				close(f->map_fd);
			if (f->total_fd >= 0)
				close(f->total_fd);
			continue;
		}
		l->rings[l->nrings - 1].owned = true;
		added++;
	}
	free(d);
	return added;
}
