/*
 * NAME
 *	qmgr_ctl_env - smtpctl operations on envelopes
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	int	qmgr_ctl_envelope(VSTREAM *stream, const ATTR *req,
 *		    VSTRING *why);
 * DESCRIPTION
 *	qmgr_ctl_envelope() serves pause_envelope, resume_envelope,
 *	schedule, remove and discover for id (envelope-id, message-id or
 *	"all") and writes a list with the number of envelopes (schedule,
 *	discover: messages) affected. Messages in memory (active/) are
 *	changed through their open queue file, the others (incoming,
 *	deferred, hold) by opening the file; the selection and the changes
 *	themselves are qenv(3)'s, shared with smtpctl offline. What is the
 *	qmgr's own: recipients in flight, entries waiting for a connection,
 *	and taking messages in.
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
#include "qenv.h"
#include "qmgr.h"
#include "qmgr_clnt.h"

#define OP_PAUSE	QENV_HOLD
#define OP_RESUME	QENV_RELEASE
#define OP_REMOVE	QENV_REMOVE
#define OP_SCHEDULE	4
#define OP_DISCOVER	5

/* Apply op to one recipient of a message in memory; 1 when it changed. */
static int
env_rcpt(int op, QMGR_MESSAGE *message, int i)
{
	int	 rc;

	if (op == OP_REMOVE && message->rstate[i] == QMGR_RS_INFLIGHT)
		return 0;
	if ((rc = qenv_rcpt_change(message->qf, i, op, msg_info)) == 0)
		return 0;
	if (rc < 0)
		msg_warn("%s: cannot update recipient %d: %m", message->id, i);
	if (op == OP_REMOVE)
		qmgr.stats.removed++;
	if (op != OP_RESUME)
		qmgr_core_hold(message, i);
	return 1;
}

/* A message on disk (not active). */
static int
env_disk(int op, const QENV_SEL *sel, const char *queue, const char *id)
{
	VSTRING	*why;
	int	 n, gone;

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
	if ((n = qenv_file_change(qmgr.queue_dir, queue, id, sel, op,
	    msg_info, &gone, why)) < 0) {
		if (errno != ENOENT)
			msg_warn("%s", vstring_str(why));
		n = 0;
	}
	if (op == OP_REMOVE)
		qmgr.stats.removed += n;
	if (gone)
		qmgr_deferred_forget(id);
	if (op == OP_RESUME && n > 0 && strcmp(queue, QF_DEFERRED) == 0)
		qmgr_message_load(queue, id, 1);
	vstring_free(why);
	return n;
}

/* A message in memory. */
static int
env_active(int op, const QENV_SEL *sel, QMGR_MESSAGE *message)
{
	int	 i, n = 0;

	if (op == OP_SCHEDULE || op == OP_DISCOVER)
		return 0;
	qmgr_core_pin(message);		/* unqueueing must not free it */
	for (i = 0; i < message->qf->nrcpt; i++)
		if (qenv_sel_rcpt(sel, message->qf, i))
			n += env_rcpt(op, message, i);
	if (op == OP_RESUME && n > 0)
		message->resumed = 1;	/* not routed in this pass: reload */
	qmgr_core_unpin(message);
	return n;
}

static int
env_one(int op, const QENV_SEL *sel, const char *id)
{
	QMGR_MESSAGE *message;
	char	 queue[32];

	if ((message = htable_find(qmgr.msg_byid, id)) != NULL)
		return env_active(op, sel, message);
	if (qf_find(qmgr.queue_dir, id, queue, sizeof(queue)) < 0)
		return -1;
	return env_disk(op, sel, queue, id);
}

typedef struct ENV_WALK {
	int	 op;
	const QENV_SEL *sel;
} ENV_WALK;

/* env_walk_file - one file of incoming/, deferred/, hold/: not in memory. */
static int
env_walk_file(const char *queue, const char *id, void *ctx)
{
	ENV_WALK *w = ctx;

	if (htable_find(qmgr.msg_byid, id) != NULL)
		return 0;
	return env_disk(w->op, w->sel, queue, id);
}

static int
env_every(int op, const QENV_SEL *sel)
{
	static const char *queues[] = {QF_INCOMING, QF_DEFERRED, QF_HOLD, NULL};
	QMGR_MESSAGE *message, *next;
	ENV_WALK w = {op, sel};
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
	return n + qenv_walk(qmgr.queue_dir, queues, sel, env_walk_file, &w);
}

int
qmgr_ctl_envelope(VSTREAM *stream, const ATTR *req, VSTRING *why)
{
	static const char *names[] = {"", QC_REQ_PAUSE_ENVELOPE,
	QC_REQ_RESUME_ENVELOPE, QC_REQ_REMOVE, QC_REQ_SCHEDULE, QC_REQ_DISCOVER};
	const char *name = attr_get(req, QC_REQUEST), *id = attr_get(req, QC_ID);
	QENV_SEL sel;
	int	 op, n;

	for (op = 1; op <= OP_DISCOVER && strcmp(names[op], name) != 0; op++)
		;
	if (op > OP_DISCOVER || qenv_sel_parse(&sel, id, op == OP_DISCOVER ?
	    0 : QENV_SEL_ALLOW_ALL) < 0) {
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
	qmgr_ctl_count(stream, n);
	qmgr_schedule();
	return 0;
}
