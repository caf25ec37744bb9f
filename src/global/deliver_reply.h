/*
 * deliver_reply.h - the transport side of the delivery protocol:
 * per-recipient replies to the qmgr and Postfix-shaped delay fields.
 * See deliver_reply.c.
 */
#ifndef DELIVER_REPLY_H
#define DELIVER_REPLY_H

#include <stddef.h>

#include "deliver_request.h"		/* DELIVER_REPLY_* flags */
#include "qfile.h"
#include "vstream.h"
#include "vstring.h"

const char *deliver_action(const char *dsn);	/* delivered failed delayed */
const char *deliver_status(const char *dsn);	/* sent bounced deferred */
const char *deliver_soft_bounce(const char *dsn, char *buf, size_t size);
double	 deliver_now(void);			/* seconds.fraction */
VSTRING	*deliver_delays(VSTRING *, double arrival, double active,
	    double start, double conn);
VSTRING	*deliver_delay_fmt(VSTRING *, double seconds);	/* appends */
int	 deliver_reply(VSTREAM *, long index, const char *dsn,
	    const char *action, const char *reason, const char *relay);
int	 deliver_reply_done(VSTREAM *);

/* The same with flags (deliver_request.h: DELIVER_REPLY_*). */
int	 deliver_reply_flags(VSTREAM *, long index, const char *dsn,
	    const char *action, const char *reason, const char *relay,
	    int flags);
int	 deliver_reply_done_flags(VSTREAM *, int flags);

/*
 * Final results sent to the queue manager are kept (with the message's
 * agent lock) until it has surely taken them: deliver_sent_done(0) when
 * the next request arrives, deliver_sent_done(1) when the connection ends
 * instead (the results not found in the queue file are recorded there).
 */
void	 deliver_sent(QF_MSG *, const char *queue_dir, long index,
	    const char *dsn, const char *action, const char *reason,
	    const char *relay, int flags);
void	 deliver_sent_done(int qmgr_gone);

/* A delivered recipient, noted in its queue file slot before the reply. */
int	 deliver_mark(QF_MSG *, long index, const char *dsn, int flags);

/* A final result the queue manager could not take: into the queue file. */
int	 deliver_record(QF_MSG *, const char *queue_dir, long index,
	    const char *dsn, const char *action, const char *reason,
	    const char *relay, int flags);

#endif
