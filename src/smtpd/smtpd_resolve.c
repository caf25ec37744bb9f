/*
 * NAME
 *	smtpd_resolve - address classes and known recipients
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	char *smtpd_resolve_qualify(const SMTPD_CONF *conf, const char *addr);
 *	int   smtpd_resolve_class(SMTPD_STATE *state, const char *addr,
 *		int *error);
 *	int   smtpd_resolve_routed(SMTPD_STATE *state, const char *addr);
 *	int   smtpd_resolve_known_rcpt(SMTPD_STATE *state, const char *addr,
 *		int class, int *error, VSTRING *moved);
 * DESCRIPTION
 *	smtpd_resolve_qualify() returns a copy of addr with "@$myorigin"
 *	appended when it has no domain (the null address stays empty),
 *	after the rewrite step that the cleanup stage applies first
 *	(resolve_class_rewrite(3): site!user and user%domain become
 *	user@site and user@domain).
 *
 *	smtpd_resolve_class() tells where mail for an address goes, with
 *	resolve_class(3), the decision the queue manager routes by:
 *	SMTPD_DEST_LOCAL (the domain matches mydestination, or is an
 *	address literal of this host's inet_interfaces or
 *	proxy_interfaces), SMTPD_DEST_RELAY (relay_domains) or
 *	SMTPD_DEST_OTHER, for the address after Postfix's resolve step
 *	(user%remote@mydomain goes to remote). An address that goes off
 *	this host with sender-specified routing left in its local part
 *	("%", "!" or a quoted "@") is OTHER unless allow_untrusted_routing
 *	is set, so that it cannot be used to relay through us.
 *
 *	smtpd_resolve_routed() says whether an address goes off this host
 *	with sender-specified routing left in it, while
 *	allow_untrusted_routing is off: an OK from check_recipient_access
 *	does not count for it (Postfix's "suspicious" recipient).
 *
 *	smtpd_resolve_known_rcpt() decides, as Postfix's check_rcpt_maps,
 *	whether an address (resolved as resolve_class(3) does, unquoted for
 *	the lookups, mail_addr_find(3) keys) exists: an address in relocated_maps is not (moved gets the
 *	new address); one in recipient_canonical_maps, canonical_maps or
 *	virtual_alias_maps is (the cleanup stage rewrites it); otherwise by
 *	class: LOCAL in local_recipient_maps, VALIAS never (only
 *	virtual_alias_maps knows its users), VMAILBOX in
 *	virtual_mailbox_maps, RELAY in relay_recipient_maps, the default
 *	class always. An empty local_recipient_maps, virtual_mailbox_maps or
 *	relay_recipient_maps accepts every address, as in Postfix. A key found in any table wins over a
 *	table that failed (a missing aliases.db must not make every local
 *	user unknown); a failure with nothing found is an error.
 * DIAGNOSTICS
 *	*error is set to 1 when a table lookup failed temporarily.
 */
#include <string.h>

#include "mymalloc.h"
#include "smtpd.h"

char *
smtpd_resolve_qualify(const SMTPD_CONF *conf, const char *addr)
{
	VSTRING	*rw;
	char	*out;

	if (*addr == 0 || addr_domain(addr) != NULL)
		return mystrdup(addr);
	/* The rewrite step first, as in the cleanup stage: site!user. */
	if (strpbrk(addr, "!%") != NULL && strchr(addr, '"') == NULL) {
		rw = vstring_alloc(64);
		vstring_strcpy(rw, addr);
		if (resolve_class_rewrite(conf->resolve, rw))
			return vstring_export(rw);
		vstring_free(rw);
	}
	out = mymalloc(strlen(addr) + strlen(conf->myorigin) + 2);
	strcpy(out, addr);
	strcat(out, "@");
	strcat(out, conf->myorigin);
	return out;
}

int
smtpd_resolve_routed(SMTPD_STATE *state, const char *addr)
{
	RESOLVE_CLASS *rc = state->conf->resolve;
	VSTRING	*resolved;
	char	*q;
	int	 routed;

	if (rc->switches & RESOLVE_SW_ROUTING)
		return 0;
	q = smtpd_resolve_qualify(state->conf, addr);
	resolved = vstring_alloc(64);
	routed = resolve_class_addr(rc, q, 0, resolved) != RESOLVE_CLASS_LOCAL &&
	    resolve_class_routed(vstring_str(resolved));
	vstring_free(resolved);
	myfree(q);
	return routed;
}

int
smtpd_resolve_class(SMTPD_STATE *state, const char *addr, int *error)
{
	int	 class;

	class = resolve_class(state->conf->resolve, addr, RESOLVE_FLAG_ROUTED);
	if (class != RESOLVE_CLASS_ERROR)
		return class;
	*error = 1;
	return SMTPD_DEST_OTHER;
}

/* smtpd_resolve_find - one map list, unquoted address; 1, 0, -1. */
static int
smtpd_resolve_find(SMTPD_STATE *state, MAIL_ADDR_MAPS *maps, const char *addr,
    int flags, VSTRING *result)
{
	if (maps == NULL || maps->ndict == 0)
		return 0;
	return mail_addr_find(maps, addr, flags, state->conf->rcpt_delim,
	    result, NULL);
}

int
smtpd_resolve_known_rcpt(SMTPD_STATE *state, const char *addr, int class,
    int *error, VSTRING *moved)
{
	const SMTPD_CONF *conf = state->conf;
	MAIL_ADDR_MAPS *maps;
	char	*resolved;
	VSTRING	*internal;
	int	 r, local = class == SMTPD_DEST_LOCAL ? MAIL_ADDR_FIND_LOCAL : 0;

	/* The resolved address (user%host@mydomain: user@host), unquoted. */
	internal = vstring_alloc(100);
	if (resolve_class_resolve(conf->resolve, addr, internal) > 0) {
		resolved = mystrdup(vstring_str(internal));
		addr_unquote(internal, resolved);
		myfree(resolved);
	} else
		addr_unquote(internal, addr);
	if ((r = smtpd_resolve_find(state, conf->relocated_maps,
	    vstring_str(internal), local, moved)) != 0)
		goto out;
	vstring_reset(moved);
	/* An address the cleanup stage will rewrite is known (as Postfix). */
	if ((r = smtpd_resolve_find(state, conf->rcpt_canon_maps,
	    vstring_str(internal), local, NULL)) != 0 ||
	    (r = smtpd_resolve_find(state, conf->canon_maps,
	    vstring_str(internal), local, NULL)) != 0 ||
	    (r = smtpd_resolve_find(state, conf->virt_alias_maps,
	    vstring_str(internal), local, NULL)) != 0)
		goto out;
	switch (class) {
	case SMTPD_DEST_LOCAL:
		maps = conf->local_rcpt_maps;
		break;
	case SMTPD_DEST_RELAY:
		maps = conf->relay_rcpt_maps;
		break;
	case SMTPD_DEST_VALIAS:
		r = 0;			/* only virtual_alias_maps knows them */
		goto out;
	case SMTPD_DEST_VMAILBOX:
		maps = conf->virt_mailbox_maps;
		break;
	default:
		r = 1;
		goto out;
	}
	if (maps == NULL || maps->ndict == 0) {
		r = 1;
		goto out;
	}
	r = mail_addr_find(maps, vstring_str(internal), MAIL_ADDR_FIND_ANY |
	    local, conf->rcpt_delim, NULL, NULL);
out:
	vstring_free(internal);
	if (r < 0) {
		*error = 1;
		return 0;
	}
	if (vstring_len(moved) > 0)
		return 0;
	return r;
}
