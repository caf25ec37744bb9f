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
 *	qualification (append_at_myorigin: "user" becomes user@$myorigin,
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
 *	cleanup_addr_map() looks addr up in maps and appends the result's
 *	addresses (internal form) to result: 1 found, 0 not, -1 failed.
 *
 *	cleanup_addr_bcc() looks key (an address in internal form) up in
 *	sender_bcc_maps or recipient_bcc_maps and adds what it finds to
 *	the message's pending BCC recipients; a failed lookup is a
 *	cleanup_map_fail() for addr (the address as the client gave it).
 *
 *	cleanup_addr_list() rewrites every address in an address header
 *	field in place, changing only the addr-spec text: display names,
 *	comments, groups, 8-bit text and RFC 2047 encoded words stay as
 *	they were.
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

void
cleanup_addr_qualify(CLEANUP_CONF *cf, VSTRING *addr, const char *domain)
{
	const char *s = vstring_str(addr), *at = strrchr(s, '@');

	if (*s == 0)
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

/* cleanup_addr_result - one table value into addresses; "@dom" keeps the user. */
static void
cleanup_addr_result(const char *value, const char *local, const char *ext,
    ARGV *result)
{
	ARGV	*list = argv_alloc(4);
	VSTRING	*buf = vstring_alloc(64);
	const char *at;
	size_t	 i;

	addr_parse_list(value, list);
	for (i = 0; i < list->argc; i++) {
		addr_unquote(buf, list->argv[i]);
		if (vstring_str(buf)[0] == '@') {
			vstring_sprintf(buf, "%s%s", local, list->argv[i]);
		} else if (ext && *ext && (at = strrchr(vstring_str(buf), '@')) != NULL) {
			VSTRING *tmp = vstring_alloc(64);

			vstring_sprintf(tmp, "%.*s%s%s", (int)(at - vstring_str(buf)),
			    vstring_str(buf), ext, at);
			vstring_strcpy(buf, vstring_str(tmp));
			vstring_free(tmp);
		} else if (ext && *ext) {
			vstring_strcat(buf, ext);
		}
		argv_add(result, vstring_str(buf));
	}
	argv_free(list);
	vstring_free(buf);
}

int
cleanup_addr_map(CLEANUP_CONF *cf, MAIL_ADDR_MAPS *maps, int propagate,
    const char *addr, ARGV *result)
{
	VSTRING	*val = vstring_alloc(64), *key = vstring_alloc(64);
	VSTRING	*local = vstring_alloc(64), *user = vstring_alloc(64);
	VSTRING	*ext = vstring_alloc(16);
	const char *at = strrchr(addr, '@'), *use_ext = NULL;
	int	 r, flags = cleanup_addr_local_dom(cf, addr) ? MAIL_ADDR_FIND_LOCAL : 0;

	r = mail_addr_find(maps, addr, flags, cf->rcpt_delim, val, key);
	if (r > 0) {
		vstring_memcpy(local, addr, at ? (size_t)(at - addr) : strlen(addr));
		if (propagate && mail_addr_split_ext(vstring_str(local),
		    cf->rcpt_delim, user, ext) &&
		    strcasecmp(vstring_str(key), addr) != 0 &&
		    strcasecmp(vstring_str(key), vstring_str(local)) != 0)
			use_ext = vstring_str(local) + vstring_len(user);
		cleanup_addr_result(vstring_str(val), vstring_str(local), use_ext,
		    result);
	}
	vstring_free(val);
	vstring_free(key);
	vstring_free(local);
	vstring_free(user);
	vstring_free(ext);
	return r;
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

/* Scanner state for one element of an address list. */
typedef struct CLEANUP_ADDR_SPAN {
	size_t	 start, end;		/* addr-spec text, end exclusive */
	int	 angle;			/* from <...> */
	int	 have;
} CLEANUP_ADDR_SPAN;

/* cleanup_addr_one - rewrite the span's address into out; 0 or -1. */
static int
cleanup_addr_one(CLEANUP *c, int class, const char *s, CLEANUP_ADDR_SPAN *sp,
    VSTRING *out, size_t *copied)
{
	VSTRING	*ext = vstring_alloc(64), *in = vstring_alloc(64);
	VSTRING	*q = vstring_alloc(64);
	const char *colon;
	size_t	 start = sp->start;
	int	 r = 0;

	if (sp->angle && s[start] == '@' &&
	    (colon = memchr(s + start, ':', sp->end - start)) != NULL)
		start = (size_t)(colon - s) + 1;
	vstring_memcpy(ext, s + start, sp->end - start);
	if (vstring_len(ext) == 0 || vstring_len(ext) > ADDR_LONG_MAX)
		goto out;
	addr_unquote(in, vstring_str(ext));
	if (cleanup_addr_rewrite(c->conf, class, (c->flags & CLEANUP_FLAG_LOCAL) != 0,
	    in) < 0) {
		cleanup_map_fail(c, "canonical", vstring_str(ext));
		r = -1;
		goto out;
	}
	addr_quote(q, vstring_str(in));
	if (strcmp(vstring_str(q), vstring_str(ext)) != 0) {
		vstring_memcat(out, s + *copied, start - *copied);
		vstring_strcat(out, vstring_str(q));
		*copied = sp->end;
	}
out:
	vstring_free(ext);
	vstring_free(in);
	vstring_free(q);
	return r;
}

/* cleanup_addr_skip - past a quoted string or comment at s[i]. */
static size_t
cleanup_addr_skip(const char *s, size_t i, size_t len)
{
	int	 depth = 0;
	char	 open = s[i];

	for (; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len)
			i++;
		else if (open == '"' && s[i] == '"' && depth++ > 0)
			return i + 1;
		else if (open == '(' && s[i] == '(')
			depth++;
		else if (open == '(' && s[i] == ')' && --depth == 0)
			return i + 1;
	}
	return len;
}

int
cleanup_addr_list(CLEANUP *c, int class, VSTRING *field)
{
	const char *s = vstring_str(field);
	size_t	 len = vstring_len(field), i, copied, next;
	CLEANUP_ADDR_SPAN sp = { 0, 0, 0, 0 };
	VSTRING	*out = vstring_alloc(len + 64);
	int	 r = 0, count = 0;

	copied = 0;
	i = (size_t)(rfc822_hdr_value(s) - s);
	for (; i <= len && count < ADDR_LIST_MAX; i = next) {
		next = i + 1;
		if (i == len || ((s[i] == ',' || s[i] == ';') && sp.angle != 1)) {
			if (sp.have && cleanup_addr_one(c, class, s, &sp, out, &copied) < 0)
				r = -1;
			memset(&sp, 0, sizeof(sp));
			count++;
		} else if (s[i] == ':' && sp.angle != 1) {
			memset(&sp, 0, sizeof(sp));	/* group name */
		} else if (s[i] == '(' || (s[i] == '"' && !sp.angle)) {
			next = cleanup_addr_skip(s, i, len);
			if (s[i] == '"') {
				if (!sp.have)
					sp.start = i;
				sp.have = 1;
				sp.end = next;
			}
		} else if (s[i] == '<' && !sp.angle) {
			sp.angle = 1;
			sp.have = 0;
		} else if (s[i] == '>' && sp.angle == 1) {
			sp.angle = 2;
		} else if (s[i] == '"' && sp.angle == 1) {
			next = cleanup_addr_skip(s, i, len);
			sp.end = next;
		} else if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
		    s[i] != '\n' && sp.angle != 2) {
			if (!sp.have)
				sp.start = i;
			sp.have = 1;
			sp.end = i + 1;
		}
	}
	if (copied > 0) {
		vstring_memcat(out, s + copied, len - copied);
		vstring_memcpy(field, vstring_str(out), vstring_len(out));
	}
	vstring_free(out);
	return r;
}
