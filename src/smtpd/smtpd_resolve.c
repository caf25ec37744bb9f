/*
 * NAME
 *	smtpd_resolve - address classes and known recipients
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	char *smtpd_resolve_qualify(const SMTPD_CONF *conf, const char *addr);
 *	int   smtpd_resolve_class(SMTPD_STATE *state, const char *addr,
 *		int *error);
 *	int   smtpd_resolve_known_rcpt(SMTPD_STATE *state, const char *addr,
 *		int class, int *error);
 * DESCRIPTION
 *	smtpd_resolve_qualify() returns a copy of addr with "@$myorigin"
 *	appended when it has no domain (the null address stays empty).
 *
 *	smtpd_resolve_class() tells where mail for an address goes, with
 *	resolve_class(3), the decision the queue manager routes by:
 *	SMTPD_DEST_LOCAL (the domain matches mydestination, or is an
 *	address literal of this host's inet_interfaces or
 *	proxy_interfaces), SMTPD_DEST_RELAY (relay_domains) or
 *	SMTPD_DEST_OTHER. An address whose local part carries
 *	sender-specified routing ("%", "!" or a quoted "@") is always
 *	OTHER, so that it cannot be used to relay through us.
 *
 *	smtpd_resolve_known_rcpt() looks the address (unquoted) up with
 *	mail_addr_find(3) in local_recipient_maps (LOCAL: the address, the
 *	address without recipient_delimiter extension, the local part with
 *	and without extension, "@domain") or relay_recipient_maps (RELAY:
 *	the same without the bare local parts). An empty map list accepts
 *	every address, as in Postfix. A key found in any table wins over a
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
	char	*out;

	if (*addr == 0 || addr_domain(addr) != NULL)
		return mystrdup(addr);
	out = mymalloc(strlen(addr) + strlen(conf->myorigin) + 2);
	strcpy(out, addr);
	strcat(out, "@");
	strcat(out, conf->myorigin);
	return out;
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

int
smtpd_resolve_known_rcpt(SMTPD_STATE *state, const char *addr, int class,
    int *error)
{
	MAIL_ADDR_MAPS *maps;
	VSTRING	*internal;
	int	 r;

	if (class == SMTPD_DEST_LOCAL)
		maps = state->conf->local_rcpt_maps;
	else if (class == SMTPD_DEST_RELAY)
		maps = state->conf->relay_rcpt_maps;
	else
		return 1;
	if (maps == NULL || maps->ndict == 0)
		return 1;
	/* Tables hold addresses in internal (unquoted) form. */
	internal = addr_unquote(vstring_alloc(100), addr);
	r = mail_addr_find(maps, vstring_str(internal), MAIL_ADDR_FIND_ANY |
	    (class == SMTPD_DEST_LOCAL ? MAIL_ADDR_FIND_LOCAL : 0),
	    state->conf->rcpt_delim, NULL, NULL);
	vstring_free(internal);
	if (r < 0) {
		*error = 1;
		return 0;
	}
	return r;
}
