// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <bpf/libbpf.h>

#include "lib/log.h"

static int verbose;
static int use_syslog;

void log_init(int v, int to_syslog)
{
	verbose = v;
	use_syslog = to_syslog;
	if (use_syslog)
		openlog("bulkhead", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int log_verbose(void)
{
	return verbose;
}

static void vlog(int pri, const char *fmt, va_list ap, int err)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (err) {
		size_t n = strlen(buf);

		snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(err));
	}
	if (use_syslog)
		syslog(pri, "%s", buf);
	else
		fprintf(stderr, "bulkhead: %s\n", buf);
}

#define LOG_FN(name, pri, cond, with_errno)				\
void name(const char *fmt, ...)						\
{									\
	int saved = errno;						\
	va_list ap;							\
									\
	if (!(cond))							\
		return;							\
	va_start(ap, fmt);						\
	vlog(pri, fmt, ap, (with_errno) ? saved : 0);			\
	va_end(ap);							\
	errno = saved;							\
}

LOG_FN(log_warn, LOG_WARNING, 1, 0)
LOG_FN(log_warn_errno, LOG_WARNING, 1, 1)
LOG_FN(log_info, LOG_INFO, 1, 0)
LOG_FN(log_debug, LOG_DEBUG, verbose, 0)

/* A verifier log can be megabytes: its head says where, its tail says why. */
#define LIBBPF_HEAD	2048
#define LIBBPF_TAIL	4096

static void libbpf_emit(enum libbpf_print_level level, const char *s, int len)
{
	if (use_syslog)
		syslog(level == LIBBPF_WARN ? LOG_WARNING : LOG_DEBUG, "libbpf: %.*s", len, s);
	else
		fprintf(stderr, "bulkhead: libbpf: %.*s\n", len, s);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *buf = NULL;
	int n;

	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	n = vasprintf(&buf, fmt, ap);
	if (n < 0)
		return 0;
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n <= LIBBPF_HEAD + LIBBPF_TAIL) {
		libbpf_emit(level, buf, n);
	} else {
		const char *tail = buf + n - LIBBPF_TAIL;
		char mid[64];

		/* Cut at line ends, so that every line printed is whole. */
		const char *h = memrchr(buf, '\n', LIBBPF_HEAD);
		const char *t = memchr(tail, '\n', LIBBPF_TAIL);
		int hl = h ? (int)(h - buf) : LIBBPF_HEAD;

		tail = t ? t + 1 : tail;
		libbpf_emit(level, buf, hl);
		snprintf(mid, sizeof(mid), "... (%d bytes of the log left out) ...",
			 (int)(tail - buf) - hl);
		libbpf_emit(level, mid, (int)strlen(mid));
		libbpf_emit(level, tail, (int)(buf + n - tail));
	}
	free(buf);
	return 0;
}

void log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
