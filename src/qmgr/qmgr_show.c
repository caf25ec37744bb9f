/*
 * NAME
 *	qmgr_show - the smtpctl show requests
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	int	qmgr_show(VSTREAM *stream, const char *request,
 *		    const ATTR *req, VSTRING *why);
 * DESCRIPTION
 *	qmgr_show() writes one attribute list per item for show_queue and
 *	show_envelope (envelopes: in memory first, then incoming/,
 *	deferred/ and hold/ read from disk; the list is qenv_view()'s, the
 *	one smtpctl prints offline too), show_routes (destination
 *	queues), show_hosts (relay hosts), show_hoststats (last status per
 *	domain, last 4 hours), and one list for show_stats and show_status.
 *	The attribute names are in qmgr_clnt.h. The caller writes the final
 *	status list.
 * DIAGNOSTICS
 *	-1 with a reason for a malformed id, and for show_queue and
 *	show_envelope when a queue directory could not be listed or a
 *	queue file could not be read (each is named in a warning in the
 *	mail log; what could be read has been sent); write errors are
 *	noticed by the caller's final write.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "attr.h"
#include "events.h"
#include "mail_conf.h"
#include "mail_counter.h"
#include "msg.h"
#include "mymalloc.h"
#include "qenv.h"
#include "qmgr.h"
#include "qmgr_clnt.h"

#define SHOW_HOSTSTAT_WINDOW	(4 * 3600)

/* show_state - runstate and delay of recipient i (m: in memory). */
static void
show_state(QENV_VIEW *v, const QF_MSG *qf, const QMGR_MESSAGE *m, int i,
    const char *queue)
{
	const QF_RCPT *rp = &qf->rcpt[i];
	time_t	 now = event_time();

	v->delay = 0;
	v->delay_name = QC_NEXT_TRY;
	if (qenv_held(qf, i, queue))
		v->runstate = "held";
	else if (m && m->rstate[i] == QMGR_RS_INFLIGHT) {
		v->runstate = "inflight";
		v->delay_name = QC_INFLIGHT;
		v->delay = now - m->rsince[i];
	} else {
		v->runstate = "pending";
		if (rp->next_attempt > now && !m
		    && strcmp(queue, QF_DEFERRED) == 0)
			v->delay = rp->next_attempt - now;
	}
}

/* show_dest - where the recipient goes, and the smtpctl type. */
static void
show_dest(QENV_VIEW *v, VSTRING *dest, QMGR_ROUTE *route, const char *addr)
{
	QMGR_TRANSPORT *t;

	v->type = "mta";
	if (qmgr_route(addr, NULL, route) == QMGR_ROUTE_DELIVER) {
		vstring_sprintf(dest, "%s:%s", vstring_str(route->transport),
		    vstring_str(route->nexthop));
		t = qmgr_transport_find(vstring_str(route->transport), 0);
		if (t ? t->mda : strcmp(vstring_str(route->transport),
		    qmgr.local_transport) == 0)
			v->type = "mda";
	} else
		vstring_strcpy(dest, vstring_len(route->text) ?
		    vstring_str(route->text) : "internal");
	v->dest = vstring_str(dest);
}

typedef struct SHOW_CTX {
	VSTREAM	*stream;
	const QENV_SEL *sel;
	QMGR_ROUTE *route;
	VSTRING	*dest;
	ATTR	*list;
	VSTRING	*batch;			/* envelopes not yet sent */
	int	 unread;		/* queue files that could not be read */
} SHOW_CTX;

/*
 * attr_write() flushes every list: while envelopes are listed, the
 * stream's write function collects them, and they go out SHOW_BATCH
 * bytes at a time (one send and one read by smtpctl per batch, not per
 * envelope).
 */
#define SHOW_BATCH	(64 * 1024)

/* show_collect - the stream's write function while envelopes are listed */
static ssize_t
show_collect(int fd, void *buf, size_t len, int timeout, void *ctx)
{
	(void)fd;
	(void)timeout;
	vstring_memcat(ctx, buf, len);
	return (ssize_t)len;
}

/* show_send - send the collected envelopes; -1 on error */
static int
show_send(SHOW_CTX *sc)
{
	int	 rc = 0;

	vstream_set_io(sc->stream, NULL, NULL, NULL);
	if (vstring_len(sc->batch) > 0)
		rc = vstream_write(sc->stream, vstring_str(sc->batch),
		    vstring_len(sc->batch)) < 0 || vstream_fflush(sc->stream) < 0
		    ? -1 : 0;
	vstring_reset(sc->batch);
	vstream_set_io(sc->stream, NULL, show_collect, sc->batch);
	return rc;
}

static void
show_msg(SHOW_CTX *sc, const QF_MSG *qf, const QMGR_MESSAGE *m,
    const char *queue)
{
	QENV_VIEW v;
	int	 i;

	for (i = 0; i < qf->nrcpt; i++) {
		if (qf->rcpt[i].status == QF_RCPT_DONE
		    || !qenv_sel_rcpt(sc->sel, qf, i))
			continue;
		v.queue = m ? QF_ACTIVE : queue;
		v.expires = qmgr_message_expires(qf);
		show_dest(&v, sc->dest, sc->route, qf->rcpt[i].address);
		show_state(&v, qf, m, i, queue);
		attr_reset(sc->list);
		qenv_view(sc->list, qf, i, &v);
		attr_write(sc->stream, sc->list);
		if (vstring_len(sc->batch) >= SHOW_BATCH)
			(void)show_send(sc);
	}
}

/* show_disk - a message of incoming/, deferred/ or hold/ not in memory */
static int
show_disk(const char *queue, const char *id, void *ctx)
{
	SHOW_CTX *sc = ctx;
	VSTRING	*why;
	QF_MSG	*qf;

	if (vstream_ferror(sc->stream) || vstream_ftimeout(sc->stream)
	    || htable_find(qmgr.msg_byid, id) != NULL)
		return 0;		/* smtpctl went away, or shown */
	why = vstring_alloc(64);
	if ((qf = qf_open(qmgr.queue_dir, queue, id, QF_OPEN_RDONLY, why))
	    != NULL) {
		show_msg(sc, qf, NULL, queue);
		qf_close(qf);
	} else if (errno != ENOENT) {	/* else delivered and gone meanwhile */
		msg_warn("cannot read queue file: %s", vstring_str(why));
		sc->unread++;
	}
	vstring_free(why);
	return 0;
}

static int
show_queue(VSTREAM *stream, const ATTR *req, int one, VSTRING *why)
{
	static const char *queues[] = {QF_INCOMING, QF_DEFERRED, QF_HOLD, NULL};
	QMGR_MESSAGE *m;
	QENV_SEL sel;
	SHOW_CTX sc;
	int	 unlisted = 0;

	if (!one)
		qenv_sel_parse(&sel, "all", QENV_SEL_ALLOW_ALL);
	else if (qenv_sel_parse(&sel, attr_get(req, QC_ID), 0) < 0) {
		vstring_strcpy(why, "invalid id");
		return -1;
	}
	sc.stream = stream;
	sc.sel = &sel;
	sc.route = qmgr_route_alloc();
	sc.dest = vstring_alloc(64);
	sc.list = attr_alloc();
	sc.batch = vstring_alloc(SHOW_BATCH + 4096);
	sc.unread = 0;
	vstream_set_io(stream, NULL, show_collect, sc.batch);
	for (m = qmgr.msg_head; m; m = m->next)
		if (qenv_sel_msg(&sel, m->id))
			show_msg(&sc, m->qf, m, QF_ACTIVE);
	(void)qenv_walk_dirs(qmgr.queue_dir, queues, &sel, show_disk, &sc,
	    &unlisted);
	(void)show_send(&sc);
	vstream_set_io(stream, NULL, NULL, NULL);
	vstring_free(sc.batch);
	attr_free(sc.list);
	vstring_free(sc.dest);
	qmgr_route_free(sc.route);
	if (unlisted || sc.unread) {
		vstring_sprintf(why, "the list is incomplete: %d queue "
		    "director%s could not be listed and %d queue file%s could "
		    "not be read (the mail log names them)", unlisted,
		    unlisted == 1 ? "y" : "ies", sc.unread,
		    sc.unread == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

/* show_sources - a transport's source addresses (its bind addresses), "" any */
static void
show_sources(const QMGR_TRANSPORT *t, VSTRING *out)
{
	static const char *suffix[] = {"_bind_address", "_bind_address6"};
	VSTRING	*name = vstring_alloc(64);
	const char *v;
	int	 i;

	vstring_reset(out);
	for (i = 0; i < 2 && !t->mda; i++) {
		vstring_sprintf(name, "%s%s", t->name, suffix[i]);
		if ((v = conf_lookup(vstring_str(name))) == NULL || *v == 0) {
			vstring_sprintf(name, "smtp%s", suffix[i]);
			v = conf_lookup(vstring_str(name));
		}
		if (v != NULL && *v)
			vstring_sprintf_append(out, "%s%s", vstring_len(out) ? "," : "", v);
	}
	vstring_free(name);
}

static void
show_routes(VSTREAM *stream)
{
	QMGR_TRANSPORT *t;
	QMGR_QUEUE *q;
	ATTR	*a = attr_alloc();
	VSTRING	*src = vstring_alloc(64);
	time_t	 now = event_time();
	const char *relay;

	for (t = qmgr.transports; t; t = t->next) {
		show_sources(t, src);
		for (q = t->queue_head; q; q = q->next) {
			attr_reset(a);
			attr_add_long(a, QC_ROUTE_ID, q->route_id);
			attr_add(a, QC_SOURCE, t->name);
			attr_add(a, QC_SRCADDR, vstring_str(src));
			attr_add(a, QC_DESTINATION, q->name);
			relay = qmgr_relay_last(q);
			attr_add(a, QC_RELAY, relay ? relay : "");
			attr_add(a, QC_CONNECTORS, vstring_str(src));
			/*
			 * smtpctl(8): D disabled, N new (no session yet), Q a
			 * timer is registered to reactivate the route.
			 */
			attr_addf(a, QC_RFLAGS, "%s%s%s", q->dead_until > now ?
			    "D" : "", q->penalty == 0 && q->success == 0
			    && q->busy == 0 && relay == NULL ? "N" : "",
			    q->dead_until > now || q->rate_wait ? "Q" : "");
			attr_add_long(a, QC_CONNS, q->busy);
			attr_add_long(a, QC_PENALTY, q->penalty);
			attr_add_long(a, QC_DELAY, q->dead_until > now ?
			    (long long)(q->dead_until - now) : 0);
			attr_add_long(a, QC_WINDOW, q->window);
			attr_add_long(a, QC_QUEUED, q->todo_rcpt);
			attr_add(a, QC_LAST_STATUS, q->last_status ?
			    q->last_status : "");
			attr_write(stream, a);
		}
	}
	vstring_free(src);
	attr_free(a);
}

/* show_host_use - routes whose last relay is host, and their deliveries */
static void
show_host_use(const char *host, long long *refs, long long *nconn)
{
	QMGR_TRANSPORT *t;
	QMGR_QUEUE *q;
	const char *relay;

	*refs = *nconn = 0;
	for (t = qmgr.transports; t; t = t->next)
		for (q = t->queue_head; q; q = q->next)
			if ((relay = qmgr_relay_last(q)) != NULL && strcmp(relay, host) == 0) {
				(*refs)++;
				*nconn += q->busy;
			}
}

static void
show_hosts(VSTREAM *stream, HTABLE *table, int stats)
{
	HTABLE_INFO **list, **ht;
	QMGR_HOSTSTAT *hs;
	ATTR	*a = attr_alloc();

	list = htable_list(table);
	for (ht = list; *ht; ht++) {
		hs = (*ht)->value;
		if (stats && hs->when < event_time() - SHOW_HOSTSTAT_WINDOW)
			continue;
		attr_reset(a);
		attr_add(a, stats ? QC_HS_DOMAIN : QC_HOST, (*ht)->key);
		if (!stats) {
			long long refs, nconn;

			show_host_use((*ht)->key, &refs, &nconn);
			attr_add_long(a, QC_HOST_REFS, refs);
			attr_add_long(a, QC_HOST_NCONN, nconn);
		}
		attr_add_long(a, QC_HS_TIME, (long long)hs->when);
		if (stats)
			attr_add(a, QC_HS_STATUS, hs->status ? hs->status : "");
		attr_add_long(a, QC_HOST_OK, hs->ok);
		attr_add_long(a, QC_HOST_FAIL, hs->fail);
		attr_write(stream, a);
	}
	myfree(list);
	attr_free(a);
}

static void
show_stats(VSTREAM *stream)
{
	ATTR	*a = attr_alloc();
	QMGR_MESSAGE *m;
	QMGR_TRANSPORT *t;
	QMGR_QUEUE *q;
	long long env = 0, inflight = 0, routes = 0, conns = 0;
	long long counters[MAIL_COUNTER_COUNT], conn, disc;
	int	 i;

	for (m = qmgr.msg_head; m; m = m->next)
		for (i = 0; i < m->qf->nrcpt; i++) {
			env += m->qf->rcpt[i].status != QF_RCPT_DONE;
			inflight += m->rstate[i] == QMGR_RS_INFLIGHT;
		}
	for (t = qmgr.transports; t; t = t->next) {
		conns += t->nconn;
		for (q = t->queue_head; q; q = q->next)
			routes++;
	}
	attr_add_long(a, QC_ST_UPTIME, (long long)(event_time() -
	    qmgr.start_time));
	/* Current envelopes: in memory and waiting in deferred/. */
	attr_add_long(a, QC_ST_ENVELOPES, env + qmgr_flush_envelopes());
	attr_add_long(a, QC_ST_ENV_INFLIGHT, inflight);
	attr_add_long(a, QC_ST_MESSAGES, qmgr.nmessages);
	attr_add_long(a, QC_ST_RECEIVED, qmgr.stats.received);
	attr_add_long(a, QC_ST_ENV_RECEIVED, qmgr.stats.env_received);
	attr_add_long(a, QC_ST_DELIVERY_OK, qmgr.stats.delivery_ok);
	attr_add_long(a, QC_ST_DELIVERY_TEMP, qmgr.stats.delivery_temp);
	attr_add_long(a, QC_ST_DELIVERY_PERM, qmgr.stats.delivery_perm);
	attr_add_long(a, QC_ST_DELIVERY_LOOP, qmgr.stats.delivery_loop);
	attr_add_long(a, QC_ST_EXPIRED, qmgr.stats.expired);
	attr_add_long(a, QC_ST_REMOVED, qmgr.stats.removed);
	attr_add_long(a, QC_ST_BOUNCES, qmgr.stats.bounces);
	attr_add_long(a, QC_ST_ROUTES, routes);
	/* SMTP sessions: counted by smtpd in the shared counter file. */
	if (mail_counter_read(MAIL_COUNTER_FILE, counters, MAIL_COUNTER_COUNT) == 0) {
		conn = counters[MAIL_COUNTER_SMTPD_CONN];
		disc = counters[MAIL_COUNTER_SMTPD_DISC];
		attr_add_long(a, QC_ST_SMTP_SESSIONS, conn > disc ? conn - disc : 0);
		attr_add_long(a, QC_ST_SMTP_CONNECT, conn);
		attr_add_long(a, QC_ST_SMTP_DISCONNECT, disc);
	}
	attr_add_long(a, QC_ST_CONNS, conns);
	attr_write(stream, a);
	attr_free(a);
}

int
qmgr_show(VSTREAM *stream, const char *request, const ATTR *req,
    VSTRING *why)
{
	ATTR	*a;

	if (strcmp(request, QC_REQ_SHOW_QUEUE) == 0)
		return show_queue(stream, req, 0, why);
	if (strcmp(request, QC_REQ_SHOW_ENVELOPE) == 0)
		return show_queue(stream, req, 1, why);
	if (strcmp(request, QC_REQ_SHOW_ROUTES) == 0)
		show_routes(stream);
	else if (strcmp(request, QC_REQ_SHOW_HOSTS) == 0)
		show_hosts(stream, qmgr.hosts, 0);
	else if (strcmp(request, QC_REQ_SHOW_HOSTSTATS) == 0)
		show_hosts(stream, qmgr.hoststats, 1);
	else if (strcmp(request, QC_REQ_SHOW_STATS) == 0)
		show_stats(stream);
	else if (strcmp(request, QC_REQ_SHOW_STATUS) == 0) {
		a = attr_alloc();
		attr_add(a, QC_MTA, qmgr.paused_mta ? "paused" : "running");
		attr_add(a, QC_MDA, qmgr.paused_mda ? "paused" : "running");
		attr_write(stream, a);
		attr_free(a);
	}
	return 0;
}
