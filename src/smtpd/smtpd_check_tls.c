/*
 * NAME
 *	smtpd_check_tls - restrictions on the client's TLS certificate
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int smtpd_check_tls(SMTPD_CHECK *c, const char *name);
 *	int smtpd_check_ccert_access(SMTPD_CHECK *c, const char *table,
 *	    int class);
 * DESCRIPTION
 *	The restrictions that look at the certificate a TLS client
 *	presented (smtpd_tls_ask_ccert; smtpd_tls(3) keeps its fingerprints,
 *	smtpd_tls_fingerprint_digest, as Postfix prints them: upper-case hex
 *	bytes joined by ":"). Without TLS or without a certificate they
 *	decide nothing.
 *
 *	smtpd_check_tls() evaluates the restrictions without argument:
 *	permit_tls_all_clientcerts permits any certificate that verified
 *	against smtpd_tls_CAfile/smtpd_tls_CApath; permit_tls_clientcerts
 *	permits when the certificate's fingerprint, or else its public
 *	key's, is a key of relay_clientcerts (trusted or not: the
 *	fingerprint is the proof). It returns -2 for any other name.
 *
 *	smtpd_check_ccert_access() is check_ccert_access type:table: the
 *	certificate fingerprint, then the public key fingerprint (Postfix's
 *	default search order) are looked up in the access(5) table; the
 *	first found is the action, and a reject reads "<name[addr]>: Client
 *	certificate rejected: text". As in Postfix, the certificate need
 *	not be trusted. Postfix's "{ type:table, search_order=... }" form
 *	is refused as a configuration error (451 4.3.5), with a warning.
 * DIAGNOSTICS
 *	A table lookup error is "451 4.3.0 ...: Temporary lookup failure".
 */
#include <string.h>
#include <strings.h>

#include "dict.h"
#include "msg.h"
#include "smtpd.h"
#include "tls.h"

/* Look up the cert fingerprint, then the key's; 1, 0 or -1 (error). */
static int
smtpd_check_tls_find(SMTPD_STATE *state, DICT **dicts, int ndict,
    VSTRING *val)
{
	const char *keys[2] = {state->ccert_fp, state->ccert_pkey_fp};
	int	 r = 0;

	for (int i = 0; i < 2 && r == 0; i++)
		if (keys[i] && *keys[i])
			r = dict_find_list(dicts, ndict, keys[i], 0, val);
	return r;
}

static int
smtpd_check_tls_relay(SMTPD_CHECK *c)
{
	SMTPD_STATE *state = c->state;
	MAIL_ADDR_MAPS *maps = state->conf->relay_ccerts;
	VSTRING	*val;
	int	 r;

	if (state->ccert_fp == NULL || maps == NULL)
		return SMTPD_CHECK_DUNNO;
	val = vstring_alloc(64);
	r = smtpd_check_tls_find(state, maps->dicts, maps->ndict, val);
	vstring_free(val);
	if (r > 0)
		return SMTPD_CHECK_OK;
	if (r < 0) {
		msg_warn("relay_clientcerts: lookup error for fingerprint %s, "
		    "pkey fingerprint %s", state->ccert_fp, state->ccert_pkey_fp);
		return smtpd_reject(c, 451, "4.3.0", "<%s>: Temporary lookup "
		    "failure", state->namaddr);
	}
	return SMTPD_CHECK_DUNNO;
}

int
smtpd_check_tls(SMTPD_CHECK *c, const char *name)
{
	SMTPD_STATE *state = c->state;

	if (strcasecmp(name, "permit_tls_all_clientcerts") == 0)
		return state->tls && tls_info(state->tls)->peer_cert &&
		    tls_info(state->tls)->trusted ? SMTPD_CHECK_OK :
		    SMTPD_CHECK_DUNNO;
	if (strcasecmp(name, "permit_tls_clientcerts") == 0)
		return smtpd_check_tls_relay(c);
	return -2;
}

int
smtpd_check_ccert_access(SMTPD_CHECK *c, const char *table, int class)
{
	SMTPD_STATE *state = c->state;
	DICT	*dict;
	VSTRING	*val;
	int	 r = SMTPD_CHECK_DUNNO, found, saved = c->class;

	/* Postfix 3.6's "{ type:table, search_order=... }": not (yet) here. */
	if (*table == '{') {
		msg_warn("check_ccert_access %s: the search_order form is not "
		    "supported; give a table", table);
		return smtpd_reject(c, 451, "4.3.5", "Server configuration error");
	}
	if (state->ccert_fp == NULL)
		return SMTPD_CHECK_DUNNO;
	dict = dict_lookup_open(table);
	val = vstring_alloc(64);
	found = smtpd_check_tls_find(state, &dict, 1, val);
	c->class = class;
	if (found < 0)
		r = smtpd_reject(c, 451, "4.3.0", "<%s>: %s rejected: "
		    "Temporary lookup failure", smtpd_reject_name(c),
		    smtpd_reject_class_text[c->class]);
	else if (found > 0)
		r = smtpd_access_action(c, vstring_str(val));
	c->class = saved;
	vstring_free(val);
	return r;
}
