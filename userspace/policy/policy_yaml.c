// SPDX-License-Identifier: GPL-2.0
/*
 * libyaml events -> a small tree of nodes that remember line and column.
 * Hostile input: aliases and anchors are rejected (no alias bombs), tags
 * other than the plain core ones are rejected, and depth, node count and
 * scalar size are bounded; parsing stops at the first violation.
 */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "policy/policy_internal.h"

#define MARK_LINE(m)	((uint32_t)(m).line + 1)
#define MARK_COL(m)	((uint32_t)(m).column + 1)

/*
 * The tree's memory: chunks handed out in order and freed together with the
 * stream (a 10,000-rule set is about 100,000 nodes: one malloc and one free
 * each was a sixth of a policy swap's parse).
 */
#define YARENA_CHUNK	(64u << 10)

struct yarena {
	struct yarena *next;
	size_t used, cap;
	_Alignas(16) char mem[];
};

static void *ya_alloc(struct ystream *s, size_t n)
{
	struct yarena *a = s->arena;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (!a || a->cap - a->used < n) {
		size_t cap = n > YARENA_CHUNK - sizeof(*a) ? n : YARENA_CHUNK - sizeof(*a);

		a = malloc(sizeof(*a) + cap);
		if (!a)
			return NULL;
		a->next = s->arena;
		a->used = 0;
		a->cap = cap;
		s->arena = a;
	}
	p = a->mem + a->used;
	a->used += n;
	return p;
}

static struct ynode *ynode_new(struct ystream *s, enum ynode_type t, const yaml_mark_t *m)
{
	struct ynode *n = ya_alloc(s, sizeof(*n));

	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->type = t;
	n->line = MARK_LINE(*m);
	n->col = MARK_COL(*m);
	return n;
}

static int ynode_add(struct ystream *s, struct ynode *parent, struct ynode *kid)
{
	if (parent->n == parent->cap) {
		uint32_t cap = parent->cap ? parent->cap * 2 : 8;
		struct ynode **k = ya_alloc(s, cap * sizeof(*k));

		if (!k)
			return -1;
		if (parent->n)
			memcpy(k, parent->kids, parent->n * sizeof(*k));
		parent->kids = k;
		parent->cap = cap;
	}
	parent->kids[parent->n++] = kid;
	return 0;
}

void ystream_free(struct ystream *s)
{
	while (s->arena) {
		struct yarena *a = s->arena;

		s->arena = a->next;
		free(a);
	}
	free(s->docs);
	s->docs = NULL;
	s->n = 0;
}

/* Tags we accept: none, or the core schema's own (!!str, !!int, ...). */
static int tag_ok(const yaml_char_t *tag)
{
	static const char *const ok[] = {
		"tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:bool",
		"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:null",
	};

	if (!tag)
		return 1;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp((const char *)tag, ok[i]))
			return 1;
	return 0;
}

/* The reader of one stream: where the node being built goes. */
struct yreader {
	struct perr_ctx *c;
	struct ystream *out;
	struct ynode *stack[POLICY_MAX_DEPTH + 1];	/* open mappings and lists */
	int depth;
	uint32_t nodes;
	struct ynode *cur_root;		/* of the document being read: no document owns it yet */
	uint32_t doc_line, doc_col;
};

/* libyaml refused the input: its reason, where. */
static void syntax_error(struct perr_ctx *c, const yaml_parser_t *parser, const char *buf, size_t len)
{
	const char *ctxs = parser->context ? parser->context : NULL;
	uint32_t line = MARK_LINE(parser->problem_mark), col = MARK_COL(parser->problem_mark);

	if (parser->error == YAML_READER_ERROR) {
		/* encoding errors carry a byte offset, not a mark */
		line = col = 1;
		for (size_t i = 0; i < parser->problem_offset && i < len; i++) {
			if (buf[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
	}
	perr_at(c, 0, line, col,
		NULL, "YAML syntax error: %s%s%s",
		parser->problem ? parser->problem : "unknown error",
		ctxs ? " " : "", ctxs ? ctxs : "");
}

/* A document ends: it joins the stream. */
static int doc_end(struct yreader *r)
{
	struct ystream *out = r->out;
	struct ydoc *d = out->docs;

	if ((out->n & (out->n - 1)) == 0)	/* grow at powers of two */
		d = realloc(out->docs, (out->n ? 2 * out->n : 1) * sizeof(*d));
	if (!d) {
		r->cur_root = NULL;	/* (its nodes go with the arena) */
		perr_at(r->c, 0, r->doc_line, r->doc_col, NULL, "out of memory");
		return -1;
	}
	out->docs = d;
	d[out->n].root = r->cur_root;
	d[out->n].line = r->doc_line;
	d[out->n].col = r->doc_col;
	out->n++;
	r->cur_root = NULL;
	return 0;
}

/* What policies do not take: aliases, anchors, tags beyond the core ones. */
static int refuse_event(struct perr_ctx *c, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;

	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		perr_at(c, 0, MARK_LINE(ev->start_mark), MARK_COL(ev->start_mark), NULL,
			"YAML aliases (*%s) are not supported in policies; write the value out",
			ev->data.alias.anchor ? (const char *)ev->data.alias.anchor : "");
		return -1;
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	default:
		break;
	}
	if (anchor) {
		perr_at(c, 0, MARK_LINE(ev->start_mark), MARK_COL(ev->start_mark), NULL,
			"YAML anchors (&%s) are not supported in policies; write the value out",
			(const char *)anchor);
		return -1;
	}
	if (!tag_ok(tag)) {
		perr_at(c, 0, MARK_LINE(ev->start_mark), MARK_COL(ev->start_mark), NULL,
			"YAML tag %s is not supported in policies", (const char *)tag);
		return -1;
	}
	return 0;
}

/* A scalar's node into *out (NULL: out of memory). -1 if it is too long or holds a NUL (reported). */
static int scalar_node(struct perr_ctx *c, struct ystream *s, const yaml_event_t *ev, struct ynode **out)
{
	struct ynode *n = ynode_new(s, YN_SCALAR, &ev->start_mark);

	*out = NULL;
	if (n && ev->data.scalar.length > POLICY_MAX_SCALAR) {
		perr_at(c, 0, n->line, n->col, NULL, "scalar too long: %zu bytes, at most %u",
			ev->data.scalar.length, POLICY_MAX_SCALAR);
		return -1;
	}
	if (n && memchr(ev->data.scalar.value, 0, ev->data.scalar.length)) {
		perr_at(c, 0, n->line, n->col, NULL, "scalar contains a NUL byte");
		return -1;
	}
	if (n) {
		n->len = (uint32_t)ev->data.scalar.length;
		n->str = ya_alloc(s, n->len + 1);
		if (n->str) {
			memcpy(n->str, ev->data.scalar.value, n->len);
			n->str[n->len] = 0;
		}
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	}
	*out = n;
	return 0;
}

/* A scalar, mapping or list starts: its node goes under the open one (or is the root). */
static int add_node(struct yreader *r, const yaml_event_t *ev)
{
	struct perr_ctx *c = r->c;
	struct ynode *n;

	if (++r->nodes > POLICY_MAX_NODES) {
		perr_at(c, 0, MARK_LINE(ev->start_mark), MARK_COL(ev->start_mark), NULL,
			"document too large: more than %u YAML nodes in one file", POLICY_MAX_NODES);
		return -1;
	}
	if (ev->type == YAML_SCALAR_EVENT) {
		if (scalar_node(c, r->out, ev, &n))
			return -1;
	} else {
		n = ynode_new(r->out, ev->type == YAML_MAPPING_START_EVENT ? YN_MAP : YN_SEQ, &ev->start_mark);
	}
	if (!n || (n->type == YN_SCALAR && !n->str)) {
		perr_at(c, 0, MARK_LINE(ev->start_mark), MARK_COL(ev->start_mark), NULL, "out of memory");
		return -1;
	}
	if (r->depth == 0) {
		r->cur_root = n;	/* one root per doc */
	} else if (ynode_add(r->out, r->stack[r->depth - 1], n)) {
		perr_at(c, 0, MARK_LINE(ev->start_mark), MARK_COL(ev->start_mark), NULL, "out of memory");
		return -1;
	}
	if (n->type != YN_SCALAR) {
		if (r->depth >= POLICY_MAX_DEPTH) {
			perr_at(c, 0, n->line, n->col, NULL, "nesting too deep: more than %u levels",
				POLICY_MAX_DEPTH);
			return -1;
		}
		r->stack[r->depth++] = n;
	}
	return 0;
}

/* One event: 1 at the end of the stream, 0 to go on, -1 on an error (reported). */
static int read_event(struct yreader *r, const yaml_event_t *ev)
{
	if (refuse_event(r->c, ev))
		return -1;
	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		r->doc_line = MARK_LINE(ev->start_mark);
		r->doc_col = MARK_COL(ev->start_mark);
		r->cur_root = NULL;
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		return doc_end(r);
	case YAML_SCALAR_EVENT:
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return add_node(r, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (r->depth > 0)
			r->depth--;
		return 0;
	default:
		return 0;
	}
}

int ystream_parse(struct perr_ctx *c, const char *buf, size_t len, struct ystream *out)
{
	struct yreader r = { .c = c, .out = out };
	yaml_parser_t parser;
	yaml_event_t ev;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!yaml_parser_initialize(&parser)) {
		perr_at(c, 0, 0, 0, NULL, "out of memory initialising the YAML parser");
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (rc == 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			syntax_error(c, &parser, buf, len);
			rc = -1;
			break;
		}
		rc = read_event(&r, &ev);
		yaml_event_delete(&ev);
	}
	if (rc < 0)
		ystream_free(out);	/* r.cur_root's nodes too: the arena */
	yaml_parser_delete(&parser);
	return rc < 0 ? -1 : 0;
}

bool ynode_is_null(const struct ynode *n)
{
	if (!n)
		return true;
	if (n->type != YN_SCALAR || !n->plain)
		return false;
	return !strcmp(n->str, "") || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
	       !strcmp(n->str, "Null") || !strcmp(n->str, "NULL");
}

struct ynode *ymap_get(const struct ynode *map, const char *key)
{
	if (!map || map->type != YN_MAP)
		return NULL;
	for (uint32_t i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->type == YN_SCALAR && !strcmp(map->kids[i]->str, key))
			return map->kids[i + 1];
	return NULL;
}

const char *ynode_describe(const struct ynode *n, char *buf, size_t len)
{
	size_t o = 0;

	if (!n || ynode_is_null(n))
		return "null";
	if (n->type == YN_MAP)
		return "a mapping";
	if (n->type == YN_SEQ)
		return "a list";
	/* quoted, escaped, truncated */
	if (len < 8)
		return "a string";
	buf[o++] = '"';
	for (uint32_t i = 0; i < n->len && o + 6 < len; i++) {
		unsigned char ch = (unsigned char)n->str[i];

		if (i >= 64) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (ch == '"' || ch == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)ch;
		} else if (ch < 0x20 || ch == 0x7f) {
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", ch);
		} else {
			buf[o++] = (char)ch;
		}
	}
	buf[o++] = '"';
	buf[o] = 0;
	return buf;
}
