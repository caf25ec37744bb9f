/*
 * NAME
 *	qmgr_result - apply one recipient's delivery status
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	void	qmgr_result(QMGR_MESSAGE *message, int index,
 *		    const char *status, const char *action,
 *		    const char *reason, const char *relay);
 *	void	qmgr_result_log(QMGR_MESSAGE *message, int index,
 *		    const char *status, const char *action,
 *		    const char *reason, const char *relay);
 *	time_t	qmgr_result_backoff(int attempts);
 *	void	qmgr_status_from_text(const char *text, const char *def,
 *		    char *buf, size_t size);
 *	const char *qmgr_text_after_status(const char *text);
 *	void	qmgr_relay_note(const QMGR_QUEUE *queue, const char *relay);
 *	const char *qmgr_relay_last(const QMGR_QUEUE *queue);
 *	void	qmgr_hoststat(HTABLE *table, const char *key,
 *		    const char *text, int ok);
 * DESCRIPTION
 *	qmgr_result() records the outcome of a delivery attempt for
 *	recipient index of message, by the DSN status class:
 * .IP 2
 *	done (delivered); a trace log record when the recipient asked for
 *	NOTIFY=SUCCESS, or when confirm_delay_cleared is set and the
 *	recipient's delay warning was sent (QF_RCPT_FLAG_WARNED: a warning
 *	is sent only where NOTIFY is unset or names DELAY), so that the
 *	sender learns from the success notice that the delay has cleared.
 * .IP 5
 *	done (bounced) after a bounce log record; the non-delivery report
 *	is sent when the message leaves active/. A deferral of an expired
 *	message is a bounce too.
 * .IP 4
 *	deferred: a defer log record, attempts, last error and the next
 *	attempt time (exponential backoff between minimal_backoff_time and
 *	maximal_backoff_time).
 * .PP
 *	Every outcome updates the recipient's slot in the queue file
 *	durably (qf_update_rcpt): at once while other deliveries of the
 *	message are outstanding, else when the message leaves active/
 *	(qmgr_finish.c), where a message that is removed needs no update at
 *	all: this saves one fdatasync per recipient on the common path. The
 *	first deferral of a message writes its slot before the header's
 *	"no logs" flag is cleared (qf_logs_begin), whose fdatasync makes
 *	both durable: a deferred message costs one fdatasync, not two. A
 *	crash in that short window at worst delivers a recipient twice, as
 *	the design allows. The log records are written first, so a crash in
 *	between at worst repeats a notification. When a bounce or
 *	trace record cannot be written the recipient is deferred instead:
 *	a notification is never lost silently.
 *
 *	qmgr_result_log() does the same and also logs the Postfix-shaped
 *	"to=<...>, relay=..., delay=..., delays=..., dsn=..., status=..."
 *	line, for outcomes the qmgr decides itself (error:, discard:, dead
 *	routes, crashed transports). A null action is derived from the
 *	status. A leading "D.D.D " in reason is not repeated in the text:
 *	the status is logged as dsn=, as Postfix does.
 *
 *	qmgr_relay_note() remembers the relay host (host[addr]:port) that a
 *	route last reported, and qmgr_relay_last() returns it (or null),
 *	also after the route was freed and made again: smtpctl show hosts
 *	counts a host's routes and deliveries in flight from it.
 *
 *	qmgr_hoststat() notes the last status of a domain (smtpctl show
 *	hoststats) or relay host (show hosts) in table.
 *
 *	qmgr_status_from_text() copies a leading "D.D.D" of text into buf,
 *	or def when there is none. qmgr_text_after_status() returns text
 *	past such a leading status and its blanks.
 * DIAGNOSTICS
 *	Warnings for queue file updates that fail.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "deliver_reply.h"
#include "events.h"
#include "msg.h"
#include "mymalloc.h"
#include "qmgr.h"
#include "qmgr_inside.h"

time_t
qmgr_result_backoff(int attempts)
{
	long long delay = qmgr.min_backoff;

	while (--attempts > 0 && delay < qmgr.max_backoff)
		delay *= 2;
	if (delay > qmgr.max_backoff)
		delay = qmgr.max_backoff;
	return (time_t)delay;
}

void
qmgr_status_from_text(const char *text, const char *def, char *buf,
    size_t size)
{
	size_t	 n = 0;

	if (text && strchr("245", text[0]) && text[0] && text[1] == '.') {
		while (n < size - 1 && (isdigit((unsigned char)text[n])
		    || text[n] == '.'))
			n++;
	}
	if (n < 5) {
		snprintf(buf, size, "%s", def);
		return;
	}
	memcpy(buf, text, n);
	buf[n] = 0;
}

const char *
qmgr_text_after_status(const char *text)
{
	char	 st[16];
	size_t	 n;

	if (text == NULL)
		return NULL;
	qmgr_status_from_text(text, "", st, sizeof(st));
	n = strlen(st);
	if (n == 0 || strncmp(text, st, n) != 0 || text[n] != ' ')
		return text;
	for (text += n; *text == ' '; text++)
		;
	return text;
}

void
qmgr_hoststat(HTABLE *table, const char *key, const char *text, int ok)
{
	QMGR_HOSTSTAT *hs;

	if (key == NULL || *key == 0)
		return;
	if ((hs = htable_find(table, key)) == NULL) {
		hs = mycalloc(1, sizeof(*hs));
		htable_enter(table, key, hs);
	}
	hs->when = event_time();
	myfree(hs->status);
	hs->status = mystrndup(text ? text : "", 200);
	if (ok)
		hs->ok++;
	else
		hs->fail++;
}

/*
 * The relay host a route (transport, nexthop) last talked to, kept beyond
 * the route's life, so that smtpctl show hosts can count the routes and
 * deliveries of a host while a new route to it delivers. One entry per
 * destination ever served, as for qmgr.hosts.
 */
void
qmgr_relay_note(const QMGR_QUEUE *queue, const char *relay)
{
	VSTRING	*key = vstring_alloc(64);
	char	*old;

	if (qmgr.relay_by_route == NULL)
		qmgr.relay_by_route = htable_create(64);
	vstring_sprintf(key, "%s:%s", queue->transport->name, queue->nexthop);
	if ((old = htable_find(qmgr.relay_by_route, vstring_str(key))) == NULL)
		htable_enter(qmgr.relay_by_route, vstring_str(key),
		    mystrndup(relay, 300));
	else if (strcmp(old, relay) != 0) {
		htable_delete(qmgr.relay_by_route, vstring_str(key), myfree);
		htable_enter(qmgr.relay_by_route, vstring_str(key),
		    mystrndup(relay, 300));
	}
	vstring_free(key);
}

const char *
qmgr_relay_last(const QMGR_QUEUE *queue)
{
	VSTRING	*key;
	const char *relay;

	if (qmgr.relay_by_route == NULL)
		return NULL;
	key = vstring_alloc(64);
	vstring_sprintf(key, "%s:%s", queue->transport->name, queue->nexthop);
	relay = htable_find(qmgr.relay_by_route, vstring_str(key));
	vstring_free(key);
	return relay;
}

/* Count per relay host for smtpctl show hosts. */
static void
result_host(const char *relay, int ok)
{
	if (relay == NULL || *relay == 0 || strcmp(relay, "none") == 0)
		return;
	qmgr_hoststat(qmgr.hosts, relay, NULL, ok);
}

static void
result_error(QF_RCPT *rp, const char *status, const char *reason)
{
	qf_rcpt_set_error(rp, "%s %s", status, reason ? reason : "");
}

/*
 * result_log - a record in a per-message log; the queue file's header
 * first stops saying that no log exists (qf_logs_begin), durably.
 */
static int
result_log(QMGR_MESSAGE *message, int log, int index,
    const char *status, const char *action, const char *reason,
    const char *relay)
{
	if (qf_logs_begin(message->qf) < 0) {
		msg_warn("%s: cannot update the queue file header: %m",
		    message->id);
		return -1;
	}
	return qmgr.bounce->append(message, log, index, status, action,
	    reason, relay);
}

static void
result_done(QMGR_MESSAGE *message, int index, int flag)
{
	QF_RCPT	*rp = &message->qf->rcpt[index];

	rp->status = QF_RCPT_DONE;
	rp->flags |= flag;
	rp->next_attempt = 0;
}

/* A bounce; 0, or -1 when the bounce log could not be written. */
static int
result_bounce(QMGR_MESSAGE *message, int index, const char *status,
    const char *reason, const char *relay)
{
	QF_RCPT	*rp = &message->qf->rcpt[index];

	if (result_log(message, QMGR_LOG_BOUNCE, index, status, "failed",
	    reason, relay) < 0)
		return -1;
	message->nbounce++;
	message->logs |= QMGR_LOG_BOUNCE;
	result_error(rp, status, reason);
	result_done(message, index, QF_RCPT_FLAG_BOUNCED);
	if (message->expired && status[0] == '4') {
		message->nexpired++;
		qmgr.stats.expired++;
	} else {
		qmgr.stats.delivery_perm++;
	}
	return 0;
}

/*
 * A deferral; 1 when the recipient's slot is durable already: the first
 * log record of a message makes the queue file's header durable
 * (qf_logs_begin), and the slot, written just before, rides along in
 * the same fdatasync.
 */
static int
result_defer(QMGR_MESSAGE *message, int index, const char *status,
    const char *reason, const char *relay)
{
	QF_RCPT	*rp = &message->qf->rcpt[index];
	int	 marked;

	result_error(rp, status, reason);
	rp->next_attempt = event_time() + qmgr_result_backoff(rp->attempts);
	marked = message->qf->nologs && qf_mark_rcpt(message->qf, index) == 0;
	if (result_log(message, QMGR_LOG_DEFER, index, status, "delayed",
	    reason, relay) == 0)
		message->logs |= QMGR_LOG_DEFER;
	qmgr.stats.delivery_temp++;
	return marked && !message->qf->nologs;
}

static void
result_success(QMGR_MESSAGE *message, int index, const char *status,
    const char *action, const char *reason, const char *relay)
{
	QF_RCPT	*rp = &message->qf->rcpt[index];
	int	 notice = (rp->notify & QF_NOTIFY_SUCCESS)
	    || ((rp->flags & QF_RCPT_FLAG_WARNED) && qmgr.confirm_delay_cleared);

	if (notice && result_log(message,
	    QMGR_LOG_TRACE, index, status, action, reason, relay) < 0) {
		(void)result_defer(message, index, "4.3.0",
		    "cannot write the success notice log", relay);
		return;
	}
	if (notice) {
		message->ntrace++;
		message->logs |= QMGR_LOG_TRACE;
	}
	qf_rcpt_set_error(rp, "%s", "");
	result_done(message, index, QF_RCPT_FLAG_DELIVERED);
	qmgr.stats.delivery_ok++;
}

void
qmgr_result(QMGR_MESSAGE *message, int index, const char *status,
    const char *action, const char *reason, const char *relay)
{
	QF_RCPT	*rp;
	int	 cls, durable = 0;
	char	 soft[16];

	if (index < 0 || index >= message->qf->nrcpt)
		msg_panic("qmgr_result: %s: bad index %d", message->id, index);
	status = deliver_soft_bounce(status, soft, sizeof(soft));
	if (status == soft && action != NULL && strcmp(action, "failed") == 0)
		action = "delayed";
	rp = &message->qf->rcpt[index];
	cls = status[0];
	rp->attempts++;
	rp->last_attempt = event_time();
	message->rstate[index] = QMGR_RS_FINISHED;
	if (cls == '2') {
		result_success(message, index, status, action ? action :
		    "delivered", reason, relay);
	} else if ((cls == '5' || message->expired)
	    && result_bounce(message, index, status, reason, relay) == 0) {
		;
	} else {
		durable = result_defer(message, index, cls == '5' ? "4.3.0" :
		    status, cls == '5' ? "cannot write the bounce log" : reason,
		    relay);
	}
	qmgr_hoststat(qmgr.hoststats, qmgr_route_domain(rp->address), reason,
	    cls == '2');
	result_host(relay, cls == '2');
	message->rdirty[index] = !durable;
	/* While routing, the routing syncs when it is over (qmgr_message.c). */
	if (message->refcount > 1 && !message->routing)
		qmgr_message_sync(message);
}

void
qmgr_result_log(QMGR_MESSAGE *message, int index, const char *status,
    const char *action, const char *reason, const char *relay)
{
	QF_RCPT	*rp = &message->qf->rcpt[index];
	VSTRING	*line = vstring_alloc(256);
	struct timeval now;
	double	 arrival, active, t;
	const char *what;
	char	 soft[16];

	if ((status = deliver_soft_bounce(status, soft, sizeof(soft))) == soft)
		action = NULL;
	reason = qmgr_text_after_status(reason);
	gettimeofday(&now, NULL);
	arrival = (double)message->qf->arrival
	    + message->qf->arrival_usec / 1e6;
	active = message->active_time.tv_sec
	    + message->active_time.tv_usec / 1e6;
	t = now.tv_sec + now.tv_usec / 1e6;
	vstring_sprintf(line, "%s: to=<%s>, ", message->id, rp->address);
	if (rp->orcpt && *rp->orcpt && strchr(rp->orcpt, ';'))
		vstring_sprintf_append(line, "orig_to=<%s>, ",
		    strchr(rp->orcpt, ';') + 1);
	vstring_sprintf_append(line, "relay=%s, delay=", relay);
	deliver_delay_fmt(line, t - arrival);
	vstring_strcat(line, ", delays=");
	deliver_delay_fmt(line, active - arrival);
	vstring_strcat(line, "/");
	deliver_delay_fmt(line, t - active);
	what = status[0] == '2' ? "sent" : status[0] == '5'
	    || message->expired ? "bounced" : "deferred";
	vstring_sprintf_append(line, "/0/0, dsn=%s, status=%s (%s)", status,
	    what, reason && *reason ? reason : status);
	msg_info("%s", vstring_str(line));
	vstring_free(line);
	if (action == NULL)
		action = status[0] == '2' ? "delivered" : status[0] == '5' ?
		    "failed" : "delayed";
	qmgr_result(message, index, status, action, reason, relay);
}
