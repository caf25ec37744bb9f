/*
 * NAME
 *	smtp_connect - deliver one request: servers in turn, session reuse
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	int smtp_connect_deliver(SMTP_REQ *req, SMTP_SESS **cache);
 * DESCRIPTION
 *	smtp_connect_deliver() delivers a request's recipients to its
 *	nexthop (or smtp_forced_destination, ZMailer's -F). A cached session
 *	to the same nexthop is used first, after an RSET (pipelined with the
 *	next transaction when the server offers PIPELINING); another one is
 *	closed. Then the addresses from smtp_addr_resolve() are tried in
 *	order, followed by those of fallback_relay: a refused or timed-out
 *	connection, a 4xx/5xx greeting that is skipped, a rejected HELO, a
 *	lost connection or a temporary failure of the transaction moves on
 *	to the next address while recipients remain, at most
 *	smtp_mx_session_limit sessions before the fallback relays. What
 *	remains at the end is deferred (or bounced, for a permanent
 *	reason) with the last reason seen.
 *
 *	The last session, when it is sane, is left in *cache for the next
 *	request when smtp_cache(3) says so (smtp_connection_cache_time_limit,
 *	_on_demand, _destinations, smtp_connection_reuse_count_limit). A recipient that
 *	gets a 4xx reply over a reused session is deferred (smtp_result(3)):
 *	only a session that broke sends its recipients to a new connection.
 * DIAGNOSTICS
 *	req->dest_failed is set when no server could be reached at all
 *	(DNS failure, refused connections, rejected greetings) and the
 *	recipients were deferred: the qmgr then rests the destination.
 *
 *	Returns 1 when the destination's best MX host is this host and
 *	best_mx_transport is set (the caller hands the request over), else
 *	0. Every recipient has a result when 0 is returned.
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "msg.h"
#include "mymalloc.h"
#include "smtp.h"

/* smtp_connect_reuse - try the cached session */

static SMTP_SESS *
smtp_connect_reuse(const char *dest, SMTP_SESS **cache)
{
	SMTP_SESS *sess = *cache;

	*cache = NULL;
	if (sess == NULL)
		return NULL;
	if (sess->broken || strcasecmp(sess->dest, dest) != 0) {
		smtp_sess_close(sess, 1);
		return NULL;
	}
	/*
	 * With PIPELINING the RSET goes out with the MAIL FROM that follows
	 * (RFC 2920 allows it anywhere in a group) and smtp_xfer() reads its
	 * reply first: a session that no longer works then breaks before any
	 * recipient's reply is taken, and its recipients go to a new
	 * connection, as when an RSET alone fails.
	 */
	if (sess->features & SMTP_FEAT_PIPELINING) {
		if (smtp_send(sess, smtp_cf.tmo_rset, "RSET") < 0) {
			smtp_sess_close(sess, 0);
			return NULL;
		}
		sess->rset_pending = 1;
	} else if (smtp_cmd(sess, smtp_cf.tmo_rset, "RSET") < 0
	    || smtp_resp(sess, smtp_cf.tmo_rset) / 100 != 2) {
		smtp_sess_close(sess, 0);
		return NULL;
	}
	sess->reused = 1;
	sess->reuse_count++;
	return sess;
}

/* smtp_connect_fallback - addresses of the fallback relays */

static SMTP_ADDR *
smtp_connect_fallback(SMTP_ADDR *list)
{
	SMTP_ADDR *more, *a;
	VSTRING	*why = vstring_alloc(100);
	char	 dsn[16];
	size_t	 i;

	for (i = 0; i < smtp_cf.fallback_relay->argc; i++) {
		if (smtp_addr_resolve(smtp_cf.fallback_relay->argv[i], &more, why, dsn) != 0) {
			msg_warn("fallback_relay %s: %s", smtp_cf.fallback_relay->argv[i], vstring_str(why));
			continue;
		}
		for (a = more; a != NULL; a = a->next)
			a->fallback = 1;
		if (list == NULL)
			list = more;
		else {
			for (a = list; a->next != NULL; a = a->next)
				;
			a->next = more;
		}
	}
	vstring_free(why);
	return list;
}

/* smtp_connect_final - will no address after this one be tried? */

static int
smtp_connect_final(const SMTP_ADDR *a, long sessions)
{
	const SMTP_ADDR *n;

	if (a->next == NULL)
		return 1;
	if (a->fallback || smtp_cf.mx_session_limit <= 0 || sessions + 1 < smtp_cf.mx_session_limit)
		return 0;
	for (n = a->next; n != NULL; n = n->next)
		if (n->fallback)
			return 0;
	return 1;
}

/* smtp_connect_session - one transaction on an open session */

static SMTP_SESS *
smtp_connect_session(SMTP_REQ *req, SMTP_SESS *sess)
{
	clock_gettime(CLOCK_REALTIME, &req->t_conn);
	if (smtp_xfer(req, sess) == 0 && !sess->broken && req->pending == 0)
		return sess;
	smtp_sess_close(sess, !sess->broken);
	return NULL;
}

/* smtp_connect_list - try the addresses in turn */

static SMTP_SESS *
smtp_connect_list(SMTP_REQ *req, const char *dest, SMTP_ADDR *list)
{
	SMTP_SESS *sess = NULL;
	SMTP_ADDR *a;
	VSTRING	*why = vstring_alloc(100);
	long	 sessions = 0;
	char	 dsn[16];

	for (a = list; a != NULL && req->pending > 0; a = a->next) {
		if (!a->fallback && smtp_cf.mx_session_limit > 0 && sessions >= smtp_cf.mx_session_limit)
			continue;
		req->final_server = smtp_connect_final(a, sessions);
		if ((sess = smtp_sess_open(a, dest, req->dr.sender, why, dsn)) == NULL) {
			if (!req->final_server)
				msg_info("%s: %s", req->dr.queue_id, vstring_str(why));
			smtp_req_why(req, dsn, dsn[0] != '5', "%s", vstring_str(why));
			if (dsn[0] == '5') {
				smtp_rcpt_rest(req, NULL, dsn, vstring_str(why));
				break;
			}
			continue;
		}
		sessions++;
		req->sessions++;
		sess = smtp_connect_session(req, sess);
	}
	vstring_free(why);
	return sess;
}

int
smtp_connect_deliver(SMTP_REQ *req, SMTP_SESS **cache)
{
	const char *dest = *smtp_cf.forced_dest ? smtp_cf.forced_dest : req->dr.nexthop;
	SMTP_SESS *sess;
	SMTP_ADDR *list = NULL;
	VSTRING	*why = vstring_alloc(100);
	char	 dsn[16];
	int	 r;

	if ((sess = smtp_connect_reuse(dest, cache)) != NULL) {
		req->final_server = 0;
		req->sessions++;
		if ((sess = smtp_connect_session(req, sess)) != NULL || req->pending == 0)
			goto done;
	}
	if ((r = smtp_addr_resolve(dest, &list, why, dsn)) == 1 && *smtp_cf.best_mx_transport) {
		vstring_free(why);
		return 1;
	}
	if (r != 0) {
		smtp_req_why(req, dsn, dsn[0] == '4', "%s", vstring_str(why));
		if (dsn[0] == '5' || smtp_cf.fallback_relay->argc == 0) {
			req->dest_failed = dsn[0] == '4';
			smtp_rcpt_rest(req, NULL, dsn, vstring_str(req->why));
			goto done;
		}
	}
	list = smtp_connect_fallback(list);
	sess = smtp_connect_list(req, dest, list);
	smtp_addr_free(list);
	if (req->pending > 0) {
		if (vstring_len(req->why) == 0)
			smtp_req_why(req, "4.4.1", 1, "no usable address for %s", dest);
		/* Nobody to talk to: the qmgr may rest the destination a while. */
		req->dest_failed = req->sessions == 0 && req->why_dsn[0] == '4';
		smtp_rcpt_rest(req, NULL, req->why_dsn, vstring_str(req->why));
	}
done:
	if (sess != NULL && smtp_cache_keep(sess)) {
		sess->idle_since = time(NULL);
		*cache = sess;
	} else if (sess != NULL)
		smtp_sess_close(sess, 1);
	vstring_free(why);
	return 0;
}
