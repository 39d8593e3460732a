// SPDX-License-Identifier: GPL-2.0
/*
 * Diagnostics of the policy language: the error list (struct policy_errors)
 * with file:line:column and the field path of each problem, which the YAML
 * reader, the schema and the set loader all report into.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_internal.h"

void policy_errors_init(struct policy_errors *e)
{
	memset(e, 0, sizeof(*e));
}

void policy_errors_free(struct policy_errors *e)
{
	for (uint32_t i = 0; i < e->n; i++) {
		free(e->v[i].file);
		free(e->v[i].field);
		free(e->v[i].msg);
	}
	free(e->v);
	memset(e, 0, sizeof(*e));
}

char *policy_error_format(const struct policy_error *err, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	if (err->file)
		o += (size_t)snprintf(buf + o, len - o, "%s:", err->file);
	if (o < len && err->line)
		o += (size_t)snprintf(buf + o, len - o, "%u:%u:", err->line, err->col);
	if (o < len && o)
		o += (size_t)snprintf(buf + o, len - o, " ");
	if (o < len && err->warning)
		o += (size_t)snprintf(buf + o, len - o, "warning: ");
	if (o < len && err->field && err->field[0])
		o += (size_t)snprintf(buf + o, len - o, "%s: ", err->field);
	if (o < len)
		snprintf(buf + o, len - o, "%s", err->msg ? err->msg : "");
	return buf;
}

void policy_errors_print(const struct policy_errors *e, FILE *f)
{
	char buf[2048];

	for (uint32_t i = 0; i < e->n; i++)
		fprintf(f, "%s\n", policy_error_format(&e->v[i], buf, sizeof(buf)));
	if (e->dropped)
		fprintf(f, "... and %u more diagnostics not shown\n", e->dropped);
}

static void vperr_at(struct perr_ctx *c, int warning, uint32_t line, uint32_t col,
		     const char *field, const char *fmt, va_list ap)
{
	struct policy_errors *e = c->errs;
	struct policy_error *x;
	char msg[1024];

	if (warning)
		e->n_warnings++;
	else
		e->n_errors++;
	if (e->n >= POLICY_MAX_ERRORS) {
		e->dropped++;
		return;
	}
	if (e->n == e->cap) {
		uint32_t cap = e->cap ? e->cap * 2 : 16;
		struct policy_error *v = realloc(e->v, cap * sizeof(*v));

		if (!v) {
			e->dropped++;
			return;
		}
		e->v = v;
		e->cap = cap;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	x = &e->v[e->n++];
	memset(x, 0, sizeof(*x));
	x->file = c->file ? strdup(c->file) : NULL;
	x->line = line;
	x->col = col;
	x->warning = (uint8_t)!!warning;
	x->field = field && field[0] ? strdup(field) : NULL;
	x->msg = strdup(msg);
}

void perr_at(struct perr_ctx *c, int warning, uint32_t line, uint32_t col, const char *field,
	     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vperr_at(c, warning, line, col, field, fmt, ap);
	va_end(ap);
}

void perr(struct perr_ctx *c, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vperr_at(c, 0, n ? n->line : 0, n ? n->col : 0, c->path, fmt, ap);
	va_end(ap);
}

void pwarn(struct perr_ctx *c, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vperr_at(c, 1, n ? n->line : 0, n ? n->col : 0, c->path, fmt, ap);
	va_end(ap);
}

size_t path_push_key(struct perr_ctx *c, const char *key)
{
	size_t old = c->plen, kl = strnlen(key, 64), room = sizeof(c->path) - 1 - c->plen;

	/* as snprintf("%s%.64s", "." if not first, key), without its cost: once per YAML key */
	if (c->plen && room) {
		c->path[c->plen++] = '.';
		room--;
	}
	if (kl > room)
		kl = room;
	memcpy(c->path + c->plen, key, kl);
	c->plen += kl;
	c->path[c->plen] = 0;
	return old;
}

size_t path_push_idx(struct perr_ctx *c, uint32_t i)
{
	size_t old = c->plen, room = sizeof(c->path) - 1 - c->plen, n = 0;
	char d[16];

	/* as snprintf("[%u]", i), without its cost */
	do {
		d[n++] = (char)('0' + i % 10);
		i /= 10;
	} while (i);
	if (room && c->plen < sizeof(c->path) - 1)
		c->path[c->plen++] = '[', room--;
	while (n && room)
		c->path[c->plen++] = d[--n], room--;
	if (room)
		c->path[c->plen++] = ']';
	c->path[c->plen] = 0;
	return old;
}

void path_pop(struct perr_ctx *c, size_t old)
{
	c->plen = old;
	c->path[old] = 0;
}

/* Diagnostics of one load read top to bottom: stable sort by file, line, column. */
void policy_errors_sort(struct policy_errors *e, uint32_t first)
{
	for (uint32_t i = first + 1; i < e->n; i++) {
		struct policy_error x = e->v[i];
		uint32_t j = i;

		while (j > first) {
			const struct policy_error *p = &e->v[j - 1];
			int fc = (p->file && x.file) ? strcmp(p->file, x.file) : 0;

			if (fc < 0 || (fc == 0 && (p->line < x.line ||
			    (p->line == x.line && p->col <= x.col))))
				break;
			if (fc > 0)
				break;	/* files keep their load order */
			e->v[j] = e->v[j - 1];
			j--;
		}
		e->v[j] = x;
	}
}
