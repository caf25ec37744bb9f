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
 *	int	domain_list_parent_flag(const char *name);
 *	VSTRING	*domain_list_fold(VSTRING *out, const char *name);
 *	int	domain_list_literal(const char *pattern, const char *name,
 *		    int flags);
 *	int	domain_list_table(DICT *dict, const char *name, int flags);
 *	int	domain_list_table_find(DICT *dict, const char *name,
 *		    int flags, VSTRING *result);
 * DESCRIPTION
 *	A domain list is a Postfix match list (match_list(3): patterns
 *	separated by white space or commas, "/file/name", "!" negation,
 *	"type:table", the first match decides) of domain names:
 *	    example.com     the domain; also its subdomains with
 *			    DOMAIN_LIST_PARENT (Postfix's
 *			    parent_domain_matches_subdomains)
 *	    .example.com    subdomains of example.com only
 *	    type:table      a lookup of the domain, then of each parent
 *			    ("example.com" with DOMAIN_LIST_PARENT,
 *			    ".example.com" without; not for pattern
 *			    tables such as regexp:); any value matches
 *	Comparison ignores case and a trailing dot.
 *
 *	domain_list_param() builds the list from a main.cf parameter, with
 *	DOMAIN_LIST_PARENT when the name is in
 *	parent_domain_matches_subdomains (domain_list_parent_flag()).
 *
 *	The remaining functions are the matching primitives, shared with
 *	addr_match(3) for host name patterns. domain_list_fold() stores name
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
#include <string.h>

#include "dict.h"
#include "domain_list.h"
#include "match_list.h"
#include "mymalloc.h"

/* domain_list_compile - a literal pattern: lowercase, no trailing dot */
static void *
domain_list_compile(const char *word, VSTRING *why)
{
	return vstring_export(domain_list_fold(vstring_alloc(64), word));
}

static int
domain_list_match_literal(const void *pattern, const void *domain, int flags)
{
	return domain_list_literal(pattern, domain, flags);
}

static int
domain_list_match_table(DICT *dict, const void *domain, int flags)
{
	return domain_list_table(dict, domain, flags);
}

static const MATCH_OPS domain_list_ops = {
	NULL, domain_list_compile, domain_list_match_literal,
	domain_list_match_table, NULL,
};

DOMAIN_LIST *
domain_list_init(const char *patterns, int flags, VSTRING *why)
{
	return match_list_init(&domain_list_ops, patterns, flags, why);
}

int
domain_list_parent_flag(const char *name)
{
	return match_list_parent_flag(name);
}

DOMAIN_LIST *
domain_list_param(const char *name)
{
	return match_list_param(&domain_list_ops, name);
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
		if ((ret = dict_find(dict, vstring_str(key), &value)) != 0) {
			if (ret > 0 && result)
				vstring_strcpy(result, value);
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
	VSTRING	*dom = domain_list_fold(vstring_alloc(64), domain);
	int	 hit = match_list_match(list, vstring_str(dom));

	vstring_free(dom);
	return hit;
}

void
domain_list_free(DOMAIN_LIST *list)
{
	match_list_free(list);
}
