/*
 * NAME
 *	qmgr_sched_test - unit tests for the scheduler core, without files
 * SYNOPSIS
 *	qmgr_sched_test
 * DESCRIPTION
 *	The scheduler hands its batches to the function the delivery side
 *	registers (qmgr_core_on_deliver): here a fake that records them, so
 *	the core is tested alone. Messages are made in memory and stay
 *	pinned (qmgr_core_pin), so no queue file is touched. Batches and
 *	the recipient limit, the window of a destination, round robin
 *	between destinations, a batch put back when no connection slot is
 *	free, pause and resume, holding a waiting recipient, a result
 *	for a recipient the batch does not have, the destination and
 *	transport rate delays (their timers run in the real event loop),
 *	the failed cohort limit, the positive and negative concurrency
 *	feedback, defer_transports, and the room that
 *	qmgr_message_recipient_limit leaves.
 * DIAGNOSTICS
 *	ptest.h output; exit status 1 on failure.
 */
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "mail_conf.h"
#include "mymalloc.h"
#include "ptest.h"
#include "qmgr.h"
#include "qmgr_inside.h"

#define MAX_HANDED	256

static QMGR_ENTRY *handed[MAX_HANDED];
static int nhanded;
static int no_slot;

static int
fake_deliver(QMGR_ENTRY *entry)
{
	if (no_slot)
		return -1;
	if (nhanded < MAX_HANDED)
		handed[nhanded++] = entry;
	qmgr_core_batch_start(entry);
	return 0;
}

/* A message in memory with nrcpt recipients, pinned. */
static QMGR_MESSAGE *
msg_new(int nrcpt)
{
	static unsigned serial;
	QMGR_MESSAGE *m = mycalloc(1, sizeof(*m));
	QF_MSG	*qf = mycalloc(1, sizeof(*qf));
	size_t	 n = (size_t)nrcpt;

	snprintf(qf->id, sizeof(qf->id), "%08x", ++serial);
	memcpy(m->id, qf->id, sizeof(m->id));
	qf->sender = mystrdup("s@test");
	qf->nrcpt = nrcpt;
	qf->rcpt = mycalloc(n, sizeof(*qf->rcpt));
	m->qf = qf;
	m->rstate = mycalloc(n, sizeof(*m->rstate));
	m->rsince = mycalloc(n, sizeof(*m->rsince));
	m->rentry = mycalloc(n, sizeof(*m->rentry));
	m->rdirty = mycalloc(n, sizeof(*m->rdirty));
	qmgr_core_pin(m);
	return m;
}

static QMGR_QUEUE *
queue(const char *transport, const char *nexthop)
{
	return qmgr_queue_find(qmgr_transport_find(transport, 1), nexthop, NULL,
	    1);
}

/* Batches handed to transport t since index from. */
static int
count_handed(int from, const char *t)
{
	int	 i, n = 0;

	for (i = from; i < nhanded; i++)
		n += strcmp(handed[i]->queue->transport->name, t) == 0;
	return n;
}

PTEST(batches_and_recipient_limit)
{
	QMGR_QUEUE *q = queue("t1", "a.test");
	QMGR_MESSAGE *m = msg_new(120);
	int	 i;

	for (i = 0; i < 120; i++)
		qmgr_queue_add(q, m, i);
	PT_INTEQ(q->todo_rcpt, 120);
	/* default_destination_recipient_limit: 50 per batch. */
	PT_INTEQ(q->todo_head->nrcpt, 50);
	PT_INTEQ(q->todo_head->next->nrcpt, 50);
	PT_INTEQ(q->todo_tail->nrcpt, 20);
	PT_INTEQ(m->rstate[7], QMGR_RS_QUEUED);
	PT_ASSERT(m->rentry[119] == q->todo_tail);
}

PTEST(window_limits_concurrency)
{
	QMGR_QUEUE *q = queue("t2", "b.test");
	int	 i, from = nhanded;

	for (i = 0; i < 8; i++)
		qmgr_queue_add(q, msg_new(1), 0);
	qmgr_sched_run();
	/* initial_destination_concurrency: 5 in flight, 3 wait. */
	PT_INTEQ(count_handed(from, "t2"), q->window);
	PT_INTEQ(q->busy, q->window);
	PT_INTEQ(q->todo_rcpt, 8 - q->window);
	PT_ASSERT(handed[from]->inflight);
	PT_INTEQ(handed[from]->message->rstate[0], QMGR_RS_INFLIGHT);
}

PTEST(round_robin_between_destinations)
{
	QMGR_QUEUE *a = queue("t3", "a.test"), *b = queue("t3", "b.test");
	int	 i, from = nhanded;

	for (i = 0; i < 3; i++) {
		qmgr_queue_add(a, msg_new(1), 0);
		qmgr_queue_add(b, msg_new(1), 0);
	}
	qmgr_sched_run();
	PT_INTEQ(count_handed(from, "t3"), 6);
	for (i = from; i + 1 < nhanded; i++)
		PT_ASSERT(handed[i]->queue != handed[i + 1]->queue);
}

PTEST(no_slot_puts_the_batch_back)
{
	QMGR_QUEUE *q = queue("t4", "c.test");
	QMGR_MESSAGE *m = msg_new(2);
	QMGR_ENTRY *first;
	int	 from = nhanded;

	qmgr_queue_add(q, m, 0);
	qmgr_queue_add(q, msg_new(1), 0);
	first = q->todo_head;
	no_slot = 1;
	qmgr_sched_run();
	no_slot = 0;
	PT_INTEQ(count_handed(from, "t4"), 0);
	PT_INTEQ(q->busy, 0);
	PT_INTEQ(q->todo_rcpt, 2);
	PT_ASSERT(q->todo_head == first);
	qmgr_sched_run();
	PT_INTEQ(count_handed(from, "t4"), 2);
	PT_ASSERT(handed[from] == first);
}

PTEST(pause_and_resume)
{
	QMGR_QUEUE *q = queue("t5", "d.test");
	int	 from = nhanded;

	qmgr_core_pause(0, 1);
	qmgr_queue_add(q, msg_new(1), 0);
	qmgr_sched_run();
	PT_INTEQ(count_handed(from, "t5"), 0);
	qmgr_core_pause(0, 0);
	qmgr_sched_run();
	PT_INTEQ(count_handed(from, "t5"), 1);
}

PTEST(hold_takes_a_waiting_recipient_out)
{
	QMGR_QUEUE *q = queue("t6", "e.test");
	QMGR_MESSAGE *m = msg_new(3);
	QMGR_ENTRY *entry;
	int	 i, refs;

	qmgr_core_pause(0, 1);		/* nothing leaves while we look */
	for (i = 0; i < 3; i++)
		qmgr_queue_add(q, m, i);
	entry = q->todo_head;
	qmgr_core_hold(m, 1);
	PT_INTEQ(entry->nrcpt, 2);
	PT_INTEQ(entry->rcpt[0], 0);
	PT_INTEQ(entry->rcpt[1], 2);
	PT_INTEQ(q->todo_rcpt, 2);
	PT_INTEQ(m->rstate[1], QMGR_RS_IDLE);
	PT_ASSERT(m->rentry[1] == NULL);
	/*
	 * Holding the last ones frees the batch (and the queue, now empty:
	 * not looked at again); the pin keeps m.
	 */
	refs = m->refcount;
	qmgr_core_hold(m, 0);
	qmgr_core_hold(m, 2);
	PT_INTEQ(m->refcount, refs - 1);
	PT_ASSERT(m->rentry[0] == NULL && m->rentry[2] == NULL);
	PT_ASSERT(qmgr_queue_find(qmgr_transport_find("t6", 0), "e.test", NULL, 0)
	    == NULL);
	qmgr_core_pause(0, 0);
}

PTEST(update_for_a_recipient_the_batch_has_not)
{
	QMGR_QUEUE *q = queue("t7", "f.test");
	QMGR_MESSAGE *m = msg_new(2);
	int	 from = nhanded;

	qmgr_queue_add(q, m, 0);
	qmgr_sched_run();
	PT_INTEQ(count_handed(from, "t7"), 1);
	PT_INTEQ(qmgr_core_update(handed[from], 1, "2.0.0", "delivered",
	    "ok", "none", 0), -1);
	PT_INTEQ(handed[from]->answered[0], 0);
}

/* A batch is over: the scheduler's feedback, as qmgr_core_batch_done. */
static void
finish(QMGR_ENTRY *entry, int ok, int dead)
{
	entry->any_ok = ok;
	qmgr_sched_feedback(entry, dead, dead ? "4.4.1 connection refused" :
	    "2.0.0 ok");
}

/* Run the event loop until cond holds, for 5 seconds at most. */
#define LOOP_UNTIL(cond) do { \
	int	 rounds_; \
	for (rounds_ = 0; rounds_ < 50 && !(cond); rounds_++) \
		(void)event_loop(100); \
} while (0)

PTEST(destination_rate_delay)
{
	QMGR_QUEUE *q = queue("t8", "g.test"), *other = queue("t8", "h.test");
	int	 from = nhanded;

	/* One delivery at a time, whatever the window would be. */
	PT_INTEQ(q->transport->dest_rate_delay, 1);
	PT_INTEQ(q->limit, 1);
	PT_INTEQ(q->window, 1);
	qmgr_queue_add(q, msg_new(1), 0);
	qmgr_queue_add(q, msg_new(1), 0);
	qmgr_queue_add(other, msg_new(1), 0);
	qmgr_sched_run();
	PT_INTEQ(count_handed(from, "t8"), 2);	/* one per destination */
	PT_ASSERT(handed[from]->queue == q);
	finish(handed[from], 1, 0);
	/* The pause: nothing to g.test, not even with a free window. */
	PT_ASSERT(q->rate_wait);
	qmgr_sched_run();
	PT_INTEQ(count_handed(from, "t8"), 2);
	LOOP_UNTIL(!q->rate_wait && count_handed(from, "t8") == 3);
	PT_ASSERT(!q->rate_wait);
	PT_INTEQ(count_handed(from, "t8"), 3);
	PT_ASSERT(handed[nhanded - 1]->queue == q);
}

PTEST(transport_rate_delay)
{
	QMGR_QUEUE *a = queue("t9", "a.test"), *b = queue("t9", "b.test");
	QMGR_TRANSPORT *t = a->transport;
	int	 from = nhanded;

	PT_INTEQ(t->xport_rate_delay, 1);
	PT_INTEQ(t->dest_rate_delay, 0);
	qmgr_queue_add(a, msg_new(1), 0);
	qmgr_queue_add(b, msg_new(1), 0);
	qmgr_sched_run();
	/* One delivery over the transport at a time, any destination. */
	PT_INTEQ(count_handed(from, "t9"), 1);
	PT_INTEQ(t->busy, 1);
	finish(handed[from], 1, 0);
	PT_INTEQ(t->busy, 0);
	PT_ASSERT(t->rate_wait);
	qmgr_sched_run();
	PT_INTEQ(count_handed(from, "t9"), 1);
	LOOP_UNTIL(count_handed(from, "t9") == 2);
	PT_INTEQ(count_handed(from, "t9"), 2);
	PT_ASSERT(handed[nhanded - 1]->queue != handed[from]->queue);
}

PTEST(zero_delays_change_nothing)
{
	QMGR_QUEUE *q = queue("t10", "i.test");
	int	 i, from = nhanded;

	PT_INTEQ(q->transport->dest_rate_delay, 0);
	PT_INTEQ(q->transport->xport_rate_delay, 0);
	for (i = 0; i < 3; i++)
		qmgr_queue_add(q, msg_new(1), 0);
	qmgr_sched_run();
	PT_INTEQ(count_handed(from, "t10"), 3);
	finish(handed[from], 1, 0);
	PT_ASSERT(!q->rate_wait && !q->transport->rate_wait);
}

PTEST(failed_cohort_limit)
{
	QMGR_QUEUE *q = queue("t11", "j.test");
	int	 i, from = nhanded;

	PT_INTEQ(q->transport->fail_cohort_limit, 2);
	q->window = q->limit = 1;		/* one batch at a time */
	for (i = 0; i < 4; i++)
		qmgr_queue_add(q, msg_new(1), 0);
	/* A failed cohort, then a success: the count starts again. */
	qmgr_sched_run();
	finish(handed[nhanded - 1], 0, 1);
	PT_ASSERT(q->dead_until == 0);
	PT_INTEQ(q->fail_cohorts, 1);
	qmgr_sched_run();
	finish(handed[nhanded - 1], 1, 0);
	PT_INTEQ(q->fail_cohorts, 0);
	/* Two failed cohorts in a row: dead. */
	qmgr_sched_run();
	finish(handed[nhanded - 1], 0, 1);
	PT_ASSERT(q->dead_until == 0);
	qmgr_sched_run();
	PT_INTEQ(count_handed(from, "t11"), 4);
	finish(handed[nhanded - 1], 0, 1);
	PT_ASSERT(q->dead_until > 0);
	/* The default of 1: dead at once, whatever the window. */
	q = queue("t12", "k.test");
	qmgr_queue_add(q, msg_new(1), 0);
	qmgr_sched_run();
	finish(handed[nhanded - 1], 0, 1);
	PT_ASSERT(q->dead_until > 0);
}

PTEST(feedback_values)
{
	QMGR_FEEDBACK fb;

	PT_INTEQ(qmgr_sched_feedback_parse("1", &fb), 0);
	PT_ASSERT(fb.base == 1 && !fb.per_window);
	PT_INTEQ(qmgr_sched_feedback_parse("1/8", &fb), 0);
	PT_ASSERT(fb.base == 0.125 && !fb.per_window);
	PT_INTEQ(qmgr_sched_feedback_parse("1/concurrency", &fb), 0);
	PT_ASSERT(fb.base == 1 && fb.per_window);
	PT_INTEQ(qmgr_sched_feedback_parse(" 1 / Concurrency ", &fb), 0);
	PT_ASSERT(fb.per_window);
	PT_INTEQ(qmgr_sched_feedback_parse("0", &fb), 0);
	PT_ASSERT(fb.base == 0);
	PT_INTEQ(qmgr_sched_feedback_parse("2", &fb), -1);
	PT_INTEQ(qmgr_sched_feedback_parse("1/0", &fb), -1);
	PT_INTEQ(qmgr_sched_feedback_parse("-1", &fb), -1);
	PT_INTEQ(qmgr_sched_feedback_parse("nan", &fb), -1);
	PT_INTEQ(qmgr_sched_feedback_parse("1/8x", &fb), -1);
	PT_INTEQ(qmgr_sched_feedback_parse("", &fb), -1);
	PT_INTEQ(qmgr_sched_feedback_parse("1/", &fb), -1);
}

/* n batches handed to t at once; their first index in handed[]. */
static int
hand(QMGR_QUEUE *q, int n)
{
	int	 i, from = nhanded;

	for (i = 0; i < n; i++)
		qmgr_queue_add(q, msg_new(1), 0);
	qmgr_sched_run();
	return from;
}

PTEST(positive_feedback)
{
	QMGR_QUEUE *q = queue("t14", "l.test");
	int	 i, from;

	/* Postfix's default, 1: one step up per success. */
	PT_INTEQ(q->window, 5);
	from = hand(q, 3);
	PT_INTEQ(count_handed(from, "t14"), 3);
	for (i = 0; i < 3; i++)
		finish(handed[from + i], 1, 0);
	PT_INTEQ(q->window, 8);
	/* 1/concurrency: one step up after as many successes as the window. */
	q = queue("t15", "m.test");
	from = hand(q, 5);
	for (i = 0; i < 4; i++)
		finish(handed[from + i], 1, 0);
	PT_INTEQ(q->window, 5);
	finish(handed[from + 4], 1, 0);
	PT_INTEQ(q->window, 6);
}

PTEST(negative_feedback)
{
	QMGR_QUEUE *q = queue("t16", "n.test");
	int	 i, from;

	/* 1/4, never dead: down at the first of each run of four. */
	PT_INTEQ(q->transport->fail_cohort_limit, 0);
	from = hand(q, 5);
	PT_INTEQ(count_handed(from, "t16"), 5);
	finish(handed[from], 0, 1);
	PT_INTEQ(q->window, 4);
	for (i = 1; i < 4; i++)
		finish(handed[from + i], 0, 1);
	PT_INTEQ(q->window, 4);
	finish(handed[from + 4], 0, 1);
	PT_INTEQ(q->window, 3);
	PT_ASSERT(q->dead_until == 0);
	/* A success ends the run: the next failure steps down at once. */
	from = hand(q, 2);
	finish(handed[from], 1, 0);
	finish(handed[from + 1], 0, 1);
	PT_INTEQ(q->window, 3);		/* up to 4 with the success, down */
}

PTEST(recipient_limit_bounds_room)
{
	int	 nmessages = qmgr.nmessages;
	long long nrcpt = qmgr.nrcpt, limit = qmgr.rcpt_limit;

	qmgr.rcpt_limit = 10;
	qmgr.nmessages = 1;
	qmgr.nrcpt = 9;
	PT_ASSERT(qmgr_core_room());
	qmgr.nrcpt = 10;
	PT_ASSERT(!qmgr_core_room());
	/* Alone, a message bigger than the limit still comes in. */
	qmgr.nmessages = 0;
	qmgr.nrcpt = 0;
	PT_ASSERT(qmgr_core_room());
	qmgr.nmessages = nmessages;
	qmgr.nrcpt = nrcpt;
	qmgr.rcpt_limit = limit;
}

PTEST(defer_transports_flag)
{
	PT_ASSERT(qmgr_transport_find("t13", 1)->deferred);
	PT_ASSERT(!qmgr_transport_find("t1", 1)->deferred);
}

int
main(void)
{
	mail_conf_override("t8_destination_rate_delay", "1s");
	mail_conf_override("t9_transport_rate_delay", "1");
	mail_conf_override("t11_destination_concurrency_failed_cohort_limit",
	    "2");
	mail_conf_override("defer_transports", "t0, t13");
	mail_conf_override("t15_destination_concurrency_positive_feedback",
	    "1/concurrency");
	mail_conf_override("t16_destination_concurrency_negative_feedback",
	    "1/4");
	mail_conf_override("t16_destination_concurrency_failed_cohort_limit",
	    "0");
	qmgr.local_transport = "local";
	qmgr.active_limit = 100;
	qmgr.rcpt_limit = 20000;
	qmgr.min_backoff = 300;
	qmgr.hoststats = htable_create(8);
	qmgr.hosts = htable_create(8);
	qmgr.next_route_id = 1;
	qmgr_core_on_deliver(fake_deliver);
	PT_RUN(batches_and_recipient_limit);
	PT_RUN(window_limits_concurrency);
	PT_RUN(round_robin_between_destinations);
	PT_RUN(no_slot_puts_the_batch_back);
	PT_RUN(pause_and_resume);
	PT_RUN(hold_takes_a_waiting_recipient_out);
	PT_RUN(update_for_a_recipient_the_batch_has_not);
	PT_RUN(destination_rate_delay);
	PT_RUN(transport_rate_delay);
	PT_RUN(zero_delays_change_nothing);
	PT_RUN(failed_cohort_limit);
	PT_RUN(feedback_values);
	PT_RUN(positive_feedback);
	PT_RUN(negative_feedback);
	PT_RUN(recipient_limit_bounds_room);
	PT_RUN(defer_transports_flag);
	return PT_DONE();
}
