/*
 * NAME
 *	dns_rbl - names and answers of DNS block and allow lists
 * SYNOPSIS
 *	#include <dns_rbl.h>
 *
 *	int dns_rbl_reverse(const char *addr, const char *domain, VSTRING *out);
 *	int dns_rbl_filter_match(const char *filter, const char *addr);
 *	int dns_rbl_site(const char *spec, VSTRING *domain, VSTRING *filter,
 *		int *weight);
 * DESCRIPTION
 *	What smtpd's reject_rbl_client family and screen's DNSBL scoring
 *	share.
 *
 *	dns_rbl_reverse() makes the name to look up for an address in a
 *	list: 4.3.2.1.domain for 1.2.3.4, the 32 nibbles reversed for IPv6.
 *
 *	dns_rbl_filter_match() says whether an A record (dotted quad) of a
 *	listing matches a filter, octet by octet, each octet a number or a
 *	bracketed list of numbers and ranges: "127.0.0.2",
 *	"127.0.0.[2..11]", "127.0.[0..255].[2;4]".
 *
 *	dns_rbl_site() parses a postscreen_dnsbl_sites element,
 *	"domain[=filter][*weight]" (weight 1 when absent, may be negative).
 * DIAGNOSTICS
 *	dns_rbl_reverse() and dns_rbl_site() return -1 for an address or
 *	element they cannot use; dns_rbl_filter_match() 1 or 0.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_rbl.h"

/* One octet pattern: "2", "[2..11]", "[2;4;6..8]". */
static int
dns_rbl_octet(const char *pat, size_t len, long value)
{
	char	 buf[128], *item, *cp, *dots, *end;
	long	 lo, hi;

	if (len == 0 || len >= sizeof(buf))
		return 0;
	snprintf(buf, sizeof(buf), "%.*s", (int)len, pat);
	if (buf[0] != '[') {
		lo = strtol(buf, &end, 10);
		return *end == 0 && end != buf && lo == value;
	}
	if (buf[len - 1] != ']')
		return 0;
	buf[len - 1] = 0;
	for (cp = buf + 1; (item = strsep(&cp, ";")) != NULL;) {
		if ((dots = strstr(item, "..")) != NULL) {
			*dots = 0;
			lo = strtol(item, &end, 10);
			if (*end || end == item)
				return 0;
			hi = strtol(dots + 2, &end, 10);
			if (*end || end == dots + 2)
				return 0;
		} else {
			lo = hi = strtol(item, &end, 10);
			if (*end || end == item)
				return 0;
		}
		if (value >= lo && value <= hi)
			return 1;
	}
	return 0;
}

int
dns_rbl_filter_match(const char *filter, const char *addr)
{
	const char *f = filter, *a = addr, *fe;
	char	*end;
	long	 v;
	int	 octets = 0;

	for (;;) {
		v = strtol(a, &end, 10);
		if (end == a || v < 0 || v > 255)
			return 0;
		fe = f + strcspn(f, ".");
		if (*f == '[')
			fe = strchr(f, ']') ? strchr(f, ']') + 1 : f + strlen(f);
		if (!dns_rbl_octet(f, fe - f, v))
			return 0;
		octets++;
		a = end;
		if (*a == 0 && *fe == 0)
			return octets == 4;
		if (*a != '.' || *fe != '.')
			return 0;
		a++;
		f = fe + 1;
	}
}

int
dns_rbl_reverse(const char *addr, const char *domain, VSTRING *out)
{
	unsigned char bin[16];
	int	 i;

	vstring_reset(out);
	if (inet_pton(AF_INET, addr, bin) == 1) {
		vstring_sprintf(out, "%u.%u.%u.%u.%s", bin[3], bin[2], bin[1],
		    bin[0], domain);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, bin) != 1)
		return -1;
	for (i = 15; i >= 0; i--)
		vstring_sprintf_append(out, "%x.%x.", bin[i] & 15, bin[i] >> 4);
	vstring_strcat(out, domain);
	return 0;
}


int
dns_rbl_site(const char *spec, VSTRING *domain, VSTRING *filter, int *weight)
{
	const char *star = strrchr(spec, '*'), *eq;
	char	*end;
	size_t	 len;

	*weight = 1;
	len = star ? (size_t)(star - spec) : strlen(spec);
	if (star != NULL) {
		long	 w = strtol(star + 1, &end, 10);

		if (*end || end == star + 1 || w < -1000 || w > 1000)
			return -1;
		*weight = (int)w;
	}
	eq = memchr(spec, '=', len);
	vstring_reset(domain);
	vstring_reset(filter);
	vstring_memcat(domain, spec, eq ? (size_t)(eq - spec) : len);
	if (eq)
		vstring_memcat(filter, eq + 1, len - (eq + 1 - spec));
	return vstring_len(domain) ? 0 : -1;
}
