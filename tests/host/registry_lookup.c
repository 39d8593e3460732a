// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper: ask the container registry about cgroup ids, as the agent would.
 *   registry-lookup [--cgroup2 DIR] [--state-root DIR]... [--scan] [--wait-resolved MS] ID...
 * Prints one line per id:
 *   cgroup_id=N host=0|1 resolved=0|1 id=.. name=.. pod=.. ns=.. pod_uid=.. runtime=.. qos=.. image=.. path=..
 * --wait-resolved: look up again (every 50 ms) until the answer is final.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "attrib/registry.h"

#define MAX_ROOTS 16

int main(int argc, char **argv)
{
	const char *roots[MAX_ROOTS + 1] = { NULL };
	struct registry_config cfg = { 0 };
	struct registry *r;
	int i, nroots = 0, scan = 0, wait_ms = 0;

	log_init(getenv("BULKHEAD_DEBUG") != NULL, 0);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--cgroup2") && i + 1 < argc)
			cfg.cgroup2_root = argv[++i];
		else if (!strcmp(argv[i], "--state-root") && i + 1 < argc && nroots < MAX_ROOTS)
			roots[nroots++] = argv[++i];
		else if (!strcmp(argv[i], "--scan"))
			scan = 1;
		else if (!strcmp(argv[i], "--wait-resolved") && i + 1 < argc)
			wait_ms = atoi(argv[++i]);
		else
			break;
	}
	if (nroots)
		cfg.state_roots = roots;
	r = registry_new(&cfg);
	if (!r) {
		perror("registry_new");
		return 1;
	}
	printf("handles=%d\n", registry_uses_handles(r));
	if (scan)
		printf("scan=%d\n", registry_scan(r));
	for (; i < argc; i++) {
		const struct container_info *ci = registry_lookup(r, strtoull(argv[i], NULL, 0));
		int waited = 0;

		while (!ci->resolved && waited < wait_ms) {
			usleep(50 * 1000);
			waited += 50;
			ci = registry_lookup(r, strtoull(argv[i], NULL, 0));
		}
		printf("cgroup_id=%llu host=%d resolved=%d id=%s name=%s pod=%s ns=%s pod_uid=%s "
		       "runtime=%s qos=%s image=%s path=%s\n",
		       (unsigned long long)ci->cgroup_id, ci->host, ci->resolved, ci->id, ci->name,
		       ci->pod, ci->ns, ci->pod_uid, ci->runtime, ci->qos, ci->image, ci->cgroup_path);
	}
	printf("size=%zu\n", registry_size(r));
	registry_free(r);
	return 0;
}
