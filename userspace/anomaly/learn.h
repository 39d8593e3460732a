/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Learning mode (spec.anomaly.learn, bulkhead run --learn): for a window
 * after a workload is first seen, every executable it runs, every destination
 * (address:port) it connects to and every port it listens on is recorded;
 * after the window anything new is reported once (a behaviour-anomaly alert)
 * and then counted as known. Items are kept as 64-bit hashes of (workload,
 * kind, item) in a bounded open-addressing table; the profile lives in memory
 * (a restart learns again, for a fresh window).
 */
#ifndef BULKHEAD_ANOMALY_LEARN_H
#define BULKHEAD_ANOMALY_LEARN_H

#include <stdint.h>

enum learn_kind { LK_EXEC = 0, LK_DEST, LK_LISTEN, LK_COUNT };

extern const char *const learn_kind_names[LK_COUNT];

struct learner;

struct learner *learner_new(void);
void learner_free(struct learner *l);

/*
 * item of kind seen in workload wkey, whose window ends at learn_until (unix
 * seconds). 1: new after the window (report it), 0: known or learned now,
 * -1: the table is full (not learned, not reported).
 */
int learner_see(struct learner *l, const char *wkey, enum learn_kind k, const char *item,
		uint64_t learn_until, uint64_t now_s);
uint64_t learner_items(const struct learner *l);

#endif
