/*
 * NAME
 *	smtpd_check_misc - session and transaction restrictions of Postfix
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int smtpd_check_misc(SMTPD_CHECK *c, const char *name);
 *	int smtpd_check_sleep(SMTPD_CHECK *c, const char *arg, int unused);
 * DESCRIPTION
 *	smtpd_check_misc() evaluates the restriction name when it is one of
 *	the following, with Postfix's replies; -2 when it is none of them.
 * .IP reject_unauth_pipelining
 *	"503 5.5.0 <name>: Class rejected: Improper use of SMTP command
 *	pipelining" when the client sent commands ahead of time where that is
 *	not allowed at any point of the session so far: after HELO, EHLO,
 *	DATA, NOOP, VRFY and the other commands that end a pipelined group,
 *	after any command of a client that did not negotiate PIPELINING with
 *	EHLO (smtpd_cmd_pipelining(3) sets the session's flag and logs
 *	"improper command pipelining after CMD from host[addr]: text"), or,
 *	evaluated before the greeting (smtpd_client_restrictions with
 *	smtpd_delay_reject = no, typically after "sleep 1"), when the client
 *	talked before it ("after CONNECT").
 * .IP defer_if_permit
 *	"450 4.7.0 <name>: Class rejected: defer_if_permit requested" when
 *	the stage ends without a reject (the DEFER_IF_PERMIT action).
 * .IP defer_if_reject
 *	a later 5xx reject of the stage becomes "450 4.7.0 <name>: Class
 *	rejected: defer_if_reject requested" (the DEFER_IF_REJECT action).
 * .IP permit_auth_destination
 *	OK when the recipient's domain is local, virtual or in relay_domains
 *	(the complement of reject_unauth_destination).
 * .IP permit_mx_backup
 *	smtpd_check_backup(3).
 * .IP reject_multi_recipient_bounce
 *	"550 5.5.3 <name>: Class rejected: Multi-recipient bounce"
 *	(multi_recipient_bounce_reject_code) for the null sender with more
 *	than one recipient: at RCPT when one was already accepted, at DATA
 *	and end-of-data when more than one was.
 * .IP reject_plaintext_session
 *	"450 4.7.1 Session encryption is required" (plaintext_reject_code)
 *	when the session is not under TLS.
 * .PP
 *	Under warn_if_reject, defer_if_permit is logged as a
 *	"reject_warning" at once instead, as in Postfix.
 *
 *	smtpd_check_sleep() implements "sleep seconds": it pauses the
 *	session, so that a client that talks before its turn gives itself
 *	away (reject_unauth_pipelining after it). The argument must be all
 *	digits; more than smtpd_timeout is cut to it (logged), a pause
 *	longer than the client waits being only a slower rejection.
 * DIAGNOSTICS
 *	SMTPD_CHECK_* results. A bad sleep argument is logged and answers
 *	"451 4.3.5 Server configuration error", as in Postfix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mail_conf.h"
#include "msg.h"
#include "smtpd.h"

static int
smtpd_check_misc_pipelining(SMTPD_CHECK *c)
{
	SMTPD_STATE *state = c->state;

	/* Before the greeting no command ran: look now (Postfix's recipe). */
	if (strcmp(state->where, "CONNECT") == 0)
		(void)smtpd_cmd_pipe_detect(state);
	if (!state->ill_pipelining)
		return SMTPD_CHECK_DUNNO;
	return smtpd_reject_class(c, 503, "5.5.0",
	    "Improper use of SMTP command pipelining");
}

/* defer_if_permit, defer_if_reject: the access actions of the same name. */
static int
smtpd_check_misc_defer_if(SMTPD_CHECK *c, const char *action,
    const char *what)
{
	char	 text[64];

	if (c->state->warn_if_reject && strcmp(action, "DEFER_IF_PERMIT") == 0)
		return smtpd_reject(c, 450, "4.7.0", "<%s>: %s rejected: %s "
		    "requested", smtpd_reject_name(c),
		    smtpd_reject_class_text[c->class], what);
	snprintf(text, sizeof(text), "4.7.0 %s requested", what);
	return smtpd_policy_action(c, action, text);
}

static int
smtpd_check_misc_auth_dest(SMTPD_CHECK *c)
{
	int	 class, r;

	if ((r = smtpd_check_rcpt_dest(c, &class)) != SMTPD_CHECK_DUNNO ||
	    class < 0)
		return r;
	return class == SMTPD_DEST_OTHER ? SMTPD_CHECK_DUNNO : SMTPD_CHECK_OK;
}

static int
smtpd_check_misc_bounce(SMTPD_CHECK *c)
{
	SMTPD_STATE *state = c->state;
	int	 before = strcmp(state->where, "RCPT") == 0 ? 0 : 1;

	if (state->sender == NULL || *state->sender != 0 ||
	    state->rcpt_count <= before)
		return SMTPD_CHECK_DUNNO;
	return smtpd_reject_class(c,
	    (int)conf_int("multi_recipient_bounce_reject_code"), "5.5.3",
	    "Multi-recipient bounce");
}

int
smtpd_check_misc(SMTPD_CHECK *c, const char *name)
{
#define IS(w)	(strcasecmp(name, w) == 0)
	if (IS("reject_unauth_pipelining"))
		return smtpd_check_misc_pipelining(c);
	if (IS("defer_if_permit"))
		return smtpd_check_misc_defer_if(c, "DEFER_IF_PERMIT",
		    "defer_if_permit");
	if (IS("defer_if_reject"))
		return smtpd_check_misc_defer_if(c, "DEFER_IF_REJECT",
		    "defer_if_reject");
	if (IS("permit_auth_destination"))
		return smtpd_check_misc_auth_dest(c);
	if (IS("permit_mx_backup"))		/* smtpd_check_backup.c */
		return smtpd_check_backup(c);
	if (IS("reject_multi_recipient_bounce"))
		return smtpd_check_misc_bounce(c);
	if (IS("reject_plaintext_session"))
		return c->state->tls ? SMTPD_CHECK_DUNNO : smtpd_reject(c,
		    (int)conf_int("plaintext_reject_code"), "4.7.1",
		    "Session encryption is required");
#undef IS
	return -2;
}

int
smtpd_check_sleep(SMTPD_CHECK *c, const char *arg, int unused)
{
	int	 limit = c->state->conf->timeout;
	long	 secs;

	if (*arg == 0 || strspn(arg, "0123456789") != strlen(arg) ||
	    strlen(arg) > 9) {
		msg_warn("restriction sleep must be followed by number");
		return smtpd_reject(c, 451, "4.3.5", "Server configuration error");
	}
	if ((secs = atol(arg)) > limit) {
		msg_warn("restriction sleep %s: more than smtpd_timeout, "
		    "sleeping %d seconds", arg, limit);
		secs = limit;
	}
	if (secs > 0)
		sleep((unsigned)secs);
	return SMTPD_CHECK_DUNNO;
}
