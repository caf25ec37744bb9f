/*
 * NAME
 *	cleanup_milter - milters at the end of a message in the cleanup stage
 * SYNOPSIS
 *	#include "cleanup_content_priv.h"
 *
 *	void cc_m_eom(CLEANUP *c, void *msg_ctx);
 * DESCRIPTION
 *	cc_m_eom() is the end-of-message step of cleanup_content(3) for
 *	milters. With smtpd, the session's smtpd_milters (which saw the
 *	connect to DATA events in smtpd) get the header fields, the body
 *	(read back from the queue file, or a body an earlier milter
 *	replaced) and the end of the message. Otherwise non_smtpd_milters
 *	get the whole conversation at once: connect from localhost
 *	[127.0.0.1], HELO localhost, MAIL, each RCPT, DATA, the content.
 *
 *	Their modifications go straight to the cleanup stage: header fields
 *	(after milter_header_checks), sender, recipients (through virtual
 *	aliasing), body, hold. Their verdict becomes the reply to the end
 *	of DATA, logged as Postfix does: "ID: milter-reject: END-OF-MESSAGE
 *	from host[addr]; from=<s> to=<r> proto=ESMTP helo=<h>: 5.7.1 text",
 *	"milter-discard", "milter-hold".
 *	receive_override_options=no_milters (CLEANUP_FLAG_NO_MILTER) skips
 *	all of this.
 */
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>

#include "cleanup_content_priv.h"
#include "msg.h"
#include "mymalloc.h"

static ARGV *
cc_m_headers(void *ctx)
{
	CC_MSG	*m = ctx;
	static ARGV *list;

	if (list == NULL)
		list = argv_alloc(32);
	argv_truncate(list, 0);
	for (size_t i = 0; i < cleanup_hdr_count(m->c); i++)
		argv_add(list, cleanup_hdr_get(m->c, i));
	return list;
}

/* Walk body lines of a buffer. */
static int
cc_m_lines(const char *p, size_t len, int last, MILTER_BODY_FN fn,
    void *fnctx, size_t *used)
{
	const char *nl, *start = p, *end = p + len;

	while (p < end) {
		if ((nl = memchr(p, '\n', end - p)) == NULL) {
			if (!last)
				break;
			if (fn(fnctx, p, end - p) < 0)
				return -1;
			p = end;
			break;
		}
		if (fn(fnctx, p, nl - p) < 0)
			return -1;
		p = nl + 1;
	}
	*used = p - start;
	return 0;
}

static int
cc_m_body(void *ctx, MILTER_BODY_FN fn, void *fnctx)
{
	CC_MSG	*m = ctx;
	CLEANUP	*c = m->c;
	char	 buf[65536];
	size_t	 have = 0, used;
	off_t	 base = qf_content_offset(c->qf);
	off_t	 off = base + c->body_off, end = base + qf_content_size(c->qf);
	ssize_t	 n;

	if (c->body_dirty)
		return cc_m_lines(vstring_str(c->body), vstring_len(c->body), 1,
		    fn, fnctx, &used);
	while (off < end) {
		size_t	 want = sizeof(buf) - have;

		if ((off_t)want > end - off)
			want = (size_t)(end - off);
		if ((n = qf_writer_read(c->qf, off, buf + have, want)) <= 0)
			return -1;
		off += n;
		have += n;
		if (cc_m_lines(buf, have, off >= end, fn, fnctx, &used) < 0)
			return -1;
		if (used == 0 && have == sizeof(buf)) {
			/* A line longer than the buffer: hand on a piece. */
			if (fn(fnctx, buf, have) < 0)
				return -1;
			used = have;
		}
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	return 0;
}

/* milter_header_checks on a field a milter adds; 0: do not add. */
static int
cc_m_hcheck(CC_MSG *m, VSTRING *field)
{
	HBC_RESULT r;

	if (m->cc->milter_hbc == NULL)
		return 1;
	hbc_check(m->cc->milter_hbc, HBC_HEADER, vstring_str(field), &r);
	return cc_action(m, &r, "header", field) == CLEANUP_KEEP;
}

static int
cc_m_add(void *ctx, const char *name, const char *value)
{
	CC_MSG	*m = ctx;
	VSTRING	*f = vstring_alloc(100);

	vstring_sprintf(f, "%s:%s", name, value);
	if (cc_m_hcheck(m, f))
		cleanup_hdr_add(m->c, vstring_str(f));
	vstring_free(f);
	return 0;
}

static int
cc_m_ins(void *ctx, int index, const char *name, const char *value)
{
	CC_MSG	*m = ctx;
	VSTRING	*f = vstring_alloc(100);
	size_t	 n = cleanup_hdr_count(m->c);

	vstring_sprintf(f, "%s:%s", name, value);
	if (cc_m_hcheck(m, f))
		cleanup_hdr_insert(m->c, (size_t)index > n ? n : (size_t)index,
		    vstring_str(f));
	vstring_free(f);
	return 0;
}

static int
cc_m_chg(void *ctx, int index, const char *name, const char *value)
{
	CC_MSG	*m = ctx;
	VSTRING	*f;
	size_t	 i;
	int	 seen = 0;

	for (i = 0; i < cleanup_hdr_count(m->c); i++)
		if (rfc822_hdr_is(cleanup_hdr_get(m->c, i), name)
		    && ++seen == (index < 1 ? 1 : index))
			break;
	if (*value == 0) {
		if (i < cleanup_hdr_count(m->c))
			cleanup_hdr_delete(m->c, i);
		return 0;
	}
	f = vstring_alloc(100);
	vstring_sprintf(f, "%s:%s", name, value);
	if (cc_m_hcheck(m, f)) {
		if (i < cleanup_hdr_count(m->c))
			cleanup_hdr_change(m->c, i, vstring_str(f));
		else
			cleanup_hdr_add(m->c, vstring_str(f));
	}
	vstring_free(f);
	return 0;
}

static int
cc_m_from(void *ctx, const char *addr, const char *args)
{
	CC_MSG	*m = ctx;
	char	*a = cc_strip_brackets(addr);

	msg_info("%s: milter changes sender to <%s>", cleanup_id(m->c), a);
	cleanup_sender_change(m->c, a);
	myfree(a);
	return 0;
}

static int
cc_m_addr(void *ctx, const char *addr, const char *args)
{
	CC_MSG	*m = ctx;
	char	*a = cc_strip_brackets(addr);
	int	 r = cleanup_rcpt_add(m->c, a) < 0 ? -1 : 0;

	myfree(a);
	return r;
}

static int
cc_m_delr(void *ctx, const char *addr)
{
	CC_MSG	*m = ctx;
	char	*a = cc_strip_brackets(addr);

	(void)cleanup_rcpt_delete(m->c, a);
	myfree(a);
	return 0;
}

static int
cc_m_body_repl(void *ctx, int phase, const char *buf, size_t len)
{
	CC_MSG	*m = ctx;

	if (phase == MILTER_BODY_START) {
		if (m->body == NULL)
			m->body = vstring_alloc(1024);
		vstring_truncate(m->body, 0);
	} else if (phase == MILTER_BODY_DATA) {
		vstring_memcat(m->body, buf, len);
	} else {
		cleanup_body_replace(m->c, vstring_str(m->body),
		    vstring_len(m->body));
	}
	return 0;
}

static int
cc_m_hold(void *ctx, const char *reason)
{
	CC_MSG	*m = ctx;

	msg_info("%s: milter-hold: END-OF-MESSAGE%s: %s", cleanup_id(m->c),
	    cc_context(m), reason);
	cleanup_hold(m->c, NULL);
	return 0;
}

static const MILTER_EDIT_OPS cc_m_ops = {
	cc_m_add, cc_m_ins, cc_m_chg, cc_m_from, cc_m_addr, cc_m_delr,
	cc_m_body_repl, cc_m_hold,
};

/* The verdict of the milters at the end of the message. */
static void
cc_m_verdict(CC_MSG *m, const char *r)
{
	CLEANUP	*c = m->c;

	if (r == NULL)
		return;
	if (*r == 'D') {
		msg_info("%s: milter-discard: END-OF-MESSAGE%s: milter triggers "
		    "DISCARD action", cleanup_id(c), cc_context(m));
		cleanup_discard(c, "milter");
		return;
	}
	msg_info("%s: milter-reject: END-OF-MESSAGE%s: %s", cleanup_id(c),
	    cc_context(m), r);
	if (*r == '5')
		cleanup_reject(c, r);
	else
		cleanup_defer(c, r);
}

/* non_smtpd_milters: the whole conversation at the end of the message. */
static const char *
cc_m_local(CC_MSG *m, MILTERS *mp, const MILTER_MSG *msg)
{
	ARGV	*a = argv_alloc(2);
	const char *r;
	size_t	 i;

	r = milter_conn_event(mp, "localhost", "127.0.0.1", 0, AF_INET);
	if (r == NULL)
		r = milter_helo_event(mp, "localhost");
	if (r == NULL) {
		vstring_sprintf(m->ctx, "<%s>", cleanup_get_sender(m->c));
		argv_add(a, vstring_str(m->ctx));
		r = milter_mail_event(mp, a);
	}
	for (i = 0; r == NULL && i < cleanup_rcpt_count(m->c); i++) {
		argv_truncate(a, 0);
		vstring_sprintf(m->ctx, "<%s>", cleanup_rcpt_addr(m->c, i));
		argv_add(a, vstring_str(m->ctx));
		r = milter_rcpt_event(mp, a);
	}
	if (r == NULL)
		r = milter_data_event(mp);
	if (r == NULL)
		r = milter_message(mp, msg);
	argv_free(a);
	return r;
}

static const char *
cc_m_macro(void *ctx, const char *name)
{
	CC_MSG	*m = ctx;

	if (strcmp(name, "i") == 0)
		return cleanup_id(m->c);
	if (strcmp(name, "{mail_addr}") == 0)
		return cleanup_get_sender(m->c);
	if (strcmp(name, "{client_addr}") == 0)
		return "127.0.0.1";
	if (strcmp(name, "{client_name}") == 0 || strcmp(name, "_") == 0)
		return "localhost";
	return NULL;
}

void
cc_m_eom(CLEANUP *c, void *msg_ctx)
{
	CC_MSG	*m = msg_ctx;
	CLEANUP_CONTENT *cc = m->cc;
	MILTER_MSG msg = { cc_m_headers, cc_m_body, m };
	MILTERS	*mp;

	if (cleanup_flags(c) & CLEANUP_FLAG_NO_MILTER)
		return;
	if (cc->smtpd) {
		if ((mp = cc->milters) == NULL || milter_count(mp) == 0)
			return;
		milter_edit_callback(mp, &cc_m_ops, m);
		cc_m_verdict(m, milter_message(mp, &msg));
		milter_edit_callback(mp, NULL, NULL);
		return;
	}
	if (*cc->non_smtpd == 0)
		return;
	mp = milter_create(cc->non_smtpd);
	milter_macro_callback(mp, cc_m_macro, m);
	milter_edit_callback(mp, &cc_m_ops, m);
	cc_m_verdict(m, cc_m_local(m, mp, &msg));
	milter_disconnect(mp);
	milter_free(mp);
}

