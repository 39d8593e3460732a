/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal selftest-style harness for unit tests: named subtests, ASSERT_*
 * macros that say what was expected, and a closing "N passed, N failed" line.
 *
 *	static void test_foo(void) { ASSERT_EQ(foo(1), 2, "foo(1)"); }
 *	int main(void) { RUN(test_foo); return test_summary(); }
 */
#ifndef BULKHEAD_TEST_H
#define BULKHEAD_TEST_H

#include <stdio.h>
#include <string.h>
#include <inttypes.h>

static int test_failed_now;	/* current subtest failed */
static int tests_passed, tests_failed;

#define TEST_FAIL(fmt, ...) do {					\
	fprintf(stderr, "    %s:%d: " fmt "\n", __FILE__, __LINE__,	\
		##__VA_ARGS__);						\
	test_failed_now = 1;						\
} while (0)

#define ASSERT_TRUE(cond, what) do {					\
	if (!(cond)) { TEST_FAIL("%s: expected true: %s", what, #cond); return; } \
} while (0)

#define ASSERT_EQ(a, b, what) do {					\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b) {							\
		TEST_FAIL("%s: expected %lld, got %lld", what, _b, _a);	\
		return;							\
	}								\
} while (0)

#define ASSERT_STREQ(a, b, what) do {					\
	const char *_a = (a), *_b = (b);				\
	if (!_a || !_b || strcmp(_a, _b)) {				\
		TEST_FAIL("%s: expected \"%s\", got \"%s\"", what,	\
			  _b ? _b : "(null)", _a ? _a : "(null)");	\
		return;							\
	}								\
} while (0)

#define ASSERT_CONTAINS(hay, needle, what) do {				\
	const char *_h = (hay), *_n = (needle);				\
	if (!_h || !strstr(_h, _n)) {					\
		TEST_FAIL("%s: expected to contain \"%s\", got \"%s\"",	\
			  what, _n, _h ? _h : "(null)");		\
		return;							\
	}								\
} while (0)

#define RUN(fn) do {							\
	test_failed_now = 0;						\
	fn();								\
	if (test_failed_now) { tests_failed++; printf("FAIL %s\n", #fn); } \
	else { tests_passed++; printf("PASS %s\n", #fn); }		\
} while (0)

static inline int test_summary(void)
{
	printf("%d passed, %d failed\n", tests_passed, tests_failed);
	return tests_failed ? 1 : 0;
}

#endif
