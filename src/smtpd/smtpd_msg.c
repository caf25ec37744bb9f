/*
 * NAME
 *	smtpd_msg - message content: size limits, hand-off to cleanup
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	void smtpd_msg_begin(SMTPD_STATE *state);
 *	void smtpd_msg_line(SMTPD_STATE *state, const char *data, size_t len,
 *		int complete);
 *	void smtpd_msg_end(SMTPD_STATE *state);
 * DESCRIPTION
 *	smtpd_msg_begin() starts the content: our Received: header goes to
 *	the cleanup stage first.
 *
 *	smtpd_msg_line() takes content as it arrives, already without
 *	SMTP framing (dot stuffing and CRLF removed): a piece of a line, and
 *	whether the line ends here, and hands it to the queue
 *	(smtpd_queue(3)): to the cleanup stage (cleanup(3)), which parses
 *	the header once (header_size_limit, header rewriting and
 *	completion, the hooks) and writes the queue file, or in
 *	stand-alone mode for an ordinary user to a maildrop file.
 *
 *	Content past message_size_limit is not passed on
 *	(state->msg.too_big) but still read, so that the client gets the
 *	552 reply after its end-of-data.
 *
 *	smtpd_msg_end() completes a BDAT chunk that ended in a CR.
 * DIAGNOSTICS
 *	Errors are recorded in state->msg; see smtpd_data.c.
 */
#include <string.h>

#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"

void
smtpd_msg_begin(SMTPD_STATE *state)
{
	SMTPD_MSG *m = &state->msg;
	VSTRING	*rcv = vstring_alloc(256);

	m->too_big = m->write_err = m->bare_lf = 0;
	m->size = 0;
	m->pending_cr = 0;
	smtpd_policy_headers(state, rcv);	/* PREPEND, FILTER: above Received: */
	smtpd_queue_write(state, vstring_str(rcv), vstring_len(rcv));
	smtpd_queue_received(state, rcv);
	smtpd_queue_write(state, vstring_str(rcv), vstring_len(rcv));
	vstring_free(rcv);
}

void
smtpd_msg_line(SMTPD_STATE *state, const char *data, size_t len, int complete)
{
	SMTPD_MSG *m = &state->msg;
	long long lim = state->conf->size_limit;

	m->size += len + (complete ? 1 : 0);
	if (lim > 0 && m->size > lim)
		m->too_big = 1;
	if (m->too_big)
		return;
	if (state->cleanup == NULL) {	/* a maildrop file, or none */
		smtpd_queue_line(state, data, len, complete);
		return;
	}
	cleanup_line(state->cleanup, data, len, complete);
}

void
smtpd_msg_end(SMTPD_STATE *state)
{
	SMTPD_MSG *m = &state->msg;

	if (m->pending_cr) {
		m->pending_cr = 0;
		smtpd_msg_line(state, "\r", 1, 0);
	}
}
