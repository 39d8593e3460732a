// SPDX-License-Identifier: GPL-2.0
/* SHA-256, FIPS 180-4. See sha256.h. */
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#include "policy/sha256.h"

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = s->h[0]; b = s->h[1]; c = s->h[2]; d = s->h[3];
	e = s->h[4]; f = s->h[5]; g = s->h[6]; h = s->h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
		uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));

		h = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d;
	s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

#if defined(__x86_64__)
/*
 * The same compression with the x86 SHA extensions (SHA-NI: about eight times
 * the speed of block() above; a policy set's files are hashed at every
 * reload), for n whole blocks. State words are kept as the instructions want
 * them: ABEF and CDGH.
 */
__attribute__((target("sha,sse4.1")))
static void blocks_ni(struct sha256 *s, const uint8_t *p, size_t n)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bll, 0x0405060700010203ll);
	__m128i st0, st1, tmp, msg, w[16];

	tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&s->h[0]), 0xb1);	/* CDAB */
	st1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&s->h[4]), 0x1b);	/* EFGH */
	st0 = _mm_alignr_epi8(tmp, st1, 8);						/* ABEF */
	st1 = _mm_blend_epi16(st1, tmp, 0xf0);						/* CDGH */
	for (; n; n--, p += 64) {
		__m128i abef = st0, cdgh = st1;

		for (int i = 0; i < 16; i++) {
			if (i < 4) {
				w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), bswap);
			} else {
				/* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at a time */
				w[i] = _mm_add_epi32(_mm_sha256msg1_epu32(w[i - 4], w[i - 3]),
						     _mm_alignr_epi8(w[i - 1], w[i - 2], 4));
				w[i] = _mm_sha256msg2_epu32(w[i], w[i - 1]);
			}
			msg = _mm_add_epi32(w[i], _mm_loadu_si128((const __m128i *)&K[4 * i]));
			st1 = _mm_sha256rnds2_epu32(st1, st0, msg);
			st0 = _mm_sha256rnds2_epu32(st0, st1, _mm_shuffle_epi32(msg, 0x0e));
		}
		st0 = _mm_add_epi32(st0, abef);
		st1 = _mm_add_epi32(st1, cdgh);
	}
	tmp = _mm_shuffle_epi32(st0, 0x1b);		/* FEBA */
	st1 = _mm_shuffle_epi32(st1, 0xb1);		/* DCHG */
	_mm_storeu_si128((__m128i *)&s->h[0], _mm_blend_epi16(tmp, st1, 0xf0));	/* DCBA */
	_mm_storeu_si128((__m128i *)&s->h[4], _mm_alignr_epi8(st1, tmp, 8));	/* HGFE */
}

static int have_ni(void)
{
	static int have = -1;	/* two parse threads may ask at once: the same answer */
	int h = __atomic_load_n(&have, __ATOMIC_RELAXED);

	if (h < 0) {
		unsigned a, b, c, d;

		/* CPUID: leaf 7 EBX bit 29 SHA, leaf 1 ECX bit 19 SSE4.1 */
		h = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b >> 29 & 1) &&
		    __get_cpuid(1, &a, &b, &c, &d) && (c >> 19 & 1);
		__atomic_store_n(&have, h, __ATOMIC_RELAXED);
	}
	return h;
}
#endif

int sha256_portable;

/* n whole blocks from p. */
static void blocks(struct sha256 *s, const uint8_t *p, size_t n)
{
#if defined(__x86_64__)
	if (have_ni() && !sha256_portable) {
		blocks_ni(s, p, n);
		return;
	}
#endif
	for (; n; n--, p += 64)
		block(s, p);
}

void sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
	s->nbuf = 0;
}

void sha256_update(struct sha256 *s, const void *data, size_t n)
{
	const uint8_t *p = data;

	s->len += n;
	while (n) {
		size_t k = 64 - s->nbuf;

		if (k > n)
			k = n;
		if (!s->nbuf && n >= 64) {	/* whole blocks straight from the input */
			blocks(s, p, n / 64);
			p += n / 64 * 64;
			n %= 64;
			continue;
		}
		memcpy(s->buf + s->nbuf, p, k);
		s->nbuf += k;
		p += k;
		n -= k;
		if (s->nbuf == 64) {
			blocks(s, s->buf, 1);
			s->nbuf = 0;
		}
	}
}

void sha256_final(struct sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->len * 8;
	uint8_t pad[72] = { 0x80 };
	size_t np = (s->nbuf < 56 ? 56 : 120) - s->nbuf;

	for (int i = 0; i < 8; i++)
		pad[np + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(s, pad, np + 8);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
}

void sha256_hex(const uint8_t d[32], char out[65])
{
	static const char hx[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[64] = '\0';
}
