/*
 * NAME
 *	mime_state - MIME-aware classification of message lines
 * SYNOPSIS
 *	#include "mime_state.h"
 *
 *	MIME_STATE *mime_state_alloc(int opts, size_t hdr_limit,
 *		int nest_limit, size_t boundary_limit, MIME_HEAD_FN head_out,
 *		MIME_END_FN head_end, MIME_BODY_FN body_out, void *ctx);
 *	int mime_state_update(MIME_STATE *ms, const char *line, size_t len,
 *		int eol);
 *	int mime_state_finish(MIME_STATE *ms);
 *	int mime_state_errors(const MIME_STATE *ms);
 *	long long mime_state_part_offset(const MIME_STATE *ms);
 *	void mime_state_free(MIME_STATE *ms);
 * DESCRIPTION
 *	The caller feeds the message one line at a time (without its line
 *	end; a long line may come in pieces, eol = 0 on all but the last).
 *	mime_state assembles header fields (continuation lines joined with
 *	"\n", at most hdr_limit bytes, the rest cut) and hands each to
 *	head_out with its class: the message's own header (PRIMARY), the
 *	header of a MIME part (MULTIPART), or the header of an attached
 *	message/rfc822 (NESTED). Every other line, boundaries and empty
 *	lines included, goes to body_out unchanged. This is how
 *	header_checks, mime_header_checks, nested_header_checks and
 *	body_checks see a message, as in Postfix.
 *
 *	Content-Type multipart/... with a boundary parameter opens a level
 *	(boundaries are compared on at most boundary_limit bytes,
 *	mime_boundary_length_limit); "--boundary" starts a part header,
 *	"--boundary--" closes the level and any deeper ones left open. A
 *	message/rfc822 body starts with a nested header. Past nest_limit
 *	levels (mime_nesting_limit) MIME_ERR_NESTING is set and the rest is
 *	plain body. With MIME_OPT_DISABLE_MIME (disable_mime_input_processing)
 *	only the primary header is parsed.
 *
 *	With MIME_OPT_8BIT_HEADER, 8-bit bytes in a header set
 *	MIME_ERR_8BIT_IN_HEADER; with MIME_OPT_8BIT_BODY, 8-bit bytes in a
 *	part whose Content-Transfer-Encoding is absent or 7bit set
 *	MIME_ERR_8BIT_IN_7BIT_BODY (strict_7bit_headers,
 *	strict_8bitmime_body). The caller decides what an error means.
 *
 *	mime_state_part_offset() is the number of body bytes seen so far in
 *	the current part (body_checks_size_limit applies per part).
 * COST
 *	One pass, no copy of body lines; header fields are copied once.
 * DIAGNOSTICS
 *	mime_state_update() returns -1 once an output function has returned
 *	-1 (and ignores the rest), 0 otherwise.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "has8bit.h"
#include "mime_state.h"
#include "mymalloc.h"
#include "rfc822_hdr.h"

#define MIME_MAX_DEPTH	256		/* hard cap under any nest_limit */

#define CT_OTHER	0
#define CT_MULTIPART	1
#define CT_MESSAGE	2

struct MIME_STATE {
	int	 opts;
	size_t	 hdr_limit;
	int	 nest_limit;
	size_t	 blimit;
	MIME_HEAD_FN head_out;
	MIME_END_FN head_end;
	MIME_BODY_FN body_out;
	void	*ctx;
	int	 in_header;		/* collecting header fields */
	int	 cls;			/* class of that header */
	int	 primary_done;
	int	 bol;			/* next input starts a line */
	int	 in_field_piece;	/* header line continues (long line) */
	VSTRING	*field;
	int	 ctype;			/* of the header being read */
	VSTRING	*boundary;
	int	 enc_7bit;
	int	 body_7bit;		/* the current part is 7bit */
	int	 nested_next;		/* after this header's blank line */
	char	*stack[MIME_MAX_DEPTH];
	int	 depth;
	int	 nested;		/* message/rfc822 levels */
	int	 mime_off;		/* gave up on MIME structure */
	int	 errors;
	int	 stopped;
	long long part_off;
};

MIME_STATE *
mime_state_alloc(int opts, size_t hdr_limit, int nest_limit,
    size_t boundary_limit, MIME_HEAD_FN head_out, MIME_END_FN head_end,
    MIME_BODY_FN body_out, void *ctx)
{
	MIME_STATE *ms = mymalloc(sizeof(*ms));

	memset(ms, 0, sizeof(*ms));
	ms->opts = opts;
	ms->hdr_limit = hdr_limit ? hdr_limit : 102400;
	ms->nest_limit = nest_limit > 0 && nest_limit < MIME_MAX_DEPTH ?
	    nest_limit : MIME_MAX_DEPTH;
	ms->blimit = boundary_limit ? boundary_limit : 2048;
	ms->head_out = head_out;
	ms->head_end = head_end;
	ms->body_out = body_out;
	ms->ctx = ctx;
	ms->field = vstring_alloc(256);
	ms->boundary = vstring_alloc(70);
	ms->in_header = 1;
	ms->cls = MIME_HDR_PRIMARY;
	ms->bol = 1;
	ms->enc_7bit = 1;
	ms->body_7bit = 1;
	return ms;
}

void
mime_state_free(MIME_STATE *ms)
{
	for (int i = 0; i < ms->depth; i++)
		myfree(ms->stack[i]);
	vstring_free(ms->field);
	vstring_free(ms->boundary);
	myfree(ms);
}

int
mime_state_errors(const MIME_STATE *ms)
{
	return ms->errors;
}

long long
mime_state_part_offset(const MIME_STATE *ms)
{
	return ms->part_off;
}

const char *
mime_state_error_text(int errors)
{
	if (errors & MIME_ERR_NESTING)
		return "MIME nesting exceeds safety limit";
	if (errors & MIME_ERR_8BIT_IN_HEADER)
		return "Improper use of 8-bit data in message header";
	if (errors & MIME_ERR_8BIT_IN_7BIT_BODY)
		return "Improper use of 8-bit data in message body";
	if (errors & MIME_ERR_TRUNC_HEADER)
		return "Message header length exceeds safety limit";
	return "no error";
}

/* Content-Type and Content-Transfer-Encoding of the header being read. */
static void
mime_note_field(MIME_STATE *ms, const char *f)
{
	const char *v, *p;
	size_t	 n;

	if ((ms->opts & MIME_OPT_DISABLE_MIME) || ms->mime_off)
		return;
	if (rfc822_hdr_is(f, "Content-Transfer-Encoding")) {
		v = rfc822_hdr_value(f);
		v += strspn(v, " \t\n");
		ms->enc_7bit = strncasecmp(v, "7bit", 4) == 0
		    || strncasecmp(v, "quoted-printable", 16) == 0
		    || strncasecmp(v, "base64", 6) == 0;
		return;
	}
	if (!rfc822_hdr_is(f, "Content-Type"))
		return;
	v = rfc822_hdr_value(f);
	v += strspn(v, " \t\n");
	if (strncasecmp(v, "message/rfc822", 14) == 0) {
		ms->ctype = CT_MESSAGE;
		return;
	}
	if (strncasecmp(v, "multipart/", 10) != 0)
		return;
	ms->ctype = CT_MULTIPART;
	for (p = v; (p = strcasestr(p, "boundary")) != NULL; p += 8) {
		const char *q = p + 8;

		if (p > v && !strchr(" \t\n;", p[-1]))
			continue;
		q += strspn(q, " \t\n");
		if (*q++ != '=')
			continue;
		q += strspn(q, " \t\n");
		if (*q == '"') {
			q++;
			n = strcspn(q, "\"");
		} else {
			n = strcspn(q, " \t\n;\"");
		}
		if (n > ms->blimit)
			n = ms->blimit;
		vstring_memcpy(ms->boundary, q, n);
		return;
	}
}

/* Hand the pending field to the caller. */
static int
mime_flush_field(MIME_STATE *ms)
{
	int	 r;

	if (vstring_len(ms->field) == 0)
		return 0;
	mime_note_field(ms, vstring_str(ms->field));
	r = ms->head_out(ms->ctx, ms->cls, ms->field);
	vstring_truncate(ms->field, 0);
	return r;
}

static void
mime_field_append(MIME_STATE *ms, const char *s, size_t len)
{
	size_t	 room = ms->hdr_limit > vstring_len(ms->field) ?
	    ms->hdr_limit - vstring_len(ms->field) : 0;

	if ((ms->opts & MIME_OPT_8BIT_HEADER) && has8bit(s, len))
		ms->errors |= MIME_ERR_8BIT_IN_HEADER;
	if (len > room) {
		len = room;
		ms->errors |= MIME_ERR_TRUNC_HEADER;
	}
	vstring_memcat(ms->field, s, len);
}

/* The header just read has ended: set up what its body is. */
static int
mime_header_end(MIME_STATE *ms)
{
	int	 r = 0;

	if (ms->cls == MIME_HDR_PRIMARY && !ms->primary_done) {
		ms->primary_done = 1;
		if (ms->head_end)
			r = ms->head_end(ms->ctx);
	}
	ms->in_header = 0;
	ms->part_off = 0;
	ms->body_7bit = ms->enc_7bit;
	if ((ms->opts & MIME_OPT_DISABLE_MIME) || ms->mime_off) {
		ms->mime_off = 1;
		return r;
	}
	if (ms->ctype != CT_OTHER && ms->depth + ms->nested >= ms->nest_limit) {
		ms->errors |= MIME_ERR_NESTING;
		ms->mime_off = 1;
	} else if (ms->ctype == CT_MULTIPART && vstring_len(ms->boundary) > 0) {
		ms->stack[ms->depth++] = mystrdup(vstring_str(ms->boundary));
	} else if (ms->ctype == CT_MESSAGE) {
		ms->nested_next = 1;
	}
	ms->ctype = CT_OTHER;
	vstring_truncate(ms->boundary, 0);
	ms->enc_7bit = 1;
	return r;
}

static void
mime_header_start(MIME_STATE *ms, int cls)
{
	ms->in_header = 1;
	ms->cls = cls;
	ms->ctype = CT_OTHER;
	ms->enc_7bit = 1;
	vstring_truncate(ms->boundary, 0);
}

/* A boundary line? Returns the level matched (0-based) or -1. */
static int
mime_boundary(MIME_STATE *ms, const char *line, size_t len, int *close)
{
	size_t	 blen;

	if (ms->depth == 0 || len < 3 || line[0] != '-' || line[1] != '-')
		return -1;
	for (int i = ms->depth - 1; i >= 0; i--) {
		blen = strlen(ms->stack[i]);
		if (len - 2 >= blen && memcmp(line + 2, ms->stack[i], blen) == 0) {
			*close = len - 2 >= blen + 2 && line[2 + blen] == '-'
			    && line[3 + blen] == '-';
			return i;
		}
	}
	return -1;
}

static int
mime_body_line(MIME_STATE *ms, const char *line, size_t len, int eol)
{
	int	 level, close = 0;

	if (ms->bol && !ms->mime_off
	    && (level = mime_boundary(ms, line, len, &close)) >= 0) {
		while (ms->depth > level + 1)
			myfree(ms->stack[--ms->depth]);
		if (close) {
			myfree(ms->stack[--ms->depth]);
			ms->part_off = 0;
		} else {
			mime_header_start(ms, MIME_HDR_MULTIPART);
		}
		ms->bol = eol;
		return ms->body_out(ms->ctx, line, len, eol);
	}
	if ((ms->opts & MIME_OPT_8BIT_BODY) && ms->body_7bit
	    && has8bit(line, len))
		ms->errors |= MIME_ERR_8BIT_IN_7BIT_BODY;
	ms->part_off += len + (eol ? 1 : 0);
	ms->bol = eol;
	return ms->body_out(ms->ctx, line, len, eol);
}

static int
mime_header_line(MIME_STATE *ms, const char *line, size_t len, int eol)
{
	if (!ms->bol) {				/* rest of a long header line */
		mime_field_append(ms, line, len);
		ms->bol = eol;
		return 0;
	}
	if (len == 0 && eol) {
		if (mime_flush_field(ms) < 0 || mime_header_end(ms) < 0
		    || ms->body_out(ms->ctx, line, 0, 1) < 0)
			return -1;
		if (ms->nested_next) {
			ms->nested_next = 0;
			ms->nested++;
			mime_header_start(ms, MIME_HDR_NESTED);
		}
		return 0;
	}
	if ((line[0] == ' ' || line[0] == '\t') && vstring_len(ms->field) > 0) {
		mime_field_append(ms, "\n", 1);
		mime_field_append(ms, line, len);
		ms->bol = eol;
		return 0;
	}
	if (rfc822_hdr_name_len(line, len) > 0) {
		if (mime_flush_field(ms) < 0)
			return -1;
		mime_field_append(ms, line, len);
		ms->bol = eol;
		return 0;
	}
	/* Not a header line: the header ends here without its blank line. */
	if (mime_flush_field(ms) < 0 || mime_header_end(ms) < 0)
		return -1;
	ms->nested_next = 0;
	return mime_body_line(ms, line, len, eol);
}

int
mime_state_update(MIME_STATE *ms, const char *line, size_t len, int eol)
{
	int	 r;

	if (ms->stopped)
		return -1;
	r = ms->in_header ? mime_header_line(ms, line, len, eol) :
	    mime_body_line(ms, line, len, eol);
	if (r < 0)
		ms->stopped = 1;
	return r;
}

int
mime_state_finish(MIME_STATE *ms)
{
	if (ms->stopped)
		return -1;
	if (ms->in_header && (mime_flush_field(ms) < 0
	    || (ms->cls == MIME_HDR_PRIMARY && mime_header_end(ms) < 0))) {
		ms->stopped = 1;
		return -1;
	}
	return 0;
}
