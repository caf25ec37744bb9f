/*
 * addr_parse.h - RFC 5321 paths, RFC 5322 address lists, quoting, host
 * name checks. See addr_parse.c, addr_list.c.
 */
#ifndef ADDR_PARSE_H
#define ADDR_PARSE_H

#include "argv.h"
#include "vstring.h"

#define ADDR_LOCAL_MAX	64		/* RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX	255		/* RFC 5321 4.5.3.1.2 */
#define ADDR_PATH_MAX	256		/* RFC 5321 4.5.3.1.3, with <> */
#define ADDR_LONG_MAX	1000		/* local part, path with ADDR_PARSE_LONG */
#define ADDR_PARAM_MAX	32		/* ESMTP parameters after a path */
#define ADDR_LIST_MAX	10000		/* addresses from one header */

/* Flags. */
#define ADDR_PARSE_UTF8	(1 << 0)	/* SMTPUTF8: UTF-8 in local part, domain */
#define ADDR_PARSE_BARE	(1 << 1)	/* tolerate a path without <> */
#define ADDR_PARSE_LONG	(1 << 2)	/* local part, path up to ADDR_LONG_MAX */
#define ADDR_PARSE_NULLDOM (1 << 3)	/* user@ (resolve_null_domain) */
#define ADDR_PARSE_NUMDOM (1 << 4)	/* user@192.0.2.1 (resolve_numeric_domain) */

/*
 * addr_parse_path(text, flags, addr, params, why): parse what follows
 * "MAIL FROM:" / "RCPT TO:". addr gets the mailbox in external form
 * (quotes kept, brackets and source route removed; "" for <>); params
 * (may be null) gets the ESMTP parameters "KEYWORD[=value]". 0, or -1
 * with why pointing to a static text suitable after "501 5.1.x ".
 */
int	 addr_parse_path(const char *, int, VSTRING *, ARGV *, const char **);

/* addr_valid_mailbox(mailbox, flags, why): local[@domain] syntax, limits. */
int	 addr_valid_mailbox(const char *, int, const char **);

/* Quoting: internal form (unquoted local part) <-> external (RFC 5321). */
VSTRING	*addr_quote(VSTRING *, const char *);
VSTRING	*addr_unquote(VSTRING *, const char *);

/* The domain part (after the last '@') or null; local part into buf. */
const char *addr_domain(const char *);
VSTRING	*addr_local(VSTRING *, const char *);

/*
 * addr_parse_list(header_value, out): append every addr-spec of an RFC 5322
 * address-list (display names, comments, groups, routes) to out, in
 * external form. Returns the number added (bounded by ADDR_LIST_MAX).
 */
int	 addr_parse_list(const char *, ARGV *);

/* Host names and addresses (1 = valid). */
int	 addr_is_fqdn(const char *);		/* has an inner dot, or [literal] */
int	 valid_hostname(const char *, int utf8);
int	 valid_hostaddr(const char *);		/* 192.0.2.1, 2001:db8::1, IPv6:... */
int	 valid_hostliteral(const char *);	/* [192.0.2.1], [IPv6:...] */
int	 valid_utf8(const char *, size_t);

#endif
