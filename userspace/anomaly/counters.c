// SPDX-License-Identifier: GPL-2.0
/* bpf/anomaly.bpf.c: loader, counter reader, record decoder. See counters.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "anomaly/counters.h"
#include "anomaly.skel.h"

struct anom_counters {
	struct anomaly_bpf *skel;
	int ncpu;
	struct bh_anom_counters *percpu;	/* ncpu values, for reads */
};

/* The host's network namespace: pid 1's (the agent runs in the host's pid
 * namespace), else the agent's own. 0 if neither can be read: then no connect
 * counts as a container's own loopback. */
static uint32_t host_netns_ino(void)
{
	struct stat st;

	if (!stat("/proc/1/ns/net", &st) || !stat("/proc/self/ns/net", &st))
		return (uint32_t)st.st_ino;
	return 0;
}

struct anom_counters *anom_counters_open(const struct anom_counters_opts *o, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o->btf_path);
	struct anom_counters *c = calloc(1, sizeof(*c));
	int e;

	if (!c) {
		snprintf(err, errlen, "anomaly: out of memory");
		return NULL;
	}
	c->ncpu = libbpf_num_possible_cpus();
	if (c->ncpu <= 0 || !(c->percpu = calloc((size_t)c->ncpu, sizeof(*c->percpu)))) {
		snprintf(err, errlen, "anomaly: cannot size the per-CPU counters");
		goto fail;
	}
	c->skel = anomaly_bpf__open_opts(&oo);
	if (!c->skel) {
		snprintf(err, errlen, "anomaly: cannot open BPF object: %s", strerror(errno));
		goto fail;
	}
	c->skel->rodata->report_connects = o->report_connects;
	c->skel->rodata->host_netns_ino = host_netns_ino();
	e = anomaly_bpf__load(c->skel);
	if (e) {
		snprintf(err, errlen, "anomaly: cannot load the counting programs: %s", strerror(-e));
		goto fail;
	}
	e = anomaly_bpf__attach(c->skel);
	if (e) {
		snprintf(err, errlen, "anomaly: cannot attach the counting programs (sched, syscalls, "
			 "sock, oom tracepoints; tracefs mounted?): %s", strerror(-e));
		goto fail;
	}
	return c;
fail:
	anom_counters_close(c);
	return NULL;
}

void anom_counters_close(struct anom_counters *c)
{
	if (!c)
		return;
	anomaly_bpf__destroy(c->skel);
	free(c->percpu);
	free(c);
}

int anom_counters_ringbuf_fd(const struct anom_counters *c)
{
	return bpf_map__fd(c->skel->maps.bh_anom_rb);
}

void anom_counters_lost_fds(const struct anom_counters *c, int *per_cgroup, int *total)
{
	*per_cgroup = bpf_map__fd(c->skel->maps.bh_anom_lost);
	*total = bpf_map__fd(c->skel->maps.bh_anom_lost_total);
}

uint32_t anom_linear_count(uint32_t m, uint32_t zeros)
{
	if (!m)
		return 0;
	if (!zeros)
		zeros = 1;	/* saturated: the most the sketch can tell */
	return (uint32_t)lround(-(double)m * log((double)zeros / (double)m));
}

static uint32_t zero_bits(const uint64_t *w, int words)
{
	uint32_t z = 0;

	for (int i = 0; i < words; i++)
		z += 64 - (uint32_t)__builtin_popcountll(w[i]);
	return z;
}

int anom_counters_read(struct anom_counters *c, uint64_t cgroup_id, uint64_t now_boot_s,
		       struct anom_kernel_sample *s)
{
	struct bh_anom_sketch sk;

	memset(s, 0, sizeof(*s));
	if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.bh_anom_cnt), &cgroup_id, c->percpu))
		return -1;
	for (int cpu = 0; cpu < c->ncpu; cpu++)
		for (int i = 0; i < BH_AC_COUNT; i++)
			s->v[i] += c->percpu[cpu].v[i];
	if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.bh_anom_sketch), &cgroup_id, &sk))
		return 0;
	/*
	 * The last whole second, and the one under way (a burst that began
	 * just now is seen at once): the larger estimate of the two.
	 */
	for (uint64_t want = now_boot_s ? now_boot_s - 1 : 0; now_boot_s && want <= now_boot_s; want++) {
		int i = (int)(want & 1);
		uint32_t p, d;

		if (sk.sec[i] != want)
			continue;
		p = anom_linear_count(BH_ANOM_PORT_BITS,
				      zero_bits((const uint64_t *)sk.ports[i], BH_ANOM_PORT_BITS / 64));
		d = anom_linear_count(BH_ANOM_DEST_BITS,
				      zero_bits((const uint64_t *)sk.dests[i], BH_ANOM_DEST_BITS / 64));
		s->sketch_sec = want;
		if (p > s->ports)
			s->ports = p;
		if (d > s->dests)
			s->dests = d;
	}
	for (int k = 0; k < BH_TOP_COUNT; k++) {
		size_t n = strnlen(sk.top[k].comm, BH_COMM_LEN);

		memcpy(s->top[k].comm, sk.top[k].comm, n);
		s->top[k].comm[n] = '\0';
		s->top[k].pid = sk.top[k].weight > 0 ? sk.top[k].pid : 0;
		if (sk.top[k].weight <= 0)
			s->top[k].comm[0] = '\0';
	}
	return 0;
}

void anom_counters_each(struct anom_counters *c, void (*fn)(void *ctx, uint64_t cgroup_id), void *ctx,
			size_t max)
{
	int fd = bpf_map__fd(c->skel->maps.bh_anom_cnt);
	uint64_t key, next;
	size_t n = 0;
	void *prev = NULL;

	while (n < max && !bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		fn(ctx, key);
		n++;
	}
}

void anom_counters_forget(struct anom_counters *c, uint64_t cgroup_id)
{
	bpf_map_delete_elem(bpf_map__fd(c->skel->maps.bh_anom_cnt), &cgroup_id);
	bpf_map_delete_elem(bpf_map__fd(c->skel->maps.bh_anom_sketch), &cgroup_id);
}

int anom_record_decode(const void *data, size_t size, struct anom_record *r)
{
	const struct bh_anom_event *e = data;
	size_t n;

	if (size != sizeof(*e) || e->hdr.kind != BH_EV_ANOMALY || e->rec < BH_AR_OOM ||
	    e->rec > BH_AR_SHELL_NET || (e->family != 0 && e->family != 4 && e->family != 6))
		return -1;
	memset(r, 0, sizeof(*r));
	r->rec = e->rec;
	r->cgroup_id = e->hdr.cgroup_id;
	r->ts_boot_ns = e->hdr.ts_boot_ns;
	r->pid = e->hdr.pid;
	r->ppid = e->hdr.ppid;
	r->uid = e->hdr.uid;
	n = strnlen(e->hdr.comm, BH_COMM_LEN);
	memcpy(r->comm, e->hdr.comm, n);
	r->comm[n] = '\0';
	r->family = (uint8_t)e->family;
	r->port = e->port;
	memcpy(r->addr, e->addr, 16);
	r->fd = e->fd;
	r->value = e->value;
	return 0;
}
