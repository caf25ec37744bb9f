/*
 * NAME
 *	milter8_msg - one milter: the message content and its modifications
 * SYNOPSIS
 *	#include "milter.h"
 *
 *	const char *milter8_message(MILTER *m, const MILTER_MSG *msg,
 *		MILTER_MAC_FN mac, void *ctx, const MILTER_EDIT_OPS *ops,
 *		void *opsctx);
 * DESCRIPTION
 *	milter8_message() sends the header fields (without the space after
 *	the colon unless the milter asked for SMFIP_HDR_LEADSPC), the end
 *	of the header, the body in chunks of at most 65535 bytes with CRLF
 *	line ends (until the milter says skip), and the end of the message;
 *	then it applies the modifications the milter returns, as they
 *	arrive, through the caller's MILTER_EDIT_OPS: header add, insert,
 *	change and delete, sender change, recipient add and delete, body
 *	replacement (CRLF back to LF), quarantine. A modification the milter
 *	did not negotiate is a protocol error. A message the milter stopped
 *	early (reject, accept, discard before the end) gets SMFIC_ABORT.
 * DIAGNOSTICS
 *	The result is null (go on), a reply, or "D"; a modification the
 *	caller cannot make gives "451 4.3.0 Error: cannot apply milter
 *	modifications". Failures are milter8(3)'s: warning and
 *	default_action.
 */
#include <ctype.h>
#include <string.h>

#include "milter8_priv.h"
#include "msg.h"
#include "mymalloc.h"

/* Body chunks: lines joined with CRLF, sent in pieces of MILTER8_CHUNK. */
typedef struct M8_BODY {
	MILTER	*m;
	VSTRING	*buf;
	const char *mac_ctx_r;		/* reply that stopped the walk */
	MILTER_MAC_FN mac;
	void	*ctx;
} M8_BODY;

static int
milter8_body_flush(M8_BODY *b)
{
	const char *r;

	if (vstring_len(b->buf) == 0)
		return 0;
	r = milter8_event(b->m, SMFIC_BODY, vstring_str(b->buf),
	    vstring_len(b->buf), b->mac, b->ctx, b->m->conf.content_timeout, 1);
	vstring_truncate(b->buf, 0);
	if (r != NULL || b->m->state != M8_READY || b->m->msg_done) {
		b->mac_ctx_r = r;
		return -1;
	}
	return b->m->skip_body ? -1 : 0;
}

static int
milter8_body_line(void *ctx, const char *line, size_t len)
{
	M8_BODY	*b = ctx;
	size_t	 n;

	for (;;) {
		n = MILTER8_CHUNK - vstring_len(b->buf);
		if (len + 2 <= n)
			break;
		if (len < n) {
			/* The line fits, its CRLF does not: send it first. */
			vstring_memcat(b->buf, line, len);
			len = 0;
			line = "";
		} else {
			vstring_memcat(b->buf, line, n);
			line += n;
			len -= n;
		}
		if (milter8_body_flush(b) < 0)
			return -1;
	}
	vstring_memcat(b->buf, line, len);
	vstring_memcat(b->buf, "\r\n", 2);
	return 0;
}

/* Header fields, end of header, body; null to go on. */
static const char *
milter8_content(MILTER *m, const MILTER_MSG *msg, MILTER_MAC_FN mac,
    void *ctx)
{
	ARGV	*hdrs = msg->headers(msg->ctx);
	VSTRING	*data = vstring_alloc(1024);
	const char *r = NULL, *f, *colon, *v;
	M8_BODY	 b;

	for (size_t i = 0; i < hdrs->argc && r == NULL; i++) {
		if (m->state != M8_READY || m->msg_done)
			break;
		f = hdrs->argv[i];
		if ((colon = strchr(f, ':')) == NULL)
			continue;
		vstring_memcpy(data, f, colon - f);
		vstring_addch(data, 0);
		v = colon + 1;
		if ((m->proto & SMFIP_HDR_LEADSPC) == 0 && *v == ' ')
			v++;
		milter8_put_str(data, v);
		r = milter8_event(m, SMFIC_HEADER, vstring_str(data),
		    vstring_len(data), mac, ctx, m->conf.content_timeout, 1);
	}
	vstring_free(data);
	if (r == NULL)
		r = milter8_event(m, SMFIC_EOH, "", 0, mac, ctx,
		    m->conf.content_timeout, 1);
	if (r != NULL || m->state != M8_READY || m->msg_done
	    || (m->proto & SMFIP_NOBODY))
		return r;
	b.m = m;
	b.buf = vstring_alloc(MILTER8_CHUNK + 2);
	b.mac_ctx_r = NULL;
	b.mac = mac;
	b.ctx = ctx;
	if (msg->body(msg->ctx, milter8_body_line, &b) == 0)
		(void)milter8_body_flush(&b);
	r = b.mac_ctx_r;
	vstring_free(b.buf);
	return r;
}

/* Header name and value of an add/insert/change; value gets its space. */
static int
milter8_hdr_args(MILTER *m, size_t off, const char **name, VSTRING *value)
{
	const char *v[2];
	const char *p;

	if (milter8_strings(m, off, v, 2) != 2 || *v[0] == 0
	    || strpbrk(v[0], ": \t\r\n") != NULL)
		return -1;
	*name = v[0];
	vstring_truncate(value, 0);
	if (*v[1] && (m->proto & SMFIP_HDR_LEADSPC) == 0)
		vstring_addch(value, ' ');
	for (p = v[1]; *p; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			vstring_addch(value, *p);
	return 0;
}

/* A replaced body chunk, CRLF to LF (a CR may end one chunk). */
static int
milter8_repl_body(MILTER *m, const MILTER_EDIT_OPS *ops, void *octx)
{
	VSTRING	*out = vstring_alloc(vstring_len(m->in) + 1);
	const char *p = vstring_str(m->in), *end = vstring_end(m->in);
	int	 r;

	if (m->body_cr && (p == end || *p != '\n'))
		vstring_addch(out, '\r');
	m->body_cr = 0;
	for (; p < end; p++) {
		if (*p == '\r' && p + 1 == end)
			m->body_cr = 1;
		else if (!(*p == '\r' && p[1] == '\n'))
			vstring_addch(out, *p);
	}
	r = ops->repl_body(octx, MILTER_BODY_DATA, vstring_str(out),
	    vstring_len(out));
	vstring_free(out);
	return r;
}

/* Apply one modification; 0 done, -1 protocol error, -2 cannot apply. */
static int
milter8_edit(MILTER *m, int c, const MILTER_EDIT_OPS *ops, void *octx,
    int *body_started)
{
	VSTRING	*value = vstring_alloc(100);
	const char *name, *v[2];
	int	 r = -1, n;
	unsigned need;

	need = c == SMFIR_ADDHEADER || c == SMFIR_INSHEADER ? SMFIF_ADDHDRS :
	    c == SMFIR_CHGHEADER ? SMFIF_CHGHDRS : c == SMFIR_CHGFROM ?
	    SMFIF_CHGFROM : c == SMFIR_ADDRCPT ? SMFIF_ADDRCPT :
	    c == SMFIR_ADDRCPT_PAR ? SMFIF_ADDRCPT_PAR : c == SMFIR_DELRCPT ?
	    SMFIF_DELRCPT : c == SMFIR_REPLBODY ? SMFIF_CHGBODY :
	    SMFIF_QUARANTINE;
	if ((m->actions & need) == 0) {
		msg_warn("milter %s: modification '%c' was not negotiated",
		    m->name, c);
		vstring_free(value);
		return -1;
	}
	switch (c) {
	case SMFIR_ADDHEADER:
		if (milter8_hdr_args(m, 0, &name, value) == 0)
			r = ops->add_header(octx, name, vstring_str(value));
		break;
	case SMFIR_INSHEADER:
	case SMFIR_CHGHEADER:
		if (vstring_len(m->in) < 4
		    || milter8_hdr_args(m, 4, &name, value) < 0)
			break;
		n = (int)(milter8_get_u32(vstring_str(m->in)) & 0x7fffffff);
		r = c == SMFIR_INSHEADER ?
		    ops->ins_header(octx, n, name, vstring_str(value)) :
		    ops->chg_header(octx, n, name, vstring_str(value));
		break;
	case SMFIR_CHGFROM:
	case SMFIR_ADDRCPT:
	case SMFIR_ADDRCPT_PAR:
		if ((n = milter8_strings(m, 0, v, 2)) < 1)
			break;
		if (c == SMFIR_CHGFROM)
			r = ops->chg_from(octx, v[0], n > 1 ? v[1] : "");
		else
			r = ops->add_rcpt(octx, v[0], n > 1 ? v[1] : "");
		break;
	case SMFIR_DELRCPT:
		if (milter8_strings(m, 0, v, 1) == 1)
			r = ops->del_rcpt(octx, v[0]);
		break;
	case SMFIR_QUARANTINE:
		if (milter8_strings(m, 0, v, 1) == 1)
			r = ops->hold(octx, *v[0] ? v[0] : "milter quarantine");
		break;
	case SMFIR_REPLBODY:
		if (!*body_started) {
			*body_started = 1;
			m->body_cr = 0;
			if (ops->repl_body(octx, MILTER_BODY_START, "", 0) < 0) {
				r = -2;
				break;
			}
		}
		r = milter8_repl_body(m, ops, octx);
		break;
	}
	vstring_free(value);
	if (r == -1 && c != SMFIR_REPLBODY && vstring_len(m->in) > 0)
		return r;
	return r < 0 ? -2 : 0;
}

/* End of message: replies until a final one, applying modifications. */
static const char *
milter8_eom(MILTER *m, MILTER_MAC_FN mac, void *ctx,
    const MILTER_EDIT_OPS *ops, void *octx)
{
	VSTRING	*why;
	const char *r;
	int	 c, body_started = 0, failed = 0, e;

	m->stage = "end-of-message";
	if (milter8_macros(m, SMFIC_BODYEOB, MILTER_MAC_EOM, mac, ctx,
	    m->conf.content_timeout) < 0
	    || milter8_send(m, SMFIC_BODYEOB, "", 0, m->conf.content_timeout) < 0)
		return milter8_fail(m, "cannot send end-of-message: %m");
	why = vstring_alloc(100);
	for (;;) {
		if ((c = milter8_recv(m, m->conf.content_timeout, why)) < 0) {
			r = milter8_fail(m, "%s", vstring_str(why));
			break;
		}
		if (c == SMFIR_PROGRESS)
			continue;
		if (c != 0 && strchr("hime+2-qb", c) != NULL) {
			if ((e = milter8_edit(m, c, ops, octx, &body_started)) == -1) {
				r = milter8_fail(m, "malformed or refused "
				    "modification '%c'", c);
				break;
			}
			if (e == -2)
				failed = 1;
			continue;
		}
		r = milter8_final(m, c, 1);
		if (body_started && r == NULL && m->body_cr)
			failed |= ops->repl_body(octx, MILTER_BODY_DATA, "\r", 1) < 0;
		if (body_started && r == NULL)
			failed |= ops->repl_body(octx, MILTER_BODY_END, "", 0) < 0;
		if (failed && r == NULL)
			r = "451 4.3.0 Error: cannot apply milter modifications";
		break;
	}
	vstring_free(why);
	return r;
}

const char *
milter8_message(MILTER *m, const MILTER_MSG *msg, MILTER_MAC_FN mac,
    void *ctx, const MILTER_EDIT_OPS *ops, void *octx)
{
	const char *r;

	if (m->state == M8_ERROR)
		return milter8_default(m);
	if (m->state != M8_READY || m->msg_done)
		return NULL;
	r = milter8_content(m, msg, mac, ctx);
	if (r == NULL && m->state == M8_READY && !m->msg_done) {
		r = milter8_eom(m, mac, ctx, ops, octx);
		m->in_msg = 0;
	}
	milter8_abort(m);
	m->msg_done = 0;
	m->skip_body = 0;
	return r;
}
