/*
 * NAME
 *	local_request - delivery requests from the queue manager
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_req_init(LOCAL_REQ *req, ATTR *attr, VSTREAM *client);
 *	void	local_req_free(LOCAL_REQ *req);
 * DESCRIPTION
 *	local_req_init() fills in req from the request attributes (see
 *	HACKING.md, "Delivery request"): queue file, sender, times, and the
 *	recipient groups.
 *	The Delivered-To: values of the message, for the mail loop test,
 *	are collected into req->delivered by delivered_hdr_scan(3).
 * DIAGNOSTICS
 *	local_req_init() returns -1 for a malformed request.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deliver_reply.h"
#include "deliver_request.h"
#include "local.h"
#include "mymalloc.h"

/* local_req_rcpts - the recipient groups (deliver_rcpt(3)) */

static int
local_req_rcpts(LOCAL_REQ *req)
{
	int	 n;

	if ((n = deliver_rcpt_parse(req->attr, &req->rcpt)) < 0)
		return -1;
	req->nrcpt = n;
	return 0;
}

int
local_req_init(LOCAL_REQ *req, ATTR *attr, VSTREAM *client)
{
	memset(req, 0, sizeof(*req));
	req->start = deliver_now();
	req->attr = attr;
	req->client = client;
	req->delivered = argv_alloc(4);
	if (deliver_req_parse(attr, &req->dr) < 0)
		return -1;
	if (req->dr.nexthop == NULL)
		req->dr.nexthop = "";
	return local_req_rcpts(req);
}

void
local_req_free(LOCAL_REQ *req)
{
	if (req->msg)
		qf_close(req->msg);
	myfree(req->rcpt);
	argv_free(req->delivered);
}
