/*
 * NAME
 *	local_pass - hand a recipient to another delivery agent
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_pass(LOCAL_STATE *state, const char *dest);
 * DESCRIPTION
 *	local_pass() implements mailbox_transport: dest is
 *	"transport:nexthop" (as "lmtp:unix:/run/dovecot/lmtp"; a missing
 *	nexthop is the request's). The current request is sent, with that
 *	transport and nexthop and the current recipient address only, to
 *	the delivery agent at queue_directory/private/transport, and its
 *	result for the recipient becomes ours. The other agent logs the
 *	delivery, as with Postfix's deliver_pass().
 * DIAGNOSTICS
 *	An agent that cannot be reached or that ends the conversation
 *	without a result is a soft failure (4.3.0).
 */
#include <stdio.h>
#include <string.h>

#include "attr.h"
#include "connect.h"
#include "deliver_request.h"
#include "local.h"
#include "msg.h"
#include "mymalloc.h"

/* local_pass_request - the request for the other agent */

static ATTR *
local_pass_request(LOCAL_STATE *state, const char *transport,
    const char *nexthop)
{
	const ATTR *in = state->req->attr;
	ATTR	*a = attr_alloc();
	size_t	 i;

	for (i = 0; i < in->count; i++) {
		if (strcmp(in->name[i], DR_RCPT_INDEX) == 0)
			break;
		if (strcmp(in->name[i], DR_TRANSPORT) == 0)
			attr_add(a, DR_TRANSPORT, transport);
		else if (strcmp(in->name[i], DR_NEXTHOP) == 0)
			attr_add(a, DR_NEXTHOP, nexthop);
		else
			attr_add(a, in->name[i], in->value[i]);
	}
	if (attr_get(a, DR_TRANSPORT) == NULL)
		attr_add(a, DR_TRANSPORT, transport);
	if (attr_get(a, DR_NEXTHOP) == NULL)
		attr_add(a, DR_NEXTHOP, nexthop);
	attr_add_long(a, DR_RCPT_INDEX, state->rcpt->index);
	attr_add(a, DR_RCPT, state->addr);
	if (state->rcpt->orcpt)
		attr_add(a, DR_ORCPT, state->rcpt->orcpt);
	if (state->rcpt->notify)
		attr_add(a, DR_NOTIFY, state->rcpt->notify);
	return a;
}

/* local_pass_result - count the other agent's result as ours */

static int
local_pass_result(LOCAL_STATE *state, const char *dsn, const char *reason)
{
	LOCAL_RESULT *res = state->res;

	if (dsn[0] == '2') {
		res->ndone++;
		vstring_strcpy(res->last, reason);
		return LOCAL_OK;
	}
	if (dsn[0] == '5') {
		if (res->nhard++ == 0) {
			snprintf(res->hard_dsn, sizeof(res->hard_dsn), "%s", dsn);
			vstring_strcpy(res->hard_why, reason);
		}
		return LOCAL_HARD;
	}
	if (res->nsoft++ == 0) {
		snprintf(res->dsn, sizeof(res->dsn), "%s", dsn[0] == '4' ? dsn : "4.3.0");
		vstring_strcpy(res->why, reason);
	}
	return LOCAL_SOFT;
}

int
local_pass(LOCAL_STATE *state, const char *dest)
{
	VSTRING	*path = vstring_alloc(100), *why = vstring_alloc(100);
	ATTR	*req = NULL, *rep = attr_alloc();
	VSTREAM	*peer = NULL;
	char	*transport = mystrdup(dest), *nexthop;
	const char *dsn;
	int	 fd, rc = -1;

	if ((nexthop = strchr(transport, ':')) != NULL)
		*nexthop++ = 0;
	if (nexthop == NULL || *nexthop == 0)
		nexthop = (char *)state->req->dr.nexthop;
	if (*transport == 0 || strchr(transport, '/') || *transport == '.') {
		rc = local_fail(state, "4.3.5", "bad mailbox_transport: %s", dest);
		goto out;
	}
	vstring_sprintf(path, "%s/private/%s", local_cf.queue_dir, transport);
	if ((fd = unix_connect(vstring_str(path), 30, why)) < 0)
		goto out;
	peer = vstream_fdopen(fd, VSTREAM_FLAG_RW);
	vstream_set_timeout(peer, (int)local_cf.ipc_timeout);
	req = local_pass_request(state, transport, nexthop);
	if (attr_write(peer, req) < 0)
		goto out;
	while (attr_reset(rep), attr_read(peer, rep) == 0 && !attr_get(rep, DR_DONE)) {
		if (attr_get(rep, DR_RCPT_INDEX) == NULL || rc >= 0)
			continue;
		dsn = attr_get(rep, DR_STATUS);
		rc = local_pass_result(state, dsn ? dsn : "4.3.0",
		    attr_get(rep, DR_REASON) ? attr_get(rep, DR_REASON) : "");
	}
	vstring_sprintf(why, "lost connection with %s", vstring_str(path));
out:
	if (rc < 0)
		rc = local_fail(state, "4.3.0", "mailbox_transport %s unavailable: %s",
		    transport, vstring_str(why));
	if (peer)
		vstream_fclose(peer);
	if (req)
		attr_free(req);
	attr_free(rep);
	myfree(transport);
	vstring_free(path);
	vstring_free(why);
	return rc;
}
