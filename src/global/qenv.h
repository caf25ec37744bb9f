/*
 * qenv.h - the queue's envelopes as smtpctl sees them: selection, hold,
 * release, remove, expiry, the envelope view and the record dump, used by
 * the qmgr (online) and by smtpctl with nothing running (offline) under
 * the qmgr's lock. See qenv.c.
 */
#ifndef QENV_H
#define QENV_H

#include <stdint.h>
#include <time.h>

#include "attr.h"
#include "msg.h"
#include "qfile.h"
#include "vstring.h"

/* A selection: "all", a message-id, an envelope-id; and/or a sender. */
typedef struct QENV_SEL {
	int	 all;			/* every message */
	char	 msgid[QF_ID_LEN + 1];	/* one message, or "" */
	uint64_t envid;			/* one recipient of msgid, or 0 */
	const char *sender;		/* only this sender ("" null), or null */
} QENV_SEL;

#define QENV_SEL_ALLOW_ALL	(1 << 0)	/* accept "all" */

int	 qenv_sel_parse(QENV_SEL *, const char *, int);
int	 qenv_sel_msg(const QENV_SEL *, const char *);
int	 qenv_sel_rcpt(const QENV_SEL *, const QF_MSG *, int);

/* Visiting the selected messages of some queue directories. */
typedef int (*QENV_FILE_FN)(const char *queue, const char *id, void *ctx);
int	 qenv_walk(const char *, const char **, const QENV_SEL *,
	    QENV_FILE_FN, void *);
int	 qenv_walk_dirs(const char *, const char **, const QENV_SEL *,
	    QENV_FILE_FN, void *, int *);

/* Changing recipients: hold (pause), release (resume), remove. */
#define QENV_HOLD	1
#define QENV_RELEASE	2
#define QENV_REMOVE	3

typedef void (*QENV_LOG_FN)(const char *, ...) PRINTFLIKE(1, 2);

int	 qenv_rcpt_change(QF_MSG *, int, int, QENV_LOG_FN);
int	 qenv_file_change(const char *, const char *, const char *,
	    const QENV_SEL *, int, QENV_LOG_FN, int *, VSTRING *);
int	 qenv_all_done(const QF_MSG *);
void	 qenv_logs_remove(const char *, const char *);

/* State and expiry. */
int	 qenv_held(const QF_MSG *, int, const char *);
int	 qenv_is_bounce(const QF_MSG *);
time_t	 qenv_expires(const QF_MSG *, long, long);

/* The lock a qmgr holds while it runs: $queue_directory/pid/qmgr.lock. */
#define QENV_LOCK_FILE	"pid/qmgr.lock"
int	 qenv_lock(const char *, int, VSTRING *);

/* One envelope as smtpctl shows it (qmgr_ctl.h names). */
typedef struct QENV_VIEW {
	const char *queue;		/* the queue shown */
	const char *dest;		/* transport:nexthop, or "" unknown */
	const char *type;		/* mta or mda (a bounce shows "bounce") */
	const char *runstate;		/* pending, inflight, held, offline */
	const char *delay_name;		/* QC_NEXT_TRY, QC_INFLIGHT, or null */
	long long delay;
	time_t	 expires;
} QENV_VIEW;

void	 qenv_view(ATTR *, const QF_MSG *, int, const QENV_VIEW *);

/* Every record of a queue file (postern queue-dump). */
void	 qenv_dump_msg(ATTR *, const QF_MSG *, const char *);
void	 qenv_dump_rcpt(ATTR *, const QF_MSG *, int);
int	 qenv_dump_numeric(const char *);

#endif
