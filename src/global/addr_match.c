/*
 * NAME
 *	addr_match - mynetworks-style address lists
 * SYNOPSIS
 *	#include <addr_match.h>
 *
 *	ADDR_MATCH *addr_match_init(const char *patterns, VSTRING *why);
 *	ADDR_MATCH *addr_match_param(const char *name);
 *	int	addr_match(ADDR_MATCH *list, const char *addr);
 *	void	addr_match_free(ADDR_MATCH *list);
 *	int	addr_match_cidr(const char *addr, const char *pattern);
 * DESCRIPTION
 *	A Postfix match list of client addresses, as mynetworks takes:
 *	patterns separated by white space or commas, the first that matches
 *	decides, "!" before a pattern turns its match into a non-match.
 *	Patterns:
 *	    192.0.2.0/24, 2001:db8::/32, [2001:db8::]/32   network/prefix
 *	    192.0.2.1, ::1, [::1]                           one address
 *	    type:table       a lookup with the address as key; any value
 *			     matches
 *	    /file/name       the patterns in that file
 *	The address to match is in text form (IPv4 dotted quad, IPv6, an
 *	IPv4-mapped IPv6 address counts as IPv4, brackets are ignored).
 *	An IPv4 address never matches an IPv6 pattern nor the reverse.
 *
 *	The default of mynetworks (from mynetworks_style and the interface
 *	addresses) is computed by mail_params_dynamic(3), not here.
 *
 *	addr_match_cidr() compares one address with one pattern.
 * DIAGNOSTICS
 *	addr_match_init() returns a null pointer with the reason in why for
 *	a pattern that is not an address, a network (also one with host bits
 *	set after the prefix, which Postfix rejects) or a table.
 *	addr_match_param() makes that fatal. addr_match() returns 1, 0, or
 *	-1 when a table lookup failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr_match.h"
#include "argv.h"
#include "dict.h"
#include "domain_list.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"

typedef struct ADDR_PAT {
	int	 negate;
	int	 family;		/* AF_INET, AF_INET6, 0 for a table */
	unsigned char net[16];
	int	 bits;
	DICT	*dict;
} ADDR_PAT;

struct ADDR_MATCH {
	ADDR_PAT *pat;
	size_t	 npat;
};

/*
 * addr_match_parse - text address (brackets, IPv4-mapped) to bytes;
 * returns the family or 0.
 */
static int
addr_match_parse(const char *text, size_t len, unsigned char *out)
{
	char	 buf[INET6_ADDRSTRLEN + 8];

	if (len >= 2 && text[0] == '[' && text[len - 1] == ']')
		text++, len -= 2;
	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, text, len);
	buf[len] = 0;
	if (inet_pton(AF_INET, buf, out) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, buf, out) != 1)
		return 0;
	if (memcmp(out, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		memmove(out, out + 12, 4);
		return AF_INET;
	}
	return AF_INET6;
}

/* addr_match_net - parse "addr[/bits]"; 0 or -1. */
static int
addr_match_net(const char *pattern, ADDR_PAT *pp)
{
	const char *slash = strchr(pattern, '/');
	size_t	 len = slash ? (size_t)(slash - pattern) : strlen(pattern);
	int	 max, i;
	char	*end;
	long	 bits;

	if ((pp->family = addr_match_parse(pattern, len, pp->net)) == 0)
		return -1;
	max = pp->family == AF_INET ? 32 : 128;
	if (slash == NULL) {
		pp->bits = max;
		return 0;
	}
	errno = 0;
	bits = strtol(slash + 1, &end, 10);
	if (slash[1] == 0 || *end != 0 || errno || bits < 0 || bits > max)
		return -1;
	pp->bits = (int)bits;
	for (i = pp->bits; i < max; i++)
		if (pp->net[i / 8] & (0x80 >> (i % 8)))
			return -1;	/* host bits set: a typo, as Postfix says */
	return 0;
}

static int
addr_match_bits(const unsigned char *a, const unsigned char *net, int bits)
{
	int	 full = bits / 8, rest = bits % 8;

	if (memcmp(a, net, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[full] ^ net[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

int
addr_match_cidr(const char *addr, const char *pattern)
{
	unsigned char a[16];
	ADDR_PAT pat;
	int	 fam;

	memset(&pat, 0, sizeof(pat));
	if (addr_match_net(pattern, &pat) < 0)
		return -1;
	fam = addr_match_parse(addr, strlen(addr), a);
	return fam == pat.family && addr_match_bits(a, pat.net, pat.bits);
}

/* addr_match_is_table - "type:name" with an alphabetic type. */
static int
addr_match_is_table(const char *w)
{
	size_t	 n = strspn(w, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

	return n > 0 && w[n] == ':' && w[n + 1] != 0 &&
	    !(w[0] >= '0' && w[0] <= '9');
}

ADDR_MATCH *
addr_match_init(const char *patterns, VSTRING *why)
{
	ARGV	*words = argv_alloc(8);
	ADDR_MATCH *list = mymalloc(sizeof(*list));
	ADDR_PAT *pp;
	const char *w;
	size_t	 i;

	list->npat = 0;
	list->pat = NULL;
	if (domain_list_expand(patterns, words, why) < 0)
		goto fail;
	list->pat = mycalloc(words->argc ? words->argc : 1, sizeof(*list->pat));
	for (i = 0; i < words->argc; i++) {
		pp = list->pat + list->npat;
		w = words->argv[i];
		if ((pp->negate = (*w == '!')) != 0)
			w++;
		if (addr_match_net(w, pp) == 0) {
			/* network or address */
		} else if (addr_match_is_table(w)) {
			pp->family = 0;
			pp->dict = dict_lookup_open(w);
		} else {
			if (why)
				vstring_sprintf(why, "bad network pattern \"%s\"", w);
			goto fail;
		}
		list->npat++;
	}
	argv_free(words);
	return list;
fail:
	argv_free(words);
	addr_match_free(list);
	return NULL;
}

ADDR_MATCH *
addr_match_param(const char *name)
{
	VSTRING	*why = vstring_alloc(100);
	ADDR_MATCH *list;

	if ((list = addr_match_init(conf_str(name), why)) == NULL)
		msg_fatal("%s: %s", name, vstring_str(why));
	vstring_free(why);
	return list;
}

int
addr_match(ADDR_MATCH *list, const char *addr)
{
	unsigned char a[16];
	ADDR_PAT *pp;
	size_t	 i;
	int	 fam = addr_match_parse(addr, strlen(addr), a);
	int	 hit = 0;

	for (i = 0; i < list->npat; i++) {
		pp = list->pat + i;
		if (pp->dict) {
			if (dict_get(pp->dict, addr) != NULL)
				hit = 1;
			else if (pp->dict->error != DICT_ERR_NONE)
				hit = -1;
		} else {
			hit = fam != 0 && fam == pp->family &&
			    addr_match_bits(a, pp->net, pp->bits);
		}
		if (hit != 0) {
			if (hit > 0 && pp->negate)
				hit = 0;
			break;
		}
	}
	return hit;
}

void
addr_match_free(ADDR_MATCH *list)
{
	size_t	 i;

	for (i = 0; i < list->npat; i++)
		if (list->pat[i].dict)
			dict_lookup_close(list->pat[i].dict);
	myfree(list->pat);
	myfree(list);
}
