/*
 * NAME
 *	domain_list - mydestination/relay_domains-style domain lists
 * SYNOPSIS
 *	#include <domain_list.h>
 *
 *	DOMAIN_LIST *domain_list_init(const char *patterns, int flags,
 *		    VSTRING *why);
 *	DOMAIN_LIST *domain_list_param(const char *name);
 *	int	domain_list_match(DOMAIN_LIST *list, const char *domain);
 *	void	domain_list_free(DOMAIN_LIST *list);
 *	int	domain_list_expand(const char *patterns, ARGV *out,
 *		    VSTRING *why);
 *	int	domain_list_parent_flag(const char *name);
 *	VSTRING	*domain_list_fold(VSTRING *out, const char *name);
 *	int	domain_list_literal(const char *pattern, const char *name,
 *		    int flags);
 *	int	domain_list_table(DICT *dict, const char *name, int flags);
 *	int	domain_list_table_find(DICT *dict, const char *name,
 *		    int flags, VSTRING *result);
 * DESCRIPTION
 *	A domain list is a Postfix match list: patterns separated by white
 *	space or commas, tried in order, the first that matches decides; a
 *	pattern prefixed with "!" turns a match into a non-match.
 *	Patterns:
 *	    example.com     the domain; also its subdomains with
 *			    DOMAIN_LIST_PARENT (Postfix's
 *			    parent_domain_matches_subdomains)
 *	    .example.com    subdomains of example.com only
 *	    type:table      a lookup of the domain, then of each parent
 *			    ("example.com" with DOMAIN_LIST_PARENT,
 *			    ".example.com" without; not for pattern
 *			    tables such as regexp:); any value matches
 *	    /file/name      the patterns in that file (read once, "#"
 *			    comments)
 *	Comparison ignores case and a trailing dot.
 *
 *	domain_list_param() builds the list from a main.cf parameter, with
 *	DOMAIN_LIST_PARENT when the name is in
 *	parent_domain_matches_subdomains.
 *
 *	domain_list_expand() splits a pattern list into out, replacing
 *	"/file/name" entries (also after "!") by the file's patterns; it is
 *	conf_list_expand() of mail_conf_file(3), the one reader of such
 *	files.
 *
 *	The remaining functions are the matching primitives, shared with
 *	addr_match(3) for host name patterns. domain_list_parent_flag()
 *	returns DOMAIN_LIST_PARENT when the parameter name is listed in
 *	parent_domain_matches_subdomains. domain_list_fold() stores name
 *	lowercased and without a trailing dot. domain_list_literal()
 *	matches one lowercase pattern against a folded name;
 *	domain_list_table() looks a folded name up in a table, then its
 *	parent domains as described above; domain_list_table_find() also
 *	stores the value found in result (when not null), for access(5)
 *	style lookups.
 * DIAGNOSTICS
 *	domain_list_init() returns a null pointer with the reason in why
 *	(an unreadable file); domain_list_param() makes that fatal.
 *	domain_list_match() and domain_list_table() return 1 for a match, 0
 *	for none, -1 when a table lookup failed (answer 4xx, do not treat as
 *	"no match"); the failure is logged as a warning.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dict.h"
#include "domain_list.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"

typedef struct DOMAIN_PAT {
	char	*pattern;		/* lowercased, no "!" */
	int	 negate;
	DICT	*dict;			/* type:table, or null */
} DOMAIN_PAT;

struct DOMAIN_LIST {
	DOMAIN_PAT *pat;
	size_t	 npat;
	int	 flags;
};

int
domain_list_expand(const char *patterns, ARGV *out, VSTRING *why)
{
	return conf_list_expand(patterns, out, why);
}

DOMAIN_LIST *
domain_list_init(const char *patterns, int flags, VSTRING *why)
{
	ARGV	*words = argv_alloc(8);
	DOMAIN_LIST *list;
	DOMAIN_PAT *pp;
	const char *w;
	char	*cp;
	size_t	 i;

	if (domain_list_expand(patterns, words, why) < 0) {
		argv_free(words);
		return NULL;
	}
	list = mymalloc(sizeof(*list));
	list->flags = flags;
	list->npat = words->argc;
	list->pat = mycalloc(words->argc ? words->argc : 1, sizeof(*list->pat));
	for (i = 0; i < words->argc; i++) {
		pp = list->pat + i;
		w = words->argv[i];
		if ((pp->negate = (*w == '!')) != 0)
			w++;
		if (strchr(w, ':') != NULL && *w != '[') {
			pp->dict = dict_lookup_open(w);
			pp->pattern = mystrdup(w);
		} else {
			pp->pattern = mystrdup(w);
			for (cp = pp->pattern; *cp; cp++)
				*cp = (char)tolower((unsigned char)*cp);
			if (*pp->pattern && pp->pattern[strlen(pp->pattern) - 1] == '.')
				pp->pattern[strlen(pp->pattern) - 1] = 0;
		}
	}
	argv_free(words);
	return list;
}

int
domain_list_parent_flag(const char *name)
{
	ARGV	*parent = conf_list("parent_domain_matches_subdomains");
	int	 flags = 0;
	size_t	 i;

	for (i = 0; i < parent->argc; i++)
		if (strcmp(parent->argv[i], name) == 0)
			flags |= DOMAIN_LIST_PARENT;
	argv_free(parent);
	return flags;
}

DOMAIN_LIST *
domain_list_param(const char *name)
{
	VSTRING	*why = vstring_alloc(100);
	DOMAIN_LIST *list;

	list = domain_list_init(conf_str(name), domain_list_parent_flag(name), why);
	if (list == NULL)
		msg_fatal("%s: %s", name, vstring_str(why));
	vstring_free(why);
	return list;
}

int
domain_list_table_find(DICT *dict, const char *domain, int flags,
    VSTRING *result)
{
	VSTRING	*key = vstring_alloc(64);
	const char *p, *value;
	int	 ret = 0;

	for (p = domain; p != NULL && *p; p = dict->fixed ?
	    strchr(p + 1, '.') : NULL) {
		if (p == domain)
			vstring_strcpy(key, p);
		else
			vstring_strcpy(key, (flags & DOMAIN_LIST_PARENT) ? p + 1 : p);
		if ((value = dict_get(dict, vstring_str(key))) != NULL) {
			if (result)
				vstring_strcpy(result, value);
			ret = 1;
			break;
		}
		if (dict->error != DICT_ERR_NONE) {
			msg_warn("%s: lookup of \"%s\" failed: %s", dict->spec,
			    vstring_str(key), dict_error_text(dict));
			ret = -1;
			break;
		}
	}
	vstring_free(key);
	return ret;
}

int
domain_list_table(DICT *dict, const char *domain, int flags)
{
	return domain_list_table_find(dict, domain, flags, NULL);
}

VSTRING *
domain_list_fold(VSTRING *out, const char *name)
{
	vstring_strcpy(out, name);
	vstring_lower(out);
	if (vstring_len(out) > 0 && vstring_str(out)[vstring_len(out) - 1] == '.')
		vstring_truncate(out, vstring_len(out) - 1);
	return out;
}

int
domain_list_literal(const char *pat, const char *domain, int flags)
{
	size_t	 plen = strlen(pat), dlen = strlen(domain);

	if (plen == 0 || dlen == 0)
		return 0;
	if (*pat == '.')
		return dlen > plen && strcmp(domain + dlen - plen, pat) == 0;
	if (strcmp(pat, domain) == 0)
		return 1;
	return (flags & DOMAIN_LIST_PARENT) && dlen > plen + 1 &&
	    domain[dlen - plen - 1] == '.' && strcmp(domain + dlen - plen, pat) == 0;
}

int
domain_list_match(DOMAIN_LIST *list, const char *domain)
{
	VSTRING	*dom = vstring_alloc(64);
	DOMAIN_PAT *pp;
	size_t	 i;
	int	 hit = 0;

	domain_list_fold(dom, domain);
	for (i = 0; i < list->npat; i++) {
		pp = list->pat + i;
		if (pp->dict)
			hit = domain_list_table(pp->dict, vstring_str(dom), list->flags);
		else
			hit = domain_list_literal(pp->pattern, vstring_str(dom), list->flags);
		if (hit != 0) {
			if (hit > 0 && pp->negate)
				hit = 0;
			break;
		}
	}
	vstring_free(dom);
	return hit;
}

void
domain_list_free(DOMAIN_LIST *list)
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
