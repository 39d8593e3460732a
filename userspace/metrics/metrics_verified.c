// SPDX-License-Identifier: GPL-2.0
/*
 * bulkhead_protection_verified{technique}: what `bulkhead run --verify-at-start`
 * found (1: refused or killed, 0: not protected or inconclusive; n/a techniques
 * are left out). Set from the verify thread, rendered by metrics_render().
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "lib/sbuf.h"
#include "metrics/metrics.h"

#define VERIFIED_MAX 64

static pthread_mutex_t vmu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char technique[32];
	int verified;
} ver[VERIFIED_MAX];
static size_t nver;

void metrics_protection_verified(struct metrics *m, const char *technique, int verified)
{
	size_t i;

	(void)m;
	pthread_mutex_lock(&vmu);
	for (i = 0; i < nver && strcmp(ver[i].technique, technique); i++)
		;
	if (i < VERIFIED_MAX) {
		snprintf(ver[i].technique, sizeof(ver[i].technique), "%s", technique);
		ver[i].verified = verified ? 1 : 0;
		if (i == nver)
			nver++;
	}
	pthread_mutex_unlock(&vmu);
}

void metrics_render_verified(struct sbuf *b)
{
	pthread_mutex_lock(&vmu);
	if (nver) {
		sbuf_adds(b, "# HELP bulkhead_protection_verified Escape technique tried at agent start "
			  "(run --verify-at-start): 1 refused or killed, 0 NOT protected.\n"
			  "# TYPE bulkhead_protection_verified gauge\n");
		for (size_t i = 0; i < nver; i++) {
			sbuf_adds(b, "bulkhead_protection_verified{technique=\"");
			metrics_escape_label(b, ver[i].technique);
			sbuf_addf(b, "\"} %d\n", ver[i].verified);
		}
	}
	pthread_mutex_unlock(&vmu);
}
