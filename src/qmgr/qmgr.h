/*
 * qmgr.h - the queue manager's internal types. See qmgr(8) and qmgr.c.
 *
 * Objects: a QMGR_MESSAGE is a queue file in active/ held open; its
 * pending recipients are split into QMGR_ENTRYs (one message, one
 * destination, at most the transport's recipient limit). An entry waits
 * in its QMGR_QUEUE (one per transport and nexthop: the "route" smtpctl
 * shows) until the scheduler hands it to a QMGR_CONN, a connection to
 * private/<transport>. A QMGR_TRANSPORT owns its queues and connections.
 *
 * The scheduler core's API is in qmgr_core.h (included here); what only
 * the core's own modules use is in qmgr_inside.h.
 */
#ifndef QMGR_H
#define QMGR_H

#include <sys/time.h>
#include <time.h>

#include "attr.h"
#include "htable.h"
#include "qfile.h"
#include "vstream.h"
#include "vstring.h"

typedef struct QMGR_MESSAGE QMGR_MESSAGE;
typedef struct QMGR_ENTRY QMGR_ENTRY;
typedef struct QMGR_QUEUE QMGR_QUEUE;
typedef struct QMGR_TRANSPORT QMGR_TRANSPORT;
typedef struct QMGR_CONN QMGR_CONN;

/* Per-recipient runstate in memory. */
#define QMGR_RS_IDLE		0	/* not scheduled in this pass (done, held) */
#define QMGR_RS_QUEUED		1	/* in an entry waiting for a connection */
#define QMGR_RS_INFLIGHT	2	/* in an entry being delivered */
#define QMGR_RS_FINISHED	3	/* result known in this pass */

struct QMGR_MESSAGE {
	char	 id[QF_ID_LEN + 1];
	QF_MSG	*qf;			/* open read-write in active/ */
	struct timeval active_time;	/* when it entered active/ */
	int	 refcount;		/* entries not yet finished */
	int	 nrcpt;			/* recipients, counted in qmgr.nrcpt */
	unsigned char *rstate;		/* QMGR_RS_* per recipient */
	time_t	*rsince;		/* when each went in flight */
	QMGR_ENTRY **rentry;		/* entry holding each recipient */
	unsigned char *rdirty;		/* state changed, not yet in the file */
	int	 expired;		/* past its queue lifetime */
	int	 forced;		/* schedule/flush: skip backoff */
	int	 resumed;		/* resume envelope while active: reload */
	int	 routing;		/* being routed: sync the slots after */
	int	 nbounce;		/* bounce log records this pass */
	int	 ntrace;		/* trace log records this pass */
	int	 nexpired;		/* recipients returned as expired */
	int	 logs;			/* QMGR_LOG_*: logs that may exist */
	QMGR_MESSAGE *prev, *next;	/* all active messages */
};

#define QMGR_LOG_BOUNCE	(1 << 0)
#define QMGR_LOG_DEFER	(1 << 1)
#define QMGR_LOG_TRACE	(1 << 2)

struct QMGR_ENTRY {
	QMGR_MESSAGE *message;
	QMGR_QUEUE *queue;
	int	*rcpt;			/* recipient indices */
	int	 nrcpt;
	int	 size;
	int	*answered;		/* per rcpt[]: reply seen */
	int	 inflight;
	int	 any_ok;		/* some recipient delivered or bounced */
	int	 any_relay;		/* some reply named a relay */
	QMGR_ENTRY *prev, *next;	/* in the queue's todo list */
};

struct QMGR_QUEUE {
	char	*name;			/* nexthop, or rcpt@nexthop (rate delay) */
	char	*nexthop;		/* what the transport is given */
	QMGR_TRANSPORT *transport;
	int	 route_id;
	QMGR_ENTRY *todo_head, *todo_tail;
	int	 todo_rcpt;		/* recipients waiting */
	int	 todo;			/* entries waiting */
	time_t	 clog_warn_next;	/* qmgr_clog_warn_time: next warning */
	int	 busy;			/* entries in flight */
	int	 window;		/* current concurrency */
	int	 limit;			/* transport destination limit */
	int	 success;		/* successes since the last failure */
	double	 pos_credit;		/* positive feedback toward a step up */
	double	 neg_credit;		/* negative feedback since a step down */
	int	 penalty;		/* consecutive failures */
	int	 rate_wait;		/* *_destination_rate_delay running */
	int	 fail_cohorts;		/* failed deliveries since a success */
	time_t	 dead_until;		/* 0: alive */
	char	*dead_reason;		/* "4.4.1 ..." while dead */
	char	*last_status;
	QMGR_QUEUE *prev, *next;	/* in the transport's list */
};

/* *_destination_concurrency_{positive,negative}_feedback: base[/window]. */
typedef struct QMGR_FEEDBACK {
	double	 base;
	int	 per_window;		/* "N/concurrency" */
} QMGR_FEEDBACK;

struct QMGR_TRANSPORT {
	char	*name;
	int	 mda;			/* local delivery (smtpctl mda) */
	int	 dest_limit;		/* *_destination_concurrency_limit */
	int	 rcpt_limit;		/* *_destination_recipient_limit */
	int	 proc_limit;		/* connections at most */
	int	 fail_cohort_limit;	/* *_concurrency_failed_cohort_limit */
	QMGR_FEEDBACK pos_feedback;	/* *_concurrency_positive_feedback */
	QMGR_FEEDBACK neg_feedback;	/* *_concurrency_negative_feedback */
	int	 feedback_debug;	/* destination_concurrency_feedback_debug */
	int	 dest_rate_delay;	/* *_destination_rate_delay, seconds */
	int	 xport_rate_delay;	/* *_transport_rate_delay, seconds */
	int	 rate_wait;		/* *_transport_rate_delay running */
	int	 deferred;		/* listed in defer_transports */
	int	 busy;			/* deliveries in flight */
	HTABLE	*queue_byname;
	QMGR_QUEUE *queue_head, *queue_tail;
	QMGR_QUEUE *cursor;		/* round-robin position */
	QMGR_CONN *idle;		/* idle connections */
	int	 nconn;			/* connections open */
	time_t	 dead_until;		/* cannot connect: until then */
	char	*dead_reason;
	QMGR_TRANSPORT *next;
};

struct QMGR_CONN {
	VSTREAM	*stream;
	QMGR_TRANSPORT *transport;
	QMGR_ENTRY *entry;		/* in flight, or null when idle */
	char	*nexthop;		/* last destination served */
	time_t	 idle_since;
	QMGR_CONN *next;		/* idle list */
};

/* Routing result. */
#define QMGR_ROUTE_DELIVER	0
#define QMGR_ROUTE_ERROR	1	/* error:text: bounce inside qmgr */
#define QMGR_ROUTE_DISCARD	2	/* discard: logged as sent */
#define QMGR_ROUTE_RETRY	3	/* table lookup failed: defer */

typedef struct QMGR_ROUTE {
	int	 action;
	VSTRING	*transport;
	VSTRING	*nexthop;
	VSTRING	*text;			/* error text, retry reason */
} QMGR_ROUTE;

/* Counters (smtpctl show stats). */
typedef struct QMGR_STATS {
	long long received;
	long long env_received;
	long long delivery_ok;
	long long delivery_temp;
	long long delivery_perm;
	long long delivery_loop;
	long long expired;
	long long removed;
	long long bounces;
} QMGR_STATS;

/*
 * The arrival queue (qmgr_intake.c): ids in incoming/ not yet taken in,
 * oldest first, in a ring that grows up to QMGR_ARRIVAL_MAX ids.
 */
#define QMGR_ARRIVAL_MAX	100000
typedef struct QMGR_ARRIVAL {
	char	(*ids)[QF_ID_LEN + 1];
	size_t	 cap;
	size_t	 head;
	size_t	 count;
	int	 rescan;		/* a full scan of incoming/ is owed */
	int	 overflow;		/* ids were dropped: scan when drained */
	int	 armed;			/* intake runs in the next round */
	int	 recheck;		/* a look for lost triggers is armed */
	long	 taken;			/* ids named by triggers since a scan */
} QMGR_ARRIVAL;

/* Deferred queue scans and crash recovery (qmgr_scan.c). */
typedef struct QMGR_SCAN {
	int	 flush;			/* a flush was asked for this round */
	ARGV	*rest;			/* a scan stopped at the active limit */
	size_t	 rest_pos;		/* where it goes on */
	int	 rest_flush;		/* ... and whether as a flush */
	ARGV	*recover_busy;		/* active/ files an old agent holds */
} QMGR_SCAN;

/* The per-domain index of deferred mail (qmgr_flush.c). */
typedef struct QMGR_FLUSH {
	HTABLE	*by_domain;		/* domain -> HTABLE of ids */
	HTABLE	*by_id;			/* id -> ARGV of domains */
	HTABLE	*nrcpt;			/* id -> pending recipients (intptr_t) */
	long long env_total;		/* their sum */
	int	 complete;		/* every deferred message indexed */
} QMGR_FLUSH;

#define QMGR_ROOM_FNS	4		/* qmgr_core_on_room() callbacks */

/*
 * Notifications as the scheduler core sees them. The core names a log by
 * its QMGR_LOG_* bit and a notification by QMGR_NOTICE_*; the outside
 * (qmgr_bounce.c, the bounce(8) client) registers what does the work with
 * qmgr_core_on_bounce(), so that no core module knows the bounce service:
 *
 * append	one record for recipient index in the log (fsynced for
 *		bounce and trace): 0, or -1 after a warning.
 * exist	the QMGR_LOG_* bits of the logs a message may have.
 * remove	the logs of a message that the QMGR_LOG_* bits name (those
 *		that exist may be fewer: a missing one is no error).
 * request	ask for a notification without waiting: 0 when asked (done
 *		is called from the event loop with 0 or -1 later), -1 after
 *		a warning when it could not be (done is not called).
 */
#define QMGR_NOTICE_FAILED	1	/* non-delivery report (bounce log) */
#define QMGR_NOTICE_SUCCESS	2	/* success notice (trace log) */
#define QMGR_NOTICE_DELAY	3	/* delay warning (defer log) */

typedef void (*QMGR_BOUNCE_FN)(int, void *);

typedef struct QMGR_BOUNCE_OPS {
	int	 (*append)(QMGR_MESSAGE *, int, int, const char *,
		    const char *, const char *, const char *);
	int	 (*exist)(const char *);
	void	 (*remove)(const char *, int);
	int	 (*request)(QMGR_MESSAGE *, int, const int *, int,
		    QMGR_BOUNCE_FN, void *);
} QMGR_BOUNCE_OPS;

/* The program's context: configuration and state. */
typedef struct QMGR {
	char	*queue_dir;
	char	*myhostname;
	int	 active_limit;
	long long rcpt_limit;		/* qmgr_message_recipient_limit */
	int	 run_delay;
	int	 min_backoff;
	int	 max_backoff;
	int	 max_lifetime;
	int	 bounce_lifetime;
	int	 delay_warning;
	int	 confirm_delay_cleared;	/* success notice after a warning */
	int	 clog_warn_time;	/* qmgr_clog_warn_time, 0: off */
	int	 daemon_timeout;	/* qmgr_daemon_timeout, 0: off */
	char	*bounce_service;	/* bounce_service_name: flush */
	char	*defer_service;		/* defer_service_name: warn */
	char	*trace_service;		/* trace_service_name: trace */
	int	 retry_time;		/* transport_retry_time */
	int	 ipc_timeout;
	int	 delivery_timeout;
	int	 idle_time;		/* keep an idle transport connection */
	char	*local_transport;	/* name part of local_transport */
	QMGR_MESSAGE *msg_head, *msg_tail;
	HTABLE	*msg_byid;
	int	 nmessages;
	long long nrcpt;		/* recipients of the messages in memory */
	QMGR_TRANSPORT *transports;
	HTABLE	*deferred;		/* id -> next try (time_t in a pointer) */
	HTABLE	*hoststats;		/* domain -> QMGR_HOSTSTAT */
	HTABLE	*hosts;			/* relay host -> QMGR_HOSTSTAT */
	QMGR_ARRIVAL arrival;		/* incoming/, in arrival order */
	QMGR_SCAN scan;			/* deferred/ scans, recovery */
	QMGR_FLUSH flush;		/* per-domain index of deferred mail */
	HTABLE	*relay_by_route;	/* "transport:nexthop" -> last relay */
	struct QMGR_ROUTING *routing;	/* qmgr_route.c: tables, lists */
	void	(*room_fns[QMGR_ROOM_FNS])(void);	/* qmgr_core_on_room */
	int	 nroom_fns;
	int	 (*deliver_fn)(QMGR_ENTRY *);	/* qmgr_core_on_deliver */
	const QMGR_BOUNCE_OPS *bounce;	/* qmgr_core_on_bounce */
	int	 scan_incoming;		/* intake stopped while full */
	int	 scan_deferred;		/* a deferred scan stopped while full */
	int	 paused_mta;
	int	 paused_mda;
	int	 next_route_id;
	time_t	 start_time;
	QMGR_STATS stats;
	uid_t	 owner_uid;
	gid_t	 setgid_gid;
	int	 oneshot;		/* one queue run (master -1), then exit */
	const char *oneshot_domain;	/* master -1 -d: deferred mail of it */
	int	 oneshot_quiet;		/* checks in a row with nothing to do */
	int	 lock_fd;		/* pid/qmgr.lock */
	int	 conn_limit;		/* transport connections at most (fds) */
	int	 nconn;			/* transport connections open */
	int	 fd_short;		/* out of descriptors: intake paused */
	uint64_t route_only;		/* smtpctl schedule ENVELOPE-ID: route just it */
	int	 trace;			/* smtpctl trace: subsystem bits */
	int	 profiling;		/* smtpctl profile: subsystem bits */
} QMGR;

/* Descriptors kept free for queue files, logs, bounce and control clients. */
#define QMGR_FD_RESERVE	24

typedef struct QMGR_HOSTSTAT {
	time_t	 when;
	char	*status;
	long	 ok;
	long	 fail;
} QMGR_HOSTSTAT;

extern QMGR qmgr;

#include "qmgr_core.h"			/* the scheduler core's API */

/* qmgr_init.c */
void	 qmgr_init(void);
void	 qmgr_lock(int);
#define QMGR_LOCK_WAIT	30		/* seconds, for an earlier run's qmgr */
void	 qmgr_fd_budget(void);
long long qmgr_conf_int(const char *, long long);
const char *qmgr_conf_str(const char *, const char *);

/* qmgr_intake.c */
void	 qmgr_intake_init(void);
void	 qmgr_intake_start(void);
void	 qmgr_intake_id(const char *);
void	 qmgr_trigger_incoming(void);
void	 qmgr_intake_resume(void);
int	 qmgr_intake_pending(void);

/* qmgr_scan.c */
void	 qmgr_trigger_deferred(int);
void	 qmgr_scan_init(void);
void	 qmgr_scan_start(void);
int	 qmgr_scan_deferred(int, const char *);
void	 qmgr_recover_active(void);
int	 qmgr_recover_pending(void);

/* qmgr_route.c */
void	 qmgr_route_init(void);
QMGR_ROUTE *qmgr_route_alloc(void);
void	 qmgr_route_free(QMGR_ROUTE *);
int	 qmgr_route(const char *, const char *, QMGR_ROUTE *);	/* addr, sender */
const char *qmgr_route_domain(const char *);

/* qmgr_deliver.c */
int	 qmgr_deliver(QMGR_ENTRY *);
void	 qmgr_conn_close(QMGR_CONN *);

/* qmgr_oneshot.c */
int	 qmgr_oneshot_args(char **, const char **);
void	 qmgr_oneshot_start(const char *);

/* qmgr_bounce.c */
void	 qmgr_bounce_init(void);

/* qmgr_ctl.c, qmgr_ctl_env.c, qmgr_show.c */
void	 qmgr_ctl_service(VSTREAM *, const char *, char **);
void	 qmgr_ctl_count(VSTREAM *, long long);	/* a QC_COUNT reply list */
int	 qmgr_ctl_envelope(VSTREAM *, const ATTR *, VSTRING *);

/* qmgr_ctl_ext.c: smtpctl trace, profile, update table, pause smtp. */
int	 qmgr_ctl_trace(VSTREAM *, const ATTR *, VSTRING *);
int	 qmgr_ctl_profile(VSTREAM *, const ATTR *, VSTRING *);
int	 qmgr_ctl_update_table(VSTREAM *, const ATTR *, VSTRING *);
int	 qmgr_ctl_pause_smtp(VSTREAM *, const ATTR *, VSTRING *);

/* Timing (smtpctl profile), also in qmgr_ctl_ext.c. */
#define QMGR_PROF_QUEUE	1		/* queue file loads */
#define QMGR_PROF_IPC	2		/* control and bounce requests */
void	 qmgr_profile_start(struct timeval *);
void	 qmgr_profile_end(int, const struct timeval *, const char *,
	    const char *);
#define QMGR_PROFILE_START(tv) do { \
	(tv)->tv_sec = 0; (tv)->tv_usec = 0; \
	if (qmgr.profiling) qmgr_profile_start(tv); \
} while (0)
#define QMGR_PROFILE_END(what, tv, label, id) do { \
	if (qmgr.profiling) qmgr_profile_end((what), (tv), (label), (id)); \
} while (0)
int	 qmgr_show(VSTREAM *, const char *, const ATTR *, VSTRING *);

/* qmgr_watchdog.c */
void	 qmgr_watchdog_start(void);

#endif
