/*
 * NAME
 *	local - the local delivery agent
 * SYNOPSIS
 *	local -n service -t type [-o name=value]... [-v]...
 * DESCRIPTION
 *	The delivery agent for recipients in mydestination, run by the
 *	master as a single-client server, normally with root privileges
 *	(master.cf unpriv column "n"), see local(8). It reads delivery
 *	requests from the queue manager (HACKING.md, "Delivery request"),
 *	several per connection; for each it opens the queue file
 *	read-only, scans the header once for Delivered-To: fields, and
 *	handles each recipient in turn (local_recipient.c): aliases,
 *	.forward, mailbox, and the replies to the queue manager.
 * DIAGNOSTICS
 *	Problems and results are logged; a malformed request ends the
 *	connection with the queue manager, which then defers the message.
 */
#include <signal.h>
#include <string.h>

#include "attr.h"
#include "deliver_reply.h"
#include "deliver_serve.h"
#include "local.h"
#include "mail_server.h"
#include "mail_trace.h"
#include "msg.h"
#include "mymalloc.h"

/* local_request - one delivery request */

static int
local_request(ATTR *attr, VSTREAM *client)
{
	LOCAL_REQ req;
	int	 i, ret = 0;

	/* The qmgr reuses this connection: smtpctl trace per request. */
	(void)mail_trace_check("local");
	if (local_req_init(&req, attr, client) < 0) {
		msg_warn("malformed delivery request from the queue manager");
		ret = -1;
		goto out;
	}
	if ((req.msg = deliver_serve_open(local_cf.queue_dir, &req.dr,
	    req.delivered, client, req.rcpt, req.nrcpt)) != NULL)
		for (i = 0; i < req.nrcpt; i++)
			local_recipient(&req, &req.rcpt[i]);
	if (deliver_reply_done(client) < 0)
		ret = -1;
out:
	local_req_free(&req);
	return ret;
}

static void
local_service(VSTREAM *client, const char *service, char **argv)
{
	deliver_serve(client, (int)local_cf.ipc_timeout, NULL, local_request);
}

static void
local_pre_init(const char *service, char **argv)
{
	local_conf_load();
	signal(SIGPIPE, SIG_IGN);
}

int
main(int argc, char **argv)
{
	static const MAIL_SERVER_OPS ops = {
		.pre_init = local_pre_init,
	};

	single_server_main(argc, argv, local_service, &ops);
	return 0;
}
