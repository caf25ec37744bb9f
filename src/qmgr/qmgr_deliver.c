/*
 * NAME
 *	qmgr_deliver - hand entries to transports over private/<transport>
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	int	qmgr_deliver(QMGR_ENTRY *entry);
 *	void	qmgr_conn_close(QMGR_CONN *conn);
 * DESCRIPTION
 *	qmgr_deliver() sends a delivery request for entry (see HACKING.md,
 *	"Delivery request"; written and its replies read by the protocol's
 *	client, deliver_clnt(3)) over a connection to the
 *	entry's transport and returns at once; replies are read from the
 *	event loop. A connection that just served the same nexthop is
 *	preferred (the transport keeps its SMTP session to it), then a new
 *	connection while the transport has fewer than its process limit,
 *	then any idle one. Idle connections are closed after
 *	smtp_connection_cache_time_limit seconds or when the transport
 *	hangs up.
 *
 *	Each reply names a recipient by rcpt_index and gives its status;
 *	the final reply has done=1 (and dest_failed=1 when the destination
 *	failed as a whole). Recipients the transport did not answer for,
 *	because it crashed, hung up, timed out (daemon_timeout) or just
 *	forgot them, are deferred with 4.3.0: never dropped. Not so once
 *	the queue manager is leaving (the master is gone: the agents'
 *	listener went with it): the message then stays in active/ as it
 *	is, for the next queue manager (mail_server_leaving()).
 *
 *	A transport that cannot be reached is marked dead for
 *	transport_retry_time (qmgr_transport_dead()). Running out of
 *	descriptors is no such failure: connections are capped by
 *	qmgr.conn_limit (qmgr_fd_budget(); at the cap an idle connection
 *	of another transport is closed to make room), and a connect that
 *	still fails with EMFILE or ENFILE leaves the entry waiting for the
 *	next scheduler run, a second later at most; nothing is deferred.
 * DIAGNOSTICS
 *	qmgr_deliver() returns -1 when no connection slot is free (the
 *	caller puts the entry back), 0 otherwise (in flight, or deferred).
 *	Malformed replies are logged and ignored.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "attr.h"
#include "deliver_clnt.h"
#include "events.h"
#include "mail_server.h"
#include "mail_trigger.h"
#include "msg.h"
#include "mymalloc.h"
#include "qmgr.h"

static void qmgr_deliver_event(int, void *);
static void qmgr_deliver_timeout(int, void *);
static void conn_idle_timeout(int, void *);

void
qmgr_conn_close(QMGR_CONN *conn)
{
	QMGR_TRANSPORT *t = conn->transport;
	QMGR_CONN **cp;

	for (cp = &t->idle; *cp; cp = &(*cp)->next)
		if (*cp == conn) {
			*cp = conn->next;
			break;
		}
	event_disable_readwrite(vstream_fileno(conn->stream));
	event_cancel_timer(qmgr_deliver_timeout, conn);
	event_cancel_timer(conn_idle_timeout, conn);
	vstream_fclose(conn->stream);
	t->nconn--;
	qmgr.nconn--;
	myfree(conn->nexthop);
	myfree(conn);
}

static void
conn_idle_timeout(int event, void *ctx)
{
	qmgr_conn_close(ctx);
}

static QMGR_CONN *
conn_take_idle(QMGR_TRANSPORT *t, const char *nexthop)
{
	QMGR_CONN **cp, *conn;

	for (cp = &t->idle; (conn = *cp) != NULL; cp = &conn->next)
		if (nexthop == NULL || strcmp(conn->nexthop, nexthop) == 0) {
			*cp = conn->next;
			conn->next = NULL;
			event_cancel_timer(conn_idle_timeout, conn);
			return conn;
		}
	return NULL;
}

static void
conn_retry_event(int event, void *ctx)
{
	qmgr_schedule();
}

/* conn_make_room - at the descriptor cap, close an idle connection. */
static int
conn_make_room(void)
{
	QMGR_TRANSPORT *t;

	if (qmgr.nconn < qmgr.conn_limit)
		return 0;
	for (t = qmgr.transports; t; t = t->next)
		if (t->idle != NULL) {
			qmgr_conn_close(t->idle);
			return 0;
		}
	return -1;
}

/*
 * A new connection; null with the transport marked dead on failure, or
 * (no descriptor free) null with a scheduler run in a second.
 */
static QMGR_CONN *
conn_open(QMGR_TRANSPORT *t)
{
	VSTRING	*service;
	QMGR_CONN *conn = NULL;
	VSTREAM	*stream;

	if (conn_make_room() < 0)
		return NULL;		/* a delivery ends: qmgr_schedule() */
	service = vstring_alloc(64);
	vstring_sprintf(service, "private/%s", t->name);
	if ((stream = mail_trigger_connect(vstring_str(service),
	    qmgr.ipc_timeout)) == NULL) {
		if (errno == EMFILE || errno == ENFILE) {
			msg_warn("cannot connect to private/%s: %m: trying "
			    "again in a second", t->name);
			event_request_timer(conn_retry_event, NULL, 1000);
		} else if (mail_server_leaving()) {
			/* The listener went with the master: nothing is dead. */
			msg_info("cannot connect to private/%s: %m: the queue "
			    "manager is leaving", t->name);
		} else {
			vstring_sprintf(service, "mail transport unavailable: "
			    "cannot connect to private/%s: %m", t->name);
			qmgr_transport_dead(t, vstring_str(service));
		}
	} else {
		conn = mycalloc(1, sizeof(*conn));
		conn->stream = stream;
		conn->transport = t;
		conn->nexthop = mystrdup("");
		t->nconn++;
		qmgr.nconn++;
	}
	vstring_free(service);
	return conn;
}

/* Send the request; -1 when the connection is broken. */
static int
qmgr_deliver_send(QMGR_CONN *conn, QMGR_ENTRY *entry)
{
	DELIVER_CLNT_REQ req;

	req.qf = entry->message->qf;
	req.queue_name = QF_ACTIVE;
	req.transport = entry->queue->transport->name;
	req.nexthop = entry->queue->nexthop;
	req.active = entry->message->active_time;
	req.rcpt = entry->rcpt;
	req.nrcpt = entry->nrcpt;
	vstream_set_timeout(conn->stream, qmgr.ipc_timeout);
	return deliver_clnt_request(conn->stream, &req);
}

static void
qmgr_deliver_start(QMGR_CONN *conn, QMGR_ENTRY *entry)
{
	conn->entry = entry;
	myfree(conn->nexthop);
	conn->nexthop = mystrdup(entry->queue->nexthop);
	qmgr_core_batch_start(entry);
	event_enable_read(vstream_fileno(conn->stream), qmgr_deliver_event, conn);
	event_request_timer(qmgr_deliver_timeout, conn,
	    (long long)qmgr.delivery_timeout * 1000);
}

int
qmgr_deliver(QMGR_ENTRY *entry)
{
	QMGR_TRANSPORT *t = entry->queue->transport;
	QMGR_CONN *conn;
	int	 tries;

	for (tries = 0; tries < 3; tries++) {
		if ((conn = conn_take_idle(t, entry->queue->nexthop)) == NULL
		    && (t->nconn >= t->proc_limit
		    || (conn = conn_open(t)) == NULL)
		    && (conn = conn_take_idle(t, NULL)) == NULL)
			break;
		if (qmgr_deliver_send(conn, entry) == 0) {
			qmgr_deliver_start(conn, entry);
			return 0;
		}
		qmgr_conn_close(conn);		/* stale: the transport left */
	}
	if (t->dead_until <= event_time())
		return -1;
	qmgr_core_batch_fail(entry, t->dead_reason);
	return 0;
}

/* One per-recipient reply. */
static void
qmgr_deliver_reply(QMGR_ENTRY *entry, const DELIVER_CLNT_REPLY *reply)
{
	if (reply->index < 0 || reply->index >= entry->message->qf->nrcpt
	    || qmgr_core_update(entry, (int)reply->index, reply->status,
	    reply->action, reply->reason, reply->relay,
	    (reply->flags & DELIVER_REPLY_DSN_PASSED) != 0) < 0)
		msg_warn("%s: transport %s: reply for unknown or answered "
		    "recipient %lld", entry->message->id,
		    entry->queue->transport->name, reply->index);
}

/*
 * The agent died or hung before it reported every recipient: one it
 * delivered may be marked so in its queue file slot (deliver_mark(3),
 * written just before the reply). Such a recipient is delivered, not
 * deferred: sending it again would deliver it twice.
 */
static void
qmgr_deliver_noted(QMGR_ENTRY *entry)
{
	int	 i;

	for (i = 0; i < entry->nrcpt; i++)
		if (!entry->answered[i] && qf_slot_delivered(entry->message->qf,
		    entry->rcpt[i]) == 1)
			(void)qmgr_core_update(entry, entry->rcpt[i], "2.0.0",
			    "delivered", "delivered, as the delivery agent "
			    "noted in the queue file", "none", 0);
}

/* The entry is over: feedback, leftovers deferred, entry freed. */
static void
qmgr_deliver_finish(QMGR_CONN *conn, int dead, const char *why)
{
	QMGR_ENTRY *entry = conn->entry;

	conn->entry = NULL;
	event_cancel_timer(qmgr_deliver_timeout, conn);
	if (why != NULL)
		qmgr_deliver_noted(entry);
	qmgr_core_batch_done(entry, dead, why);
}

static void
qmgr_deliver_abort(QMGR_CONN *conn, const char *why)
{
	VSTRING	*buf = vstring_alloc(100);

	vstring_sprintf(buf, "delivery agent %s %s", conn->transport->name, why);
	if (mail_server_leaving()) {
		/*
		 * The master is gone and the agents with it (their listener
		 * closes at once): not the message's fault. It stays in
		 * active/ as it is, and the next queue manager, which waits
		 * for any agent still at work (qf_agent_busy), takes it.
		 */
		msg_info("%s: %s while the queue manager is leaving: left "
		    "for the next one", conn->entry->message->id, vstring_str(buf));
		conn->entry = NULL;
		event_cancel_timer(qmgr_deliver_timeout, conn);
	} else {
		msg_warn("%s: %s", conn->entry->message->id, vstring_str(buf));
		qmgr_deliver_finish(conn, 0, vstring_str(buf));
	}
	qmgr_conn_close(conn);
	vstring_free(buf);
}

static void
qmgr_deliver_timeout(int event, void *ctx)
{
	QMGR_CONN *conn = ctx;

	if (conn->entry)
		qmgr_deliver_abort(conn, "timed out");
	else
		qmgr_conn_close(conn);
}

static void
conn_go_idle(QMGR_CONN *conn)
{
	QMGR_TRANSPORT *t = conn->transport;

	conn->idle_since = event_time();
	conn->next = t->idle;
	t->idle = conn;
	event_request_timer(conn_idle_timeout, conn,
	    (long long)qmgr.idle_time * 1000 + 1);
}

static void
qmgr_deliver_event(int event, void *ctx)
{
	QMGR_CONN *conn = ctx;
	DELIVER_CLNT_REPLY reply;
	ATTR	*buf;

	if (conn->entry == NULL) {	/* idle: hang-up or junk */
		qmgr_conn_close(conn);
		return;
	}
	buf = attr_alloc();
	vstream_ready(conn->stream);		/* the event loop polled */
	do {
		switch (deliver_clnt_reply(conn->stream, buf, &reply)) {
		case DELIVER_CLNT_RCPT:
			qmgr_deliver_reply(conn->entry, &reply);
			continue;
		case DELIVER_CLNT_DONE:
			qmgr_deliver_finish(conn, (reply.flags &
			    DELIVER_REPLY_DEST_FAILED) != 0, NULL);
			conn_go_idle(conn);
			break;
		default:
			qmgr_deliver_abort(conn, vstream_ftimeout(conn->stream) ?
			    "timed out" : "crashed or hung up");
			break;
		}
		break;
	} while (vstream_bufstat(conn->stream) > 0);
	attr_free(buf);
}
