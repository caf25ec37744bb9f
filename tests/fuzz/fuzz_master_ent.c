/*
 * NAME
 *	fuzz_master_ent - fuzz harness: master.cf (master_ent.c)
 * DESCRIPTION
 *	The input is a master.cf file. It is loaded; every entry of a table
 *	that loads must be found again by service and type, and print
 *	(master_ent_format, as postern config -M does) as a line that
 *	parses again to the same line. Known limit: an argument holding an
 *	unbalanced brace inside a word ("a{") does not print in a form that
 *	reads back the same, so this is checked only for entries without
 *	braces in their arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail_conf.h"
#include "master_ent.h"
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

static VSTRING *why, *path;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init("fuzz_master_ent");
	why = vstring_alloc(100);
	path = vstring_alloc(100);
	vstring_sprintf(path, "%s/master.cf", fuzz_tmpdir());
	mail_conf_read_flags(fuzz_tmpdir(), MAIL_CONF_OPTIONAL);
	return 0;
}

/* Does the command, an argument or an override hold a brace? */
static int
fuzz_master_braces(const MASTER_ENT *ent)
{
	if (strpbrk(ent->command, "{}") != NULL)
		return 1;
	for (size_t i = 0; i < ent->args->argc; i++)
		if (strpbrk(ent->args->argv[i], "{}") != NULL)
			return 1;
	for (size_t i = 0; i < ent->overrides->argc; i++)
		if (strpbrk(ent->overrides->argv[i], "{}") != NULL)
			return 1;
	return 0;
}

static void
fuzz_master_check(const MASTER_TABLE *tab)
{
	MASTER_ENT *again;
	char	*line, *line2;

	for (size_t i = 0; i < tab->count; i++) {
		const MASTER_ENT *ent = tab->ent[i];

		if (master_ent_find(tab, ent->service, ent->type) != ent)
			abort();
		line = master_ent_format(ent);
		if ((again = master_ent_parse(line, "formatted", 1, why)) == NULL
		    && fuzz_master_braces(ent)) {
			myfree(line);
			continue;
		}
		if (again == NULL) {
			fprintf(stderr, "reparse failed: %s: %s\n", line,
			    vstring_str(why));
			abort();
		}
		line2 = master_ent_format(again);
		if (strcmp(line, line2) != 0 && !fuzz_master_braces(ent)) {
			fprintf(stderr, "format changed:\n%s\n%s\n", line, line2);
			abort();
		}
		myfree(line);
		myfree(line2);
		master_ent_free(again);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	MASTER_TABLE *tab;

	if (fuzz_write_file(vstring_str(path), data, len) < 0)
		abort();
	FUZZ_ARM();
	if (setjmp(fuzz_jmp) == 0) {
		if ((tab = master_ent_load(vstring_str(path), why)) != NULL) {
			fuzz_master_check(tab);
			master_ent_table_free(tab);
		}
	}
	FUZZ_END();
	return 0;
}
