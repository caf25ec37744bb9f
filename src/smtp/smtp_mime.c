/*
 * NAME
 *	smtp_mime - 8-bit MIME content to quoted-printable, on the fly
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	SMTP_MIME *smtp_mime_create(SMTP_OUT *out, long nesting_limit,
 *	    long boundary_limit);
 *	void smtp_mime_line(SMTP_MIME *mime, const char *text, size_t len,
 *	    int eol);
 *	void smtp_mime_free(SMTP_MIME *mime);
 * DESCRIPTION
 *	The converter used when a message with 8-bit content goes to a
 *	server that does not announce 8BITMIME (RFC 6152), or when
 *	smtp_8bit_mode = 7bit. It reads the content line by line (pieces of
 *	long lines have eol = 0) and writes to the content writer:
 *
 *	Headers with 8-bit bytes are encoded as RFC 2047 encoded-words
 *	(smtp_hdr8(3)); a converted part's Content-Transfer-Encoding
 *	becomes quoted-printable (added when the part had none; a message
 *	without MIME-Version gets one too).
 *	Multipart bodies are followed into their parts by boundary (at
 *	most mime_nesting_limit deep, boundaries at most
 *	mime_boundary_length_limit long), and message/rfc822 parts into the
 *	enclosed message's headers and body. A leaf part whose encoding is
 *	8bit, binary or absent is encoded as quoted-printable (RFC 2045:
 *	lines of at most 76 characters, soft line breaks, trailing white
 *	space encoded); base64, quoted-printable and 7bit parts, preambles,
 *	epilogues and boundary lines pass unchanged.
 *
 *	A header block larger than SMTP_MIME_HDR_MAX, or nesting beyond
 *	the limits, turns conversion off for the rest of the message: the
 *	content is then sent as is, which is what Postfix does too when it
 *	cannot make sense of the structure.
 * DIAGNOSTICS
 *	None: hostile structure degrades to pass-through.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "mymalloc.h"
#include "smtp.h"

#define SMTP_MIME_HDR_MAX	(256 * 1024)
#define QP_LINE_MAX		76

#define MIME_HEAD	0
#define MIME_BODY	1

struct SMTP_MIME {
	SMTP_OUT *out;
	long	 nest_limit, bound_limit;
	int	 phase;
	int	 top;			/* in the message's own header */
	int	 passthrough;		/* gave up converting */
	int	 depth;			/* message/rfc822 nesting */
	int	 line_start;		/* the next piece starts a line */
	ARGV	*bounds;		/* multipart boundaries, innermost last */
	ARGV	*hdrs;			/* logical headers of the current part */
	VSTRING	*hdr8;			/* a header, RFC 2047-encoded */
	size_t	 hdr_bytes;
	int	 encode;		/* current leaf: quoted-printable */
	VSTRING	*qp;			/* the output line being encoded */
	int	 pend_ws;		/* a space or tab not yet written */
};

SMTP_MIME *
smtp_mime_create(SMTP_OUT *out, long nest_limit, long bound_limit)
{
	SMTP_MIME *m = mycalloc(1, sizeof(*m));

	m->out = out;
	m->nest_limit = nest_limit > 0 ? nest_limit : 100;
	m->bound_limit = bound_limit > 0 ? bound_limit : 2048;
	m->phase = MIME_HEAD;
	m->top = 1;
	m->line_start = 1;
	m->bounds = argv_alloc(4);
	m->hdrs = argv_alloc(16);
	m->hdr8 = vstring_alloc(100);
	m->qp = vstring_alloc(QP_LINE_MAX + 8);
	return m;
}

/* smtp_mime_qp_char - append one encoded character, soft break as needed */

static void
smtp_mime_qp_put(SMTP_MIME *m, const char *tok, size_t len)
{
	if (vstring_len(m->qp) + len > QP_LINE_MAX - 1) {
		vstring_addch(m->qp, '=');
		smtp_out_text(m->out, vstring_str(m->qp), vstring_len(m->qp), 1);
		vstring_reset(m->qp);
	}
	vstring_memcat(m->qp, tok, len);
}

static void
smtp_mime_qp_byte(SMTP_MIME *m, unsigned char c, int literal)
{
	char	 tok[4];

	if (literal) {
		tok[0] = c;
		smtp_mime_qp_put(m, tok, 1);
	} else {
		snprintf(tok, sizeof(tok), "=%02X", c);
		smtp_mime_qp_put(m, tok, 3);
	}
}

/* smtp_mime_qp - encode a piece of a body line */

static void
smtp_mime_qp(SMTP_MIME *m, const char *s, size_t len, int eol)
{
	unsigned char c;
	size_t	 i;

	for (i = 0; i < len; i++) {
		c = s[i];
		if (m->pend_ws) {
			smtp_mime_qp_byte(m, m->pend_ws, 1);
			m->pend_ws = 0;
		}
		if (c == ' ' || c == '\t')
			m->pend_ws = c;
		else
			smtp_mime_qp_byte(m, c, c > 32 && c < 127 && c != '=');
	}
	if (eol) {
		/* White space at the end of a line must be encoded. */
		if (m->pend_ws)
			smtp_mime_qp_byte(m, m->pend_ws, 0);
		m->pend_ws = 0;
		smtp_out_text(m->out, vstring_str(m->qp), vstring_len(m->qp), 1);
		vstring_reset(m->qp);
	}
}

/* smtp_mime_qp_end - a part ends in the middle of an encoded line */

static void
smtp_mime_qp_end(SMTP_MIME *m)
{
	if (m->encode && (vstring_len(m->qp) || m->pend_ws))
		smtp_mime_qp(m, "", 0, 1);
	m->encode = 0;
}

/* smtp_mime_value - header value of a name, or null */

static const char *
smtp_mime_value(const char *hdr, const char *name)
{
	size_t	 n = strlen(name);

	if (strncasecmp(hdr, name, n) != 0 || hdr[n] != ':')
		return NULL;
	for (hdr += n + 1; *hdr == ' ' || *hdr == '\t' || *hdr == '\n'; hdr++)
		;
	return hdr;
}

/* smtp_mime_token - lower-cased token at s, up to ';' or space */

static void
smtp_mime_token(VSTRING *buf, const char *s)
{
	vstring_reset(buf);
	for (; *s && *s != ';' && !isspace((unsigned char)*s) && *s != '('; s++)
		vstring_addch(buf, tolower((unsigned char)*s));
}

/* smtp_mime_boundary - the boundary parameter of a Content-Type value */

static int
smtp_mime_boundary(VSTRING *buf, const char *v)
{
	const char *p;

	vstring_reset(buf);
	for (p = v; (p = strchr(p, ';')) != NULL; ) {
		for (p++; isspace((unsigned char)*p); p++)
			;
		if (strncasecmp(p, "boundary", 8) != 0)
			continue;
		for (p += 8; isspace((unsigned char)*p); p++)
			;
		if (*p != '=')		/* not past the end of v */
			continue;
		for (p++; isspace((unsigned char)*p); p++)
			;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				vstring_addch(buf, *p == '\\' && p[1] ? *++p : *p);
		} else {
			for (; *p && *p != ';' && !isspace((unsigned char)*p); p++)
				vstring_addch(buf, *p);
		}
		return vstring_len(buf) > 0;
	}
	return 0;
}

/* smtp_mime_emit_hdr - write one logical header (physical lines) */

static void
smtp_mime_emit_hdr(SMTP_MIME *m, const char *h)
{
	const char *nl;

	/* 8-bit header text: RFC 2047 encoded-words (smtp_hdr8(3)). */
	if (smtp_hdr8_encode(m->hdr8, h))
		h = vstring_str(m->hdr8);

	while ((nl = strchr(h, '\n')) != NULL) {
		smtp_out_text(m->out, h, nl - h, 1);
		h = nl + 1;
	}
	smtp_out_text(m->out, h, strlen(h), 1);
}

/* smtp_mime_emit_hdrs - the header block, with the encoding rewritten */

static void
smtp_mime_emit_hdrs(SMTP_MIME *m, int rewrite, int add_version)
{
	static const char cte_qp[] = "Content-Transfer-Encoding: quoted-printable";
	size_t	 i;
	int	 done = 0;

	for (i = 0; i < m->hdrs->argc; i++) {
		if (rewrite && smtp_mime_value(m->hdrs->argv[i], "Content-Transfer-Encoding")) {
			if (!done)
				smtp_out_text(m->out, cte_qp, sizeof(cte_qp) - 1, 1);
			done = 1;
			continue;
		}
		smtp_mime_emit_hdr(m, m->hdrs->argv[i]);
	}
	if (add_version)
		smtp_out_text(m->out, "MIME-Version: 1.0", 17, 1);
	if (rewrite && !done)
		smtp_out_text(m->out, cte_qp, sizeof(cte_qp) - 1, 1);
	argv_truncate(m->hdrs, 0);
	m->hdr_bytes = 0;
}

/* smtp_mime_head_end - decide what the part's body is */

static void
smtp_mime_head_end(SMTP_MIME *m)
{
	VSTRING	*ct = vstring_alloc(40), *cte = vstring_alloc(20), *bnd = vstring_alloc(80);
	const char *v;
	size_t	 i;
	int	 has_version = 0, has_ct = 0, bnd_ok = 0;

	for (i = 0; i < m->hdrs->argc; i++) {
		if ((v = smtp_mime_value(m->hdrs->argv[i], "Content-Type")) != NULL) {
			smtp_mime_token(ct, v);
			bnd_ok = smtp_mime_boundary(bnd, v);
			has_ct = 1;
		} else if ((v = smtp_mime_value(m->hdrs->argv[i], "Content-Transfer-Encoding")) != NULL)
			smtp_mime_token(cte, v);
		else if (smtp_mime_value(m->hdrs->argv[i], "MIME-Version"))
			has_version = 1;
	}
	v = vstring_str(cte);
	m->phase = MIME_BODY;
	if (strncmp(vstring_str(ct), "multipart/", 10) == 0 && bnd_ok
	    && (long)vstring_len(bnd) <= m->bound_limit && (long)m->bounds->argc < m->nest_limit) {
		argv_add(m->bounds, vstring_str(bnd));
		smtp_mime_emit_hdrs(m, 0, 0);
	} else if (strcmp(vstring_str(ct), "message/rfc822") == 0 && m->depth < m->nest_limit
	    && (*v == 0 || !strcmp(v, "7bit") || !strcmp(v, "8bit") || !strcmp(v, "binary"))) {
		smtp_mime_emit_hdrs(m, 0, 0);
		m->depth++;
		m->phase = MIME_HEAD;
	} else if (strncmp(vstring_str(ct), "multipart/", 10) == 0
	    || strncmp(vstring_str(ct), "message/", 8) == 0) {
		smtp_mime_emit_hdrs(m, 0, 0);
	} else if (*v == 0 || !strcmp(v, "8bit") || !strcmp(v, "binary")) {
		smtp_mime_emit_hdrs(m, 1, m->top && !has_version && !has_ct);
		m->encode = 1;
	} else
		smtp_mime_emit_hdrs(m, 0, 0);
	m->top = 0;
	vstring_free(ct);
	vstring_free(cte);
	vstring_free(bnd);
}

/* smtp_mime_give_up - too big or too deep: send the rest as is */

static void
smtp_mime_give_up(SMTP_MIME *m)
{
	size_t	 i;

	for (i = 0; i < m->hdrs->argc; i++)
		smtp_mime_emit_hdr(m, m->hdrs->argv[i]);
	argv_truncate(m->hdrs, 0);
	m->passthrough = 1;
}

/* smtp_mime_head - one piece of a header line */

static void
smtp_mime_head(SMTP_MIME *m, const char *s, size_t len, int eol)
{
	char	*last;

	if (m->line_start && eol && len == 0) {
		smtp_mime_head_end(m);
		smtp_out_text(m->out, "", 0, 1);
		return;
	}
	m->hdr_bytes += len + 1;
	if (m->hdr_bytes > SMTP_MIME_HDR_MAX) {
		smtp_mime_give_up(m);
		smtp_out_text(m->out, s, len, eol);
		return;
	}
	if (m->line_start && (*s == ' ' || *s == '\t') && m->hdrs->argc > 0) {
		last = m->hdrs->argv[m->hdrs->argc - 1];
		m->hdrs->argv[m->hdrs->argc - 1] = mymalloc(strlen(last) + len + 2);
		sprintf(m->hdrs->argv[m->hdrs->argc - 1], "%s\n%.*s", last, (int)len, s);
		myfree(last);
	} else if (m->line_start || m->hdrs->argc == 0) {
		argv_addn(m->hdrs, s, len);
	} else {
		last = m->hdrs->argv[m->hdrs->argc - 1];
		m->hdrs->argv[m->hdrs->argc - 1] = mymalloc(strlen(last) + len + 1);
		sprintf(m->hdrs->argv[m->hdrs->argc - 1], "%s%.*s", last, (int)len, s);
		myfree(last);
	}
}

/* smtp_mime_boundary_line - is this line a boundary we know? */

static int
smtp_mime_boundary_line(SMTP_MIME *m, const char *s, size_t len)
{
	size_t	 i, bl, k;
	int	 j;

	if (len < 3 || s[0] != '-' || s[1] != '-')
		return 0;
	for (j = (int)m->bounds->argc - 1; j >= 0; j--) {
		bl = strlen(m->bounds->argv[j]);
		if (len < 2 + bl || memcmp(s + 2, m->bounds->argv[j], bl) != 0)
			continue;
		k = 2 + bl;
		i = (len >= k + 2 && s[k] == '-' && s[k + 1] == '-') ? k + 2 : k;
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i != len)
			continue;
		smtp_mime_qp_end(m);
		m->depth = 0;
		if (k < len && s[k] == '-') {
			argv_truncate(m->bounds, j);
			m->phase = MIME_BODY;
		} else {
			argv_truncate(m->bounds, j + 1);
			m->phase = MIME_HEAD;
		}
		return 1;
	}
	return 0;
}

void
smtp_mime_line(SMTP_MIME *m, const char *s, size_t len, int eol)
{
	int	 start = m->line_start;

	m->line_start = eol;
	if (m->passthrough) {
		smtp_out_text(m->out, s, len, eol);
		return;
	}
	if (start && eol && m->bounds->argc > 0 && smtp_mime_boundary_line(m, s, len)) {
		smtp_out_text(m->out, s, len, eol);
		return;
	}
	m->line_start = start;
	if (m->phase == MIME_HEAD)
		smtp_mime_head(m, s, len, eol);
	else if (m->encode)
		smtp_mime_qp(m, s, len, eol);
	else
		smtp_out_text(m->out, s, len, eol);
	m->line_start = eol;
}

void
smtp_mime_free(SMTP_MIME *m)
{
	if (!m->passthrough && m->phase == MIME_HEAD)
		smtp_mime_give_up(m);
	smtp_mime_qp_end(m);
	argv_free(m->bounds);
	argv_free(m->hdrs);
	vstring_free(m->hdr8);
	vstring_free(m->qp);
	myfree(m);
}
