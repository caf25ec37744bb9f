/*
 * queue_flags.h - the per-recipient state bits of a queue file, in one
 * place: qfile(3) stores them in the recipient's slot (one status byte,
 * one flags byte; see postern-queue(5)), qenv(3) changes them for
 * smtpctl, the qmgr and the delivery agents set the "done because" bits.
 * A bit's value is on disk: never renumber one, only add.
 */
#ifndef QUEUE_FLAGS_H
#define QUEUE_FLAGS_H

/* Per-recipient status, updated in place (qf_update_rcpt). */
#define QF_RCPT_PENDING	0
#define QF_RCPT_DONE	1		/* delivered, bounced or removed: never again */

/* Per-recipient flags (one byte on disk). */
#define QF_RCPT_FLAG_HELD	(1 << 0)	/* smtpctl pause envelope */
#define QF_RCPT_FLAG_BOUNCED	(1 << 1)	/* done because it failed */
#define QF_RCPT_FLAG_REMOVED	(1 << 2)	/* done because smtpctl remove */
#define QF_RCPT_FLAG_DELIVERED	(1 << 3)	/* done because delivered */
#define QF_RCPT_FLAG_WARNED	(1 << 7)	/* a delay warning was sent */

#endif
