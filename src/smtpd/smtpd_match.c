/*
 * NAME
 *	smtpd_match - network and domain lists (mynetworks, mydestination...)
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int smtpd_match_net(ARGV *list, const char *addr, const char *name,
 *		int parent_match, int *error);
 *	int smtpd_match_domain(ARGV *list, const char *domain,
 *		int parent_match, int *error);
 *	int smtpd_match_cidr(const char *pattern, const char *addr);
 * DESCRIPTION
 *	Postfix-style list matching, first match wins, "!pattern" negates.
 *
 *	smtpd_match_net() matches a client: patterns are network/prefix
 *	("127.0.0.0/8", "[::1]/128", "::1/128"), single addresses (with or
 *	without brackets), host names (matched against the verified client
 *	name: exact, or any subdomain when parent_match is set or the pattern
 *	starts with a dot) and type:table lookup tables (queried with the
 *	address, then with the name).
 *
 *	smtpd_match_domain() matches a domain against domain names, ".domain"
 *	(subdomains only) and type:table lookups (the domain, then its
 *	parent domains when parent_match is set). Comparison ignores case
 *	and a trailing dot.
 *
 *	smtpd_match_cidr() compares one address with one network pattern;
 *	IPv4 never matches an IPv6 pattern and vice versa.
 *
 *	"/file/name" patterns (Postfix reads patterns from the file) are not
 *	supported: they are logged and never match.
 * DIAGNOSTICS
 *	The list functions return 1 for a match, 0 otherwise; *error is set
 *	to 1 (and the result is 0) when a table lookup failed temporarily,
 *	so that the caller answers 4xx instead of treating it as no match.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dict.h"
#include "msg.h"
#include "smtpd.h"

/*
 * Parse "addr" or "[addr]" (with an optional "/len") into bytes; *bits
 * is 32 or 128 (the family). Returns the prefix length or -1.
 */
static int
smtpd_match_parse(const char *pat, unsigned char *bin, int *bits)
{
	char	 buf[INET6_ADDRSTRLEN + 8];
	const char *slash;
	size_t	 len;
	char	*end;

	if (*pat == '[')
		pat++;
	slash = strchr(pat, '/');
	len = slash ? (size_t)(slash - pat) : strlen(pat);
	if (len > 0 && pat[len - 1] == ']')
		len--;
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, pat, len);
	buf[len] = 0;
	if (inet_pton(AF_INET, buf, bin) == 1)
		*bits = 32;
	else if (inet_pton(AF_INET6, buf, bin) == 1)
		*bits = 128;
	else
		return -1;
	if (slash) {
		long	 n = strtol(slash + 1, &end, 10);

		if (*end || end == slash + 1 || n < 0 || n > *bits)
			return -1;
		return (int)n;
	}
	return *bits;
}

/* Is pat a network pattern (address or CIDR) rather than a name/table? */
static int
smtpd_match_is_net(const char *pat)
{
	unsigned char bin[16];
	int	 bits;

	return smtpd_match_parse(pat, bin, &bits) >= 0;
}

int
smtpd_match_cidr(const char *pattern, const char *addr)
{
	unsigned char net[16], host[16];
	int	 nbits, hbits, plen, i;

	if ((plen = smtpd_match_parse(pattern, net, &nbits)) < 0)
		return 0;
	if (smtpd_match_parse(addr, host, &hbits) < 0 || hbits != nbits)
		return 0;
	for (i = 0; i < plen / 8; i++)
		if (net[i] != host[i])
			return 0;
	if (plen % 8) {
		unsigned char mask = (unsigned char)(0xff << (8 - plen % 8));

		if ((net[i] & mask) != (host[i] & mask))
			return 0;
	}
	return 1;
}

/* Host or domain name match: exact, or subdomain when allowed. */
static int
smtpd_match_name(const char *pat, const char *name, int parent_match)
{
	size_t	 plen, nlen;
	int	 sub_only = 0;

	if (*pat == '.') {
		pat++;
		parent_match = sub_only = 1;
	}
	plen = strlen(pat);
	nlen = strlen(name);
	if (nlen > 0 && name[nlen - 1] == '.')
		nlen--;
	if (!sub_only && plen == nlen && strncasecmp(pat, name, nlen) == 0)
		return 1;
	if (!parent_match || nlen <= plen + 1)
		return 0;
	return name[nlen - plen - 1] == '.' &&
	    strncasecmp(pat, name + nlen - plen, plen) == 0;
}

/* Look key up in one table: 1 found, 0 not, -1 error. */
static int
smtpd_match_table(const char *spec, const char *key)
{
	DICT	*dict;

	if (strncmp(spec, "proxy:", 6) == 0)
		spec += 6;
	dict = dict_lookup_open(spec);
	if (dict_get(dict, key) != NULL)
		return 1;
	if (dict->error != DICT_ERR_NONE) {
		msg_warn("%s lookup error for \"%s\": %s", spec, key,
		    dict_error_text(dict));
		return -1;
	}
	return 0;
}

static int
smtpd_match_is_table(const char *pat)
{
	const char *colon = strchr(pat, ':');

	return colon != NULL && colon != pat && *pat != '[' &&
	    !smtpd_match_is_net(pat);
}

int
smtpd_match_net(ARGV *list, const char *addr, const char *name,
    int parent_match, int *error)
{
	const char *pat;
	int	 neg, r;

	for (size_t i = 0; list && i < list->argc; i++) {
		pat = list->argv[i];
		neg = (*pat == '!');
		pat += neg;
		if (*pat == '/') {
			msg_warn("patterns from files are not supported: %s", pat);
			continue;
		}
		if (smtpd_match_is_table(pat)) {
			r = smtpd_match_table(pat, addr);
			if (r == 0 && name && strcmp(name, "unknown") != 0)
				r = smtpd_match_table(pat, name);
		} else if (smtpd_match_is_net(pat)) {
			r = smtpd_match_cidr(pat, addr);
		} else {
			r = name && strcmp(name, "unknown") != 0 &&
			    smtpd_match_name(pat, name, parent_match);
		}
		if (r < 0) {
			*error = 1;
			return 0;
		}
		if (r > 0)
			return !neg;
	}
	return 0;
}

/* Table lookup of a domain and, if allowed, its parent domains. */
static int
smtpd_match_domain_table(const char *spec, const char *domain,
    int parent_match)
{
	const char *d = domain;
	int	 r;

	for (;;) {
		if ((r = smtpd_match_table(spec, d)) != 0)
			return r;
		if (!parent_match || (d = strchr(d + 1, '.')) == NULL)
			return 0;
		d++;
	}
}

int
smtpd_match_domain(ARGV *list, const char *domain, int parent_match,
    int *error)
{
	const char *pat;
	int	 neg, r;

	if (domain == NULL || *domain == 0)
		return 0;
	for (size_t i = 0; list && i < list->argc; i++) {
		pat = list->argv[i];
		neg = (*pat == '!');
		pat += neg;
		if (*pat == '/') {
			msg_warn("patterns from files are not supported: %s", pat);
			continue;
		}
		if (smtpd_match_is_table(pat))
			r = smtpd_match_domain_table(pat, domain, parent_match);
		else
			r = smtpd_match_name(pat, domain, parent_match);
		if (r < 0) {
			*error = 1;
			return 0;
		}
		if (r > 0)
			return !neg;
	}
	return 0;
}
