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
 *	delivery (deliver_pass(3)).
 * DIAGNOSTICS
 *	An agent that cannot be reached or that ends the conversation
 *	without a result is a soft failure (4.3.0).
 */
#include <stdio.h>
#include <string.h>

#include "attr.h"
#include "deliver_pass.h"
#include "deliver_rcpt.h"
#include "deliver_request.h"
#include "local.h"
#include "msg.h"
#include "mymalloc.h"

typedef struct LOCAL_PASS {
	LOCAL_STATE *state;
	int	 rc;			/* LOCAL_*, -1 before the result */
} LOCAL_PASS;

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

/* local_pass_reply - the first result for our recipient */

static int
local_pass_reply(const ATTR *rep, void *ctx)
{
	LOCAL_PASS *pass = ctx;
	const char *dsn = attr_get(rep, DR_STATUS);
	const char *reason = attr_get(rep, DR_REASON);

	if (pass->rc < 0)
		pass->rc = local_pass_result(pass->state, dsn ? dsn : "4.3.0",
		    reason ? reason : "");
	return 0;
}

int
local_pass(LOCAL_STATE *state, const char *dest)
{
	VSTRING	*why = vstring_alloc(100);
	ATTR	*req;
	char	*transport = mystrdup(dest), *nexthop;
	LOCAL_PASS pass = {state, -1};

	if ((nexthop = strchr(transport, ':')) != NULL)
		*nexthop++ = 0;
	if (nexthop == NULL || *nexthop == 0)
		nexthop = (char *)state->req->dr.nexthop;
	if (*transport == 0 || strchr(transport, '/') || *transport == '.') {
		pass.rc = local_fail(state, "4.3.5", "bad mailbox_transport: %s",
		    dest);
		goto out;
	}
	req = deliver_pass_request(state->req->attr, transport, nexthop, 0);
	deliver_rcpt_add(req, state->rcpt->index, state->addr,
	    state->rcpt->orcpt, state->rcpt->notify);
	if (deliver_pass(transport, req, 30, (int)local_cf.ipc_timeout,
	    local_pass_reply, &pass, why) == 0 && pass.rc < 0)
		vstring_sprintf(why, "no result from %s", transport);
	attr_free(req);
	if (pass.rc < 0)
		pass.rc = local_fail(state, "4.3.0", "mailbox_transport %s "
		    "unavailable: %s", transport, vstring_str(why));
out:
	myfree(transport);
	vstring_free(why);
	return pass.rc;
}
