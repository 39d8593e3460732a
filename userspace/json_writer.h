/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small streaming JSON writer into a growable buffer. Strings are escaped
 * and checked for UTF-8: bytes that are not valid UTF-8 (process arguments
 * are attacker-controlled) become U+FFFD, so every line is valid JSON.
 */
#ifndef BULKHEAD_JSON_WRITER_H
#define BULKHEAD_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json_writer {
	FILE *out;		/* json_end_line writes here, if set */
	char *buf;
	size_t len, cap;
	int depth;
	bool first[JSON_MAX_DEPTH];
	bool after_key;
	bool oom;		/* a write failed to grow the buffer */
};

void json_init(struct json_writer *w, FILE *out);
void json_reset(struct json_writer *w);
void json_free(struct json_writer *w);

void json_begin_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w);
void json_end_array(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);
void json_str(struct json_writer *w, const char *s);
void json_strn(struct json_writer *w, const char *s, size_t n);
void json_u64(struct json_writer *w, uint64_t v);
void json_i64(struct json_writer *w, int64_t v);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);

void json_kv_str(struct json_writer *w, const char *k, const char *v);
void json_kv_u64(struct json_writer *w, const char *k, uint64_t v);
void json_kv_i64(struct json_writer *w, const char *k, int64_t v);
void json_kv_bool(struct json_writer *w, const char *k, bool v);

/* Append '\n', write the line to w->out (if set), reset. Returns 0 or -1. */
int json_end_line(struct json_writer *w);

#endif
