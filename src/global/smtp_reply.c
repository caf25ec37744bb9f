/*
 * NAME
 *	smtp_reply - read one SMTP/LMTP server reply
 * SYNOPSIS
 *	#include "smtp_reply.h"
 *
 *	void smtp_reply_init(SMTP_REPLY *reply);
 *	void smtp_reply_done(SMTP_REPLY *reply);
 *	int smtp_reply_read(VSTREAM *stream, SMTP_REPLY *reply,
 *	    VSTRING *line, SMTP_REPLY_HOOK hook, void *context);
 * DESCRIPTION
 *	The one reader of server replies (RFC 5321 section 4.2), for every
 *	program that talks to an SMTP or LMTP server: the smtp/lmtp client
 *	and etrn(1).
 *
 *	smtp_reply_init() allocates the buffers of a reply held in the
 *	caller's storage; smtp_reply_done() frees them.
 *
 *	smtp_reply_read() reads one reply, every line of it ("250-..."
 *	lines up to the "250 ..." one), from stream, using line as its
 *	line buffer. The caller sets the stream's time limit. Each line is
 *	bounded: SMTP_REPLY_LINE_MAX bytes are kept, the rest of a longer
 *	line is read and dropped; a reply has at most SMTP_REPLY_LINES
 *	lines. When hook is not null it is called with each line as it
 *	came (for transcripts and -v output); the hook may replace the
 *	content of line (the smtp client's smtp_reply_filter), and what it
 *	leaves there is what is parsed. The line is then made
 *	printable, since it goes into logs, queue files and DSNs: control
 *	bytes, and 8-bit bytes when the line is not UTF-8, become "?".
 *
 *	A reply fills reply: code; dsn, the enhanced status code (RFC 2034)
 *	at the start of the first line's text when it is valid and of the
 *	code's class, otherwise "class.0.0"; text, the lines joined with a
 *	space (at most about SMTP_REPLY_TEXT_MAX bytes); first, the first
 *	line; lines, the text of each line without the code.
 * DIAGNOSTICS
 *	smtp_reply_read() returns the reply code (200..599), or 0 when no
 *	reply could be read: then text says why ("timed out", "lost
 *	connection", or "malformed reply: " and the offending line, for a
 *	line that does not start with a code 2xx..5xx and a space or a
 *	hyphen, a code that changes within the reply, or too many lines),
 *	and dsn is 4.4.2.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "addr_parse.h"
#include "smtp_reply.h"

void
smtp_reply_init(SMTP_REPLY *r)
{
	r->code = 0;
	r->dsn[0] = 0;
	r->text = vstring_alloc(512);
	r->first = vstring_alloc(512);
	r->lines = argv_alloc(8);
}

void
smtp_reply_done(SMTP_REPLY *r)
{
	vstring_free(r->text);
	vstring_free(r->first);
	argv_free(r->lines);
}

/* smtp_reply_clean - the line as printable text */
static void
smtp_reply_clean(VSTRING *line)
{
	unsigned char *s = (unsigned char *)vstring_str(line);
	size_t	 i, n = vstring_len(line);
	int	 utf8 = valid_utf8((char *)s, n);

	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] == 0x7f || (s[i] >= 0x80 && !utf8))
			s[i] = '?';
}

/* smtp_reply_line - one line: its code and *more, -1 lost, -2 malformed */
static int
smtp_reply_line(VSTREAM *stream, VSTRING *line, int *more,
    SMTP_REPLY_HOOK hook, void *context)
{
	const char *s;
	int	 st;

	st = vstream_get_line(stream, line, SMTP_REPLY_LINE_MAX, VSTREAM_GL_CRLF);
	if (st == VSTREAM_LINE_LONG) {
		VSTRING	*junk = vstring_alloc(SMTP_REPLY_LINE_MAX);

		while ((st = vstream_get_line(stream, junk, SMTP_REPLY_LINE_MAX,
		    VSTREAM_GL_CRLF)) == VSTREAM_LINE_LONG)
			;
		vstring_free(junk);
	}
	if (st != VSTREAM_LINE_OK && st != VSTREAM_LINE_LONG)
		return -1;
	if (hook)
		hook(context, vstring_str(line), vstring_len(line));
	s = vstring_str(line);		/* the hook may have replaced it */
	smtp_reply_clean(line);
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1])
	    || !isdigit((unsigned char)s[2])
	    || (s[3] != ' ' && s[3] != '-' && s[3] != 0)
	    || s[0] < '2' || s[0] > '5')
		return -2;
	*more = s[3] == '-';
	return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

/* smtp_reply_dsn - the enhanced status at the start of text, or class.0.0 */
static void
smtp_reply_dsn(SMTP_REPLY *r, const char *text)
{
	int	 n;

	if (*text == '0' + r->code / 100 && (n = dsn_valid(text)) > 0
	    && (size_t)n < sizeof(r->dsn)) {
		memcpy(r->dsn, text, (size_t)n);
		r->dsn[n] = 0;
	} else
		snprintf(r->dsn, sizeof(r->dsn), "%d.0.0", r->code / 100);
}

/* smtp_reply_fail - no reply: why in text */
static int
smtp_reply_fail(VSTREAM *stream, SMTP_REPLY *r, VSTRING *line, int code)
{
	if (code == -1)
		vstring_strcpy(r->text, vstream_ftimeout(stream) ?
		    "timed out" : "lost connection");
	else
		vstring_sprintf(r->text, "malformed reply: %.100s",
		    vstring_str(line));
	r->code = 0;
	strcpy(r->dsn, "4.4.2");
	return 0;
}

int
smtp_reply_read(VSTREAM *stream, SMTP_REPLY *r, VSTRING *line,
    SMTP_REPLY_HOOK hook, void *context)
{
	int	 code, more = 1, lines = 0;
	const char *s;

	r->code = 0;
	vstring_reset(r->text);
	vstring_reset(r->first);
	argv_truncate(r->lines, 0);
	while (more) {
		if ((code = smtp_reply_line(stream, line, &more, hook, context)) < 0)
			return smtp_reply_fail(stream, r, line, code);
		if (++lines > SMTP_REPLY_LINES || (r->code && code != r->code))
			return smtp_reply_fail(stream, r, line, -2);
		r->code = code;
		s = vstring_str(line);
		if (vstring_len(r->text) < SMTP_REPLY_TEXT_MAX) {
			if (vstring_len(r->text))
				vstring_addch(r->text, ' ');
			vstring_strcat(r->text, s);
		}
		if (lines == 1)
			vstring_strcpy(r->first, s);
		argv_add(r->lines, vstring_len(line) > 4 ? s + 4 : "");
	}
	smtp_reply_dsn(r, r->lines->argv[0]);
	return r->code;
}
