/*
 * NAME
 *	smtpd_chat - SMTP replies, pipelining-aware flushing, command input
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	void smtpd_chat_reply(SMTPD_STATE *state, const char *fmt, ...);
 *	void smtpd_chat_reply_uncounted(SMTPD_STATE *state,
 *	    const char *fmt, ...);
 *	void smtpd_chat_reply_lines(SMTPD_STATE *state, const char *text);
 *	void smtpd_chat_flush(SMTPD_STATE *state);
 *	int  smtpd_chat_query(SMTPD_STATE *state);
 *	int  smtpd_chat_query_limit(SMTPD_STATE *state, int limit);
 *	int  smtpd_chat_pending(SMTPD_STATE *state);
 *	int  smtpd_chat_lost(SMTPD_STATE *state, int status);
 * DESCRIPTION
 *	smtpd_chat_reply() formats one reply line, replaces control
 *	characters (from quoted client text) with '?', cuts it to 510
 *	octets (RFC 5321 4.5.3.1.5: 512 with the CRLF; never inside a
 *	UTF-8 sequence), appends CRLF and writes it into the stream buffer;
 *	nothing is sent yet. Every
 *	4xx/5xx final line counts as an error; past smtpd_soft_error_limit
 *	errors each such reply is delayed by smtpd_error_sleep_time
 *	(tar-pitting). smtpd_chat_reply_uncounted() is the same for a
 *	4xx/5xx reply that is not the client's error (a recipient within
 *	smtpd_recipient_overshoot_limit beyond smtpd_recipient_limit).
 *
 *	Replies are sent by smtpd_chat_query(), which flushes the stream
 *	only when the client has no more input pending (RFC 2920: a
 *	pipelined group is answered in one write), then reads the next
 *	command line of at most SMTPD_CMD_LIMIT bytes. A longer line is
 *	read to its end and discarded (smtpd_chat_query_limit() takes another
 *	bound: SASL responses). The terminator is removed;
 *	state->msg.bare_lf tells whether the line ended in a bare LF.
 *
 *	While it waits for a command, smtpd_chat_query() also watches the
 *	status channel: when the master says that the service is under
 *	stress, the limits are re-read (smtpd_stress_update) and the wait
 *	ends at the stress timeout counted from its start.
 *
 *	With smtpd_per_record_deadline (by default only under stress),
 *	smtpd_timeout bounds the whole exchange: flushing the pending
 *	replies and receiving the complete next command line, however
 *	slowly the bytes come; not the time spent processing a command.
 *
 *	smtpd_chat_pending() says whether input is waiting, in our buffer or
 *	in the kernel (used to detect improper pipelining).
 *
 *	With verbose logging (debug_peer_list), command lines are logged,
 *	except SASL responses and AUTH initial responses: credentials never
 *	reach the log.
 *
 *	smtpd_chat_lost() handles a failed read: on a time-out it replies
 *	421 and logs "timeout after X"; otherwise it logs "lost connection
 *	after X". It always returns -1 and sets state->quit.
 * DIAGNOSTICS
 *	smtpd_chat_query() returns 1 for a line, 2 for an over-long line
 *	(discarded), 0 at end of file and -1 on error or time-out.
 */
#include <sys/ioctl.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "iostuff.h"
#include "mail_server.h"
#include "msg.h"
#include "smtpd.h"

/*
 * Replies quote client text (a HELO name, an address): a control byte in
 * it, such as a CR that did not end the command line, must not reach the
 * wire, where it would break the reply line (RFC 5321 4.2).
 */
static void
smtpd_chat_printable(VSTRING *reply)
{
	for (char *cp = vstring_str(reply); *cp; cp++)
		if ((unsigned char)*cp < 0x20 || *cp == 0x7f)
			*cp = '?';
}

/*
 * A reply line is at most 512 octets with its CRLF (RFC 5321 4.5.3.1.5):
 * longer text (a table's or a milter's) is cut, not at a UTF-8 sequence.
 */
#define SMTPD_CHAT_LINE_MAX	(512 - 2)

static void
smtpd_chat_bound(VSTRING *reply)
{
	size_t	 len = SMTPD_CHAT_LINE_MAX;
	const char *s = vstring_str(reply);

	if (vstring_len(reply) <= len)
		return;
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	vstring_truncate(reply, len);
}

/* smtpd_chat_vreply - format, count (or not) and buffer one reply */

static void PRINTFLIKE(3, 0)
smtpd_chat_vreply(SMTPD_STATE *state, int count, const char *fmt, va_list ap)
{
	char	*s;

	vstring_reset(state->reply);
	vstring_vsprintf_append(state->reply, fmt, ap);
	smtpd_chat_printable(state->reply);
	smtpd_chat_bound(state->reply);
	s = vstring_str(state->reply);
	/* soft_bounce: no permanent rejection, 5xx 5.x.x becomes 4xx 4.x.x. */
	if (state->conf->soft_bounce && s[0] == '5' && vstring_len(state->reply) >= 4) {
		s[0] = '4';
		if (s[4] == '5' && s[5] == '.')
			s[4] = '4';
	}
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
smtpd_chat_reply_lines(SMTPD_STATE *state, const char *text)
{
	VSTRING	*line = vstring_alloc(100);
	const char *cp, *end, *next;
	int	 last;

	for (cp = text; *cp; cp = next) {
		if ((end = strstr(cp, "\r\n")) != NULL)
			next = end + 2;
		else
			next = end = cp + strlen(cp);
		last = (*next == 0);
		vstring_memcpy(line, cp, end - cp);
		if (vstring_len(line) == 3)
			vstring_addch(line, last ? ' ' : '-');
		if (vstring_len(line) >= 4)
			vstring_str(line)[3] = last ? ' ' : '-';
		smtpd_chat_reply(state, "%s", vstring_str(line));
	}
	vstring_free(line);
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

/* Verbose logging, without SASL credentials. */
static void
smtpd_chat_echo(SMTPD_STATE *state)
{
	const char *s = vstring_str(state->buf);
	int	 n;

	if (state->sasl_busy) {
		msg_info("< %s: (SASL response, not logged)", state->namaddr);
		return;
	}
	if (strncasecmp(s, "AUTH", 4) == 0 && (s[4] == ' ' || s[4] == '\t')) {
		n = 5 + (int)strspn(s + 5, " \t");
		n += (int)strcspn(s + n, " \t");
		msg_info("< %s: %.*s%s", state->namaddr, n, s,
		    s[n] ? " (initial response not logged)" : "");
		return;
	}
	msg_info("< %s: %s", state->namaddr, s);
}

/*
 * Wait for input while listening to the master's stress news; the
 * seconds left of smtpd_timeout (as it is at the end), at least 1.
 */
static int
smtpd_chat_wait(SMTPD_STATE *state)
{
	struct pollfd pfd[2];
	long long start = monotonic_ms(), left;
	int	 sfd, n;

	for (;;) {
		left = state->conf->timeout * 1000LL - (monotonic_ms() - start);
		if (left <= 0)
			return 1;
		if ((sfd = mail_server_status_fd()) < 0 || state->conf->stress)
			break;
		pfd[0].fd = vstream_fileno(state->client);
		pfd[0].events = POLLIN;
		pfd[1].fd = sfd;
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		n = poll(pfd, 2, left > 86400000 ? 86400000 : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0 && (pfd[0].revents & POLLIN))
			vstream_ready(state->client);
		if (n <= 0 || pfd[0].revents)
			break;
		if (smtpd_stress_update() && state->conf->stress)
			msg_info("%s: service under stress: timeout %ds",
			    state->namaddr, state->conf->timeout);
	}
	return left < 1000 ? 1 : (int)(left / 1000);
}

/* The request is in (or lost): processing it is not the client's time. */
static int
smtpd_chat_query_end(SMTPD_STATE *state, int status)
{
	if (state->conf->deadline)
		vstream_set_deadline(state->client, 0);
	return status;
}

int
smtpd_chat_query(SMTPD_STATE *state)
{
	return smtpd_chat_query_limit(state, SMTPD_CMD_LIMIT);
}

int
smtpd_chat_query_limit(SMTPD_STATE *state, int limit)
{
	int	 r, wait;

	/* smtpd_per_record_deadline: our replies and the request, together. */
	if (state->conf->deadline)
		vstream_set_deadline(state->client, state->conf->timeout);
	if (vstream_bufstat(state->client) == 0)
		smtpd_chat_flush(state);
	if (state->quit)
		return smtpd_chat_query_end(state, -1);
	/* Not under TLS: the TLS layer may hold input that poll() misses. */
	if (vstream_bufstat(state->client) == 0 && !state->conf->stress &&
	    state->tls == NULL && mail_server_status_fd() >= 0) {
		vstream_set_timeout(state->client, wait = smtpd_chat_wait(state));
		if (state->conf->deadline)
			vstream_set_deadline(state->client, wait);
	}
	r = vstream_get_line(state->client, state->buf, limit,
	    VSTREAM_GL_KEEPNL | VSTREAM_GL_CRLF);
	vstream_set_timeout(state->client, state->conf->timeout);
	if (r != VSTREAM_LINE_LONG)
		smtpd_chat_query_end(state, 0);
	if (r == VSTREAM_LINE_OK) {
		smtpd_chat_strip(state, state->buf);
		if (msg_verbose)
			smtpd_chat_echo(state);
		return 1;
	}
	if (r != VSTREAM_LINE_LONG)
		return r == VSTREAM_LINE_PARTIAL ? 0 : r;
	/* Over-long: read and drop the rest of the line. */
	while ((r = vstream_get_line(state->client, state->buf,
	    limit, VSTREAM_GL_KEEPNL | VSTREAM_GL_CRLF)) ==
	    VSTREAM_LINE_LONG)
		 /* void */ ;
	smtpd_chat_query_end(state, 0);
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
