// SPDX-License-Identifier: GPL-2.0
/* Cgroup mkdir/rmdir: loader and decoder. See cgroup_events.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pipeline/sink.h"
#include "abi/cgroup.h"
#include "cgroup.skel.h"
#include "telemetry/cgroup_events.h"
#include "abi/enforce.h"

struct cgroup_events {
	struct cgroup_bpf *skel;
};

/* The prefixes new cgroups are held below, once enforcement runs. */
static int configure_hold(struct cgroup_bpf *skel, const struct cgroup_events_opts *o,
			  char *err, size_t errlen)
{
	for (int i = 0; o->hold_prefixes && o->hold_prefixes[i]; i++) {
		const char *p = o->hold_prefixes[i];
		size_t len = strlen(p);

		while (len > 1 && p[len - 1] == '/')
			len--;
		if (i >= BH_HOLD_PREFIXES || p[0] != '/' || len < 2 || len >= BH_HOLD_PREFIX_LEN) {
			snprintf(err, errlen, "cgroup: hold prefix '%s': expected at most %d cgroup "
				 "paths below the root (\"/kubepods\"), each shorter than %d bytes",
				 p, BH_HOLD_PREFIXES, BH_HOLD_PREFIX_LEN);
			return -1;
		}
		memcpy((char *)skel->rodata->hold_prefix[i], p, len);
	}
	if (o->hold_ns)
		skel->rodata->hold_ns = o->hold_ns;
	return 0;
}

struct cgroup_events *cgroup_events_open(const struct cgroup_events_opts *o, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o->btf_path);
	struct cgroup_events *c = calloc(1, sizeof(*c));
	int e;

	if (!c) {
		snprintf(err, errlen, "cgroup: out of memory");
		return NULL;
	}
	c->skel = cgroup_bpf__open_opts(&oo);
	if (!c->skel) {
		snprintf(err, errlen, "cgroup: cannot open BPF object: %s", strerror(errno));
		goto fail;
	}
	if (configure_hold(c->skel, o, err, errlen))
		goto fail;
	e = cgroup_bpf__load(c->skel);
	if (e) {
		snprintf(err, errlen, "cgroup: cannot load the cgroup mkdir/rmdir programs: %s", strerror(-e));
		goto fail;
	}
	e = cgroup_bpf__attach(c->skel);
	if (e) {
		snprintf(err, errlen, "cgroup: cannot attach tp_btf/cgroup_mkdir, cgroup_rmdir: %s",
			 strerror(-e));
		goto fail;
	}
	return c;
fail:
	cgroup_events_close(c);
	return NULL;
}

int cgroup_events_hold(struct cgroup_events *c, int hold_fd, char *err, size_t errlen)
{
	uint32_t zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(c->skel->maps.bh_cg_hold_slot), &zero, &hold_fd, BPF_ANY)) {
		snprintf(err, errlen, "cgroup: cannot hand the tracer the hold map: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int cgroup_events_ringbuf_fd(const struct cgroup_events *c)
{
	return bpf_map__fd(c->skel->maps.bh_cgev_rb);
}

int cgroup_events_lost_fds(const struct cgroup_events *c, int *per_cgroup, int *total)
{
	*per_cgroup = bpf_map__fd(c->skel->maps.bh_cgev_lost);
	*total = bpf_map__fd(c->skel->maps.bh_cgev_lost_total);
	return 0;
}

void cgroup_events_close(struct cgroup_events *c)
{
	if (!c)
		return;
	cgroup_bpf__destroy(c->skel);
	free(c);
}

int cgroup_events_handle(void *ctx, void *data, size_t size)
{
	const struct cgroup_listener *l = ctx;
	const struct bh_cgroup_event *e = data;
	char path[BH_CGROUP_PATH_MAX];
	size_t len;

	if (size != sizeof(*e) || (e->op != BH_CGROUP_MKDIR && e->op != BH_CGROUP_RMDIR)) {
		l->malformed(l->ctx);
		return 0;
	}
	len = e->path_len < sizeof(path) - 1 ? e->path_len : sizeof(path) - 1;
	memcpy(path, e->path, len);
	path[len] = '\0';
	len = strnlen(path, len);
	path[len] = '\0';
	if (e->op == BH_CGROUP_MKDIR)
		l->mkdir(l->ctx, e->cgroup_id,
			 !(e->flags & BH_CGF_PATH_TRUNC) && path[0] == '/' ? path : NULL);
	else
		l->rmdir(l->ctx, e->cgroup_id);
	return 0;
}
