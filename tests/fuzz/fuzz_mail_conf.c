/*
 * NAME
 *	fuzz_mail_conf - fuzz harness: main.cf (mail_conf.c, mail_conf_expand.c)
 * DESCRIPTION
 *	The input is a main.cf file. It is read (a syntax error is a
 *	fatal error, caught), every parameter is validated as postern check
 *	does, and every name the file sets is expanded ($name, ${name?x},
 *	${name:x}; loops must be reported, not followed) and split as a list.
 *	A fatal error must not leave a descriptor open (the reader closes
 *	main.cf first).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail_conf.h"
#include "mymalloc.h"
#include "fuzz.h"

/*
 * A fatal error on bad input (caught) leaves what the reader had allocated
 * behind, as the exit it stands for would: leak reports here are noise.
 */
const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}

static VSTRING *path, *errors, *val, *why;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init("fuzz_mail_conf");
	path = vstring_alloc(100);
	errors = vstring_alloc(100);
	val = vstring_alloc(100);
	why = vstring_alloc(100);
	vstring_sprintf(path, "%s/main.cf", fuzz_tmpdir());
	mail_conf_unknown_warnings(1);
	return 0;
}

static void
fuzz_conf_names(void)
{
	ARGV	*names = mail_conf_file_names(), *list;
	const char *raw;
	int	 src;

	for (size_t i = 0; i < names->argc && i < 200; i++) {
		if ((raw = conf_raw(names->argv[i], &src)) == NULL || src != CONF_SRC_FILE)
			abort();
		if (conf_expand_param(val, names->argv[i], why) == 0) {
			list = conf_split_list(vstring_str(val));
			argv_free(list);
		}
		(void)conf_expand_to(val, raw, why);
	}
	argv_free(names);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	int	 lowest, fd;

	if (fuzz_write_file(vstring_str(path), data, len) < 0)
		abort();
	/* A fatal syntax error must not leave main.cf open behind it. */
	if ((lowest = dup(0)) < 0)
		abort();
	close(lowest);
	FUZZ_ARM();
	if (setjmp(fuzz_jmp) == 0) {
		mail_conf_read(fuzz_tmpdir());
		vstring_reset(errors);
		(void)mail_conf_validate(errors);
		fuzz_conf_names();
	}
	FUZZ_END();
	if ((fd = dup(0)) != lowest) {
		fprintf(stderr, "fuzz_mail_conf: descriptor %d left open\n", lowest);
		abort();
	}
	close(fd);
	return 0;
}
