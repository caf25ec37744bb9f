/*
 * NAME
 *	smtpd_chat - SMTP replies, pipelining-aware flushing, command input
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	void smtpd_chat_reply(SMTPD_STATE *state, const char *fmt, ...);
 *	void smtpd_chat_reply_uncounted(SMTPD_STATE *state,
 *	    const char *fmt, ...);
 *	void smtpd_chat_flush(SMTPD_STATE *state);
 *	int  smtpd_chat_query(SMTPD_STATE *state);
 *	int  smtpd_chat_pending(SMTPD_STATE *state);
 *	int  smtpd_chat_lost(SMTPD_STATE *state, int status);
 * DESCRIPTION
 *	smtpd_chat_reply() formats one reply line, appends CRLF and writes
 *	it into the stream buffer; nothing is sent yet. Every 4xx/5xx final
 *	line counts as an error; past smtpd_soft_error_limit errors each such
 *	reply is delayed by smtpd_error_sleep_time (tar-pitting).
 *	smtpd_chat_reply_uncounted() is the same for a 4xx/5xx reply that
 *	is not the client's error (a recipient within
 *	smtpd_recipient_overshoot_limit beyond smtpd_recipient_limit).
 *
 *	Replies are sent by smtpd_chat_query(), which flushes the stream
 *	only when the client has no more input pending (RFC 2920: a
 *	pipelined group is answered in one write), then reads the next
 *	command line of at most SMTPD_CMD_LIMIT bytes. A longer line is
 *	read to its end and discarded. The terminator is removed;
 *	state->msg.bare_lf tells whether the line ended in a bare LF.
 *
 *	smtpd_chat_pending() says whether input is waiting, in our buffer or
 *	in the kernel (used to detect improper pipelining).
 *
 *	smtpd_chat_lost() handles a failed read: on a time-out it replies
 *	421 and logs "timeout after X"; otherwise it logs "lost connection
 *	after X". It always returns -1 and sets state->quit.
 * DIAGNOSTICS
 *	smtpd_chat_query() returns 1 for a line, 2 for an over-long line
 *	(discarded), 0 at end of file and -1 on error or time-out.
 */
#include <sys/ioctl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "smtpd.h"

/* smtpd_chat_vreply - format, count (or not) and buffer one reply */

static void PRINTFLIKE(3, 0)
smtpd_chat_vreply(SMTPD_STATE *state, int count, const char *fmt, va_list ap)
{
	const char *s;

	vstring_reset(state->reply);
	vstring_vsprintf_append(state->reply, fmt, ap);
	s = vstring_str(state->reply);
	if (count && (s[0] == '4' || s[0] == '5') && s[3] != '-') {
		state->error_count++;
		if (state->error_count > state->conf->soft_erlim &&
		    state->conf->err_sleep > 0) {
			smtpd_chat_flush(state);
			sleep(state->conf->err_sleep);
		}
	}
	if (msg_verbose)
		msg_info("> %s: %s", state->namaddr, s);
	vstream_fputs(state->client, s);
	vstream_fputs(state->client, "\r\n");
}

void
smtpd_chat_reply(SMTPD_STATE *state, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	smtpd_chat_vreply(state, 1, fmt, ap);
	va_end(ap);
}

void
smtpd_chat_reply_uncounted(SMTPD_STATE *state, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	smtpd_chat_vreply(state, 0, fmt, ap);
	va_end(ap);
}

void
smtpd_chat_flush(SMTPD_STATE *state)
{
	if (vstream_fflush(state->client) < 0 && !state->quit) {
		if (vstream_ftimeout(state->client))
			msg_info("timeout after %s from %s", state->where,
			    state->namaddr);
		else
			msg_info("lost connection after %s from %s",
			    state->where, state->namaddr);
		state->quit = 1;
	}
}

int
smtpd_chat_pending(SMTPD_STATE *state)
{
	int	 n = 0;

	if (vstream_bufstat(state->client) > 0)
		return 1;
	if (ioctl(vstream_fileno(state->client), FIONREAD, &n) < 0)
		return 0;
	return n > 0;
}

/* Strip the line terminator; note a bare LF. */
static void
smtpd_chat_strip(SMTPD_STATE *state, VSTRING *buf)
{
	size_t	 len = vstring_len(buf);
	char	*s = vstring_str(buf);

	state->msg.bare_lf = 0;
	if (len > 0 && s[len - 1] == '\n') {
		len--;
		if (len > 0 && s[len - 1] == '\r')
			len--;
		else
			state->msg.bare_lf = 1;
	}
	vstring_truncate(buf, len);
}

int
smtpd_chat_query(SMTPD_STATE *state)
{
	int	 r;

	if (vstream_bufstat(state->client) == 0)
		smtpd_chat_flush(state);
	if (state->quit)
		return -1;
	r = vstream_get_line(state->client, state->buf, SMTPD_CMD_LIMIT,
	    VSTREAM_GL_KEEPNL | VSTREAM_GL_CRLF);
	if (r == VSTREAM_LINE_OK) {
		smtpd_chat_strip(state, state->buf);
		if (msg_verbose)
			msg_info("< %s: %s", state->namaddr,
			    vstring_str(state->buf));
		return 1;
	}
	if (r != VSTREAM_LINE_LONG)
		return r == VSTREAM_LINE_PARTIAL ? 0 : r;
	/* Over-long: read and drop the rest of the line. */
	while ((r = vstream_get_line(state->client, state->buf,
	    SMTPD_CMD_LIMIT, VSTREAM_GL_KEEPNL | VSTREAM_GL_CRLF)) ==
	    VSTREAM_LINE_LONG)
		 /* void */ ;
	if (r != VSTREAM_LINE_OK)
		return r == VSTREAM_LINE_PARTIAL ? 0 : r;
	smtpd_chat_strip(state, state->buf);
	vstring_reset(state->buf);
	return 2;
}

int
smtpd_chat_lost(SMTPD_STATE *state, int status)
{
	if (state->quit)
		return -1;
	if (status < 0 && vstream_ftimeout(state->client)) {
		msg_info("timeout after %s from %s", state->where,
		    state->namaddr);
		vstream_clearerr(state->client);
		smtpd_chat_reply(state, "421 4.4.2 %s Error: timeout exceeded",
		    state->conf->myhostname);
		smtpd_chat_flush(state);
	} else {
		msg_info("lost connection after %s from %s", state->where,
		    state->namaddr);
	}
	state->quit = 1;
	return -1;
}
