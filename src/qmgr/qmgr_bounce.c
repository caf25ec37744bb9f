/*
 * NAME
 *	qmgr_bounce - the bounce client: per-message logs, notifications
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	void	qmgr_bounce_init(void);
 * DESCRIPTION
 *	The outside's side of the scheduler core's notifications: the core
 *	names logs by QMGR_LOG_* and notifications by QMGR_NOTICE_* and
 *	calls the functions registered here with qmgr_core_on_bounce()
 *	(QMGR_BOUNCE_OPS in qmgr.h); only this module knows the bounce
 *	service (bounce_clnt(3)) and where its logs are. qmgr_bounce_init()
 *	registers them; it is called before any message is taken in.
 * .IP append
 *	appends one record for recipient index to the message's log
 *	(bounce_log(3): bounce, defer or trace). Bounce and trace records
 *	are fsynced: the core marks the recipient done only after this
 *	returns 0.
 * .IP exist
 *	which logs a message may have already (a crash, an earlier pass);
 *	asked only when the queue file's header does not say that none
 *	does. A bounce or trace log must be known (a notification is
 *	owed); a defer log only needs removing with the message, so it is
 *	taken to exist without a stat() (removing a missing log costs what
 *	the stat did).
 * .IP remove
 *	removes all three logs of a message.
 * .IP request
 *	asks a bounce service to turn a log into a notification: "flush"
 *	(QMGR_NOTICE_FAILED: non-delivery report) on private/
 *	$bounce_service_name, "trace" (QMGR_NOTICE_SUCCESS: success notice)
 *	on private/$trace_service_name or "warn" (QMGR_NOTICE_DELAY: delay
 *	warning for the n recipients in list) on private/$defer_service_name,
 *	as Postfix's qmgr does.
 *	It never waits: it returns 0 once the request is written, and
 *	done(status, context) is called from the event loop when the
 *	service has answered (status 0) or has failed, hung up or not
 *	answered within qmgr_ipc_timeout (-1, logged). It returns -1, with
 *	a warning and without calling done, when the request cannot be
 *	sent. The queue ids of the notifications the service wrote come
 *	with the reply and are handed to the qmgr's intake
 *	(qmgr_intake_id()), also after a failure part-way.
 * DIAGNOSTICS
 *	append and request return 0, or -1 after logging a warning. A
 *	failed notification is the core's to retry: qmgr_finish.c keeps the
 *	message deferred.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounce_clnt.h"
#include "bounce_log.h"
#include "events.h"
#include "msg.h"
#include "mymalloc.h"
#include "qmgr.h"

/* The bounce service's name of a log. */
static const char *
bounce_log_name(int log)
{
	switch (log) {
	case QMGR_LOG_BOUNCE:
		return QB_LOG_BOUNCE;
	case QMGR_LOG_DEFER:
		return QB_LOG_DEFER;
	case QMGR_LOG_TRACE:
		return QB_LOG_TRACE;
	default:
		msg_panic("bounce_log_name: unknown log %d", log);
	}
}

static int
bounce_append(QMGR_MESSAGE *message, int log, int index,
    const char *status, const char *action, const char *reason,
    const char *relay)
{
	VSTRING	*why = vstring_alloc(100);
	int	 rc;

	if ((rc = bounce_log_append(qmgr.queue_dir, bounce_log_name(log),
	    message->id, &message->qf->rcpt[index], index, status, action,
	    reason, relay, event_time(), why)) < 0)
		msg_warn("%s: %s", message->id, vstring_str(why));
	vstring_free(why);
	return rc;
}

static int
bounce_exist(const char *id)
{
	static const int owed[] = {QMGR_LOG_BOUNCE, QMGR_LOG_TRACE};
	VSTRING	*path = vstring_alloc(128);
	struct stat st;
	size_t	 i;
	int	 found = QMGR_LOG_DEFER;

	for (i = 0; i < sizeof(owed) / sizeof(owed[0]); i++) {
		vstring_sprintf(path, "%s/%s/%s", qmgr.queue_dir,
		    bounce_log_name(owed[i]), id);
		if (stat(vstring_str(path), &st) == 0)
			found |= owed[i];
	}
	vstring_free(path);
	return found;
}

/* bounce_remove - unlink the logs named, not one that cannot exist. */
static void
bounce_remove(const char *id, int which)
{
	static const int logs[] = {QMGR_LOG_BOUNCE, QMGR_LOG_DEFER,
	QMGR_LOG_TRACE};
	VSTRING	*path = vstring_alloc(128);
	size_t	 i;

	for (i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
		if ((which & logs[i]) == 0)
			continue;
		vstring_sprintf(path, "%s/%s/%s", qmgr.queue_dir,
		    bounce_log_name(logs[i]), id);
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

static int
bounce_request(QMGR_MESSAGE *message, int notice, const int *list, int n,
    QMGR_BOUNCE_FN done, void *context)
{
	BOUNCE_CALL *call;
	VSTREAM	*stream;
	const char *request, *service;

	switch (notice) {
	case QMGR_NOTICE_FAILED:
		request = QB_REQ_FLUSH;
		service = qmgr.bounce_service;
		break;
	case QMGR_NOTICE_SUCCESS:
		request = QB_REQ_TRACE;
		service = qmgr.trace_service;
		break;
	case QMGR_NOTICE_DELAY:
		request = QB_REQ_WARN;
		service = qmgr.defer_service;
		break;
	default:
		msg_panic("bounce_request: unknown notice %d", notice);
	}
	if ((stream = bounce_clnt_connect(service, qmgr.ipc_timeout)) == NULL) {
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

void
qmgr_bounce_init(void)
{
	static const QMGR_BOUNCE_OPS ops = {
		.append = bounce_append,
		.exist = bounce_exist,
		.remove = bounce_remove,
		.request = bounce_request,
	};

	qmgr_core_on_bounce(&ops);
}
