/*
 * NAME
 *	cleanup_addr - canonical mapping, masquerading and qualification
 * SYNOPSIS
 *	#include <cleanup.h>
 *
 *	int	cleanup_addr_rewrite(CLEANUP_CONF *cf, int class, int local,
 *		    VSTRING *addr);
 *
 *	#include "cleanup_priv.h"
 *
 *	int	cleanup_addr_map(CLEANUP_CONF *cf, MAIL_ADDR_MAPS *maps,
 *		    int propagate, const char *addr, ARGV *result);
 *	void	cleanup_addr_qualify(CLEANUP_CONF *cf, VSTRING *addr,
 *		    const char *domain);
 *	int	cleanup_addr_list(CLEANUP *c, int class, VSTRING *field);
 *	void	cleanup_map_fail(CLEANUP *c, const char *table,
 *		    const char *addr);
 *	void	cleanup_addr_bcc(CLEANUP *c, MAIL_ADDR_MAPS *maps,
 *		    const char *key, const char *addr);
 * DESCRIPTION
 *	cleanup_addr_rewrite() rewrites one address in internal form, in
 *	place, for the class it appears in (CLEANUP_CLASS_ENV_SENDER,
 *	_ENV_RCPT, _HDR_SENDER, _HDR_RCPT), in Postfix's order:
 *	qualification (an address without "@" first goes through the
 *	rewrite step of resolve_class_rewrite(3): "site!user" becomes
 *	user@site with swap_bangpath, "user%domain" user@domain with
 *	allow_percent_hack, unless the local part needs quotes; then
 *	append_at_myorigin: "user" becomes user@$myorigin,
 *	or @$remote_header_rewrite_domain in headers of remote mail, local
 *	== 0; append_dot_mydomain: "user@host" becomes
 *	user@host.$mydomain), sender_canonical_maps or
 *	recipient_canonical_maps, then canonical_maps (each only for the
 *	classes its *_classes parameter names; nested up to 10 times, as
 *	Postfix), then masquerade_domains (for masquerade_classes).
 *
 *	Table keys are as canonical(5) says: user+ext@domain, user@domain,
 *	user+ext and user (only when the domain is local: mydestination or
 *	this host's address literals), @domain. A value "@other" keeps the
 *	local part ("@domain @other" moves a whole domain). An extension
 *	that the matching key did not contain is added to the result when
 *	propagate_unmatched_extensions names canonical (or virtual, for
 *	virtual aliasing through cleanup_addr_map()).
 *
 *	Masquerading: the first masquerade_domains entry that the
 *	address's domain is a subdomain of replaces the domain; an entry
 *	"!domain" that matches first leaves the address alone. Local parts
 *	named in masquerade_exceptions are never masqueraded.
 *
 *	cleanup_addr_map() is mail_addr_map(3) with the "user" keys tried
 *	when the address's domain is local: 1 found, 0 not, -1 failed.
 *
 *	cleanup_addr_bcc() looks key (an address in internal form) up in
 *	sender_bcc_maps or recipient_bcc_maps and adds what it finds to
 *	the message's pending BCC recipients; a failed lookup is a
 *	cleanup_map_fail() for addr (the address as the client gave it).
 *
 *	cleanup_addr_list() rewrites every address in an address header
 *	field in place with cleanup_addr_rewrite(), changing only the
 *	addr-spec text (hdr_addr(3)): display names, comments, groups,
 *	8-bit text and RFC 2047 encoded words stay as they were.
 * DIAGNOSTICS
 *	cleanup_addr_rewrite() returns 0, or -1 when a table failed (the
 *	address is then left as it was). cleanup_map_fail() logs Postfix's
 *	warning and marks the message for deferral.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr_parse.h"
#include "cleanup_priv.h"
#include "hdr_addr.h"
#include "msg.h"
#include "mymalloc.h"

void
cleanup_map_fail(CLEANUP *c, const char *table, const char *addr)
{
	msg_warn_as("cleanup", "%s: %s map lookup problem for %s -- "
	    "message not accepted, try again later", c->id, table, addr);
	c->errs |= CLEANUP_ERR_MAP;
}

void
cleanup_addr_bcc(CLEANUP *c, MAIL_ADDR_MAPS *maps, const char *key,
    const char *addr)
{
	VSTRING	*val = vstring_alloc(64);
	int	 r = mail_addr_find(maps, key, 0, c->conf->rcpt_delim, val, NULL);

	if (r > 0) {
		if (c->bcc == NULL)
			c->bcc = argv_alloc(4);
		argv_add(c->bcc, vstring_str(val));
	} else if (r < 0) {
		cleanup_map_fail(c, maps->title, addr);
	}
	vstring_free(val);
}

/* cleanup_addr_atom - a local part (internal) that needs no quotes? */
static int
cleanup_addr_atom(const char *local)
{
	VSTRING	*q = addr_quote(vstring_alloc(64), local);
	int	 atom = *vstring_str(q) != '"';

	vstring_free(q);
	return atom;
}

void
cleanup_addr_qualify(CLEANUP_CONF *cf, VSTRING *addr, const char *domain)
{
	const char *s = vstring_str(addr), *at = strrchr(s, '@');

	if (*s == 0)
		return;
	/*
	 * The rewrite step: site!user and user%domain (resolve_class(3)), not
	 * inside a local part that needs quotes ("a!b c": the resolve step's
	 * resolve_dequoted_address decides about those, in smtpd too).
	 */
	if (at == NULL && strpbrk(s, "!%") != NULL &&
	    cleanup_addr_atom(s) && resolve_class_rewrite(cf->resolve, addr))
		return;
	if (at == NULL) {
		if (cf->append_at_myorigin && *domain)
			vstring_sprintf_append(addr, "@%s", domain);
	} else if (cf->append_dot_mydomain && at[1] && at[1] != '[' &&
	    strchr(at + 1, '.') == NULL && *cf->mydomain) {
		vstring_sprintf_append(addr, ".%s", cf->mydomain);
	}
}

/* cleanup_addr_local_dom - may "user" keys be tried for this address? */
static int
cleanup_addr_local_dom(CLEANUP_CONF *cf, const char *addr)
{
	const char *at = strrchr(addr, '@');

	if (at == NULL)
		return 1;
	return resolve_class_local(cf->resolve, at + 1) > 0;
}

int
cleanup_addr_map(CLEANUP_CONF *cf, MAIL_ADDR_MAPS *maps, int propagate,
    const char *addr, ARGV *result)
{
	int	 flags = cleanup_addr_local_dom(cf, addr) ? MAIL_ADDR_FIND_LOCAL : 0;

	return mail_addr_map(maps, addr, flags, cf->rcpt_delim, propagate, result);
}

/* cleanup_addr_canon - one canonical table, nested: 0, -1. */
static int
cleanup_addr_canon(CLEANUP_CONF *cf, MAIL_ADDR_MAPS *maps, VSTRING *addr)
{
	ARGV	*res = argv_alloc(2);
	int	 n, r = 0;

	for (n = 0; n < CLEANUP_CANON_NEST; n++) {
		argv_truncate(res, 0);
		r = cleanup_addr_map(cf, maps, cf->propagate & CLEANUP_EXT_CANONICAL,
		    vstring_str(addr), res);
		if (r <= 0 || res->argc == 0)
			break;
		if (res->argc > 1)
			msg_warn("%s: multi-valued entry for %s", maps->title,
			    vstring_str(addr));
		if (strcasecmp(res->argv[0], vstring_str(addr)) == 0) {
			r = 0;
			break;
		}
		vstring_strcpy(addr, res->argv[0]);
	}
	if (n == CLEANUP_CANON_NEST) {
		msg_warn("unreasonable %s map nesting for %s", maps->title,
		    vstring_str(addr));
		r = -1;
	}
	argv_free(res);
	return r < 0 ? -1 : 0;
}

/* cleanup_addr_masq - masquerade_domains, masquerade_exceptions. */
static void
cleanup_addr_masq(CLEANUP_CONF *cf, VSTRING *addr)
{
	char	*s = vstring_str(addr), *at = strrchr(s, '@');
	const char *m;
	size_t	 i, dlen, mlen;
	int	 except;

	if (at == NULL || at[1] == 0)
		return;
	for (i = 0; cf->masq_except && i < cf->masq_except->argc; i++)
		if (strncasecmp(s, cf->masq_except->argv[i], (size_t)(at - s)) == 0 &&
		    cf->masq_except->argv[i][at - s] == 0)
			return;
	dlen = strlen(at + 1);
	for (i = 0; i < cf->masq_domains->argc; i++) {
		m = cf->masq_domains->argv[i];
		if ((except = (*m == '!')) != 0)
			m++;
		if ((mlen = strlen(m)) == 0)
			continue;
		if (except && dlen == mlen && strcasecmp(at + 1, m) == 0)
			return;
		if (mlen < dlen && at[dlen - mlen] == '.' &&
		    strcasecmp(at + 1 + dlen - mlen, m) == 0) {
			if (!except) {
				vstring_truncate(addr, (size_t)(at - s) + 1);
				vstring_strcat(addr, m);
			}
			return;
		}
	}
}

int
cleanup_addr_rewrite(CLEANUP_CONF *cf, int class, int local, VSTRING *addr)
{
	int	 sender = (class & (CLEANUP_CLASS_ENV_SENDER | CLEANUP_CLASS_HDR_SENDER));
	MAIL_ADDR_MAPS *own = sender ? cf->send_canon : cf->rcpt_canon;
	int	 own_classes = sender ? cf->send_canon_classes : cf->rcpt_canon_classes;

	if (vstring_len(addr) == 0)
		return 0;
	cleanup_addr_qualify(cf, addr, local ? cf->myorigin : cf->remote_domain);
	if (own && (own_classes & class) && cleanup_addr_canon(cf, own, addr) < 0)
		return -1;
	if (cf->canon && (cf->canon_classes & class) &&
	    cleanup_addr_canon(cf, cf->canon, addr) < 0)
		return -1;
	if (cf->masq_domains && (cf->masq_classes & class))
		cleanup_addr_masq(cf, addr);
	return 0;
}

/* Context of cleanup_addr_hdr(). */
typedef struct CLEANUP_ADDR_HDR {
	CLEANUP	*c;
	int	 class;
} CLEANUP_ADDR_HDR;

/* cleanup_addr_hdr - one address of a header field (hdr_addr(3)). */
static int
cleanup_addr_hdr(void *ctx, const char *ext, VSTRING *addr)
{
	CLEANUP_ADDR_HDR *h = ctx;

	if (cleanup_addr_rewrite(h->c->conf, h->class,
	    (h->c->flags & CLEANUP_FLAG_LOCAL) != 0, addr) < 0) {
		cleanup_map_fail(h->c, "canonical", ext);
		return -1;
	}
	return 0;
}

int
cleanup_addr_list(CLEANUP *c, int class, VSTRING *field)
{
	CLEANUP_ADDR_HDR h;

	h.c = c;
	h.class = class;
	return hdr_addr_rewrite(field, cleanup_addr_hdr, &h) < 0 ? -1 : 0;
}
