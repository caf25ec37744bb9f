/*
 * NAME
 *	local_result - results of local deliveries: logging, replies
 * SYNOPSIS
 *	#include "local.h"
#include "mail_conf.h"
 *
 *	LOCAL_RESULT *local_result_alloc(void);
 *	void	local_result_free(LOCAL_RESULT *res);
 *	int	local_done(LOCAL_STATE *state, const char *fmt, ...);
 *	int	local_fail(LOCAL_STATE *state, const char *dsn,
 *		    const char *fmt, ...);
 *	void	local_log(LOCAL_STATE *state, const char *to,
 *		    const char *dsn, const char *text);
 *	int	local_dup(LOCAL_STATE *state, const char *kind,
 *		    const char *key);
 *	void	local_reply(LOCAL_STATE *state);
 *	const char *local_orig_to(const LOCAL_STATE *state);
 * DESCRIPTION
 *	One recipient of the queue manager may become several deliveries
 *	(an alias of several users, a .forward with a file and a
 *	command). Each final delivery is logged on its own, Postfix
 *	style:
 *
 *	    ID: to=<user@host>, orig_to=<alias@host>, relay=local,
 *	    delay=T, delays=a/b/c/d, dsn=2.0.0, status=sent (text)
 *
 *	and counted in the recipient's LOCAL_RESULT. local_done() records
 *	a success and returns LOCAL_OK; local_fail() a failure and returns
 *	LOCAL_SOFT (4.x.x) or LOCAL_HARD (5.x.x).
 *
 *	local_reply() sends the one reply for the queue manager's
 *	recipient: deferred when any delivery failed softly (the whole
 *	recipient is tried again later, as Postfix does), bounced when
 *	one failed for good, delivered otherwise.
 *
 *	local_dup() is the duplicate filter of one recipient's expansion:
 *	it returns 1 when kind:key was seen before, else records it and
 *	returns 0. It remembers at most duplicate_filter_limit entries (0:
 *	no limit), as Postfix's local(8); past that, nothing is a
 *	duplicate.
 * DIAGNOSTICS
 *	A failed reply to the queue manager is logged.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "deliver_filter.h"
#include "deliver_reply.h"
#include "local.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"

static long long local_dup_limit = -1;	/* duplicate_filter_limit */

LOCAL_RESULT *
local_result_alloc(void)
{
	LOCAL_RESULT *res = mycalloc(1, sizeof(*res));

	res->why = vstring_alloc(100);
	res->hard_why = vstring_alloc(100);
	res->last = vstring_alloc(100);
	res->fwd = argv_alloc(4);
	res->fwd_orig = argv_alloc(4);
	res->dups = htable_create(16);
	if (local_dup_limit < 0)
		local_dup_limit = conf_int("duplicate_filter_limit");
	return res;
}

void
local_result_free(LOCAL_RESULT *res)
{
	vstring_free(res->why);
	vstring_free(res->hard_why);
	vstring_free(res->last);
	argv_free(res->fwd);
	argv_free(res->fwd_orig);
	myfree(res->fwd_sender);
	htable_free(res->dups, NULL);
	myfree(res);
}

const char *
local_orig_to(const LOCAL_STATE *state)
{
	const char *o = state->rcpt->orcpt;

	if (o && strncasecmp(o, "rfc822;", 7) == 0)
		o += 7;
	if (o == NULL || *o == 0)
		o = state->rcpt->addr;
	return o;
}

void
local_log(LOCAL_STATE *state, const char *to, const char *dsn,
    const char *text)
{
	LOCAL_REQ *req = state->req;
	VSTRING	*delays = vstring_alloc(80), *orig = vstring_alloc(80);
	const char *o = local_orig_to(state);

	if (strcasecmp(o, to) != 0)
		vstring_sprintf(orig, ", orig_to=<%s>", o);
	deliver_delays(delays, req->dr.arrival, req->dr.active, req->start, 0);
	msg_info("%s: to=<%s>%s, relay=local, %s, dsn=%s, status=%s (%s)",
	    req->dr.queue_id, to, vstring_str(orig), vstring_str(delays), dsn,
	    deliver_status(dsn), text);
	vstring_free(delays);
	vstring_free(orig);
}

int
local_done(LOCAL_STATE *state, const char *fmt, ...)
{
	va_list	 ap;

	LOCAL_RESULT *res = state->res;
	const char *dsn = "2.0.0", *text;

	va_start(ap, fmt);
	vstring_reset(res->last);
	vstring_vsprintf_append(res->last, fmt, ap);
	va_end(ap);
	text = vstring_str(res->last);
	if (deliver_filter("local_delivery_status_filter", &dsn, &text))
		vstring_strcpy(res->last, text);
	snprintf(res->last_dsn, sizeof(res->last_dsn), "%s", dsn);
	local_log(state, state->addr, dsn, vstring_str(res->last));
	res->ndone++;
	return LOCAL_OK;
}

int
local_fail(LOCAL_STATE *state, const char *dsn, const char *fmt, ...)
{
	LOCAL_RESULT *res = state->res;
	VSTRING	*text = vstring_alloc(100);
	va_list	 ap;
	char	 soft[16];
	int	 hard;

	const char *t;

	va_start(ap, fmt);
	vstring_vsprintf_append(text, fmt, ap);
	va_end(ap);
	t = vstring_str(text);
	if (deliver_filter("local_delivery_status_filter", &dsn, &t))
		vstring_strcpy(text, t);
	dsn = deliver_soft_bounce(dsn, soft, sizeof(soft));
	hard = dsn[0] == '5';
	local_log(state, state->addr, dsn, vstring_str(text));
	if (hard && res->nhard++ == 0) {
		snprintf(res->hard_dsn, sizeof(res->hard_dsn), "%s", dsn);
		vstring_strcpy(res->hard_why, vstring_str(text));
	} else if (!hard && res->nsoft++ == 0) {
		snprintf(res->dsn, sizeof(res->dsn), "%s", dsn);
		vstring_strcpy(res->why, vstring_str(text));
	}
	vstring_free(text);
	return hard ? LOCAL_HARD : LOCAL_SOFT;
}

int
local_dup(LOCAL_STATE *state, const char *kind, const char *key)
{
	VSTRING	*k = vstring_alloc(100);
	int	 seen;

	vstring_sprintf(k, "%s:%s", kind, key);
	vstring_lower(k);
	if ((seen = htable_find(state->res->dups, vstring_str(k)) != NULL) == 0
	    && (local_dup_limit <= 0
	    || state->res->dups->used < (size_t)local_dup_limit))
		htable_enter(state->res->dups, vstring_str(k), state->res);
	vstring_free(k);
	return seen;
}

void
local_reply(LOCAL_STATE *state)
{
	LOCAL_RESULT *res = state->res;
	const char *dsn = *res->last_dsn ? res->last_dsn : "2.0.0";
	const char *why = vstring_str(res->last);

	if (res->nsoft) {
		dsn = res->dsn;
		why = vstring_str(res->why);
	} else if (res->nhard) {
		dsn = res->hard_dsn;
		why = vstring_str(res->hard_why);
	} else if (res->ndone == 0) {
		why = "delivered (no targets)";
	}
	if (*dsn == '2')
		(void)deliver_mark(state->req->msg, state->rcpt->index, dsn, 0);
	if (deliver_reply(state->req->client, state->rcpt->index, dsn, NULL,
	    why, NULL) < 0) {
		msg_warn("%s: cannot send the result for <%s> to the queue manager",
		    state->req->dr.queue_id, state->rcpt->addr);
		(void)deliver_record(state->req->msg, local_cf.queue_dir,
		    state->rcpt->index, dsn, NULL, why, NULL, 0);
	} else {
		deliver_sent(state->req->msg, local_cf.queue_dir,
		    state->rcpt->index, dsn, NULL, why, NULL, 0);
	}
}
