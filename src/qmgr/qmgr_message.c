/*
 * NAME
 *	qmgr_message - take a queue file into active/ and route it
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	int	qmgr_message_load(const char *queue, const char *id,
 *		    int forced);
 *	void	qmgr_message_done_entry(QMGR_MESSAGE *message);
 *	void	qmgr_message_sync(QMGR_MESSAGE *message);
 *	time_t	qmgr_message_expires(const QF_MSG *qf);
 * DESCRIPTION
 *	qmgr_message_load() moves message id from queue (incoming or
 *	deferred; nothing when it is already active) into active/, opens it
 *	read-write, reads its envelope and recipient states and logs
 *	"<id>: from=<sender>, size=N, nrcpt=N (queue active)". The
 *	descriptor stays open while the recipients are routed, so that the
 *	results decided there (a dead route: every recipient deferred at
 *	once) are written through it; then a message that waits for
 *	deliveries closes it (it holds no descriptor: qf_release), and one
 *	that is finished already closes it on its way out. It looks
 *	for the message's bounce and trace logs only when the queue file's
 *	header does not say that none exists (qf_logs_begin(3)); a defer
 *	log is then taken to exist (it is removed with the message).
 *	Each recipient that is neither done nor held is routed:
 *	error: and discard: results are decided here, a failed table
 *	lookup or a dead route or transport defers the recipient at once,
 *	so does a transport that defer_transports lists ("4.3.2 deferred
 *	transport", as Postfix) unless the message is forced, and the
 *	others join an entry in their destination queue for the
 *	scheduler: the queue of their nexthop, or, with a destination rate
 *	delay and a recipient limit of 1, their own (localpart@nexthop). A message with nothing left to deliver is finished at
 *	once (qmgr_finish.c). forced (smtpctl schedule, a flush of the
 *	queue or of a domain: postern flush, sendmail -q, sendmail -qR,
 *	ETRN) says that the caller already ignored the backoff, and lifts
 *	defer_transports for this pass.
 *
 *	A message past maximal_queue_lifetime (bounce_queue_lifetime for
 *	the null sender) is still tried once more; recipients that are then
 *	deferred are returned to the sender instead (qmgr_result.c).
 *
 *	qmgr_message_done_entry() is called when one of the message's
 *	entries is finished; the last one finishes the message.
 *
 *	qmgr_message_sync() writes the recipient states that changed in
 *	this pass into the queue file, durably: each slot is written
 *	(qf_mark_rcpt) and one fdatasync, with the last one
 *	(qf_update_rcpt), makes them all durable. While a message is being
 *	routed, qmgr_result() leaves the sync to the end of the routing:
 *	no delivery can start before then.
 *
 *	qmgr_message_expires() returns the time the message expires: the
 *	rule of qenv_expires() (qenv(3)) with the qmgr's lifetimes.
 * DIAGNOSTICS
 *	qmgr_message_load() returns 1 when the message was taken in, 0 when
 *	it vanished or was already active, -1 when it could not be moved
 *	(logged). A file that does not parse is moved to corrupt/ with a
 *	warning, never deleted; out of descriptors, the file goes back to
 *	the queue it came from and intake pauses for a second
 *	(qmgr_fd_short); one that cannot be opened for another reason
 *	(memory, permission, I/O) goes to deferred/ for a later try.
 *	Panics when nothing registered the bounce functions
 *	(qmgr_core_on_bounce()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "events.h"
#include "msg.h"
#include "mymalloc.h"
#include "qenv.h"
#include "qmgr.h"
#include "qmgr_inside.h"
#include "qmgr_route.h"

time_t
qmgr_message_expires(const QF_MSG *qf)
{
	return qenv_expires(qf, qmgr.max_lifetime, qmgr.bounce_lifetime);
}

static QMGR_MESSAGE *
message_alloc(QF_MSG *qf)
{
	QMGR_MESSAGE *message = mycalloc(1, sizeof(*message));
	size_t	 n = qf->nrcpt > 0 ? (size_t)qf->nrcpt : 1;

	memcpy(message->id, qf->id, sizeof(message->id));
	message->qf = qf;
	message->rstate = mycalloc(n, sizeof(*message->rstate));
	message->rsince = mycalloc(n, sizeof(*message->rsince));
	message->rentry = mycalloc(n, sizeof(*message->rentry));
	message->rdirty = mycalloc(n, sizeof(*message->rdirty));
	gettimeofday(&message->active_time, NULL);
	message->prev = qmgr.msg_tail;
	if (qmgr.msg_tail)
		qmgr.msg_tail->next = message;
	else
		qmgr.msg_head = message;
	qmgr.msg_tail = message;
	htable_enter(qmgr.msg_byid, message->id, message);
	qmgr.nmessages++;
	message->nrcpt = qf->nrcpt;	/* qf is closed before the message goes */
	qmgr.nrcpt += message->nrcpt;
	return message;
}

/*
 * Open the file in active/ and read what the scheduler needs; the
 * caller closes it after routing (qf_release). Only a
 * file that does not parse (EINVAL; a symlink: ELOOP; a socket: ENXIO)
 * goes to corrupt/. Out of descriptors (EMFILE, ENFILE) says nothing
 * about the file nor the destination: the file goes back where it came
 * from and intake pauses (qmgr_fd_short) until descriptors are free. Any
 * other failure (ENOMEM, EACCES, EIO) sends it to deferred/, where the
 * deferred queue scan tries it again.
 */
static QF_MSG *
message_open(const char *from, const char *id)
{
	VSTRING	*why = vstring_alloc(64);
	const char *to;
	QF_MSG	*qf;

	if ((qf = qf_open(qmgr.queue_dir, QF_ACTIVE, id, QF_OPEN_RDWR,
	    why)) == NULL && errno != ENOENT) {
		if (errno == EMFILE || errno == ENFILE) {
			to = strcmp(from, QF_ACTIVE) == 0 ? QF_INCOMING : from;
			qmgr_fd_short();
		} else {
			to = errno == EINVAL || errno == ELOOP ||
			    errno == ENXIO ? QF_CORRUPT : QF_DEFERRED;
			msg_warn("%s: %s: moving to %s/", id, vstring_str(why),
			    to);
		}
		if (qf_move(qmgr.queue_dir, QF_ACTIVE, to, id) < 0)
			msg_warn("%s: cannot move to %s/: %m", id, to);
	}
	vstring_free(why);
	return qf;
}

/*
 * content_filter (main.cf or -o, recorded by the cleanup stage) or a
 * FILTER action: every recipient goes to transport:nexthop, the
 * recipient domain when the nexthop is empty, as in Postfix.
 */
static int
message_route_filter(QMGR_MESSAGE *message, int i, QMGR_ROUTE *route)
{
	const char *filter = qf_attr(message->qf, "content_filter");

	if (filter == NULL || *filter == 0)
		return -1;
	qmgr_route_parse(filter, route->transport, route->nexthop);
	if (vstring_len(route->transport) == 0) {
		msg_warn("%s: bad content filter \"%s\"; ignored",
		    message->id, filter);
		return -1;
	}
	if (vstring_len(route->nexthop) == 0)
		vstring_strcpy(route->nexthop,
		    qmgr_route_domain(message->qf->rcpt[i].address));
	route->action = QMGR_ROUTE_DELIVER;
	return QMGR_ROUTE_DELIVER;
}

/*
 * The route (queue) a recipient joins: its nexthop, except with a
 * destination rate delay and a recipient limit of 1, where, as in
 * Postfix, the destination is the recipient (localpart@nexthop, in lower
 * case): the pause then separates deliveries to one recipient, and
 * different recipients go in parallel.
 */
static const char *
message_route_name(const QMGR_TRANSPORT *transport, const char *addr,
    const char *nexthop)
{
	static VSTRING *name;
	const char *at = strrchr(addr, '@');

	if (transport->dest_rate_delay == 0 || transport->rcpt_limit != 1)
		return nexthop;
	if (name == NULL)
		name = vstring_alloc(100);
	vstring_memcpy(name, addr, at ? (size_t)(at - addr) : strlen(addr));
	vstring_lower(name);
	vstring_sprintf_append(name, "@%s", nexthop);
	return vstring_str(name);
}

/* Route one recipient into its queue, or decide it here. */
static void
message_route_rcpt(QMGR_MESSAGE *message, int i, QMGR_ROUTE *route)
{
	QMGR_TRANSPORT *transport;
	QMGR_QUEUE *queue;
	const char *text;
	char	 status[16];
	int	 action;

	if ((action = message_route_filter(message, i, route)) < 0)
		action = qmgr_route(message->qf->rcpt[i].address,
		    message->qf->sender, route);
	switch (action) {
	case QMGR_ROUTE_ERROR:
		text = vstring_str(route->text);
		qmgr_status_from_text(text, "5.0.0", status, sizeof(status));
		qmgr_result_log(message, i, status, NULL, text, "none");
		return;
	case QMGR_ROUTE_DISCARD:
		text = vstring_len(route->text) ? vstring_str(route->text) :
		    "discarded";
		qmgr_result_log(message, i, "2.0.0", "delivered", text, "none");
		return;
	case QMGR_ROUTE_RETRY:
		qmgr_result_log(message, i, "4.3.0", "delayed",
		    vstring_str(route->text), "none");
		return;
	}
	transport = qmgr_transport_find(vstring_str(route->transport), 1);
	if (transport->deferred && !message->forced) {
		/* defer_transports: only a flush or schedule delivers. */
		qmgr_result_log(message, i, "4.3.2", "delayed",
		    "deferred transport", "none");
		return;
	}
	queue = qmgr_queue_find(transport, message_route_name(transport,
	    message->qf->rcpt[i].address, vstring_str(route->nexthop)),
	    vstring_str(route->nexthop), 1);
	if (transport->dead_until > event_time()) {
		qmgr_result_log(message, i, "4.3.0", "delayed",
		    transport->dead_reason, "none");
	} else if (queue->dead_until > event_time()) {
		qmgr_status_from_text(queue->dead_reason, "4.4.1", status,
		    sizeof(status));
		qmgr_result_log(message, i, status, "delayed",
		    queue->dead_reason, "none");
	} else {
		qmgr_queue_add(queue, message, i);
	}
}

static void
message_route_all(QMGR_MESSAGE *message)
{
	QMGR_ROUTE *route = qmgr_route_alloc();
	QF_RCPT	*rp;
	int	 i;

	message->refcount++;		/* hold it while routing */
	message->routing = 1;
	for (i = 0; i < message->qf->nrcpt; i++) {
		rp = &message->qf->rcpt[i];
		if (rp->status == QF_RCPT_DONE
		    || (rp->flags & QF_RCPT_FLAG_HELD))
			continue;
		/* smtpctl schedule|discover ENVELOPE-ID: that one only. */
		if (qmgr.route_only != 0 && rp->envid != qmgr.route_only)
			continue;
		message_route_rcpt(message, i, route);
	}
	qmgr_route_free(route);
	message->routing = 0;
	if (message->refcount > 1) {
		/* Deliveries follow: results so far are made durable first. */
		qmgr_message_sync(message);
		qf_release(message->qf);
	}
	qmgr_message_done_entry(message);	/* else finished: closed */
}

int
qmgr_message_load(const char *queue, const char *id, int forced)
{
	QMGR_MESSAGE *message;
	QF_MSG	*qf;
	struct timeval tv;

	if (qmgr.bounce == NULL)
		msg_panic("qmgr_message_load: no bounce functions registered");
	if (htable_find(qmgr.msg_byid, id) != NULL)
		return 0;
	QMGR_PROFILE_START(&tv);
	if (strcmp(queue, QF_ACTIVE) != 0
	    && qf_move(qmgr.queue_dir, queue, QF_ACTIVE, id) < 0) {
		if (errno == ENOENT)
			return 0;
		msg_warn("%s: cannot move from %s/ to %s/: %m", id, queue,
		    QF_ACTIVE);
		return -1;
	}
	qmgr_deferred_forget(id);
	if ((qf = message_open(queue, id)) == NULL)
		return qmgr.fd_short ? -1 : 0;
	message = message_alloc(qf);
	message->forced = forced;
	/* The header may say that none exists (qf_logs_begin). */
	message->logs = qf->nologs ? 0 : qmgr.bounce->exist(id);
	message->expired = event_time() >= qmgr_message_expires(qf);
	if (strcmp(queue, QF_INCOMING) == 0) {
		qmgr.stats.received++;
		qmgr.stats.env_received += qf->nrcpt;
	}
	msg_info("%s: from=<%s>, size=%lld, nrcpt=%d (queue active)", id,
	    qf->sender, (long long)qf->content_size, qf->nrcpt);
	message_route_all(message);
	QMGR_PROFILE_END(QMGR_PROF_QUEUE, &tv, "load", id);
	qmgr_schedule();
	return 1;
}

/* Write the recipient states that changed into the queue file. */
void
qmgr_message_sync(QMGR_MESSAGE *message)
{
	int	 i, last = -1, synced;

	for (i = 0; i < message->qf->nrcpt; i++)
		if (message->rdirty[i])
			last = i;
	if (last < 0)
		return;
	/* One fdatasync, with the last slot, covers them all. */
	for (i = 0; i < last; i++)
		if (message->rdirty[i] && qf_mark_rcpt(message->qf, i) < 0)
			msg_warn("%s: cannot update recipient %d in the queue "
			    "file: %m", message->id, i);
	if (!(synced = qf_update_rcpt(message->qf, last) == 0))
		msg_warn("%s: cannot update recipient %d in the queue file: %m",
		    message->id, last);
	message->rdirty[last] = 0;
	for (i = 0; i < last; i++) {
		if (!message->rdirty[i])
			continue;
		message->rdirty[i] = 0;
		if (!synced)		/* then each on its own */
			(void)qf_update_rcpt(message->qf, i);
	}
}

void
qmgr_message_done_entry(QMGR_MESSAGE *message)
{
	if (message->refcount <= 0)
		msg_panic("qmgr_message_done_entry: %s: refcount %d",
		    message->id, message->refcount);
	if (--message->refcount == 0)
		qmgr_message_finish(message);
}
