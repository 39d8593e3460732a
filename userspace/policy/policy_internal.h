/* SPDX-License-Identifier: GPL-2.0 */
/* Internals of the policy language, shared by policy_*.c only. */
#ifndef BULKHEAD_POLICY_INTERNAL_H
#define BULKHEAD_POLICY_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include "policy/policy.h"

/* ---- YAML tree (policy_yaml.c) ----------------------------------------- */
enum ynode_type { YN_SCALAR, YN_MAP, YN_SEQ };

struct ynode {
	uint8_t type;
	uint8_t plain;		/* scalar written without quotes */
	uint32_t line, col;	/* 1-based */
	char *str;		/* scalar value, NUL-terminated, no embedded NUL */
	uint32_t len;
	/* YN_MAP: kids[2i] key, kids[2i+1] value; YN_SEQ: kids[i] */
	struct ynode **kids;
	uint32_t n, cap;
};

struct ydoc {
	struct ynode *root;
	uint32_t line, col;	/* of the document start */
};

struct yarena;
struct ystream {
	struct ydoc *docs;
	uint32_t n;
	struct yarena *arena;	/* every node, string and list of the tree: freed at once */
};

struct perr_ctx;

/* Parse buf into documents; reports syntax errors and limits. 0 or -1. */
int ystream_parse(struct perr_ctx *ctx, const char *buf, size_t len, struct ystream *out);
void ystream_free(struct ystream *s);

bool ynode_is_null(const struct ynode *n);
/* Value for key in a mapping, or NULL. */
struct ynode *ymap_get(const struct ynode *map, const char *key);
/* Describe a node for "got ..." in messages. */
const char *ynode_describe(const struct ynode *n, char *buf, size_t len);

/* ---- Diagnostics (policy_diag.c) ---------------------------------------- */
/* Where a problem is: the file being loaded and the field path being compiled. */
struct perr_ctx {
	struct policy_errors *errs;
	const char *file;	/* current file name */
	char path[512];		/* current field path, "spec.file[3]" */
	size_t plen;
	uint32_t first_diag;	/* errs->n when this load started */
};

void perr_at(struct perr_ctx *c, int warning, uint32_t line, uint32_t col, const char *field,
	     const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Error at node n with the current field path. */
void perr(struct perr_ctx *c, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void pwarn(struct perr_ctx *c, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Push ".key" or "[i]" onto the path; returns the old length for path_pop. */
size_t path_push_key(struct perr_ctx *c, const char *key);
size_t path_push_idx(struct perr_ctx *c, uint32_t i);
void path_pop(struct perr_ctx *c, size_t old);
/* The diagnostics from index first on, in file order, then by line and column. */
void policy_errors_sort(struct policy_errors *e, uint32_t first);

/* ---- Patterns (policy_glob.c) ------------------------------------------ */
/*
 * Validate and normalize a file/exec/cgroup path pattern. allow_prefix: a
 * trailing '/' (or '/ **') means directory prefix. On error returns -1 with a
 * message "expected ..., got ..." in err.
 */
int pattern_parse_path(const char *in, char *out, size_t outlen, uint8_t *kind,
		       uint32_t *literal, char *err, size_t errlen);
/* Selector name globs (Kubernetes names): only '*'. field = POLICY_SEL_*. */
int pattern_parse_name(const char *in, int field, char *out, size_t outlen, char *err,
		       size_t errlen);
uint32_t pattern_specificity(uint8_t kind, uint32_t literal);
uint32_t pattern_literal_count(const char *p);
int pattern_has_wildcard(const char *p);

/* ---- Schema (policy_parse.c) ------------------------------------------- */
/* Compile one document into p (zeroed by caller). 0 ok, -1 errors reported. */
int policy_compile_doc(struct perr_ctx *c, const struct ydoc *d, struct policy *p);
void policy_free_members(struct policy *p);
/* dst = src without its rule tables (tables_dropped; counts and sources kept). 0, or -1 out of memory
 * (dst then holds nothing to free). */
int policy_copy_meta(struct policy *dst, const struct policy *src);

/* Did-you-mean: the candidate closest to s, or NULL. */
const char *closest_word(const char *s, const char *const *cands, size_t n);

/* ---- Views (policy_dump.c) --------------------------------------------- */
/* "read,write", or "all" (POLICY_OPS_ALL), into buf. */
void policy_ops_format(uint16_t ops, char *buf, size_t len);

#endif
