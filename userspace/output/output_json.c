// SPDX-License-Identifier: GPL-2.0
/* JSON lines to stdout or a file: the writer's half. See output_json.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "output/output_json.h"

struct json_sink {
	char *path;		/* NULL: stdout */
	int fd;
};

static int open_file(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
}

static int js_open(void *p)
{
	struct json_sink *s = p;

	if (s->fd >= 0)
		return 0;
	if (!s->path) {
		s->fd = STDOUT_FILENO;
		return 0;
	}
	s->fd = open_file(s->path);
	return s->fd < 0 ? -errno : 0;
}

static long js_deliver(void *p, enum oq_class cls, const char *buf, size_t len)
{
	struct json_sink *s = p;
	ssize_t n;

	do
		n = write(s->fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* SIGHUP: the new file replaces the old one only if it can be opened. */
static int js_reopen(void *p)
{
	struct json_sink *s = p;
	int fd;

	if (!s->path)
		return 0;
	fd = open_file(s->path);
	if (fd < 0) {
		log_warn_errno("output json: reopen %s: keeping the old file", s->path);
		return -errno;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = fd;
	return 0;
}

static void js_close(void *p)
{
	struct json_sink *s = p;

	if (s->path && s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static void js_destroy(void *p)
{
	struct json_sink *s = p;

	js_close(s);
	free(s->path);
	free(s);
}

static const struct oq_sink_ops json_ops = {
	.open = js_open,
	.deliver = js_deliver,
	.reopen = js_reopen,
	.close = js_close,
	.destroy = js_destroy,
};

struct output_queue *output_json_new(const char *path, size_t alert_bytes, size_t telemetry_bytes,
				     char *err, size_t errlen)
{
	struct json_sink *s = calloc(1, sizeof(*s));
	struct output_queue *q = NULL;
	char name[80];

	if (!s)
		goto oom;
	s->fd = -1;
	if (path && strcmp(path, "-")) {
		s->path = strdup(path);
		if (!s->path)
			goto oom;
		s->fd = open_file(path);
		if (s->fd < 0) {
			snprintf(err, errlen, "output: cannot open %s: %s", path, strerror(errno));
			goto fail;
		}
	}
	snprintf(name, sizeof(name), "json:%s", s->path ? s->path : "stdout");
	q = oq_new(name, &json_ops, s, alert_bytes, telemetry_bytes);
	if (!q)
		goto oom;
	return q;
oom:
	snprintf(err, errlen, "output: out of memory");
fail:
	if (s) {
		js_close(s);
		free(s->path);
	}
	free(s);
	return NULL;
}
