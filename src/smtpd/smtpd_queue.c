/*
 * NAME
 *	smtpd_queue - writing the queue file
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int  smtpd_queue_open(SMTPD_STATE *state);
 *	int  smtpd_queue_rcpt(SMTPD_STATE *state, const char *rcpt,
 *		const char *orcpt, int notify);
 *	void smtpd_queue_bcc(SMTPD_STATE *state);
 *	void smtpd_queue_received(SMTPD_STATE *state, VSTRING *out);
 *	void smtpd_queue_write(SMTPD_STATE *state, const char *buf, size_t len);
 *	int  smtpd_queue_commit(SMTPD_STATE *state);
 *	void smtpd_queue_abort(SMTPD_STATE *state);
 * DESCRIPTION
 *	The queue file is created (in tmp/, by qfile) when the first
 *	recipient of a transaction is accepted; its id is logged as
 *	"ID: client=name[addr]". The envelope carries the sender (bare
 *	local addresses get @$myorigin), the arrival time, the client's
 *	address family, DSN ENVID/RET, the origin "smtp" and the attributes
 *	client_name, client_addr, client_port, helo, protocol, body and
 *	smtputf8.
 *
 *	smtpd_queue_bcc() adds always_bcc and the recipient_bcc_maps
 *	results (mail_addr_find(3): the recipient, without its
 *	recipient_delimiter extension, then "@domain") before the content
 *	starts. A failed lookup fails the message (451 4.3.0 at the end of
 *	DATA), as in Postfix.
 *
 *	smtpd_queue_received() formats our Received: header (RFC 5321 4.4).
 *
 *	smtpd_queue_commit() makes the file durable and moves it into
 *	incoming/ (hold/ after a HOLD action); only then may the caller
 *	answer 250. It triggers the queue manager, which logs the
 *	"ID: from=<...>, size=N, nrcpt=N (queue active)" line (only the
 *	qmgr writes it, once per message).
 *	smtpd_queue_abort() removes an uncommitted file.
 * DIAGNOSTICS
 *	smtpd_queue_open() and smtpd_queue_commit() log a warning and
 *	return -1 on failure (the caller answers 451 4.3.0);
 *	smtpd_queue_write() records a failure in state->msg.write_err.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mail_trigger.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"

static void
smtpd_queue_envelope(SMTPD_STATE *state)
{
	char	*sender = smtpd_resolve_qualify(state->conf, state->sender);
	char	 port[16];
	struct timeval now;

	qf_set_sender(state->qf, sender);
	myfree(sender);
	gettimeofday(&now, NULL);
	qf_set_arrival(state->qf, now.tv_sec);
	qf_set_arrival_usec(state->qf, (long)now.tv_usec);
	qf_set_family(state->qf, state->family);
	qf_set_dsn(state->qf, state->dsn_envid, state->dsn_ret);
	qf_set_origin(state->qf, "smtp");
	qf_set_attr(state->qf, "client_name", state->name);
	qf_set_attr(state->qf, "client_addr", state->addr);
	snprintf(port, sizeof(port), "%d", state->port);
	qf_set_attr(state->qf, "client_port", port);
	if (state->helo)
		qf_set_attr(state->qf, "helo", state->helo);
	qf_set_attr(state->qf, "protocol", state->protocol);
	if (state->body)
		qf_set_attr(state->qf, "body", state->body);
	if (state->smtputf8)
		qf_set_attr(state->qf, "smtputf8", "1");
}

int
smtpd_queue_open(SMTPD_STATE *state)
{
	VSTRING	*why = vstring_alloc(100);

	if ((state->qf = qf_create(state->conf->queue_dir, why)) == NULL) {
		msg_warn("cannot create queue file: %s", vstring_str(why));
		vstring_free(why);
		return -1;
	}
	snprintf(state->queue_id, sizeof(state->queue_id), "%s",
	    qf_writer_id(state->qf));
	smtpd_queue_envelope(state);
	vstring_sprintf(why, "%s: client=%s", state->queue_id, state->namaddr);
	smtpd_sasl_log(state, why);
	msg_info("%s", vstring_str(why));
	vstring_free(why);
	return 0;
}

int
smtpd_queue_rcpt(SMTPD_STATE *state, const char *rcpt, const char *orcpt,
    int notify)
{
	if (state->qf == NULL)
		msg_panic("smtpd_queue_rcpt: no queue file");
	qf_add_rcpt(state->qf, rcpt, orcpt, notify);
	argv_add(state->rcpts, rcpt);
	return 0;
}

/* recipient_bcc_maps (mail_addr_find(3) order); a failure defers the mail. */
static void
smtpd_queue_bcc_lookup(SMTPD_STATE *state, const char *rcpt, ARGV *add)
{
	MAIL_ADDR_MAPS *maps = state->conf->rcpt_bcc_maps;
	VSTRING	*internal, *val;
	int	 r;

	if (maps == NULL || maps->ndict == 0)
		return;
	internal = addr_unquote(vstring_alloc(100), rcpt);
	val = vstring_alloc(100);
	r = mail_addr_find(maps, vstring_str(internal), 0,
	    state->conf->rcpt_delim, val, NULL);
	if (r > 0)
		argv_add(add, vstring_str(val));
	else if (r < 0)
		state->msg.write_err = 1;
	vstring_free(internal);
	vstring_free(val);
}

void
smtpd_queue_bcc(SMTPD_STATE *state)
{
	ARGV	*add = argv_alloc(4);
	char	*addr;

	if (state->qf == NULL) {
		argv_free(add);
		return;
	}
	if (state->conf->always_bcc && *state->conf->always_bcc)
		argv_add(add, state->conf->always_bcc);
	for (size_t i = 0; i < state->rcpts->argc; i++)
		smtpd_queue_bcc_lookup(state, state->rcpts->argv[i], add);
	for (size_t i = 0; i < add->argc; i++) {
		addr = smtpd_resolve_qualify(state->conf, add->argv[i]);
		qf_add_rcpt(state->qf, addr, NULL, QF_NOTIFY_NEVER);
		myfree(addr);
	}
	argv_free(add);
}

void
smtpd_queue_received(SMTPD_STATE *state, VSTRING *out)
{
	char	 date[80];
	time_t	 now = time(NULL);
	const char *proto = state->protocol;

	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z (%Z)",
	    localtime(&now));
	if (state->smtputf8)
		proto = "UTF8SMTP";
	vstring_sprintf(out, "Received: from %s (%s [%s%s])\n",
	    state->helo ? state->helo : state->name, state->name,
	    state->family == AF_INET6 ? "IPv6:" : "", state->addr);
	smtpd_tls_received(state, out);
	smtpd_sasl_received(state, out);
	vstring_sprintf_append(out, "\tby %s (Postern) with %s id %s",
	    state->conf->myhostname, proto, state->queue_id);
	if (state->rcpt_count == 1 && state->first_rcpt)
		vstring_sprintf_append(out, "\n\tfor <%s>", state->first_rcpt);
	vstring_sprintf_append(out, "; %s\n", date);
}

void
smtpd_queue_write(SMTPD_STATE *state, const char *buf, size_t len)
{
	if (state->qf == NULL || state->msg.write_err || len == 0)
		return;
	if (qf_write_content(state->qf, buf, len) < 0) {
		msg_warn("%s: queue file write error: %m", state->queue_id);
		state->msg.write_err = 1;
	}
}

int
smtpd_queue_commit(SMTPD_STATE *state)
{
	VSTRING	*why = vstring_alloc(100);
	const char *queue = state->hold ? QF_HOLD : QF_INCOMING;

	if (qf_commit(state->qf, queue, why) < 0) {
		msg_warn("%s: cannot commit queue file: %s", state->queue_id,
		    vstring_str(why));
		state->qf = NULL;
		vstring_free(why);
		return -1;
	}
	state->qf = NULL;
	vstring_free(why);
	if (state->hold)
		msg_info("%s: hold: END-OF-MESSAGE from %s: %s", state->queue_id,
		    state->namaddr, state->hold_why ? state->hold_why : "held");
	/*
	 * The "from=<...>, size=..., nrcpt=..." line is the qmgr's, logged
	 * once when it takes the message in (as in Postfix, where smtpd and
	 * cleanup never write it): pflogsumm counts one message per line.
	 */
	if (!state->hold)
		mail_trigger("qmgr");
	return 0;
}

void
smtpd_queue_abort(SMTPD_STATE *state)
{
	if (state->qf) {
		qf_abort(state->qf);
		state->qf = NULL;
	}
	state->queue_id[0] = 0;
}
