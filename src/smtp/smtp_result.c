/*
 * NAME
 *	smtp_result - per-recipient results: log and reply to the qmgr
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	void smtp_rcpt_result(SMTP_REQ *req, SMTP_RCPT *rcpt,
 *	    SMTP_SESS *sess, const char *dsn, const char *text);
 *	void smtp_rcpt_resp(SMTP_REQ *req, SMTP_RCPT *rcpt, SMTP_SESS *sess,
 *	    const char *cmd);
 *	void smtp_rcpt_rest(SMTP_REQ *req, SMTP_SESS *sess, const char *dsn,
 *	    const char *text);
 *	void smtp_req_why(SMTP_REQ *req, const char *dsn, int soft,
 *	    const char *fmt, ...);
 * DESCRIPTION
 *	smtp_rcpt_result() makes a recipient's result final: it logs the
 *	Postfix-shaped line
 *
 *	    ID: to=<rcpt>, orig_to=<orcpt>, relay=host[addr]:port,
 *	    delay=T, delays=a/b/c/d, dsn=X.Y.Z, status=sent (text)
 *
 *	(status deferred or bounced for 4.x.x and 5.x.x) and writes the reply
 *	attributes rcpt_index, status, action, reason, relay to the qmgr.
 *	The action is "delivered" (an LMTP server that announced DSN, or an
 *	SMTP server that took the DSN request over, which the reply says
 *	with dsn_passed=1), "relayed" (a server without DSN while NOTIFY had
 *	SUCCESS; for an LMTP server "delivered" there too when
 *	lmtp_assume_final = yes, as in Postfix), "delayed" or "failed". delays are a: before the qmgr took the message, b: in the
 *	qmgr, c: connection set-up (DNS, connect, greeting, HELO), d:
 *	transmission. The reply and the delay text come from
 *	deliver_reply(3), shared with the local delivery agent. First,
 *	smtp_delivery_status_filter (lmtp_ in LMTP mode) may replace the
 *	status and text (deliver_filter(3)); soft_bounce applies after it.
 *
 *	smtp_rcpt_resp() turns the last server reply into a result: 2xx is
 *	success; 5xx a bounce; 4xx (or a broken connection) is deferred,
 *	unless another server remains to be tried: then the recipient stays
 *	pending and the reason is kept for later (smtp_req_why). On a
 *	reused (cached) session only a broken connection leaves the
 *	recipient pending: a 4xx reply from the server that answered is
 *	that recipient's deferral, never a reason to open a new connection
 *	to the same servers at once (a greylisting server would otherwise
 *	take the immediate second try).
 *
 *	smtp_rcpt_rest() gives every pending recipient the same result.
 * DIAGNOSTICS
 *	A failed write to the qmgr is logged; the qmgr then treats the
 *	recipients as deferred.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "deliver_filter.h"
#include "deliver_reply.h"
#include "deliver_request.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtp.h"

/* smtp_delays - "delay=T, delays=a/b/c/d"; c is all set-up when unconnected */

static void
smtp_delays(SMTP_REQ *req, VSTRING *out)
{
	double	 start, conn;

	start = req->t_start.tv_sec + req->t_start.tv_nsec / 1e9;
	conn = req->t_conn.tv_sec ? req->t_conn.tv_sec +
	    req->t_conn.tv_nsec / 1e9 : deliver_now();
	deliver_delays(out, req->dr.arrival, req->dr.active, start, conn);
}

/* smtp_notify_success - did the sender ask for success notices? */

static int
smtp_notify_success(const SMTP_RCPT *rcpt)
{
	if (rcpt->notify == NULL)
		return 0;
	if (isdigit((unsigned char)*rcpt->notify))
		return (atoi(rcpt->notify) & QF_NOTIFY_SUCCESS) != 0;
	return strcasestr(rcpt->notify, "SUCCESS") != NULL;
}

/* smtp_orig_to - the address inside an "rfc822;addr" ORCPT */

static const char *
smtp_orig_to(const SMTP_RCPT *rcpt)
{
	const char *o = rcpt->orcpt;

	if (o == NULL || *o == 0)
		return NULL;
	if (strncasecmp(o, "rfc822;", 7) == 0)
		o += 7;
	return strcasecmp(o, rcpt->addr) == 0 ? NULL : o;
}

void
smtp_rcpt_result(SMTP_REQ *req, SMTP_RCPT *rcpt, SMTP_SESS *sess, const char *dsn,
    const char *text)
{
	VSTRING	*delays = vstring_alloc(80), *orig = vstring_alloc(80);
	const char *action, *status, *o;
	int	 passed = 0;
	char	 soft[16];

	if (rcpt->done)
		msg_panic("smtp_rcpt_result: <%s> already has a result", rcpt->addr);
	(void)deliver_filter(smtp_cf.status_filter, &dsn, &text);
	dsn = deliver_soft_bounce(dsn, soft, sizeof(soft));
	status = deliver_status(dsn);
	action = deliver_action(dsn);
	if (*dsn == '2' && sess) {
		if (sess->features & SMTP_FEAT_DSN) {
			if (!sess->lmtp)
				passed = DELIVER_REPLY_DSN_PASSED;
		} else if (smtp_notify_success(rcpt) && !(sess->lmtp && smtp_cf.lmtp_final))
			action = "relayed";
	}
	if (*dsn == '2')	/* first: the 250 is known, the rest is talk */
		(void)deliver_mark(req->msg, rcpt->index, dsn, passed);
	smtp_delays(req, delays);
	if ((o = smtp_orig_to(rcpt)) != NULL)
		vstring_sprintf(orig, ", orig_to=<%s>", o);
	msg_info("%s: to=<%s>%s, relay=%s, %s, dsn=%s, status=%s (%s)", req->dr.queue_id,
	    rcpt->addr, vstring_str(orig), sess ? vstring_str(sess->relay) : "none",
	    vstring_str(delays), dsn, status, text);
	if (deliver_reply_flags(req->client, rcpt->index, dsn, action, text,
	    sess ? vstring_str(sess->relay) : NULL, passed) < 0) {
		msg_warn("%s: cannot send the result for <%s> to the queue manager",
		    req->dr.queue_id, rcpt->addr);
		(void)deliver_record(req->msg, smtp_cf.queue_dir, rcpt->index,
		    dsn, action, text, sess ? vstring_str(sess->relay) : NULL,
		    passed);
	} else {
		deliver_sent(req->msg, smtp_cf.queue_dir, rcpt->index, dsn,
		    action, text, sess ? vstring_str(sess->relay) : NULL, passed);
	}
	rcpt->done = 1;
	rcpt->accepted = 0;
	req->pending--;
	vstring_free(delays);
	vstring_free(orig);
}

void
smtp_rcpt_resp(SMTP_REQ *req, SMTP_RCPT *rcpt, SMTP_SESS *sess, const char *cmd)
{
	VSTRING	*why;
	const char *dsn = sess->resp.code ? sess->resp.dsn : "4.4.2";

	if (sess->resp.code / 100 == 2) {
		smtp_rcpt_result(req, rcpt, sess, dsn, vstring_str(sess->resp.text));
		return;
	}
	why = vstring_alloc(200);
	smtp_sess_say(sess, why, cmd);
	if (*dsn != '5' && !req->final_server && (!sess->reused || sess->resp.code == 0))
		smtp_req_why(req, dsn, 1, "%s", vstring_str(why));
	else
		smtp_rcpt_result(req, rcpt, sess, *dsn == '5' ? dsn : dsn[0] == '4' ? dsn : "4.0.0",
		    vstring_str(why));
	vstring_free(why);
}

void
smtp_rcpt_rest(SMTP_REQ *req, SMTP_SESS *sess, const char *dsn, const char *text)
{
	int	 i;

	for (i = 0; i < req->nrcpt; i++)
		if (!req->rcpt[i].done)
			smtp_rcpt_result(req, &req->rcpt[i], sess, dsn, text);
}

void
smtp_req_why(SMTP_REQ *req, const char *dsn, int soft, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vstring_reset(req->why);
	vstring_vsprintf_append(req->why, fmt, ap);
	va_end(ap);
	snprintf(req->why_dsn, sizeof(req->why_dsn), "%s", dsn);
	if (soft && req->why_dsn[0] == '5')
		req->why_dsn[0] = '4';
	req->why_soft = soft;
}
