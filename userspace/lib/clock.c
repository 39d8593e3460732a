// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/json_writer.h"	/* json_digit_pairs */

static int64_t boot_to_real;	/* realtime - boottime, ns */
static int synced;

static uint64_t ns_of(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void clock_sync(void)
{
	uint64_t b1 = ns_of(CLOCK_BOOTTIME);
	uint64_t r = ns_of(CLOCK_REALTIME);
	uint64_t b2 = ns_of(CLOCK_BOOTTIME);

	boot_to_real = (int64_t)r - (int64_t)(b1 + (b2 - b1) / 2);
	synced = 1;
}

uint64_t clock_boot_to_real_ns(uint64_t boot_ns)
{
	if (!synced)
		clock_sync();
	return (uint64_t)((int64_t)boot_ns + boot_to_real);
}

uint64_t clock_real_now_ns(void)
{
	return ns_of(CLOCK_REALTIME);
}

void clock_format_rfc3339(uint64_t real_ns, char *buf, size_t len)
{
	/* Once per second and thread the calendar part ("YYYY-MM-DDThh:mm:ss."),
	 * then only the fraction: no 64-bit division while in the same second. */
	static __thread uint64_t cached_base;	/* the second's first ns */
	static __thread bool cached_ok;
	static __thread char cached[80];
	uint64_t off = real_ns - cached_base;
	uint32_t frac, hi, lo;

	if (len < 31) {
		if (len)
			buf[0] = '\0';
		return;
	}
	if (off >= 1000000000ull || !cached_ok) {
		time_t secs = (time_t)(real_ns / 1000000000ull);
		struct tm tm;

		gmtime_r(&secs, &tm);
		snprintf(cached, sizeof(cached), "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		cached_base = (uint64_t)secs * 1000000000ull;
		cached_ok = true;
		off = real_ns - cached_base;
	}
	memcpy(buf, cached, 20);
	frac = (uint32_t)off;
	hi = frac / 10000;		/* five digits */
	lo = frac % 10000;		/* four */
	buf[20] = (char)('0' + hi / 10000);
	hi %= 10000;
	memcpy(buf + 21, json_digit_pairs + 2 * (hi / 100), 2);
	memcpy(buf + 23, json_digit_pairs + 2 * (hi % 100), 2);
	memcpy(buf + 25, json_digit_pairs + 2 * (lo / 100), 2);
	memcpy(buf + 27, json_digit_pairs + 2 * (lo % 100), 2);
	buf[29] = 'Z';
	buf[30] = '\0';
}
