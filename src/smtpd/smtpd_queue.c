/*
 * NAME
 *	smtpd_queue - handing the message to the cleanup stage
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int  smtpd_queue_open(SMTPD_STATE *state);
 *	int  smtpd_queue_rcpt(SMTPD_STATE *state, const char *rcpt,
 *		const char *orcpt, int notify);
 *	void smtpd_queue_received(SMTPD_STATE *state, VSTRING *out);
 *	void smtpd_queue_write(SMTPD_STATE *state, const char *buf, size_t len);
 *	void smtpd_queue_line(SMTPD_STATE *state, const char *buf, size_t len,
 *		int complete);
 *	int  smtpd_queue_commit(SMTPD_STATE *state, VSTRING *reply);
 *	void smtpd_queue_abort(SMTPD_STATE *state);
 * DESCRIPTION
 *	The message goes into the queue through the cleanup stage
 *	(cleanup(3)), which does the address rewriting, virtual aliasing,
 *	bcc, header completion and the hooks for every entry path alike.
 *
 *	The queue file is created when the first recipient of a
 *	transaction is accepted (smtpd_queue_open() does nothing when it
 *	exists already), or with smtpd_delay_open_until_valid_rcpt = no
 *	when MAIL FROM is accepted (rejected recipients are then logged with
 *	the queue id instead of NOQUEUE; a transaction that ends without
 *	one accepted removes it); its id is logged as "ID:
 *	client=name[addr]". The envelope carries the sender, the arrival
 *	time, the client's address family, DSN ENVID/RET, the origin "smtp"
 *	and the attributes client_name, client_addr, client_port, helo,
 *	protocol, body and smtputf8. Clients that match
 *	local_header_rewrite_clients get the local header rewriting
 *	context (CLEANUP_FLAG_LOCAL).
 *
 *	smtpd_queue_received() formats our Received: header (RFC 5321 4.4);
 *	smtpd_queue_write() hands content to the stage. The content itself
 *	goes line by line to cleanup_line() (smtpd_msg(3), the per-line
 *	path), or to smtpd_queue_line() for a maildrop file (below): a
 *	piece of a line, and whether the line ends there.
 *
 *	smtpd_queue_commit() closes the stage: the file is made durable and
 *	moved into incoming/ (hold/ after a HOLD action); only then may the
 *	caller answer 250. It triggers the queue manager, which logs the
 *	"ID: from=<...>, size=N, nrcpt=N (queue active)" line (only the
 *	qmgr writes it, once per message); a held message gets smtpd's
 *	"hold" line instead.
 *	smtpd_queue_abort() removes an uncommitted file.
 *
 *	Stand-alone mode for an ordinary user (conf->drop: sendmail -bs
 *	run by someone who is neither root nor mail_owner) cannot write the
 *	queue: each message becomes a maildrop file instead
 *	(maildrop_file(3)), written with the set-gid privilege inherited
 *	from sendmail, exactly as sendmail(1) writes one, and pickup(8)
 *	takes it through the cleanup stage as a local submission from that
 *	user. The file is created at the first recipient, the envelope
 *	(sender, recipients, DSN RET and ENVID; the NOTIFY of the first
 *	recipient for all, as the format has one) is written before the
 *	content, and the file is committed (fsync, rename, pickup
 *	triggered) before the 250. smtpd adds no Received: header of its
 *	own then: pickup's "Received: by ... from userid N" names the user,
 *	which is all that is known of this client. ORCPT is not kept.
 * DIAGNOSTICS
 *	smtpd_queue_open() logs a warning and returns -1 on failure (the
 *	caller answers 451 4.3.0); smtpd_queue_rcpt() returns -1 when a
 *	table failed (the same answer). smtpd_queue_commit() returns a
 *	CLEANUP_* result, with the reply for CLEANUP_REJECT and
 *	CLEANUP_DEFER in reply.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mail_conf.h"
#include "mail_trigger.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"

static void
smtpd_queue_envelope(SMTPD_STATE *state)
{
	CLEANUP	*c = state->cleanup;
	QF_WRITER *qf = cleanup_qf(c);
	char	 port[16];
	struct timeval now;

	gettimeofday(&now, NULL);
	qf_set_arrival(qf, now.tv_sec);
	qf_set_arrival_usec(qf, (long)now.tv_usec);
	qf_set_family(qf, state->family);
	qf_set_dsn(qf, state->dsn_envid, state->dsn_ret);
	qf_set_origin(qf, "smtp");
	/* The original client when a content filter forwarded it. */
	cleanup_attr(c, "client_name", smtpd_client_name(state));
	cleanup_attr(c, "client_addr", smtpd_client_addr(state));
	cleanup_attr(c, "client_port", smtpd_client_port(state, port,
	    sizeof(port)));
	if (smtpd_client_helo(state))
		cleanup_attr(c, "helo", smtpd_client_helo(state));
	cleanup_attr(c, "protocol", smtpd_client_protocol(state));
	if (state->body)
		cleanup_attr(c, "body", state->body);
	if (state->smtputf8)
		cleanup_attr(c, "smtputf8", "1");
	cleanup_sender(c, state->sender);
}

/* smtpd_queue_drop_open - a maildrop file and its envelope. */
static int
smtpd_queue_drop_open(SMTPD_STATE *state)
{
	VSTRING	*why = vstring_alloc(100);
	MAILDROP_ENV *env;

	state->drop = maildrop_file_open(why);
	if (state->drop == NULL) {
		msg_warn("cannot create a maildrop file: %s", vstring_str(why));
		vstring_free(why);
		return -1;
	}
	vstring_free(why);
	env = state->drop_env = maildrop_env_alloc();
	env->sender = mystrdup(state->sender);
	env->ret = state->dsn_ret;
	if (state->dsn_envid)
		env->envid = mystrdup(state->dsn_envid);
	state->drop_content = 0;
	return 0;
}

/* smtpd_queue_drop_stream - the content stream; the envelope goes first. */
static VSTREAM *
smtpd_queue_drop_stream(SMTPD_STATE *state)
{
	if (state->drop != NULL && !state->drop_content) {
		state->drop_content = 1;
		if (maildrop_env_write(maildrop_file_stream(state->drop),
		    state->drop_env) < 0) {
			msg_warn("cannot write the maildrop envelope: %m");
			maildrop_file_abort(state->drop);
			state->drop = NULL;	/* the commit answers 451 */
		}
	}
	return state->drop ? maildrop_file_stream(state->drop) : NULL;
}

/* smtpd_queue_drop_free - forget the maildrop file (removed unless committed). */
static void
smtpd_queue_drop_free(SMTPD_STATE *state)
{
	if (state->drop)
		maildrop_file_abort(state->drop);
	state->drop = NULL;
	if (state->drop_env)
		maildrop_env_free(state->drop_env);
	state->drop_env = NULL;
}

/* smtpd_queue_drop_commit - durable in maildrop/, or a 451 in reply. */
static int
smtpd_queue_drop_commit(SMTPD_STATE *state, VSTRING *reply)
{
	VSTRING	*why = vstring_alloc(100);
	MAILDROP_FILE *drop;
	int	 r = CLEANUP_DEFER;

	(void)smtpd_queue_drop_stream(state);
	if ((drop = state->drop) == NULL) {
		vstring_strcpy(why, "the maildrop file was not written");
	} else {
		state->drop = NULL;	/* commit destroys it either way */
		if (maildrop_file_commit(drop, why) == 0)
			r = CLEANUP_OK;
	}
	if (r != CLEANUP_OK) {
		msg_warn("%s: %s", state->namaddr, vstring_str(why));
		vstring_strcpy(reply, "451 4.3.0 Error: queue file write error");
	}
	smtpd_queue_drop_free(state);
	vstring_free(why);
	return r;
}

int
smtpd_queue_open(SMTPD_STATE *state)
{
	VSTRING	*why;
	int	 flags = CLEANUP_FLAG_SMTPD;

	if (state->cleanup != NULL || state->drop_env != NULL)
		return 0;
	if (state->conf->drop)
		return smtpd_queue_drop_open(state);
	why = vstring_alloc(100);
	if (state->rewrite_hdrs)
		flags |= CLEANUP_FLAG_LOCAL;
	flags = cleanup_content_flags(flags);
	state->cleanup = cleanup_open(state->conf->cleanup,
	    state->conf->queue_dir, flags, why);
	if (state->cleanup == NULL) {
		msg_warn("cannot create queue file: %s", vstring_str(why));
		vstring_free(why);
		return -1;
	}
	snprintf(state->queue_id, sizeof(state->queue_id), "%s",
	    cleanup_id(state->cleanup));
	smtpd_queue_envelope(state);
	vstring_sprintf(why, "%s: client=%s", state->queue_id,
	    smtpd_client_namaddr(state));
	if (state->xf[SMTPD_XF_IDENT])
		vstring_sprintf_append(why, ", orig_queue_id=%s",
		    state->xf[SMTPD_XF_IDENT]);
	smtpd_sasl_log(state, why);
	msg_info("%s", vstring_str(why));
	vstring_free(why);
	return 0;
}

int
smtpd_queue_rcpt(SMTPD_STATE *state, const char *rcpt, const char *orcpt,
    int notify)
{
	MAILDROP_ENV *env = state->drop_env;

	if (env != NULL) {
		if (env->rcpt->argc >= MAILDROP_RCPT_MAX)
			return -1;
		if (env->rcpt->argc == 0)
			env->notify = notify;
		argv_add(env->rcpt, rcpt);
	} else if (state->cleanup == NULL) {
		msg_panic("smtpd_queue_rcpt: no queue file");
	} else if (cleanup_rcpt(state->cleanup, rcpt, orcpt, notify) < 0) {
		return -1;
	}
	argv_add(state->rcpts, rcpt);
	return 0;
}

void
smtpd_queue_received(SMTPD_STATE *state, VSTRING *out)
{
	char	 date[80];
	time_t	 now = time(NULL);
	const char *proto = state->protocol;
	const char *helo = smtpd_client_helo(state);
	const char *name = smtpd_client_name(state);
	const char *addr = smtpd_client_addr(state);

	vstring_reset(out);
	if (state->conf->drop)
		return;			/* pickup's names the user */
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z (%Z)",
	    localtime(&now));
	if (state->smtputf8)
		proto = "UTF8SMTP";
	vstring_sprintf(out, "Received: from %s (%s [%s%s])\n",
	    helo ? helo : name, name, strchr(addr, ':') ? "IPv6:" : "", addr);
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
	VSTREAM	*fp;

	if (state->cleanup)
		cleanup_write(state->cleanup, buf, len);
	else if ((fp = smtpd_queue_drop_stream(state)) != NULL)
		vstream_write(fp, buf, len);
}

void
smtpd_queue_line(SMTPD_STATE *state, const char *buf, size_t len,
    int complete)
{
	VSTREAM	*fp;

	if ((fp = smtpd_queue_drop_stream(state)) != NULL) {
		vstream_write(fp, buf, len);
		if (complete)
			vstream_write(fp, "\n", 1);
	}
}

int
smtpd_queue_commit(SMTPD_STATE *state, VSTRING *reply)
{
	const char *queue = state->hold ? QF_HOLD : QF_INCOMING;
	int	 r;

	if (state->drop_env != NULL)
		return smtpd_queue_drop_commit(state, reply);
	r = cleanup_close(state->cleanup, queue, reply);
	state->cleanup = NULL;
	if (r == CLEANUP_OK) {
		if (state->hold)
			msg_info("%s: hold: END-OF-MESSAGE from %s: %s",
			    state->queue_id, state->namaddr,
			    state->hold_why ? state->hold_why : "held");
		/* A check or milter said HOLD (and logged it). */
		if (cleanup_last_held(state->conf->cleanup))
			state->hold = 1;
		/*
		 * The "from=<...>, size=..., nrcpt=..." line is the qmgr's,
		 * logged once when it takes the message in (as in Postfix,
		 * where smtpd never writes it): pflogsumm counts one message
		 * per line.
		 */
		if (!state->hold)
			mail_trigger_id("qmgr", state->queue_id);
	}
	return r;
}

void
smtpd_queue_abort(SMTPD_STATE *state)
{
	if (state->cleanup) {
		cleanup_abort(state->cleanup);
		state->cleanup = NULL;
	}
	smtpd_queue_drop_free(state);
	state->queue_id[0] = 0;
}
