// SPDX-License-Identifier: GPL-2.0
/*
 * bulkhead run --verify-at-start: bulkhead verify (verify.c), run once in a
 * thread of its own after the agent is ready (its techniques' refusals and
 * alerts are the agent's to read meanwhile), each technique's outcome exported
 * as bulkhead_protection_verified{technique} (1 refused or killed, 0 NOT
 * protected or inconclusive; n/a left out) and summed up in one log line.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enforce/verify.h"
#include "lib/log.h"
#include "metrics/metrics.h"

struct vs {
	struct verify_opts o;
	char pin_dir[256], cgroup2[256], parent[256];
	struct metrics *m;
};

static void *verify_thread(void *arg)
{
	struct vs *v = arg;
	struct verify_result res[64];
	size_t n = 0;
	int failed, prot = 0, inconclusive = 0;
	char bad[512] = "";

	failed = verify_run(&v->o, res, sizeof(res) / sizeof(res[0]), &n);
	if (failed < 0) {
		log_warn("verify: WARNING: could not run at start (no crun or runc?): "
			 "bulkhead_protection_verified is not exported");
		free(v);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct verify_result *r = &res[i];
		int ok = r->outcome == VERIFY_REFUSED || r->outcome == VERIFY_REFUSED_OTHER ||
			 r->outcome == VERIFY_KILLED;

		if (r->outcome == VERIFY_NA)
			continue;
		metrics_protection_verified(v->m, r->technique, ok);
		prot += ok;
		if (r->outcome == VERIFY_ERROR)
			inconclusive++;
		if (r->outcome == VERIFY_NOT_PROTECTED && strlen(bad) + strlen(r->technique) + 2 < sizeof(bad))
			snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), " %s", r->technique);
	}
	if (failed)
		log_warn("verify: WARNING: %d escape techniques NOT PROTECTED on this node:%s "
			 "(%d refused or killed, %d inconclusive)", failed, bad, prot, inconclusive);
	else
		log_info("verify: %d escape techniques tried at start: %d refused or killed, %d inconclusive, "
			 "none NOT PROTECTED", (int)n, prot, inconclusive);
	free(v);
	return NULL;
}

int verify_start_async(const char *pin_dir, const char *cgroup2, const char *parent, struct metrics *m)
{
	struct vs *v = calloc(1, sizeof(*v));
	pthread_attr_t at;
	pthread_t t;
	int e;

	if (!v)
		return -1;
	snprintf(v->pin_dir, sizeof(v->pin_dir), "%s", pin_dir);
	snprintf(v->cgroup2, sizeof(v->cgroup2), "%s", cgroup2);
	v->o.pin_dir = v->pin_dir;
	v->o.cgroup2 = v->cgroup2;
	if (parent) {
		snprintf(v->parent, sizeof(v->parent), "%s", parent);
		v->o.parent = v->parent;
	}
	v->m = m;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	e = pthread_create(&t, &at, verify_thread, v);
	pthread_attr_destroy(&at);
	if (e) {
		free(v);
		return -1;
	}
	log_info("verify: trying each enabled escape technique in throwaway containers (run --verify-at-start)");
	return 0;
}
