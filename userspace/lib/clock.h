/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel timestamps (CLOCK_BOOTTIME) to wall-clock time and RFC 3339 text. */
#ifndef BULKHEAD_CLOCK_H
#define BULKHEAD_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Re-sample the boot->realtime offset (call about once a second). */
void clock_sync(void);
uint64_t clock_boot_to_real_ns(uint64_t boot_ns);
uint64_t clock_real_now_ns(void);
/* "2026-11-29T04:21:14.123456789Z" (CLOCK_RFC3339_LEN characters); buf needs 31 bytes. */
#define CLOCK_RFC3339_LEN 30
void clock_format_rfc3339(uint64_t real_ns, char *buf, size_t len);

#endif
