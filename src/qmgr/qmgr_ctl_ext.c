/*
 * NAME
 *	qmgr_ctl_ext - smtpctl trace, profile, update table, pause smtp
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	int	qmgr_ctl_trace(VSTREAM *stream, const ATTR *req,
 *		    VSTRING *why);
 *	int	qmgr_ctl_profile(VSTREAM *stream, const ATTR *req,
 *		    VSTRING *why);
 *	int	qmgr_ctl_update_table(VSTREAM *stream, const ATTR *req,
 *		    VSTRING *why);
 *	int	qmgr_ctl_pause_smtp(VSTREAM *stream, const ATTR *req,
 *		    VSTRING *why);
 *
 *	void	qmgr_profile_start(struct timeval *start);
 *	void	qmgr_profile_end(int what, const struct timeval *start,
 *		    const char *label, const char *id);
 * DESCRIPTION
 *	These serve the control requests that smtpctl(8) added to the
 *	qmgr's, all effective at once, without a restart; they are handlers
 *	in qmgr_ctl.c's request table, which lets only privileged clients
 *	(root, mail_owner, setgid_group) send them: each changes state.
 *	They return 0, or -1 with a reason.
 * .IP "trace, untrace (subsystem)"
 *	the smtpctl(8) subsystems (imsg, ipc, io, smtp, filters, mta,
 *	bounce, scheduler, expand, lookup, stat, rules, mproc, queue, all).
 *	While any subsystem that lives in the qmgr (scheduler, queue, ipc,
 *	imsg, lookup, stat, mproc) is traced, the qmgr logs verbosely. The
 *	set of traced subsystems is also written, one name per line, to
 *	$queue_directory/pid/trace (removed when empty), the one place
 *	where the other daemons (smtpd for smtp/io/rules/filters, smtp and
 *	lmtp for mta, bounce, local for expand and lookup) can find it;
 *	see mail_trace(3).
 * .IP "profile, unprofile (queue, ipc; imsg means ipc)"
 *	profiling logs the time each queue file load (queue) and each
 *	control or bounce request (ipc) took: "profile: queue load <id>
 *	1.234 ms".
 * .IP "update_table (table)"
 *	reopens the named lookup table now ("type:name" or its file name;
 *	every cached table when empty) with dict_reopen(), instead of at
 *	the next change check. The other daemons check their tables'
 *	files before lookups (dict(3)), so a changed file is seen there
 *	within a second anyway. The reply counts the tables reopened.
 * .IP "pause_smtp, resume_smtp"
 *	sets or clears the smtpd pause flag (smtpd_pause(3)): while it is
 *	set smtpd answers new clients 421.
 * DIAGNOSTICS
 *	-1 with a reason for an unknown subsystem, a table that failed to
 *	reopen, or a pause file that could not be made.
 *
 *	qmgr_profile_start() and qmgr_profile_end() time a piece of work
 *	(QMGR_PROF_QUEUE, QMGR_PROF_IPC) and log it when that kind is
 *	being profiled; qmgr.profiling is non-zero while anything is, so
 *	that QMGR_PROFILE_START/END cost one test otherwise.
 *
 *	The state of these switches (qmgr.trace, qmgr.profiling: bits in
 *	the table of subsystem names below) is in the one QMGR context.
 */
#include <sys/time.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "dict.h"
#include "msg.h"
#include "qmgr.h"
#include "qmgr_clnt.h"
#include "smtpd_pause.h"

/* The subsystems; qmgr.trace and qmgr.profiling hold their bits. */
static const char *ext_subsystems[] = {
	"imsg", "ipc", "io", "smtp", "filters", "mta", "bounce", "scheduler",
	"expand", "lookup", "stat", "rules", "mproc", "queue", NULL,
};

/* Subsystems whose work is done in the qmgr. */
#define EXT_QMGR_BITS	((1 << 0) | (1 << 1) | (1 << 7) | (1 << 9) | \
			 (1 << 10) | (1 << 12) | (1 << 13))

static int
ext_bit(const char *name)
{
	int	 i;

	if (name == NULL)
		return 0;
	if (strcmp(name, "all") == 0)
		return ~0;
	for (i = 0; ext_subsystems[i]; i++)
		if (strcmp(ext_subsystems[i], name) == 0)
			return 1 << i;
	return 0;
}

/* ext_trace_file - pid/trace: the traced subsystems, for other daemons. */
static int
ext_trace_file(VSTRING *why)
{
	VSTRING	*text = vstring_alloc(64);
	int	 fd, i, rc = 0;

	if (qmgr.trace == 0) {
		if (unlink("pid/trace") < 0 && errno != ENOENT)
			rc = -1;
	} else if ((fd = open("pid/trace.tmp", O_WRONLY | O_CREAT | O_TRUNC,
	    0644)) < 0) {
		rc = -1;
	} else {
		for (i = 0; ext_subsystems[i]; i++)
			if (qmgr.trace & (1 << i))
				vstring_sprintf_append(text, "%s\n",
				    ext_subsystems[i]);
		if (write(fd, vstring_str(text), vstring_len(text)) < 0
		    || close(fd) < 0 || rename("pid/trace.tmp", "pid/trace") < 0)
			rc = -1;
	}
	if (rc < 0)
		vstring_sprintf(why, "cannot update %s/pid/trace: %m",
		    qmgr.queue_dir);
	vstring_free(text);
	return rc;
}

int
qmgr_ctl_trace(VSTREAM *stream, const ATTR *req, VSTRING *why)
{
	const char *name = attr_get(req, QC_SUBSYSTEM);
	int	 on = strcmp(attr_get(req, QC_REQUEST), QC_REQ_TRACE) == 0;
	int	 bit = ext_bit(name), was = qmgr.trace & EXT_QMGR_BITS;

	if (bit == 0) {
		vstring_sprintf(why, "unknown subsystem: %.100s",
		    name ? name : "(none)");
		return -1;
	}
	qmgr.trace = on ? qmgr.trace | bit : qmgr.trace & ~bit;
	if ((qmgr.trace & EXT_QMGR_BITS) && !was)
		msg_verbose++;
	else if (!(qmgr.trace & EXT_QMGR_BITS) && was && msg_verbose > 0)
		msg_verbose--;
	msg_info("%s %s", on ? "trace" : "untrace", name);
	return ext_trace_file(why);
}

int
qmgr_ctl_profile(VSTREAM *stream, const ATTR *req, VSTRING *why)
{
	const char *name = attr_get(req, QC_SUBSYSTEM);
	int	 on = strcmp(attr_get(req, QC_REQUEST), QC_REQ_PROFILE) == 0;
	int	 bit;

	if (name && strcmp(name, "imsg") == 0)
		name = "ipc";
	if ((bit = ext_bit(name)) == 0 || (bit != ~0 && bit != ext_bit("queue")
	    && bit != ext_bit("ipc"))) {
		vstring_sprintf(why, "cannot profile: %.100s (queue or ipc)",
		    name ? name : "(none)");
		return -1;
	}
	qmgr.profiling = on ? qmgr.profiling | bit : qmgr.profiling & ~bit;
	msg_info("%s %s", on ? "profile" : "unprofile", name);
	return 0;
}

void
qmgr_profile_start(struct timeval *start)
{
	if (qmgr.profiling)
		gettimeofday(start, NULL);
}

void
qmgr_profile_end(int what, const struct timeval *start, const char *label,
    const char *id)
{
	struct timeval now;

	if (!(qmgr.profiling & ext_bit(what == QMGR_PROF_QUEUE ? "queue" : "ipc"))
	    || start->tv_sec == 0)	/* profiling began meanwhile */
		return;
	gettimeofday(&now, NULL);
	msg_info("profile: %s %s %s %.3f ms", what == QMGR_PROF_QUEUE ?
	    "queue" : "ipc", label, id ? id : "", (double)(now.tv_sec -
	    start->tv_sec) * 1000.0 + (now.tv_usec - start->tv_usec) / 1000.0);
}

int
qmgr_ctl_update_table(VSTREAM *stream, const ATTR *req, VSTRING *why)
{
	const char *name = attr_get(req, QC_TABLE);
	int	 n;

	if (name == NULL || *name == 0) {
		if ((n = dict_reopen_all()) > 0) {
			vstring_sprintf(why, "%d table(s) failed to reopen", n);
			return -1;
		}
		msg_info("update table: every table reopened");
	} else if ((n = dict_reopen(name)) < 0) {
		msg_info("update table %s: not open in the qmgr; the other "
		    "daemons see the change at their next lookup", name);
		n = 0;
	} else
		msg_info("update table %s: reopened", name);
	qmgr_ctl_count(stream, n);
	return 0;
}

int
qmgr_ctl_pause_smtp(VSTREAM *stream, const ATTR *req, VSTRING *why)
{
	int	 pause = strcmp(attr_get(req, QC_REQUEST), QC_REQ_PAUSE_SMTP) == 0;

	if (smtpd_pause_set(qmgr.queue_dir, pause, why) < 0)
		return -1;
	msg_info("%s smtp", pause ? "paused" : "resumed");
	return 0;
}
