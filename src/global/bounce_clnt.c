/*
 * NAME
 *	bounce_clnt - asynchronous client of the bounce service
 * SYNOPSIS
 *	#include "bounce_clnt.h"
 *
 *	VSTREAM	*bounce_clnt_connect(const char *service, int timeout);
 *	int	bounce_clnt_request(VSTREAM *stream, const char *request,
 *		    const char *queue_name, const char *queue_id,
 *		    const int *list, int n, int timeout,
 *		    BOUNCE_CLNT_FN callback, void *context);
 * DESCRIPTION
 *	bounce_clnt_connect() opens a stream to private/service, a bounce
 *	service of master.cf (the qmgr names bounce_service_name,
 *	defer_service_name or trace_service_name, by request), with the
 *	stream time limit set to timeout (seconds); null with errno when
 *	the service cannot be reached.
 *
 *	bounce_clnt_request() writes one request (bounce_clnt.h: "flush",
 *	"warn" or "trace" for queue file queue_name/queue_id; for "warn"
 *	the n recipient indices in list) on stream, which it takes over,
 *	and returns at once: the caller's event loop keeps running while
 *	the bounce service composes the notice. When the reply arrives,
 *	when the service hangs up, or after timeout seconds without a reply,
 *	the stream is closed and callback(status, new_ids, reason, context)
 *	is called once from the event loop: status 0, or -1 and a reason;
 *	new_ids holds the queue ids of the notices the service wrote into
 *	incoming/ (none when none was needed; some may come with a failure
 *	part-way). A request that cannot even be written returns
 *	-1 with errno (stream closed, callback never called), so the
 *	caller decides at once.
 *
 *	The strings given to the callback live until it returns.
 * DIAGNOSTICS
 *	None here: the caller logs a failure with the reason it gets.
 */
#include <errno.h>
#include <string.h>

#include "attr.h"
#include "bounce_clnt.h"
#include "events.h"
#include "mail_trigger.h"
#include "msg.h"
#include "mymalloc.h"
#include "vstring.h"

typedef struct BOUNCE_CLNT {
	VSTREAM	*stream;
	BOUNCE_CLNT_FN callback;
	void	*context;
} BOUNCE_CLNT;

VSTREAM *
bounce_clnt_connect(const char *service, int timeout)
{
	VSTRING	*path = vstring_alloc(64);
	VSTREAM	*stream;

	vstring_sprintf(path, "private/%s", service);
	stream = mail_trigger_connect(vstring_str(path), timeout);
	vstring_free(path);
	return stream;
}

static void bounce_clnt_event(int, void *);

/* bounce_clnt_done - close, then tell the caller. */
static void
bounce_clnt_done(BOUNCE_CLNT *bc, int status, const ARGV *new_ids,
    const char *reason)
{
	BOUNCE_CLNT_FN callback = bc->callback;
	void	*context = bc->context;

	event_disable_readwrite(vstream_fileno(bc->stream));
	(void)event_cancel_timer(bounce_clnt_event, bc);
	(void)vstream_fclose(bc->stream);
	myfree(bc);
	callback(status, new_ids, reason, context);
}

/* bounce_clnt_event - the reply, a hang-up, or the time limit. */
static void
bounce_clnt_event(int event, void *ctx)
{
	BOUNCE_CLNT *bc = ctx;
	ATTR	*reply;
	ARGV	*new_ids = argv_alloc(2);
	const char *status, *reason, *id;
	size_t	 pos = 0;

	if (event == EVENT_TIME) {
		bounce_clnt_done(bc, -1, new_ids, "timeout waiting for the reply");
		argv_free(new_ids);
		return;
	}
	reply = attr_alloc();
	if (attr_read(bc->stream, reply) < 0) {
		bounce_clnt_done(bc, -1, new_ids, vstream_ftimeout(bc->stream) ?
		    "timeout reading the reply" :
		    "the service hung up or sent garbage");
	} else {
		while ((id = attr_get_from(reply, QB_REPLY_ID, &pos)) != NULL)
			if (*id)
				argv_add(new_ids, id);
		status = attr_get(reply, QB_REPLY_STATUS);
		reason = attr_get(reply, QB_REPLY_REASON);
		if (status != NULL && strcmp(status, "0") == 0)
			bounce_clnt_done(bc, 0, new_ids, "");
		else
			bounce_clnt_done(bc, -1, new_ids, reason && *reason ?
			    reason : "(no reason)");
	}
	attr_free(reply);
	argv_free(new_ids);
}

int
bounce_clnt_request(VSTREAM *stream, const char *request,
    const char *queue_name, const char *queue_id, const int *list, int n,
    int timeout, BOUNCE_CLNT_FN callback, void *context)
{
	BOUNCE_CLNT *bc;
	ATTR	*req = attr_alloc();
	int	 i, err;

	attr_add(req, QB_REQUEST, request);
	attr_add(req, QB_QUEUE_NAME, queue_name);
	attr_add(req, QB_QUEUE_ID, queue_id);
	for (i = 0; i < n; i++)
		attr_add_long(req, QB_RCPT_INDEX, list[i]);
	if (attr_write(stream, req) < 0) {
		err = vstream_ftimeout(stream) ? ETIMEDOUT : errno ? errno : EPIPE;
		attr_free(req);
		(void)vstream_fclose(stream);
		errno = err;
		return -1;
	}
	attr_free(req);
	bc = mymalloc(sizeof(*bc));
	bc->stream = stream;
	bc->callback = callback;
	bc->context = context;
	event_enable_read(vstream_fileno(stream), bounce_clnt_event, bc);
	event_request_timer(bounce_clnt_event, bc, (long long)timeout * 1000);
	return 0;
}
