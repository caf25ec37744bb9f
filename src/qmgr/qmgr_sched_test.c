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
 *	free, pause and resume, holding a waiting recipient, and a result
 *	for a recipient the batch does not have.
 * DIAGNOSTICS
 *	ptest.h output; exit status 1 on failure.
 */
#include <stdio.h>
#include <string.h>

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
	return qmgr_queue_find(qmgr_transport_find(transport, 1), nexthop, 1);
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
	PT_ASSERT(qmgr_queue_find(qmgr_transport_find("t6", 0), "e.test", 0)
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

int
main(void)
{
	qmgr.local_transport = "local";
	qmgr.active_limit = 100;
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
	return PT_DONE();
}
