/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One logger (after OpenBSD's log.c): stderr in the foreground, syslog as a
 * daemon. Messages start with their subsystem ("probe: ...");
 * the *_errno variants append ": strerror(errno)".
 */
#ifndef BULKHEAD_LOG_H
#define BULKHEAD_LOG_H

#include <stdarg.h>

void log_init(int verbose, int to_syslog);
int log_verbose(void);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* libbpf's print callback, routed here: debug output only with -v. */
void log_setup_libbpf(void);

#endif
