/*
 * module_test - unit tests for module: the directory hook, the checks on
 * the file (missing, not regular, writable by others), refusal of a file
 * that is not a shared object, and a real load of a system library's
 * symbol through a module directory of symbolic links.
 */
#include <sys/stat.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "module.h"
#include "ptest.h"

static char dir[] = "/tmp/module_test.XXXXXX";
static const char *hook_dir;

static const char *
test_dir(void)
{
	return hook_dir;
}

static void
put_file(const char *name, const char *text, mode_t mode)
{
	char	 path[128];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	for (int i = 0; i < 16; i++)
		fputs(text, fp);
	fclose(fp);
	if (chmod(path, mode) < 0)
		abort();
}

PTEST(no_directory)
{
	VSTRING	*path = vstring_alloc(10), *why = vstring_alloc(10);

	hook_dir = NULL;
	PT_ASSERT(module_path("x.so", path, why) == NULL);
	PT_STREQ(vstring_str(why), "no module directory in this program");
	PT_ASSERT(module_load("x.so", "x", why) == NULL);
	vstring_free(path);
	vstring_free(why);
}

PTEST(file_checks)
{
	VSTRING	*path = vstring_alloc(10), *why = vstring_alloc(10);
	char	 expect[128];

	hook_dir = dir;
	PT_ASSERT(module_path("missing.so", path, why) == NULL);
	PT_INTEQ(errno, ENOENT);
	snprintf(expect, sizeof(expect), "%s/missing.so: No such file or "
	    "directory", dir);
	PT_STREQ(vstring_str(why), expect);
	PT_ASSERT(module_load("missing.so", "x", why) == NULL);
	PT_INTEQ(errno, ENOENT);

	put_file("open.so", "text\n", 0666);
	PT_ASSERT(module_path("open.so", path, why) == NULL);
	PT_INTEQ(errno, EPERM);
	PT_ASSERT(strstr(vstring_str(why), "writable only by its owner"));
	PT_ASSERT(module_load("open.so", "x", why) == NULL);
	PT_INTEQ(errno, EPERM);

	put_file("text.so", "not a shared object\n", 0644);
	snprintf(expect, sizeof(expect), "%s/text.so", dir);
	PT_STREQ(module_path("text.so", path, why), expect);
	PT_ASSERT(module_load("text.so", "x", why) == NULL);
	PT_INTEQ(errno, ENOEXEC);
	PT_ASSERT(strstr(vstring_str(why), "text.so") != NULL);
	vstring_free(path);
	vstring_free(why);
}

/* libm, found through a link in the directory, as a module would be. */
PTEST(load_symbol)
{
	static const char *libs[] = {"/lib/x86_64-linux-gnu/libm.so.6",
	    "/usr/lib/x86_64-linux-gnu/libm.so.6", "/lib64/libm.so.6",
	    "/usr/lib64/libm.so.6", "/lib/libm.so.6", NULL};
	VSTRING	*why = vstring_alloc(10);
	char	 link[128];
	double	 (*fn)(double);
	int	 i;

	for (i = 0; libs[i] && access(libs[i], R_OK) < 0; i++)
		;
	if (libs[i] == NULL) {
		printf("(no libm.so.6 found: load_symbol skipped)\n");
		vstring_free(why);
		return;
	}
	hook_dir = dir;
	snprintf(link, sizeof(link), "%s/libm.so", dir);
	PT_ASSERT(symlink(libs[i], link) == 0);
	PT_ASSERT((fn = (double (*)(double))module_load("libm.so", "sqrt",
	    why)) != NULL);
	PT_ASSERT(fn(4.0) == 2.0);
	PT_ASSERT(module_load("libm.so", "no_such_symbol", why) == NULL);
	PT_INTEQ(errno, ENOEXEC);
	PT_ASSERT(strstr(vstring_str(why), "no symbol no_such_symbol"));
	unlink(link);
	vstring_free(why);
}

int
main(void)
{
	static const char *made[] = {"open.so", "text.so", NULL};
	char	 path[128];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	module_dir_hook(test_dir);
	PT_RUN(no_directory);
	PT_RUN(file_checks);
	PT_RUN(load_symbol);
	for (const char **f = made; *f; f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *f);
		(void)unlink(path);
	}
	(void)rmdir(dir);
	return PT_DONE();
}
