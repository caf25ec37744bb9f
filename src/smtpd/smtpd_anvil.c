/*
 * NAME
 *	smtpd_anvil - per-client connection, message, recipient, TLS and
 *	AUTH limits
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	void smtpd_anvil_init(const char *service);
 *	int  smtpd_anvil_connect(SMTPD_STATE *state);
 *	void smtpd_anvil_disconnect(SMTPD_STATE *state);
 *	int  smtpd_anvil_mail(SMTPD_STATE *state);
 *	int  smtpd_anvil_rcpt(SMTPD_STATE *state);
 *	int  smtpd_anvil_newtls(SMTPD_STATE *state);
 *	int  smtpd_anvil_auth(SMTPD_STATE *state);
 * DESCRIPTION
 *	Postfix's client limits, counted in the file that every smtpd
 *	process shares (anvil(3)). Clients that match
 *	smtpd_client_event_limit_exceptions (default $mynetworks) are
 *	neither counted nor limited, as in Postfix.
 *
 *	smtpd_anvil_init() maps the shared file (after the privilege drop)
 *	and reads the limits: smtpd_client_connection_count_limit,
 *	smtpd_client_connection_rate_limit, smtpd_client_message_rate_limit,
 *	smtpd_client_recipient_rate_limit,
 *	smtpd_client_new_tls_session_rate_limit,
 *	smtpd_client_auth_rate_limit (each 0 = no limit), over windows of
 *	anvil_rate_time_unit, with statistics every anvil_status_update_time.
 *
 *	smtpd_anvil_connect() counts the new session. Over the count limit:
 *	"warning: Connection concurrency limit exceeded: 51 from
 *	name[addr] for service smtp" and "421 4.7.0 myhostname Error: too
 *	many connections from addr"; over the rate limit: "Connection rate
 *	limit exceeded: ..." and the same reply. smtpd_anvil_disconnect()
 *	ends it and logs the statistics when they are due.
 *
 *	smtpd_anvil_mail() (MAIL FROM), smtpd_anvil_rcpt() (RCPT TO),
 *	smtpd_anvil_newtls() (STARTTLS or an SMTPS session) and
 *	smtpd_anvil_auth() (the AUTH command, for smtpd_sasl) count one
 *	event; over the limit they log "Message delivery request rate
 *	limit exceeded", "Recipient address rate limit exceeded", "New TLS
 *	session rate limit exceeded" or "AUTH command rate limit exceeded"
 *	and reply "450 4.7.1 Error: too much mail from addr", "450 4.7.1
 *	Error: too many recipients from addr", "454 4.7.0 Error: too many
 *	new TLS sessions from addr", "450 4.7.1 Error: too many AUTH
 *	commands from addr".
 * DIAGNOSTICS
 *	The check functions return 0 to go on, -1 after the reply.
 *	A file that cannot be mapped is a warning; limits are then off.
 */
#include <string.h>

#include "anvil.h"
#include "mail_conf.h"
#include "mail_server.h"
#include "msg.h"
#include "smtpd.h"

static struct {
	int	 attached;
	const char *service;
	int	 conn_count;
	int	 conn_rate;
	int	 rate[ANVIL_NRATE];
	int	 update_time;
	ADDR_MATCH *exceptions;
} sa;

void
smtpd_anvil_init(const char *service)
{
	int	 unit;

	sa.service = service;
	sa.conn_count = (int)conf_int("smtpd_client_connection_count_limit");
	sa.conn_rate = (int)conf_int("smtpd_client_connection_rate_limit");
	sa.rate[ANVIL_MAIL] = (int)conf_int("smtpd_client_message_rate_limit");
	sa.rate[ANVIL_RCPT] = (int)conf_int("smtpd_client_recipient_rate_limit");
	sa.rate[ANVIL_NTLS] =
	    (int)conf_int("smtpd_client_new_tls_session_rate_limit");
	sa.rate[ANVIL_AUTH] = (int)conf_int("smtpd_client_auth_rate_limit");
	sa.update_time = (int)conf_time("anvil_status_update_time");
	unit = (int)conf_time("anvil_rate_time_unit");
	sa.exceptions = addr_match_param("smtpd_client_event_limit_exceptions");
	if (mail_server_standalone())
		return;
	if (anvil_attach(ANVIL_FILE, service, unit) < 0)
		msg_warn("cannot map %s: %m; client connection and rate limits "
		    "are off", ANVIL_FILE);
	else
		sa.attached = 1;
}

/* Is this client counted? Exceptions and local (stdin) sessions are not. */
static int
smtpd_anvil_counted(SMTPD_STATE *state)
{
	if (state->anvil < 0)
		state->anvil = sa.attached && state->family != AF_UNIX &&
		    addr_match_client(sa.exceptions, state->addr,
		    state->name) == 0;
	return state->anvil;
}

int
smtpd_anvil_connect(SMTPD_STATE *state)
{
	int	 count, rate;

	state->anvil = -1;
	if (!smtpd_anvil_counted(state))
		return 0;
	if (anvil_connect(state->addr, sa.conn_count, &count, &rate) < 0)
		return 0;
	if (sa.conn_count > 0 && count > sa.conn_count) {
		msg_warn("Connection concurrency limit exceeded: %d from %s for "
		    "service %s", count, state->namaddr, sa.service);
	} else if (sa.conn_rate > 0 && rate > sa.conn_rate) {
		msg_warn("Connection rate limit exceeded: %d from %s for "
		    "service %s", rate, state->namaddr, sa.service);
	} else
		return 0;
	smtpd_chat_reply(state, "421 4.7.0 %s Error: too many connections "
	    "from %s", state->conf->myhostname, state->addr);
	state->quit = 1;
	return -1;
}

void
smtpd_anvil_disconnect(SMTPD_STATE *state)
{
	if (state->anvil > 0)
		anvil_disconnect();
	if (sa.attached)
		anvil_report(sa.update_time);
}

/* One rated event; -1 after the reply when over the limit. */
static int
smtpd_anvil_event(SMTPD_STATE *state, int which, const char *what,
    const char *reply)
{
	int	 rate;

	if (sa.rate[which] <= 0 || state->anvil <= 0)
		return 0;
	if ((rate = anvil_event(which)) <= sa.rate[which])
		return 0;
	msg_warn("%s rate limit exceeded: %d from %s for service %s", what,
	    rate, state->namaddr, sa.service);
	smtpd_chat_reply(state, "%s %s", reply, state->addr);
	return -1;
}

int
smtpd_anvil_mail(SMTPD_STATE *state)
{
	return smtpd_anvil_event(state, ANVIL_MAIL, "Message delivery request",
	    "450 4.7.1 Error: too much mail from");
}

int
smtpd_anvil_rcpt(SMTPD_STATE *state)
{
	return smtpd_anvil_event(state, ANVIL_RCPT, "Recipient address",
	    "450 4.7.1 Error: too many recipients from");
}

int
smtpd_anvil_newtls(SMTPD_STATE *state)
{
	return smtpd_anvil_event(state, ANVIL_NTLS, "New TLS session",
	    "454 4.7.0 Error: too many new TLS sessions from");
}

int
smtpd_anvil_auth(SMTPD_STATE *state)
{
	return smtpd_anvil_event(state, ANVIL_AUTH, "AUTH command",
	    "450 4.7.1 Error: too many AUTH commands from");
}
