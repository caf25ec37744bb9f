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
 *	VSTRING *deliver_delay_fmt(VSTRING *out, double seconds);
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
 *	means unknown. deliver_delay_fmt() appends one such number as
 *	Postfix writes it: two significant digits, at most
 *	delay_logging_resolution_limit digits after the point, no trailing
 *	zeros (0, 0.05, 1.2, 12); the queue manager's own log lines use it
 *	too.
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
#include <string.h>
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

/*
 * deliver_delay_fmt - a delay as Postfix logs it: two significant digits,
 * at most delay_logging_resolution_limit digits after the point, trailing
 * zeros dropped (0, 0.05, 1.2, 12).
 */
VSTRING *
deliver_delay_fmt(VSTRING *out, double v)
{
	static int maxd = -1;
	char	 buf[64];
	double	 t;
	int	 d;
	size_t	 n;

	if (maxd < 0)
		maxd = (int)conf_int("delay_logging_resolution_limit");
	if (!(v > 0))
		v = 0;
	if (v >= 10)
		d = 0;
	else if (v >= 1)
		d = 1;
	else
		for (d = 2, t = v; d < 9 && t < 0.1; d++)
			t *= 10;
	if (d > maxd)
		d = maxd;
	snprintf(buf, sizeof(buf), "%.*f", d, v);
	if (strchr(buf, '.') != NULL) {
		for (n = strlen(buf); buf[n - 1] == '0'; n--)
			buf[n - 1] = 0;
		if (buf[n - 1] == '.')
			buf[n - 1] = 0;
	}
	vstring_strcat(out, buf);
	return out;
}

VSTRING *
deliver_delays(VSTRING *out, double arrival, double active, double start,
    double conn)
{
	double	 now = deliver_now(), a, b, c, d, total;

	if (start <= 0)
		start = now;
	if (conn <= 0)
		conn = start;
	a = active > 0 && arrival > 0 ? active - arrival : 0;
	b = active > 0 ? start - active : 0;
	c = conn - start;
	d = now - conn;
	total = arrival > 0 ? now - arrival : a + b + c + d;
	vstring_strcpy(out, "delay=");
	deliver_delay_fmt(out, total);
	vstring_strcat(out, ", delays=");
	deliver_delay_fmt(out, a);
	vstring_strcat(out, "/");
	deliver_delay_fmt(out, b);
	vstring_strcat(out, "/");
	deliver_delay_fmt(out, c);
	vstring_strcat(out, "/");
	deliver_delay_fmt(out, d);
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
