/*
 * NAME
 *	smtp_hbc - smtp_header_checks and smtp_body_checks on delivery
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	void smtp_hbc_conf(void);
 *	SMTP_HBC *smtp_hbc_begin(SMTP_REQ *req, SMTP_OUT *out,
 *		SMTP_MIME *mime);
 *	void smtp_hbc_line(SMTP_HBC *h, const char *s, size_t len, int eol);
 *	void smtp_hbc_end(SMTP_HBC *h);
 * DESCRIPTION
 *	smtp_hbc_conf() opens smtp_header_checks, smtp_mime_header_checks,
 *	smtp_nested_header_checks and smtp_body_checks (lmtp_* in LMTP
 *	mode). With none configured, smtp_hbc_begin() returns null and the
 *	content goes out without being looked at.
 *
 *	Otherwise each content line passes mime_state(3): header fields,
 *	MIME part headers and attached-message headers meet their tables,
 *	body lines smtp_body_checks, as Postfix's smtp(8) does. The actions
 *	that make sense in a delivery agent work: DUNNO/OK, IGNORE and
 *	STRIP (the field or line is not sent), REPLACE, PREPEND, WARN and
 *	INFO (logged). Others (REJECT, HOLD, FILTER...) are logged as
 *	unsupported here and ignored: the message was already accepted.
 *	With smtp_generic_maps, a primary header field that the checks
 *	let through, or the text of a REPLACE, is then rewritten by
 *	smtp_generic_field() (Postfix's order: checks first); PREPEND text
 *	is sent as it is.
 *	Log lines: "ID: warning: header Subject: x; from=<s> to=<r>: text".
 */
#include <string.h>

#include "hbc.h"
#include "mail_conf.h"
#include "mime_state.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtp.h"

static HBC *smtp_hbc;

struct SMTP_HBC {
	SMTP_REQ *req;
	SMTP_OUT *out;
	SMTP_MIME *mime;
	MIME_STATE *ms;
	VSTRING	*ctx;			/* log context */
};

void
smtp_hbc_conf(void)
{
	/* smtp_pname(): the lmtp_ names in LMTP mode. */
	smtp_hbc = hbc_create(conf_str(smtp_pname("smtp_header_checks")),
	    conf_str(smtp_pname("smtp_mime_header_checks")),
	    conf_str(smtp_pname("smtp_nested_header_checks")),
	    conf_str(smtp_pname("smtp_body_checks")));
	if (!hbc_enabled(smtp_hbc, HBC_HEADER) && !hbc_enabled(smtp_hbc, HBC_MIME)
	    && !hbc_enabled(smtp_hbc, HBC_NESTED)
	    && !hbc_enabled(smtp_hbc, HBC_BODY)) {
		hbc_free(smtp_hbc);
		smtp_hbc = NULL;
	}
}

/* Send one line (or a multi-line field) on to the converter or out. */
static void
smtp_hbc_emit(SMTP_HBC *h, const char *s, size_t len, int eol)
{
	const char *nl;

	while (eol && (nl = memchr(s, '\n', len)) != NULL) {
		smtp_body_line(h->out, h->mime, s, nl - s, 1);
		len -= nl + 1 - s;
		s = nl + 1;
	}
	smtp_body_line(h->out, h->mime, s, len, eol);
}

/*
 * smtp_hbc_out - a primary header field on its way out: smtp_generic_maps
 * applies after the checks, to what they let through or put in its place,
 * as in Postfix.
 */
static void
smtp_hbc_out(SMTP_HBC *h, int cls, const char *s, size_t len)
{
	VSTRING	*f;

	if (cls != MIME_HDR_PRIMARY || smtp_cf.generic == NULL) {
		smtp_hbc_emit(h, s, len, 1);
		return;
	}
	f = vstring_alloc(len + 1);
	vstring_memcpy(f, s, len);
	smtp_generic_field(h->req, f);
	smtp_hbc_emit(h, vstring_str(f), vstring_len(f), 1);
	vstring_free(f);
}

/* Apply a result; 1 when the text must not be sent as is. */
static int
smtp_hbc_act(SMTP_HBC *h, HBC_RESULT *r, const char *where, const char *text,
    int cls)
{
	switch (r->action) {
	case HBC_DUNNO:
		return 0;
	case HBC_WARN:
	case HBC_INFO:
		hbc_log(h->req->dr.queue_id, r, where, text, vstring_str(h->ctx));
		return 0;
	case HBC_IGNORE:
		return 1;
	case HBC_STRIP:
		hbc_log(h->req->dr.queue_id, r, where, text, vstring_str(h->ctx));
		return 1;
	case HBC_PREPEND:
		hbc_log(h->req->dr.queue_id, r, where, text, vstring_str(h->ctx));
		smtp_hbc_emit(h, r->text, strlen(r->text), 1);
		return 0;
	case HBC_REPLACE:
		hbc_log(h->req->dr.queue_id, r, where, text, vstring_str(h->ctx));
		if (cls >= 0)
			smtp_hbc_out(h, cls, r->text, strlen(r->text));
		else
			smtp_hbc_emit(h, r->text, strlen(r->text), 1);
		return 1;
	default:
		msg_warn("%s: unsupported action \"%s\" in %s checks of the "
		    "delivery agent; ignored", h->req->dr.queue_id, r->name, where);
		return 0;
	}
}

static int
smtp_hbc_head(void *ctx, int cls, VSTRING *field)
{
	SMTP_HBC *h = ctx;
	HBC_RESULT r;
	int	 c = hbc_header_class(cls, vstring_str(field));

	hbc_check(smtp_hbc, c, vstring_str(field), &r);
	if (r.action == HBC_ERROR) {
		msg_warn("%s: %s", h->req->dr.queue_id, r.text);
		r.action = HBC_DUNNO;
	}
	if (!smtp_hbc_act(h, &r, hbc_class_name(c), vstring_str(field), cls))
		smtp_hbc_out(h, cls, vstring_str(field), vstring_len(field));
	return 0;
}

static int
smtp_hbc_body(void *ctx, const char *s, size_t len, int eol)
{
	SMTP_HBC *h = ctx;
	HBC_RESULT r;
	VSTRING	*line;

	if (!hbc_enabled(smtp_hbc, HBC_BODY)) {
		smtp_body_line(h->out, h->mime, s, len, eol);
		return 0;
	}
	line = vstring_alloc(len + 1);
	vstring_memcpy(line, s, len);
	hbc_check(smtp_hbc, HBC_BODY, vstring_str(line), &r);
	if (r.action == HBC_ERROR)
		r.action = HBC_DUNNO;
	if (!smtp_hbc_act(h, &r, "body", vstring_str(line), -1))
		smtp_body_line(h->out, h->mime, s, len, eol);
	vstring_free(line);
	return 0;
}

SMTP_HBC *
smtp_hbc_begin(SMTP_REQ *req, SMTP_OUT *out, SMTP_MIME *mime)
{
	SMTP_HBC *h;

	if (smtp_hbc == NULL)
		return NULL;
	h = mymalloc(sizeof(*h));
	h->req = req;
	h->out = out;
	h->mime = mime;
	h->ctx = vstring_alloc(100);
	vstring_sprintf(h->ctx, "; from=<%s>", req->dr.sender);
	if (req->nrcpt > 0)
		vstring_sprintf_append(h->ctx, " to=<%s>", req->rcpt[0].addr);
	h->ms = mime_state_alloc(0, (size_t)conf_int("header_size_limit"),
	    (int)smtp_cf.mime_nesting, (size_t)smtp_cf.mime_boundary_len,
	    smtp_hbc_head, NULL, smtp_hbc_body, h);
	return h;
}

void
smtp_hbc_line(SMTP_HBC *h, const char *s, size_t len, int eol)
{
	(void)mime_state_update(h->ms, s, len, eol);
}

void
smtp_hbc_end(SMTP_HBC *h)
{
	(void)mime_state_finish(h->ms);
	mime_state_free(h->ms);
	vstring_free(h->ctx);
	myfree(h);
}
