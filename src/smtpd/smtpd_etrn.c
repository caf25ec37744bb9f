/*
 * NAME
 *	smtpd_etrn - the ETRN command (RFC 1985)
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int	smtpd_etrn_cmd(SMTPD_STATE *state, const char *args);
 * DESCRIPTION
 *	smtpd_etrn_cmd() serves "ETRN node": after HELO/EHLO and outside a
 *	mail transaction, for a client that smtpd_etrn_restrictions do not
 *	reject, and for a node (a domain; "@domain" is taken as the domain
 *	and its subdomains, which is what the qmgr matches anyway) listed
 *	in fast_flush_domains (default $relay_domains), it asks the qmgr to
 *	deliver the deferred mail with a recipient in that domain now
 *	(qmgr_clnt(3) flush_domain; the qmgr finds the messages through its
 *	deferred queue scan). Replies, as RFC 1985 defines them:
 * .IP 250
 *	queuing started (the qmgr did not say how many);
 * .IP 251
 *	no messages waiting for the node;
 * .IP 253
 *	N pending messages started;
 * .IP 458
 *	the queue cannot be started (qmgr not reachable), or "#queue"
 *	names (not supported);
 * .IP 459
 *	the node is not in fast_flush_domains;
 * .IP 500/501
 *	no argument / a malformed domain;
 * .PP
 *	and 503 before HELO/EHLO or during a transaction, as Postfix does.
 * DIAGNOSTICS
 *	Refusals are logged as "reject: ETRN ..." lines.
 */
#include <ctype.h>
#include <string.h>

#include "domain_list.h"
#include "mail_conf.h"
#include "msg.h"
#include "qmgr_clnt.h"
#include "smtpd.h"

#define SMTPD_ETRN_TIMEOUT	10

/* Per-process lists, loaded at the first ETRN. */
static DOMAIN_LIST *etrn_domains;
static ARGV *etrn_rest;

/* smtpd_etrn_flush - qmgr flush_domain; count (-2: none), -1 failure. */
static long long
smtpd_etrn_flush(const char *domain)
{
	VSTRING	*why = vstring_alloc(64);
	long long count;

	if (qmgr_clnt_request(QC_REQ_FLUSH_DOMAIN, QC_DOMAIN, domain,
	    SMTPD_ETRN_TIMEOUT, &count, why) != QMGR_CLNT_OK) {
		msg_warn("ETRN %s: %s", domain, vstring_str(why));
		count = -1;
	} else if (count < 0)
		count = -2;
	vstring_free(why);
	return count;
}

static int
smtpd_etrn_domain_ok(const char *domain)
{
	const char *p;

	if (*domain == 0 || strlen(domain) > 255 || *domain == '.')
		return 0;
	for (p = domain; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.'
		    && *p != '_')
			return 0;
	return 1;
}

/* smtpd_etrn_allowed - smtpd_etrn_restrictions; -1 after a reply. */
static int
smtpd_etrn_allowed(SMTPD_STATE *state)
{
	SMTPD_CHECK c = {state, SMTPD_CLASS_CLIENT, NULL, 0};

	if (etrn_rest == NULL)
		etrn_rest = conf_list("smtpd_etrn_restrictions");
	if (smtpd_check_list(&c, etrn_rest) == SMTPD_CHECK_REJECT) {
		smtpd_chat_reply(state, "%s", vstring_str(state->check_reply));
		return -1;
	}
	return 0;
}

int
smtpd_etrn_cmd(SMTPD_STATE *state, const char *args)
{
	const char *domain = args;
	long long n;

	if (state->helo == NULL) {
		smtpd_chat_reply(state, "503 5.5.1 Error: send HELO/EHLO first");
		return -1;
	}
	if (state->sender != NULL) {
		smtpd_chat_reply(state, "503 5.5.1 Error: MAIL transaction in "
		    "progress");
		return -1;
	}
	if (*args == 0) {
		smtpd_chat_reply(state, "500 5.5.2 Syntax: ETRN domain");
		return -1;
	}
	if (*args == '#') {
		smtpd_chat_reply(state, "458 4.3.0 Unable to queue messages for "
		    "node %.255s: named queues are not supported", args);
		return -1;
	}
	if (*domain == '@')
		domain++;
	if (!smtpd_etrn_domain_ok(domain)) {
		smtpd_chat_reply(state, "501 5.5.4 Error: invalid parameter "
		    "syntax");
		return -1;
	}
	if (smtpd_etrn_allowed(state) < 0)
		return -1;
	if (etrn_domains == NULL)
		etrn_domains = domain_list_param("fast_flush_domains");
	if (domain_list_match(etrn_domains, domain) != 1) {
		msg_info("reject: ETRN %s from %s: not in fast_flush_domains",
		    domain, state->namaddr);
		smtpd_chat_reply(state, "459 4.7.1 <%s>: service unavailable",
		    domain);
		return -1;
	}
	if ((n = smtpd_etrn_flush(domain)) == -1) {
		smtpd_chat_reply(state, "458 4.3.0 Unable to queue messages for "
		    "node %s", domain);
		return -1;
	}
	msg_info("ETRN %s from %s: %lld message(s) started", domain,
	    state->namaddr, n < 0 ? 0 : n);
	if (n == 0)
		smtpd_chat_reply(state, "251 2.0.0 OK, no messages waiting for "
		    "node %s", domain);
	else if (n > 0)
		smtpd_chat_reply(state, "253 2.0.0 OK, %lld pending messages for "
		    "node %s started", n, domain);
	else
		smtpd_chat_reply(state, "250 2.0.0 Queuing for node %s started",
		    domain);
	return 0;
}
