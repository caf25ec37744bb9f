/*
 * NAME
 *	cleanup_rcpt - recipients in the cleanup stage: rewriting, virtual
 *	aliasing, bcc
 * SYNOPSIS
 *	#include <cleanup.h>
 *
 *	int	cleanup_rcpt(CLEANUP *c, const char *addr, const char *orcpt,
 *		    int notify);
 *
 *	#include "cleanup_priv.h"
 *
 *	int	cleanup_rcpt_out(CLEANUP *c, const char *addr,
 *		    const char *orcpt, int notify);
 *	void	cleanup_rcpt_bcc(CLEANUP *c);
 * DESCRIPTION
 *	cleanup_rcpt() takes one envelope recipient (external form):
 *	qualification, recipient_canonical_maps, canonical_maps and
 *	masquerading (cleanup_addr(3)), the recipient_bcc_maps lookup (its
 *	result is added at the end of the message), then virtual_alias_maps
 *	expansion, and writes each resulting address once.
 *
 *	Virtual aliasing follows Postfix's cleanup: the table keys of
 *	virtual(5) (user+ext@domain, user@domain, user+ext and user for
 *	local domains, @domain), one-to-many values separated by commas or
 *	white space, each result expanded again. An address whose value
 *	names the address itself is kept (it is also delivered), an address
 *	already expanded in this expansion is not expanded twice (an alias
 *	loop ends there instead of looping). More than
 *	virtual_alias_recursion_limit nested lookups, or more than
 *	virtual_alias_expansion_limit addresses from one recipient, and the
 *	message is not accepted (deferred, 451 4.3.0), as a failed table
 *	lookup: never accepted and then lost.
 *
 *	A recipient that is the null address ("" or "<>", which SMTP never
 *	accepts, but a header or a table can produce) becomes
 *	empty_address_recipient (MAILER-DAEMON: the local alias, usually to
 *	postmaster), rewritten and aliased like any other.
 *
 *	cleanup_rcpt_out() takes one final recipient through the resolve
 *	step (resolve_class_resolve(3)), so that user%remote@mydomain,
 *	remote!user@mydomain or "user@remote"@mydomain is queued as
 *	user@remote (the address before is kept as the original
 *	recipient), the address smtpd's relay control judged; the queue
 *	manager then routes it as it stands. It writes it unless the same
 *	address with the same ORCPT and NOTIFY was written already (the
 *	duplicate test of Postfix's cleanup). The test remembers at most
 *	duplicate_filter_limit recipients (0: no limit), so that a huge
 *	list cannot take unbounded memory; later ones are written as they
 *	come.
 *
 *	cleanup_rcpt_bcc() adds, at the end of a message that has
 *	recipients, the sender_bcc_maps and recipient_bcc_maps results and
 *	always_bcc, with NOTIFY=NEVER, through the same rewriting and
 *	aliasing.
 * DIAGNOSTICS
 *	cleanup_rcpt() returns the number of recipients written, or -1
 *	after a table failure or an expansion limit (logged with the queue
 *	id). Nothing of that recipient is written then; the message is
 *	deferred by cleanup_close(), unless the stage was opened with
 *	CLEANUP_FLAG_RCPT_SOFT: then the caller refuses that recipient
 *	(smtpd: 451 4.3.0 at RCPT) and the message goes on without it.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr_parse.h"
#include "cleanup_priv.h"
#include "msg.h"
#include "mymalloc.h"

int
cleanup_rcpt_out(CLEANUP *c, const char *addr, const char *orcpt, int notify)
{
	static VSTRING *res;
	VSTRING	*key = vstring_alloc(64), *oc = NULL;
	int	 r;

	if (res == NULL)
		res = vstring_alloc(64);
	/* The resolve step: user%remote@mydomain is queued as user@remote. */
	if ((r = resolve_class_resolve(c->conf->resolve, addr, res)) < 0) {
		cleanup_map_fail(c, "mydestination", addr);
	} else if (r > 0) {
		if (orcpt == NULL && c->conf->orig_rcpt) {
			oc = vstring_alloc(64);
			vstring_sprintf(oc, "rfc822;%s", addr);
			orcpt = vstring_str(oc);
		}
		addr = vstring_str(res);
	}
	/* Postfix's duplicate test: the same address, ORCPT and NOTIFY. */
	vstring_sprintf(key, "%s\n%d\n%s", orcpt ? orcpt : "", notify, addr);
	if (htable_find(c->dups, vstring_str(key)) != NULL) {
		r = 0;
		goto out;
	}
	if (c->conf->dup_limit <= 0 || c->dups->used < (size_t)c->conf->dup_limit)
		htable_enter(c->dups, vstring_str(key), c);
	qf_add_rcpt(c->qf, addr, orcpt, notify);
	argv_add(c->rcpts, addr);
	r = 1;
out:
	vstring_free(key);
	if (oc)
		vstring_free(oc);
	return r;
}

/* cleanup_rcpt_virtual - expand addr (internal form) into out. 0 or -1. */
static int
cleanup_rcpt_virtual(CLEANUP *c, const char *addr, ARGV *out)
{
	CLEANUP_CONF *cf = c->conf;
	HTABLE	*seen = htable_create(16);
	ARGV	*res = argv_alloc(4);
	size_t	 i, j;
	int	 n, r = 0, prop = cf->propagate & CLEANUP_EXT_VIRTUAL;

	argv_add(out, addr);
	for (i = 0; i < out->argc && r == 0; i++) {
		if (out->argc > (size_t)cf->virt_expansion) {
			msg_warn_as("cleanup", "%s: unreasonable %s map "
			    "expansion size for %s -- message not accepted, "
			    "try again later", c->id, cf->virt->title, addr);
			r = -1;
			break;
		}
		for (n = 0;; n++) {
			if (htable_locate(seen, out->argv[i]) != NULL)
				break;
			if (n >= cf->virt_recursion) {
				msg_warn_as("cleanup", "%s: unreasonable %s "
				    "map nesting for %s -- message not "
				    "accepted, try again later", c->id,
				    cf->virt->title, addr);
				r = -1;
				break;
			}
			htable_enter(seen, out->argv[i], NULL);
			argv_truncate(res, 0);
			if ((r = cleanup_addr_map(cf, cf->virt, prop, out->argv[i], res)) < 0) {
				cleanup_map_fail(c, cf->virt->title, out->argv[i]);
				break;
			}
			if (r == 0 || res->argc == 0) {
				r = 0;
				break;
			}
			r = 0;
			for (j = 1; j < res->argc; j++)
				argv_add(out, res->argv[j]);
			if (strcasecmp(res->argv[0], out->argv[i]) == 0)
				break;		/* the address itself: keep it */
			myfree(out->argv[i]);
			out->argv[i] = mystrdup(res->argv[0]);
		}
	}
	htable_free(seen, NULL);
	argv_free(res);
	if (r < 0)
		c->errs |= CLEANUP_ERR_MAP;
	return r;
}

/* cleanup_rcpt_write - final addresses (internal) with ORCPT. */
static int
cleanup_rcpt_write(CLEANUP *c, const char *orig, ARGV *list, const char *orcpt,
    int notify)
{
	VSTRING	*ext = vstring_alloc(64), *oc = NULL;
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < list->argc; i++) {
		addr_quote(ext, list->argv[i]);
		if (orcpt == NULL && c->conf->orig_rcpt && *orig &&
		    strcasecmp(vstring_str(ext), orig) != 0 && oc == NULL) {
			oc = vstring_alloc(64);
			vstring_sprintf(oc, "rfc822;%s", orig);
		}
		n += cleanup_rcpt_out(c, vstring_str(ext),
		    orcpt ? orcpt : oc ? vstring_str(oc) : NULL, notify);
	}
	vstring_free(ext);
	if (oc)
		vstring_free(oc);
	return n;
}

int
cleanup_rcpt(CLEANUP *c, const char *addr, const char *orcpt, int notify)
{
	CLEANUP_CONF *cf = c->conf;
	VSTRING	*in;
	ARGV	*list;
	int	 n, errs = c->errs;

	/* The null address as a recipient: configuration or software error. */
	if (*addr == 0 || strcmp(addr, "<>") == 0)
		addr = cf->empty_rcpt;
	if (!(c->flags & CLEANUP_FLAG_MAP))
		return cleanup_rcpt_out(c, addr, orcpt, notify);
	in = addr_unquote(vstring_alloc(64), addr);
	list = argv_alloc(1);
	if (cleanup_addr_rewrite(cf, CLEANUP_CLASS_ENV_RCPT, 1, in) < 0) {
		cleanup_map_fail(c, "canonical", addr);
		n = -1;
		goto out;
	}
	if (cf->rcpt_bcc && (c->flags & CLEANUP_FLAG_BCC))
		cleanup_addr_bcc(c, cf->rcpt_bcc, vstring_str(in),
		    vstring_str(in));
	if (cf->virt == NULL)
		argv_add(list, vstring_str(in));
	else if (cleanup_rcpt_virtual(c, vstring_str(in), list) < 0) {
		n = -1;
		goto out;
	}
	n = cleanup_rcpt_write(c, addr, list, orcpt, notify);
out:
	vstring_free(in);
	argv_free(list);
	/* Nothing of this recipient was written: the caller may refuse it. */
	if (n < 0 && (c->flags & CLEANUP_FLAG_RCPT_SOFT))
		c->errs = errs;
	return n;
}

void
cleanup_rcpt_bcc(CLEANUP *c)
{
	ARGV	*bcc = c->bcc;
	VSTRING	*in = vstring_alloc(64), *ext = vstring_alloc(64);
	size_t	 i;

	if (c->rcpts->argc == 0)
		goto out;
	c->flags &= ~CLEANUP_FLAG_BCC;		/* no bcc of a bcc */
	if (*c->conf->always_bcc) {
		if (bcc == NULL)
			bcc = c->bcc = argv_alloc(1);
		argv_add(bcc, c->conf->always_bcc);
	}
	for (i = 0; bcc && i < bcc->argc; i++) {
		addr_unquote(in, bcc->argv[i]);
		cleanup_addr_qualify(c->conf, in, c->conf->myorigin);
		addr_quote(ext, vstring_str(in));
		(void)cleanup_rcpt(c, vstring_str(ext), NULL, QF_NOTIFY_NEVER);
	}
out:
	vstring_free(in);
	vstring_free(ext);
}
