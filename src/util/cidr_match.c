/*
 * NAME
 *	cidr_match - IPv4 and IPv6 networks in "address/prefix" form
 * SYNOPSIS
 *	#include <cidr_match.h>
 *
 *	int	cidr_match_addr(const char *text, size_t len, int flags,
 *		    unsigned char *addr);
 *	int	cidr_match_parse(CIDR_MATCH *net, const char *pattern,
 *		    int flags, VSTRING *why);
 *	int	cidr_match_contains(const CIDR_MATCH *net, int family,
 *		    const unsigned char *addr);
 *	void	cidr_match_mask(unsigned char *addr, int family, int bits);
 * DESCRIPTION
 *	The one parser and matcher of networks, shared by cidr: tables
 *	(dict_cidr(3)) and by the client lists of mynetworks and the like
 *	(addr_match(3)); mail_params_dynamic(3) masks interface networks
 *	with it.
 *
 *	cidr_match_addr() parses the first len bytes of text, an IPv4 or
 *	IPv6 address, into addr (4 or 16 bytes; room for 16) and returns
 *	its family, AF_INET or AF_INET6, or 0 when it is not an address.
 *	An IPv6 address may stand in brackets, "[2001:db8::1]", as Postfix
 *	writes it in tables and lists. With CIDR_MATCH_CLIENT the forms a
 *	client address takes are accepted as well: brackets around IPv4
 *	("[192.0.2.1]"), and an IPv4-mapped IPv6 address ("::ffff:192.0.2.1")
 *	is the IPv4 address.
 *
 *	cidr_match_parse() parses "address" (a host: /32 or /128) or
 *	"address/prefix" with the rules of cidr_match_addr(). The prefix is
 *	decimal digits, 0 to 32 (IPv4) or 128 (IPv6); with CIDR_MATCH_CLIENT
 *	an IPv4-mapped network counts 96 bits more ("[::ffff:10.0.0.0]/104"
 *	is 10.0.0.0/8). Bits set below the prefix ("10.1.0.0/8") are a typo,
 *	refused as Postfix refuses them.
 *
 *	cidr_match_contains() tells whether an address (family and bytes,
 *	as from cidr_match_addr()) lies in the network: 1 or 0. An address
 *	never lies in a network of the other family.
 *
 *	cidr_match_mask() clears the bits of addr below the first bits.
 *
 *	Cost: a parse is one or two inet_pton() calls; a match compares at
 *	most 16 bytes.
 * DIAGNOSTICS
 *	cidr_match_parse() returns 0, or -1 with the reason in why (when
 *	not null): a bad address, a prefix out of range, host bits set.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "cidr_match.h"

static const unsigned char cidr_match_v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
};

int
cidr_match_addr(const char *text, size_t len, int flags, unsigned char *addr)
{
	char	 buf[INET6_ADDRSTRLEN + 1];
	int	 bracket = 0;

	if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
		text++, len -= 2;
		bracket = 1;
	}
	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, text, len);
	buf[len] = 0;
	if ((!bracket || (flags & CIDR_MATCH_CLIENT))
	    && inet_pton(AF_INET, buf, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, buf, addr) != 1)
		return 0;
	if ((flags & CIDR_MATCH_CLIENT)
	    && memcmp(addr, cidr_match_v4mapped, 12) == 0) {
		memmove(addr, addr + 12, 4);
		return AF_INET;
	}
	return AF_INET6;
}

/* cidr_match_prefix - decimal digits, min..max; -1 otherwise */
static int
cidr_match_prefix(const char *text, int min, int max)
{
	int	 n = 0;

	if (*text == 0)
		return -1;
	for (; *text; text++)
		if (*text < '0' || *text > '9' || (n = 10 * n + *text - '0') > max)
			return -1;
	return n < min ? -1 : n;
}

void
cidr_match_mask(unsigned char *addr, int family, int bits)
{
	int	 max = family == AF_INET ? 32 : 128, i;

	for (i = bits < 0 ? 0 : bits; i < max; i++)
		addr[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
}

int
cidr_match_parse(CIDR_MATCH *net, const char *pattern, int flags,
    VSTRING *why)
{
	const char *slash = strchr(pattern, '/');
	size_t	 len = slash ? (size_t)(slash - pattern) : strlen(pattern);
	unsigned char masked[16];
	int	 max, mapped;

	memset(net, 0, sizeof(*net));
	if ((net->family = cidr_match_addr(pattern, len, flags, net->net)) == 0) {
		if (why)
			vstring_sprintf(why, "bad address \"%.*s\"", (int)len,
			    pattern);
		return -1;
	}
	max = net->family == AF_INET ? 32 : 128;
	if (slash == NULL) {
		net->bits = max;
		return 0;
	}
	/* A mapped network's prefix counts the 96 bits of "::ffff:". */
	mapped = max == 32 && memchr(pattern, ':', len) != NULL ? 96 : 0;
	if ((net->bits = cidr_match_prefix(slash + 1, mapped,
	    max + mapped)) < 0) {
		if (why)
			vstring_sprintf(why, "bad prefix length \"%s\" (%d..%d)",
			    slash, mapped, max + mapped);
		return -1;
	}
	net->bits -= mapped;
	memcpy(masked, net->net, sizeof(masked));
	cidr_match_mask(masked, net->family, net->bits);
	if (memcmp(masked, net->net, (size_t)max / 8) != 0) {
		if (why)
			vstring_sprintf(why, "\"%s\" has host bits set below "
			    "the prefix", pattern);
		return -1;
	}
	return 0;
}

int
cidr_match_contains(const CIDR_MATCH *net, int family,
    const unsigned char *addr)
{
	int	 full = net->bits / 8, rest = net->bits % 8;
	unsigned char mask;

	if (family != net->family || memcmp(net->net, addr, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (net->net[full] & mask) == (addr[full] & mask);
}
