/*
 * NAME
 *	smtpd_msg - message content: header handling and size limits
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	void smtpd_msg_begin(SMTPD_STATE *state);
 *	void smtpd_msg_line(SMTPD_STATE *state, const char *data, size_t len,
 *		int complete);
 *	void smtpd_msg_end(SMTPD_STATE *state);
 * DESCRIPTION
 *	smtpd_msg_begin() starts the content of the queue file: the
 *	always_bcc / recipient_bcc_maps recipients are added and our
 *	Received: header is written.
 *
 *	smtpd_msg_line() takes content as it arrives, already without
 *	SMTP framing (dot stuffing and CRLF removed): a piece of a line, and
 *	whether the line ends here. The queue file holds LF-terminated
 *	lines; over-long lines are kept whole. The header section is kept
 *	in memory until it ends (at the empty line, or at the first line
 *	that is not a header field or continuation) so that Message-ID: and
 *	Date: can be appended when missing, for clients that match
 *	local_header_rewrite_clients. One header field longer than
 *	header_size_limit is truncated there, as Postfix does; a header
 *	section over SMTPD_HDR_BUF_MAX bytes is written out as it is and
 *	the rest taken as body.
 *
 *	Content past message_size_limit is not written (state->msg.too_big)
 *	but still read, so that the client gets the 552 reply after its
 *	end-of-data. A queue file write error sets state->msg.write_err.
 *
 *	smtpd_msg_end() completes a last line without terminator (BDAT)
 *	and writes a header section that never ended.
 * DIAGNOSTICS
 *	Errors are recorded in state->msg; see smtpd_data.c.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"

#define SMTPD_HDR_BUF_MAX	(1024 * 1024)

void
smtpd_msg_begin(SMTPD_STATE *state)
{
	SMTPD_MSG *m = &state->msg;
	VSTRING	*rcv = vstring_alloc(256);

	m->in_header = 1;
	m->have_msgid = m->have_date = 0;
	m->too_big = m->write_err = m->bare_lf = 0;
	m->size = 0;
	m->hdr_cur = 0;
	m->hdr_cut = 0;
	m->pending_cr = 0;
	m->partial = 0;
	vstring_reset(m->hdr);
	vstring_reset(m->line);
	smtpd_queue_bcc(state);
	smtpd_policy_headers(state, rcv);	/* PREPEND, FILTER */
	smtpd_queue_write(state, vstring_str(rcv), vstring_len(rcv));
	smtpd_queue_received(state, rcv);
	smtpd_queue_write(state, vstring_str(rcv), vstring_len(rcv));
	vstring_free(rcv);
}

/* Header field name followed by a colon? */
static int
smtpd_msg_is_header(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (s[i] == ':')
			return i > 0;
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return 0;
	}
	return 0;
}

static int
smtpd_msg_named(const char *s, size_t len, const char *name)
{
	size_t	 n = strlen(name);

	return len > n && s[n] == ':' && strncasecmp(s, name, n) == 0;
}

/* Append missing headers and write the header section out. */
static void
smtpd_msg_header_end(SMTPD_STATE *state)
{
	SMTPD_MSG *m = &state->msg;
	char	 date[64];
	time_t	 now;
	struct tm *tm;

	m->in_header = 0;
	if (state->rewrite_hdrs && (!m->have_date || !m->have_msgid)) {
		now = time(NULL);
		if (!m->have_msgid) {
			tm = gmtime(&now);
			strftime(date, sizeof(date), "%Y%m%d%H%M%S", tm);
			vstring_sprintf_append(m->hdr, "Message-Id: <%s.%s@%s>\n",
			    date, state->queue_id, state->conf->myhostname);
		}
		if (!m->have_date) {
			tm = localtime(&now);
			strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z (%Z)", tm);
			vstring_sprintf_append(m->hdr, "Date: %s\n", date);
		}
	}
	smtpd_queue_write(state, vstring_str(m->hdr), vstring_len(m->hdr));
	vstring_reset(m->hdr);
}

/* One complete logical line while in the header section. */
static void
smtpd_msg_header_line(SMTPD_STATE *state, const char *s, size_t len)
{
	SMTPD_MSG *m = &state->msg;
	long long lim = state->conf->hdr_limit;

	if ((*s == ' ' || *s == '\t') && vstring_len(m->hdr) > 0) {
		m->hdr_cur += len + 1;
		if (lim > 0 && m->hdr_cur > lim) {
			if (!m->hdr_cut)
				msg_info("%s: header too long, truncated, from %s",
				    state->queue_id, state->namaddr);
			m->hdr_cut = 1;
			return;
		}
	} else if (smtpd_msg_is_header(s, len)) {
		m->hdr_cur = len + 1;
		m->hdr_cut = 0;
		if (smtpd_msg_named(s, len, "Message-ID"))
			m->have_msgid = 1;
		else if (smtpd_msg_named(s, len, "Date"))
			m->have_date = 1;
	} else {
		/* Empty line or body text: the header section ends. */
		smtpd_msg_header_end(state);
		smtpd_queue_write(state, s, len);
		smtpd_queue_write(state, "\n", 1);
		return;
	}
	vstring_memcat(m->hdr, s, len);
	vstring_addch(m->hdr, '\n');
	if (vstring_len(m->hdr) > SMTPD_HDR_BUF_MAX)
		smtpd_msg_header_end(state);
}

void
smtpd_msg_line(SMTPD_STATE *state, const char *data, size_t len, int complete)
{
	SMTPD_MSG *m = &state->msg;
	long long lim = state->conf->size_limit;
	long long hlim = state->conf->hdr_limit;

	m->size += len + (complete ? 1 : 0);
	if (lim > 0 && m->size > lim)
		m->too_big = 1;
	if (m->too_big || m->write_err)
		return;
	if (!m->in_header) {
		smtpd_queue_write(state, data, len);
		if (complete)
			smtpd_queue_write(state, "\n", 1);
		m->partial = !complete;
		return;
	}
	/* Assemble the line; keep at most header_size_limit of it. */
	if (hlim <= 0 || (long long)vstring_len(m->line) < hlim)
		vstring_memcat(m->line, data, hlim > 0 &&
		    (long long)(vstring_len(m->line) + len) > hlim ?
		    (size_t)(hlim - vstring_len(m->line)) : len);
	if (!complete)
		return;
	smtpd_msg_header_line(state, vstring_str(m->line), vstring_len(m->line));
	vstring_reset(m->line);
}

void
smtpd_msg_end(SMTPD_STATE *state)
{
	SMTPD_MSG *m = &state->msg;

	if (m->pending_cr) {
		m->pending_cr = 0;
		smtpd_msg_line(state, "\r", 1, 0);
	}
	if (m->too_big || m->write_err)
		return;
	if (m->in_header) {
		if (vstring_len(m->line) > 0)
			smtpd_msg_line(state, "", 0, 1);
		if (m->in_header)
			smtpd_msg_header_end(state);
	} else if (m->partial) {
		smtpd_queue_write(state, "\n", 1);
	}
}
