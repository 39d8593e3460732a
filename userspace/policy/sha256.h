/* SPDX-License-Identifier: GPL-2.0 */
/* SHA-256 (FIPS 180-4): the digest of a policy set (struct policy_set.sha256). */
#ifndef BULKHEAD_SHA256_H
#define BULKHEAD_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;		/* bytes hashed */
	uint8_t buf[64];
	size_t nbuf;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
void sha256_final(struct sha256 *s, uint8_t out[32]);
/* Set: never use the CPU's SHA instructions (tests compare both ways). */
extern int sha256_portable;
/* 64 lowercase hex digits and a NUL. */
void sha256_hex(const uint8_t d[32], char out[65]);

#endif
