/*
 * NAME
 *	user_list - match login names against a Postfix string list
 * SYNOPSIS
 *	#include <user_list.h>
 *
 *	USER_LIST *user_list_init(const char *patterns, VSTRING *why);
 *	int	user_list_match(USER_LIST *list, const char *name);
 *	void	user_list_free(USER_LIST *list);
 *	int	user_list_check(const char *patterns, const char *name,
 *		    VSTRING *why);
 * DESCRIPTION
 *	A user list is what authorized_submit_users, authorized_mailq_users
 *	and authorized_flush_users hold: a Postfix match list (match_list(3):
 *	patterns separated by white space or commas, "/file/name", "!"
 *	negation, the first match decides) of login names:
 *	    name	  that login name, compared exactly (case matters)
 *	    type:table	  a lookup of the name; any value matches, so that
 *			  "static:anyone" matches every user
 *	An empty list matches nobody.
 *
 *	user_list_init() compiles a list; user_list_match() matches one
 *	name; user_list_free() releases the list. user_list_check() does
 *	all three at once.
 * DIAGNOSTICS
 *	user_list_init() returns null with a reason in why (an unreadable
 *	file). user_list_match() returns 1 (match), 0 (none) or -1 when a
 *	table lookup failed (logged; the caller must not treat it as "no
 *	match" silently). user_list_check() returns the same, or -1 with
 *	the reason in why when the list cannot be compiled.
 */
#include <string.h>

#include "match_list.h"
#include "mymalloc.h"
#include "user_list.h"

static void *
user_list_compile(const char *word, VSTRING *why)
{
	return mystrdup(word);
}

static int
user_list_literal(const void *pattern, const void *name, int flags)
{
	return strcmp(pattern, name) == 0;
}

/* user_list_table - one table: 1, 0, -1. */
static int
user_list_table(DICT *dict, const void *name, int flags)
{
	return *(const char *)name ? dict_find(dict, name, NULL) : 0;
}

static const MATCH_OPS user_list_ops = {
	NULL, user_list_compile, user_list_literal, user_list_table, NULL,
};

USER_LIST *
user_list_init(const char *patterns, VSTRING *why)
{
	return match_list_init(&user_list_ops, patterns, 0, why);
}

int
user_list_match(USER_LIST *list, const char *name)
{
	return match_list_match(list, name);
}

void
user_list_free(USER_LIST *list)
{
	match_list_free(list);
}
int
user_list_check(const char *patterns, const char *name, VSTRING *why)
{
	USER_LIST *list;
	int	 hit;

	if ((list = user_list_init(patterns, why)) == NULL)
		return -1;
	if ((hit = user_list_match(list, name)) < 0)
		vstring_sprintf(why, "table lookup failed");
	user_list_free(list);
	return hit;
}
