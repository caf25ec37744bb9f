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
 *
 *	Fixtures shared by the tests: pt_tempname() turns a mkstemp()
 *	template into a unique path that does not exist yet (0, or -1);
 *	pt_rmtree() removes a directory tree a test made; pt_slurp() reads
 *	a small file into buf, NUL-terminated, and returns buf (NULL when
 *	it cannot be opened; buf is then empty); pt_write() creates (or
 *	replaces) dir/name with text and returns its path, in a static
 *	buffer (the test aborts when it cannot).
 */
#ifndef PTEST_H
#define PTEST_H

#include <sys/stat.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
static inline int
pt_tempname(char *tmpl)
{
	int	fd = mkstemp(tmpl);

	if (fd < 0)
		return -1;
	close(fd);
	return unlink(tmpl);
}

static inline int
pt_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void
pt_rmtree(const char *dir)
{
	(void)nftw(dir, pt_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline char *
pt_slurp(const char *path, char *buf, size_t size)
{
	FILE	*fp;
	size_t	 n;

	buf[0] = 0;
	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	n = fread(buf, 1, size - 1, fp);
	buf[n] = 0;
	fclose(fp);
	return buf;
}

static inline const char *
pt_write(const char *dir, const char *name, const char *text)
{
	static char path[512];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs(text, fp);
	if (fclose(fp) != 0)
		abort();
	return path;
}

#define PT_DONE() (printf("%d passed, %d failed\n", pt_pass, pt_fail), pt_fail ? 1 : 0)

#endif
