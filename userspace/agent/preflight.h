/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checks before the agent touches the kernel. Each returns 0, or -1 with a
 * one-line message in err saying what is wrong and what to do.
 */
#ifndef BULKHEAD_PREFLIGHT_H
#define BULKHEAD_PREFLIGHT_H

#include <stddef.h>

#define BH_LOCK_DEFAULT "/run/bulkhead.lock"

int preflight_root(char *err, size_t errlen);
int preflight_btf(const char *path, char *err, size_t errlen);
/* Resolves the cgroup v2 mount: the override if given (checked), else found. */
int preflight_cgroup2(const char *override, const char **root, char *err, size_t errlen);
/* Single-instance lock: returns the held fd (keep it open), or -1. */
int preflight_lock(const char *path, char *err, size_t errlen);

#endif
