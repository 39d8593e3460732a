// SPDX-License-Identifier: GPL-2.0
/* Learning mode: what a workload does in its window; the rest is new. See learn.h. */
#include <stdlib.h>
#include <string.h>

#include "anomaly/learn.h"

#define LEARN_SLOTS (1u << 17)		/* 131072 items in all, 1 MiB */
#define LEARN_FILL (LEARN_SLOTS / 4 * 3)

const char *const learn_kind_names[LK_COUNT] = { "executable", "destination", "listen-port" };

struct learner {
	uint64_t *slot;			/* 0 = empty */
	uint64_t n;
};

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull;	/* a separator: ("ab","c") != ("a","bc") */
}

struct learner *learner_new(void)
{
	struct learner *l = calloc(1, sizeof(*l));

	if (l && !(l->slot = calloc(LEARN_SLOTS, sizeof(*l->slot)))) {
		free(l);
		return NULL;
	}
	return l;
}

void learner_free(struct learner *l)
{
	if (!l)
		return;
	free(l->slot);
	free(l);
}

uint64_t learner_items(const struct learner *l)
{
	return l->n;
}

int learner_see(struct learner *l, const char *wkey, enum learn_kind k, const char *item,
		uint64_t learn_until, uint64_t now_s)
{
	uint64_t h = fnv(fnv(0xcbf29ce484222325ull, wkey), learn_kind_names[k % LK_COUNT]);
	uint32_t i;

	h = fnv(h, item);
	if (!h)
		h = 1;
	for (i = (uint32_t)(h ^ (h >> 32)) & (LEARN_SLOTS - 1); l->slot[i]; i = (i + 1) & (LEARN_SLOTS - 1))
		if (l->slot[i] == h)
			return 0;
	if (l->n >= LEARN_FILL)
		return -1;
	l->slot[i] = h;
	l->n++;
	return now_s >= learn_until ? 1 : 0;
}
