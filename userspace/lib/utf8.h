/* SPDX-License-Identifier: GPL-2.0 */
/* UTF-8 validation for the outputs: strings from processes are hostile. */
#ifndef BULKHEAD_UTF8_H
#define BULKHEAD_UTF8_H

#include <stddef.h>

/*
 * Length of the valid UTF-8 sequence at s (n > 0 bytes available), or 0 if
 * the bytes there are not valid UTF-8 (overlong forms, surrogates and values
 * past U+10FFFF are invalid).
 */
size_t utf8_seq_len(const unsigned char *s, size_t n);

#endif
