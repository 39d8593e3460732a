/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bulkhead advise: a least-privilege policy from what a workload was seen to
 * do. Fed the agent's JSON lines one at a time (hostile input: bounded, parsed
 * strictly, unknown kinds ignored), it keeps, for the containers the selector
 * names, the executables started (exec events' process.exe, exec audit events'
 * file.path, learning mode's new-executable alerts), the directories of files
 * written (file events of a write-like operation), and the egress destinations
 * reached (net events, learning mode's new-destination alerts), each with a
 * count and the time it was first seen; then writes one `kind: Policy` YAML
 * document: the exec allow-list (exact paths), file-write prefixes, egress
 * allow-list (/32 or /128, port, protocol), defaults of deny, and a comment on
 * every rule saying what it came from. Events that were denied are not
 * behaviour the workload had, and are left out.
 */
#ifndef BULKHEAD_ANOMALY_ADVISE_H
#define BULKHEAD_ANOMALY_ADVISE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ADVISE_LINE_MAX		65536	/* longer lines are refused */
#define ADVISE_MAX_EXEC		64	/* a policy list holds 64 items */
#define ADVISE_MAX_FILE		64
#define ADVISE_MAX_EGRESS	200	/* of 256 compiled network rules */

struct advise_selector {
	char ns[64];			/* empty: any */
	char pod[254];
	char container[64];
};

enum advise_line_result { ADVISE_USED = 1, ADVISE_IGNORED = 0, ADVISE_MALFORMED = -1 };

struct advise_stats {
	uint64_t lines, used, ignored, malformed, skipped;	/* skipped: an item no rule can hold */
	uint64_t dropped;		/* items over a list's limit */
};

struct advise;

/* "namespace=a,pod=b,container=c" (any subset, at least one): 0, or -1 with err. */
int advise_parse_selector(const char *s, struct advise_selector *sel, char *err, size_t errlen);

struct advise *advise_new(const struct advise_selector *sel);
void advise_free(struct advise *a);

/* One JSON line (no newline needed): enum advise_line_result. */
int advise_line(struct advise *a, const char *line, size_t len);
const struct advise_stats *advise_stats(const struct advise *a);

/* The policy (named from the selector) to out: 0, or -1 on a write error. */
int advise_write(struct advise *a, FILE *out, const char *source);

#endif
