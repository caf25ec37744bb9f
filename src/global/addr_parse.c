/*
 * NAME
 *	addr_parse - RFC 5321 paths, mailbox syntax, quoting, host names
 * SYNOPSIS
 *	#include <addr_parse.h>
 *
 *	int	addr_parse_path(const char *text, int flags, VSTRING *addr,
 *		    ARGV *params, const char **why);
 *	int	addr_valid_mailbox(const char *mailbox, int flags,
 *		    const char **why);
 *	VSTRING	*addr_quote(VSTRING *out, const char *internal);
 *	VSTRING	*addr_unquote(VSTRING *out, const char *external);
 *	const char *addr_domain(const char *addr);
 *	VSTRING	*addr_local(VSTRING *out, const char *addr);
 *	int	addr_is_fqdn(const char *host);
 *	int	valid_hostname(const char *name, int utf8);
 *	int	valid_hostaddr(const char *addr);
 *	int	valid_hostliteral(const char *literal);
 *	int	valid_utf8(const char *s, size_t len);
 * DESCRIPTION
 *	addr_parse_path() parses the argument of MAIL FROM: and RCPT TO:
 *	(leading white space tolerated): "<mailbox>", "<>", a source route
 *	"<@a,@b:mailbox>" (ignored, RFC 5321 C), then ESMTP parameters
 *	separated by spaces or tabs. With ADDR_PARSE_BARE a mailbox without
 *	angle brackets is accepted too. The mailbox is checked by
 *	addr_valid_mailbox(): a dot-atom or quoted-string local part of at
 *	most 64 bytes, an optional "@" and a host name or address literal of
 *	at most 255 bytes, 256 bytes for the whole path. ADDR_PARSE_LONG
 *	raises the local part and path limits to ADDR_LONG_MAX (1000) bytes:
 *	a server should accept what RFC 5321 4.5.3.1 tells clients not to
 *	send, as Postfix does (SRS and VERP addresses often have longer
 *	local parts); the domain limit stays. 8-bit bytes must be
 *	well-formed UTF-8 and are allowed only with ADDR_PARSE_UTF8. A
 *	mailbox without a domain is syntactically valid (Postfix appends
 *	$myorigin); callers that need a domain use addr_is_fqdn(). A null
 *	domain ("user@") is valid only with ADDR_PARSE_NULLDOM, a bare IP
 *	address as the domain ("user@192.0.2.1") only with
 *	ADDR_PARSE_NUMDOM (resolve_null_domain, resolve_numeric_domain).
 *
 *	addr_quote() converts an address in internal form (local part as
 *	plain text, e.g. from a table) into external form, quoting the local
 *	part when it is not a dot-atom; addr_unquote() does the reverse.
 *	Both split at the last "@". addr_domain() returns the text after the
 *	last "@" outside quotes, or a null pointer; addr_local() stores the
 *	part before it.
 *
 *	addr_is_fqdn() says whether a host name has a dot inside it (not
 *	only a trailing one), or is an address literal. valid_hostname()
 *	checks label syntax (letters, digits, hyphen, underscore; UTF-8 when
 *	utf8 is set; 1..63 bytes a label, 255 in all; no empty label, no
 *	hyphen at a label end) and refuses an all-numeric name (that is an
 *	address). valid_hostaddr() accepts a dotted-quad IPv4 address or an
 *	IPv6 address, optionally prefixed "IPv6:"; valid_hostliteral() the
 *	same inside brackets.
 * DIAGNOSTICS
 *	The parse functions return 0 or -1 with a static reason; the
 *	predicates return 1 (valid) or 0.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "addr_parse.h"
#include "mymalloc.h"

#define ATEXT_SPECIALS	"!#$%&'*+-/=?^_`{|}~"

static int
addr_atext(int c, int flags)
{
	if ((unsigned char)c >= 0x80)
		return (flags & ADDR_PARSE_UTF8) != 0;
	return isalnum(c) || (c && strchr(ATEXT_SPECIALS, c) != NULL);
}

int
valid_utf8(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t	 i = 0, n, k;
	unsigned int cp;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			n = 1, cp = s[i] & 0x1f;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			n = 2, cp = s[i] & 0x0f;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			n = 3, cp = s[i] & 0x07;
		else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += n + 1;
	}
	return 1;
}

/* addr_scan_quoted - length of a quoted string at s, or 0 if malformed. */
static size_t
addr_scan_quoted(const char *s, int flags)
{
	size_t	 i;
	unsigned char c;

	for (i = 1; (c = (unsigned char)s[i]) != 0; i++) {
		if (c == '"')
			return i + 1;
		if (c == '\\') {
			c = (unsigned char)s[++i];
			if (c < 32 || c > 126)
				return 0;
		} else if (c >= 0x80) {
			if (!(flags & ADDR_PARSE_UTF8))
				return 0;
		} else if (c < 32 || c == 127) {
			return 0;
		}
	}
	return 0;
}

/* addr_scan_local - length of a valid local part at s, or 0. */
static size_t
addr_scan_local(const char *s, int flags)
{
	size_t	 i = 0;

	if (*s == '"')
		return addr_scan_quoted(s, flags);
	for (;;) {
		if (!addr_atext(s[i], flags))
			return 0;
		while (addr_atext(s[i], flags))
			i++;
		if (s[i] != '.')
			return i;
		i++;
	}
}

int
valid_hostaddr(const char *addr)
{
	unsigned char buf[16];

	if (strncasecmp(addr, "IPv6:", 5) == 0)
		return inet_pton(AF_INET6, addr + 5, buf) == 1;
	if (strchr(addr, ':') != NULL)
		return inet_pton(AF_INET6, addr, buf) == 1;
	return inet_pton(AF_INET, addr, buf) == 1;
}

int
valid_hostliteral(const char *lit)
{
	char	 buf[64];
	size_t	 len = strlen(lit);

	if (len < 3 || len - 2 >= sizeof(buf) || lit[0] != '[' || lit[len - 1] != ']')
		return 0;
	memcpy(buf, lit + 1, len - 2);
	buf[len - 2] = 0;
	if (strchr(buf, ':') != NULL && strncasecmp(buf, "IPv6:", 5) != 0)
		return 0;
	return valid_hostaddr(buf);
}

int
valid_hostname(const char *name, int utf8)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t	 label = 0, len = strlen(name);
	int	 alldigit = 1;

	if (len == 0 || len > ADDR_DOMAIN_MAX || (utf8 && !valid_utf8(name, len)))
		return 0;
	for (; *p; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (*p == '-' && label == 0)
			return 0;
		if (!(isalnum(*p) || *p == '-' || *p == '_' || (*p >= 0x80 && utf8)))
			return 0;
		if (!isdigit(*p))
			alldigit = 0;
		if (++label > 63)
			return 0;
	}
	if (p[-1] == '-')
		return 0;
	return !alldigit;
}

int
addr_is_fqdn(const char *host)
{
	const char *dot;
	size_t	 len;

	if (*host == '[')
		return valid_hostliteral(host);
	len = strlen(host);
	if (len > 0 && host[len - 1] == '.')
		len--;
	dot = memchr(host, '.', len);
	return dot != NULL && dot != host && dot < host + len - 1;
}

int
addr_valid_mailbox(const char *mb, int flags, const char **why)
{
	size_t	 llen, mlen = strlen(mb);
	size_t	 lmax = (flags & ADDR_PARSE_LONG) ? ADDR_LONG_MAX : ADDR_LOCAL_MAX;
	size_t	 pmax = (flags & ADDR_PARSE_LONG) ? ADDR_LONG_MAX : ADDR_PATH_MAX - 2;
	const char *dom;

	if (mlen > pmax) {
		*why = "5.1.0 address too long";
		return -1;
	}
	if (!valid_utf8(mb, mlen)) {
		*why = "5.6.7 malformed UTF-8 in address";
		return -1;
	}
	for (dom = mb; !(flags & ADDR_PARSE_UTF8) && *dom; dom++)
		if ((unsigned char)*dom >= 0x80) {
			*why = "5.6.7 8-bit address requires SMTPUTF8";
			return -1;
		}
	if ((llen = addr_scan_local(mb, flags)) == 0) {
		*why = "5.1.3 bad address syntax";
		return -1;
	}
	if (llen > lmax) {
		*why = "5.1.3 local part too long";
		return -1;
	}
	if (mb[llen] == 0)
		return 0;
	if (mb[llen] != '@' || (mb[llen + 1] == 0 &&
	    !(flags & ADDR_PARSE_NULLDOM))) {
		*why = "5.1.3 bad address syntax";
		return -1;
	}
	if ((dom = mb + llen + 1)[0] == 0)
		return 0;			/* user@, as asked */
	if (strlen(dom) > ADDR_DOMAIN_MAX) {
		*why = "5.1.2 domain too long";
		return -1;
	}
	if (*dom == '[' ? !valid_hostliteral(dom) :
	    !valid_hostname(dom, flags & ADDR_PARSE_UTF8) &&
	    !((flags & ADDR_PARSE_NUMDOM) && valid_hostaddr(dom))) {
		*why = "5.1.2 bad domain syntax";
		return -1;
	}
	return 0;
}

/* addr_path_end - index of the '>' closing the path, or -1. */
static long
addr_path_end(const char *s)
{
	long	 i;
	int	 quoted = 0;

	for (i = 1; s[i]; i++) {
		if (s[i] == '\\' && quoted && s[i + 1])
			i++;
		else if (s[i] == '"')
			quoted = !quoted;
		else if (s[i] == '>' && !quoted)
			return i;
	}
	return -1;
}

/* addr_skip_route - skip "@a,@b:" (RFC 5321 A-d-l); null if malformed. */
static const char *
addr_skip_route(const char *s, const char *end)
{
	const char *p;

	if (*s != '@')
		return s;
	for (p = s; p < end && *p != ':'; p++)
		if (*p == '"' || *p == '<' || *p == ' ')
			return NULL;
	return p < end ? p + 1 : NULL;
}

/* addr_parse_params - "KEY[=value] ..." after a path. */
static int
addr_parse_params(const char *s, int flags, ARGV *params, const char **why)
{
	const char *start, *eq;
	size_t	 count = 0, i;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == 0)
			return 0;
		start = s;
		s += strcspn(s, " \t");
		if (++count > ADDR_PARAM_MAX) {
			*why = "5.5.4 too many parameters";
			return -1;
		}
		eq = memchr(start, '=', (size_t)(s - start));
		if (!isalnum((unsigned char)*start) || eq == start) {
			*why = "5.5.4 bad parameter syntax";
			return -1;
		}
		for (i = 0; start + i < (eq ? eq : s); i++)
			if (!isalnum((unsigned char)start[i]) && start[i] != '-') {
				*why = "5.5.4 bad parameter keyword";
				return -1;
			}
		for (i = eq ? (size_t)(eq - start) + 1 : (size_t)(s - start);
		    start + i < s; i++)
			if ((unsigned char)start[i] < 33 || start[i] == '=' ||
			    ((unsigned char)start[i] >= 127 && !(flags & ADDR_PARSE_UTF8))) {
				*why = "5.5.4 bad parameter value";
				return -1;
			}
		if (params)
			argv_addn(params, start, (size_t)(s - start));
	}
}

int
addr_parse_path(const char *text, int flags, VSTRING *addr, ARGV *params,
    const char **why)
{
	const char *start, *end, *rest;
	long	 close;

	vstring_reset(addr);
	while (*text == ' ' || *text == '\t')
		text++;
	if (*text == '<') {
		if ((close = addr_path_end(text)) < 0) {
			*why = "5.5.2 missing closing '>'";
			return -1;
		}
		if ((size_t)close + 1 > ((flags & ADDR_PARSE_LONG) ?
		    ADDR_LONG_MAX + 2 : ADDR_PATH_MAX)) {
			*why = "5.1.0 path too long";
			return -1;
		}
		end = text + close;
		rest = end + 1;
		if ((start = addr_skip_route(text + 1, end)) == NULL) {
			*why = "5.1.3 bad source route";
			return -1;
		}
		if (*rest != 0 && *rest != ' ' && *rest != '\t') {
			*why = "5.5.2 garbage after the path";
			return -1;
		}
	} else if ((flags & ADDR_PARSE_BARE) && *text && *text != '@') {
		start = text;
		end = text + strcspn(text, " \t");
		rest = end;
	} else {
		*why = "5.5.2 syntax: <address>";
		return -1;
	}
	vstring_memcpy(addr, start, (size_t)(end - start));
	if (vstring_len(addr) > 0 &&
	    addr_valid_mailbox(vstring_str(addr), flags, why) < 0)
		return -1;
	return addr_parse_params(rest, flags, params, why);
}

/* addr_split - index of the '@' that separates local part and domain. */
static const char *
addr_split(const char *addr)
{
	const char *p, *at = NULL;
	int	 quoted = 0;

	for (p = addr; *p; p++) {
		if (*p == '\\' && quoted && p[1])
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (*p == '@' && !quoted)
			at = p;
	}
	return at;
}

const char *
addr_domain(const char *addr)
{
	const char *at = addr_split(addr);

	return at ? at + 1 : NULL;
}

VSTRING *
addr_local(VSTRING *out, const char *addr)
{
	const char *at = addr_split(addr);

	return vstring_memcpy(out, addr, at ? (size_t)(at - addr) : strlen(addr));
}

VSTRING *
addr_quote(VSTRING *out, const char *internal)
{
	const char *at = strrchr(internal, '@');
	size_t	 llen = at ? (size_t)(at - internal) : strlen(internal);
	char	*local = mystrndup(internal, llen);
	size_t	 i;

	vstring_reset(out);
	if (llen > 0 && addr_scan_local(local, ADDR_PARSE_UTF8) == llen &&
	    local[0] != '"') {
		vstring_strcat(out, local);
	} else {
		vstring_addch(out, '"');
		for (i = 0; i < llen; i++) {
			if (local[i] == '"' || local[i] == '\\')
				vstring_addch(out, '\\');
			vstring_addch(out, local[i]);
		}
		vstring_addch(out, '"');
	}
	if (at)
		vstring_strcat(out, at);
	myfree(local);
	return out;
}

VSTRING *
addr_unquote(VSTRING *out, const char *external)
{
	const char *p;
	int	 quoted = 0;

	vstring_reset(out);
	for (p = external; *p; p++) {
		if (*p == '\\' && quoted && p[1])
			vstring_addch(out, *++p);
		else if (*p == '"')
			quoted = !quoted;
		else
			vstring_addch(out, *p);
	}
	return out;
}
