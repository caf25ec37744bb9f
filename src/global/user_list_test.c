/*
 * NAME
 *	user_list_test - unit tests for user_list.c
 * SYNOPSIS
 *	user_list_test
 * DESCRIPTION
 *	Literal names, negation, static:anyone, inline: tables, files,
 *	table failures, the empty list.
 * DIAGNOSTICS
 *	ptest.h output; exit status 1 on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ptest.h"
#include "user_list.h"

static int
check(const char *patterns, const char *name)
{
	VSTRING	*why = vstring_alloc(16);
	int	 r = user_list_check(patterns, name, why);

	vstring_free(why);
	return r;
}

PTEST(literal)
{
	PT_INTEQ(check("root, alice bob", "bob"), 1);
	PT_INTEQ(check("root, alice bob", "carol"), 0);
	PT_INTEQ(check("root, alice bob", "Bob"), 0);
	PT_INTEQ(check("", "root"), 0);
	PT_INTEQ(check("!mallory, mallory", "mallory"), 0);
}

PTEST(tables)
{
	PT_INTEQ(check("static:anyone", "whoever"), 1);
	PT_INTEQ(check("!mallory, static:anyone", "mallory"), 0);
	PT_INTEQ(check("!mallory, static:anyone", "alice"), 1);
	PT_INTEQ(check("inline:{alice=1, bob=1}", "bob"), 1);
	PT_INTEQ(check("inline:{alice=1, bob=1}", "eve"), 0);
	PT_INTEQ(check("!inline:{eve=1}, static:anyone", "eve"), 0);
	PT_INTEQ(check("hash:/nonexistent/user-list", "eve"), -1);
	PT_INTEQ(check("alice, hash:/nonexistent/user-list", "alice"), 1);
}

PTEST(file)
{
	char	 path[] = "/tmp/user_list_testXXXXXX";
	int	 fd = mkstemp(path);
	FILE	*fp;
	VSTRING	*pat = vstring_alloc(64), *why = vstring_alloc(16);

	PT_ASSERT(fd >= 0);
	PT_ASSERT((fp = fdopen(fd, "w")) != NULL);
	fprintf(fp, "# users\nalice\n  bob, !carol\n");
	fclose(fp);
	vstring_sprintf(pat, "%s, carol", path);
	PT_INTEQ(check(vstring_str(pat), "bob"), 1);
	PT_INTEQ(check(vstring_str(pat), "carol"), 0);	/* "!carol" first */
	vstring_sprintf(pat, "!%s, static:anyone", path);
	PT_INTEQ(check(vstring_str(pat), "alice"), 0);
	PT_INTEQ(check(vstring_str(pat), "dave"), 1);
	unlink(path);
	PT_INTEQ(user_list_check(vstring_str(pat), "dave", why), -1);
	PT_ASSERT(vstring_len(why) > 0);
	vstring_free(pat);
	vstring_free(why);
}

int
main(void)
{
	PT_RUN(literal);
	PT_RUN(tables);
	PT_RUN(file);
	return PT_DONE();
}
