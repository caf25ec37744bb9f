/*
 * match_list_test - unit tests for match_list, with a toy kind of list:
 * patterns are words compared exactly, "bad" is refused, tables are
 * asked for the subject.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "match_list.h"
#include "msg.h"
#include "mymalloc.h"
#include "ptest.h"

static int compiled, freed;

static void *
toy_compile(const char *word, VSTRING *why)
{
	if (strcmp(word, "bad") == 0) {
		vstring_sprintf(why, "bad pattern \"%s\"", word);
		return NULL;
	}
	compiled++;
	return mystrdup(word);
}

static int
toy_match(const void *pattern, const void *subject, int flags)
{
	return strcmp(pattern, subject) == 0;
}

static int
toy_table(DICT *dict, const void *subject, int flags)
{
	return dict_find(dict, subject, NULL);
}

static void
toy_free(void *pattern)
{
	freed++;
	myfree(pattern);
}

static const MATCH_OPS toy_ops = {
	NULL, toy_compile, toy_match, toy_table, toy_free,
};

PTEST(first_match_and_negation)
{
	MATCH_LIST *l = match_list_init(&toy_ops, "!b a, b c,!a", 0, NULL);

	PT_ASSERT(l != NULL);
	PT_INTEQ(compiled, 5);
	PT_INTEQ(match_list_match(l, "a"), 1);	/* "a" comes before "!a" */
	PT_INTEQ(match_list_match(l, "b"), 0);	/* "!b" comes first */
	PT_INTEQ(match_list_match(l, "c"), 1);
	PT_INTEQ(match_list_match(l, "d"), 0);
	match_list_free(l);
	PT_INTEQ(freed, 5);
	l = match_list_init(&toy_ops, NULL, 0, NULL);
	PT_INTEQ(match_list_match(l, "a"), 0);
	match_list_free(l);
}

PTEST(tables_files_errors)
{
	char	 path[] = "/tmp/mltest.XXXXXX";
	int	 fd = mkstemp(path);
	VSTRING	*why = vstring_alloc(10);
	MATCH_LIST *l;
	char	 spec[200];

	PT_ASSERT(fd >= 0);
	PT_INTEQ(write(fd, "# comment\nf1 f2\n", 16), 16);
	close(fd);
	snprintf(spec, sizeof(spec), "!inline:{ t1=x } !%s t1 f1 "
	    "hash:/nonexistent/mltest z", path);
	l = match_list_init(&toy_ops, spec, 0, why);
	PT_ASSERT(l != NULL);
	PT_INTEQ(match_list_match(l, "t1"), 0);	/* negated table */
	PT_INTEQ(match_list_match(l, "f1"), 0);	/* "!/file" negates its words */
	PT_INTEQ(match_list_match(l, "z"), -1);	/* the failed lookup decides */
	match_list_free(l);
	PT_ASSERT(match_list_init(&toy_ops, "a bad", 0, why) == NULL);
	PT_STREQ(vstring_str(why), "bad pattern \"bad\"");
	unlink(path);
	PT_ASSERT(match_list_init(&toy_ops, path, 0, why) == NULL);
	vstring_free(why);
}

int
main(void)
{
	msg_init("postern", "match_list_test");
	PT_RUN(first_match_and_negation);
	PT_RUN(tables_files_errors);
	return PT_DONE();
}
