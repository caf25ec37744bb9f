/*
 * qmgr_core.h - the scheduler core of the qmgr: its API. See qmgr.h for
 * the types and the one QMGR context, and qmgr(8).
 *
 * The inside (qmgr_core.c, qmgr_message.c, qmgr_route.c, qmgr_sched.c,
 * qmgr_result.c, qmgr_finish.c, qmgr_flush.c) holds the messages in memory, their
 * recipients' batches (QMGR_ENTRY) in per-destination queues, and decides
 * what is delivered when. The outside feeds it and carries its decisions
 * out, through these functions only: intake (qmgr_intake.c: incoming/),
 * the deferred queue scans (qmgr_scan.c), the delivery connections
 * (qmgr_deliver.c), the bounce client (qmgr_bounce.c), the control table (qmgr_ctl*.c, qmgr_show.c) and the
 * one-shot run (qmgr_oneshot.c). Declarations only the inside uses are in
 * qmgr_inside.h. In the spirit of OpenSMTPD's scheduler back end:
 *
 * insert	qmgr_message_load(): take a message in from a queue
 *		directory, route each recipient into a batch.
 * room		qmgr_core_room() before each insert; qmgr_core_on_room()
 *		registers what to go on with when room comes back;
 *		qmgr_fd_short() when descriptors ran out.
 * batch	qmgr_core_on_deliver() registers the function each batch is
 *		handed to; qmgr_core_batch_start(), _fail() say what became
 *		of it.
 * notify	qmgr_core_on_bounce() registers the functions that write
 *		per-message logs and ask for notifications (QMGR_BOUNCE_OPS:
 *		the bounce client is the outside's).
 * update	qmgr_core_update() per recipient result,
 *		qmgr_core_batch_done() when the batch is over;
 *		qmgr_transport_dead() when a transport cannot be reached.
 * hold/release/remove
 *		qmgr_core_pin()/_unpin() around changes to a message in
 *		memory, qmgr_core_hold() takes a waiting recipient out of
 *		its batch (held or removed); released recipients are routed
 *		again when the message is inserted again.
 * schedule/reschedule
 *		qmgr_schedule() (a run in the next round),
 *		qmgr_sched_revive_all() (dead routes and transports live
 *		again: flush), qmgr_core_resume_route(), qmgr_core_pause();
 *		qmgr_deferred_next()/_forget(): the next attempt time of a
 *		deferred message; qmgr_flush_take()/_lost(): the deferred
 *		messages of a domain (ETRN, sendmail -qR).
 * queries	qmgr_transport_find(name, 0), qmgr_relay_last(),
 *		qmgr_message_expires(), qmgr_flush_envelopes(), status text
 *		helpers.
 */
#ifndef QMGR_CORE_H
#define QMGR_CORE_H

/* insert (qmgr_message.c) */
int	 qmgr_message_load(const char *, const char *, int);

/* room, next attempt times, notifications (qmgr_core.c) */
int	 qmgr_core_room(void);
void	 qmgr_core_on_bounce(const QMGR_BOUNCE_OPS *);
void	 qmgr_core_on_room(void (*)(void));
void	 qmgr_fd_short(void);
int	 qmgr_deferred_next(const char *, time_t *);
void	 qmgr_deferred_forget(const char *);

/* batch, update, hold, schedule (qmgr_sched.c) */
void	 qmgr_core_on_deliver(int (*)(QMGR_ENTRY *));
void	 qmgr_core_batch_start(QMGR_ENTRY *);
void	 qmgr_core_batch_fail(QMGR_ENTRY *, const char *);
int	 qmgr_core_update(QMGR_ENTRY *, int, const char *, const char *,
	    const char *, const char *, int);
void	 qmgr_core_batch_done(QMGR_ENTRY *, int, const char *);
void	 qmgr_transport_dead(QMGR_TRANSPORT *, const char *);
void	 qmgr_core_pin(QMGR_MESSAGE *);
void	 qmgr_core_unpin(QMGR_MESSAGE *);
void	 qmgr_core_hold(QMGR_MESSAGE *, int);
void	 qmgr_schedule(void);
void	 qmgr_sched_revive_all(void);
int	 qmgr_core_resume_route(int);
void	 qmgr_core_pause(int, int);

/* deferred mail by domain (qmgr_flush.c): ETRN, sendmail -qR, counts */
ARGV	*qmgr_flush_take(const char *);
void	 qmgr_flush_lost(void);
long long qmgr_flush_envelopes(void);

/* queries */
QMGR_TRANSPORT *qmgr_transport_find(const char *, int);
const char *qmgr_relay_last(const QMGR_QUEUE *);
time_t	 qmgr_message_expires(const QF_MSG *);
void	 qmgr_status_from_text(const char *, const char *, char *, size_t);
const char *qmgr_text_after_status(const char *);

#endif
