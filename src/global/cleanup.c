/*
 * NAME
 *	cleanup - the one stage every message passes on its way into the queue
 * SYNOPSIS
 *	#include <cleanup.h>
 *
 *	CLEANUP_CONF *cleanup_conf_load(void);
 *	void	cleanup_conf_hook(CLEANUP_CONF *conf, const CLEANUP_HOOK *hook);
 *
 *	CLEANUP	*cleanup_open(CLEANUP_CONF *conf, const char *queue_dir,
 *		    int flags, VSTRING *why);
 *	QF_WRITER *cleanup_qf(CLEANUP *c);
 *	void	cleanup_attr(CLEANUP *c, const char *name, const char *value);
 *	void	cleanup_sender(CLEANUP *c, const char *addr);
 *	void	cleanup_fullname(CLEANUP *c, const char *name);
 *	int	cleanup_rcpt(CLEANUP *c, const char *addr, const char *orcpt,
 *		    int notify);
 *	void	cleanup_line(CLEANUP *c, const char *data, size_t len,
 *		    int complete);
 *	void	cleanup_write(CLEANUP *c, const char *buf, size_t len);
 *	off_t	cleanup_size(CLEANUP *c);
 *	int	cleanup_close(CLEANUP *c, const char *queue, VSTRING *reply);
 *	void	cleanup_abort(CLEANUP *c);
 * DESCRIPTION
 *	This is Postern's cleanup(8), as library code rather than another
 *	process hop: smtpd, pickup (sendmail), bounce (DSNs) and
 *	re-injection hand it the envelope and the content while it writes
 *	the queue file (qfile(3)), so that every message gets the same
 *	treatment, in Postfix's order of operations.
 *
 *	cleanup_conf_load() reads the parameters once per process and opens
 *	the tables (canonical_maps, sender_canonical_maps,
 *	recipient_canonical_maps, virtual_alias_maps, sender_bcc_maps,
 *	recipient_bcc_maps; see cleanup_conf.c). An empty parameter costs
 *	nothing per message: its step is skipped by a null test.
 *
 *	cleanup_open() creates the queue file. flags say what this entry
 *	path's mail gets: CLEANUP_FLAG_MAP (canonical, masquerade, virtual
 *	alias), CLEANUP_FLAG_BCC (automatic bcc), CLEANUP_FLAG_FILTER (the
 *	hooks below), CLEANUP_FLAG_LOCAL (header addresses are rewritten
 *	and missing Message-Id:, Date: and From: added: local submissions
 *	and clients in local_header_rewrite_clients; otherwise headers are
 *	rewritten only when remote_header_rewrite_domain is set).
 *	cleanup_qf() gives the writer for the plain envelope setters
 *	(arrival, family, DSN, origin); cleanup_attr() sets an envelope
 *	attribute (client_name, helo, protocol...), which the hooks read
 *	back with cleanup_get_attr() (qf_writer_attr(3)).
 *
 *	cleanup_sender() qualifies (append_at_myorigin, append_dot_mydomain),
 *	maps (sender_canonical_maps, then canonical_maps, per their
 *	classes) and masquerades the envelope sender, and looks it up in
 *	sender_bcc_maps. cleanup_rcpt() does the same for a recipient
 *	(recipient_canonical_maps, canonical_maps, masquerade, then
 *	recipient_bcc_maps), then expands it through virtual_alias_maps
 *	(cleanup_rcpt.c) and writes each result once: a duplicate of a
 *	recipient already written is dropped. A recipient without ORCPT
 *	that is rewritten keeps its original address as ORCPT (with
 *	enable_original_recipient), so DSNs name what the sender wrote.
 *	cleanup_rcpt() returns the number of recipients written (0 when all
 *	were duplicates), or -1 when a table failed (the message will be
 *	deferred at cleanup_close()).
 *
 *	cleanup_line() takes content as it arrives, without SMTP framing: a
 *	piece of a line and whether the line ends there (LF removed).
 *	cleanup_write() takes a block of LF-terminated lines (pickup,
 *	bounce); both may be mixed. The header section is collected once
 *	(rfc822_hdr(3): fields, continuation lines, header_size_limit per
 *	field, 1 MB in all; the excess of a field is discarded, as Postfix
 *	does). At its end every field passes the hooks' header callbacks,
 *	message_drop_headers, and address rewriting; missing headers are
 *	added; the "ID: message-id=<...>" line is logged (<> when there is
 *	none: every message gets the line, pflogsumm counts by it); then
 *	the header is written. Body lines are written as they come: with no
 *	body hook, a block goes to the queue file without being split or
 *	copied.
 *
 *	cleanup_size() ends the content (no more may be written) and
 *	returns its size in the queue file, for the caller's log line.
 *
 *	cleanup_close() ends the content, runs the hooks' eom step, adds
 *	always_bcc and the bcc recipients (NOTIFY=NONE), applies the edits
 *	and commits the file into queue (QF_INCOMING, or QF_HOLD after a
 *	hold). It always destroys c. cleanup_abort() removes the file.
 * HOOKS
 *	Header checks, body checks and milters plug in through
 *	cleanup_conf_hook(), once per process; each CLEANUP_HOOK member may
 *	be null, and they run in registration order, only for messages
 *	opened with CLEANUP_FLAG_FILTER:
 *
 *	begin(c, hook_ctx) at cleanup_open(): returns the hook's
 *	per-message context (msg_ctx below). end(c, msg_ctx) is called
 *	exactly once for each message that began (close or abort).
 *
 *	header(c, msg_ctx, field) once per header field, in order, before
 *	cleanup's own processing (as Postfix runs header_checks first).
 *	field holds the whole logical field without final newline, folded
 *	lines joined by "\n". The hook may edit field in place (REPLACE)
 *	and returns CLEANUP_KEEP or CLEANUP_DELETE (IGNORE). While the
 *	header callbacks run, cleanup_hdr_count() and cleanup_hdr_get() see
 *	the fields kept so far, and cleanup_hdr_add() puts a field before
 *	the current one (PREPEND), which no hook sees again.
 *
 *	header_end(c, msg_ctx) after the last field, before missing
 *	headers are added and the header is written.
 *
 *	body(c, msg_ctx, line) once per body line (without LF); edit in
 *	place or return CLEANUP_DELETE. A line longer than 64 KiB
 *	(CLEANUP_BODY_PIECE) comes in pieces, so memory stays bounded.
 *	With no body callback registered the body is never split into
 *	lines.
 *
 *	eom(c, msg_ctx) at cleanup_close(), with the whole message known:
 *	the hook may read the header (cleanup_hdr_count, cleanup_hdr_get),
 *	the envelope (cleanup_get_sender, cleanup_rcpt_count,
 *	cleanup_rcpt_addr, cleanup_get_attr) and the written content
 *	(qf_writer_read() on cleanup_qf()), and edit: cleanup_hdr_insert,
 *	cleanup_hdr_add, cleanup_hdr_change, cleanup_hdr_delete (indexes as
 *	cleanup_hdr_get), cleanup_rcpt_add (goes through virtual
 *	aliasing), cleanup_rcpt_delete, cleanup_sender_change,
 *	cleanup_body_replace, cleanup_hold(reason), cleanup_discard(reason),
 *	cleanup_reject("5XX 5.X.X text") or cleanup_defer("4XX 4.X.X
 *	text"). Header and body edits are applied at commit by writing the
 *	content again (qf_content_restart(3)): only a message that a hook
 *	edits pays for the copy. The same editing calls work from the
 *	header_end and body callbacks.
 *
 *	cleanup_errors() tells a hook whether the message already failed.
 * DIAGNOSTICS
 *	cleanup_open() returns null with the reason in why. cleanup_close()
 *	returns CLEANUP_OK or CLEANUP_DISCARD (answer 250), CLEANUP_REJECT
 *	or CLEANUP_DEFER with the whole reply ("451 4.3.0 Error: queue
 *	file write error", "550 5.7.1 ...") in reply. A table that fails
 *	logs "ID: <table> map lookup problem for <addr> -- message not
 *	accepted, try again later" and the message is deferred (451 4.3.0),
 *	never accepted and lost.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr_parse.h"
#include "cleanup_priv.h"
#include "msg.h"
#include "mymalloc.h"

CLEANUP *
cleanup_open(CLEANUP_CONF *conf, const char *queue_dir, int flags, VSTRING *why)
{
	CLEANUP	*c;
	QF_WRITER *qf;
	size_t	 i;

	if ((qf = qf_create(queue_dir, why)) == NULL)
		return NULL;
	c = mycalloc(1, sizeof(*c));
	c->conf = conf;
	c->qf = qf;
	snprintf(c->id, sizeof(c->id), "%s", qf_writer_id(qf));
	c->flags = flags;
	c->sender = mystrdup("");
	c->rcpts = argv_alloc(8);
	c->dups = htable_create(16);
	c->in_header = 1;
	c->last_nl = 1;
	c->line = vstring_alloc(256);
	c->scratch = vstring_alloc(256);
	c->hdrs = rfc822_hdrs_alloc(conf->hdr_limit, conf->hdr_limit >
	    CLEANUP_HDR_TOTAL ? conf->hdr_limit : CLEANUP_HDR_TOTAL);
	if (flags & CLEANUP_FLAG_FILTER) {
		c->nhooks = conf->nhooks;
		for (i = 0; i < c->nhooks; i++)
			c->hook_msg[i] = conf->hooks[i].begin ?
			    conf->hooks[i].begin(c, conf->hooks[i].hook_ctx) : NULL;
		c->hook_begun = 1;
	}
	return c;
}

const char *
cleanup_id(const CLEANUP *c)
{
	return c->id;
}

int
cleanup_flags(const CLEANUP *c)
{
	return c->flags;
}

QF_WRITER *
cleanup_qf(CLEANUP *c)
{
	return c->qf;
}

void
cleanup_attr(CLEANUP *c, const char *name, const char *value)
{
	qf_set_attr(c->qf, name, value);
}

const char *
cleanup_get_attr(const CLEANUP *c, const char *name)
{
	return qf_writer_attr(c->qf, name);
}

void
cleanup_fullname(CLEANUP *c, const char *name)
{
	myfree(c->fullname);
	c->fullname = name ? mystrdup(name) : NULL;
}

/* cleanup_set_sender - rewrite and store; look up sender_bcc_maps. */
static void
cleanup_set_sender(CLEANUP *c, const char *addr, int bcc)
{
	CLEANUP_CONF *cf = c->conf;
	VSTRING	*buf;

	myfree(c->sender);
	if (*addr == 0 || !(c->flags & CLEANUP_FLAG_MAP)) {
		c->sender = mystrdup(addr);
		qf_set_sender(c->qf, addr);
		return;
	}
	buf = addr_unquote(vstring_alloc(100), addr);
	if (cleanup_addr_rewrite(cf, CLEANUP_CLASS_ENV_SENDER, 1, buf) < 0)
		cleanup_map_fail(c, "canonical", addr);
	if (bcc && cf->send_bcc && (c->flags & CLEANUP_FLAG_BCC))
		cleanup_addr_bcc(c, cf->send_bcc, vstring_str(buf), addr);
	c->sender = mystrdup(vstring_str(addr_quote(c->scratch, vstring_str(buf))));
	qf_set_sender(c->qf, c->sender);
	vstring_free(buf);
}

void
cleanup_sender(CLEANUP *c, const char *addr)
{
	cleanup_set_sender(c, addr ? addr : "", 1);
}

void
cleanup_sender_change(CLEANUP *c, const char *addr)
{
	cleanup_set_sender(c, addr ? addr : "", 0);
}

const char *
cleanup_get_sender(const CLEANUP *c)
{
	return c->sender;
}

int
cleanup_errors(const CLEANUP *c)
{
	return c->errs;
}

int
cleanup_in_header(const CLEANUP *c)
{
	return c->in_header;
}

const char *
cleanup_message_id(const CLEANUP *c)
{
	return c->msgid;
}

/* cleanup_out - content into the queue file; remember a failure. */
static void
cleanup_out(CLEANUP *c, const char *buf, size_t len)
{
	if (len == 0 || (c->errs & CLEANUP_ERR_WRITE))
		return;
	if (qf_write_content(c->qf, buf, len) < 0) {
		msg_warn("%s: queue file write error: %m", cleanup_id(c));
		c->errs |= CLEANUP_ERR_WRITE;
	}
}

/*
 * cleanup_body_line - a body line through the body hooks. A line longer
 * than CLEANUP_BODY_PIECE comes in pieces; only the last gets its newline.
 */
static void
cleanup_body_line(CLEANUP *c, const char *s, size_t len, int nl)
{
	CLEANUP_HOOK *h;
	size_t	 i;

	vstring_memcpy(c->scratch, s, len);
	for (i = 0; i < c->nhooks; i++) {
		h = c->conf->hooks + i;
		if (h->body && h->body(c, c->hook_msg[i], c->scratch) == CLEANUP_DELETE)
			return;
	}
	if (nl)
		vstring_addch(c->scratch, '\n');
	if (!c->body_dirty)
		cleanup_out(c, vstring_str(c->scratch), vstring_len(c->scratch));
}

/* cleanup_body_hooks - does any hook want body lines? */
static int
cleanup_body_hooks(const CLEANUP *c)
{
	size_t	 i;

	for (i = 0; i < c->nhooks; i++)
		if (c->conf->hooks[i].body)
			return 1;
	return 0;
}

/* cleanup_header_line - a complete header-section line. */
static void
cleanup_header_line(CLEANUP *c, const char *s, size_t len)
{
	int	 r = rfc822_hdrs_line(c->hdrs, s, len);

	if (r == RFC822_HDR_MORE)
		return;
	cleanup_hdr_done(c, r);
	if (r == RFC822_HDR_BODY)
		cleanup_line(c, s, len, 1);
}

void
cleanup_line(CLEANUP *c, const char *data, size_t len, int complete)
{
	size_t	 lim = c->conf->hdr_limit;

	if (!c->in_header) {
		if (c->nhooks > 0 && cleanup_body_hooks(c)) {
			vstring_memcat(c->line, data, len);
			if (complete || vstring_len(c->line) >= CLEANUP_BODY_PIECE) {
				cleanup_body_line(c, vstring_str(c->line),
				    vstring_len(c->line), complete);
				vstring_reset(c->line);
			}
			return;
		}
		if (c->body_dirty)
			return;
		cleanup_out(c, data, len);
		if (complete)
			cleanup_out(c, "\n", 1);
		c->partial = !complete;
		return;
	}
	/* Assemble the line; keep at most header_size_limit of it. */
	if (vstring_len(c->line) + len > lim)
		c->line_cut = 1;
	if (vstring_len(c->line) < lim)
		vstring_memcat(c->line, data, vstring_len(c->line) + len > lim ?
		    lim - vstring_len(c->line) : len);
	if (!complete)
		return;
	vstring_memcpy(c->scratch, vstring_str(c->line), vstring_len(c->line));
	vstring_reset(c->line);
	cleanup_header_line(c, vstring_str(c->scratch), vstring_len(c->scratch));
}

void
cleanup_write(CLEANUP *c, const char *buf, size_t len)
{
	const char *nl;
	size_t	 n;

	while (len > 0 && (c->in_header || c->partial ||
	    (c->nhooks > 0 && cleanup_body_hooks(c)))) {
		if ((nl = memchr(buf, '\n', len)) == NULL) {
			cleanup_line(c, buf, len, 0);
			c->last_nl = 0;
			return;
		}
		n = (size_t)(nl - buf);
		cleanup_line(c, buf, n, 1);
		buf += n + 1;
		len -= n + 1;
		c->last_nl = 1;
	}
	if (len == 0)
		return;
	/* Body without hooks: the block as it is. */
	if (!c->body_dirty)
		cleanup_out(c, buf, len);
	c->last_nl = (buf[len - 1] == '\n');
	c->partial = !c->last_nl;
}

/* cleanup_content_end - complete a last line, or a header never ended. */
static void
cleanup_content_end(CLEANUP *c)
{
	if (c->ended)
		return;
	c->ended = 1;
	if (c->in_header) {
		if (vstring_len(c->line) > 0)
			cleanup_line(c, "", 0, 1);
		if (c->in_header)
			cleanup_hdr_done(c, 0);
	} else if (vstring_len(c->line) > 0) {
		cleanup_line(c, "", 0, 1);
	} else if (c->partial) {
		if (!c->body_dirty)
			cleanup_out(c, "\n", 1);
		c->partial = 0;
	}
}

/* cleanup_hooks_end - every begun hook's end(), once. */
static void
cleanup_hooks_end(CLEANUP *c)
{
	size_t	 i;

	if (!c->hook_begun)
		return;
	c->hook_begun = 0;
	for (i = 0; i < c->nhooks; i++)
		if (c->conf->hooks[i].end)
			c->conf->hooks[i].end(c, c->hook_msg[i]);
}

static void
cleanup_free(CLEANUP *c)
{
	cleanup_hooks_end(c);
	if (c->qf)
		qf_abort(c->qf);
	myfree(c->why);
	if (c->reply)
		vstring_free(c->reply);
	myfree(c->sender);
	myfree(c->fullname);
	argv_free(c->rcpts);
	htable_free(c->dups, NULL);
	if (c->bcc)
		argv_free(c->bcc);
	rfc822_hdrs_free(c->hdrs);
	vstring_free(c->line);
	if (c->body)
		vstring_free(c->body);
	myfree(c->msgid);
	vstring_free(c->scratch);
	myfree(c);
}

off_t
cleanup_size(CLEANUP *c)
{
	cleanup_content_end(c);
	return qf_content_size(c->qf);
}

void
cleanup_abort(CLEANUP *c)
{
	cleanup_free(c);
}

/* cleanup_result - the reply for a message that is not committed. */
static int
cleanup_result(CLEANUP *c, VSTRING *reply)
{
	if (c->errs & CLEANUP_ERR_REPLY) {
		vstring_strcpy(reply, vstring_str(c->reply));
		return vstring_str(c->reply)[0] == '5' ? CLEANUP_REJECT : CLEANUP_DEFER;
	}
	if (c->errs & (CLEANUP_ERR_WRITE | CLEANUP_ERR_MAP)) {
		vstring_strcpy(reply, "451 4.3.0 Error: queue file write error");
		return CLEANUP_DEFER;
	}
	if (c->rcpts->argc == 0) {
		vstring_strcpy(reply, "550 5.1.0 Error: no recipients specified");
		return CLEANUP_REJECT;
	}
	return CLEANUP_OK;
}

int
cleanup_last_held(const CLEANUP_CONF *conf)
{
	return conf->last_held;
}

int
cleanup_close(CLEANUP *c, const char *queue, VSTRING *reply)
{
	VSTRING	*why;
	size_t	 i;
	int	 r;

	vstring_reset(reply);
	c->conf->last_held = 0;
	cleanup_content_end(c);
	for (i = 0; i < c->nhooks && !c->errs && !c->discard; i++)
		if (c->conf->hooks[i].eom)
			c->conf->hooks[i].eom(c, c->hook_msg[i]);
	if (!c->errs && !c->discard && (c->flags & CLEANUP_FLAG_BCC))
		cleanup_rcpt_bcc(c);
	if ((r = cleanup_result(c, reply)) != CLEANUP_OK) {
		cleanup_free(c);
		return r;
	}
	if (c->discard) {
		msg_info_as("cleanup", "%s: discard: %s", cleanup_id(c),
		    c->why ? c->why : "message discarded");
		cleanup_free(c);
		return CLEANUP_DISCARD;
	}
	if ((c->hdr_dirty || c->body_dirty) && cleanup_hdr_output(c) < 0) {
		msg_warn("%s: cannot write the edited content: %m", cleanup_id(c));
		c->errs |= CLEANUP_ERR_WRITE;
	}
	if (c->errs) {
		r = cleanup_result(c, reply);
		cleanup_free(c);
		return r;
	}
	if (c->hold && c->why)
		msg_info_as("cleanup", "%s: hold: %s", cleanup_id(c), c->why);
	c->conf->last_held = c->hold;
	why = vstring_alloc(100);
	if (qf_commit(c->qf, c->hold ? QF_HOLD : queue, why) < 0) {
		msg_warn("%s: cannot commit queue file: %s", cleanup_id(c),
		    vstring_str(why));
		vstring_strcpy(reply, "451 4.3.0 Error: queue file write error");
		r = CLEANUP_DEFER;
	}
	c->qf = NULL;
	vstring_free(why);
	cleanup_free(c);
	return r;
}
