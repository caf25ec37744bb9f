/*
 * NAME
 *	deliver_clnt - the queue manager's delivery requests
 * SYNOPSIS
 *	#include "deliver_clnt.h"
 *
 *	int	deliver_clnt_request(VSTREAM *stream,
 *		    const DELIVER_CLNT_REQ *req);
 *	int	deliver_clnt_reply(VSTREAM *stream, ATTR *buf,
 *		    DELIVER_CLNT_REPLY *reply);
 * DESCRIPTION
 *	The client of the delivery request protocol (HACKING.md, "Delivery
 *	request"; the attribute names are deliver_request.h's), as the
 *	queue manager speaks it to a transport on private/<transport>. The
 *	transport parses the request with deliver_req_parse() and
 *	deliver_rcpt_parse() (deliver_rcpt(3)) and answers with
 *	deliver_reply(3).
 *
 *	deliver_clnt_request() writes one request to stream and flushes
 *	it: "request=deliver", where the queue file is (req->queue_name,
 *	the message's id), req->transport and req->nexthop, then from the
 *	queue file's envelope the sender, the DSN ENVID and RET, the
 *	origin attributes the file has (client_name, client_addr, helo,
 *	protocol), the arrival time and req->active (seconds.microseconds),
 *	the content's offset and size and, when the header knows it, its
 *	encoding (7bit or 8bit); then for each of the req->nrcpt recipient
 *	indices in req->rcpt the group rcpt_index, rcpt, orcpt, notify.
 *	The stream's time limit is the caller's.
 *
 *	deliver_clnt_reply() reads one reply from stream into buf (the
 *	caller's, reused from reply to reply) and describes it
 *	in reply: the recipient's index, status, action, reason and relay
 *	(null when absent), and flags: DELIVER_REPLY_DSN_PASSED when the
 *	next hop took the DSN request over, DELIVER_REPLY_DEST_FAILED (the
 *	final reply only) when the destination failed as a whole.
 * DIAGNOSTICS
 *	deliver_clnt_request() returns 0, or -1 when the stream failed.
 *	deliver_clnt_reply() returns DELIVER_CLNT_RCPT for a recipient's
 *	reply (whose index may be -1: absent or not a number; the caller
 *	logs it), DELIVER_CLNT_DONE for the final one, -1 when the read
 *	failed (end of file, time limit: vstream_ftimeout(), malformed).
 */
#include <stdio.h>
#include <string.h>

#include "deliver_clnt.h"
#include "deliver_rcpt.h"

/* Origin attributes of the envelope that travel with a request. */
static const char *deliver_clnt_origin[] = {
	DR_CLIENT_NAME, DR_CLIENT_ADDR, DR_HELO, DR_PROTOCOL, NULL,
};

int
deliver_clnt_request(VSTREAM *stream, const DELIVER_CLNT_REQ *req)
{
	const QF_MSG *qf = req->qf;
	const QF_RCPT *rp;
	const char **np, *value;
	ATTR	*a = attr_alloc();
	char	 notify[16];
	int	 i, rc;

	attr_add(a, DR_REQUEST, DR_REQ_DELIVER);
	attr_add(a, DR_QUEUE_NAME, req->queue_name);
	attr_add(a, DR_QUEUE_ID, qf->id);
	attr_add(a, DR_TRANSPORT, req->transport);
	attr_add(a, DR_NEXTHOP, req->nexthop);
	attr_add(a, DR_SENDER, qf->sender);
	attr_add(a, DR_DSN_ENVID, qf->dsn_envid ? qf->dsn_envid : "");
	attr_add(a, DR_DSN_RET, qf->dsn_ret == QF_RET_FULL ? "FULL" :
	    qf->dsn_ret == QF_RET_HDRS ? "HDRS" : "");
	for (np = deliver_clnt_origin; *np; np++)
		if ((value = qf_attr(qf, *np)) != NULL)
			attr_add(a, *np, value);
	attr_addf(a, DR_ARRIVAL, "%ld.%06ld", (long)qf->arrival,
	    qf->arrival_usec);
	attr_addf(a, DR_ACTIVE, "%ld.%06ld", (long)req->active.tv_sec,
	    (long)req->active.tv_usec);
	attr_add_long(a, DR_OFFSET, (long long)qf->content_offset);
	attr_add_long(a, DR_SIZE, (long long)qf->content_size);
	if (qf->content_8bit != QF_8BIT_UNKNOWN)
		attr_add(a, DR_ENCODING, qf->content_8bit == QF_8BIT_YES ?
		    DR_ENC_8BIT : DR_ENC_7BIT);
	for (i = 0; i < req->nrcpt; i++) {
		rp = &qf->rcpt[req->rcpt[i]];
		snprintf(notify, sizeof(notify), "%d", rp->notify);
		deliver_rcpt_add(a, req->rcpt[i], rp->address, rp->orcpt,
		    notify);
	}
	rc = attr_write(stream, a);
	attr_free(a);
	return rc;
}

/* A flag attribute: set when its value is "1". */
static int
deliver_clnt_flag(const ATTR *a, const char *name, int flag)
{
	const char *value = attr_get(a, name);

	return value && strcmp(value, "1") == 0 ? flag : 0;
}

int
deliver_clnt_reply(VSTREAM *stream, ATTR *buf, DELIVER_CLNT_REPLY *reply)
{
	if (attr_read(stream, buf) < 0)
		return -1;
	memset(reply, 0, sizeof(*reply));
	reply->index = -1;
	if (attr_get(buf, DR_DONE) != NULL) {
		reply->flags = deliver_clnt_flag(buf, DR_DEST_FAILED,
		    DELIVER_REPLY_DEST_FAILED);
		return DELIVER_CLNT_DONE;
	}
	reply->index = attr_get_long(buf, DR_RCPT_INDEX, -1);
	reply->status = attr_get(buf, DR_STATUS);
	reply->action = attr_get(buf, DR_ACTION);
	reply->reason = attr_get(buf, DR_REASON);
	reply->relay = attr_get(buf, DR_RELAY);
	reply->flags = deliver_clnt_flag(buf, DR_DSN_PASSED,
	    DELIVER_REPLY_DSN_PASSED);
	return DELIVER_CLNT_RCPT;
}
