/*
 * NAME
 *	qmgr_core - room for messages, and their next attempt times
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	int	qmgr_core_room(void);
 *	void	qmgr_core_on_room(void (*fn)(void));
 *	void	qmgr_core_room_back(void);
 *	void	qmgr_fd_short(void);
 *
 *	void	qmgr_core_on_bounce(const QMGR_BOUNCE_OPS *ops);
 *
 *	int	qmgr_deferred_next(const char *id, time_t *next);
 *	void	qmgr_deferred_forget(const char *id);
 * DESCRIPTION
 *	The scheduler core holds at most qmgr_message_active_limit messages
 *	in memory, and takes no more in once they have
 *	qmgr_message_recipient_limit recipients together (a message is read
 *	whole: one bigger than the limit still comes in when it is the only
 *	one, alone, so that it is never stuck). Intake (qmgr_intake.c) and the deferred queue scans
 *	(qmgr_scan.c) ask qmgr_core_room() before each message they take
 *	in, and stop when there is none. They register with
 *	qmgr_core_on_room() a function to go on with; the core calls every
 *	one of them from qmgr_core_room_back() when a message has left
 *	memory or descriptors are free again, so that the core never calls
 *	into its feeders by name.
 *
 *	qmgr_fd_short() is called when the qmgr ran out of descriptors:
 *	there is no room for a second (what was not taken in stays where
 *	it was: nothing is deferred for a local reason), then
 *	qmgr_core_room_back().
 *
 *	qmgr_core_on_bounce() registers the functions through which the
 *	core writes per-message logs and asks for notifications
 *	(QMGR_BOUNCE_OPS in qmgr.h): the outside's bounce client
 *	(qmgr_bounce.c) fills them in before a message is taken in.
 *
 *	qmgr_deferred_next() gives the next attempt time of a deferred
 *	message: remembered in memory when the qmgr deferred it itself
 *	(qmgr_finish.c enters it in qmgr.deferred), else (after a restart)
 *	read from the file's modification time with one stat(), never by
 *	reading the file; -1 when the file is gone. qmgr_deferred_forget()
 *	drops what is known of a message leaving deferred/ (its time and
 *	its place in the per-domain index, qmgr_flush.c).
 * DIAGNOSTICS
 *	Panics when more room callbacks are registered than
 *	QMGR_ROOM_FNS, or when no bounce functions are.
 */
#include <stdint.h>
#include <sys/stat.h>

#include "events.h"
#include "msg.h"
#include "qmgr.h"
#include "qmgr_inside.h"

int
qmgr_core_room(void)
{
	/* One message is always let in, however many recipients it has. */
	return qmgr.nmessages < qmgr.active_limit && !qmgr.fd_short
	    && (qmgr.nrcpt < qmgr.rcpt_limit || qmgr.nmessages == 0);
}

void
qmgr_core_on_room(void (*fn)(void))
{
	if (qmgr.nroom_fns >= QMGR_ROOM_FNS)
		msg_panic("qmgr_core_on_room: too many callbacks");
	qmgr.room_fns[qmgr.nroom_fns++] = fn;
}

void
qmgr_core_on_bounce(const QMGR_BOUNCE_OPS *ops)
{
	if (ops == NULL || ops->append == NULL || ops->exist == NULL
	    || ops->remove == NULL || ops->request == NULL)
		msg_panic("qmgr_core_on_bounce: incomplete functions");
	qmgr.bounce = ops;
}

void
qmgr_core_room_back(void)
{
	int	 i;

	for (i = 0; i < qmgr.nroom_fns && qmgr_core_room(); i++)
		qmgr.room_fns[i]();
}

static void
fd_short_over(int event, void *ctx)
{
	qmgr.fd_short = 0;
	qmgr_core_room_back();
}

void
qmgr_fd_short(void)
{
	if (qmgr.fd_short)
		return;
	qmgr.fd_short = 1;
	msg_warn("out of file descriptors: taking no more messages in for "
	    "now (%d in memory, %d transport connections)", qmgr.nmessages,
	    qmgr.nconn);
	event_request_timer(fd_short_over, NULL, 1000);
}

int
qmgr_deferred_next(const char *id, time_t *next)
{
	HTABLE_INFO *ht;
	VSTRING	*path;
	struct stat st;
	int	 rc = 0;

	if ((ht = htable_locate(qmgr.deferred, id)) != NULL) {
		*next = (time_t)(intptr_t)ht->value;
		return 0;
	}
	path = vstring_alloc(128);
	vstring_sprintf(path, "%s/%s/%s", qmgr.queue_dir, QF_DEFERRED, id);
	if (stat(vstring_str(path), &st) < 0)
		rc = -1;
	else
		htable_enter(qmgr.deferred, id, (void *)(intptr_t)
		    (*next = st.st_mtime));
	vstring_free(path);
	return rc;
}

void
qmgr_deferred_forget(const char *id)
{
	htable_delete(qmgr.deferred, id, NULL);
	qmgr_flush_forget(id);
}
