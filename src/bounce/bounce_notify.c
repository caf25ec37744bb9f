/*
 * NAME
 *	bounce_notify - who gets which notification
 * SYNOPSIS
 *	#include "bounce.h"
 *
 *	int	bounce_notify(CLEANUP_CONF *cleanup, int kind,
 *		    const char *queue_name,
 *		    const char *id, const int *list, int n,
 *		    ARGV *new_ids, VSTRING *why);
 * DESCRIPTION
 *	bounce_notify() sends the notifications of one kind for queue
 *	file queue_name/id, from its log (bounce, defer or trace): each
 *	is a new queue file committed into incoming/ (origin "bounce")
 *	through the cleanup stage (cleanup(3): canonical and virtual alias
 *	mapping apply, bcc and content hooks do not, as in Postfix).
 *	The queue id of every notice written is appended to new_ids, for
 *	the qmgr to take them in.
 * .IP BOUNCE_FAIL
 *	to the sender, for recipients whose NOTIFY allows failure notices
 *	(not NEVER), sender "<>". A message whose sender is "<>" (a
 *	notification that itself failed) goes to 2bounce_notice_recipient
 *	only when notify_classes includes 2bounce, else it is dropped with
 *	a log line; one from double_bounce_sender is always dropped, so
 *	notifications never loop. With "bounce" in notify_classes the
 *	bounce_notice_recipient gets a copy with headers only; with
 *	"resource" or "software" the error_notice_recipient gets one for
 *	failures of class X.3.X (system and resource problems). The log is
 *	removed afterwards.
 * .IP BOUNCE_DELAY
 *	a delay warning for the recipients in list that allow one; with
 *	"delay" in notify_classes a copy to delay_notice_recipient. Never
 *	for a "<>" sender. The log stays.
 * .IP BOUNCE_SUCCESS
 *	for every recipient in the trace log: the qmgr logs there only
 *	recipients with NOTIFY=SUCCESS and, with confirm_delay_cleared,
 *	delivered recipients whose delay warning was sent. The log is
 *	removed.
 * .PP
 *	The original message is attached in full for failures unless RET
 *	is HDRS or it is larger than bounce_size_limit; otherwise, and for
 *	warnings and success notices, its header only. Postmaster copies
 *	are sent from double_bounce_sender.
 * DIAGNOSTICS
 *	0, or -1 with a reason (the qmgr keeps the message and retries).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "argv.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "bounce_clnt.h"
#include "bounce.h"

typedef struct NOTIFY_CTX {
	CLEANUP_CONF *cleanup;
	int	 kind;
	QF_MSG	*qf;
	VSTRING	*orig;			/* content, at most bounce_size_limit+1 */
	int	 full;
	ARGV	*classes;		/* notify_classes */
	VSTRING	*why;
} NOTIFY_CTX;

static int
notify_class(const NOTIFY_CTX *ctx, const char *name)
{
	size_t	 i;

	for (i = 0; i < ctx->classes->argc; i++)
		if (strcasecmp(ctx->classes->argv[i], name) == 0)
			return 1;
	return 0;
}

/* A full address: bare local parts get @$myorigin. */
static void
notify_addr(VSTRING *buf, const char *addr)
{
	vstring_strcpy(buf, addr);
	if (*addr && strchr(addr, '@') == NULL)
		vstring_sprintf_append(buf, "@%s", conf_str("myorigin"));
}

BOUNCE_TEMPLATES *bounce_templates;	/* bounce_template_file, or null */

/*
 * A template's From: value with its address qualified, as cleanup would
 * qualify it for Postfix: "MAILER-DAEMON (Mail Delivery System)" becomes
 * "MAILER-DAEMON@$myorigin (Mail Delivery System)"; "Name <addr>" gets
 * the domain inside the brackets.
 */
static void
notify_from_header(VSTRING *out, const char *value)
{
	const char *addr = strchr(value, '<'), *end;

	if (addr != NULL && (end = strchr(addr, '>')) != NULL)
		addr++;
	else {
		addr = value;
		end = addr + strcspn(addr, " \t(");
	}
	vstring_memcpy(out, value, (size_t)(end - value));
	if (end > addr && memchr(addr, '@', (size_t)(end - addr)) == NULL)
		vstring_sprintf_append(out, "@%s", conf_str("myorigin"));
	vstring_strcat(out, end);
}

/* Write one notice; 0 or -1. */
static int
notify_write(NOTIFY_CTX *ctx, const BOUNCE_LOG *log, const char *to,
    int postmaster, const char *who, ARGV *new_ids)
{
	CLEANUP	*w;
	BOUNCE_INFO info;
	VSTRING	*content = vstring_alloc(4096), *rcpt = vstring_alloc(64);
	VSTRING	*from = vstring_alloc(64), *dbl = vstring_alloc(64);
	VSTRING	*text = vstring_alloc(256), *from_hdr = vstring_alloc(64);
	const BOUNCE_TEMPLATE *tmpl;
	char	 id[QF_ID_LEN + 1];
	int	 rc = -1;

	/* bounce_template_file: its text, not for postmaster copies. */
	tmpl = bounce_template_get(bounce_templates, ctx->kind == BOUNCE_FAIL ?
	    BOUNCE_TMPL_FAILURE : ctx->kind == BOUNCE_DELAY ?
	    BOUNCE_TMPL_DELAY : BOUNCE_TMPL_SUCCESS);
	if (tmpl && tmpl->text && !postmaster
	    && bounce_template_expand(text, tmpl->text, ctx->why) < 0)
		goto done;
	if ((w = cleanup_open(ctx->cleanup, conf_str("queue_directory"),
	    CLEANUP_FLAG_BOUNCE, ctx->why)) == NULL)
		goto done;
	notify_addr(rcpt, to);
	notify_addr(dbl, conf_str("double_bounce_sender"));
	vstring_sprintf(from, "MAILER-DAEMON@%s", conf_str("myhostname"));
	memset(&info, 0, sizeof(info));
	info.kind = ctx->kind;
	info.postmaster = postmaster;
	info.myhostname = conf_str("myhostname");
	info.mail_name = conf_str("mail_name");
	info.queue_id = ctx->qf->id;
	snprintf(id, sizeof(id), "%s", cleanup_id(w));
	info.new_id = id;
	info.sender = ctx->qf->sender;
	info.to = vstring_str(rcpt);
	info.from = vstring_str(from);
	info.arrival = ctx->qf->arrival;
	info.now = time(NULL);
	info.expires = ctx->qf->arrival + (*ctx->qf->sender ?
	    conf_time("maximal_queue_lifetime") :
	    conf_time("bounce_queue_lifetime"));
	info.envid = ctx->qf->dsn_envid;
	info.log = log;
	info.full = ctx->full && !postmaster;
	info.tmpl = tmpl;
	info.tmpl_text = tmpl && tmpl->text && !postmaster ? vstring_str(text) :
	    NULL;
	if (tmpl && tmpl->from) {
		notify_from_header(from_hdr, tmpl->from);
		info.from_header = vstring_str(from_hdr);
	}
	bounce_compose(content, &info, vstring_str(ctx->orig),
	    vstring_len(ctx->orig));
	/* smtpctl trace bounce: what is being generated, for whom. */
	if (msg_verbose)
		msg_info("bounce: %s: composing %s notice to <%s> (%s), %s, %zu bytes",
		    ctx->qf->id, ctx->kind == BOUNCE_FAIL ? "non-delivery" :
		    ctx->kind == BOUNCE_DELAY ? "delay" : "delivery status",
		    vstring_str(rcpt), who, info.full ? "full message" : "headers only",
		    vstring_len(content));
	cleanup_sender(w, postmaster ? vstring_str(dbl) : "");
	qf_set_arrival(cleanup_qf(w), info.now);
	qf_set_family(cleanup_qf(w), AF_UNIX);
	qf_set_origin(cleanup_qf(w), "bounce");
	(void)cleanup_rcpt(w, vstring_str(rcpt), NULL, 0);
	cleanup_write(w, vstring_str(content), vstring_len(content));
	if (cleanup_close(w, QF_INCOMING, ctx->why) > CLEANUP_DISCARD) {
		if (vstring_len(ctx->why) == 0)
			vstring_strcpy(ctx->why, "cannot write notification");
		goto done;
	}
	msg_info("%s: %s %s notification: %s", ctx->qf->id, who,
	    ctx->kind == BOUNCE_FAIL ? "non-delivery" : ctx->kind ==
	    BOUNCE_DELAY ? "delay" : "delivery status", info.new_id);
	argv_add(new_ids, info.new_id);
	rc = 0;
done:
	vstring_free(content);
	vstring_free(rcpt);
	vstring_free(from);
	vstring_free(dbl);
	vstring_free(text);
	vstring_free(from_hdr);
	return rc;
}

/* The recipients of log this kind of notice is for. */
static void
notify_filter(const NOTIFY_CTX *ctx, const BOUNCE_LOG *in, BOUNCE_LOG *out,
    const int *list, int n)
{
	const BOUNCE_RCPT *rp;
	int	 i, j, want;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < in->count; i++) {
		rp = &in->rcpt[i];
		if (ctx->kind == BOUNCE_SUCCESS)
			/*
			 * The qmgr (or deliver_record) writes a trace record
			 * only for a notice owed: NOTIFY=SUCCESS, or a delay
			 * warning cleared (confirm_delay_cleared).
			 */
			want = 1;
		else if (ctx->kind == BOUNCE_DELAY)
			want = rp->notify == 0 || (rp->notify & QF_NOTIFY_DELAY);
		else
			want = rp->notify == 0 || (rp->notify & QF_NOTIFY_FAILURE);
		if (rp->notify & QF_NOTIFY_NEVER)
			want = 0;
		for (j = 0; want && list && j < n && list[j] != rp->index; j++)
			;
		if (want && (list == NULL || j < n))
			bounce_log_add(out, rp);
	}
}

static int
notify_system_error(const BOUNCE_LOG *log)
{
	int	 i;

	for (i = 0; i < log->count; i++)
		if (strncmp(log->rcpt[i].status + 1, ".3.", 3) == 0)
			return 1;
	return 0;
}

/* Failure notices: sender, 2bounce, postmaster copies. */
static int
notify_fail(NOTIFY_CTX *ctx, const BOUNCE_LOG *log, ARGV *new_ids)
{
	BOUNCE_LOG mine;
	const char *sender = ctx->qf->sender;
	VSTRING	*dbl = vstring_alloc(64);
	int	 rc = 0;

	notify_addr(dbl, conf_str("double_bounce_sender"));
	if (*sender == 0) {
		if (notify_class(ctx, "2bounce"))
			rc = notify_write(ctx, log, conf_str(
			    "2bounce_notice_recipient"), 1, "postmaster",
			    new_ids);
		else
			msg_info("%s: undeliverable notification discarded "
			    "(notify_classes lacks 2bounce)", ctx->qf->id);
	} else if (strcasecmp(sender, vstring_str(dbl)) == 0) {
		msg_info("%s: undeliverable postmaster notification discarded",
		    ctx->qf->id);
	} else {
		notify_filter(ctx, log, &mine, NULL, 0);
		if (mine.count > 0)
			rc = notify_write(ctx, &mine, sender, 0, "sender",
			    new_ids);
		bounce_log_free(&mine);
		if (rc == 0 && notify_class(ctx, "bounce"))
			rc = notify_write(ctx, log, conf_str(
			    "bounce_notice_recipient"), 1, "postmaster",
			    new_ids);
		if (rc == 0 && notify_system_error(log)
		    && (notify_class(ctx, "resource")
		    || notify_class(ctx, "software")))
			rc = notify_write(ctx, log, conf_str(
			    "error_notice_recipient"), 1, "postmaster",
			    new_ids);
	}
	vstring_free(dbl);
	return rc;
}

static int
notify_other(NOTIFY_CTX *ctx, const BOUNCE_LOG *log, const int *list, int n,
    ARGV *new_ids)
{
	BOUNCE_LOG mine;
	int	 rc = 0;

	if (*ctx->qf->sender == 0)
		return 0;
	notify_filter(ctx, log, &mine, list, n);
	if (mine.count > 0)
		rc = notify_write(ctx, &mine, ctx->qf->sender, 0, "sender",
		    new_ids);
	if (rc == 0 && ctx->kind == BOUNCE_DELAY && mine.count > 0
	    && notify_class(ctx, "delay"))
		rc = notify_write(ctx, &mine, conf_str("delay_notice_recipient"),
		    1, "postmaster", new_ids);
	bounce_log_free(&mine);
	return rc;
}

/* Read the original content, at most limit + 1 bytes. */
static int
notify_read_orig(NOTIFY_CTX *ctx, off_t limit)
{
	char	 buf[8192];
	off_t	 off = 0;
	ssize_t	 n = 0;

	vstring_reset(ctx->orig);
	while (off <= limit && (n = qf_read_content(ctx->qf, off, buf,
	    sizeof(buf))) > 0) {
		vstring_memcat(ctx->orig, buf, (size_t)n);
		off += n;
	}
	if (n < 0) {
		vstring_strcpy(ctx->why, "cannot read the message content");
		return -1;
	}
	if ((off_t)vstring_len(ctx->orig) > limit + 1)
		vstring_truncate(ctx->orig, (size_t)limit + 1);
	return 0;
}

static int
notify_run(NOTIFY_CTX *ctx, const char *log_name, const int *list, int n,
    ARGV *new_ids)
{
	BOUNCE_LOG log;
	const char *qdir = conf_str("queue_directory");
	off_t	 limit = (off_t)conf_size("bounce_size_limit");
	int	 rc;

	if (bounce_log_read(qdir, log_name, ctx->qf->id, &log, ctx->why) < 0
	    || notify_read_orig(ctx, limit) < 0)
		return -1;
	ctx->full = ctx->kind == BOUNCE_FAIL && ctx->qf->dsn_ret != QF_RET_HDRS
	    && ctx->qf->content_size <= limit;
	if (log.count == 0)
		rc = 0;
	else if (ctx->kind == BOUNCE_FAIL)
		rc = notify_fail(ctx, &log, new_ids);
	else
		rc = notify_other(ctx, &log, list, n, new_ids);
	bounce_log_free(&log);
	if (rc == 0 && ctx->kind != BOUNCE_DELAY
	    && bounce_log_remove(qdir, log_name, ctx->qf->id) < 0)
		msg_warn("%s: cannot remove %s log: %m", ctx->qf->id, log_name);
	return rc;
}

int
bounce_notify(CLEANUP_CONF *cleanup, int kind, const char *queue_name, const char *id,
    const int *list, int n, ARGV *new_ids, VSTRING *why)
{
	NOTIFY_CTX ctx;
	int	 rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.cleanup = cleanup;
	ctx.kind = kind;
	ctx.why = why;
	if ((ctx.qf = qf_open(conf_str("queue_directory"), queue_name, id,
	    QF_OPEN_RDONLY, why)) == NULL)
		return -1;
	ctx.orig = vstring_alloc(8192);
	ctx.classes = conf_list("notify_classes");
	rc = notify_run(&ctx, kind == BOUNCE_FAIL ? QB_LOG_BOUNCE :
	    kind == BOUNCE_DELAY ? QB_LOG_DEFER : QB_LOG_TRACE, list, n, new_ids);
	argv_free(ctx.classes);
	vstring_free(ctx.orig);
	qf_close(ctx.qf);
	return rc;
}
