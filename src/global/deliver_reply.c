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
 *	int	deliver_mark(QF_MSG *msg, long index, const char *dsn,
 *		    int flags);
 *	int	deliver_record(QF_MSG *msg, const char *queue_dir, long index,
 *		    const char *dsn, const char *action, const char *reason,
 *		    const char *relay, int flags);
 *	void	deliver_sent(QF_MSG *msg, const char *queue_dir, long index,
 *		    const char *dsn, const char *action, const char *reason,
 *		    const char *relay, int flags);
 *	void	deliver_sent_done(int qmgr_gone);
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
 *	from the status. deliver_reply_done() writes the final "done=1"
 *	and sends it with the recipients' replies before it, which stay
 *	in the stream's buffer until then (a request's results take one
 *	write; a transport killed before "done" has its delivered
 *	recipients noted in the queue file anyway: deliver_mark()).
 *	deliver_reply_flags() and deliver_reply_done_flags() do the same
 *	with flags: DELIVER_REPLY_DSN_PASSED adds "dsn_passed=1" (the next
 *	hop took the DSN request over), DELIVER_REPLY_DEST_FAILED
 *	"dest_failed=1" to the final reply (the destination failed as a
 *	whole).
 *
 *	deliver_mark() is what a transport does with a delivered recipient
 *	(2.x.x) just before it replies: it marks the recipient's slot done
 *	(delivered) in the queue file, not synced, so that the qmgr and the
 *	agent killed together between the remote server's "250" and the
 *	qmgr's update do not deliver the recipient a second time (one pwrite
 *	per delivered recipient; the qmgr's own update makes it durable).
 *	A recipient that needs a success notice (NOTIFY=SUCCESS, not passed
 *	on) is left to the qmgr, which writes its trace record first.
 *	deliver_mark() returns 1 when it marked the slot, 0 when it had
 *	nothing to do, -1 with a warning when the write failed.
 *
 *	deliver_record() is what a transport does when deliver_reply()
 *	failed (the queue manager died or hung up) for a final result: it
 *	applies the result to the queue file itself, as the queue manager
 *	would have, so that the next queue manager does not deliver the
 *	recipient again. A delivered recipient (2.x.x) gets a trace log
 *	record when it asked for NOTIFY=SUCCESS (unless flags has
 *	DELIVER_REPLY_DSN_PASSED), a failed one (5.x.x) a bounce log record,
 *	both synced; then the recipient's slot is marked done (delivered or
 *	bounced) with qf_update_rcpt(). The next queue manager finds the
 *	bounce or trace log when it takes the message in and sends the
 *	non-delivery report or success notice as usual: a final failure
 *	still produces its bounce. A deferral (4.x.x) is not recorded: the
 *	recipient is pending anyway and is tried again. The transport holds
 *	the message's agent lock (qf_lock_agent()) from qf_open() on, so
 *	that a new queue manager leaves the file alone until the transport
 *	is done with it.
 *
 *	A reply that was written is not yet a reply the queue manager has
 *	applied: it may die before it reads it. deliver_sent() remembers a
 *	final result that was sent for msg, and keeps msg's agent lock
 *	(a duplicate of its descriptor) after the transport closes msg.
 *	deliver_sent_done(0), called when the next request arrives on the
 *	connection, forgets them: the queue manager sends a request only
 *	after it has applied every reply to the previous one (durably: it
 *	updates the queue file, or removes or defers it, before it reads
 *	anything else). deliver_sent_done(1), called when the connection
 *	ends instead (end of file, timeout, write error), opens the queue
 *	file again: when it is still in active/ (the same file) and a
 *	remembered recipient is still pending there, the queue manager died
 *	before it applied the result, and deliver_record() applies it. A
 *	file that was removed or moved on needs nothing. This costs nothing
 *	per delivery beyond a dup(2); the check runs once per connection.
 *	The memory is per process: a transport serves one connection at a
 *	time (single_server_main).
 * DIAGNOSTICS
 *	deliver_reply() and deliver_reply_done() return 0, or -1 when the
 *	write failed (the qmgr then treats missing recipients as deferred).
 *
 *	deliver_record() returns 1 when it recorded the result, 0 when
 *	there was nothing to record (a deferral), -1 with a warning when
 *	the queue file or a log could not be written (the recipient may
 *	then be delivered again: the design's "at worst twice").
 */
#include <sys/stat.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attr.h"
#include "bounce_log.h"
#include "mail_conf.h"
#include "deliver_reply.h"
#include "deliver_request.h"
#include "msg.h"
#include "mymalloc.h"
#include "bounce_clnt.h"

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
	/* Sent with the next reply or "done": one write per request. */
	ret = attr_write_buffered(client, a);
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

/* deliver_slot_done - the recipient's slot as the queue manager writes it */

static void
deliver_slot_done(QF_RCPT *rp, const char *dsn, const char *reason, time_t now)
{
	rp->status = QF_RCPT_DONE;
	rp->flags |= dsn[0] == '2' ? QF_RCPT_FLAG_DELIVERED : QF_RCPT_FLAG_BOUNCED;
	rp->attempts++;
	rp->last_attempt = now;
	rp->next_attempt = 0;
	if (dsn[0] == '2')
		qf_rcpt_set_error(rp, "%s", "");
	else
		qf_rcpt_set_error(rp, "%s %s", dsn, reason ? reason : "");
}

int
deliver_mark(QF_MSG *msg, long index, const char *dsn, int flags)
{
	QF_RCPT	*rp;

	if (msg == NULL || msg->fd < 0 || index < 0 || index >= msg->nrcpt
	    || dsn[0] != '2')
		return 0;
	rp = &msg->rcpt[index];
	if (rp->status != QF_RCPT_PENDING || ((rp->notify & QF_NOTIFY_SUCCESS)
	    && !(flags & DELIVER_REPLY_DSN_PASSED)))
		return 0;
	deliver_slot_done(rp, dsn, NULL, time(NULL));
	if (qf_mark_rcpt(msg, (int)index) < 0) {
		msg_warn("%s: <%s>: cannot note the delivery in the queue file: %m",
		    msg->id, rp->address);
		return -1;
	}
	return 1;
}

int
deliver_record(QF_MSG *msg, const char *queue_dir, long index,
    const char *dsn, const char *action, const char *reason,
    const char *relay, int flags)
{
	VSTRING	*why;
	QF_RCPT	*rp;
	const char *log = NULL;
	time_t	 now = time(NULL);

	if (msg == NULL || index < 0 || index >= msg->nrcpt
	    || (dsn[0] != '2' && dsn[0] != '5'))
		return 0;
	rp = &msg->rcpt[index];
	if (dsn[0] == '2') {
		if ((rp->notify & QF_NOTIFY_SUCCESS)
		    && !(flags & DELIVER_REPLY_DSN_PASSED))
			log = QB_LOG_TRACE;
		if (action == NULL)
			action = "delivered";
	} else {
		log = QB_LOG_BOUNCE;
		action = "failed";
	}
	if (log != NULL && qf_logs_begin(msg) < 0) {
		msg_warn("%s: <%s>: cannot update the queue file header: %m",
		    msg->id, rp->address);
		return -1;
	}
	why = vstring_alloc(100);
	if (log != NULL && bounce_log_append(queue_dir, log, msg->id, rp,
	    (int)index, dsn, action, reason, relay, now, why) < 0) {
		msg_warn("%s: <%s>: %s", msg->id, rp->address, vstring_str(why));
		vstring_free(why);
		return -1;
	}
	vstring_free(why);
	if (rp->status != QF_RCPT_DONE)		/* else deliver_mark() did */
		deliver_slot_done(rp, dsn, reason, now);
	if (qf_update_rcpt(msg, (int)index) < 0) {
		msg_warn("%s: <%s>: cannot record the result in the queue "
		    "file: %m", msg->id, rp->address);
		return -1;
	}
	msg_info("%s: <%s>: result recorded in the queue file for the next "
	    "queue manager", msg->id, rp->address);
	return 1;
}

/* Results sent for the last request, not yet known to be applied. */
typedef struct DELIVER_SENT_RCPT {
	long	 index;
	char	 dsn[16];
	char	*action;
	char	*reason;
	char	*relay;
	int	 flags;
} DELIVER_SENT_RCPT;

static struct {
	char	*queue_dir;
	char	*queue;
	char	 id[QF_ID_LEN + 1];
	int	 lock_fd;		/* dup of the message's descriptor */
	DELIVER_SENT_RCPT *rcpt;
	int	 n, size;
} ds = { .lock_fd = -1 };

static void
deliver_sent_forget(void)
{
	int	 i;

	for (i = 0; i < ds.n; i++) {
		myfree(ds.rcpt[i].action);
		myfree(ds.rcpt[i].reason);
		myfree(ds.rcpt[i].relay);
	}
	ds.n = 0;
	if (ds.lock_fd >= 0)
		(void)close(ds.lock_fd);
	ds.lock_fd = -1;
	myfree(ds.queue_dir);
	myfree(ds.queue);
	ds.queue_dir = ds.queue = NULL;
	ds.id[0] = 0;
}

void
deliver_sent(QF_MSG *msg, const char *queue_dir, long index, const char *dsn,
    const char *action, const char *reason, const char *relay, int flags)
{
	DELIVER_SENT_RCPT *r;

	if (msg == NULL || msg->fd < 0 || (dsn[0] != '2' && dsn[0] != '5'))
		return;
	if (ds.n > 0 && strcmp(ds.id, msg->id) != 0)
		deliver_sent_forget();		/* cannot happen: one per request */
	if (ds.lock_fd < 0) {
		if ((ds.lock_fd = fcntl(msg->fd, F_DUPFD_CLOEXEC, 3)) < 0)
			return;
		ds.queue_dir = mystrdup(queue_dir);
		ds.queue = mystrdup(msg->queue);
		snprintf(ds.id, sizeof(ds.id), "%s", msg->id);
	}
	if (ds.n >= ds.size) {
		ds.size = ds.size ? ds.size * 2 : 8;
		ds.rcpt = myrealloc(ds.rcpt, (size_t)ds.size * sizeof(*ds.rcpt));
	}
	r = &ds.rcpt[ds.n++];
	r->index = index;
	snprintf(r->dsn, sizeof(r->dsn), "%s", dsn);
	r->action = action ? mystrdup(action) : NULL;
	r->reason = reason ? mystrdup(reason) : NULL;
	r->relay = relay ? mystrdup(relay) : NULL;
	r->flags = flags;
}

/* deliver_sent_same - is msg the very file we still hold? */
static int
deliver_sent_same(const QF_MSG *msg)
{
	struct stat a, b;

	return msg->fd >= 0 && fstat(msg->fd, &a) == 0
	    && fstat(ds.lock_fd, &b) == 0 && a.st_dev == b.st_dev
	    && a.st_ino == b.st_ino && b.st_nlink > 0;
}

void
deliver_sent_done(int qmgr_gone)
{
	DELIVER_SENT_RCPT *r;
	QF_MSG	*msg;
	int	 i;

	if (ds.n == 0 || !qmgr_gone) {
		deliver_sent_forget();
		return;
	}
	if ((msg = qf_open(ds.queue_dir, ds.queue, ds.id, QF_OPEN_RDWR,
	    NULL)) != NULL) {
		if (deliver_sent_same(msg)) {
			for (i = 0; i < ds.n; i++) {
				r = &ds.rcpt[i];
				if (r->index < msg->nrcpt && msg->rcpt[r->index].status
				    == QF_RCPT_PENDING)
					(void)deliver_record(msg, ds.queue_dir,
					    r->index, r->dsn, r->action,
					    r->reason, r->relay, r->flags);
			}
		}
		qf_close(msg);
	}
	deliver_sent_forget();
}
