// SPDX-License-Identifier: GPL-2.0
/*
 * Path and name patterns: validation, normalization, specificity, matching.
 *
 * Path patterns are absolute. '*' matches within one component (never '/'),
 * '**' (a whole component) matches any number of components, including none:
 * "/a/ ** /b" matches /a/b and /a/x/y/b; a trailing "/ **" also matches the
 * directory itself. "/etc/" and "/etc/ **" normalize to the directory prefix
 * "/etc/" (kind PREFIX). No other glob syntax ('?', '[', '{', '\') exists;
 * those characters are rejected so nobody believes they work.
 */
#include <stdio.h>
#include <string.h>

#include "policy/policy_internal.h"

#define T_STAR	256
#define T_DSTAR	257
#define TOK_MAX	512

static int bad_char(unsigned char ch)
{
	return ch < 0x20 || ch == 0x7f;
}

int pattern_has_wildcard(const char *p)
{
	return strchr(p, '*') != NULL;
}

/*
 * Literal characters of a normalized path pattern; a '/' next to a '**'
 * component is not counted (it may match nothing), and neither is a
 * prefix's trailing '/'. So a glob that matches a path never counts more
 * than the path's length, and an exact pattern always wins over it.
 */
uint32_t pattern_literal_count(const char *p)
{
	size_t len = strlen(p);
	uint32_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '*')
			continue;
		if (p[i] == '/') {
			/* "/" + "**" (+ "/" or end): the slash before a middle or trailing ** */
			if (i + 3 == len && p[i + 1] == '*' && p[i + 2] == '*')
				continue;	/* trailing "/ **": dir itself matches */
			if (i >= 2 && p[i - 1] == '*' && p[i - 2] == '*')
				continue;	/* slash after a middle ** */
			if (i + 1 == len && i > 0)
				continue;	/* prefix's trailing slash */
		}
		n++;
	}
	return n;
}

uint32_t pattern_specificity(uint8_t kind, uint32_t literal)
{
	uint32_t rank;

	switch (kind) {
	case POLICY_PAT_EXACT:
		rank = 3;
		break;
	case POLICY_PAT_PREFIX:
		rank = 0;
		break;
	default:
		rank = 1;	/* glob with ** */
		break;
	}
	return literal * 4 + rank;
}

static uint32_t glob_specificity(const char *norm, uint8_t kind)
{
	uint32_t s = pattern_specificity(kind, pattern_literal_count(norm));

	if (kind == POLICY_PAT_GLOB && !strstr(norm, "**"))
		s++;		/* glob without **: rank 2 */
	return s;
}

int pattern_parse_path(const char *in, char *out, size_t outlen, uint8_t *kind,
		       uint32_t *spec, char *err, size_t errlen)
{
	size_t inlen = strlen(in), o = 0, i = 0;
	int wild = 0, dstar_only_last = 0, trailing = 0;

	if (!inlen || in[0] != '/') {
		snprintf(err, errlen, "expected an absolute path starting with '/'");
		return -1;
	}
	for (size_t k = 0; k < inlen; k++) {
		unsigned char ch = (unsigned char)in[k];

		if (bad_char(ch)) {
			snprintf(err, errlen, "expected a path without control characters");
			return -1;
		}
		if (strchr("?[]{}\\", ch)) {
			snprintf(err, errlen,
				 "unsupported glob syntax '%c': only '*' and '**' are patterns "
				 "(and the character cannot be matched literally)", ch);
			return -1;
		}
	}
	trailing = inlen > 1 && in[inlen - 1] == '/';

	/* component by component */
	while (i < inlen) {
		size_t s, clen;
		int stars = 0, only_stars = 1;

		while (i < inlen && in[i] == '/')
			i++;
		if (i >= inlen)
			break;
		s = i;
		while (i < inlen && in[i] != '/')
			i++;
		clen = i - s;
		for (size_t k = s; k < i; k++) {
			if (in[k] == '*')
				stars++;
			else
				only_stars = 0;
		}
		if ((clen == 1 && in[s] == '.') || (clen == 2 && in[s] == '.' && in[s + 1] == '.')) {
			snprintf(err, errlen,
				 "expected a path without '.' or '..' components: the kernel "
				 "matches resolved paths, so this could never match");
			return -1;
		}
		if (clen > POLICY_NAME_COMPONENT) {
			snprintf(err, errlen,
				 "path component longer than %u bytes can never match",
				 POLICY_NAME_COMPONENT);
			return -1;
		}
		for (size_t k = s; k + 1 < i; k++) {
			if (in[k] == '*' && in[k + 1] == '*' && !(only_stars && clen == 2)) {
				snprintf(err, errlen,
					 "malformed glob: '**' must be a whole path component "
					 "(like /a/**/b), '*' matches within one");
				return -1;
			}
		}
		if (o + 1 + clen >= outlen) {
			snprintf(err, errlen, "path pattern longer than %zu bytes", outlen - 1);
			return -1;
		}
		out[o++] = '/';
		memcpy(out + o, in + s, clen);
		o += clen;
		wild += only_stars && clen == 2 ? 1 : stars;
		dstar_only_last = only_stars && clen == 2;
	}
	if (wild > POLICY_MAX_WILDCARDS) {
		snprintf(err, errlen, "too many wildcards: %d, at most %d", wild,
			 POLICY_MAX_WILDCARDS);
		return -1;
	}
	out[o] = 0;
	if (o == 0) {			/* "/" or "//": everything */
		strcpy(out, "/");
		*kind = POLICY_PAT_PREFIX;
		*spec = glob_specificity(out, *kind);
		return 0;
	}
	if (dstar_only_last && wild == 1) {
		/* "/etc/ **" == "/etc/": keep "/etc/" */
		o -= 2;
		out[o] = 0;
		*kind = POLICY_PAT_PREFIX;
	} else if (trailing) {
		if (wild) {
			if (!dstar_only_last) {
				if (o + 3 >= outlen) {
					snprintf(err, errlen, "path pattern longer than %zu bytes",
						 outlen - 1);
					return -1;
				}
				memcpy(out + o, "/**", 4);
				o += 3;
			}
			*kind = POLICY_PAT_GLOB;
		} else {
			if (o + 1 >= outlen) {
				snprintf(err, errlen, "path pattern longer than %zu bytes", outlen - 1);
				return -1;
			}
			out[o++] = '/';
			out[o] = 0;
			*kind = POLICY_PAT_PREFIX;
		}
	} else {
		*kind = wild ? POLICY_PAT_GLOB : POLICY_PAT_EXACT;
	}
	*spec = glob_specificity(out, *kind);
	return 0;
}

int pattern_parse_name(const char *in, int field, char *out, size_t outlen, char *err,
		       size_t errlen)
{
	static const char *const what[] = {
		[POLICY_SEL_NAMESPACE] = "a Kubernetes namespace name (lowercase letters, digits, '-', at most 63)",
		[POLICY_SEL_POD] = "a Kubernetes pod name (lowercase letters, digits, '-', '.', at most 253)",
		[POLICY_SEL_CONTAINER] = "a Kubernetes container name (lowercase letters, digits, '-', at most 63)",
	};
	size_t len = strlen(in), o = 0, lit = 0, maxlen = field == POLICY_SEL_POD ? 253 : 63;
	int wild = 0;

	if (!len) {
		snprintf(err, errlen, "expected a name or glob, got an empty string");
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch == '*') {
			if (o && out[o - 1] == '*')
				continue;	/* "**" == "*" in names */
			wild++;
		} else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
			     (ch == '.' && field == POLICY_SEL_POD))) {
			if (bad_char(ch) || ch >= 0x80)
				snprintf(err, errlen, "can never match %s: byte 0x%02x is not allowed",
					 what[field], ch);
			else
				snprintf(err, errlen, "can never match %s: '%c' is not allowed",
					 what[field], ch);
			return -1;
		} else {
			lit++;
		}
		if (o + 1 >= outlen) {
			snprintf(err, errlen, "pattern longer than %zu bytes", outlen - 1);
			return -1;
		}
		out[o++] = (char)ch;
	}
	out[o] = 0;
	if (lit > maxlen) {
		snprintf(err, errlen, "can never match %s: longer than %zu characters",
			 what[field], maxlen);
		return -1;
	}
	if (wild > POLICY_MAX_WILDCARDS) {
		snprintf(err, errlen, "too many wildcards: %d, at most %d", wild,
			 POLICY_MAX_WILDCARDS);
		return -1;
	}
	return 0;
}

/*
 * NFA simulation: O(len(pattern) * len(s)), no backtracking blow-up.
 * path_mode: '*' stops at '/', "**" components as described above.
 * name mode: '*' matches anything.
 */
static void closure(const int16_t *tok, int n, uint8_t *act, int path_mode)
{
	/* epsilon moves only go forward: one pass suffices */
	for (int i = 0; i < n; i++) {
		if (!act[i])
			continue;
		if (tok[i] == T_STAR || tok[i] == T_DSTAR)
			act[i + 1] = 1;
		if (path_mode && tok[i] == T_DSTAR && i > 0 && tok[i - 1] == '/' &&
		    i + 1 < n && tok[i + 1] == '/')
			act[i + 2] = 1;		/* "/ ** /" matches "/" */
		if (path_mode && tok[i] == '/' && i + 2 == n && tok[i + 1] == T_DSTAR)
			act[n] = 1;		/* trailing "/ **" matches the dir itself */
	}
}

int policy_glob_match(const char *pattern, const char *s, int path_mode)
{
	int16_t tok[TOK_MAX + 1] = { 0 };
	uint8_t a[TOK_MAX + 1], b[TOK_MAX + 1];
	uint8_t *cur = a, *nxt = b;
	int n = 0;

	for (const char *p = pattern; *p; p++) {
		if (n >= TOK_MAX)
			return 0;
		if (*p == '*') {
			if (path_mode && p[1] == '*') {
				tok[n++] = T_DSTAR;
				p++;
			} else if (!path_mode && n && tok[n - 1] == T_STAR) {
				continue;
			} else {
				tok[n++] = T_STAR;
			}
		} else {
			tok[n++] = (unsigned char)*p;
		}
	}
	memset(cur, 0, (size_t)n + 1);
	cur[0] = 1;
	closure(tok, n, cur, path_mode);
	for (const char *q = s; *q; q++) {
		unsigned char ch = (unsigned char)*q;
		int any = 0;

		memset(nxt, 0, (size_t)n + 1);
		for (int i = 0; i < n; i++) {
			if (!cur[i])
				continue;
			if (tok[i] == T_DSTAR || (tok[i] == T_STAR && (!path_mode || ch != '/')))
				nxt[i] = any = 1;
			else if (tok[i] == ch)
				nxt[i + 1] = any = 1;
		}
		if (!any)
			return 0;
		closure(tok, n, nxt, path_mode);
		uint8_t *t = cur;
		cur = nxt;
		nxt = t;
	}
	return cur[n];
}

int policy_path_match(const struct policy_path_rule *r, const char *path)
{
	size_t l;

	switch (r->kind) {
	case POLICY_PAT_EXACT:
		return !strcmp(r->pattern, path);
	case POLICY_PAT_PREFIX:
		l = r->pattern_len;	/* "/etc/": "/etc" and "/etc/..." */
		if (l == 1)
			return path[0] == '/';
		if (strncmp(r->pattern, path, l - 1))
			return 0;
		return path[l - 1] == 0 || path[l - 1] == '/';
	default:
		return policy_glob_match(r->pattern, path, 1);
	}
}
