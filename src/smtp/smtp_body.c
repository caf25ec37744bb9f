/*
 * NAME
 *	smtp_body - send the message content
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	int smtp_body_has8(SMTP_REQ *req);
 *	int smtp_body_send(SMTP_REQ *req, SMTP_SESS *sess, int downgrade);
 *	void smtp_out_text(SMTP_OUT *out, const char *text, size_t len,
 *	    int eol);
 * DESCRIPTION
 *	smtp_body_has8() says whether the content has a byte with the high
 *	bit set, as the queue file's header says, or else the delivery
 *	request (encoding); it reads the content to find out only for a
 *	file of an earlier build, which says nothing.
 *
 *	smtp_body_send() reads the content (LF-terminated lines in the queue
 *	file; its header section as smtp_generic_maps rewrote it, when it
 *	did: smtp_generic(3)) and sends it after DATA: lines end in CRLF, a line that starts
 *	with "." gets another (RFC 5321 transparency), and output lines
 *	longer than smtp_line_length_limit are broken by inserting CRLF and
 *	a space, as Postfix does (0: no limit). With downgrade, the content
 *	goes through the MIME 8-bit to quoted-printable converter first.
 *	The final "." is sent by itself after smtp_pix_workaround_delay_time
 *	when the server is a PIX firewall and the message has been queued
 *	longer than smtp_pix_workaround_threshold_time.
 *
 *	smtp_out_text() writes a piece of one line; eol ends the line.
 *	It is the only writer of content, so it is where the client
 *	normalises line ends: a CR or LF inside the text (a bare CR kept
 *	by smtpd as content, a queue file written by other means) ends the
 *	output line there with CRLF, and a CR at the very end of a line
 *	just before its end is dropped. The next output line is
 *	dot-stuffed as usual. SMTP and LMTP output therefore never holds a
 *	bare CR or LF, and <CR>.<CR> in the content goes out as
 *	CRLF ".." CRLF: no receiver, whatever it takes as a line end, sees
 *	the end of the data there (SMTP smuggling).
 * DIAGNOSTICS
 *	smtp_body_send() returns -1 when the content cannot be read or the
 *	connection fails (the session is then marked broken), 0 otherwise.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "mymalloc.h"
#include "smtp.h"

#define SMTP_BODY_BLOCK	65536		/* content read size */
#define SMTP_BODY_CHUNK	8192		/* longest piece of a line handed on */

int
smtp_body_has8(SMTP_REQ *req)
{
	unsigned char *buf;
	off_t	 off = 0;
	ssize_t	 n, i;
	int	 found = 0;

	if (req->msg->content_8bit != QF_8BIT_UNKNOWN)
		return req->msg->content_8bit == QF_8BIT_YES;
	if (req->dr.content_8bit != QF_8BIT_UNKNOWN)
		return req->dr.content_8bit == QF_8BIT_YES;
	buf = mymalloc(SMTP_BODY_BLOCK);
	while (!found && (n = qf_read_content(req->msg, off, buf, SMTP_BODY_BLOCK)) > 0) {
		for (i = 0; i < n; i++)
			if (buf[i] & 0x80) {
				found = 1;
				break;
			}
		off += n;
	}
	myfree(buf);
	return found;
}

/* smtp_out_write - raw bytes to the server */

static void
smtp_out_write(SMTP_OUT *out, const char *s, size_t len)
{
	if (out->err || len == 0)
		return;
	if (vstream_write(out->sess->stream, s, len) < 0)
		out->err = 1;
}

/* smtp_out_piece - a piece of one line without CR or LF */

static void
smtp_out_piece(SMTP_OUT *out, const char *s, size_t len, int eol)
{
	size_t	 room, n;

	while (len > 0) {
		if (out->col == 0 && *s == '.')
			smtp_out_write(out, ".", 1);
		n = len;
		if (smtp_cf.line_limit > 1) {
			room = smtp_cf.line_limit - out->col;
			if (n >= room && (n > room || !eol)) {
				/* Break the line, as Postfix does: CRLF SPACE. */
				smtp_out_write(out, s, room);
				smtp_out_write(out, "\r\n ", 3);
				out->col = 1;
				s += room;
				len -= room;
				continue;
			}
		}
		smtp_out_write(out, s, n);
		out->col += n;
		s += n;
		len -= n;
	}
	if (eol) {
		smtp_out_write(out, "\r\n", 2);
		out->col = 0;
		/* smtp_per_record_deadline: a content line is a record. */
		if (smtp_cf.deadline)
			vstream_set_deadline(out->sess->stream, (int)smtp_cf.tmo_data_xfer);
	}
}

void
smtp_out_text(SMTP_OUT *out, const char *s, size_t len, int eol)
{
	const char *end = s + len, *cr = NULL, *p;

	for (;;) {
		/* The next CR (remembered across LFs) and any LF before it. */
		if (cr == NULL || cr < s)
			cr = memchr(s, '\r', end - s);
		if ((p = memchr(s, '\n', (cr ? cr : end) - s)) == NULL && (p = cr) == NULL)
			break;
		if (*p == '\r' && p + 1 == end && eol) {
			/* "text CR" then the line end: one line end. */
			smtp_out_piece(out, s, p - s, 1);
			return;
		}
		smtp_out_piece(out, s, p - s, 1);
		s = p + 1;
		if (*p == '\r' && s < end && *s == '\n')
			s++;
	}
	smtp_out_piece(out, s, end - s, eol);
}

/* smtp_body_line - one piece of a content line, to the converter or out */

void
smtp_body_line(SMTP_OUT *out, SMTP_MIME *mime, const char *s, size_t len, int eol)
{
	if (eol && len > 0 && s[len - 1] == '\r')
		len--;
	if (mime)
		smtp_mime_line(mime, s, len, eol);
	else
		smtp_out_text(out, s, len, eol);
}

/* smtp_body_copy - split the content into lines */

static void
smtp_body_piece(SMTP_HBC *hbc, SMTP_OUT *out, SMTP_MIME *mime, const char *s,
    size_t len, int eol)
{
	if (hbc == NULL) {
		smtp_body_line(out, mime, s, len, eol);
		return;
	}
	if (eol && len > 0 && s[len - 1] == '\r')
		len--;
	smtp_hbc_line(hbc, s, len, eol);
}

/* The line splitter's state across blocks. */
typedef struct SMTP_BODY_LINES {
	SMTP_HBC *hbc;
	SMTP_OUT *out;
	SMTP_MIME *mime;
	VSTRING	*line;			/* a line not yet ended */
} SMTP_BODY_LINES;

/* smtp_body_block - split a block of content into lines, pass them on */

static void
smtp_body_block(SMTP_BODY_LINES *bl, const char *p, const char *end)
{
	VSTRING	*line = bl->line;
	const char *nl;
	size_t	 take;

	for (; p < end; p += take) {
		nl = memchr(p, '\n', end - p);
		take = (nl ? nl : end) - p;
		if (vstring_len(line) + take >= SMTP_BODY_CHUNK) {
			take = SMTP_BODY_CHUNK - vstring_len(line);
			vstring_memcat(line, p, take);
			/* Keep a trailing CR with its LF. */
			if (vstring_str(line)[vstring_len(line) - 1] == '\r') {
				vstring_truncate(line, vstring_len(line) - 1);
				take--;
			}
			smtp_body_piece(bl->hbc, bl->out, bl->mime, vstring_str(line),
			    vstring_len(line), 0);
			vstring_reset(line);
			continue;
		}
		vstring_memcat(line, p, take);
		if (nl) {
			smtp_body_piece(bl->hbc, bl->out, bl->mime, vstring_str(line),
			    vstring_len(line), 1);
			vstring_reset(line);
			take++;
		}
	}
}

/*
 * smtp_body_copy - the content, as lines; a header that smtp_generic_maps
 * rewrote (req->gen_hdr) stands for the content's first req->gen_off bytes.
 */
static int
smtp_body_copy(SMTP_REQ *req, SMTP_OUT *out, SMTP_MIME *mime)
{
	SMTP_BODY_LINES bl;
	char	*buf = mymalloc(SMTP_BODY_BLOCK);
	off_t	 off = 0;
	ssize_t	 n = 0;

	bl.hbc = smtp_hbc_begin(req, out, mime);
	bl.out = out;
	bl.mime = mime;
	bl.line = vstring_alloc(SMTP_BODY_CHUNK);
	/* With header checks, smtp_hbc(3) applies smtp_generic_maps after them. */
	if (req->gen_hdr && bl.hbc == NULL) {
		smtp_body_block(&bl, vstring_str(req->gen_hdr),
		    vstring_str(req->gen_hdr) + vstring_len(req->gen_hdr));
		off = req->gen_off;
	}
	while (!out->err && (n = qf_read_content(req->msg, off, buf, SMTP_BODY_BLOCK)) > 0) {
		off += n;
		smtp_body_block(&bl, buf, buf + n);
	}
	if (vstring_len(bl.line) || out->col)
		smtp_body_piece(bl.hbc, out, mime, vstring_str(bl.line),
		    vstring_len(bl.line), 1);
	if (bl.hbc)
		smtp_hbc_end(bl.hbc);
	vstring_free(bl.line);
	myfree(buf);
	return n < 0 ? -1 : 0;
}

int
smtp_body_send(SMTP_REQ *req, SMTP_SESS *sess, int downgrade)
{
	SMTP_OUT out;
	SMTP_MIME *mime = NULL;
	int	 ret;

	out.sess = sess;
	out.col = 0;
	out.err = 0;
	vstream_set_timeout(sess->stream, (int)smtp_cf.tmo_data_xfer);
	if (smtp_cf.deadline)
		vstream_set_deadline(sess->stream, (int)smtp_cf.tmo_data_xfer);
	if (downgrade)
		mime = smtp_mime_create(&out, smtp_cf.mime_nesting, smtp_cf.mime_boundary_len);
	ret = smtp_body_copy(req, &out, mime);
	if (mime)
		smtp_mime_free(mime);
	if (ret < 0) {
		msg_warn("%s: read queue file content: %m", req->dr.queue_id);
		sess->broken = 1;
		return -1;
	}
	if (out.err) {
		sess->broken = 1;
		return -1;
	}
	/*
	 * Normally the final "." goes out in the same write as the end of the
	 * content: a separate small segment would wait for the server's delayed
	 * ACK (Nagle), about 40 ms per message. Only the PIX workaround sends
	 * it by itself.
	 */
	if ((sess->pix & SMTP_PIX_DELAY_DOT) && time(NULL) - (time_t)req->dr.arrival > smtp_cf.pix_threshold) {
		if (vstream_fflush(sess->stream) < 0) {
			sess->broken = 1;
			return -1;
		}
		msg_info("%s: enabling PIX <CR><LF>.<CR><LF> workaround for %s",
		    req->dr.queue_id, vstring_str(sess->namaddr));
		if (smtp_cf.pix_delay > 0)
			sleep((unsigned)smtp_cf.pix_delay);
	}
	vstream_set_timeout(sess->stream, (int)smtp_cf.tmo_data_done);
	if (smtp_cf.deadline)
		vstream_set_deadline(sess->stream, (int)smtp_cf.tmo_data_done);
	return smtp_cmd(sess, smtp_cf.tmo_data_done, ".");
}
