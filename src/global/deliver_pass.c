/*
 * NAME
 *	deliver_pass - pass a delivery request on to another agent
 * SYNOPSIS
 *	#include "deliver_pass.h"
 *
 *	ATTR	*deliver_pass_request(const ATTR *request,
 *		    const char *transport, const char *nexthop,
 *		    int with_rcpts);
 *	int	deliver_pass(const char *transport, const ATTR *request,
 *		    int connect_timeout, int timeout, DELIVER_PASS_FN fn,
 *		    void *context, VSTRING *why);
 * DESCRIPTION
 *	A delivery agent that hands (part of) its request to another one
 *	(smtp to best_mx_transport when the best MX is this host, local to
 *	mailbox_transport), as Postfix's deliver_pass(): the other agent
 *	delivers and logs, and its per-recipient replies become the first
 *	agent's.
 *
 *	deliver_pass_request() copies a delivery request (deliver_request.h)
 *	with the transport replaced, and the nexthop too when nexthop is not
 *	null; with with_rcpts zero the recipients are left out, for the
 *	caller to add the ones it passes (deliver_rcpt_add()). The result is the caller's to attr_free().
 *
 *	deliver_pass() sends request to the agent on private/transport
 *	(connect_timeout bounds the connect, timeout each read and write)
 *	and reads its replies with the protocol's reply reader
 *	(deliver_clnt_reply(), deliver_clnt(3)): fn(reply, context) gets
 *	each reply that names a recipient (rcpt_index), until the agent's
 *	final "done" reply or until fn returns -1.
 * DIAGNOSTICS
 *	deliver_pass() returns 0 after the final reply (or an fn that
 *	stopped), -1 with the reason in why when the agent could not be
 *	reached or ended the conversation without it: recipients it has
 *	not answered for are then the caller's to defer.
 */
#include <string.h>

#include "connect.h"
#include "deliver_clnt.h"
#include "deliver_pass.h"
#include "mail_trigger.h"
#include "vstream.h"

ATTR *
deliver_pass_request(const ATTR *in, const char *transport,
    const char *nexthop, int with_rcpts)
{
	ATTR	*a = attr_alloc();
	size_t	 i;

	for (i = 0; i < in->count; i++) {
		if (!with_rcpts && strcmp(in->name[i], DR_RCPT_INDEX) == 0)
			break;
		if (strcmp(in->name[i], DR_TRANSPORT) == 0)
			attr_add(a, DR_TRANSPORT, transport);
		else if (nexthop && strcmp(in->name[i], DR_NEXTHOP) == 0)
			attr_add(a, DR_NEXTHOP, nexthop);
		else
			attr_add(a, in->name[i], in->value[i]);
	}
	if (attr_get(a, DR_TRANSPORT) == NULL)
		attr_add(a, DR_TRANSPORT, transport);
	if (nexthop && attr_get(a, DR_NEXTHOP) == NULL)
		attr_add(a, DR_NEXTHOP, nexthop);
	return a;
}

int
deliver_pass(const char *transport, const ATTR *request, int connect_timeout,
    int timeout, DELIVER_PASS_FN fn, void *context, VSTRING *why)
{
	VSTRING	*service = vstring_alloc(100), *path = vstring_alloc(100);
	VSTREAM	*peer = NULL;
	ATTR	*rep = attr_alloc();
	DELIVER_CLNT_REPLY reply;
	int	 fd, kind, rc = -1;

	vstring_sprintf(service, "private/%s", transport);
	mail_trigger_path(path, vstring_str(service));
	if ((fd = unix_connect(vstring_str(path), connect_timeout, why)) < 0)
		goto out;
	peer = vstream_fdopen(fd, VSTREAM_FLAG_RW);
	vstream_set_timeout(peer, timeout);
	if (attr_write(peer, request) == 0) {
		while ((kind = deliver_clnt_reply(peer, rep, &reply)) >= 0) {
			if (kind == DELIVER_CLNT_DONE) {
				rc = 0;
				break;
			}
			if (attr_get(rep, DR_RCPT_INDEX) != NULL
			    && fn(rep, context) < 0) {
				rc = 0;
				break;
			}
		}
	}
	if (rc < 0)
		vstring_sprintf(why, "lost connection with %s",
		    vstring_str(path));
	vstream_fclose(peer);
out:
	attr_free(rep);
	vstring_free(service);
	vstring_free(path);
	return rc;
}
