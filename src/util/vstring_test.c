/*
 * vstring_test - unit tests for vstring, argv and htable.
 */
#include <string.h>

#include "argv.h"
#include "htable.h"
#include "mymalloc.h"
#include "ptest.h"
#include "vstring.h"

PTEST(vstring_grow)
{
	VSTRING	*vp = vstring_alloc(1);
	int	i;

	for (i = 0; i < 10000; i++)
		vstring_addch(vp, 'a' + i % 26);
	PT_INTEQ(vstring_len(vp), 10000);
	PT_INTEQ(strlen(vstring_str(vp)), 10000);
	vstring_sprintf(vp, "%s-%d", "x", 42);
	PT_STREQ(vstring_str(vp), "x-42");
	vstring_sprintf_append(vp, "%0500d", 1);
	PT_INTEQ(vstring_len(vp), 504);
	vstring_strcpy(vp, "  trim me \t");
	vstring_trim(vp);
	PT_STREQ(vstring_str(vp), "trim me");
	vstring_memcpy(vp, "a\0b", 3);
	PT_INTEQ(vstring_len(vp), 3);
	vstring_free(vp);
}

PTEST(argv_split_join)
{
	ARGV	*ap = argv_split(" a, b,,c  ", ", ");
	char	*s;

	PT_INTEQ(ap->argc, 3);
	PT_STREQ(ap->argv[2], "c");
	PT_ASSERT(ap->argv[3] == NULL);
	s = argv_join(ap, "|");
	PT_STREQ(s, "a|b|c");
	myfree(s);
	argv_truncate(ap, 1);
	PT_INTEQ(ap->argc, 1);
	argv_free(ap);
}

PTEST(htable_basic)
{
	HTABLE	*t = htable_create(1);
	char	key[32];
	int	i;

	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		htable_enter(t, key, (void *)(long)(i + 1));
	}
	PT_INTEQ((long)htable_find(t, "k999"), 1000);
	PT_ASSERT(htable_find(t, "nope") == NULL);
	PT_INTEQ(htable_delete(t, "k5", NULL), 0);
	PT_ASSERT(htable_find(t, "k5") == NULL);
	PT_INTEQ(t->used, 999);
	htable_free(t, NULL);
}

int
main(void)
{
	PT_RUN(vstring_grow);
	PT_RUN(argv_split_join);
	PT_RUN(htable_basic);
	return PT_DONE();
}
