/*
 * bounce_clnt.h - the bounce service: per-message status logs, its
 * protocol and its client (bounce_clnt.c). See bounce(8), qmgr(8).
 *
 * Logs. $queue_directory/{bounce,defer,trace}/<message-id> hold one
 * attribute list (attr.h framing) per recipient status, appended
 * (bounce_log.c) by the qmgr as results arrive, or by a delivery agent
 * whose final result the qmgr could not take (deliver_record()):
 * "bounce" for failed recipients, "defer" for delayed ones (read for delay warnings), "trace" for delivered
 * recipients that asked for NOTIFY=SUCCESS. The bounce and trace logs are
 * fsynced before the recipient is marked done in the queue file, so a
 * crash never loses a notification (at worst one is sent twice). A record
 * repeated for the same recipient index supersedes the earlier one.
 *
 * Requests on a bounce service (single_server_main): private/bounce for
 * flush, private/defer for warn, private/trace for trace, the names being
 * bounce_service_name, defer_service_name and trace_service_name (one
 * program, bounce(8), answers all three). One attribute list:
 *	request=flush	non-delivery report from the bounce log, then the
 *			bounce log is removed
 *	request=warn	delay warning for the recipients listed by
 *			repeated rcpt_index, from the defer log (kept)
 *	request=trace	success notice from the trace log, then the trace
 *			log is removed
 * each with queue_name and queue_id of the (open) queue file. Reply: one
 * list with status=0|1, reason=, and one new_id= per notification
 * written into incoming/ (its queue id; one empty new_id= when none was).
 */
#ifndef BOUNCE_CLNT_H
#define BOUNCE_CLNT_H

#include "argv.h"
#include "vstream.h"

#define QB_SERVICE	"bounce"	/* bounce_service_name's default */

#define QB_LOG_BOUNCE	"bounce"
#define QB_LOG_DEFER	"defer"
#define QB_LOG_TRACE	"trace"

/* Log record attributes. */
#define QB_RCPT_INDEX	"rcpt_index"
#define QB_RCPT		"rcpt"
#define QB_ORCPT	"orcpt"		/* "rfc822;addr" or empty */
#define QB_NOTIFY	"notify"	/* QF_NOTIFY_* bits */
#define QB_STATUS	"status"	/* D.D.D */
#define QB_ACTION	"action"	/* failed delayed delivered relayed expanded */
#define QB_REASON	"reason"
#define QB_RELAY	"relay"		/* host[addr]:port, or "none" */
#define QB_TIME		"time"		/* UNIX time of the attempt */

/* Requests and replies. */
#define QB_REQUEST	"request"
#define QB_REQ_FLUSH	"flush"
#define QB_REQ_WARN	"warn"
#define QB_REQ_TRACE	"trace"
#define QB_QUEUE_NAME	"queue_name"
#define QB_QUEUE_ID	"queue_id"
#define QB_REPLY_STATUS	"status"
#define QB_REPLY_REASON	"reason"
#define QB_REPLY_ID	"new_id"

/*
 * Recipient flag kept in the queue file's per-recipient flags: a delay
 * warning was sent for this recipient. The bit is queue_flags.h's.
 */
#define QB_RCPT_FLAG_WARNED	QF_RCPT_FLAG_WARNED

/*
 * The client (bounce_clnt.c): one request on a stream to the service,
 * answered later from the event loop. callback(status, new_ids, reason,
 * context): status 0 when the service did what was asked, -1 when it
 * did not or could not be heard; new_ids: the notices written.
 */
typedef void (*BOUNCE_CLNT_FN)(int, const ARGV *, const char *, void *);

VSTREAM	*bounce_clnt_connect(const char *, int);
int	 bounce_clnt_request(VSTREAM *, const char *, const char *,
	    const char *, const int *, int, int, BOUNCE_CLNT_FN, void *);

#endif
