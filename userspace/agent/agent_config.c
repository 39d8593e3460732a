// SPDX-License-Identifier: GPL-2.0
/* The agent's config file: a flat YAML mapping of long options. See agent_config.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <yaml.h>

#include "agent/agent_config.h"

#define LINE(m) ((int)(m).line + 1)

struct cparse {
	const char *name;
	const struct option *opts;
	const char *const *repeatable;
	struct agent_config_args *out;
	char *err;
	size_t errlen;
	char **seen;		/* keys already given */
	int nseen;
};

static int fail(struct cparse *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct cparse *p, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->errlen, "%s:%d: ", p->name, line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int push_arg(struct cparse *p, int line, const char *key, const char *value)
{
	struct agent_config_args *o = p->out;
	char **argv;
	int *lines;
	size_t len;

	if (o->argc >= AGENT_CONFIG_MAX_ARGS)
		return fail(p, line, "more than %d settings", AGENT_CONFIG_MAX_ARGS);
	argv = realloc(o->argv, (size_t)(o->argc + 2) * sizeof(*argv));
	if (!argv)
		return fail(p, line, "out of memory");
	o->argv = argv;
	lines = realloc(o->lines, (size_t)(o->argc + 2) * sizeof(*lines));
	if (!lines)
		return fail(p, line, "out of memory");
	o->lines = lines;
	len = strlen(key) + 3 + (value ? strlen(value) + 1 : 0);
	o->argv[o->argc] = malloc(len);
	if (!o->argv[o->argc])
		return fail(p, line, "out of memory");
	if (value)
		snprintf(o->argv[o->argc], len, "--%s=%s", key, value);
	else
		snprintf(o->argv[o->argc], len, "--%s", key);
	o->lines[o->argc] = line;
	o->argc++;
	o->argv[o->argc] = NULL;
	return 0;
}

static const struct option *find_opt(const struct cparse *p, const char *key)
{
	for (const struct option *o = p->opts; o->name; o++)
		if (!strcmp(o->name, key))
			return o;
	return NULL;
}

static bool is_repeatable(const struct cparse *p, const char *key)
{
	for (const char *const *r = p->repeatable; r && *r; r++)
		if (!strcmp(*r, key))
			return true;
	return false;
}

/* A key: known, not config/help, not given twice. */
static const struct option *check_key(struct cparse *p, const yaml_event_t *ev)
{
	const char *key = (const char *)ev->data.scalar.value;
	const struct option *o = find_opt(p, key);
	char **seen;

	if (!o || !strcmp(key, "config") || !strcmp(key, "help")) {
		fail(p, LINE(ev->start_mark), "unknown key '%.64s' (the keys are bulkhead run's long "
		     "options without the dashes; see bulkhead run --help)", key);
		return NULL;
	}
	for (int i = 0; i < p->nseen; i++)
		if (!strcmp(p->seen[i], key)) {
			fail(p, LINE(ev->start_mark), "'%s' is given twice%s", key,
			     is_repeatable(p, key) ? " (give a list instead)" : "");
			return NULL;
		}
	seen = realloc(p->seen, (size_t)(p->nseen + 1) * sizeof(*seen));
	if (!seen || !(seen[p->nseen] = strdup(key))) {
		if (seen)
			p->seen = seen;
		fail(p, LINE(ev->start_mark), "out of memory");
		return NULL;
	}
	p->seen = seen;
	p->nseen++;
	return o;
}

static int scalar_value(struct cparse *p, const struct option *o, const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	int line = LINE(ev->start_mark);

	if (ev->data.scalar.length > AGENT_CONFIG_MAX_VALUE)
		return fail(p, line, "%s: value longer than %d bytes", o->name, AGENT_CONFIG_MAX_VALUE);
	if (strlen(v) != ev->data.scalar.length)
		return fail(p, line, "%s: value contains a NUL byte", o->name);
	if (o->has_arg == no_argument) {
		if (!strcmp(v, "true"))
			return push_arg(p, line, o->name, NULL);
		if (!strcmp(v, "false"))
			return 0;
		return fail(p, line, "%s: expected true or false, got '%.64s'", o->name, v);
	}
	if (!v[0] && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		return fail(p, line, "%s: needs a value", o->name);
	return push_arg(p, line, o->name, v);
}

static int anchored(struct cparse *p, const yaml_event_t *ev)
{
	const yaml_char_t *a = NULL;

	if (ev->type == YAML_SCALAR_EVENT)
		a = ev->data.scalar.anchor;
	else if (ev->type == YAML_SEQUENCE_START_EVENT)
		a = ev->data.sequence_start.anchor;
	else if (ev->type == YAML_MAPPING_START_EVENT)
		a = ev->data.mapping_start.anchor;
	if (ev->type == YAML_ALIAS_EVENT || a)
		return fail(p, LINE(ev->start_mark), "YAML anchors and aliases are not supported here");
	return 0;
}

int agent_config_parse(const char *name, const char *text, size_t len, const struct option *opts,
		       const char *const *repeatable, struct agent_config_args *out,
		       char *err, size_t errlen)
{
	enum { S_STREAM, S_DOC, S_ROOT, S_KEY, S_VALUE, S_SEQ, S_DOC_END, S_DONE } st = S_STREAM;
	struct cparse p = { .name = name, .opts = opts, .repeatable = repeatable, .out = out,
			    .err = err, .errlen = errlen };
	const struct option *cur = NULL;
	yaml_parser_t parser;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (push_arg(&p, 0, "", NULL))	/* argv[0] */
		return -1;
	free(out->argv[0]);
	out->argv[0] = strdup(name);
	if (!out->argv[0] || len > AGENT_CONFIG_MAX_BYTES || !yaml_parser_initialize(&parser)) {
		if (len > AGENT_CONFIG_MAX_BYTES)
			fail(&p, 1, "larger than %u bytes", AGENT_CONFIG_MAX_BYTES);
		else
			fail(&p, 1, "out of memory");
		agent_config_args_free(out);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (st != S_DONE) {
		yaml_event_t ev;
		int e = 0;

		if (!yaml_parser_parse(&parser, &ev)) {
			fail(&p, (int)parser.problem_mark.line + 1, "YAML: %s%s%s",
			     parser.problem ? parser.problem : "syntax error",
			     parser.context ? " " : "", parser.context ? parser.context : "");
			goto out;
		}
		if (anchored(&p, &ev)) {
			yaml_event_delete(&ev);
			goto out;
		}
		switch (st) {
		case S_STREAM:
			if (ev.type == YAML_STREAM_START_EVENT)
				st = S_DOC;
			break;
		case S_DOC:
			if (ev.type == YAML_DOCUMENT_START_EVENT)
				st = S_ROOT;
			else if (ev.type == YAML_STREAM_END_EVENT)
				st = S_DONE;	/* an empty file: all defaults */
			break;
		case S_ROOT:
			if (ev.type == YAML_MAPPING_START_EVENT)
				st = S_KEY;
			else if (ev.type == YAML_SCALAR_EVENT && !ev.data.scalar.length)
				st = S_DOC_END;	/* "---" alone */
			else
				e = fail(&p, LINE(ev.start_mark), "expected a mapping of settings (key: value)");
			break;
		case S_KEY:
			if (ev.type == YAML_MAPPING_END_EVENT)
				st = S_DOC_END;
			else if (ev.type != YAML_SCALAR_EVENT)
				e = fail(&p, LINE(ev.start_mark), "expected a setting name");
			else if (!(cur = check_key(&p, &ev)))
				e = -1;
			else
				st = S_VALUE;
			break;
		case S_VALUE:
			if (ev.type == YAML_SCALAR_EVENT) {
				e = scalar_value(&p, cur, &ev);
				st = S_KEY;
			} else if (ev.type == YAML_SEQUENCE_START_EVENT && is_repeatable(&p, cur->name)) {
				st = S_SEQ;
			} else if (ev.type == YAML_SEQUENCE_START_EVENT) {
				e = fail(&p, LINE(ev.start_mark), "%s takes one value, not a list", cur->name);
			} else {
				e = fail(&p, LINE(ev.start_mark), "%s: expected a value", cur->name);
			}
			break;
		case S_SEQ:
			if (ev.type == YAML_SEQUENCE_END_EVENT)
				st = S_KEY;
			else if (ev.type == YAML_SCALAR_EVENT)
				e = scalar_value(&p, cur, &ev);
			else
				e = fail(&p, LINE(ev.start_mark), "%s: a list of plain values expected", cur->name);
			break;
		case S_DOC_END:
			if (ev.type == YAML_DOCUMENT_END_EVENT)
				break;
			if (ev.type == YAML_STREAM_END_EVENT)
				st = S_DONE;
			else
				e = fail(&p, LINE(ev.start_mark), "one document only");
			break;
		case S_DONE:
			break;
		}
		yaml_event_delete(&ev);
		if (e)
			goto out;
	}
	ret = 0;
out:
	yaml_parser_delete(&parser);
	for (int i = 0; i < p.nseen; i++)
		free(p.seen[i]);
	free(p.seen);
	if (ret)
		agent_config_args_free(out);
	return ret;
}

int agent_config_load(const char *path, const struct option *opts, const char *const *repeatable,
		      struct agent_config_args *out, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t got = 0;
	int fd, ret;

	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > AGENT_CONFIG_MAX_BYTES) {
		snprintf(err, errlen, "%s: not a regular file of at most %u bytes", path,
			 AGENT_CONFIG_MAX_BYTES);
		close(fd);
		return -1;
	}
	buf = malloc(AGENT_CONFIG_MAX_BYTES + 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	while (got <= AGENT_CONFIG_MAX_BYTES &&
	       (n = read(fd, buf + got, AGENT_CONFIG_MAX_BYTES + 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	ret = agent_config_parse(path, buf, got, opts, repeatable, out, err, errlen);
	free(buf);
	return ret;
}

void agent_config_args_free(struct agent_config_args *a)
{
	for (int i = 0; a->argv && i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
	free(a->lines);
	memset(a, 0, sizeof(*a));
}

const char *agent_config_path(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--config") || !strcmp(argv[i], "-c"))
			return i + 1 < argc ? argv[i + 1] : "";
		if (!strncmp(argv[i], "--config=", 9))
			return argv[i] + 9;
		if (!strncmp(argv[i], "-c", 2) && argv[i][2] != '-')
			return argv[i] + 2;
	}
	return NULL;
}
