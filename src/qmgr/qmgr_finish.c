/*
 * NAME
 *	qmgr_finish - a message leaves active/
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	void	qmgr_message_finish(QMGR_MESSAGE *message);
 * DESCRIPTION
 *	qmgr_message_finish() is called when no entry of message is left.
 *	First the notifications: a non-delivery report when the bounce log
 *	exists, a success notice when the trace log exists, and a delay
 *	warning for deferred recipients once the message is older than
 *	delay_warning_time (one per recipient: the queue file remembers
 *	it). Then:
 * .IP \(bu
 *	every recipient done and every notification sent: the queue file
 *	and its logs are removed, "<id>: removed" is logged;
 * .IP \(bu
 *	otherwise the file's modification time is set to the earliest next
 *	attempt of its pending recipients and it moves to deferred/, where
 *	the deferred queue scan finds it when that time comes.
 * .PP
 *	The notifications are asked of the bounce service one after the
 *	other without waiting for it (qmgr.bounce->request(), the
 *	outside's bounce client, qmgr_bounce.c): the event
 *	loop goes on meanwhile, and the message, still in memory and in
 *	active/, holds a reference while a request is out so that nothing
 *	else (smtpctl on the envelope) finishes it twice. The rest happens
 *	when the last reply is in. A message whose notification could not
 *	be handed to the bounce service, or that the service failed to
 *	write or did not answer within qmgr_ipc_timeout, stays in the queue
 *	(deferred) even when every recipient is done, so the notification
 *	is retried and never lost.
 * DIAGNOSTICS
 *	Warnings when a file cannot be moved or removed; a message that
 *	cannot be moved stays in active/ and is recovered at the next
 *	start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events.h"
#include "msg.h"
#include "mymalloc.h"
#include "qmgr.h"
#include "qmgr_inside.h"

/*
 * The notifications of a finishing message, asked of the bounce service
 * one after the other without waiting (qmgr_bounce.c): while a request is
 * out, the message holds one reference so that nothing else finishes it.
 */
typedef struct FINISH {
	QMGR_MESSAGE *message;
	int	 step;			/* FINISH_* asked last */
	int	 failed;		/* a notice must be retried */
	int	*list;			/* delay warning: recipients */
	int	 n;
} FINISH;

#define FINISH_START	0
#define FINISH_FLUSH	1		/* non-delivery report */
#define FINISH_TRACE	2		/* success notice */
#define FINISH_WARN	3		/* delay warning */

static void finish_step(FINISH *);
static void finish_done(QMGR_MESSAGE *, int);

/* A reply from the bounce service (or its failure). */
static void
finish_reply(int status, void *ctx)
{
	FINISH	*fin = ctx;
	QMGR_MESSAGE *message = fin->message;
	int	 i;

	message->refcount--;
	if (fin->step == FINISH_WARN && status == 0) {
		for (i = 0; i < fin->n; i++) {
			message->qf->rcpt[fin->list[i]].flags |=
			    QF_RCPT_FLAG_WARNED;
			if (qf_update_rcpt(message->qf, fin->list[i]) < 0)
				msg_warn("%s: cannot update recipient %d: %m",
				    message->id, fin->list[i]);
		}
	} else if (fin->step != FINISH_WARN && status < 0)
		fin->failed = 1;
	finish_step(fin);
}

/* Ask for one notification; 1 when a reply will follow. */
static int
finish_ask(FINISH *fin, int step, int notice)
{
	fin->step = step;
	if (qmgr.bounce->request(fin->message, notice, fin->list, fin->n,
	    finish_reply, fin) < 0) {
		if (step != FINISH_WARN)
			fin->failed = 1;
		return 0;
	}
	fin->message->refcount++;
	return 1;
}

/* A delay warning for recipients that want one and had none. */
static void
finish_warn_list(FINISH *fin)
{
	QF_MSG	*qf = fin->message->qf;
	QF_RCPT	*rp;
	int	 i;

	if (qmgr.delay_warning <= 0 || *qf->sender == 0
	    || event_time() < qf->arrival + qmgr.delay_warning)
		return;
	fin->list = mycalloc((size_t)qf->nrcpt + 1, sizeof(int));
	for (i = 0; i < qf->nrcpt; i++) {
		rp = &qf->rcpt[i];
		if (rp->status == QF_RCPT_DONE || rp->attempts == 0
		    || (rp->flags & (QF_RCPT_FLAG_WARNED | QF_RCPT_FLAG_HELD))
		    || (rp->notify && !(rp->notify & QF_NOTIFY_DELAY)))
			continue;
		fin->list[fin->n++] = i;
	}
}

/* The next notification, or the end. */
static void
finish_step(FINISH *fin)
{
	QMGR_MESSAGE *message = fin->message;
	int	 failed;

	switch (fin->step) {
	case FINISH_START:
		if ((message->logs & QMGR_LOG_BOUNCE)
		    && finish_ask(fin, FINISH_FLUSH, QMGR_NOTICE_FAILED))
			return;
		/* FALLTHROUGH */
	case FINISH_FLUSH:
		if ((message->logs & QMGR_LOG_TRACE)
		    && finish_ask(fin, FINISH_TRACE, QMGR_NOTICE_SUCCESS))
			return;
		/* FALLTHROUGH */
	case FINISH_TRACE:
		if (message->nexpired > 0)
			msg_info("%s: from=<%s>, status=expired, returned to "
			    "sender", message->id, message->qf->sender);
		finish_warn_list(fin);
		if (fin->n > 0 && finish_ask(fin, FINISH_WARN, QMGR_NOTICE_DELAY))
			return;
		/* FALLTHROUGH */
	default:
		break;
	}
	failed = fin->failed;
	if (fin->list)
		myfree(fin->list);
	myfree(fin);
	finish_done(message, failed);
}

static void
finish_remove(QMGR_MESSAGE *message)
{
	qf_close(message->qf);
	message->qf = NULL;
	if (qf_remove(qmgr.queue_dir, QF_ACTIVE, message->id) < 0
	    && errno != ENOENT) {
		msg_warn("%s: cannot remove queue file: %m", message->id);
		return;
	}
	if (message->logs)
		qmgr.bounce->remove(message->id, message->logs);
	msg_info("%s: removed", message->id);
}

/* The earliest next attempt of a pending recipient. */
static time_t
finish_next(QMGR_MESSAGE *message, int failed)
{
	QF_MSG	*qf = message->qf;
	time_t	 next = 0, now = event_time(), t;
	int	 i, held = 0;

	for (i = 0; i < qf->nrcpt; i++) {
		if (qf->rcpt[i].status == QF_RCPT_DONE)
			continue;
		if (qf->rcpt[i].flags & QF_RCPT_FLAG_HELD) {
			held = 1;
			continue;
		}
		t = qf->rcpt[i].next_attempt;
		if (t <= now)
			t = now + qmgr.min_backoff;
		if (next == 0 || t < next)
			next = t;
	}
	if (next == 0)
		next = now + (held ? qmgr.max_backoff : qmgr.min_backoff);
	if (failed && next > now + qmgr.min_backoff)
		next = now + qmgr.min_backoff;
	return next;
}

static void
finish_defer(QMGR_MESSAGE *message, int failed)
{
	VSTRING	*path = vstring_alloc(128);
	struct timespec ts[2];
	time_t	 next = finish_next(message, failed);

	vstring_sprintf(path, "%s/%s/%s", qmgr.queue_dir, QF_ACTIVE,
	    message->id);
	ts[0].tv_sec = ts[1].tv_sec = next;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (utimensat(AT_FDCWD, vstring_str(path), ts, 0) < 0)
		msg_warn("%s: cannot set the next attempt time: %m",
		    message->id);
	qmgr_flush_add(message->id, message->qf);
	if (msg_verbose)
		msg_info("scheduler: %s: deferred, next attempt in %lds", message->id,
		    (long)(next - event_time()));
	qf_close(message->qf);
	message->qf = NULL;
	if (qf_move(qmgr.queue_dir, QF_ACTIVE, QF_DEFERRED, message->id) < 0)
		msg_warn("%s: cannot move to %s/: %m", message->id,
		    QF_DEFERRED);
	else
		htable_enter(qmgr.deferred, message->id,
		    (void *)(intptr_t)next);
	vstring_free(path);
}

static void
finish_free(QMGR_MESSAGE *message)
{
	if (message->prev)
		message->prev->next = message->next;
	else
		qmgr.msg_head = message->next;
	if (message->next)
		message->next->prev = message->prev;
	else
		qmgr.msg_tail = message->prev;
	htable_delete(qmgr.msg_byid, message->id, NULL);
	qmgr.nmessages--;
	qmgr.nrcpt -= message->nrcpt;
	myfree(message->rstate);
	myfree(message->rsince);
	myfree(message->rentry);
	myfree(message->rdirty);
	myfree(message);
}

void
qmgr_message_finish(QMGR_MESSAGE *message)
{
	FINISH	*fin;

	/*
	 * Before a notification goes out, the recipients' states are made
	 * durable: a crash before the file is removed must not make anyone
	 * (the next qmgr, a delivery agent recording what it sent,
	 * deliver_reply(3)) take the results again and notify twice.
	 */
	if (message->logs & (QMGR_LOG_BOUNCE | QMGR_LOG_TRACE))
		qmgr_message_sync(message);
	fin = mycalloc(1, sizeof(*fin));
	fin->message = message;
	fin->step = FINISH_START;
	finish_step(fin);
}

/* Every notification answered: remove or defer. */
static void
finish_done(QMGR_MESSAGE *message, int failed)
{
	QF_MSG	*qf = message->qf;
	int	 pending = 0, i, reload = message->resumed;
	char	 id[QF_ID_LEN + 1];

	memcpy(id, message->id, sizeof(id));
	for (i = 0; i < qf->nrcpt; i++)
		if (qf->rcpt[i].status != QF_RCPT_DONE)
			pending++;
	if (pending == 0 && !failed) {
		finish_remove(message);
	} else {
		qmgr_message_sync(message);
		finish_defer(message, failed);
	}
	finish_free(message);
	if (reload && pending)		/* smtpctl resume envelope */
		qmgr_message_load(QF_DEFERRED, id, 1);
	qmgr_core_room_back();	/* intake and scans go on (qmgr_core.c) */
}
