// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"

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
	/* Once per second and thread the calendar part; then only the fraction. */
	static __thread time_t cached_secs = -1;
	static __thread char cached[80];
	time_t secs = real_ns / 1000000000ull;
	uint32_t frac = (uint32_t)(real_ns % 1000000000ull);

	if (len < 31) {
		if (len)
			buf[0] = '\0';
		return;
	}
	if (secs != cached_secs) {
		struct tm tm;

		gmtime_r(&secs, &tm);
		snprintf(cached, sizeof(cached), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		cached_secs = secs;
	}
	memcpy(buf, cached, 19);
	buf[19] = '.';
	buf[28] = (char)('0' + frac % 10);
	frac /= 10;
	for (int i = 26; i >= 20; i -= 2, frac /= 100) {	/* two digits at a time */
		buf[i] = (char)('0' + frac % 100 / 10);
		buf[i + 1] = (char)('0' + frac % 10);
	}
	buf[29] = 'Z';
	buf[30] = '\0';
}
