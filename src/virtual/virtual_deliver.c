/*
 * NAME
 *	virtual_deliver - deliver one recipient into its virtual mailbox
 * SYNOPSIS
 *	#include "virtual.h"
 *
 *	void	virtual_deliver(const VIRTUAL_CONF *cf, VIRTUAL_REQ *req,
 *		    DELIVER_RCPT *rcpt);
 * DESCRIPTION
 *	virtual_deliver() delivers the request's message to one recipient,
 *	as Postfix's virtual(8) does, and answers the queue manager:
 *
 *	The recipient is looked up in virtual_mailbox_maps (virtual(5)
 *	keys: user+ext@domain, user@domain, @domain; no bare user names);
 *	not found is "5.1.1 unknown user". The value is a path name
 *	relative to virtual_mailbox_base: ending in "/" a Maildir
 *	(maildir_write(3)), else an mbox file (mbox_write(3), locked as
 *	virtual_mailbox_lock says), both within virtual_mailbox_limit, both
 *	the writers local(8) uses. A value that is absolute or contains
 *	".." is refused (4.3.0: a table error, not the sender's). The
 *	recipient's user and group ids come from virtual_uid_maps and
 *	virtual_gid_maps (the same keys; "static:5000" for one id for all);
 *	a uid below virtual_minimum_uid, or a missing id, defers the
 *	recipient (4.3.0). Missing directories below virtual_mailbox_base
 *	are created (mode 0700) with the recipient's ids, with which the
 *	whole delivery runs (effective ids, when the agent runs as root;
 *	otherwise with the agent's own). Return-Path:, X-Original-To: and
 *	Delivered-To: are added. A message whose header already has
 *	"Delivered-To: <recipient>" bounces (5.4.6 mail forwarding loop).
 *	A failed table lookup defers (4.3.0).
 *
 *	The Delivered-To: values of the header come from
 *	delivered_hdr_scan(3), as local(8)'s do.
 *
 *	Each recipient gets Postfix's log line: "ID: to=<addr>,
 *	relay=virtual, delay=.., delays=.., dsn=2.0.0, status=sent
 *	(delivered to maildir)".
 * DIAGNOSTICS
 *	Every outcome goes to the queue manager through deliver_reply(3);
 *	a delivered recipient is first noted in its queue-file slot
 *	(deliver_mark), and a final result the queue manager cannot take is
 *	recorded in the queue file (deliver_record), as smtp and local do.
 */
#include <sys/stat.h>
#include <grp.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr_parse.h"
#include "deliver_filter.h"
#include "deliver_reply.h"
#include "msg.h"
#include "mymalloc.h"
#include "virtual.h"

/* virtual_orig_to - the original recipient for X-Original-To: and logs */
static const char *
virtual_orig_to(const DELIVER_RCPT *rcpt)
{
	const char *o = rcpt->orcpt;

	if (o && strncasecmp(o, "rfc822;", 7) == 0)
		o += 7;
	return o && *o ? o : rcpt->addr;
}

/* virtual_result - log and answer; one reply per recipient */
static void
virtual_result(VIRTUAL_REQ *req, DELIVER_RCPT *rcpt, const char *dsn,
    const char *text)
{
	VSTRING	*delays = vstring_alloc(80), *orig = vstring_alloc(80);
	const char *o = virtual_orig_to(rcpt);

	(void)deliver_filter("virtual_delivery_status_filter", &dsn, &text);
	if (*dsn == '2')	/* first: delivered, whatever happens next */
		(void)deliver_mark(req->msg, rcpt->index, dsn, 0);
	if (strcasecmp(o, rcpt->addr) != 0)
		vstring_sprintf(orig, ", orig_to=<%s>", o);
	deliver_delays(delays, req->dr.arrival, req->dr.active, req->start, 0);
	msg_info("%s: to=<%s>%s, relay=virtual, %s, dsn=%s, status=%s (%s)",
	    req->dr.queue_id, rcpt->addr, vstring_str(orig), vstring_str(delays),
	    dsn, deliver_status(dsn), text);
	if (deliver_reply(req->client, rcpt->index, dsn, NULL, text, "virtual") < 0) {
		msg_warn("%s: cannot send the result for <%s> to the queue manager",
		    req->dr.queue_id, rcpt->addr);
		(void)deliver_record(req->msg, req->queue_dir, rcpt->index,
		    dsn, NULL, text, "virtual", 0);
	} else {
		deliver_sent(req->msg, req->queue_dir, rcpt->index, dsn,
		    NULL, text, "virtual", 0);
	}
	vstring_free(delays);
	vstring_free(orig);
}

/* virtual_id - a uid or gid from its table; 1 found, 0 not, -1 error */
static int
virtual_id(const VIRTUAL_CONF *cf, MAIL_ADDR_MAPS *maps, const char *addr,
    long long *id)
{
	VSTRING	*val = vstring_alloc(16);
	char	*end;
	int	 r;

	if (maps == NULL) {
		vstring_free(val);
		return 0;
	}
	if ((r = mail_addr_find(maps, addr, 0, cf->delimiter, val, NULL)) > 0) {
		errno = 0;
		*id = strtoll(vstring_str(val), &end, 10);
		if (errno || end == vstring_str(val) || *end || *id < 0)
			r = 0;
	}
	vstring_free(val);
	return r;
}

/* virtual_mkdirs - the directories below base up to the file */
static int
virtual_mkdirs(const char *base, const char *rel, VSTRING *why)
{
	VSTRING	*dir = vstring_alloc(100);
	const char *p;
	int	 ret = 0;

	for (p = strchr(rel, '/'); p != NULL; p = strchr(p + 1, '/')) {
		vstring_sprintf(dir, "%s/%.*s", base, (int)(p - rel), rel);
		if (mkdir(vstring_str(dir), 0700) < 0 && errno != EEXIST) {
			vstring_sprintf(why, "cannot create directory %s: %m",
			    vstring_str(dir));
			ret = -1;
			break;
		}
	}
	vstring_free(dir);
	return ret;
}

/*
 * virtual_become - effective ids of the recipient, and only its group
 * (root only; as Postfix's set_eugid). The caller restores root's.
 */
static int
virtual_become(uid_t uid, gid_t gid, VSTRING *why)
{
	if (geteuid() != 0)
		return 0;			/* an ordinary user's instance */
	if (setgroups(1, &gid) < 0 || setegid(gid) < 0 || seteuid(uid) < 0) {
		vstring_sprintf(why, "cannot set ids %ld/%ld: %m", (long)uid,
		    (long)gid);
		(void)seteuid(0);
		(void)setegid(0);
		(void)setgroups(0, NULL);
		return -1;
	}
	return 1;
}

static void
virtual_restore(int became)
{
	if (became > 0 && (seteuid(0) < 0 || setegid(0) < 0 ||
	    setgroups(0, NULL) < 0))
		msg_fatal("cannot restore root privileges: %m");
}

/* virtual_write - as the recipient: directories, then the mailbox */
static int
virtual_write(const VIRTUAL_CONF *cf, VIRTUAL_REQ *req, DELIVER_RCPT *rcpt,
    const char *rel, uid_t uid, gid_t gid, VSTRING *why, char *dsn)
{
	MAIL_COPY_SRC src;
	MBOX_OPTS opts = cf->mbox;
	VSTRING	*path = vstring_alloc(100);
	int	 became, rc = MAIL_COPY_SOFT;

	src.msg = req->msg;
	src.sender = req->dr.sender;
	src.orig_to = virtual_orig_to(rcpt);
	src.delivered_to = rcpt->addr;
	vstring_sprintf(path, "%s/%s", cf->base, rel);
	if ((became = virtual_become(uid, gid, why)) < 0)
		goto out;
	if (virtual_mkdirs(cf->base, rel, why) == 0) {
		if (rel[strlen(rel) - 1] == '/') {
			rc = maildir_write(&src, vstring_str(path), MAIL_COPY_RETURN |
			    MAIL_COPY_ORIG | MAIL_COPY_DELIVERED, cf->size_limit,
			    cf->myhostname, why, dsn);
		} else {
			opts.uid = uid;
			opts.gid = gid;
			rc = mbox_write(&src, vstring_str(path), MAIL_COPY_MBOX, &opts,
			    why, dsn);
		}
	}
	virtual_restore(became);
out:
	vstring_free(path);
	return rc;
}

/* virtual_bad_path - a table value that must not be used */
static int
virtual_bad_path(const char *rel)
{
	return *rel == 0 || *rel == '/' || strcmp(rel, "..") == 0 ||
	    strncmp(rel, "../", 3) == 0 || strstr(rel, "/../") != NULL ||
	    (strlen(rel) >= 3 && strcmp(rel + strlen(rel) - 3, "/..") == 0);
}

void
virtual_deliver(const VIRTUAL_CONF *cf, VIRTUAL_REQ *req, DELIVER_RCPT *rcpt)
{
	VSTRING	*addr = addr_unquote(vstring_alloc(64), rcpt->addr);
	VSTRING	*rel = vstring_alloc(64), *why = vstring_alloc(100);
	VSTRING	*lower = vstring_alloc(64);
	char	 dsn[16] = "4.3.0";
	long long uid = 0, gid = 0;
	const char *p;
	int	 r;
	size_t	 i;

	for (p = rcpt->addr; *p; p++)
		vstring_addch(lower, tolower((unsigned char)*p));
	for (i = 0; i < req->delivered->argc; i++)
		if (strcmp(req->delivered->argv[i], vstring_str(lower)) == 0)
			break;
	if (i < req->delivered->argc) {
		virtual_result(req, rcpt, "5.4.6", "mail forwarding loop for "
		    "this recipient");
		goto out;
	}
	r = cf->mailbox_maps == NULL ? 0 : mail_addr_find(cf->mailbox_maps,
	    vstring_str(addr), 0, cf->delimiter, rel, NULL);
	if (r <= 0) {
		if (r < 0)
			virtual_result(req, rcpt, "4.3.0",
			    "virtual_mailbox_maps lookup failure");
		else
			virtual_result(req, rcpt, "5.1.1", "unknown user");
		goto out;
	}
	vstring_trim(rel);
	if (virtual_bad_path(vstring_str(rel))) {
		msg_warn("virtual_mailbox_maps: bad path name \"%s\" for %s",
		    vstring_str(rel), rcpt->addr);
		virtual_result(req, rcpt, "4.3.0", "bad mailbox path name in "
		    "virtual_mailbox_maps");
		goto out;
	}
	if ((r = virtual_id(cf, cf->uid_maps, vstring_str(addr), &uid)) <= 0 ||
	    uid < cf->minimum_uid) {
		if (r > 0)
			msg_warn("recipient %s: bad uid %lld in virtual_uid_maps "
			    "(below virtual_minimum_uid %lld)", rcpt->addr, uid,
			    cf->minimum_uid);
		virtual_result(req, rcpt, "4.3.0", r < 0 ? "virtual_uid_maps "
		    "lookup failure" : "bad or missing uid in virtual_uid_maps");
		goto out;
	}
	if ((r = virtual_id(cf, cf->gid_maps, vstring_str(addr), &gid)) <= 0) {
		virtual_result(req, rcpt, "4.3.0", r < 0 ? "virtual_gid_maps "
		    "lookup failure" : "bad or missing gid in virtual_gid_maps");
		goto out;
	}
	if (virtual_write(cf, req, rcpt, vstring_str(rel), (uid_t)uid,
	    (gid_t)gid, why, dsn) == MAIL_COPY_OK)
		virtual_result(req, rcpt, "2.0.0",
		    vstring_str(rel)[vstring_len(rel) - 1] == '/' ?
		    "delivered to maildir" : "delivered to mailbox");
	else
		virtual_result(req, rcpt, dsn, vstring_str(why));
out:
	vstring_free(addr);
	vstring_free(rel);
	vstring_free(why);
	vstring_free(lower);
}
