/*
 * NAME
 *	cleanup_content - header/body checks, milters and content_filter in
 *	the cleanup stage
 * SYNOPSIS
 *	#include "cleanup_content.h"
 *
 *	CLEANUP_CONTENT *cleanup_content_register(CLEANUP_CONF *conf,
 *		int smtpd);
 *	void cleanup_content_milters(CLEANUP_CONTENT *cc, MILTERS *milters);
 *	int cleanup_content_flags(int flags);
 * DESCRIPTION
 *	cleanup_content_register() plugs the content inspection of this
 *	process into the cleanup stage (cleanup(3) hooks), once per
 *	process: header_checks, mime_header_checks, nested_header_checks
 *	and body_checks (hbc(3), MIME-aware through mime_state(3)), the
 *	milters, and content_filter. A table list that is empty costs
 *	nothing; the body is split into lines for the hooks only when a
 *	table needs body lines (mime_header_checks, nested_header_checks,
 *	body_checks) or strict_7bit_headers / strict_8bitmime_body asks
 *	for the scan.
 *
 *	For smtpd (smtpd != 0), the milters are the session's
 *	smtpd_milters, set with cleanup_content_milters() (the connect to
 *	RCPT events happen in smtpd itself); they get the content at the
 *	end of the message. Otherwise (pickup, sendmail) non_smtpd_milters
 *	get the whole conversation at the end of the message: connect from
 *	localhost [127.0.0.1], HELO localhost, MAIL, RCPT, DATA, content.
 *
 *	Check actions, as Postfix's cleanup(8): REJECT and DEFER answer the
 *	end of DATA with their reply; DISCARD drops the message (250);
 *	HOLD puts it in hold/; IGNORE removes the field or line; REPLACE
 *	and PREPEND edit; INFO and WARN log; REDIRECT replaces all
 *	recipients, BCC adds one, FILTER sets the content filter
 *	(transport:destination) for this message. After REJECT, DEFER or
 *	DISCARD no more checks run. Every action is logged as Postfix does:
 *	"ID: reject: header Subject: x from host[addr]; from=<s> to=<r>
 *	proto=ESMTP helo=<h>: 5.7.1 text" (local mail: "from local;").
 *	body_checks see at most body_checks_size_limit bytes of each MIME
 *	part. strict_7bit_headers, strict_8bitmime_body (or strict_8bitmime)
 *	and MIME nesting past mime_nesting_limit reject the message with
 *	"550 5.6.0 ...". milter_header_checks apply to the header fields
 *	that milters add or change.
 *
 *	message_reject_characters and message_strip_characters (C-like
 *	escapes, unescape(3): "\0" is the NUL byte) look at the raw
 *	content before header_checks, as Postfix's cleanup(8) does: a
 *	header field or body line with a byte of the first set rejects the
 *	message ("550 5.7.1 disallowed character", logged like a
 *	header_checks REJECT); bytes of the second set are removed from
 *	every header field and body line. No MIME decoding is done, and
 *	receive_override_options = no_header_body_checks turns both off.
 *
 *	content_filter (main.cf, or -o content_filter= in master.cf) is
 *	recorded in the queue file for the queue manager, which then sends
 *	every recipient to that transport:destination.
 *
 *	cleanup_content_flags() applies receive_override_options to the
 *	cleanup_open() flags of an entry path: no_address_mappings (no
 *	canonical, masquerading, virtual aliasing or automatic bcc),
 *	no_header_body_checks, no_milters.
 *	(The milter step is in cleanup_milter.c.)
 * BUGS
 *	A message whose content ends inside the header of a MIME part loses
 *	that unfinished header field.
 */
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cleanup_content.h"
#include "cleanup_content_priv.h"
#include "hbc.h"
#include "mail_conf.h"
#include "mime_state.h"
#include "msg.h"
#include "mymalloc.h"
#include "unescape.h"


int
cleanup_content_flags(int flags)
{
	static int opts = -1;

	if (opts < 0) {
		ARGV	*v = conf_list("receive_override_options");

		opts = 0;
		for (size_t i = 0; i < v->argc; i++) {
			const char *o = v->argv[i];

			if (strcasecmp(o, "no_address_mappings") == 0)
				opts |= CLEANUP_FLAG_MAP | CLEANUP_FLAG_BCC;
			else if (strcasecmp(o, "no_header_body_checks") == 0)
				opts |= CLEANUP_FLAG_NO_HBC;
			else if (strcasecmp(o, "no_milters") == 0)
				opts |= CLEANUP_FLAG_NO_MILTER;
			else if (strcasecmp(o, "no_unknown_recipient_checks") != 0)
				msg_warn("receive_override_options: unknown value "
				    "\"%s\"; ignored", o);
		}
		argv_free(v);
	}
	flags &= ~(opts & (CLEANUP_FLAG_MAP | CLEANUP_FLAG_BCC));
	return flags | (opts & (CLEANUP_FLAG_NO_HBC | CLEANUP_FLAG_NO_MILTER));
}

/* " from host[addr]; from=<s> to=<r> proto=P helo=<h>" */
const char *
cc_context(CC_MSG *m)
{
	CLEANUP	*c = m->c;
	const char *name = cleanup_get_attr(c, "client_name");
	const char *addr = cleanup_get_attr(c, "client_addr");
	const char *proto = cleanup_get_attr(c, "protocol");
	const char *helo = cleanup_get_attr(c, "helo");

	if (name && addr)
		vstring_sprintf(m->ctx, " from %s[%s];", name, addr);
	else
		vstring_strcpy(m->ctx, " from local;");
	vstring_sprintf_append(m->ctx, " from=<%s>", cleanup_get_sender(c));
	if (cleanup_rcpt_count(c) > 0)
		vstring_sprintf_append(m->ctx, " to=<%s>", cleanup_rcpt_addr(c, 0));
	if (proto)
		vstring_sprintf_append(m->ctx, " proto=%s", proto);
	if (helo)
		vstring_sprintf_append(m->ctx, " helo=<%s>", helo);
	return vstring_str(m->ctx);
}

char *
cc_strip_brackets(const char *addr)
{
	size_t	 n = strlen(addr);

	if (n >= 2 && addr[0] == '<' && addr[n - 1] == '>')
		return mystrndup(addr + 1, n - 2);
	return mystrdup(addr);
}

/*
 * Apply a check result. Returns CLEANUP_KEEP or CLEANUP_DELETE; text may
 * be replaced (REPLACE) or prefixed (PREPEND) in place.
 */
int
cc_action(CC_MSG *m, HBC_RESULT *r, const char *where, VSTRING *text)
{
	CLEANUP	*c = m->c;
	const char *id = cleanup_id(c);

	switch (r->action) {
	case HBC_DUNNO:
		return CLEANUP_KEEP;
	case HBC_ERROR:
		msg_warn("%s: %s", id, r->text);
		cleanup_defer(c, "451 4.3.0 Error: temporary lookup failure");
		m->done = 1;
		return CLEANUP_KEEP;
	case HBC_REJECT:
	case HBC_DEFER:
		hbc_log(id, r, where, vstring_str(text), cc_context(m));
		hbc_reply(m->reply, r);
		if (r->action == HBC_REJECT)
			cleanup_reject(c, vstring_str(m->reply));
		else
			cleanup_defer(c, vstring_str(m->reply));
		m->done = 1;
		return CLEANUP_KEEP;
	case HBC_DISCARD:
		hbc_log(id, r, where, vstring_str(text), cc_context(m));
		cleanup_discard(c, *r->text ? r->text : "header or body check");
		m->done = 1;
		return CLEANUP_KEEP;
	case HBC_HOLD:
		hbc_log(id, r, where, vstring_str(text), cc_context(m));
		cleanup_hold(c, NULL);
		return CLEANUP_KEEP;
	case HBC_IGNORE:
		return CLEANUP_DELETE;
	case HBC_STRIP:
		hbc_log(id, r, where, vstring_str(text), cc_context(m));
		return CLEANUP_DELETE;
	case HBC_INFO:
	case HBC_WARN:
		hbc_log(id, r, where, vstring_str(text), cc_context(m));
		return CLEANUP_KEEP;
	case HBC_REPLACE:
		hbc_log(id, r, where, vstring_str(text), cc_context(m));
		vstring_strcpy(text, r->text);
		return CLEANUP_KEEP;
	case HBC_PREPEND: {
		VSTRING *t;

		/* In the message header the stage puts it before this field. */
		if (m->in_primary && strcmp(where, "body") != 0) {
			cleanup_hdr_add(c, r->text);
			return CLEANUP_KEEP;
		}
		t = vstring_alloc(vstring_len(text) + 100);

		vstring_sprintf(t, "%s\n%s", r->text, vstring_str(text));
		vstring_strcpy(text, vstring_str(t));
		vstring_free(t);
		return CLEANUP_KEEP;
	}
	case HBC_REDIRECT:
	case HBC_BCC:
		if (*r->text == 0) {
			msg_warn("%s: %s action without address; ignored", id,
			    r->name);
			return CLEANUP_KEEP;
		}
		hbc_log(id, r, where, vstring_str(text), cc_context(m));
		if (r->action == HBC_REDIRECT) {
			if (m->redirect)
				argv_truncate(m->redirect, 0);
			else
				m->redirect = argv_alloc(1);
			argv_add(m->redirect, r->text);
		} else {
			if (m->bcc == NULL)
				m->bcc = argv_alloc(1);
			argv_add(m->bcc, r->text);
		}
		return CLEANUP_KEEP;
	case HBC_FILTER:
		if (strchr(r->text, ':') == NULL) {
			msg_warn("%s: FILTER action needs transport:destination, "
			    "not \"%s\"; ignored", id, r->text);
			return CLEANUP_KEEP;
		}
		hbc_log(id, r, where, vstring_str(text), cc_context(m));
		cleanup_attr(c, "content_filter", r->text);
		return CLEANUP_KEEP;
	}
	return CLEANUP_KEEP;
}

/*
 * message_reject_characters and message_strip_characters on one header
 * field or body line (where: "header" or "body"). Returns CLEANUP_KEEP,
 * or CLEANUP_DELETE when the message was rejected (the line need not go
 * on to the other checks).
 */
static int
cc_chars(CC_MSG *m, VSTRING *text, const char *where)
{
	const CLEANUP_CONTENT *cc = m->cc;
	unsigned char *p = (unsigned char *)vstring_str(text);
	size_t	 len = vstring_len(text), i, out;
	HBC_RESULT r;

	for (i = 0; i < len; i++)
		if (cc->reject_chars[p[i]]) {
			r.action = HBC_REJECT;
			r.name = "reject";
			r.text = "disallowed character";
			(void)cc_action(m, &r, where, text);
			return CLEANUP_DELETE;
		}
	for (i = out = 0; i < len; i++)
		if (!cc->strip_chars[p[i]])
			p[out++] = p[i];
	if (out < len)
		vstring_truncate(text, out);
	return CLEANUP_KEEP;
}

/* mime_state output: MIME part and attached-message headers. */
static int
cc_mime_head(void *ctx, int cls, VSTRING *field)
{
	CC_MSG	*m = ctx;
	HBC_RESULT r;
	int	 hc;

	if (m->in_primary)
		return 0;		/* checked by the header hook */
	if (!m->done) {
		hc = hbc_header_class(cls, vstring_str(field));
		hbc_check(m->cc->hbc, hc, vstring_str(field), &r);
		if (cc_action(m, &r, hbc_class_name(hc), field) == CLEANUP_DELETE)
			return 0;
	}
	if (vstring_len(m->out) > 0)
		vstring_addch(m->out, '\n');
	vstring_memcat(m->out, vstring_str(field), vstring_len(field));
	return 0;
}

static int
cc_mime_body(void *ctx, const char *line, size_t len, int eol)
{
	CC_MSG	*m = ctx;
	HBC_RESULT r;
	VSTRING	*t;
	int	 keep = CLEANUP_KEEP;

	if (m->in_primary)
		return 0;		/* the header's blank line: cleanup's */
	t = vstring_alloc(len + 1);
	vstring_memcpy(t, line, len);
	if (!m->done && hbc_enabled(m->cc->hbc, HBC_BODY)
	    && mime_state_part_offset(m->ms) <= m->cc->body_limit) {
		hbc_check(m->cc->hbc, HBC_BODY, vstring_str(t), &r);
		keep = cc_action(m, &r, "body", t);
	}
	if (keep == CLEANUP_KEEP) {
		if (vstring_len(m->out) > 0)
			vstring_addch(m->out, '\n');
		vstring_memcat(m->out, vstring_str(t), vstring_len(t));
	}
	vstring_free(t);
	return 0;
}

static void *
cc_begin(CLEANUP *c, void *hook_ctx)
{
	CLEANUP_CONTENT *cc = hook_ctx;
	CC_MSG	*m;

	if (*cc->filter)
		cleanup_attr(c, "content_filter", cc->filter);
	m = mycalloc(1, sizeof(*m));
	m->c = c;
	m->cc = cc;
	m->ctx = vstring_alloc(100);
	m->reply = vstring_alloc(100);
	m->out = vstring_alloc(256);
	if (cc->hbc && !(cleanup_flags(c) & CLEANUP_FLAG_NO_HBC))
		m->ms = mime_state_alloc(cc->mime_opts, cc->hdr_limit,
		    cc->nest_limit, cc->boundary_limit, cc_mime_head, NULL,
		    cc_mime_body, m);
	m->in_primary = 1;
	m->chars = cc->chars && !(cleanup_flags(c) & CLEANUP_FLAG_NO_HBC);
	return m;
}

static int
cc_header(CLEANUP *c, void *msg_ctx, VSTRING *field)
{
	CC_MSG	*m = msg_ctx;
	HBC_RESULT r;
	const char *p, *nl;
	int	 hc, keep = CLEANUP_KEEP;

	if (m->chars && !m->done
	    && cc_chars(m, field, "header") == CLEANUP_DELETE)
		return CLEANUP_KEEP;
	if (m->ms == NULL)
		return CLEANUP_KEEP;
	/* mime_state tracks Content-Type; the verdict is made here. */
	for (p = vstring_str(field); (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		mime_state_update(m->ms, p, nl - p, 1);
	mime_state_update(m->ms, p, strlen(p), 1);
	if (m->done)
		return CLEANUP_KEEP;
	hc = hbc_header_class(HBC_HEADER, vstring_str(field));
	hbc_check(m->cc->hbc, hc, vstring_str(field), &r);
	keep = cc_action(m, &r, hbc_class_name(hc), field);
	return keep;
}

static void
cc_header_end(CLEANUP *c, void *msg_ctx)
{
	CC_MSG	*m = msg_ctx;

	if (m->ms == NULL)
		return;
	mime_state_update(m->ms, "", 0, 1);
	m->in_primary = 0;
}

static int
cc_body(CLEANUP *c, void *msg_ctx, VSTRING *line)
{
	CC_MSG	*m = msg_ctx;

	if (m->chars && !m->done
	    && cc_chars(m, line, "body") == CLEANUP_DELETE)
		return CLEANUP_KEEP;
	if (m->ms == NULL)
		return CLEANUP_KEEP;
	vstring_truncate(m->out, 0);
	mime_state_update(m->ms, vstring_str(line), vstring_len(line), 1);
	if (vstring_len(m->out) == 0)
		return CLEANUP_DELETE;
	vstring_memcpy(line, vstring_str(m->out), vstring_len(m->out));
	return CLEANUP_KEEP;
}

/* End of message: MIME errors, REDIRECT, BCC. */
static void
cc_eom(CLEANUP *c, void *msg_ctx)
{
	CC_MSG	*m = msg_ctx;
	int	 errs;

	if (m->ms == NULL || m->done)
		return;
	(void)mime_state_finish(m->ms);
	errs = mime_state_errors(m->ms) & ~MIME_ERR_TRUNC_HEADER;
	if (errs && !m->done) {
		vstring_sprintf(m->reply, "550 5.6.0 %s",
		    mime_state_error_text(errs));
		msg_info("%s: reject: %s%s: %s", cleanup_id(c),
		    mime_state_error_text(errs), cc_context(m),
		    vstring_str(m->reply) + 4);
		cleanup_reject(c, vstring_str(m->reply));
		return;
	}
	if (m->redirect) {
		while (cleanup_rcpt_count(c) > 0) {
			char	*a = mystrdup(cleanup_rcpt_addr(c, 0));

			(void)cleanup_rcpt_delete(c, a);
			myfree(a);
		}
		(void)cleanup_rcpt_add(c, m->redirect->argv[0]);
	}
	for (size_t i = 0; m->bcc && i < m->bcc->argc; i++)
		(void)cleanup_rcpt_add(c, m->bcc->argv[i]);
}

static void
cc_end(CLEANUP *c, void *msg_ctx)
{
	CC_MSG	*m = msg_ctx;

	if (m->ms)
		mime_state_free(m->ms);
	vstring_free(m->ctx);
	vstring_free(m->reply);
	vstring_free(m->out);
	if (m->redirect)
		argv_free(m->redirect);
	if (m->bcc)
		argv_free(m->bcc);
	if (m->body)
		vstring_free(m->body);
	myfree(m);
}

/* Checks first, then the milters, as Postfix orders them. */
static void
cc_eom_all(CLEANUP *c, void *msg_ctx)
{
	CC_MSG	*m = msg_ctx;

	cc_eom(c, msg_ctx);
	if (!m->done && !cleanup_errors(c) && m->cc->want_milters)
		cc_m_eom(c, msg_ctx);
}

void
cleanup_content_milters(CLEANUP_CONTENT *cc, MILTERS *milters)
{
	if (cc)
		cc->milters = milters;
}

/* A character-set parameter's bytes marked in set; 1 when any. */
static int
cc_charset(const char *spec, unsigned char set[256])
{
	VSTRING	*bytes = unescape(vstring_alloc(16), spec ? spec : "");
	int	 any = vstring_len(bytes) > 0;

	for (size_t i = 0; i < vstring_len(bytes); i++)
		set[(unsigned char)vstring_str(bytes)[i]] = 1;
	vstring_free(bytes);
	return any;
}

static int
cc_nonempty(const char *name)
{
	const char *v = conf_str(name);

	return v != NULL && v[strspn(v, " \t,")] != 0;
}

CLEANUP_CONTENT *
cleanup_content_register(CLEANUP_CONF *conf, int smtpd)
{
	CLEANUP_CONTENT *cc = mycalloc(1, sizeof(*cc));
	CLEANUP_HOOK hook;

	cc->smtpd = smtpd;
	cc->filter = conf_str("content_filter");
	cc->non_smtpd = conf_str("non_smtpd_milters");
	cc->body_limit = conf_int("body_checks_size_limit");
	cc->hdr_limit = (size_t)conf_int("header_size_limit");
	cc->nest_limit = (int)conf_int("mime_nesting_limit");
	cc->boundary_limit = (size_t)conf_int("mime_boundary_length_limit");
	if (conf_bool("disable_mime_input_processing"))
		cc->mime_opts |= MIME_OPT_DISABLE_MIME;
	if (conf_bool("strict_7bit_headers") || conf_bool("strict_8bitmime"))
		cc->mime_opts |= MIME_OPT_8BIT_HEADER;
	if (conf_bool("strict_8bitmime_body") || conf_bool("strict_8bitmime"))
		cc->mime_opts |= MIME_OPT_8BIT_BODY;
	if (cc_nonempty("header_checks") || cc_nonempty("mime_header_checks")
	    || cc_nonempty("nested_header_checks") || cc_nonempty("body_checks")
	    || (cc->mime_opts & (MIME_OPT_8BIT_HEADER | MIME_OPT_8BIT_BODY)))
		cc->hbc = hbc_create(conf_str("header_checks"),
		    conf_str("mime_header_checks"),
		    conf_str("nested_header_checks"), conf_str("body_checks"));
	if (cc_nonempty("milter_header_checks"))
		cc->milter_hbc = hbc_create(conf_str("milter_header_checks"), "",
		    "", "");
	cc->need_body = cc->hbc && (hbc_enabled(cc->hbc, HBC_MIME)
	    || hbc_enabled(cc->hbc, HBC_NESTED) || hbc_enabled(cc->hbc, HBC_BODY)
	    || (cc->mime_opts & (MIME_OPT_8BIT_HEADER | MIME_OPT_8BIT_BODY)));
	cc->chars = cc_charset(conf_str("message_reject_characters"),
	    cc->reject_chars) | cc_charset(conf_str("message_strip_characters"),
	    cc->strip_chars);
	cc->want_milters = smtpd ? cc_nonempty("smtpd_milters")
	    || cc_nonempty("smtpd_milter_maps") : *cc->non_smtpd != 0;
	if (cc->hbc == NULL && !cc->chars && !cc->want_milters
	    && *cc->filter == 0)
		return cc;		/* nothing to do: no hook, no cost */
	memset(&hook, 0, sizeof(hook));
	hook.name = "content";
	hook.begin = cc_begin;
	hook.end = cc_end;
	hook.eom = cc_eom_all;
	hook.hook_ctx = cc;
	if (cc->hbc || cc->chars) {
		hook.header = cc_header;
		hook.header_end = cc_header_end;
		if (cc->need_body || cc->chars)
			hook.body = cc_body;
	}
	cleanup_conf_hook(conf, &hook);
	return cc;
}
