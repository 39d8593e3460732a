/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel file systems bulkhead needs: find them, mount what is missing. */
#ifndef BULKHEAD_KERNEL_FS_H
#define BULKHEAD_KERNEL_FS_H

#include <stddef.h>

#define BH_BPFFS	"/sys/fs/bpf"
#define BH_TRACEFS	"/sys/kernel/tracing"
#define BH_SECURITYFS	"/sys/kernel/security"

/* Where cgroup v2 is mounted (hybrid: /sys/fs/cgroup/unified), or NULL. */
const char *cgroup2_mount(void);

/* Is a file system of this type mounted exactly at this path? */
int fs_mounted(const char *path, const char *fstype);

/*
 * Mount bpffs, tracefs and securityfs where missing. Returns 0, or -1 with a
 * one-line reason in err naming the file system that could not be mounted.
 */
int kernel_fs_ensure(char *err, size_t errlen);

/* Read a small text file into buf (NUL-terminated, trailing newline cut). */
int read_small_file(const char *path, char *buf, size_t len);

#endif
