// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"
#include "utf8.h"

void json_init(struct json_writer *w, FILE *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->first[0] = true;
}

void json_reset(struct json_writer *w)
{
	w->len = 0;
	w->depth = 0;
	w->first[0] = true;
	w->after_key = false;
	w->oom = false;
}

void json_free(struct json_writer *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

static __attribute__((noinline)) bool grow(struct json_writer *w, size_t n)
{
	size_t cap;
	char *nb;

	cap = w->cap ? w->cap : 1024;
	while (cap < w->len + n + 1)
		cap *= 2;
	nb = realloc(w->buf, cap);
	if (!nb) {
		w->oom = true;
		return false;
	}
	w->buf = nb;
	w->cap = cap;
	return true;
}

static inline bool reserve(struct json_writer *w, size_t n)
{
	return w->len + n + 1 <= w->cap || grow(w, n);
}

static inline __attribute__((always_inline)) void put(struct json_writer *w, const char *s, size_t n)
{
	if (!reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void putc_(struct json_writer *w, char c)
{
	put(w, &c, 1);
}

/* Separator before a value or key at the current depth. */
static void sep(struct json_writer *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		putc_(w, ',');
	w->first[w->depth] = false;
}

static void open_(struct json_writer *w, char c)
{
	sep(w);
	putc_(w, c);
	if (w->depth < JSON_MAX_DEPTH - 1)
		w->depth++;
	w->first[w->depth] = true;
}

static void close_(struct json_writer *w, char c)
{
	if (w->depth > 0)
		w->depth--;
	putc_(w, c);
}

void json_begin_object(struct json_writer *w) { open_(w, '{'); }
void json_end_object(struct json_writer *w) { close_(w, '}'); }
void json_begin_array(struct json_writer *w) { open_(w, '['); }
void json_end_array(struct json_writer *w) { close_(w, ']'); }

/* Bytes that can be copied as they are: printable ASCII but '"' and '\\'. */
static inline bool plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static void escaped(struct json_writer *w, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[8];

	if (!reserve(w, n + 2))
		return;
	w->buf[w->len++] = '"';
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t l, run;

		/* The common case: a run of plain bytes, copied at once. */
		for (run = 0; i + run < n && plain(p[i + run]); run++)
			;
		if (run) {
			put(w, s + i, run);
			i += run;
			continue;
		}
		if (c == '"' || c == '\\') {
			esc[0] = '\\'; esc[1] = c;
			put(w, esc, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			const char *named = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;

			if (named)
				put(w, named, 2);
			else {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				put(w, esc, 6);
			}
			i++;
		} else if ((l = utf8_seq_len(p + i, n - i))) {
			put(w, s + i, l);
			i += l;
		} else {
			put(w, "\xef\xbf\xbd", 3);	/* U+FFFD */
			i++;
		}
	}
	putc_(w, '"');
}

void json_key(struct json_writer *w, const char *key)
{
	sep(w);
	escaped(w, key, strlen(key));
	putc_(w, ':');
	w->after_key = true;
}

void json_strn(struct json_writer *w, const char *s, size_t n)
{
	sep(w);
	escaped(w, s, n);
}

void json_str(struct json_writer *w, const char *s)
{
	if (!s) {
		json_null(w);
		return;
	}
	json_strn(w, s, strlen(s));
}

static size_t u64_digits(char *b, uint64_t v)
{
	char t[24];
	size_t n = 0, i;

	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	for (i = 0; i < n; i++)
		b[i] = t[n - 1 - i];
	return n;
}

void json_u64(struct json_writer *w, uint64_t v)
{
	char b[24];

	sep(w);
	put(w, b, u64_digits(b, v));
}

void json_i64(struct json_writer *w, int64_t v)
{
	char b[24];

	sep(w);
	if (v < 0) {
		b[0] = '-';
		put(w, b, 1 + u64_digits(b + 1, (uint64_t)0 - (uint64_t)v));
	} else {
		put(w, b, u64_digits(b, (uint64_t)v));
	}
}

void json_bool(struct json_writer *w, bool v)
{
	sep(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void json_null(struct json_writer *w)
{
	sep(w);
	put(w, "null", 4);
}

void json_kv_str(struct json_writer *w, const char *k, const char *v) { json_key(w, k); json_str(w, v); }
void json_kv_u64(struct json_writer *w, const char *k, uint64_t v) { json_key(w, k); json_u64(w, v); }
void json_kv_i64(struct json_writer *w, const char *k, int64_t v) { json_key(w, k); json_i64(w, v); }
void json_kv_bool(struct json_writer *w, const char *k, bool v) { json_key(w, k); json_bool(w, v); }

int json_end_line(struct json_writer *w)
{
	int ret = 0;

	putc_(w, '\n');
	if (w->oom)
		ret = -1;
	else if (w->out && fwrite(w->buf, 1, w->len, w->out) != w->len)
		ret = -1;
	json_reset(w);
	return ret;
}
