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
 *	A message whose notification could not be handed to the bounce
 *	service stays in the queue (deferred) even when every recipient is
 *	done, so the notification is retried and never lost.
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
#include "qmgr_bounce.h"

/* Send the notifications; -1 when one must be retried later. */
static int
finish_notify(QMGR_MESSAGE *message)
{
	int	 rc = 0;

	if ((message->logs & QMGR_LOG_BOUNCE)
	    && qmgr_bounce_request(message, QB_REQ_FLUSH, NULL, 0) < 0)
		rc = -1;
	if ((message->logs & QMGR_LOG_TRACE)
	    && qmgr_bounce_request(message, QB_REQ_TRACE, NULL, 0) < 0)
		rc = -1;
	if (message->nexpired > 0)
		msg_info("%s: from=<%s>, status=expired, returned to sender",
		    message->id, message->qf->sender);
	return rc;
}

/* A delay warning for recipients that want one and had none. */
static void
finish_warn(QMGR_MESSAGE *message)
{
	QF_MSG	*qf = message->qf;
	QF_RCPT	*rp;
	int	*list, n = 0, i;

	if (qmgr.delay_warning <= 0 || *qf->sender == 0
	    || event_time() < qf->arrival + qmgr.delay_warning)
		return;
	list = mycalloc((size_t)qf->nrcpt + 1, sizeof(int));
	for (i = 0; i < qf->nrcpt; i++) {
		rp = &qf->rcpt[i];
		if (rp->status == QF_RCPT_DONE || rp->attempts == 0
		    || (rp->flags & (QB_RCPT_FLAG_WARNED | QF_RCPT_FLAG_HELD))
		    || (rp->notify && !(rp->notify & QF_NOTIFY_DELAY)))
			continue;
		list[n++] = i;
	}
	if (n > 0 && qmgr_bounce_request(message, QB_REQ_WARN, list, n) == 0) {
		for (i = 0; i < n; i++) {
			qf->rcpt[list[i]].flags |= QB_RCPT_FLAG_WARNED;
			if (qf_update_rcpt(qf, list[i]) < 0)
				msg_warn("%s: cannot update recipient %d: %m",
				    message->id, list[i]);
		}
	}
	myfree(list);
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
		qmgr_bounce_log_remove(message->id);
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
	myfree(message->rstate);
	myfree(message->rsince);
	myfree(message->rentry);
	myfree(message->rdirty);
	myfree(message);
}

void
qmgr_message_finish(QMGR_MESSAGE *message)
{
	QF_MSG	*qf = message->qf;
	int	 failed, pending = 0, i, reload = message->resumed;
	char	 id[QF_ID_LEN + 1];

	memcpy(id, message->id, sizeof(id));
	/*
	 * Before a notification goes out, the recipients' states are made
	 * durable: a crash before the file is removed must not make anyone
	 * (the next qmgr, a delivery agent recording what it sent,
	 * deliver_reply(3)) take the results again and notify twice.
	 */
	if (message->logs & (QMGR_LOG_BOUNCE | QMGR_LOG_TRACE))
		qmgr_message_sync(message);
	failed = finish_notify(message) < 0;
	for (i = 0; i < qf->nrcpt; i++)
		if (qf->rcpt[i].status != QF_RCPT_DONE)
			pending++;
	if (pending)
		finish_warn(message);
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
