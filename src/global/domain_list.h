/*
 * domain_list.h - mydestination/relay_domains-style domain lists. See
 * domain_list.c.
 */
#ifndef DOMAIN_LIST_H
#define DOMAIN_LIST_H

#include "dict.h"
#include "match_list.h"
#include "vstring.h"

#define DOMAIN_LIST_PARENT	MATCH_LIST_PARENT	/* "example.com" matches subdomains */

typedef MATCH_LIST DOMAIN_LIST;

DOMAIN_LIST *domain_list_init(const char *, int, VSTRING *);
DOMAIN_LIST *domain_list_param(const char *);	/* from main.cf; fatal on error */
int	 domain_list_match(DOMAIN_LIST *, const char *);	/* 1, 0, -1 table error */
void	 domain_list_free(DOMAIN_LIST *);

/* DOMAIN_LIST_PARENT if the parameter is in parent_domain_matches_subdomains. */
int	 domain_list_parent_flag(const char *);

/*
 * Shared with addr_match (host name patterns). The name must be lowercase
 * without a trailing dot (domain_list_fold()); the pattern lowercase.
 */
VSTRING	*domain_list_fold(VSTRING *, const char *);
int	 domain_list_literal(const char *, const char *, int);	/* 1 or 0 */
int	 domain_list_table(DICT *, const char *, int);	/* 1, 0, -1 */
/* The same, storing the value found in result (may be null). */
int	 domain_list_table_find(DICT *, const char *, int, VSTRING *);

#endif
