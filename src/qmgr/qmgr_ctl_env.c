/*
 * NAME
 *	qmgr_ctl_env - smtpctl operations on envelopes
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	int	qmgr_ctl_envelope(VSTREAM *stream, const ATTR *req,
 *		    VSTRING *why);
 *	int	qmgr_sel_parse(QMGR_SEL *sel, const char *id);
 *	int	qmgr_sel_rcpt(const QMGR_SEL *sel, const QF_RCPT *rcpt);
 * DESCRIPTION
 *	qmgr_ctl_envelope() serves pause_envelope, resume_envelope,
 *	schedule, remove and discover for id (envelope-id, message-id or
 *	"all") and writes a list with the number of envelopes (schedule,
 *	discover: messages) affected. Messages in memory (active/) are
 *	changed through their open queue file, the others (incoming,
 *	deferred, hold) by opening the file; every change is made durable
 *	with qf_update_rcpt().
 * .IP pause_envelope
 *	marks recipients held: they are skipped until resumed; one that
 *	waits for a connection is taken out of its entry.
 * .IP resume_envelope
 *	clears the mark and schedules the message now (a message in memory
 *	is taken in again as soon as its current pass ends: qmgr_finish.c).
 * .IP schedule
 *	takes deferred messages in now, ignoring their backoff ("all" also
 *	revives dead routes). With an envelope-id only that recipient is
 *	routed in this pass (qmgr.route_only); the message's other
 *	recipients keep waiting.
 * .IP remove
 *	marks recipients done (removed, logged); a message with nothing
 *	left is deleted and logged as removed. Recipients in flight cannot
 *	be recalled.
 * .IP discover
 *	takes in a message placed in incoming/, deferred/ or hold/ by hand;
 *	given an envelope-id, the message is taken in and only that
 *	envelope is routed now.
 * .PP
 *	qmgr_sel_parse() parses an id; qmgr_sel_rcpt() tells whether a
 *	recipient is selected.
 * DIAGNOSTICS
 *	-1 with a reason for a malformed id or an id that matches nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "attr.h"
#include "events.h"
#include "msg.h"
#include "mymalloc.h"
#include "qmgr.h"
#include "qmgr_clnt.h"

#define OP_PAUSE	1
#define OP_RESUME	2
#define OP_SCHEDULE	3
#define OP_REMOVE	4
#define OP_DISCOVER	5

int
qmgr_sel_parse(QMGR_SEL *sel, const char *id)
{
	memset(sel, 0, sizeof(*sel));
	if (id == NULL)
		return -1;
	if (strcmp(id, "all") == 0) {
		sel->all = 1;
		return 0;
	}
	if (qf_valid_id(id)) {
		memcpy(sel->msgid, id, QF_ID_LEN + 1);
		return 0;
	}
	if (qf_envid_parse(id, &sel->envid) == 0 && sel->envid != 0) {
		snprintf(sel->msgid, sizeof(sel->msgid), "%08x",
		    (unsigned)(sel->envid >> 32));
		return 0;
	}
	return -1;
}

int
qmgr_sel_rcpt(const QMGR_SEL *sel, const QF_RCPT *rp)
{
	return sel->envid == 0 || rp->envid == sel->envid;
}

/* Take a queued recipient out of its entry (message held by caller). */
static void
env_unqueue(QMGR_MESSAGE *message, int index)
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

/* Apply op to one recipient; 1 when it changed. */
static int
env_rcpt(int op, QF_MSG *qf, QMGR_MESSAGE *message, int i)
{
	QF_RCPT	*rp = &qf->rcpt[i];
	char	 envid[17];

	if (rp->status == QF_RCPT_DONE)
		return 0;
	if (op == OP_PAUSE) {
		if (rp->flags & QF_RCPT_FLAG_HELD)
			return 0;
		rp->flags |= QF_RCPT_FLAG_HELD;
	} else if (op == OP_RESUME) {
		if (!(rp->flags & QF_RCPT_FLAG_HELD))
			return 0;
		rp->flags &= ~QF_RCPT_FLAG_HELD;
	} else if (op == OP_REMOVE) {
		if (message && message->rstate[i] == QMGR_RS_INFLIGHT)
			return 0;
		rp->status = QF_RCPT_DONE;
		rp->flags |= QF_RCPT_FLAG_REMOVED;
		qf_envid_format(rp->envid, envid);
		msg_info("%s: to=<%s>, envelope %s removed", qf->id,
		    rp->address, envid);
		qmgr.stats.removed++;
	} else {
		return 0;
	}
	if (message && op != OP_RESUME)
		env_unqueue(message, i);
	if (qf_update_rcpt(qf, i) < 0)
		msg_warn("%s: cannot update recipient %d: %m", qf->id, i);
	return 1;
}

static int
env_all_done(const QF_MSG *qf)
{
	int	 i;

	for (i = 0; i < qf->nrcpt; i++)
		if (qf->rcpt[i].status != QF_RCPT_DONE)
			return 0;
	return 1;
}

/* A message on disk (not active). */
static int
env_disk(int op, const QMGR_SEL *sel, const char *queue, const char *id)
{
	VSTRING	*why;
	QF_MSG	*qf;
	int	 i, n = 0;

	if (op == OP_SCHEDULE || op == OP_DISCOVER) {
		/* discover takes a file placed by hand in hold/ too. */
		if ((op == OP_SCHEDULE && strcmp(queue, QF_HOLD) == 0)
		    || strcmp(queue, QF_CORRUPT) == 0)
			return 0;
		qmgr.route_only = sel->envid;
		n = qmgr_message_load(queue, id, 1) > 0;
		qmgr.route_only = 0;
		return n;
	}
	why = vstring_alloc(64);
	if ((qf = qf_open(qmgr.queue_dir, queue, id, QF_OPEN_RDWR, why))
	    == NULL) {
		vstring_free(why);
		return 0;
	}
	for (i = 0; i < qf->nrcpt; i++)
		if (qmgr_sel_rcpt(sel, &qf->rcpt[i]))
			n += env_rcpt(op, qf, NULL, i);
	if (op == OP_REMOVE && n > 0 && env_all_done(qf)) {
		qf_close(qf);
		qf = NULL;
		if (qf_remove(qmgr.queue_dir, queue, id) == 0) {
			qmgr_deferred_forget(id);
			qmgr_bounce_log_remove(id);
			msg_info("%s: removed", id);
		}
	}
	if (qf)
		qf_close(qf);
	if (op == OP_RESUME && n > 0 && strcmp(queue, QF_DEFERRED) == 0)
		qmgr_message_load(queue, id, 1);
	vstring_free(why);
	return n;
}

/* A message in memory. */
static int
env_active(int op, const QMGR_SEL *sel, QMGR_MESSAGE *message)
{
	int	 i, n = 0;

	if (op == OP_SCHEDULE || op == OP_DISCOVER)
		return 0;
	message->refcount++;		/* unqueueing must not free it */
	for (i = 0; i < message->qf->nrcpt; i++)
		if (qmgr_sel_rcpt(sel, &message->qf->rcpt[i]))
			n += env_rcpt(op, message->qf, message, i);
	if (op == OP_RESUME && n > 0)
		message->resumed = 1;	/* not routed in this pass: reload */
	qmgr_message_done_entry(message);
	return n;
}

static int
env_one(int op, const QMGR_SEL *sel, const char *id)
{
	QMGR_MESSAGE *message;
	char	 queue[32];

	if ((message = htable_find(qmgr.msg_byid, id)) != NULL)
		return env_active(op, sel, message);
	if (qf_find(qmgr.queue_dir, id, queue, sizeof(queue)) < 0)
		return -1;
	return env_disk(op, sel, queue, id);
}

static int
env_every(int op, const QMGR_SEL *sel)
{
	static const char *queues[] = {QF_INCOMING, QF_DEFERRED, QF_HOLD, NULL};
	QMGR_MESSAGE *message, *next;
	const char **qp;
	ARGV	*ids;
	size_t	 i;
	int	 n = 0;

	if (op == OP_SCHEDULE) {
		qmgr_sched_revive_all();
		qmgr_trigger_incoming();
		return qmgr_scan_deferred(1, NULL);
	}
	for (message = qmgr.msg_head; message; message = next) {
		next = message->next;
		n += env_active(op, sel, message);
	}
	for (qp = queues; *qp; qp++) {
		if ((ids = qf_list(qmgr.queue_dir, *qp)) == NULL)
			continue;
		for (i = 0; i < ids->argc; i++)
			if (htable_find(qmgr.msg_byid, ids->argv[i]) == NULL)
				n += env_disk(op, sel, *qp, ids->argv[i]);
		argv_free(ids);
	}
	return n;
}

int
qmgr_ctl_envelope(VSTREAM *stream, const ATTR *req, VSTRING *why)
{
	static const char *names[] = {"", QC_REQ_PAUSE_ENVELOPE,
	QC_REQ_RESUME_ENVELOPE, QC_REQ_SCHEDULE, QC_REQ_REMOVE, QC_REQ_DISCOVER};
	const char *name = attr_get(req, QC_REQUEST), *id = attr_get(req, QC_ID);
	QMGR_SEL sel;
	ATTR	*reply;
	int	 op, n;

	for (op = 1; op <= OP_DISCOVER && strcmp(names[op], name) != 0; op++)
		;
	if (op > OP_DISCOVER || qmgr_sel_parse(&sel, id) < 0
	    || (op == OP_DISCOVER && sel.all)) {
		vstring_sprintf(why, "invalid id: %.100s", id ? id : "(none)");
		return -1;
	}
	if (op == OP_SCHEDULE || op == OP_RESUME || op == OP_DISCOVER)
		qmgr_sched_revive_all();
	n = sel.all ? env_every(op, &sel) : env_one(op, &sel, sel.msgid);
	if (n < 0) {
		vstring_sprintf(why, "no such envelope or message: %.100s", id);
		return -1;
	}
	reply = attr_alloc();
	attr_add_long(reply, QC_COUNT, n);
	attr_write(stream, reply);
	attr_free(reply);
	qmgr_schedule();
	return 0;
}
