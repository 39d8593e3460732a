// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json_writer.h"
#include "lib/utf8.h"


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

#ifdef __SSE2__
/* Bit i set: byte i of the 16 at p is not plain. A byte below 0x20 as a
 * signed byte is a control character or not ASCII; then DEL, '"', '\\'. */
static inline unsigned not_plain16(const unsigned char *p, __m128i *out)
{
	__m128i x = _mm_loadu_si128((const __m128i *)p);
	__m128i bad = _mm_or_si128(
		_mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)), _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f))),
		_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));

	*out = x;
	return (unsigned)_mm_movemask_epi8(bad);
}
#endif

/*
 * The length of the plain run at the start of p[0..n), copied to d (bytes
 * after the run may be written too: the caller writes over them). Blocks of
 * 16 (or 8) bytes, the last one overlapping the one before rather than a
 * loop over the rest.
 */
static inline size_t plain_run(char *d, const unsigned char *p, size_t n)
{
	size_t i = 0;
	uint64_t x;

#ifdef __SSE2__
	if (n >= 16) {
		__m128i v;
		unsigned m;

		for (; i + 16 <= n; i += 16) {
			m = not_plain16(p + i, &v);
			_mm_storeu_si128((__m128i *)(d + i), v);
			if (m)
				return i + (size_t)__builtin_ctz(m);
		}
		if (i == n)
			return n;
		i = n - 16;	/* bytes before n - 16 + (16 - (n % 16)) were plain */
		m = not_plain16(p + i, &v);
		_mm_storeu_si128((__m128i *)(d + i), v);
		return m ? i + (size_t)__builtin_ctz(m) : n;
	}
#endif
	if (n >= 8) {
		for (; i + 8 <= n; i += 8) {
			memcpy(&x, p + i, 8);
			if (!all_plain8(x))
				goto bytes;
			memcpy(d + i, &x, 8);
		}
		if (i == n)
			return n;
		memcpy(&x, p + n - 8, 8);
		if (all_plain8(x)) {
			memcpy(d + n - 8, &x, 8);
			return n;
		}
	}
bytes:
	for (; i < n && plain[p[i]]; i++)
		d[i] = (char)p[i];
	return i;
}

/* A quoted string: the plain bytes at its start (usually all) copied at once. */
void json_raw_str(struct json_writer *w, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	if (!json_reserve_(w, n + 2))
		return;
	w->buf[w->len] = '"';
	i = plain_run(w->buf + w->len + 1, p, n);
	if (i == n) {		/* all plain: the room reserved holds the closing quote */
		w->buf[w->len + 1 + n] = '"';
		w->len += n + 2;
		w->buf[w->len] = '\0';
		return;
	}
	w->len += 1 + i;
	escaped(w, p + i, n - i);
	putc_(w, '"');
}

void json_strn(struct json_writer *w, const char *s, size_t n)
{
	json_sep_(w);
	json_raw_str(w, s, n);
}

/* "00" .. "99": two digits per division. */
const char json_digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

const uint64_t json_pow10[20] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull, 100000000ull,
	1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull, 10000000000000ull,
	100000000000000ull, 1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
	1000000000000000000ull, 10000000000000000000ull,
};

#define u64_len json_u64_len_
#define put_digits json_put_digits_

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
