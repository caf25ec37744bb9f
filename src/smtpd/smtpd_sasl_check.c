/*
 * NAME
 *	smtpd_sasl_check - restrictions that depend on SMTP AUTH
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int smtpd_sasl_check(SMTPD_CHECK *c, const char *name);
 * DESCRIPTION
 *	smtpd_sasl_check() evaluates the restriction name when it is one
 *	of:
 *	permit_sasl_authenticated: OK when the client authenticated (not
 *	    with ANONYMOUS).
 *	reject_sender_login_mismatch: reject when smtpd_sender_login_maps
 *	    names owners for the MAIL FROM address and the client is not
 *	    logged in as one of them, or when the client is logged in and
 *	    its login does not own the address (also when the address is
 *	    not in the table).
 *	reject_known_sender_login_mismatch: as above, but only for
 *	    addresses the table knows.
 *	reject_authenticated_sender_login_mismatch: only the second half
 *	    (authenticated clients).
 *	reject_unauthenticated_sender_login_mismatch: only the first half
 *	    (clients that did not authenticate).
 *	Owners are the table's result, a list separated by commas or
 *	spaces, compared with the login name without regard to case.
 *	Addresses are looked up as Postfix does (user+ext@domain,
 *	user@domain, user+ext and user for local domains, @domain). The
 *	null sender is never checked.
 *
 *	Replies, as Postfix: "553 5.7.1 <addr>: Sender address rejected:
 *	not owned by user alice" and "553 5.7.1 <addr>: Sender address
 *	rejected: not logged in"; a failed table lookup "451 4.3.0 <addr>:
 *	Sender address rejected: Temporary lookup failure".
 * DIAGNOSTICS
 *	SMTPD_CHECK_OK, SMTPD_CHECK_DUNNO, SMTPD_CHECK_REJECT, or -2 when
 *	name is none of these.
 */
#include <string.h>
#include <strings.h>

#include "argv.h"
#include "mymalloc.h"
#include "smtpd.h"

/* Owners of sender: 1 found (in owners), 0 unknown, -1 lookup failed. */
static int
smtpd_sasl_owners(SMTPD_STATE *state, const char *sender, VSTRING *owners)
{
	MAIL_ADDR_MAPS *maps = state->conf->login_maps;
	VSTRING	*internal;
	int	 err = 0, flags = 0, r;
	char	*q;

	q = smtpd_resolve_qualify(state->conf, sender);
	if (smtpd_resolve_class(state, q, &err) == SMTPD_DEST_LOCAL)
		flags |= MAIL_ADDR_FIND_LOCAL;
	internal = addr_unquote(vstring_alloc(100), q);
	r = mail_addr_find(maps, vstring_str(internal), flags,
	    state->conf->rcpt_delim, owners, NULL);
	vstring_free(internal);
	myfree(q);
	return r;
}

static int
smtpd_sasl_owned_by(const char *owners, const char *login)
{
	ARGV	*names = argv_split(owners, ", \t\r\n");
	int	 found = 0;

	for (size_t i = 0; !found && i < names->argc; i++)
		found = strcasecmp(names->argv[i], login) == 0;
	argv_free(names);
	return found;
}

/* how: bit 1 check authenticated clients, bit 2 unauthenticated, 4 known only. */
#define SASL_CHK_AUTH	1
#define SASL_CHK_UNAUTH	2
#define SASL_CHK_KNOWN	4

static int
smtpd_sasl_login_mismatch(SMTPD_CHECK *c, int how)
{
	SMTPD_STATE *state = c->state;
	const char *sender = state->sender;
	VSTRING	*owners;
	int	 r, ret = SMTPD_CHECK_DUNNO;

	if (sender == NULL || *sender == 0 || state->conf->login_maps == NULL ||
	    state->conf->login_maps->ndict == 0)
		return SMTPD_CHECK_DUNNO;
	if (state->sasl_username ? !(how & SASL_CHK_AUTH) :
	    !(how & SASL_CHK_UNAUTH))
		return SMTPD_CHECK_DUNNO;
	owners = vstring_alloc(100);
	r = smtpd_sasl_owners(state, sender, owners);
	if (r < 0)
		ret = smtpd_reject(c, 451, "4.3.0", "<%s>: Sender address "
		    "rejected: Temporary lookup failure", sender);
	else if (state->sasl_username == NULL) {
		if (r > 0)
			ret = smtpd_reject(c, 553, "5.7.1", "<%s>: Sender address "
			    "rejected: not logged in", sender);
	} else if ((r == 0 && !(how & SASL_CHK_KNOWN)) || (r > 0 &&
	    !smtpd_sasl_owned_by(vstring_str(owners), state->sasl_username)))
		ret = smtpd_reject(c, 553, "5.7.1", "<%s>: Sender address "
		    "rejected: not owned by user %s", sender,
		    state->sasl_username);
	vstring_free(owners);
	return ret;
}

int
smtpd_sasl_check(SMTPD_CHECK *c, const char *name)
{
	SMTPD_STATE *state = c->state;

	if (strcasecmp(name, "permit_sasl_authenticated") == 0)
		return state->sasl_method &&
		    strcasecmp(state->sasl_method, "ANONYMOUS") != 0 ?
		    SMTPD_CHECK_OK : SMTPD_CHECK_DUNNO;
	if (strcasecmp(name, "reject_sender_login_mismatch") == 0)
		return smtpd_sasl_login_mismatch(c, SASL_CHK_AUTH | SASL_CHK_UNAUTH);
	if (strcasecmp(name, "reject_known_sender_login_mismatch") == 0)
		return smtpd_sasl_login_mismatch(c, SASL_CHK_AUTH |
		    SASL_CHK_UNAUTH | SASL_CHK_KNOWN);
	if (strcasecmp(name, "reject_authenticated_sender_login_mismatch") == 0)
		return smtpd_sasl_login_mismatch(c, SASL_CHK_AUTH);
	if (strcasecmp(name, "reject_unauthenticated_sender_login_mismatch") == 0)
		return smtpd_sasl_login_mismatch(c, SASL_CHK_UNAUTH);
	return -2;
}
