/*
 * NAME
 *	ptest - minimal unit test harness
 * SYNOPSIS
 *	#include <ptest.h>
 *
 *	PTEST(name) { ... PT_ASSERT(expr); PT_STREQ(a, b); ... }
 *	int main(void) { PT_RUN(name); ...; return PT_DONE(); }
 * DESCRIPTION
 *	Each test is a function. A failed assertion prints
 *	"FAIL test: file:line: expression" and ends that test; a test that
 *	completes prints "PASS test". PT_DONE() prints the summary line
 *	"N passed, N failed" and returns the exit status. Tests run in
 *	the order listed and must not depend on each other.
 */
#ifndef PTEST_H
#define PTEST_H

#include <stdio.h>
#include <string.h>

static int pt_pass, pt_fail, pt_cur_failed;
static const char *pt_cur;

#define PTEST(name) static void pt_##name(void)
#define PT_RUN(name) do { \
	pt_cur = #name; pt_cur_failed = 0; pt_##name(); \
	if (pt_cur_failed) pt_fail++; else { pt_pass++; printf("PASS %s\n", #name); } \
	fflush(stdout); \
} while (0)
#define PT_FAILED(fmt, ...) do { \
	printf("FAIL %s: %s:%d: " fmt "\n", pt_cur, __FILE__, __LINE__, __VA_ARGS__); \
	pt_cur_failed = 1; return; \
} while (0)
#define PT_ASSERT(e) do { if (!(e)) PT_FAILED("%s", #e); } while (0)
#define PT_STREQ(a, b) do { \
	const char *pt_a = (a), *pt_b = (b); \
	if (pt_a == NULL || pt_b == NULL || strcmp(pt_a, pt_b) != 0) \
		PT_FAILED("%s == %s: \"%s\" != \"%s\"", #a, #b, pt_a ? pt_a : "(null)", pt_b ? pt_b : "(null)"); \
} while (0)
#define PT_INTEQ(a, b) do { \
	long long pt_a = (a), pt_b = (b); \
	if (pt_a != pt_b) PT_FAILED("%s == %s: %lld != %lld", #a, #b, pt_a, pt_b); \
} while (0)
#define PT_DONE() (printf("%d passed, %d failed\n", pt_pass, pt_fail), pt_fail ? 1 : 0)

#endif
