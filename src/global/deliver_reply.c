/*
 * NAME
 *	deliver_reply - replies of a delivery agent to the queue manager
 * SYNOPSIS
 *	#include <deliver_reply.h>
 *
 *	const char *deliver_action(const char *dsn);
 *	const char *deliver_status(const char *dsn);
 *	const char *deliver_soft_bounce(const char *dsn, char *buf,
 *		    size_t size);
 *	double	deliver_now(void);
 *	VSTRING *deliver_delays(VSTRING *out, double arrival, double active,
 *		    double start, double conn);
 *	int	deliver_reply(VSTREAM *client, long index, const char *dsn,
 *		    const char *action, const char *reason, const char *relay);
 *	int	deliver_reply_done(VSTREAM *client);
 *	int	deliver_reply_flags(VSTREAM *client, long index,
 *		    const char *dsn, const char *action, const char *reason,
 *		    const char *relay, int flags);
 *	int	deliver_reply_done_flags(VSTREAM *client, int flags);
 * DESCRIPTION
 *	The pieces every transport (local, smtp, ...) needs to answer a
 *	delivery request (HACKING.md, "Delivery request").
 *
 *	deliver_action() maps a DSN status to the reply action: 2.x.x
 *	"delivered", 5.x.x "failed", anything else "delayed".
 *	deliver_status() maps it to the status= word of the log line:
 *	"sent", "bounced", "deferred".
 *
 *	deliver_delays() replaces out with "delay=T, delays=a/b/c/d" as
 *	Postfix logs it: a is the time before the queue manager took the
 *	message (active - arrival), b the time in the queue manager
 *	(start - active), c the connection set-up (conn - start), d the
 *	transmission (now - conn). Times are deliver_now() values; zero
 *	means unknown. Numbers are short: 0, 0.05, 1.2, 12.
 *
 *	deliver_reply() writes one recipient's reply (rcpt_index, status,
 *	action, reason, and relay unless null); a null action is derived
 *	from the status. deliver_reply_done() writes the final "done=1".
 *	deliver_reply_flags() and deliver_reply_done_flags() do the same
 *	with flags: DELIVER_REPLY_DSN_PASSED adds "dsn_passed=1" (the next
 *	hop took the DSN request over), DELIVER_REPLY_DEST_FAILED
 *	"dest_failed=1" to the final reply (the destination failed as a
 *	whole).
 * DIAGNOSTICS
 *	deliver_reply() and deliver_reply_done() return 0, or -1 when the
 *	write failed (the qmgr then treats missing recipients as deferred).
 */
#include <stdio.h>
#include <time.h>

#include "attr.h"
#include "mail_conf.h"
#include "deliver_reply.h"
#include "deliver_request.h"

const char *
deliver_action(const char *dsn)
{
	if (dsn[0] == '2')
		return "delivered";
	if (dsn[0] == '5')
		return "failed";
	return "delayed";
}

const char *
deliver_status(const char *dsn)
{
	if (dsn[0] == '2')
		return "sent";
	if (dsn[0] == '5')
		return "bounced";
	return "deferred";
}

const char *
deliver_soft_bounce(const char *dsn, char *buf, size_t size)
{
	static int soft = -1;

	if (soft < 0)
		soft = conf_bool("soft_bounce");
	if (!soft || dsn[0] != '5' || size < 2)
		return dsn;
	snprintf(buf, size, "4%s", dsn + 1);
	return buf;
}

double
deliver_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* deliver_fmt - Postfix-like short numbers */

static const char *
deliver_fmt(char *buf, size_t len, double v)
{
	if (v < 0.005)
		snprintf(buf, len, "0");
	else if (v < 10)
		snprintf(buf, len, "%.2g", v);
	else
		snprintf(buf, len, "%.0f", v);
	return buf;
}

VSTRING *
deliver_delays(VSTRING *out, double arrival, double active, double start,
    double conn)
{
	double	 now = deliver_now(), a, b, c, d, total;
	char	 b1[32], b2[32], b3[32], b4[32], b5[32];

	if (start <= 0)
		start = now;
	if (conn <= 0)
		conn = start;
	a = active > 0 && arrival > 0 ? active - arrival : 0;
	b = active > 0 ? start - active : 0;
	c = conn - start;
	d = now - conn;
	total = arrival > 0 ? now - arrival : a + b + c + d;
	vstring_sprintf(out, "delay=%s, delays=%s/%s/%s/%s",
	    deliver_fmt(b1, sizeof(b1), total), deliver_fmt(b2, sizeof(b2), a),
	    deliver_fmt(b3, sizeof(b3), b), deliver_fmt(b4, sizeof(b4), c),
	    deliver_fmt(b5, sizeof(b5), d));
	return out;
}

int
deliver_reply(VSTREAM *client, long index, const char *dsn,
    const char *action, const char *reason, const char *relay)
{
	return deliver_reply_flags(client, index, dsn, action, reason, relay, 0);
}

int
deliver_reply_flags(VSTREAM *client, long index, const char *dsn,
    const char *action, const char *reason, const char *relay, int flags)
{
	ATTR	*a = attr_alloc();
	int	 ret;

	attr_add_long(a, DR_RCPT_INDEX, index);
	attr_add(a, DR_STATUS, dsn);
	attr_add(a, DR_ACTION, action ? action : deliver_action(dsn));
	attr_add(a, DR_REASON, reason ? reason : "");
	if (relay)
		attr_add(a, DR_RELAY, relay);
	if (flags & DELIVER_REPLY_DSN_PASSED)
		attr_add(a, DR_DSN_PASSED, "1");
	ret = attr_write(client, a);
	attr_free(a);
	return ret;
}

int
deliver_reply_done(VSTREAM *client)
{
	return deliver_reply_done_flags(client, 0);
}

int
deliver_reply_done_flags(VSTREAM *client, int flags)
{
	ATTR	*a = attr_alloc();
	int	 ret;

	attr_add(a, DR_DONE, "1");
	if (flags & DELIVER_REPLY_DEST_FAILED)
		attr_add(a, DR_DEST_FAILED, "1");
	ret = attr_write(client, a);
	attr_free(a);
	return ret;
}
