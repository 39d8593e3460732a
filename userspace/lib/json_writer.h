/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small streaming JSON writer into a growable buffer. Strings are escaped
 * and checked for UTF-8: bytes that are not valid UTF-8 (process arguments
 * are attacker-controlled) become U+FFFD, so every line is valid JSON.
 *
 * It is on the path of every event, so the common steps are inline here:
 * a separator, a key, a run of plain bytes copied at once; the rare ones
 * (growing the buffer, escaping) are in json_writer.c. The buffer is always
 * NUL-terminated after a call.
 */
#ifndef BULKHEAD_JSON_WRITER_H
#define BULKHEAD_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define JSON_MAX_DEPTH 16

struct json_writer {
	FILE *out;		/* json_end_line writes here, if set */
	char *buf;
	size_t len, cap;
	size_t max;		/* the buffer never grows past this (0: no bound) */
	int depth;
	bool first[JSON_MAX_DEPTH];
	bool after_key;
	bool oom;		/* a write failed to grow the buffer */
	bool full;		/* ... because it would have passed max */
};

void json_init(struct json_writer *w, FILE *out);
/* Empty the buffer for a new document. */
void json_reset(struct json_writer *w);
/* A new document after the bytes already in the buffer (JSON lines, one buffer). */
void json_next_document(struct json_writer *w);
void json_free(struct json_writer *w);

void json_begin_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w);
void json_end_array(struct json_writer *w);
void json_strn(struct json_writer *w, const char *s, size_t n);
void json_u64(struct json_writer *w, uint64_t v);
void json_i64(struct json_writer *w, int64_t v);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);
/* A complete member ("key":value), already valid JSON, e.g. one cached by the caller. */
void json_member_raw(struct json_writer *w, const char *member, size_t n);

/*
 * Raw output, for a caller that writes a whole document of known shape itself
 * (event_json.c: the constant text between values is copied in one go): no
 * separators are added and the nesting is not tracked. Start the document with
 * json_reset() or json_next_document(), then write only raw calls.
 */
#define JSON_RAW(w, lit) json_raw((w), (lit), sizeof(lit) - 1)
void json_raw_str(struct json_writer *w, const char *s, size_t n);	/* quoted, escaped */
void json_raw_u64(struct json_writer *w, uint64_t v);
void json_raw_i64(struct json_writer *w, int64_t v);

/*
 * A cursor for a stretch of raw output of known maximum size: one check for
 * room, then plain stores (the writer's fields are not reloaded after every
 * byte, as they are through w). json_cursor() returns NULL when the buffer
 * cannot grow; json_cursor_end() takes the cursor back.
 */
#define JSON_U64_MAX 20		/* digits of the largest uint64_t */
#define JSON_LIT(c, lit) ((char *)memcpy((c), (lit), sizeof(lit) - 1) + sizeof(lit) - 1)
static inline char *json_put_u64(char *c, uint64_t v);
static inline char *json_put_i64(char *c, int64_t v);	/* JSON_U64_MAX + 1 */


/* Append '\n', write the line to w->out (if set), reset. Returns 0 or -1. */
int json_end_line(struct json_writer *w);

/* ---- the inline common path -------------------------------------------- */

/*
 * A short string at the cursor: s is 16 readable bytes holding a string that
 * ends at its first NUL or after 16 bytes (a task's comm). Written quoted at
 * c (room: JSON_STR16_MAX) if it needs no escaping, returning the cursor past
 * it; NULL if it does (the caller then uses json_raw_str()).
 */
#define JSON_STR16_MAX 18
#ifdef __SSE2__
#include <emmintrin.h>
static inline char *json_put_str16(char *c, const char *s)
{
	__m128i x = _mm_loadu_si128((const __m128i *)s);
	unsigned nul = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_setzero_si128())) | 0x10000u;
	unsigned n = (unsigned)__builtin_ctz(nul);
	/* Not plain: below 0x20 as a signed byte (control, not ASCII), DEL, '"', '\\'. */
	unsigned bad = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		_mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)), _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f))),
		_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')))));

	if (bad & ((1u << n) - 1))
		return NULL;
	*c = '"';
	_mm_storeu_si128((__m128i *)(c + 1), x);
	c[1 + n] = '"';
	return c + 2 + n;
}
#else
static inline char *json_put_str16(char *c, const char *s) { (void)c; (void)s; return NULL; }
#endif

extern const char json_digit_pairs[201];	/* "00" .. "99" */
extern const uint64_t json_pow10[20];

/* Decimal digits of v: floor(log10) from the bit length (1233 / 4096 is just
 * under log10(2)), then one comparison. v | 1 has as many digits as v, and 1
 * for 0. */
static inline size_t json_u64_len_(uint64_t v)
{
	unsigned t = ((64u - (unsigned)__builtin_clzll(v | 1)) * 1233u) >> 12;

	return t + ((v | 1) >= json_pow10[t]);
}

/* The n decimal digits of v at d, two per division, from the end. */
static inline void json_put_digits_(char *d, size_t n, uint64_t v)
{
	char *p = d + n;

	while (v >= 100) {
		uint64_t q = v / 100;

		p -= 2;
		memcpy(p, json_digit_pairs + 2 * (v - q * 100), 2);
		v = q;
	}
	if (v >= 10)
		memcpy(p - 2, json_digit_pairs + 2 * v, 2);
	else
		p[-1] = (char)('0' + v);
}

static inline char *json_put_u64(char *c, uint64_t v)
{
	size_t n;

	if (v < 10) {		/* ids 0, exit codes, signals */
		*c = (char)('0' + v);
		return c + 1;
	}
	n = json_u64_len_(v);

	json_put_digits_(c, n, v);
	return c + n;
}

static inline char *json_put_i64(char *c, int64_t v)
{
	if (v < 0) {
		*c++ = '-';
		return json_put_u64(c, (uint64_t)0 - (uint64_t)v);
	}
	return json_put_u64(c, (uint64_t)v);
}

bool json_grow_(struct json_writer *w, size_t n);

/* Room for n more bytes and the NUL. */
static inline bool json_reserve_(struct json_writer *w, size_t n)
{
	return w->len + n + 1 <= w->cap || json_grow_(w, n);
}

static inline char *json_cursor(struct json_writer *w, size_t max)
{
	return json_reserve_(w, max) ? w->buf + w->len : NULL;
}

static inline void json_cursor_end(struct json_writer *w, char *c)
{
	w->len = (size_t)(c - w->buf);
	*c = '\0';
}

static inline void json_raw(struct json_writer *w, const char *s, size_t n)
{
	if (!json_reserve_(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/* Separator before a value or key at the current depth. */
static inline void json_sep_(struct json_writer *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth] && json_reserve_(w, 1))
		w->buf[w->len++] = ',';
	w->first[w->depth] = false;
}

/* Keys are the program's own names: copied as they are when plain (they always are). */
static inline void json_key(struct json_writer *w, const char *key)
{
	size_t n = strlen(key);

	json_strn(w, key, n);
	if (json_reserve_(w, 1)) {
		w->buf[w->len++] = ':';
		w->buf[w->len] = '\0';
	}
	w->after_key = true;
}

static inline void json_str(struct json_writer *w, const char *s)
{
	if (!s)
		json_null(w);
	else
		json_strn(w, s, strlen(s));
}

static inline void json_kv_str(struct json_writer *w, const char *k, const char *v) { json_key(w, k); json_str(w, v); }
static inline void json_kv_u64(struct json_writer *w, const char *k, uint64_t v) { json_key(w, k); json_u64(w, v); }
static inline void json_kv_i64(struct json_writer *w, const char *k, int64_t v) { json_key(w, k); json_i64(w, v); }
static inline void json_kv_bool(struct json_writer *w, const char *k, bool v) { json_key(w, k); json_bool(w, v); }

#endif
