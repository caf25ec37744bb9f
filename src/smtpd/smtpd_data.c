/*
 * NAME
 *	smtpd_data - DATA and BDAT: receiving the message content
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int smtpd_data_cmd(SMTPD_STATE *state, const char *args);
 *	int smtpd_data_bdat(SMTPD_STATE *state, const char *args);
 * DESCRIPTION
 *	smtpd_data_cmd() runs the data restrictions, answers 354 and reads
 *	the content line by line (at most line_length_limit bytes at a
 *	time: longer lines are kept whole, read in pieces), undoing dot
 *	stuffing. The content ends only at <CR><LF>.<CR><LF>: a "." line
 *	counts as the end only when it and the line before it both end in
 *	<CR><LF>, so that <LF>.<LF>, <CR>.<CR>, <LF>.<CR><LF> and
 *	<CR><LF>.<LF> are ordinary content (SMTP smuggling defence, as in
 *	Postfix 3.9 with smtpd_forbid_bare_newline = normalize; a bare CR
 *	is always ordinary data). With smtpd_forbid_bare_newline = no, any
 *	"." line ends the content; with "reject", a message with a bare LF
 *	is read to its end, rejected with 521 and the client disconnected.
 *
 *	smtpd_data_bdat() implements BDAT (RFC 3030): it reads exactly the
 *	announced number of octets, also when the command is rejected, so
 *	that the session stays in step; CRLF becomes LF in the queue file.
 *
 *	With smtpd_per_record_deadline, reading the content of a DATA
 *	command or a BDAT chunk has smtpd_timeout in all, extended after
 *	each read by the time that its bytes take at smtpd_min_data_rate
 *	bytes per second (never beyond smtpd_timeout from that moment): a
 *	client that sends more slowly is disconnected ("timeout after DATA").
 *
 *	Both end in smtpd_data_finish(): message_size_limit (552 5.3.4,
 *	file removed), end-of-data restrictions, DISCARD, then the cleanup
 *	stage's verdict and commit (cleanup(3): 451 4.3.0 for a write or
 *	table error, a hook's reject or defer) and "250 2.0.0 Ok: queued
 *	as ID" ("250 2.0.0 Ok: queued" for a maildrop file, which gets its
 *	queue id from pickup).
 * DIAGNOSTICS
 *	The functions reply to the client and return 0 when a message was
 *	accepted (or a BDAT chunk received), -1 otherwise.
 */
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"

#define SMTPD_BDAT_BUF	65536

/* Preconditions shared by DATA and BDAT; -1 after a reply. */
static int
smtpd_data_ready(SMTPD_STATE *state)
{
	if (state->sender == NULL || state->rcpt_count == 0) {
		smtpd_chat_reply(state, "503 5.5.1 Error: need RCPT command");
		return -1;
	}
	if (smtpd_check_data(state) == SMTPD_CHECK_REJECT) {
		smtpd_chat_reply(state, "%s", vstring_str(state->check_reply));
		return -1;
	}
	if (smtpd_milter_data(state) < 0)
		return -1;
	return 0;
}

/* The 250 reply; a maildrop file has no queue id yet (pickup gives one). */
static void
smtpd_data_queued(SMTPD_STATE *state)
{
	if (state->queue_id[0])
		smtpd_chat_reply(state, "250 2.0.0 Ok: queued as %s",
		    state->queue_id);
	else
		smtpd_chat_reply(state, "250 2.0.0 Ok: queued");
}

/* After the content: size, errors, restrictions, commit. */
static int
smtpd_data_finish(SMTPD_STATE *state)
{
	SMTPD_MSG *m = &state->msg;
	VSTRING	*reply = vstring_alloc(100);
	int	 r = -1, cr;

	smtpd_msg_end(state);
	state->where = "END-OF-MESSAGE";
	if (m->bare_lf && state->bare_nl == SMTPD_BARE_NL_REJECT) {
		msg_info("disconnect: bare <LF> received from %s", state->namaddr);
		smtpd_chat_reply(state, "%d 5.5.2 %s Error: bare <LF> received",
		    state->conf->bare_nl_code, state->conf->myhostname);
		state->quit = 1;
	} else if (m->too_big) {
		msg_info("%s: reject: size %lld exceeds message_size_limit from %s",
		    state->queue_id[0] ? state->queue_id : "NOQUEUE", m->size,
		    state->namaddr);
		smtpd_chat_reply(state, "552 5.3.4 Error: message file too big");
	} else if (smtpd_check_eod(state) == SMTPD_CHECK_REJECT) {
		smtpd_chat_reply(state, "%s", vstring_str(state->check_reply));
	} else if (state->discard) {
		msg_info("%s: discard: END-OF-MESSAGE from %s: %s",
		    state->queue_id, state->namaddr, "message discarded");
		smtpd_data_queued(state);
		r = 0;
	} else if ((cr = smtpd_queue_commit(state, reply)) == CLEANUP_REJECT
	    || cr == CLEANUP_DEFER) {
		/* The cleanup stage logged why (checks, milters, tables). */
		smtpd_chat_reply_lines(state, vstring_str(reply));
	} else {
		smtpd_data_queued(state);
		state->error_count = 0;
		state->junk_count = 0;
		r = 0;
	}
	smtpd_proto_reset(state);
	vstring_free(reply);
	return r;
}

/* Classify a line terminator; strip it. 2 CRLF, 1 LF, 0 none. */
static int
smtpd_data_term(VSTRING *line)
{
	size_t	 len = vstring_len(line);
	const char *s = vstring_str(line);

	if (len == 0 || s[len - 1] != '\n')
		return 0;
	if (len >= 2 && s[len - 2] == '\r') {
		vstring_truncate(line, len - 2);
		return 2;
	}
	vstring_truncate(line, len - 1);
	return 1;
}

/* smtpd_per_record_deadline: the content must come at the minimum rate. */
static void
smtpd_data_deadline(SMTPD_STATE *state, int on)
{
	if (!state->conf->deadline)
		return;
	vstream_set_deadline(state->client, on ? state->conf->timeout : 0);
	if (on)
		vstream_set_min_rate(state->client, state->conf->min_data_rate);
}

/* Is this "." line the end of the content? */
static int
smtpd_data_is_end(SMTPD_STATE *state, int term, int prev_term)
{
	if (state->bare_nl == SMTPD_BARE_NL_NO)
		return term != 0;
	return term == 2 && prev_term == 2;
}

/* Read the content up to the end marker; -1 when the client is lost. */
static int
smtpd_data_read(SMTPD_STATE *state)
{
	VSTRING	*line = vstring_alloc(1024);
	size_t	 limit = state->conf->line_limit > 0 ?
	    (size_t)state->conf->line_limit : SMTPD_CMD_LIMIT;
	int	 r, term, prev_term = 2, bol = 1, cr = 0, status = -1;
	const char *s;
	size_t	 len;

	smtpd_data_deadline(state, 1);
	for (;;) {
		r = vstream_get_line(state->client, line, limit,
		    VSTREAM_GL_KEEPNL | VSTREAM_GL_CRLF);
		if (r != VSTREAM_LINE_OK && r != VSTREAM_LINE_LONG) {
			smtpd_data_deadline(state, 0);
			smtpd_chat_lost(state, r == VSTREAM_LINE_PARTIAL ? 0 : r);
			break;
		}
		term = smtpd_data_term(line);
		s = vstring_str(line);
		len = vstring_len(line);
		/* A CR split from its LF by a piece boundary. */
		if (cr && term == 1 && len == 0)
			term = 2;
		else if (cr)
			smtpd_msg_line(state, "\r", 1, 0);
		if ((cr = (term == 0 && len > 0 && s[len - 1] == '\r')) != 0)
			len--;
		if (bol && len > 0 && s[0] == '.') {
			if (len == 1 && smtpd_data_is_end(state, term, prev_term)) {
				status = 0;
				break;
			}
			s++;
			len--;
		}
		if (term == 1)
			state->msg.bare_lf = 1;
		smtpd_msg_line(state, s, len, term != 0);
		bol = (term != 0);
		prev_term = term;
	}
	smtpd_data_deadline(state, 0);
	vstring_free(line);
	return status;
}

int
smtpd_data_cmd(SMTPD_STATE *state, const char *args)
{
	if (state->bdat) {
		smtpd_chat_reply(state, "503 5.5.1 Error: DATA after BDAT");
		return -1;
	}
	if (*args) {
		smtpd_chat_reply(state, "501 5.5.4 Syntax: DATA");
		return -1;
	}
	if (smtpd_data_ready(state) < 0)
		return -1;
	if (state->body && strcmp(state->body, "BINARYMIME") == 0) {
		smtpd_chat_reply(state, "503 5.5.1 Error: BDAT required for "
		    "BODY=BINARYMIME");
		return -1;
	}
	smtpd_msg_begin(state);
	smtpd_chat_reply(state, "354 End data with <CR><LF>.<CR><LF>");
	smtpd_chat_flush(state);
	state->where = "DATA";
	if (state->quit || smtpd_data_read(state) < 0) {
		smtpd_proto_reset(state);
		return -1;
	}
	return smtpd_data_finish(state);
}

/* Feed a BDAT chunk to the message, CRLF -> LF. */
static void
smtpd_data_bdat_feed(SMTPD_STATE *state, const char *buf, size_t len)
{
	SMTPD_MSG *m = &state->msg;
	const char *nl;
	size_t	 n;

	if (m->pending_cr && len > 0) {
		m->pending_cr = 0;
		if (buf[0] == '\n') {
			smtpd_msg_line(state, "", 0, 1);
			buf++, len--;
		} else {
			smtpd_msg_line(state, "\r", 1, 0);
		}
	}
	while (len > 0) {
		if ((nl = memchr(buf, '\n', len)) == NULL) {
			n = len;
			if (buf[n - 1] == '\r') {
				m->pending_cr = 1;
				n--;
			}
			smtpd_msg_line(state, buf, n, 0);
			return;
		}
		n = nl - buf;
		smtpd_msg_line(state, buf, n > 0 && nl[-1] == '\r' ? n - 1 : n, 1);
		buf = nl + 1;
		len -= n + 1;
	}
}

/* Read (and maybe keep) exactly size octets; -1 when the client is lost. */
static int
smtpd_data_bdat_read(SMTPD_STATE *state, long long size, int keep)
{
	char	*buf = mymalloc(SMTPD_BDAT_BUF);
	ssize_t	 n;
	size_t	 want;

	smtpd_data_deadline(state, 1);
	while (size > 0) {
		want = size > SMTPD_BDAT_BUF ? SMTPD_BDAT_BUF : (size_t)size;
		if ((n = vstream_read(state->client, buf, want)) <= 0) {
			smtpd_data_deadline(state, 0);
			myfree(buf);
			return smtpd_chat_lost(state, n < 0 ? -1 : 0);
		}
		if (keep)
			smtpd_data_bdat_feed(state, buf, n);
		size -= n;
	}
	smtpd_data_deadline(state, 0);
	myfree(buf);
	return 0;
}

/* Parse "count [LAST]"; -1 if malformed. */
static int
smtpd_data_bdat_args(const char *args, long long *size, int *last)
{
	ARGV	*argv = argv_split(args, " \t");
	int	 r = -1;

	if (argv->argc >= 1 && argv->argc <= 2 &&
	    smtpd_proto_size(argv->argv[0], size) == 0 &&
	    (argv->argc == 1 || strcasecmp(argv->argv[1], "LAST") == 0)) {
		*last = (argv->argc == 2);
		r = 0;
	}
	argv_free(argv);
	return r;
}

int
smtpd_data_bdat(SMTPD_STATE *state, const char *args)
{
	long long size;
	int	 last;

	if (smtpd_data_bdat_args(args, &size, &last) < 0) {
		smtpd_chat_reply(state, "501 5.5.4 Syntax: BDAT count [LAST]");
		return -1;
	}
	if (!state->bdat && !state->bdat_bad) {
		if (!state->ehlo || smtpd_data_ready(state) < 0) {
			if (!state->ehlo)
				smtpd_chat_reply(state, "503 5.5.1 Error: "
				    "BDAT requires EHLO");
			state->bdat_bad = 1;
		} else {
			state->bdat = 1;
			smtpd_msg_begin(state);
		}
	} else if (state->bdat_bad) {
		smtpd_chat_reply(state, "503 5.5.1 Error: need RCPT command");
	}
	if (smtpd_data_bdat_read(state, size, state->bdat) < 0) {
		smtpd_proto_reset(state);
		return -1;
	}
	if (state->bdat_bad) {
		if (last)
			smtpd_proto_reset(state);
		return -1;
	}
	if (!last) {
		smtpd_chat_reply(state, "250 2.0.0 Ok: %lld bytes", size);
		return 0;
	}
	return smtpd_data_finish(state);
}
