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
 *	and authorized_flush_users hold: patterns separated by white space
 *	or commas, tried in order; the first that matches decides, and a
 *	pattern prefixed with "!" turns its match into a non-match.
 *	Patterns:
 *	    name	  that login name, compared exactly (case matters)
 *	    type:table	  a lookup of the name; any value matches, so that
 *			  "static:anyone" matches every user
 *	    /file/name	  the patterns in that file ("#" comments)
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

#include "dict.h"
#include "domain_list.h"
#include "msg.h"
#include "mymalloc.h"
#include "user_list.h"

typedef struct USER_PAT {
	char	*pattern;
	DICT	*dict;			/* null: a literal name */
	int	 negate;
} USER_PAT;

struct USER_LIST {
	USER_PAT *pat;
	size_t	 npat;
};

USER_LIST *
user_list_init(const char *patterns, VSTRING *why)
{
	ARGV	*words = argv_alloc(8);
	USER_LIST *list;
	USER_PAT *pp;
	const char *w;
	size_t	 i;

	if (domain_list_expand(patterns ? patterns : "", words, why) < 0) {
		argv_free(words);
		return NULL;
	}
	list = mymalloc(sizeof(*list));
	list->npat = words->argc;
	list->pat = mycalloc(words->argc ? words->argc : 1, sizeof(*list->pat));
	for (i = 0; i < words->argc; i++) {
		pp = list->pat + i;
		w = words->argv[i];
		if ((pp->negate = (*w == '!')) != 0)
			w++;
		pp->pattern = mystrdup(w);
		pp->dict = strchr(w, ':') != NULL ? dict_lookup_open(w) : NULL;
	}
	argv_free(words);
	return list;
}

/* user_list_table - one table: 1, 0, -1. */
static int
user_list_table(DICT *dict, const char *name)
{
	if (*name == 0)
		return 0;
	if (dict_get(dict, name) != NULL)
		return 1;
	if (dict->error != DICT_ERR_NONE) {
		msg_warn("%s: lookup of \"%s\" failed: %s", dict->spec, name,
		    dict_error_text(dict));
		return -1;
	}
	return 0;
}

int
user_list_match(USER_LIST *list, const char *name)
{
	USER_PAT *pp;
	size_t	 i;
	int	 hit = 0;

	for (i = 0; i < list->npat && hit == 0; i++) {
		pp = list->pat + i;
		if (pp->dict)
			hit = user_list_table(pp->dict, name);
		else
			hit = strcmp(pp->pattern, name) == 0;
		if (hit > 0 && pp->negate)
			return 0;
	}
	return hit;
}

void
user_list_free(USER_LIST *list)
{
	size_t	 i;

	for (i = 0; i < list->npat; i++) {
		if (list->pat[i].dict)
			dict_lookup_close(list->pat[i].dict);
		myfree(list->pat[i].pattern);
	}
	myfree(list->pat);
	myfree(list);
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
