/*
 * NAME
 *	bounce_log - read the per-message status logs
 * SYNOPSIS
 *	#include "bounce.h"
 *
 *	int	bounce_log_read(const char *queue_dir, const char *log,
 *		    const char *id, BOUNCE_LOG *out, VSTRING *why);
 *	void	bounce_log_add(BOUNCE_LOG *log, const BOUNCE_RCPT *rcpt);
 *	void	bounce_log_free(BOUNCE_LOG *log);
 *	int	bounce_log_remove(const char *queue_dir, const char *log,
 *		    const char *id);
 * DESCRIPTION
 *	bounce_log_read() reads queue_dir/log/id, a sequence of attribute
 *	lists written by the qmgr (bounce_clnt.h), into out: one entry per
 *	recipient index, a later record replacing an earlier one for the
 *	same recipient. The file is not trusted: records without a valid
 *	index, recipient and status are skipped, and at most 100000
 *	records are read. A missing log is an empty one.
 *
 *	bounce_log_add() adds or replaces one entry (copies the strings).
 *
 *	bounce_log_remove() removes a log; a missing one is no error.
 * DIAGNOSTICS
 *	bounce_log_read() returns 0, or -1 with a reason when the file
 *	cannot be opened or read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "msg.h"
#include "mymalloc.h"
#include "bounce_clnt.h"
#include "bounce.h"

#define BOUNCE_LOG_MAX	100000

static void
rcpt_free(BOUNCE_RCPT *rp)
{
	myfree(rp->rcpt);
	myfree(rp->orcpt);
	myfree(rp->status);
	myfree(rp->action);
	myfree(rp->reason);
	myfree(rp->relay);
}

void
bounce_log_add(BOUNCE_LOG *log, const BOUNCE_RCPT *in)
{
	BOUNCE_RCPT *rp;
	int	 i;

	for (i = 0; i < log->count && log->rcpt[i].index != in->index; i++)
		;
	if (i < log->count) {
		rp = &log->rcpt[i];
		rcpt_free(rp);
	} else {
		if (log->count >= log->size) {
			log->size = log->size ? 2 * log->size : 8;
			log->rcpt = myrealloc(log->rcpt,
			    (size_t)log->size * sizeof(*log->rcpt));
		}
		rp = &log->rcpt[log->count++];
	}
	rp->index = in->index;
	rp->notify = in->notify;
	rp->time = in->time;
	rp->rcpt = mystrdup(in->rcpt);
	rp->orcpt = mystrdup(in->orcpt ? in->orcpt : "");
	rp->status = mystrdup(in->status);
	rp->action = mystrdup(in->action ? in->action : "");
	rp->reason = mystrdup(in->reason ? in->reason : "");
	rp->relay = mystrdup(in->relay ? in->relay : "none");
}

void
bounce_log_free(BOUNCE_LOG *log)
{
	int	 i;

	for (i = 0; i < log->count; i++)
		rcpt_free(&log->rcpt[i]);
	myfree(log->rcpt);
	memset(log, 0, sizeof(*log));
}

/* A D.D.D status with class 2, 4 or 5. */
static int
valid_status(const char *s)
{
	int	 dots = 0;

	if (s == NULL || strchr("245", *s) == NULL || *s == 0 || s[1] != '.')
		return 0;
	for (; *s; s++) {
		if (*s == '.')
			dots++;
		else if (*s < '0' || *s > '9')
			return 0;
	}
	return dots == 2;
}

static void
log_record(BOUNCE_LOG *out, const ATTR *a)
{
	BOUNCE_RCPT r;

	memset(&r, 0, sizeof(r));
	r.index = (int)attr_get_long(a, QB_RCPT_INDEX, -1);
	r.rcpt = (char *)attr_get(a, QB_RCPT);
	r.status = (char *)attr_get(a, QB_STATUS);
	if (r.index < 0 || r.rcpt == NULL || !valid_status(r.status))
		return;
	r.orcpt = (char *)attr_get(a, QB_ORCPT);
	r.notify = (int)attr_get_long(a, QB_NOTIFY, 0);
	r.action = (char *)attr_get(a, QB_ACTION);
	r.reason = (char *)attr_get(a, QB_REASON);
	r.relay = (char *)attr_get(a, QB_RELAY);
	r.time = (time_t)attr_get_long(a, QB_TIME, 0);
	bounce_log_add(out, &r);
}

int
bounce_log_read(const char *queue_dir, const char *log, const char *id,
    BOUNCE_LOG *out, VSTRING *why)
{
	VSTRING	*path = vstring_alloc(128);
	VSTREAM	*stream;
	ATTR	*a;
	int	 fd, n;

	memset(out, 0, sizeof(*out));
	vstring_sprintf(path, "%s/%s/%s", queue_dir, log, id);
	if ((fd = open(vstring_str(path), O_RDONLY | O_CLOEXEC | O_NOFOLLOW))
	    < 0) {
		vstring_free(path);
		if (errno == ENOENT)
			return 0;
		vstring_sprintf(why, "open %s/%s: %m", log, id);
		return -1;
	}
	stream = vstream_fdopen(fd, VSTREAM_FLAG_READ);
	a = attr_alloc();
	for (n = 0; n < BOUNCE_LOG_MAX && attr_read(stream, a) == 0; n++)
		log_record(out, a);
	attr_free(a);
	vstream_fclose(stream);
	vstring_free(path);
	return 0;
}

int
bounce_log_remove(const char *queue_dir, const char *log, const char *id)
{
	VSTRING	*path = vstring_alloc(128);
	int	 rc;

	vstring_sprintf(path, "%s/%s/%s", queue_dir, log, id);
	rc = unlink(vstring_str(path)) < 0 && errno != ENOENT ? -1 : 0;
	vstring_free(path);
	return rc;
}
