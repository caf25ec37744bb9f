/*
 * qmgr_clnt.h - the qmgr service on public/qmgr: its control protocol
 * (smtpctl, mailq, postern flush, sendmail -q, smtpd ETRN) and its
 * client (qmgr_clnt.c). See qmgr(8); the server's request table is in
 * src/qmgr/qmgr_ctl.c.
 *
 * A client connects to public/qmgr and writes one attribute list (attr.h)
 * per request. "trigger" has no reply. Every other request is answered
 * by zero or more data lists (one per item: envelope, route, host,
 * counter set) and then one final list holding QC_STATUS ("0" ok, "1"
 * failed) and QC_REASON. The client may send further requests on the
 * same connection. Mutating requests are accepted only from root, the
 * mail_owner uid or the setgid_group gid (SO_PEERCRED); anyone who can
 * reach the socket may trigger, flush and show.
 */
#ifndef QMGR_CLNT_H
#define QMGR_CLNT_H

#include "attr.h"
#include "vstream.h"
#include "vstring.h"

#define QC_SERVICE	"qmgr"		/* public/qmgr */

/* Request. */
#define QC_REQUEST	"request"
#define QC_ID		"id"		/* envelope-id (16 hex), message-id (8 hex) or "all" */
#define QC_DOMAIN	"domain"	/* flush_domain */
#define QC_TARGET	"target"	/* pause/resume: "mta" or "mda" */
#define QC_ROUTE	"route"		/* resume_route: route id */

/* Request names. */
#define QC_REQ_TRIGGER		"trigger"	/* scan incoming/ (no reply) */
#define QC_REQ_FLUSH		"flush"		/* every deferred message, now */
#define QC_REQ_FLUSH_DOMAIN	"flush_domain"	/* deferred mail for QC_DOMAIN, now */
#define QC_REQ_SHOW_QUEUE	"show_queue"	/* one list per envelope */
#define QC_REQ_SHOW_ENVELOPE	"show_envelope"	/* the same, for QC_ID */
#define QC_REQ_PAUSE_ENVELOPE	"pause_envelope"	/* QC_ID */
#define QC_REQ_RESUME_ENVELOPE	"resume_envelope"	/* QC_ID */
#define QC_REQ_SCHEDULE		"schedule"	/* QC_ID: deliver now, no backoff */
#define QC_REQ_REMOVE		"remove"	/* QC_ID: never deliver */
#define QC_REQ_DISCOVER		"discover"	/* QC_ID (message-id): take in a file */
#define QC_REQ_PAUSE		"pause"		/* QC_TARGET mta|mda */
#define QC_REQ_RESUME		"resume"	/* QC_TARGET mta|mda */
#define QC_REQ_RESUME_ROUTE	"resume_route"	/* QC_ROUTE: revive a dead route */
#define QC_REQ_SHOW_ROUTES	"show_routes"	/* one list per route */
#define QC_REQ_SHOW_HOSTS	"show_hosts"	/* one list per destination host */
#define QC_REQ_SHOW_HOSTSTATS	"show_hoststats"	/* per domain, last 4 hours */
#define QC_REQ_SHOW_STATS	"show_stats"	/* one list of counters */
#define QC_REQ_SHOW_STATUS	"show_status"	/* mta/mda running or paused */
#define QC_REQ_LOG_VERBOSE	"log_verbose"
#define QC_REQ_LOG_BRIEF	"log_brief"

/* Final reply list. */
#define QC_STATUS	"status"	/* "0" ok, "1" failed */
#define QC_REASON	"reason"	/* text; "" when ok */
#define QC_COUNT	"count"		/* items affected (schedule, remove, ...) */

/* show_queue / show_envelope: one list per envelope. */
#define QC_ENVID	"envelope_id"	/* 16 hex digits */
#define QC_MSGID	"message_id"	/* 8 hex digits */
#define QC_FAMILY	"family"	/* inet4, inet6, local */
#define QC_TYPE		"type"		/* mta, mda, bounce */
#define QC_FLAGS	"flags"		/* comma list: bounce, internal, held, expired... */
#define QC_SENDER	"sender"
#define QC_RCPT		"rcpt"
#define QC_ORCPT	"orcpt"		/* original recipient (the address when none) */
#define QC_DEST		"dest"		/* transport:nexthop */
#define QC_CREATED	"created"	/* UNIX time */
#define QC_EXPIRES	"expires"	/* UNIX time */
#define QC_LAST_TRY	"last_try"	/* UNIX time, 0 never */
#define QC_ATTEMPTS	"attempts"
#define QC_RUNSTATE	"runstate"	/* pending, inflight, held */
#define QC_NEXT_TRY	"next_try"	/* seconds until next attempt (pending) */
#define QC_INFLIGHT	"inflight"	/* seconds in flight (inflight) */
#define QC_LAST_ERROR	"last_error"
#define QC_QUEUE	"queue"		/* incoming, active, deferred, hold */

/* show_routes: one list per route (transport and destination). */
#define QC_ROUTE_ID	"route_id"
#define QC_SOURCE	"source"	/* transport */
#define QC_DESTINATION	"destination"	/* nexthop */
#define QC_RFLAGS	"flags"		/* D disabled (dead), N new, Q reactivation timer */
#define QC_CONNS	"connections"	/* deliveries in flight */
#define QC_PENALTY	"penalty"	/* consecutive failures */
#define QC_DELAY	"delay"		/* seconds before reactivation (dead) */
#define QC_WINDOW	"window"	/* current concurrency */
#define QC_QUEUED	"queued"	/* recipients waiting */
#define QC_LAST_STATUS	"last_status"

/* show_hosts: one list per host with deliveries since start. */
#define QC_HOST		"host"
#define QC_HOST_OK	"ok"
#define QC_HOST_FAIL	"fail"

/* show_hoststats: one list per domain, last 4 hours. */
#define QC_HS_DOMAIN	"domain"
#define QC_HS_TIME	"timestamp"	/* UNIX time of the last status */
#define QC_HS_STATUS	"status_text"	/* last status: "250 ..." or reason */

/* show_stats: one list, name = counter value (smtpctl prints the names
 * with "." for "_", as OpenSMTPD: scheduler.delivery.ok). */
#define QC_ST_UPTIME		"uptime"
#define QC_ST_ENVELOPES		"scheduler_envelope"	/* envelopes in the queue */
#define QC_ST_ENV_INFLIGHT	"scheduler_envelope_inflight"
#define QC_ST_MESSAGES		"queue_message"		/* messages in memory */
#define QC_ST_DELIVERY_OK	"scheduler_delivery_ok"
#define QC_ST_DELIVERY_TEMP	"scheduler_delivery_tempfail"
#define QC_ST_DELIVERY_PERM	"scheduler_delivery_permfail"
#define QC_ST_DELIVERY_LOOP	"scheduler_delivery_loop"
#define QC_ST_EXPIRED		"scheduler_envelope_expired"
#define QC_ST_REMOVED		"scheduler_envelope_removed"
#define QC_ST_BOUNCES		"queue_bounce"
#define QC_ST_RECEIVED		"queue_message_received"	/* messages taken in */
#define QC_ST_ROUTES		"mta_route"
#define QC_ST_SMTP_SESSIONS	"smtp_session"		/* current SMTP sessions */
#define QC_ST_SMTP_CONNECT	"smtp_session_connect"	/* sessions started */
#define QC_ST_SMTP_DISCONNECT	"smtp_session_disconnect"	/* sessions ended */
#define QC_ST_CONNS		"mta_connector"

/* show_status. */
#define QC_MTA		"mta"		/* "running" or "paused" */
#define QC_MDA		"mda"


/*
 * smtpctl's additions, compatible extensions of the protocol above (the
 * handlers are in src/qmgr/qmgr_ctl_ext.c). All of them change state
 * (privileged clients only).
 */
#define QC_SUBSYSTEM	"subsystem"	/* trace, untrace, profile, unprofile */
#define QC_TABLE	"table"		/* update_table: "type:name", name, or "" */
#define QC_REQ_TRACE		"trace"		/* QC_SUBSYSTEM */
#define QC_REQ_UNTRACE		"untrace"	/* QC_SUBSYSTEM */
#define QC_REQ_PROFILE		"profile"	/* QC_SUBSYSTEM: queue, ipc */
#define QC_REQ_UNPROFILE	"unprofile"	/* QC_SUBSYSTEM */
#define QC_REQ_UPDATE_TABLE	"update_table"	/* QC_TABLE: reopen now */
#define QC_REQ_PAUSE_SMTP	"pause_smtp"	/* create pid/smtpd.pause */
#define QC_REQ_RESUME_SMTP	"resume_smtp"	/* remove it */
#define QC_SMTP		"smtp"		/* show_status: "running" or "paused" */
#define QC_ST_ENV_RECEIVED	"queue_envelope_received"	/* envelopes taken in */
#define QC_TRACING	"tracing"	/* show_status: traced subsystems */
/* Additions (issue 13): show_routes and show_hosts as smtpctl(8) describes them. */
#define QC_SRCADDR	"source_address"	/* routes: the address connected from, "" any */
#define QC_RELAY	"relay"		/* routes: host[addr]:port of the last reply */
#define QC_CONNECTORS	"connectors"	/* routes: source addresses, comma list */
#define QC_HOST_REFS	"refcount"	/* hosts: routes whose last relay it is */
#define QC_HOST_NCONN	"nconn"		/* hosts: deliveries in flight on them */
#define QC_PROFILING	"profiling"	/* show_status: profiled subsystems */

/*
 * The client (qmgr_clnt.c). qmgr_clnt_call(): QMGR_CLNT_OK, QMGR_CLNT_FAIL
 * (the qmgr refused: its reason in why) or QMGR_CLNT_UNAVAIL (no
 * conversation: errno and why say why); fn(list, context) gets each data
 * list, and -1 from it ignores the rest.
 */
#define QMGR_CLNT_OK		0
#define QMGR_CLNT_FAIL		(-1)
#define QMGR_CLNT_UNAVAIL	(-2)

typedef int (*QMGR_CLNT_FN)(const ATTR *, void *);

VSTREAM	*qmgr_clnt_connect(int);
int	 qmgr_clnt_call(VSTREAM *, const ATTR *, QMGR_CLNT_FN, void *,
	    VSTRING *);
int	 qmgr_clnt_count(const ATTR *, void *);
int	 qmgr_clnt_request(const char *, const char *, const char *, int,
	    long long *, VSTRING *);

#endif
