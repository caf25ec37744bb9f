/*
 * NAME
 *	fuzz_replay - run a harness over its seed corpus, without libFuzzer
 * SYNOPSIS
 *	fuzz_NAME_test [file-or-directory...]
 * DESCRIPTION
 *	Linked with one harness (fuzz_NAME.c) in place of libFuzzer's
 *	driver, so that `make unit` and `make unit-san` (ASan, UBSan)
 *	replay the committed corpus: a regression shows up without any
 *	fuzzing. With no argument it reads every file of corpus/NAME
 *	(relative to the current directory, tests/fuzz when run by
 *	mk/run-unit), in name order.
 *
 *	Each input's name is printed before it runs, so a crash names it;
 *	at the end one "PASS fuzz_NAME (N inputs)" line is printed.
 * DIAGNOSTICS
 *	A crash or sanitizer report ends the process; an unreadable or
 *	empty corpus prints a FAIL line and exits 1.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "mymalloc.h"
#include "vstring.h"
#include "fuzz.h"

#ifndef FUZZ_NAME
#error FUZZ_NAME must be defined
#endif

static int
fuzz_replay_file(const char *path)
{
	FILE	*fp;
	VSTRING	*buf = vstring_alloc(4096);
	char	 chunk[8192];
	size_t	 n;

	if ((fp = fopen(path, "rb")) == NULL) {
		printf("FAIL fuzz_%s: open %s\n", FUZZ_NAME, path);
		vstring_free(buf);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		vstring_memcat(buf, chunk, n);
	fclose(fp);
	printf("# %s\n", path);
	fflush(stdout);
	(void)LLVMFuzzerTestOneInput((const uint8_t *)vstring_str(buf),
	    vstring_len(buf));
	vstring_free(buf);
	return 0;
}

static int
fuzz_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file, or every regular file of a directory. */
static int
fuzz_replay_path(const char *path, int *count)
{
	struct stat st;
	DIR	*dir;
	struct dirent *de;
	ARGV	*names;
	VSTRING	*sub;
	int	 ret = 0;

	if (stat(path, &st) < 0) {
		printf("FAIL fuzz_%s: %s: not found\n", FUZZ_NAME, path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return fuzz_replay_file(path);
	}
	if ((dir = opendir(path)) == NULL)
		return -1;
	names = argv_alloc(64);
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			argv_add(names, de->d_name);
	closedir(dir);
	qsort(names->argv, names->argc, sizeof(char *), fuzz_cmp);
	sub = vstring_alloc(256);
	for (size_t i = 0; i < names->argc && ret == 0; i++) {
		vstring_sprintf(sub, "%s/%s", path, names->argv[i]);
		if (stat(vstring_str(sub), &st) == 0 && S_ISREG(st.st_mode)) {
			(*count)++;
			ret = fuzz_replay_file(vstring_str(sub));
		}
	}
	vstring_free(sub);
	argv_free(names);
	return ret;
}

int
main(int argc, char **argv)
{
	int	 count = 0, ret = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2)
		ret = fuzz_replay_path("corpus/" FUZZ_NAME, &count);
	for (int i = 1; i < argc && ret == 0; i++)
		ret = fuzz_replay_path(argv[i], &count);
	if (ret == 0 && count == 0) {
		printf("FAIL fuzz_%s: no inputs\n", FUZZ_NAME);
		ret = -1;
	}
	if (ret < 0)
		return 1;
	printf("PASS fuzz_%s (%d inputs)\n", FUZZ_NAME, count);
	return 0;
}
