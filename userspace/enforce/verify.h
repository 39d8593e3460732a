/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bulkhead verify (engine; front: userspace/cli/cmd_verify.c): each enabled escape protection's technique,
 * run for real in a throwaway privileged container, and what happened. Also
 * called by `bulkhead run --verify-at-start`.
 */
#ifndef BULKHEAD_VERIFY_H
#define BULKHEAD_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

enum verify_outcome {
	VERIFY_REFUSED,		/* EPERM, counted by the escape guard */
	VERIFY_REFUSED_OTHER,	/* EPERM, not by bulkhead (the kernel's own check) */
	VERIFY_KILLED,		/* SIGKILL before the call ran (syscall-tracepoint fallback) */
	VERIFY_NA,		/* not applicable on this node (no such file, no agent) */
	VERIFY_ERROR,		/* the try itself failed: inconclusive */
	VERIFY_NOT_PROTECTED,	/* the call went through */
};

struct verify_opts {
	const char *pin_dir;
	const char *cgroup2;
	const char *runtime;	/* NULL: crun, else runc, from PATH */
	const char *only;	/* one technique, or NULL */
	const char *parent;	/* cgroup for the containers (absolute), where no guard names one */
	bool keep;		/* keep the work directory */
};

struct verify_result {
	const char *technique;
	const char *what;
	enum verify_outcome outcome;
	char detail[256];
};

/* Number of enabled techniques NOT PROTECTED, or -1 (could not run: no runtime). */
int verify_run(const struct verify_opts *o, struct verify_result *res, size_t max, size_t *n);
const char *verify_outcome_name(enum verify_outcome o);
struct metrics;
/* run --verify-at-start: verify_run() in a detached thread, its outcomes exported as
 * bulkhead_protection_verified{technique} (verify_start.c). 0, or -1. */
int verify_start_async(const char *pin_dir, const char *cgroup2, const char *parent, struct metrics *m);
/* The static runner built into this binary, written out at path (0755). */
int verify_write_helper(const char *path);

#endif
