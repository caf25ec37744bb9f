/*
 * NAME
 *	qmgr_sched - transports, destination queues and the scheduler
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	QMGR_TRANSPORT *qmgr_transport_find(const char *name, int create);
 *	QMGR_QUEUE *qmgr_queue_find(QMGR_TRANSPORT *transport,
 *		    const char *name, const char *nexthop, int create);
 *	void	qmgr_queue_add(QMGR_QUEUE *queue, QMGR_MESSAGE *message,
 *		    int index);
 *	void	qmgr_queue_unlink(QMGR_ENTRY *entry);
 *	void	qmgr_entry_free(QMGR_ENTRY *entry);
 *	void	qmgr_entry_defer(QMGR_ENTRY *entry, const char *status,
 *		    const char *reason);
 *	void	qmgr_schedule(void);
 *	void	qmgr_sched_run(void);
 *	void	qmgr_sched_feedback(QMGR_ENTRY *entry, int dead,
 *		    const char *reason);
 *	int	qmgr_transport_paused(const QMGR_TRANSPORT *transport);
 *	int	qmgr_sched_feedback_parse(const char *value,
 *		    QMGR_FEEDBACK *fb);
 *	void	qmgr_transport_dead(QMGR_TRANSPORT *transport,
 *		    const char *reason);
 *
 *	void	qmgr_core_on_deliver(int (*fn)(QMGR_ENTRY *entry));
 *	void	qmgr_core_batch_start(QMGR_ENTRY *entry);
 *	int	qmgr_core_update(QMGR_ENTRY *entry, int index,
 *		    const char *status, const char *action,
 *		    const char *reason, const char *relay, int dsn_passed);
 *	void	qmgr_core_batch_done(QMGR_ENTRY *entry, int dead,
 *		    const char *why);
 *	void	qmgr_core_batch_fail(QMGR_ENTRY *entry, const char *why);
 *	void	qmgr_core_hold(QMGR_MESSAGE *message, int index);
 *	void	qmgr_core_pin(QMGR_MESSAGE *message);
 *	void	qmgr_core_unpin(QMGR_MESSAGE *message);
 *	void	qmgr_core_pause(int mda, int paused);
 *	int	qmgr_core_resume_route(int route_id);
 * DESCRIPTION
 *	A transport (smtp, relay, local, ...) has one queue per nexthop,
 *	found by its name: the nexthop, or (a per-recipient route, see
 *	qmgr_message.c) another name with the nexthop that the transport is
 *	given (null: the name). qmgr_queue_add() puts a recipient into the message's newest entry
 *	in that queue, or a new entry when there is none or it holds
 *	*_destination_recipient_limit recipients already: recipients of one
 *	message for one destination travel in one delivery.
 *
 *	qmgr_schedule() asks for a qmgr_sched_run() in the next event loop
 *	round: many requests in one round cost one run.
 *
 *	qmgr_sched_run() starts deliveries round-robin: in each round every
 *	transport that is neither paused (smtpctl pause mta|mda) nor dead
 *	starts at most one delivery, taken from the next queue in its
 *	rotation that has work, is alive, and has fewer deliveries in flight
 *	than its window. Rounds repeat until nothing more can start, so one
 *	busy or dead destination never starves the others.
 *
 *	The window (concurrency) of a queue starts at
 *	initial_destination_concurrency and moves with Postfix's concurrency
 *	feedback, up to *_destination_concurrency_limit:
 *	*_destination_concurrency_positive_feedback (N, N/M or
 *	N/concurrency, 0 to 1) per delivery that did not fail as a whole,
 *	the window growing by one when a whole one has added up;
 *	*_destination_concurrency_negative_feedback per delivery that
 *	failed, or in which the server deferred every recipient, the window
 *	shrinking by one (not below one) at the first of each run of
 *	1/feedback of them. qmgr_sched_feedback_parse() reads such a value.
 *	qmgr_sched_feedback() applies the outcome of a delivery: a
 *	destination that failed as a whole (connection refused, greeting
 *	rejected) *_destination_concurrency_failed_cohort_limit times in a
 *	row is marked dead for minimal_backoff_time, its waiting entries are
 *	deferred with that reason, and new mail for it is deferred without
 *	an attempt until then. destination_concurrency_feedback_debug logs
 *	each step.
 *
 *	*_destination_rate_delay makes the window and limit of each queue of
 *	the transport 1 and holds a queue back for that long after each
 *	delivery; *_transport_rate_delay holds the whole transport to one
 *	delivery at a time and back for that long after each. Both use the
 *	event loop's timers. A transport that defer_transports lists is
 *	marked so (qmgr_message.c then defers its unforced mail).
 *
 *	As a delivery starts, a destination whose waiting and running
 *	entries exceed a fifth of qmgr_message_active_limit is warned about
 *	("mail for X is using up N of M active queue entries", M the
 *	messages in the active queue, as Postfix), at most once per
 *	qmgr_clog_warn_time (0: never) and destination.
 *
 *	qmgr_transport_dead() does the same for a transport that cannot be
 *	reached (private/<transport> missing), for transport_retry_time.
 *
 *	Empty queues that are alive are freed (their route id goes away).
 *
 *	The delivery side (qmgr_deliver.c) sees batches (entries) only
 *	through these functions. It registers with qmgr_core_on_deliver()
 *	the function that the scheduler hands each batch to; that function
 *	returns -1 when no connection slot is free (the batch goes back to
 *	the head of its queue for the next run), else 0, having called
 *	qmgr_core_batch_start() when the request was sent, or
 *	qmgr_core_batch_fail() when the transport is dead (the batch's
 *	recipients are deferred with why). qmgr_core_update() records one
 *	recipient's result (-1 for a recipient the batch does not have or
 *	has had an answer for): the window feedback, the relay a route talks
 *	to, and the recipient's outcome (qmgr_result); dsn_passed says the
 *	next hop took NOTIFY=SUCCESS over. qmgr_core_batch_done() ends a
 *	batch: a destination that failed as a whole (dead, or no recipient
 *	answered by a remote transport) is marked dead, recipients left
 *	without an answer are deferred (why, or "delivery agent did not
 *	report a status"), and a scheduler run follows.
 *
 *	For the control side: qmgr_core_hold() takes a recipient that waits
 *	in a batch out of it (smtpctl pause envelope, remove; one in flight
 *	cannot be recalled); qmgr_core_pin() and qmgr_core_unpin() keep a
 *	message in memory while such changes are made (unpinning may finish
 *	it). qmgr_core_pause() suspends or resumes the mta or mda side
 *	(smtpctl pause|resume mta|mda), qmgr_core_resume_route() revives a
 *	dead route by its id (-1: no such route).
 * DIAGNOSTICS
 *	Panics on inconsistent counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "events.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "qmgr.h"
#include "qmgr_inside.h"

static int
sched_limit(const char *transport, const char *suffix, const char *param,
    long long def)
{
	VSTRING	*name = vstring_alloc(64);
	long long n;

	vstring_sprintf(name, "%s_%s", transport, suffix);
	n = qmgr_conf_int(vstring_str(name), qmgr_conf_int(param, def));
	vstring_free(name);
	return n > 0x7fffffff ? 0x7fffffff : (int)n;
}

/*
 * A per-transport time in seconds: <transport>_<suffix> when set (a
 * value that does not parse was reported by the configuration check;
 * it is warned about again here), else the default_ parameter.
 */
static int
sched_time(const char *transport, const char *suffix, const char *param)
{
	VSTRING	*name = vstring_alloc(64), *why = vstring_alloc(64);
	const char *value;
	long long n = -1;

	vstring_sprintf(name, "%s_%s", transport, suffix);
	if ((value = conf_lookup(vstring_str(name))) != NULL && *value != 0
	    && (conf_parse_time(value, 's', &n, why) < 0 || n < 0)) {
		msg_warn("parameter %s: %s; using %s", vstring_str(name),
		    vstring_str(why), param);
		n = -1;
	}
	if (n < 0)
		n = conf_time(param);
	vstring_free(name);
	vstring_free(why);
	return n < 0 ? 0 : n > 0x7fffffff ? 0x7fffffff : (int)n;
}

/*
 * A concurrency feedback value: "N", "N/M" or "N/concurrency" (case
 * insensitive), between 0 and 1; -1 for anything else.
 */
int
qmgr_sched_feedback_parse(const char *value, QMGR_FEEDBACK *fb)
{
	const char *cp = value;
	char	*end;
	double	 num, den = 1;

	fb->per_window = 0;
	num = strtod(cp, &end);
	if (end == cp)
		return -1;
	for (cp = end; *cp == ' ' || *cp == '\t'; cp++)
		;
	if (*cp == '/') {
		for (cp++; *cp == ' ' || *cp == '\t'; cp++)
			;
		if (strncasecmp(cp, "concurrency", 11) == 0) {
			fb->per_window = 1;
			cp += 11;
		} else {
			den = strtod(cp, &end);
			if (end == cp || !(den > 0))
				return -1;
			cp = end;
		}
	}
	while (*cp == ' ' || *cp == '\t')
		cp++;
	fb->base = num / den;
	if (*cp != 0 || !(fb->base >= 0 && fb->base <= 1))
		return -1;
	return 0;
}

static void
sched_feedback_conf(const char *transport, const char *suffix,
    const char *param, QMGR_FEEDBACK *fb)
{
	VSTRING	*name = vstring_alloc(64);
	const char *value;

	vstring_sprintf(name, "%s_%s", transport, suffix);
	if ((value = conf_lookup(vstring_str(name))) == NULL || *value == 0) {
		vstring_strcpy(name, param);
		value = conf_str(param);
	}
	if (qmgr_sched_feedback_parse(value, fb) < 0) {
		msg_warn("parameter %s: bad value \"%s\" (a number, number/number "
		    "or number/concurrency from 0 to 1); using 1",
		    vstring_str(name), value);
		fb->base = 1;
		fb->per_window = 0;
	}
	vstring_free(name);
}

/* Whether defer_transports lists the transport. */
static int
sched_deferred_transport(const char *name)
{
	ARGV	*list = conf_list("defer_transports");
	size_t	 i;
	int	 found = 0;

	for (i = 0; i < list->argc && !found; i++)
		found = strcmp(list->argv[i], name) == 0;
	argv_free(list);
	return found;
}

QMGR_TRANSPORT *
qmgr_transport_find(const char *name, int create)
{
	QMGR_TRANSPORT *t, **tail;

	for (tail = &qmgr.transports; (t = *tail) != NULL; tail = &t->next)
		if (strcmp(t->name, name) == 0)
			return t;
	if (!create)
		return NULL;
	t = mycalloc(1, sizeof(*t));
	t->name = mystrdup(name);
	t->mda = strcmp(name, qmgr.local_transport) == 0;
	t->dest_limit = sched_limit(name, "destination_concurrency_limit",
	    "default_destination_concurrency_limit", 20);
	t->rcpt_limit = sched_limit(name, "destination_recipient_limit",
	    "default_destination_recipient_limit", 50);
	t->proc_limit = (int)qmgr_conf_int("default_process_limit", 100);
	t->fail_cohort_limit = sched_limit(name,
	    "destination_concurrency_failed_cohort_limit",
	    "default_destination_concurrency_failed_cohort_limit", 1);
	sched_feedback_conf(name, "destination_concurrency_positive_feedback",
	    "default_destination_concurrency_positive_feedback",
	    &t->pos_feedback);
	sched_feedback_conf(name, "destination_concurrency_negative_feedback",
	    "default_destination_concurrency_negative_feedback",
	    &t->neg_feedback);
	t->feedback_debug = conf_bool("destination_concurrency_feedback_debug");
	t->dest_rate_delay = sched_time(name, "destination_rate_delay",
	    "default_destination_rate_delay");
	t->xport_rate_delay = sched_time(name, "transport_rate_delay",
	    "default_transport_rate_delay");
	t->deferred = sched_deferred_transport(name);
	if (t->dest_limit <= 0 || t->dest_limit > t->proc_limit)
		t->dest_limit = t->proc_limit;
	if (t->rcpt_limit <= 0)
		t->rcpt_limit = 1000;
	t->queue_byname = htable_create(16);
	*tail = t;
	return t;
}

QMGR_QUEUE *
qmgr_queue_find(QMGR_TRANSPORT *transport, const char *name,
    const char *nexthop, int create)
{
	QMGR_QUEUE *queue;

	if ((queue = htable_find(transport->queue_byname, name)) != NULL
	    || !create)
		return queue;
	queue = mycalloc(1, sizeof(*queue));
	queue->name = mystrdup(name);
	queue->nexthop = mystrdup(nexthop ? nexthop : name);
	queue->transport = transport;
	queue->route_id = qmgr.next_route_id++;
	queue->limit = transport->dest_limit;
	queue->window = (int)qmgr_conf_int("initial_destination_concurrency", 5);
	if (queue->window < 1)
		queue->window = 1;
	if (transport->dest_rate_delay > 0)
		queue->limit = 1;	/* one delivery at a time, then a pause */
	if (queue->window > queue->limit)
		queue->window = queue->limit;
	queue->prev = transport->queue_tail;
	if (transport->queue_tail)
		transport->queue_tail->next = queue;
	else
		transport->queue_head = queue;
	transport->queue_tail = queue;
	htable_enter(transport->queue_byname, name, queue);
	return queue;
}

static void
queue_free(QMGR_QUEUE *queue)
{
	QMGR_TRANSPORT *t = queue->transport;

	if (t->cursor == queue)
		t->cursor = queue->next;
	if (queue->prev)
		queue->prev->next = queue->next;
	else
		t->queue_head = queue->next;
	if (queue->next)
		queue->next->prev = queue->prev;
	else
		t->queue_tail = queue->prev;
	htable_delete(t->queue_byname, queue->name, NULL);
	myfree(queue->name);
	myfree(queue->nexthop);
	myfree(queue->dead_reason);
	myfree(queue->last_status);
	myfree(queue);
}

static void
queue_maybe_free(QMGR_QUEUE *queue)
{
	if (queue->todo_head == NULL && queue->busy == 0
	    && !queue->rate_wait && queue->dead_until <= event_time())
		queue_free(queue);
}

static QMGR_ENTRY *
entry_alloc(QMGR_QUEUE *queue, QMGR_MESSAGE *message)
{
	QMGR_ENTRY *entry = mycalloc(1, sizeof(*entry));

	entry->message = message;
	entry->queue = queue;
	entry->size = 4;
	entry->rcpt = mycalloc((size_t)entry->size, sizeof(int));
	entry->answered = mycalloc((size_t)entry->size, sizeof(int));
	entry->prev = queue->todo_tail;
	if (queue->todo_tail)
		queue->todo_tail->next = entry;
	else
		queue->todo_head = entry;
	queue->todo_tail = entry;
	queue->todo++;
	message->refcount++;
	return entry;
}

void
qmgr_queue_add(QMGR_QUEUE *queue, QMGR_MESSAGE *message, int index)
{
	QMGR_ENTRY *entry = queue->todo_tail;

	if (entry == NULL || entry->message != message
	    || entry->nrcpt >= queue->transport->rcpt_limit)
		entry = entry_alloc(queue, message);
	if (entry->nrcpt >= entry->size) {
		entry->size *= 2;
		entry->rcpt = myrealloc(entry->rcpt,
		    (size_t)entry->size * sizeof(int));
		entry->answered = myrealloc(entry->answered,
		    (size_t)entry->size * sizeof(int));
	}
	entry->rcpt[entry->nrcpt] = index;
	entry->answered[entry->nrcpt++] = 0;
	queue->todo_rcpt++;
	message->rstate[index] = QMGR_RS_QUEUED;
	message->rentry[index] = entry;
}

void
qmgr_queue_unlink(QMGR_ENTRY *entry)
{
	QMGR_QUEUE *queue = entry->queue;

	if (entry->prev)
		entry->prev->next = entry->next;
	else
		queue->todo_head = entry->next;
	if (entry->next)
		entry->next->prev = entry->prev;
	else
		queue->todo_tail = entry->prev;
	entry->prev = entry->next = NULL;
	queue->todo_rcpt -= entry->nrcpt;
	queue->todo--;
}

/* Free an entry that is in no list; the message may finish. */
void
qmgr_entry_free(QMGR_ENTRY *entry)
{
	QMGR_MESSAGE *message = entry->message;
	QMGR_QUEUE *queue = entry->queue;
	int	 i;

	for (i = 0; i < entry->nrcpt; i++)
		if (message->rentry[entry->rcpt[i]] == entry)
			message->rentry[entry->rcpt[i]] = NULL;
	myfree(entry->rcpt);
	myfree(entry->answered);
	myfree(entry);
	queue_maybe_free(queue);
	qmgr_message_done_entry(message);
}

/* Defer the unanswered recipients of an entry that is in no list. */
void
qmgr_entry_defer(QMGR_ENTRY *entry, const char *status, const char *reason)
{
	int	 i;

	for (i = 0; i < entry->nrcpt; i++)
		if (!entry->answered[i]) {
			entry->answered[i] = 1;
			qmgr_result_log(entry->message, entry->rcpt[i], status,
			    "delayed", reason, "none");
		}
	qmgr_entry_free(entry);
}

/* Defer everything waiting in a queue; the queue itself stays. */
static void
queue_defer_todo(QMGR_QUEUE *queue, const char *status, const char *reason)
{
	QMGR_ENTRY *entry;

	queue->busy++;			/* entry_free must not free the queue */
	while ((entry = queue->todo_head) != NULL) {
		qmgr_queue_unlink(entry);
		qmgr_entry_defer(entry, status, reason);
	}
	queue->busy--;
}

void
qmgr_queue_dead(QMGR_QUEUE *queue, const char *reason)
{
	char	 status[16];
	const char *text = qmgr_text_after_status(reason);
	static const char suspended[] = "delivery temporarily suspended: ";
	char	*old = queue->dead_reason;

	/* What waits for a dead destination is logged as Postfix does. */
	qmgr_status_from_text(reason, "4.4.1", status, sizeof(status));
	if (strncmp(text, suspended, sizeof(suspended) - 1) == 0)
		text += sizeof(suspended) - 1;
	queue->dead_reason = mymalloc(strlen(status) + 1 + sizeof(suspended)
	    + strlen(text));
	sprintf(queue->dead_reason, "%s %s%s", status, suspended, text);
	myfree(old);
	queue->dead_until = event_time() + qmgr.min_backoff;
	queue->penalty++;
	queue->window = 1;
	queue->success = 0;
	queue->pos_credit = queue->neg_credit = 0;
	queue_defer_todo(queue, status, queue->dead_reason);
	event_request_timer(qmgr_sched_revive, NULL,
	    (long long)qmgr.min_backoff * 1000 + 10);
	if (msg_verbose)
		msg_info("scheduler: route %d %s:%s disabled for %ds, penalty %d: %s",
		    queue->route_id, queue->transport->name, queue->name,
		    qmgr.min_backoff, queue->penalty, queue->dead_reason);
}

void
qmgr_transport_dead(QMGR_TRANSPORT *transport, const char *reason)
{
	QMGR_QUEUE *queue, *next;

	transport->dead_until = event_time() + qmgr.retry_time;
	myfree(transport->dead_reason);
	transport->dead_reason = mystrdup(reason);
	msg_warn("transport %s: %s", transport->name, reason);
	for (queue = transport->queue_head; queue; queue = next) {
		next = queue->next;
		queue_defer_todo(queue, "4.3.0", reason);
		queue_maybe_free(queue);
	}
	event_request_timer(qmgr_sched_revive, NULL,
	    (long long)qmgr.retry_time * 1000 + 10);
}

/* A timer: dead routes and transports may come back to life. */
void
qmgr_sched_revive(int event, void *ctx)
{
	QMGR_TRANSPORT *t;
	QMGR_QUEUE *queue, *next;

	for (t = qmgr.transports; t; t = t->next) {
		if (t->dead_until && t->dead_until <= event_time())
			t->dead_until = 0;
		for (queue = t->queue_head; queue; queue = next) {
			next = queue->next;
			if (queue->dead_until && queue->dead_until <=
			    event_time()) {
				queue->dead_until = 0;
				queue_maybe_free(queue);
			}
		}
	}
}

/* smtpctl schedule all: every dead route and transport is alive again. */
void
qmgr_sched_revive_all(void)
{
	QMGR_TRANSPORT *t;
	QMGR_QUEUE *queue;

	for (t = qmgr.transports; t; t = t->next) {
		t->dead_until = 0;
		for (queue = t->queue_head; queue; queue = queue->next)
			queue->dead_until = 0;
	}
	qmgr_sched_revive(0, NULL);
}

/* A rate delay is over: the destination may have its next delivery. */
static void
sched_rate_queue_event(int event, void *ctx)
{
	QMGR_QUEUE *queue = ctx;

	queue->rate_wait = 0;
	if (queue->todo_head != NULL)
		qmgr_schedule();
	else
		queue_maybe_free(queue);
}

static void
sched_rate_transport_event(int event, void *ctx)
{
	QMGR_TRANSPORT *t = ctx;

	t->rate_wait = 0;
	qmgr_schedule();
}

/*
 * After a delivery: *_destination_rate_delay and *_transport_rate_delay
 * keep the next one to the destination (over the transport) back for
 * that long, with a timer: nothing waits in the meantime.
 */
static void
sched_rate_start(QMGR_QUEUE *queue)
{
	QMGR_TRANSPORT *t = queue->transport;

	if (t->dest_rate_delay > 0 && queue->dead_until <= event_time()) {
		queue->rate_wait = 1;
		event_request_timer(sched_rate_queue_event, queue,
		    (long long)t->dest_rate_delay * 1000);
	}
	if (t->xport_rate_delay > 0) {
		t->rate_wait = 1;
		event_request_timer(sched_rate_transport_event, t,
		    (long long)t->xport_rate_delay * 1000);
	}
}

/* The amount of a feedback at the route's current window. */
static double
sched_feedback_value(const QMGR_FEEDBACK *fb, const QMGR_QUEUE *queue)
{
	return fb->per_window ? fb->base / (queue->window > 0 ?
	    queue->window : 1) : fb->base;
}

#define SCHED_CREDIT_FULL	(1 - 1e-9)	/* 3 x 1/3 makes a whole one */

/*
 * Positive feedback (a delivery without a connection or greeting
 * failure): the window grows by one at the end of each run of
 * 1/feedback such deliveries, up to the limit.
 */
static void
sched_up(QMGR_QUEUE *queue)
{
	queue->neg_credit = 0;
	if (queue->window >= queue->limit)
		return;
	queue->pos_credit += sched_feedback_value(
	    &queue->transport->pos_feedback, queue);
	if (queue->pos_credit >= SCHED_CREDIT_FULL) {
		queue->window++;
		queue->pos_credit = 0;
	}
}

/*
 * Negative feedback: the window shrinks by one (not below one) at the
 * start of each run of 1/feedback failures (0: never).
 */
static void
sched_down(QMGR_QUEUE *queue)
{
	double	 fb = sched_feedback_value(&queue->transport->neg_feedback,
	    queue);

	queue->pos_credit = 0;
	if (fb <= 0)
		return;
	if (queue->neg_credit == 0 && queue->window > 1)
		queue->window--;
	queue->neg_credit += fb;
	if (queue->neg_credit >= SCHED_CREDIT_FULL)
		queue->neg_credit = 0;
}

/*
 * A delivery in which the destination failed as a whole (connection or
 * greeting) counts as a failed cohort: when
 * *_destination_concurrency_failed_cohort_limit of them follow one
 * another without a success, the destination is dead (0: never). Short
 * of that, negative feedback. (Postfix counts 1/window of a cohort per
 * failure; the two agree when the window is 1, as with a rate delay, and
 * the default of 1 keeps a destination dead after its first failure, as
 * it always was here.)
 */
static void
sched_failed(QMGR_QUEUE *queue, const char *reason)
{
	int	 limit = queue->transport->fail_cohort_limit;

	if (limit > 0 && ++queue->fail_cohorts >= limit) {
		queue->fail_cohorts = 0;
		qmgr_queue_dead(queue, reason);
		return;
	}
	queue->penalty++;
	queue->success = 0;
	sched_down(queue);
}

void
qmgr_sched_feedback(QMGR_ENTRY *entry, int dead, const char *reason)
{
	QMGR_QUEUE *queue = entry->queue;
	int	 window = queue->window;

	if (queue->busy <= 0 || queue->transport->busy <= 0)
		msg_panic("qmgr_sched_feedback: %s: busy %d, transport %d",
		    queue->name, queue->busy, queue->transport->busy);
	queue->busy--;
	queue->transport->busy--;
	myfree(queue->last_status);
	queue->last_status = mystrdup(reason ? reason : "");
	if (dead) {
		sched_failed(queue, reason);
	} else if (entry->any_ok) {
		queue->penalty = 0;
		queue->fail_cohorts = 0;
		queue->success++;
		sched_up(queue);
	} else {
		/* Every recipient deferred by a server that answered. */
		queue->penalty++;
		queue->success = 0;
		sched_down(queue);
	}
	if (queue->transport->feedback_debug || msg_verbose)
		msg_info("scheduler: route %d %s:%s: %s: window %d -> %d, "
		    "positive %.3g, negative %.3g, failed cohorts %d of %d%s",
		    queue->route_id, queue->transport->name, queue->name,
		    dead ? "failed" : entry->any_ok ? "success" : "deferred",
		    window, queue->window, queue->pos_credit, queue->neg_credit,
		    queue->fail_cohorts, queue->transport->fail_cohort_limit,
		    queue->dead_until > event_time() ? ", dead" : "");
	sched_rate_start(queue);
}

int
qmgr_transport_paused(const QMGR_TRANSPORT *transport)
{
	return transport->mda ? qmgr.paused_mda : qmgr.paused_mta;
}

/* The next queue of a transport that can start a delivery. */
static QMGR_QUEUE *
sched_pick(QMGR_TRANSPORT *t)
{
	QMGR_QUEUE *queue, *start;
	time_t	 now = event_time();

	start = t->cursor ? t->cursor : t->queue_head;
	if ((queue = start) == NULL)
		return NULL;
	do {
		if (queue->todo_head && queue->busy < queue->window
		    && !queue->rate_wait && queue->dead_until <= now) {
			t->cursor = queue->next;
			return queue;
		}
		queue = queue->next ? queue->next : t->queue_head;
	} while (queue != start);
	return NULL;
}

/*
 * sched_clog_warn - qmgr_clog_warn_time: at most once per that interval and
 * destination, warn that its entries (one per message, or per
 * *_destination_recipient_limit recipients) take more than a fifth of
 * qmgr_message_active_limit, in Postfix's words, with a hint at the likely
 * remedy. Called as a delivery starts, only past the threshold.
 */
static void
sched_clog_warn(QMGR_QUEUE *queue)
{
	QMGR_TRANSPORT *t = queue->transport;
	time_t	 now = event_time();
	int	 length = queue->todo + queue->busy;
	double	 share;

	if (now < queue->clog_warn_next)
		return;
	queue->clog_warn_next = now + qmgr.clog_warn_time;
	share = qmgr.nmessages > 0 ? (double)length / qmgr.nmessages : 1.0;
	msg_warn("mail for %s is using up %d of %d active queue entries",
	    queue->nexthop, length, qmgr.nmessages);
	if (share < 0.9)
		msg_warn("this may slow down other mail deliveries");
	if (t->dest_limit > 0 && t->dest_limit <= queue->busy)
		msg_warn("you may need to increase the main.cf "
		    "%s_destination_concurrency_limit from %d", t->name,
		    t->dest_limit);
	else if (queue->window > qmgr.active_limit * share)
		msg_warn("you may need to increase the main.cf "
		    "qmgr_message_active_limit from %d", qmgr.active_limit);
	else if (t->queue_head != t->queue_tail)
		msg_warn("you may need a separate master.cf transport for %s",
		    queue->nexthop);
	else {
		msg_warn("you may need to reduce %s connect and helo timeouts "
		    "so that unreachable hosts are given up on sooner", t->name);
		msg_warn("you may need to increase the main.cf "
		    "minimal_backoff_time and maximal_backoff_time so that "
		    "less time goes to mail that cannot be delivered");
	}
}

/* Start one delivery for a transport; 1 when one started. */
static int
sched_one(QMGR_TRANSPORT *t)
{
	QMGR_QUEUE *queue;
	QMGR_ENTRY *entry;
	int	 rc;

	if (qmgr_transport_paused(t) || t->dead_until > event_time()
	    || (t->xport_rate_delay > 0 && (t->rate_wait || t->busy > 0))
	    || (queue = sched_pick(t)) == NULL)
		return 0;
	if (qmgr.deliver_fn == NULL)
		msg_panic("qmgr_sched_run: no delivery function");
	entry = queue->todo_head;
	qmgr_queue_unlink(entry);
	queue->busy++;
	t->busy++;
	if ((rc = qmgr.deliver_fn(entry)) < 0) {
		/* No connection slot now: put it back, try later. */
		queue->busy--;
		t->busy--;
		entry->next = queue->todo_head;
		if (queue->todo_head)
			queue->todo_head->prev = entry;
		else
			queue->todo_tail = entry;
		queue->todo_head = entry;
		queue->todo_rcpt += entry->nrcpt;
		queue->todo++;
		return 0;
	}
	if (qmgr.clog_warn_time > 0
	    && queue->todo + queue->busy > qmgr.active_limit / 5)
		sched_clog_warn(queue);
	/* smtpctl trace scheduler (or log verbose): each decision. */
	if (msg_verbose)
		msg_info("scheduler: %s: %d recipient%s to %s:%s (route %d, %d in "
		    "flight, window %d, %d waiting)", entry->message->id,
		    entry->nrcpt, entry->nrcpt == 1 ? "" : "s", t->name,
		    queue->name, queue->route_id, queue->busy, queue->window,
		    queue->todo_rcpt);
	return 1;
}

static void
sched_event(int event, void *ctx)
{
	qmgr_sched_run();
}

void
qmgr_schedule(void)
{
	event_request_timer(sched_event, NULL, 0);
}

void
qmgr_sched_run(void)
{
	QMGR_TRANSPORT *t;
	int	 progress;

	do {
		progress = 0;
		for (t = qmgr.transports; t; t = t->next)
			progress += sched_one(t);
	} while (progress);
}

void
qmgr_core_on_deliver(int (*fn)(QMGR_ENTRY *))
{
	qmgr.deliver_fn = fn;
}

void
qmgr_core_batch_start(QMGR_ENTRY *entry)
{
	QMGR_MESSAGE *message = entry->message;
	int	 i;

	entry->inflight = 1;
	for (i = 0; i < entry->nrcpt; i++) {
		message->rstate[entry->rcpt[i]] = QMGR_RS_INFLIGHT;
		message->rsince[entry->rcpt[i]] = event_time();
	}
}

int
qmgr_core_update(QMGR_ENTRY *entry, int index, const char *status,
    const char *action, const char *reason, const char *relay,
    int dsn_passed)
{
	char	 st[16];
	int	 i;

	for (i = 0; i < entry->nrcpt; i++)
		if (entry->rcpt[i] == index && !entry->answered[i])
			break;
	if (i >= entry->nrcpt)
		return -1;
	entry->answered[i] = 1;
	qmgr_status_from_text(status, "4.3.0", st, sizeof(st));
	if (st[0] == '2' && dsn_passed)
		/* The next hop took NOTIFY=SUCCESS over: no notice from us. */
		entry->message->qf->rcpt[index].notify &= ~QF_NOTIFY_SUCCESS;
	if (st[0] != '4')
		entry->any_ok = 1;
	if (relay && *relay && strcmp(relay, "none") != 0) {
		entry->any_relay = 1;
		/* smtpctl show hosts/relays: which host this route talks to. */
		qmgr_relay_note(entry->queue, relay);
	}
	qmgr_result(entry->message, index, st, action, reason ? reason : st,
	    relay ? relay : "none");
	return 0;
}

void
qmgr_core_batch_done(QMGR_ENTRY *entry, int dead, const char *why)
{
	const char *last = why;
	int	 i;

	for (i = 0; i < entry->nrcpt && last == NULL; i++)
		last = entry->message->qf->rcpt[entry->rcpt[i]].last_error;
	if (!dead && !entry->any_ok && !entry->any_relay && why == NULL
	    && !entry->queue->transport->mda)
		dead = 1;		/* nobody answered at all */
	qmgr_sched_feedback(entry, dead, last);
	qmgr_entry_defer(entry, "4.3.0", why ? why :
	    "delivery agent did not report a status");
	qmgr_schedule();
}

void
qmgr_core_batch_fail(QMGR_ENTRY *entry, const char *why)
{
	entry->queue->busy--;
	entry->queue->transport->busy--;
	qmgr_entry_defer(entry, "4.3.0", why);
}

void
qmgr_core_hold(QMGR_MESSAGE *message, int index)
{
	QMGR_ENTRY *entry = message->rentry[index];
	int	 j;

	if (entry == NULL || entry->inflight)
		return;
	for (j = 0; j < entry->nrcpt && entry->rcpt[j] != index; j++)
		;
	if (j >= entry->nrcpt)
		return;
	memmove(entry->rcpt + j, entry->rcpt + j + 1,
	    (size_t)(entry->nrcpt - j - 1) * sizeof(int));
	memmove(entry->answered + j, entry->answered + j + 1,
	    (size_t)(entry->nrcpt - j - 1) * sizeof(int));
	entry->nrcpt--;
	entry->queue->todo_rcpt--;
	message->rstate[index] = QMGR_RS_IDLE;
	message->rentry[index] = NULL;
	if (entry->nrcpt == 0) {
		qmgr_queue_unlink(entry);
		qmgr_entry_free(entry);
	}
}

void
qmgr_core_pin(QMGR_MESSAGE *message)
{
	message->refcount++;
}

void
qmgr_core_unpin(QMGR_MESSAGE *message)
{
	qmgr_message_done_entry(message);
}

void
qmgr_core_pause(int mda, int paused)
{
	if (mda)
		qmgr.paused_mda = paused;
	else
		qmgr.paused_mta = paused;
	qmgr_schedule();
}

int
qmgr_core_resume_route(int route_id)
{
	QMGR_TRANSPORT *t;
	QMGR_QUEUE *queue;

	for (t = qmgr.transports; t; t = t->next)
		for (queue = t->queue_head; queue; queue = queue->next)
			if (queue->route_id == route_id) {
				queue->dead_until = 0;
				queue->penalty = 0;
				qmgr_schedule();
				return 0;
			}
	return -1;
}
