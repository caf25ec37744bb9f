/*
 * NAME
 *	qmgr_bounce - per-message status logs and requests to bounce
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	int	qmgr_bounce_log(QMGR_MESSAGE *message, const char *log,
 *		    int index, const char *status, const char *action,
 *		    const char *reason, const char *relay);
 *	int	qmgr_bounce_request(QMGR_MESSAGE *message,
 *		    const char *request, const int *list, int n);
 *	void	qmgr_bounce_log_remove(const char *id);
 * DESCRIPTION
 *	qmgr_bounce_log() appends one record for recipient index to the
 *	message's log (qmgr_bounce.h: "bounce", "defer" or "trace"). Bounce
 *	and trace records are fsynced: the caller marks the recipient done
 *	only after this returns 0.
 *
 *	qmgr_bounce_request() asks the bounce service (private/bounce) to
 *	turn a log into a notification: "flush" (non-delivery report),
 *	"trace" (success notice) or "warn" (delay warning for the n
 *	recipients in list). The call is synchronous, bounded by
 *	qmgr_ipc_timeout: the bounce service only composes a message and
 *	writes a queue file. A notification it wrote is picked up by an
 *	incoming queue scan.
 *
 *	qmgr_bounce_log_remove() removes all three logs of a message.
 * DIAGNOSTICS
 *	qmgr_bounce_log() and qmgr_bounce_request() return 0, or -1 after
 *	logging a warning.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "bounce_log.h"
#include "events.h"
#include "mail_trigger.h"
#include "msg.h"
#include "mymalloc.h"
#include "qmgr.h"
#include "qmgr_bounce.h"

int
qmgr_bounce_log(QMGR_MESSAGE *message, const char *log, int index,
    const char *status, const char *action, const char *reason,
    const char *relay)
{
	VSTRING	*why = vstring_alloc(100);
	int	 rc;

	if ((rc = bounce_log_append(qmgr.queue_dir, log, message->id,
	    &message->qf->rcpt[index], index, status, action, reason, relay,
	    event_time(), why)) < 0)
		msg_warn("%s: %s", message->id, vstring_str(why));
	vstring_free(why);
	return rc;
}

void
qmgr_bounce_log_remove(const char *id)
{
	static const char *logs[] = {QB_LOG_BOUNCE, QB_LOG_DEFER, QB_LOG_TRACE};
	VSTRING	*path = vstring_alloc(128);
	int	 i;

	for (i = 0; i < 3; i++) {
		vstring_sprintf(path, "%s/%s/%s", qmgr.queue_dir, logs[i], id);
		if (unlink(vstring_str(path)) < 0 && errno != ENOENT)
			msg_warn("%s: cannot remove %s: %m", id,
			    vstring_str(path));
	}
	vstring_free(path);
}

static int
bounce_talk(const ATTR *req, ATTR *reply)
{
	VSTREAM	*stream;
	int	 rc;

	if ((stream = mail_trigger_connect(QB_SERVICE, qmgr.ipc_timeout))
	    == NULL)
		return -1;
	rc = attr_write(stream, req) < 0 || attr_read(stream, reply) < 0 ?
	    -1 : 0;
	vstream_fclose(stream);
	return rc;
}

int
qmgr_bounce_request(QMGR_MESSAGE *message, const char *request,
    const int *list, int n)
{
	ATTR	*req = attr_alloc(), *reply = attr_alloc();
	const char *status, *id;
	struct timeval tv;
	int	 i, rc = -1, talk;

	attr_add(req, QB_REQUEST, request);
	attr_add(req, QB_QUEUE_NAME, QF_ACTIVE);
	attr_add(req, QB_QUEUE_ID, message->id);
	for (i = 0; i < n; i++)
		attr_add_long(req, QB_RCPT_INDEX, list[i]);
	QMGR_PROFILE_START(&tv);
	talk = bounce_talk(req, reply);
	QMGR_PROFILE_END(QMGR_PROF_IPC, &tv, request, message->id);
	if (talk < 0) {
		msg_warn("%s: %s request to the bounce service failed: %m",
		    message->id, request);
	} else if ((status = attr_get(reply, QB_REPLY_STATUS)) == NULL
	    || strcmp(status, "0") != 0) {
		msg_warn("%s: bounce service %s failed: %s", message->id,
		    request, attr_get(reply, QB_REPLY_REASON) ?
		    attr_get(reply, QB_REPLY_REASON) : "(no reason)");
	} else {
		rc = 0;
		if ((id = attr_get(reply, QB_REPLY_ID)) != NULL && *id) {
			qmgr.stats.bounces++;
			qmgr_trigger_incoming();
		}
	}
	attr_free(req);
	attr_free(reply);
	return rc;
}
