/*
 * NAME
 *	cleanup_hdr - the header section in the cleanup stage
 * SYNOPSIS
 *	#include "cleanup_priv.h"
 *
 *	void	cleanup_hdr_done(CLEANUP *c, int how);
 *	int	cleanup_hdr_output(CLEANUP *c);
 * DESCRIPTION
 *	cleanup_hdr_done() is called once, when the header section collected
 *	in c->hdrs has ended (how: RFC822_HDR_END after the empty line,
 *	RFC822_HDR_BODY when a body line follows without one, 0 at the end
 *	of the content). Each field, in order: the hooks' header callbacks
 *	(header_checks), message_drop_headers (Postfix's default "bcc,
 *	content-length, resent-bcc"), address rewriting of the originator
 *	fields (From, Sender, Reply-To, Return-Path, Errors-To,
 *	Return-Receipt-To, Resent-From, Resent-Sender, Resent-Reply-To) and
 *	recipient fields (To, Cc, Bcc, Resent-To, Resent-Cc, Resent-Bcc,
 *	Apparently-To) when header rewriting applies (CLEANUP_FLAG_LOCAL, or
 *	remote_header_rewrite_domain set). More Received: fields than
 *	hopcount_limit reject the message ("554 5.4.0 Error: too many
 *	hops", a mail loop), as Postfix does. Then the header_end
 *	hooks, the
 *	missing fields (Message-Id:, Date:, From: and, when set,
 *	undisclosed_recipients_header; for local mail or with
 *	always_add_missing_headers) and the "ID: message-id=<...>" log
 *	line. The header is written with the empty line after it when a
 *	body follows.
 *
 *	cleanup_hdr_output() writes the content again after an edit at the
 *	end of the message: the edited header, then the old body (or the
 *	replacement body).
 * DIAGNOSTICS
 *	cleanup_hdr_output() returns -1 on a write error.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cleanup_priv.h"
#include "hdr_addr.h"
#include "msg.h"
#include "mymalloc.h"

static int
cleanup_hdr_dropped(const CLEANUP_CONF *cf, const char *field)
{
	size_t	 i;

	for (i = 0; cf->drop_headers && i < cf->drop_headers->argc; i++)
		if (rfc822_hdr_is(field, cf->drop_headers->argv[i]))
			return 1;
	return 0;
}

/* cleanup_hdr_rewriting - are header addresses rewritten for this mail? */
static int
cleanup_hdr_rewriting(const CLEANUP *c)
{
	return (c->flags & CLEANUP_FLAG_MAP) &&
	    ((c->flags & CLEANUP_FLAG_LOCAL) || *c->conf->remote_domain);
}

/* cleanup_hdr_field - one field: hooks, drop, rewrite. 0: dropped. */
static int
cleanup_hdr_field(CLEANUP *c, VSTRING *field)
{
	CLEANUP_HOOK *h;
	const char *s;
	size_t	 i;
	int	 cls;

	for (i = 0; i < c->nhooks; i++) {
		h = c->conf->hooks + i;
		if (h->header && h->header(c, c->hook_msg[i], field) == CLEANUP_DELETE)
			return 0;
	}
	s = vstring_str(field);
	if (cleanup_hdr_dropped(c->conf, s))
		return 0;
	if (c->msgid == NULL && rfc822_hdr_is(s, "Message-Id"))
		c->msgid = mystrdup(rfc822_hdr_value(s));
	if (rfc822_hdr_is(s, "Received"))
		c->hops++;
	if (cleanup_hdr_rewriting(c) && (cls = hdr_addr_class(s)) != 0)
		(void)cleanup_addr_list(c, cls == HDR_ADDR_SENDER ?
		    CLEANUP_CLASS_HDR_SENDER : CLEANUP_CLASS_HDR_RCPT, field);
	return 1;
}

/* cleanup_hdr_missing - Message-Id, Date, From, To as Postfix adds them. */
static void
cleanup_hdr_missing(CLEANUP *c)
{
	CLEANUP_CONF *cf = c->conf;
	VSTRING	*buf = vstring_alloc(100), *tmp = vstring_alloc(100);
	time_t	 now = time(NULL);
	const char *from;

	if (c->msgid == NULL) {
		rfc822_hdr_message_id(tmp, c->id, cf->myhostname, now);
		vstring_sprintf(buf, "Message-Id: %s", vstring_str(tmp));
		rfc822_hdrs_append(c->hdrs, vstring_str(buf));
		c->msgid = mystrdup(vstring_str(tmp));
	}
	if (rfc822_hdrs_find(c->hdrs, "Date") == NULL) {
		char	 date[80];

		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z (%Z)",
		    localtime(&now));
		vstring_sprintf(buf, "Date: %s", date);
		rfc822_hdrs_append(c->hdrs, vstring_str(buf));
	}
	if (rfc822_hdrs_find(c->hdrs, "From") == NULL) {
		from = *c->sender ? c->sender : "MAILER-DAEMON";
		if (c->fullname && *c->fullname) {
			rfc822_hdr_phrase(tmp, c->fullname);
			vstring_sprintf(buf, "From: %s <%s>", vstring_str(tmp), from);
		} else {
			vstring_sprintf(buf, "From: %s", from);
		}
		rfc822_hdrs_append(c->hdrs, vstring_str(buf));
	}
	if (*cf->undisclosed && rfc822_hdrs_find(c->hdrs, "To") == NULL &&
	    rfc822_hdrs_find(c->hdrs, "Cc") == NULL &&
	    rfc822_hdrs_find(c->hdrs, "Resent-To") == NULL &&
	    rfc822_hdrs_find(c->hdrs, "Resent-Cc") == NULL)
		rfc822_hdrs_append(c->hdrs, cf->undisclosed);
	vstring_free(buf);
	vstring_free(tmp);
}

/* cleanup_hdr_write - the header (and separator) into the queue file. */
static int
cleanup_hdr_write(CLEANUP *c)
{
	VSTRING	*text = vstring_alloc(1024);
	int	 r;

	rfc822_hdrs_text(text, c->hdrs);
	if (c->hdr_end != 0 || c->body_dirty)
		vstring_addch(text, '\n');
	r = qf_write_content(c->qf, vstring_str(text), vstring_len(text));
	c->body_off = qf_content_size(c->qf);
	vstring_free(text);
	return r;
}

void
cleanup_hdr_done(CLEANUP *c, int how)
{
	ARGV	*fields = c->hdrs->fields, *keep = argv_alloc(fields->argc + 4);
	VSTRING	*field = vstring_alloc(256);
	size_t	 i;

	c->hdr_end = how;
	if (c->hdrs->truncated || c->line_cut)
		msg_info_as("cleanup", "%s: header too long, truncated", c->id);
	/*
	 * The output list is the header while the hooks run: a field a hook
	 * adds (cleanup_hdr_add) lands before the current one, as a
	 * header_checks PREPEND does, and is not checked again.
	 */
	c->hdrs->fields = keep;
	for (i = 0; i < fields->argc; i++) {
		vstring_strcpy(field, fields->argv[i]);
		if (cleanup_hdr_field(c, field))
			argv_add(keep, vstring_str(field));
	}
	argv_free(fields);
	c->in_header = 0;
	vstring_free(field);
	if (c->hops > c->conf->hop_limit) {
		msg_info_as("cleanup", "%s: too many hops: %d Received: fields "
		    "(hopcount_limit %d)", c->id, c->hops, c->conf->hop_limit);
		cleanup_reject(c, "554 5.4.0 Error: too many hops");
	}
	for (i = 0; i < c->nhooks; i++)
		if (c->conf->hooks[i].header_end)
			c->conf->hooks[i].header_end(c, c->hook_msg[i]);
	if ((c->flags & CLEANUP_FLAG_LOCAL) || c->conf->always_add)
		cleanup_hdr_missing(c);
	msg_info_as("cleanup", "%s: message-id=%s", c->id, c->msgid ? c->msgid : "<>");
	c->hdr_dirty = 0;
	if (!(c->errs & CLEANUP_ERR_WRITE) && cleanup_hdr_write(c) < 0) {
		msg_warn("%s: queue file write error: %m", c->id);
		c->errs |= CLEANUP_ERR_WRITE;
	}
}

/* cleanup_hdr_copy - the old body from the abandoned content. */
static int
cleanup_hdr_copy(CLEANUP *c, off_t off, off_t len)
{
	char	 buf[65536];
	ssize_t	 n;
	size_t	 want;

	while (len > 0) {
		want = len > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)len;
		if ((n = qf_writer_read(c->qf, off, buf, want)) <= 0)
			return -1;
		if (qf_write_content(c->qf, buf, (size_t)n) < 0)
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

int
cleanup_hdr_output(CLEANUP *c)
{
	off_t	 old_off, old_len, body_off = c->body_off;

	if (qf_content_restart(c->qf, &old_off, &old_len) < 0)
		return -1;
	if (cleanup_hdr_write(c) < 0)
		return -1;
	if (c->body_dirty)
		return vstring_len(c->body) == 0 ? 0 :
		    qf_write_content(c->qf, vstring_str(c->body), vstring_len(c->body));
	return cleanup_hdr_copy(c, old_off + body_off, old_len - body_off);
}
