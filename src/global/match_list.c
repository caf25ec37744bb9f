/*
 * NAME
 *	match_list - Postfix match lists
 * SYNOPSIS
 *	#include "match_list.h"
 *
 *	MATCH_LIST *match_list_init(const MATCH_OPS *ops,
 *	    const char *patterns, int flags, VSTRING *why);
 *	MATCH_LIST *match_list_param(const MATCH_OPS *ops, const char *name);
 *	int match_list_match(MATCH_LIST *list, const void *subject);
 *	void match_list_free(MATCH_LIST *list);
 *
 *	int match_list_parent_flag(const char *name);
 * DESCRIPTION
 *	The one engine of Postfix-style lists (mydestination, mynetworks,
 *	debug_peer_list, authorized_submit_users and the like). What a
 *	list is made of is the same for every kind: patterns separated by
 *	white space or commas; "/file/name" stands for the patterns in that
 *	file (mail_conf_file(3): "#" comments, nested files, a "!" before
 *	the file name negates each of its patterns); "!" before a pattern
 *	turns its match into a non-match; "type:table" is a table, and any
 *	value found matches; the patterns are tried in order and the first
 *	that matches, or whose table lookup fails, decides.
 *
 *	What the other patterns mean, and which key a table is asked
 *	for, belongs to the kind of list: domain_list(3) (domain names),
 *	addr_match(3) (client addresses and names), user_list(3) (login
 *	names) each give an ops vector: is_table (null: a word with ":"
 *	not starting with "["), compile (a word to a pattern, or null with
 *	a reason), match (a pattern against a subject, with the list's
 *	flags), table (a table against a subject: 1, 0, or -1 for a failed
 *	lookup) and free (null: myfree()). The subject is whatever the kind
 *	prepares (a folded name, a parsed address).
 *
 *	match_list_init() compiles a list; match_list_param() compiles the
 *	value of a main.cf parameter, with MATCH_LIST_PARENT when the
 *	parameter is named in parent_domain_matches_subdomains
 *	(match_list_parent_flag()). match_list_match() returns the decision
 *	for one subject. match_list_free() releases the list and drops its
 *	table references.
 *	A kind's table function looks its subject up with dict_find(3):
 *	1, 0, or -1 with a warning logged when the lookup failed.
 * DIAGNOSTICS
 *	match_list_init() returns null with the reason in why for an
 *	unreadable file or a pattern the kind refuses; match_list_param()
 *	makes that fatal. match_list_match() returns 1 (match), 0 (no match,
 *	or a negated match) or -1 when a table lookup failed: the caller
 *	must answer "try again later", not "no match".
 */
#include <string.h>

#include "argv.h"
#include "mail_conf.h"
#include "match_list.h"
#include "msg.h"
#include "mymalloc.h"

typedef struct MATCH_PAT {
	int	 negate;
	DICT	*dict;			/* a table, or null */
	void	*pattern;		/* the kind's pattern, or null */
} MATCH_PAT;

struct MATCH_LIST {
	const MATCH_OPS *ops;
	MATCH_PAT *pat;
	size_t	 npat;
	int	 flags;
};

/* match_list_is_table - the default: "type:name", not "[ipv6]" */
static int
match_list_is_table(const char *word)
{
	return *word != '[' && strchr(word, ':') != NULL;
}

MATCH_LIST *
match_list_init(const MATCH_OPS *ops, const char *patterns, int flags,
    VSTRING *why)
{
	ARGV	*words = argv_alloc(8);
	MATCH_LIST *list = mymalloc(sizeof(*list));
	MATCH_PAT *pp;
	const char *w;
	size_t	 i;

	list->ops = ops;
	list->flags = flags;
	list->npat = 0;
	list->pat = NULL;
	if (conf_list_expand(patterns ? patterns : "", words, why) < 0)
		goto fail;
	list->pat = mycalloc(words->argc ? words->argc : 1, sizeof(*list->pat));
	for (i = 0; i < words->argc; i++) {
		pp = list->pat + list->npat;
		w = words->argv[i];
		if ((pp->negate = (*w == '!')) != 0)
			w++;
		if (ops->is_table ? ops->is_table(w) : match_list_is_table(w))
			pp->dict = dict_lookup_open(w);
		else if ((pp->pattern = ops->compile(w, why)) == NULL)
			goto fail;
		list->npat++;
	}
	argv_free(words);
	return list;
fail:
	argv_free(words);
	match_list_free(list);
	return NULL;
}

int
match_list_parent_flag(const char *name)
{
	ARGV	*parent = conf_list("parent_domain_matches_subdomains");
	int	 flags = 0;
	size_t	 i;

	for (i = 0; i < parent->argc; i++)
		if (strcmp(parent->argv[i], name) == 0)
			flags |= MATCH_LIST_PARENT;
	argv_free(parent);
	return flags;
}

MATCH_LIST *
match_list_param(const MATCH_OPS *ops, const char *name)
{
	VSTRING	*why = vstring_alloc(100);
	MATCH_LIST *list;

	list = match_list_init(ops, conf_str(name), match_list_parent_flag(name),
	    why);
	if (list == NULL)
		msg_fatal("%s: %s", name, vstring_str(why));
	vstring_free(why);
	return list;
}

int
match_list_match(MATCH_LIST *list, const void *subject)
{
	const MATCH_PAT *pp;
	size_t	 i;
	int	 hit;

	for (i = 0; i < list->npat; i++) {
		pp = list->pat + i;
		if (pp->dict)
			hit = list->ops->table(pp->dict, subject, list->flags);
		else
			hit = list->ops->match(pp->pattern, subject, list->flags);
		if (hit != 0)
			return hit > 0 && pp->negate ? 0 : hit;
	}
	return 0;
}

void
match_list_free(MATCH_LIST *list)
{
	size_t	 i;

	for (i = 0; i < list->npat; i++) {
		if (list->pat[i].dict)
			dict_lookup_close(list->pat[i].dict);
		else if (list->ops->free)
			list->ops->free(list->pat[i].pattern);
		else
			myfree(list->pat[i].pattern);
	}
	if (list->pat)
		myfree(list->pat);
	myfree(list);
}
