/*
 * NAME
 *	addr_match - mynetworks-style client lists
 * SYNOPSIS
 *	#include <addr_match.h>
 *
 *	ADDR_MATCH *addr_match_init(const char *patterns, int flags,
 *		    VSTRING *why);
 *	ADDR_MATCH *addr_match_param(const char *name);
 *	int	addr_match(ADDR_MATCH *list, const char *addr);
 *	int	addr_match_client(ADDR_MATCH *list, const char *addr,
 *		    const char *name);
 *	void	addr_match_free(ADDR_MATCH *list);
 *	int	addr_match_cidr(const char *addr, const char *pattern);
 * DESCRIPTION
 *	A Postfix match list (match_list(3): patterns separated by white
 *	space or commas, "/file/name", "!" negation, the first match
 *	decides) of clients, as mynetworks,
 *	smtpd_forbid_bare_newline_exclusions or debug_peer_list take.
 *	Patterns:
 *	    192.0.2.0/24, 2001:db8::/32, [2001:db8::]/32   network/prefix
 *	    192.0.2.1, ::1, [::1]                           one address
 *	    host.example.com  the verified client name; also its
 *			      subdomains with ADDR_MATCH_PARENT
 *	    .example.com      subdomains of example.com
 *	    type:table        a lookup with the address as key, then with
 *			      the client name and its parent domains (as
 *			      domain_list(3)); any value matches
 *	    /file/name        the patterns in that file
 *	The address to match is in text form (IPv4 dotted quad, IPv6, an
 *	IPv4-mapped IPv6 address counts as IPv4 and is looked up in tables
 *	as IPv4, brackets are ignored). An IPv4 address never matches an
 *	IPv6 pattern nor the reverse (cidr_match(3) with CIDR_MATCH_CLIENT
 *	parses and matches addresses and networks). Names compare without
 *	regard to case or a trailing dot.
 *
 *	addr_match() matches an address only (name patterns never match);
 *	addr_match_client() also the client's name, which may be a null
 *	pointer or "unknown" (no verified name: name patterns never match).
 *	addr_match_param() reads the list from a main.cf parameter, with
 *	ADDR_MATCH_PARENT when the name is in
 *	parent_domain_matches_subdomains.
 *
 *	The default of mynetworks (from mynetworks_style and the interface
 *	addresses) is computed by mail_params_dynamic(3), not here.
 *
 *	addr_match_cidr() compares one address with one pattern.
 * DIAGNOSTICS
 *	addr_match_init() returns a null pointer with the reason in why for
 *	a pattern that is neither an address, a network (also not one with
 *	host bits set after the prefix, which Postfix rejects), a table nor
 *	a host name, or an unreadable file. addr_match_param() makes that
 *	fatal. addr_match() and addr_match_client() return 1, 0, or -1 when
 *	a table lookup failed (logged; answer 4xx).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "addr_match.h"
#include "cidr_match.h"
#include "dict.h"
#include "domain_list.h"
#include "match_list.h"
#include "mymalloc.h"

/* A network or a host name pattern (tables are match_list(3)'s). */
typedef struct ADDR_PAT {
	CIDR_MATCH net;			/* family 0: a name */
	char	*name;			/* host names, lowercase */
} ADDR_PAT;

/* What one call matches: the address in both forms, the folded name. */
typedef struct ADDR_CLIENT {
	int	 family;		/* 0: not an address */
	unsigned char bin[16];
	char	 text[INET6_ADDRSTRLEN];	/* canonical, for tables */
	const char *name;		/* folded, or null */
} ADDR_CLIENT;

int
addr_match_cidr(const char *addr, const char *pattern)
{
	unsigned char a[16];
	CIDR_MATCH net;
	int	 fam;

	if (cidr_match_parse(&net, pattern, CIDR_MATCH_CLIENT, NULL) < 0)
		return -1;
	fam = cidr_match_addr(addr, strlen(addr), CIDR_MATCH_CLIENT, a);
	return cidr_match_contains(&net, fam, a);
}

/*
 * addr_match_is_table - "type:name" with an alphabetic type, and not a
 * mistyped IPv6 address ("dead:beef::/200").
 */
static int
addr_match_is_table(const char *w)
{
	size_t	 n = strspn(w, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ");

	if (*w == '[' || w[strspn(w, "0123456789abcdefABCDEF:./")] == 0)
		return 0;
	return n > 0 && w[n] == ':' && w[n + 1] != 0;
}

/*
 * addr_match_is_name - a host name pattern: name characters, not all
 * digits and dots (that is a mistyped address).
 */
static int
addr_match_is_name(const char *w)
{
	const unsigned char *p;
	int	 alpha = 0;

	if (*w == 0 || (*w == '.' && w[1] == 0))
		return 0;
	for (p = (const unsigned char *)w; *p; p++) {
		if (*p >= 0x80 || (*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || *p == '-' || *p == '_')
			alpha = 1;
		else if (!(*p >= '0' && *p <= '9') && *p != '.')
			return 0;
	}
	return alpha;
}

/* addr_match_compile - a network or a host name pattern; null: why */
static void *
addr_match_compile(const char *w, VSTRING *why)
{
	ADDR_PAT *pp = mycalloc(1, sizeof(*pp));

	if (cidr_match_parse(&pp->net, w, CIDR_MATCH_CLIENT, NULL) == 0)
		return pp;
	if (addr_match_is_name(w)) {
		pp->net.family = 0;
		pp->name = vstring_export(domain_list_fold(vstring_alloc(64), w));
		return pp;
	}
	if (why)
		vstring_sprintf(why, "bad address pattern \"%s\"", w);
	myfree(pp);
	return NULL;
}

static void
addr_match_pat_free(void *pattern)
{
	ADDR_PAT *pp = pattern;

	myfree(pp->name);
	myfree(pp);
}

/* addr_match_table - the address, then the name; 1, 0, -1. */
static int
addr_match_table(DICT *dict, const void *client, int flags)
{
	const ADDR_CLIENT *cl = client;
	int	 hit;

	if ((hit = dict_find(dict, cl->text, NULL)) != 0)
		return hit;
	return cl->name ? domain_list_table(dict, cl->name, flags) : 0;
}

/* addr_match_one - one network or name pattern; 1 or 0. */
static int
addr_match_one(const void *pattern, const void *client, int flags)
{
	const ADDR_PAT *pp = pattern;
	const ADDR_CLIENT *cl = client;

	if (pp->net.family == 0)
		return cl->name != NULL &&
		    domain_list_literal(pp->name, cl->name, flags);
	return cidr_match_contains(&pp->net, cl->family, cl->bin);
}

static const MATCH_OPS addr_match_ops = {
	addr_match_is_table, addr_match_compile, addr_match_one,
	addr_match_table, addr_match_pat_free,
};

ADDR_MATCH *
addr_match_init(const char *patterns, int flags, VSTRING *why)
{
	return match_list_init(&addr_match_ops, patterns, flags, why);
}

ADDR_MATCH *
addr_match_param(const char *name)
{
	return match_list_param(&addr_match_ops, name);
}

int
addr_match_client(ADDR_MATCH *list, const char *addr, const char *name)
{
	ADDR_CLIENT cl;
	VSTRING	*fold = NULL;
	size_t	 len = strlen(addr);
	int	 hit;

	cl.family = cidr_match_addr(addr, len, CIDR_MATCH_CLIENT, cl.bin);
	if (cl.family == 0 || inet_ntop(cl.family, cl.bin, cl.text,
	    sizeof(cl.text)) == NULL)
		snprintf(cl.text, sizeof(cl.text), "%.*s", (int)len, addr);
	cl.name = NULL;
	if (name != NULL && *name != 0 && strcmp(name, "unknown") != 0) {
		fold = domain_list_fold(vstring_alloc(64), name);
		cl.name = vstring_str(fold);
	}
	hit = match_list_match(list, &cl);
	if (fold)
		vstring_free(fold);
	return hit;
}

int
addr_match(ADDR_MATCH *list, const char *addr)
{
	return addr_match_client(list, addr, NULL);
}

void
addr_match_free(ADDR_MATCH *list)
{
	match_list_free(list);
}
