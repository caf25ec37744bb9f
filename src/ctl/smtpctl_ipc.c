/*
 * NAME
 *	smtpctl_ipc - smtpctl's conversation with the qmgr
 * SYNOPSIS
 *	#include "smtpctl.h"
 *
 *	int	smtpctl_running(void);
 *	int	smtpctl_call(ATTR *req, SC_ITEM_FN fn, void *ctx,
 *		    VSTRING *why);
 *	int	smtpctl_simple(const char *request, const char *name,
 *		    const char *value, long long *count);
 * DESCRIPTION
 *	smtpctl_running() connects to public/qmgr (qmgr_clnt(3)) and keeps the
 *	connection for the requests that follow; it returns 1 when the qmgr
 *	answers, 0 when nothing listens (the system is not running: the
 *	caller goes offline). Other failures (a time-out, permissions) are
 *	fatal: guessing "offline" then would let smtpctl change queue files
 *	under a running qmgr.
 *
 *	smtpctl_call() is qmgr_clnt_call() on that connection: fn(list,
 *	ctx) is called for every data list, the final status list ends the
 *	reply. It returns 0, or -1 with the qmgr's reason in why (or a
 *	transport error). fn returns -1 to stop early (the rest is read and
 *	ignored).
 *
 *	smtpctl_simple() is a request with at most one attribute, whose
 *	reply may carry a count; failures are reported on stderr.
 * DIAGNOSTICS
 *	Time limit: 60 seconds per read or write (show queue on a large
 *	queue streams, so the limit is per list, not for the whole reply).
 */
#include <errno.h>
#include <stdio.h>

#include "attr.h"
#include "msg.h"
#include "qmgr_clnt.h"
#include "smtpctl.h"

#define SC_IPC_TIMEOUT	60

static VSTREAM *sc_stream;
static int sc_state = -1;		/* -1 unknown, 0 offline, 1 running */

int
smtpctl_running(void)
{
	if (sc_state >= 0)
		return sc_state;
	if ((sc_stream = qmgr_clnt_connect(SC_IPC_TIMEOUT)) != NULL)
		return sc_state = 1;
	if (errno == ENOENT || errno == ECONNREFUSED)
		return sc_state = 0;
	msg_fatal("cannot reach the queue manager on public/%s: %m",
	    QC_SERVICE);
}

int
smtpctl_call(ATTR *req, SC_ITEM_FN fn, void *ctx, VSTRING *why)
{
	if (!smtpctl_running()) {
		vstring_strcpy(why, "Postern is not running");
		return -1;
	}
	return qmgr_clnt_call(sc_stream, req, fn, ctx, why) == QMGR_CLNT_OK ?
	    0 : -1;
}

int
smtpctl_simple(const char *request, const char *name, const char *value,
    long long *count)
{
	ATTR	*req = attr_alloc();
	VSTRING	*why = vstring_alloc(64);
	int	 rc;

	attr_add(req, QC_REQUEST, request);
	if (name != NULL)
		attr_add(req, name, value);
	if ((rc = smtpctl_call(req, qmgr_clnt_count, count, why)) < 0)
		fprintf(stderr, "smtpctl: %s failed: %s\n", request,
		    vstring_str(why));
	attr_free(req);
	vstring_free(why);
	return rc;
}
