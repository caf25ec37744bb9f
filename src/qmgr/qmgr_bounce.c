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
 *		    const char *request, const int *list, int n,
 *		    QMGR_BOUNCE_FN done, void *context);
 *	void	qmgr_bounce_log_remove(const char *id);
 * DESCRIPTION
 *	qmgr_bounce_log() appends one record for recipient index to the
 *	message's log (bounce_clnt.h: "bounce", "defer" or "trace"). Bounce
 *	and trace records are fsynced: the caller marks the recipient done
 *	only after this returns 0.
 *
 *	qmgr_bounce_request() asks the bounce service (private/bounce) to
 *	turn a log into a notification: "flush" (non-delivery report),
 *	"trace" (success notice) or "warn" (delay warning for the n
 *	recipients in list) through the bounce client (bounce_clnt(3)). It
 *	never waits: it returns 0 once the request is written, and
 *	done(status, context) is called from the event loop when the
 *	service has answered (status 0) or has failed, hung up or not
 *	answered within qmgr_ipc_timeout (-1, logged). It returns -1, with
 *	a warning and without calling done, when the request cannot be
 *	sent. The queue ids of the notifications the service wrote come
 *	with the reply and are handed to the qmgr's intake
 *	(bounce_arrived()), also after a failure part-way.
 *
 *	qmgr_bounce_log_remove() removes all three logs of a message.
 * DIAGNOSTICS
 *	qmgr_bounce_log() and qmgr_bounce_request() return 0, or -1 after
 *	logging a warning. A failed notification is the caller's to retry:
 *	qmgr_finish.c keeps the message deferred.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "bounce_clnt.h"
#include "bounce_log.h"
#include "events.h"
#include "msg.h"
#include "mymalloc.h"
#include "qmgr.h"

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

/*
 * A notification the bounce service wrote into incoming/. Its queue id
 * comes with the reply, so the qmgr need not look for it: the arrival
 * queue takes it (a malformed id asks for an incoming/ scan; an empty
 * one says that no notice was written).
 */
static void
bounce_arrived(const char *new_id)
{
	if (*new_id)
		qmgr_intake_id(new_id);
}

typedef struct BOUNCE_CALL {
	char	 id[QF_ID_LEN + 1];
	const char *request;
	struct timeval start;
	QMGR_BOUNCE_FN done;
	void	*context;
} BOUNCE_CALL;

static void
bounce_reply(int status, const ARGV *new_ids, const char *reason, void *ctx)
{
	BOUNCE_CALL *call = ctx;
	size_t	 i;

	QMGR_PROFILE_END(QMGR_PROF_IPC, &call->start, call->request, call->id);
	if (status < 0)
		msg_warn("%s: bounce service %s failed: %s", call->id,
		    call->request, reason);
	else if (new_ids->argc > 0)
		qmgr.stats.bounces++;
	for (i = 0; i < new_ids->argc; i++)
		bounce_arrived(new_ids->argv[i]);
	call->done(status, call->context);
	myfree(call);
}

int
qmgr_bounce_request(QMGR_MESSAGE *message, const char *request,
    const int *list, int n, QMGR_BOUNCE_FN done, void *context)
{
	BOUNCE_CALL *call;
	VSTREAM	*stream;

	if ((stream = bounce_clnt_connect(qmgr.ipc_timeout)) == NULL) {
		msg_warn("%s: %s request to the bounce service failed: %m",
		    message->id, request);
		return -1;
	}
	call = mymalloc(sizeof(*call));
	memcpy(call->id, message->id, sizeof(call->id));
	call->request = request;
	call->done = done;
	call->context = context;
	QMGR_PROFILE_START(&call->start);
	if (bounce_clnt_request(stream, request, QF_ACTIVE, message->id, list,
	    n, qmgr.ipc_timeout, bounce_reply, call) < 0) {
		msg_warn("%s: %s request to the bounce service failed: %m",
		    message->id, request);
		myfree(call);
		return -1;
	}
	return 0;
}
