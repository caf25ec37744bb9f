/*
 * NAME
 *	qmgr_clnt - client of the qmgr's control service
 * SYNOPSIS
 *	#include "qmgr_clnt.h"
 *
 *	VSTREAM	*qmgr_clnt_connect(int timeout);
 *	int	qmgr_clnt_call(VSTREAM *stream, const ATTR *req,
 *		    QMGR_CLNT_FN fn, void *context, VSTRING *why);
 *	int	qmgr_clnt_count(const ATTR *list, void *count);
 *
 *	int	qmgr_clnt_request(const char *request, const char *name,
 *		    const char *value, int timeout, long long *count,
 *		    VSTRING *why);
 * DESCRIPTION
 *	The one client of public/qmgr (qmgr_clnt.h), for smtpctl, postern
 *	flush, sendmail -q and smtpd's ETRN.
 *
 *	qmgr_clnt_connect() opens a connection, with timeout (seconds) for
 *	the connect and for each read or write; null with errno (ENOENT or
 *	ECONNREFUSED: no qmgr runs).
 *
 *	qmgr_clnt_call() sends one request on stream and reads its reply:
 *	fn(list, context), when not null, is called for every data list
 *	until it returns -1 (the rest is read and ignored); the final list
 *	(status, reason) ends the reply. The stream can carry further
 *	requests afterwards.
 *
 *	qmgr_clnt_count() is an fn for qmgr_clnt_call(): it stores the
 *	"count" of a list into the long long that count points to.
 *
 *	qmgr_clnt_request() is a whole conversation for a request with at
 *	most one attribute (name=value, none when name is null): connect,
 *	call, close. count, when not null, gets the "count" the reply
 *	carries, or -1 when it carries none.
 * DIAGNOSTICS
 *	QMGR_CLNT_OK; QMGR_CLNT_FAIL with the qmgr's reason in why; or
 *	QMGR_CLNT_UNAVAIL with errno set and a reason in why (the qmgr
 *	cannot be reached, hung up, sent garbage or timed out).
 */
#include <errno.h>
#include <string.h>

#include "mail_trigger.h"
#include "qmgr_clnt.h"

VSTREAM *
qmgr_clnt_connect(int timeout)
{
	return mail_trigger_connect(QC_SERVICE, timeout);
}

int
qmgr_clnt_call(VSTREAM *stream, const ATTR *req, QMGR_CLNT_FN fn,
    void *context, VSTRING *why)
{
	ATTR	*list;
	const char *status, *reason;
	int	 stop = 0, rc = QMGR_CLNT_UNAVAIL;

	if (attr_write(stream, req) < 0) {
		if (vstream_ftimeout(stream))
			errno = ETIMEDOUT;
		vstring_sprintf(why, "cannot send to the queue manager: %s",
		    strerror(errno));
		return QMGR_CLNT_UNAVAIL;
	}
	list = attr_alloc();
	for (;;) {
		attr_reset(list);
		if (attr_read(stream, list) < 0) {
			errno = vstream_ftimeout(stream) ? ETIMEDOUT : EPROTO;
			vstring_strcpy(why, errno == ETIMEDOUT ?
			    "timeout reading from the queue manager" :
			    "the queue manager hung up or sent garbage");
			break;
		}
		if ((status = attr_get(list, QC_STATUS)) != NULL) {
			rc = strcmp(status, "0") == 0 ? QMGR_CLNT_OK :
			    QMGR_CLNT_FAIL;
			reason = attr_get(list, QC_REASON);
			if (rc == QMGR_CLNT_FAIL)
				vstring_strcpy(why, reason && *reason ?
				    reason : "failed");
			break;
		}
		if (!stop && fn != NULL && fn(list, context) < 0)
			stop = 1;
	}
	attr_free(list);
	return rc;
}

int
qmgr_clnt_count(const ATTR *list, void *context)
{
	long long *count = context;

	if (attr_get(list, QC_COUNT) != NULL)
		*count = attr_get_long(list, QC_COUNT, -1);
	return 0;
}

int
qmgr_clnt_request(const char *request, const char *name, const char *value,
    int timeout, long long *count, VSTRING *why)
{
	VSTREAM	*stream;
	ATTR	*req;
	long long n = -1;
	int	 rc, err;

	if ((stream = qmgr_clnt_connect(timeout)) == NULL) {
		vstring_sprintf(why, "cannot reach the queue manager: %s",
		    strerror(errno));
		return QMGR_CLNT_UNAVAIL;
	}
	req = attr_alloc();
	attr_add(req, QC_REQUEST, request);
	if (name != NULL)
		attr_add(req, name, value);
	rc = qmgr_clnt_call(stream, req, qmgr_clnt_count, &n, why);
	err = errno;
	attr_free(req);
	(void)vstream_fclose(stream);
	if (count != NULL)
		*count = n;
	errno = err;
	return rc;
}
