/*
 * NAME
 *	smtpd_reject - restriction rejects: reply text and log line
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int  smtpd_reject(SMTPD_CHECK *c, int code, const char *dsn,
 *		const char *fmt, ...);
 *	int  smtpd_reject_class(SMTPD_CHECK *c, int code, const char *dsn,
 *		const char *text);
 *	const char *smtpd_reject_name(SMTPD_CHECK *c);
 *	void smtpd_reject_log(SMTPD_STATE *state, const char *what,
 *		const char *reply, const char *rcpt);
 *	void smtpd_reject_permit(SMTPD_CHECK *c, const char *action, int class);
 * DESCRIPTION
 *	smtpd_reject() formats "code d.d.d text" into state->check_reply
 *	(the first digit of the enhanced status follows the reply code) and
 *	logs it Postfix's way: "ID: reject: RCPT from name[addr]: 554 5.7.1
 *	<x@y>: Relay access denied; from=<a@b> to=<x@y> proto=ESMTP
 *	helo=<h>" (NOQUEUE when there is no queue file yet). After
 *	warn_if_reject the reject is only logged ("reject_warning"); after
 *	DEFER_IF_REJECT in the same stage a 5xx reject is replaced by that
 *	action's 450 reply.
 *
 *	smtpd_reject_class() rejects with "<name>: Class rejected: text",
 *	where name and class follow the list being evaluated (client host,
 *	helo command, sender or recipient address, data, end-of-data).
 *
 *	smtpd_reject_log() writes one such log line (also for hold,
 *	discard, warn and info actions).
 *
 *	smtpd_reject_permit() logs a permit decision when
 *	smtpd_log_access_permit_actions lists its action (a restriction name
 *	such as permit_mynetworks, or an access table result such as OK,
 *	without regard to case; a type:table entry is looked up with the
 *	action name, static:all matching every action), and no
 *	DEFER_IF_PERMIT overrules it, in Postfix's shape: "NOQUEUE: permit:
 *	RCPT from host[addr]: action=permit_mynetworks for Client
 *	host=host[addr]; from=<a@b> to=<x@y> proto=ESMTP helo=<h>", with "
 *	from type:table" after a table's (or policy server's) result. class
 *	says what the decision is about.
 * DIAGNOSTICS
 *	smtpd_reject() returns SMTPD_CHECK_REJECT, or SMTPD_CHECK_DUNNO
 *	after warn_if_reject.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dict.h"
#include "msg.h"
#include "smtpd.h"

const char *smtpd_reject_class_text[] = {
	"Client host", "Helo command", "Sender address", "Recipient address",
	"Data command", "End-of-data", "Unverified Client host",
	"Client certificate",
};

/* The name a reject is about. */
const char *
smtpd_reject_name(SMTPD_CHECK *c)
{
	switch (c->class) {
	case SMTPD_CLASS_CLIENT:
	case SMTPD_CLASS_CCERT:
		return c->state->namaddr;
	case SMTPD_CLASS_HELO:
		return c->state->helo ? c->state->helo : "";
	case SMTPD_CLASS_SENDER:
		return c->state->sender ? c->state->sender : "";
	case SMTPD_CLASS_RCPT:
		return c->rcpt ? c->rcpt : "";
	case SMTPD_CLASS_REV_CLIENT:
		return *c->state->reverse_name ? c->state->reverse_name : "unknown";
	case SMTPD_CLASS_DATA:
		return "DATA";
	default:
		return "END-OF-MESSAGE";
	}
}

void
smtpd_reject_log(SMTPD_STATE *state, const char *what, const char *reply,
    const char *rcpt)
{
	VSTRING	*buf = vstring_alloc(200);

	vstring_sprintf(buf, "%s: %s: %s from %s: %s;",
	    state->queue_id[0] ? state->queue_id : "NOQUEUE", what,
	    state->where, state->namaddr, reply);
	if (state->sender)
		vstring_sprintf_append(buf, " from=<%s>", state->sender);
	if (rcpt)
		vstring_sprintf_append(buf, " to=<%s>", rcpt);
	vstring_sprintf_append(buf, " proto=%s", state->protocol);
	if (state->helo)
		vstring_sprintf_append(buf, " helo=<%s>", state->helo);
	msg_info("%s", vstring_str(buf));
	vstring_free(buf);
}

/* Format and log a reject; honours warn_if_reject. */
int
smtpd_reject(SMTPD_CHECK *c, int code, const char *dsn,
    const char *fmt, ...)
{
	SMTPD_STATE *state = c->state;
	va_list	 ap;
	int	 warn = state->warn_if_reject;

	if (code < 400 || code > 599)
		code = 554;
	vstring_sprintf(state->check_reply, "%d %c%s ", code, '0' + code / 100,
	    dsn + 1);
	va_start(ap, fmt);
	vstring_vsprintf_append(state->check_reply, fmt, ap);
	va_end(ap);
	state->warn_if_reject = 0;
	/* DEFER_IF_REJECT earlier in this stage: a reject becomes a defer. */
	if (!warn && code >= 500 && state->act.defer_if_reject != NULL)
		vstring_strcpy(state->check_reply, state->act.defer_if_reject);
	smtpd_reject_log(state, warn ? "reject_warning" : "reject",
	    vstring_str(state->check_reply), c->rcpt);
	return warn ? SMTPD_CHECK_DUNNO : SMTPD_CHECK_REJECT;
}

/* Reject with "<name>: Class rejected: text". */
int
smtpd_reject_class(SMTPD_CHECK *c, int code, const char *dsn,
    const char *text)
{
	return smtpd_reject(c, code, dsn, "<%s>: %s rejected: %s",
	    smtpd_reject_name(c), smtpd_reject_class_text[c->class], text);
}


/* Does smtpd_log_access_permit_actions list action? */
static int
smtpd_reject_permit_listed(const ARGV *list, const char *action)
{
	const char *val;

	for (size_t i = 0; i < list->argc; i++) {
		if (strchr(list->argv[i], ':') == NULL) {
			if (strcasecmp(list->argv[i], action) == 0)
				return 1;
		} else if (dict_find(dict_lookup_open(list->argv[i]), action,
		    &val) > 0)
			return 1;
	}
	return 0;
}

void
smtpd_reject_permit(SMTPD_CHECK *c, const char *action, int class)
{
	SMTPD_STATE *state = c->state;
	VSTRING	*buf;
	int	 saved = c->class;

	if (state->conf->permit_log == NULL || state->act.defer_if_permit ||
	    !smtpd_reject_permit_listed(state->conf->permit_log, action))
		return;
	c->class = class;
	buf = vstring_alloc(100);
	vstring_sprintf(buf, "action=%s for %s=%s", action,
	    smtpd_reject_class_text[class], smtpd_reject_name(c));
	if (c->table)
		vstring_sprintf_append(buf, " from %s", c->table);
	smtpd_reject_log(state, "permit", vstring_str(buf), c->rcpt);
	vstring_free(buf);
	c->class = saved;
}
