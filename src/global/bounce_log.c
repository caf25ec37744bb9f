/*
 * NAME
 *	bounce_log - append to a message's bounce, defer or trace log
 * SYNOPSIS
 *	#include <bounce_log.h>
 *
 *	int	bounce_log_append(const char *queue_dir, const char *log,
 *		    const char *id, const QF_RCPT *rcpt, int index,
 *		    const char *status, const char *action,
 *		    const char *reason, const char *relay, time_t when,
 *		    VSTRING *why);
 * DESCRIPTION
 *	bounce_log_append() appends one record for recipient index (rcpt)
 *	of message id to queue_dir/log/id, where log is QB_LOG_BOUNCE,
 *	QB_LOG_DEFER or QB_LOG_TRACE (bounce_clnt.h gives the record's
 *	attributes; bounce(8) reads them). Bounce and trace records are
 *	fsynced before it returns: a caller marks the recipient done in the
 *	queue file only after that, so a crash never loses a notification.
 *	Defer records are not synced (they only feed delay warnings). A
 *	root writer (the local delivery agent) gives a log it creates to
 *	the owner of the log directory (mail_owner).
 *
 *	The writers are the queue manager (every result it applies) and a
 *	delivery agent that has a final result it cannot report to the
 *	queue manager (deliver_reply(3), deliver_record()). O_APPEND makes
 *	concurrent appends safe; a record repeated for an index supersedes
 *	the earlier one.
 * DIAGNOSTICS
 *	0, or -1 with the reason in why (when not null).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attr.h"
#include "bounce_log.h"
#include "bounce_clnt.h"
#include "vstream.h"

static void
bounce_log_record(ATTR *rec, const QF_RCPT *rp, int index, const char *status,
    const char *action, const char *reason, const char *relay, time_t when)
{
	attr_add_long(rec, QB_RCPT_INDEX, index);
	attr_add(rec, QB_RCPT, rp->address);
	attr_add(rec, QB_ORCPT, rp->orcpt ? rp->orcpt : "");
	attr_add_long(rec, QB_NOTIFY, rp->notify);
	attr_add(rec, QB_STATUS, status);
	attr_add(rec, QB_ACTION, action);
	attr_add(rec, QB_REASON, reason ? reason : "");
	attr_add(rec, QB_RELAY, relay ? relay : "none");
	attr_add_long(rec, QB_TIME, (long long)when);
}

/* A privileged writer (local) leaves the log to the log directory's owner. */
static void
bounce_log_owner(int fd, const char *queue_dir, const char *log)
{
	VSTRING	*dir = vstring_alloc(128);
	struct stat st;

	vstring_sprintf(dir, "%s/%s", queue_dir, log);
	if (stat(vstring_str(dir), &st) == 0)
		(void)fchown(fd, st.st_uid, st.st_gid);
	vstring_free(dir);
}

int
bounce_log_append(const char *queue_dir, const char *log, const char *id,
    const QF_RCPT *rcpt, int index, const char *status, const char *action,
    const char *reason, const char *relay, time_t when, VSTRING *why)
{
	VSTRING	*path = vstring_alloc(128);
	ATTR	*rec = attr_alloc();
	VSTREAM	*stream = NULL;
	int	 fd, rc = -1;

	vstring_sprintf(path, "%s/%s/%s", queue_dir, log, id);
	if ((fd = open(vstring_str(path), O_WRONLY | O_APPEND | O_CREAT
	    | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		if (why)
			vstring_sprintf(why, "cannot open %s: %s",
			    vstring_str(path), strerror(errno));
		goto done;
	}
	if (geteuid() == 0)
		bounce_log_owner(fd, queue_dir, log);
	stream = vstream_fdopen(fd, VSTREAM_FLAG_WRITE);
	bounce_log_record(rec, rcpt, index, status, action, reason, relay, when);
	if (attr_write(stream, rec) < 0
	    || (strcmp(log, QB_LOG_DEFER) != 0 && fsync(fd) < 0)) {
		if (why)
			vstring_sprintf(why, "cannot write %s: %s",
			    vstring_str(path), strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (stream && vstream_fclose(stream) != 0) {
		if (rc == 0 && why)
			vstring_sprintf(why, "cannot write %s: %s",
			    vstring_str(path), strerror(errno));
		rc = -1;
	}
	attr_free(rec);
	vstring_free(path);
	return rc;
}
