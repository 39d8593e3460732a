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

void json_next_document(struct json_writer *w)
{
	w->depth = 0;
	w->first[0] = true;
	w->after_key = false;
}

void json_reset(struct json_writer *w)
{
	w->len = 0;
	w->oom = false;
	w->full = false;
	json_next_document(w);
	if (w->buf)
		w->buf[0] = '\0';
}

void json_free(struct json_writer *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

bool json_grow_(struct json_writer *w, size_t n)
{
	size_t need = w->len + n + 1, cap = w->cap ? w->cap : 1024;
	char *nb;

	if (w->max && need > w->max) {
		w->oom = w->full = true;
		return false;
	}
	while (cap < need)
		cap *= 2;
	if (w->max && cap > w->max)
		cap = w->max;
	nb = realloc(w->buf, cap);
	if (!nb) {
		w->oom = true;
		return false;
	}
	w->buf = nb;
	w->cap = cap;
	return true;
}

static inline void putc_(struct json_writer *w, char c)
{
	if (!json_reserve_(w, 1))
		return;
	w->buf[w->len++] = c;
	w->buf[w->len] = '\0';
}

static void open_(struct json_writer *w, char c)
{
	json_sep_(w);
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
static const bool plain[256] = {
	[0x20 ... 0x21] = true,		/* '"' is 0x22 */
	[0x23 ... 0x5b] = true,		/* '\\' is 0x5c */
	[0x5d ... 0x7e] = true,
};

/* The rest of a string from its first byte that is not plain: escapes, UTF-8 checks. */
static void escaped(struct json_writer *w, const unsigned char *p, size_t n)
{
	char esc[8];

	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t l, run;

		for (run = 0; i + run < n && plain[p[i + run]]; run++)
			;
		if (run) {
			json_raw(w, (const char *)p + i, run);
			i += run;
			continue;
		}
		if (c == '"' || c == '\\') {
			esc[0] = '\\'; esc[1] = (char)c;
			json_raw(w, esc, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			const char *named = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;

			if (named)
				json_raw(w, named, 2);
			else {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				json_raw(w, esc, 6);
			}
			i++;
		} else if ((l = utf8_seq_len(p + i, n - i))) {
			json_raw(w, (const char *)p + i, l);
			i += l;
		} else {
			json_raw(w, "\xef\xbf\xbd", 3);	/* U+FFFD */
			i++;
		}
	}
}

/*
 * Eight bytes at once (x, as loaded): are they all plain? The usual bit
 * tricks, each exact for "is there such a byte": one below 0x20, one above
 * 0x7e (DEL and every non-ASCII byte), one equal to '"' or to '\\'.
 */
#define BYTES(c) (0x0101010101010101ull * (c))
static inline bool has_zero(uint64_t v) { return (v - BYTES(1)) & ~v & BYTES(0x80); }
static inline bool all_plain8(uint64_t x)
{
	uint64_t below = (x - BYTES(0x20)) & ~x & BYTES(0x80);
	uint64_t above = ((x + BYTES(1)) | x) & BYTES(0x80);

	return !below && !above && !has_zero(x ^ BYTES('"')) && !has_zero(x ^ BYTES('\\'));
}

/* A quoted string: the plain bytes at its start (usually all) copied in one pass. */
void json_raw_str(struct json_writer *w, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	char *d;
	size_t i;
	uint64_t x;

	if (!json_reserve_(w, n + 2))
		return;
	d = w->buf + w->len;
	*d++ = '"';
	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&x, p + i, 8);
		if (!all_plain8(x))
			break;
		memcpy(d + i, &x, 8);
	}
	for (; i < n && plain[p[i]]; i++)
		d[i] = (char)p[i];
	w->len += 1 + i;
	if (i < n)
		escaped(w, p + i, n - i);
	putc_(w, '"');
}

void json_strn(struct json_writer *w, const char *s, size_t n)
{
	json_sep_(w);
	json_raw_str(w, s, n);
}

/* "00" .. "99": two digits per division. */
static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static size_t u64_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 10000) {
		v /= 10000;
		n += 4;
	}
	return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

/* The n decimal digits of v, written straight into the buffer (no copy through the stack). */
static void put_digits(char *d, size_t n, uint64_t v)
{
	char *p = d + n;

	while (v >= 100) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(p - 2, digit_pairs + 2 * v, 2);
	else
		p[-1] = (char)('0' + v);
}

char *json_put_u64(char *c, uint64_t v)
{
	size_t n = u64_len(v);

	put_digits(c, n, v);
	return c + n;
}

char *json_put_i64(char *c, int64_t v)
{
	if (v < 0) {
		*c++ = '-';
		return json_put_u64(c, (uint64_t)0 - (uint64_t)v);
	}
	return json_put_u64(c, (uint64_t)v);
}

void json_raw_u64(struct json_writer *w, uint64_t v)
{
	size_t n = u64_len(v);

	if (!json_reserve_(w, n))
		return;
	put_digits(w->buf + w->len, n, v);
	w->len += n;
	w->buf[w->len] = '\0';
}

void json_raw_i64(struct json_writer *w, int64_t v)
{
	uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	size_t n = u64_len(m) + (v < 0);

	if (!json_reserve_(w, n))
		return;
	if (v < 0)
		w->buf[w->len] = '-';
	put_digits(w->buf + w->len + (v < 0), n - (v < 0), m);
	w->len += n;
	w->buf[w->len] = '\0';
}

void json_u64(struct json_writer *w, uint64_t v)
{
	json_sep_(w);
	json_raw_u64(w, v);
}

void json_i64(struct json_writer *w, int64_t v)
{
	json_sep_(w);
	json_raw_i64(w, v);
}

void json_bool(struct json_writer *w, bool v)
{
	json_sep_(w);
	json_raw(w, v ? "true" : "false", v ? 4 : 5);
}

void json_null(struct json_writer *w)
{
	json_sep_(w);
	json_raw(w, "null", 4);
}

void json_member_raw(struct json_writer *w, const char *member, size_t n)
{
	json_sep_(w);
	json_raw(w, member, n);
}

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
