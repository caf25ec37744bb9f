/*
 * NAME
 *	smtpd_addr - SMTP path and parameter syntax
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int smtpd_addr_path(const char *s, VSTRING *addr, const char **rest);
 *	int smtpd_addr_valid(const char *addr, int utf8);
 *	const char *smtpd_addr_domain(const char *addr);
 *	int smtpd_addr_fqdn(const char *host);
 *	int smtpd_addr_hostname_valid(const char *host);
 *	int smtpd_addr_xtext_decode(const char *s, VSTRING *out);
 *	int smtpd_addr_is_ascii(const char *s);
 *	int smtpd_addr_parse_size(const char *s, long long *size);
 * DESCRIPTION
 *	Pure functions over text received from the client; no state, no
 *	configuration, so that they are unit tested on their own.
 *
 *	smtpd_addr_path() parses the path that follows "MAIL FROM:" or
 *	"RCPT TO:": "<addr>", "<>", "<@route,@route:addr>" (the source
 *	route is dropped, as RFC 5321 allows) or, like Postfix, an address
 *	without angle brackets. Quoted strings and backslash escapes are
 *	honoured while looking for the closing bracket. The address (without
 *	brackets) is stored in addr and *rest points after the path.
 *
 *	smtpd_addr_valid() checks the mailbox syntax: local-part (dot-atom
 *	characters or a quoted string) optionally followed by "@domain",
 *	where domain is a host name or an address literal. Non-ASCII bytes
 *	are allowed only when utf8 is set (SMTPUTF8). An empty address is
 *	valid here (the null sender); callers decide where it is allowed.
 *
 *	smtpd_addr_domain() returns the text after the last unquoted "@", or
 *	a null pointer. smtpd_addr_fqdn() says whether a host name is fully
 *	qualified (has an inner dot) or is an address literal.
 *	smtpd_addr_hostname_valid() checks host name syntax (letters, digits,
 *	hyphen, underscore, UTF-8; labels of 1..63 bytes; 255 in all; not all
 *	numeric) or an address literal "[192.0.2.1]" / "[IPv6:...]".
 *
 *	smtpd_addr_xtext_decode() decodes RFC 3461 xtext ("+2B" hex escapes).
 *	smtpd_addr_parse_size() parses a decimal size; values that do not
 *	fit are clamped to LLONG_MAX (they exceed every limit anyway).
 * DIAGNOSTICS
 *	The int functions return 0 (path, valid, decode, size) or -1 for
 *	malformed input; the predicates return 1 or 0.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "smtpd.h"

/* Find the end of a bracketed path: index of '>' or -1. */
static int
smtpd_addr_close(const char *s)
{
	int	 quoted = 0;
	int	 i;

	for (i = 1; s[i]; i++) {
		if (s[i] == '\\' && s[i + 1]) {
			i++;
			continue;
		}
		if (s[i] == '"')
			quoted = !quoted;
		else if (s[i] == '>' && !quoted)
			return i;
	}
	return -1;
}

/* Skip a source route "@a,@b:" at the start of a path; null if malformed. */
static const char *
smtpd_addr_skip_route(const char *s, const char *end)
{
	const char *p;

	if (*s != '@')
		return s;
	for (p = s; p < end; p++)
		if (*p == ':')
			return p + 1;
	return NULL;
}

int
smtpd_addr_path(const char *s, VSTRING *addr, const char **rest)
{
	const char *start, *end;
	int	 close;

	vstring_reset(addr);
	if (*s == '<') {
		if ((close = smtpd_addr_close(s)) < 0)
			return -1;
		start = s + 1;
		end = s + close;
		*rest = end + 1;
		if ((start = smtpd_addr_skip_route(start, end)) == NULL)
			return -1;
	} else {
		start = s;
		end = s + strcspn(s, " \t");
		*rest = end;
		if (start == end || *start == '@')
			return -1;
	}
	if (**rest != 0 && **rest != ' ' && **rest != '\t')
		return -1;
	for (const char *p = start; p < end; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -1;
	vstring_memcpy(addr, start, end - start);
	return 0;
}

int
smtpd_addr_is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

const char *
smtpd_addr_domain(const char *addr)
{
	const char *at = NULL;
	int	 quoted = 0;

	for (const char *p = addr; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '@' && !quoted)
			at = p;
	}
	return at ? at + 1 : NULL;
}

static int
smtpd_addr_literal_valid(const char *host)
{
	char	 buf[INET6_ADDRSTRLEN + 8];
	unsigned char bin[16];
	size_t	 len = strlen(host);

	if (len < 3 || host[len - 1] != ']' || len - 2 >= sizeof(buf))
		return 0;
	memcpy(buf, host + 1, len - 2);
	buf[len - 2] = 0;
	if (strncasecmp(buf, "IPv6:", 5) == 0)
		return inet_pton(AF_INET6, buf + 5, bin) == 1;
	return inet_pton(AF_INET, buf, bin) == 1;
}

int
smtpd_addr_hostname_valid(const char *host)
{
	const char *label = host;
	size_t	 total = 0;
	int	 numeric = 1, ch;

	if (*host == '[')
		return smtpd_addr_literal_valid(host);
	for (const char *p = host;; p++) {
		ch = (unsigned char)*p;
		if (ch == '.' || ch == 0) {
			if (p == label || p - label > 63 || *label == '-' ||
			    p[-1] == '-')
				return 0;
			if (ch == 0)
				break;
			label = p + 1;
			continue;
		}
		if (!(isalnum(ch) || ch == '-' || ch == '_' || ch >= 0x80))
			return 0;
		if (!isdigit(ch))
			numeric = 0;
		if (++total > 255)
			return 0;
	}
	return !numeric;
}

int
smtpd_addr_fqdn(const char *host)
{
	const char *dot;

	if (*host == '[')
		return smtpd_addr_literal_valid(host);
	dot = strchr(host, '.');
	return dot != NULL && dot != host && dot[1] != 0 &&
	    host[strlen(host) - 1] != '.';
}

/* Local-part: a quoted string or atext and dots. */
static int
smtpd_addr_local_valid(const char *s, size_t len)
{
	static const char special[] = "()<>[]:;@,\" \t";
	size_t	 i;

	if (len == 0)
		return 0;
	if (s[0] == '"') {
		if (len < 2 || s[len - 1] != '"')
			return 0;
		for (i = 1; i < len - 1; i++) {
			if (s[i] == '\\' && i + 1 < len - 1)
				i++;
			else if (s[i] == '"')
				return 0;
		}
		return 1;
	}
	for (i = 0; i < len; i++)
		if (strchr(special, s[i]) || s[i] == '\\')
			return 0;
	return 1;
}

int
smtpd_addr_valid(const char *addr, int utf8)
{
	const char *domain;
	size_t	 llen;

	if (*addr == 0)
		return 0;
	if (!utf8 && !smtpd_addr_is_ascii(addr))
		return -1;
	if (strlen(addr) > 1000)
		return -1;
	domain = smtpd_addr_domain(addr);
	llen = domain ? (size_t)(domain - 1 - addr) : strlen(addr);
	if (!smtpd_addr_local_valid(addr, llen))
		return -1;
	if (domain && !smtpd_addr_hostname_valid(domain))
		return -1;
	return 0;
}

static int
smtpd_addr_hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int
smtpd_addr_xtext_decode(const char *s, VSTRING *out)
{
	int	 hi, lo;

	vstring_reset(out);
	for (; *s; s++) {
		if ((unsigned char)*s < 33 || (unsigned char)*s > 126 || *s == '=')
			return -1;
		if (*s != '+') {
			vstring_addch(out, *s);
			continue;
		}
		if ((hi = smtpd_addr_hexval(s[1])) < 0 ||
		    (lo = smtpd_addr_hexval(s[2])) < 0)
			return -1;
		vstring_addch(out, hi * 16 + lo);
		s += 2;
	}
	return 0;
}

int
smtpd_addr_parse_size(const char *s, long long *size)
{
	long long n = 0;

	if (*s == 0)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		if (n > (LLONG_MAX - 9) / 10)
			n = LLONG_MAX;
		else
			n = n * 10 + (*s - '0');
	}
	*size = n;
	return 0;
}
