/*
 * NAME
 *	smtp - SMTP and LMTP client transport
 * SYNOPSIS
 *	smtp -n service -t type [-o name=value]... [-v]...
 *	lmtp -n service -t type [-o name=value]... [-v]...
 * DESCRIPTION
 *	The delivery agent for remote mail, run by the master as a
 *	single-client server (see smtp(8)). It reads delivery requests
 *	from the queue manager (HACKING.md, "Delivery request"), several per
 *	connection: for each it opens the queue file read-only, delivers
 *	the content to the nexthop over SMTP or LMTP, answers one reply per
 *	recipient as results become known and then "done=1" (with
 *	"dest_failed=1" when no server of the destination could be reached:
 *	the qmgr then rests the destination for a while). Between
 *	requests a session to the same nexthop stays open (see
 *	smtp_connect.c) for at most smtp_connection_cache_time_limit idle
 *	seconds.
 *
 *	When the destination's best MX host is this host and
 *	best_mx_transport names a transport, the request is handed to that
 *	transport's private/ socket unchanged (but for the transport name)
 *	and its replies are passed back (deliver_pass(3)).
 * DIAGNOSTICS
 *	Problems and results are logged; a malformed request ends the
 *	connection with the queue manager, which then defers the message.
 */
#include <sys/types.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "attr.h"
#include "deliver_pass.h"
#include "deliver_rcpt.h"
#include "deliver_reply.h"
#include "deliver_request.h"
#include "deliver_serve.h"
#include "iostuff.h"
#include "mail_conf.h"
#include "mail_server.h"
#include "mail_trace.h"
#include "msg.h"
#include "mymalloc.h"
#include "qfile.h"
#include "smtp.h"

static SMTP_SESS *smtp_cache;
static const char *smtp_program = "smtp";

/* smtp_req_rcpts - the recipient groups of a request (deliver_rcpt(3)) */

static int
smtp_req_rcpts(SMTP_REQ *req)
{
	DELIVER_RCPT *dr;
	int	 i, n;

	if ((n = deliver_rcpt_parse(req->attr, &dr)) < 0)
		return -1;
	req->rcpt = mycalloc(n + 1, sizeof(*req->rcpt));
	for (i = 0; i < n; i++) {
		req->rcpt[i].index = dr[i].index;
		req->rcpt[i].addr = dr[i].addr;
		req->rcpt[i].orcpt = dr[i].orcpt;
		req->rcpt[i].notify = dr[i].notify;
	}
	myfree(dr);
	req->nrcpt = req->pending = n;
	return 0;
}

/* smtp_req_init - a request from its attributes */

static int
smtp_req_init(SMTP_REQ *req, ATTR *attr, VSTREAM *client)
{
	memset(req, 0, sizeof(*req));
	clock_gettime(CLOCK_REALTIME, &req->t_start);
	req->attr = attr;
	req->client = client;
	req->why = vstring_alloc(200);
	if (deliver_req_parse(attr, &req->dr) < 0 || req->dr.nexthop == NULL)
		return -1;
	return smtp_req_rcpts(req);
}

static void
smtp_req_free(SMTP_REQ *req)
{
	if (req->msg)
		qf_close(req->msg);
	smtp_generic_free(req);
	myfree(req->rcpt);
	vstring_free(req->why);
}

/* smtp_handoff_reply - the other agent's reply for a recipient is ours */

static int
smtp_handoff_reply(const ATTR *rep, void *ctx)
{
	SMTP_REQ *req = ctx;
	long	 index = atol(attr_get(rep, DR_RCPT_INDEX));
	int	 j;

	for (j = 0; j < req->nrcpt; j++)
		if (!req->rcpt[j].done && req->rcpt[j].index == index) {
			req->rcpt[j].done = 1;
			req->pending--;
			(void)attr_write(req->client, rep);
		}
	return 0;
}

/* smtp_handoff - the best MX is this host: pass to best_mx_transport */

static void
smtp_handoff(SMTP_REQ *req)
{
	VSTRING	*why = vstring_alloc(100);
	ATTR	*fwd;

	fwd = deliver_pass_request(req->attr, smtp_cf.best_mx_transport, NULL, 1);
	if (deliver_pass(smtp_cf.best_mx_transport, fwd, (int)smtp_cf.tmo_connect,
	    (int)smtp_cf.ipc_timeout, smtp_handoff_reply, req, why) == 0
	    && req->pending > 0)
		vstring_strcpy(why, "no result for every recipient");
	if (req->pending > 0) {
		msg_warn("%s: mail for %s loops back to myself; hand-off to %s failed: %s",
		    req->dr.queue_id, req->dr.nexthop, smtp_cf.best_mx_transport, vstring_str(why));
		smtp_rcpt_rest(req, NULL, "4.3.0", "mail loops back to myself; cannot pass it to best_mx_transport");
	}
	attr_free(fwd);
	vstring_free(why);
}

/* smtp_deliver - one delivery request */

static int
smtp_deliver(ATTR *attr, VSTREAM *client)
{
	SMTP_REQ req;
	const char *prog = strrchr(smtp_program, '/');
	int	 ret = 0;

	/*
	 * The qmgr reuses this connection: smtpctl trace applies per
	 * request (not while a debug_peer_list session, which raised
	 * msg_verbose, is cached).
	 */
	if (smtp_cache == NULL || !smtp_cache->debug)
		(void)mail_trace_check(prog ? prog + 1 : smtp_program);
	if (smtp_req_init(&req, attr, client) < 0) {
		msg_warn("malformed delivery request from the queue manager");
		ret = -1;
		goto out;
	}
	smtp_title("%s: %s", req.dr.queue_id, req.dr.nexthop);
	if ((req.msg = qf_open_content(smtp_cf.queue_dir, req.dr.queue_name,
	    req.dr.queue_id, QF_OPEN_RDWR, (off_t)req.dr.content_offset,
	    (off_t)req.dr.content_size, req.why)) == NULL) {
		msg_warn("%s: %s", req.dr.queue_id, vstring_str(req.why));
		smtp_rcpt_rest(&req, NULL, "4.3.0", "cannot open the queue file");
	} else {
		/* Held until qf_close(): see deliver_record(). */
		if (qf_lock_agent(req.msg) < 0)
			msg_warn("%s: cannot lock the queue file: %m",
			    req.dr.queue_id);
		if (deliver_serve_orphaned(client)) {
			msg_warn("%s: the queue manager that sent the request "
			    "is gone: not delivering (its successor will)",
			    req.dr.queue_id);
			ret = -1;
			goto out;
		}
		if (req.dr.content_offset >= 0 && (req.dr.content_offset !=
		    req.msg->content_offset || req.dr.content_size !=
		    req.msg->content_size))
			msg_warn("%s: the request's content offset and size "
			    "differ from the queue file's; using the file's",
			    req.dr.queue_id);
		req.has8bit = smtp_body_has8(&req);
		if (smtp_cf.generic && smtp_generic_prepare(&req) < 0)
			smtp_rcpt_rest(&req, NULL, "4.3.0", "table lookup problem");
		else if (smtp_connect_deliver(&req, &smtp_cache) == 1)
			smtp_handoff(&req);
	}
	if (deliver_reply_done_flags(client, req.dest_failed ?
	    DELIVER_REPLY_DEST_FAILED : 0) < 0)
		ret = -1;
out:
	smtp_req_free(&req);
	return ret;
}

/* smtp_wait - wait for the next request; close an idle cached session */

static void
smtp_wait(VSTREAM *client)
{
	long	 left;

	if (smtp_cache == NULL || vstream_bufstat(client) > 0)
		return;
	left = smtp_cf.cache_time - (long)(time(NULL) - smtp_cache->idle_since);
	if (left <= 0 || poll_wait(vstream_fileno(client), POLLIN, (int)(left * 1000)) < 0) {
		smtp_title("idle");
		smtp_sess_close(smtp_cache, 1);
		smtp_cache = NULL;
	} else {
		vstream_ready(client);
	}
}

static void
smtp_service(VSTREAM *client, const char *service, char **argv)
{
	deliver_serve(client, (int)smtp_cf.ipc_timeout, smtp_wait, smtp_deliver);
	if (smtp_cache) {
		smtp_sess_close(smtp_cache, 1);
		smtp_cache = NULL;
	}
	smtp_title("idle");
}

static void
smtp_pre_init(const char *service, char **argv)
{
	smtp_conf_load(smtp_program, service);
}

static void
smtp_pre_exit(void)
{
	if (smtp_cache) {
		smtp_sess_close(smtp_cache, 1);
		smtp_cache = NULL;
	}
}

int
main(int argc, char **argv)
{
	static const MAIL_SERVER_OPS ops = {
		.pre_init = smtp_pre_init,
		.pre_exit = smtp_pre_exit,
	};

	if (argc > 0 && argv[0] != NULL)
		smtp_program = argv[0];
	smtp_title_init(argc, argv);
	smtp_program = argv[0];
	single_server_main(argc, argv, smtp_service, &ops);
	return 0;
}
