/*
 * deliver_clnt.h - the queue manager's side of the delivery request
 * protocol (deliver_request.h): a request for some recipients of a queue
 * file, and the per-recipient replies of the transport. See
 * deliver_clnt.c; the transport's side is deliver_rcpt.h and
 * deliver_reply.h, passing a request on to another agent deliver_pass.h.
 */
#ifndef DELIVER_CLNT_H
#define DELIVER_CLNT_H

#include <sys/time.h>

#include "attr.h"
#include "deliver_request.h"
#include "qfile.h"
#include "vstream.h"

/* What a request carries, all of it taken from the queue file but these. */
typedef struct DELIVER_CLNT_REQ {
	const QF_MSG *qf;		/* the message: envelope read */
	const char *queue_name;		/* the directory it is in: QF_ACTIVE */
	const char *transport;		/* master.cf service name */
	const char *nexthop;
	struct timeval active;		/* when the queue manager took it in */
	const int *rcpt;		/* indices into qf->rcpt */
	int	 nrcpt;
} DELIVER_CLNT_REQ;

int	 deliver_clnt_request(VSTREAM *, const DELIVER_CLNT_REQ *);

/* One reply; the strings point into the caller's ATTR. */
typedef struct DELIVER_CLNT_REPLY {
	long long index;		/* rcpt_index; -1 absent or malformed */
	const char *status;		/* D.D.D, or null */
	const char *action;		/* or null */
	const char *reason;		/* or null */
	const char *relay;		/* or null */
	int	 flags;			/* DELIVER_REPLY_DSN_PASSED, _DEST_FAILED */
} DELIVER_CLNT_REPLY;

#define DELIVER_CLNT_DONE	0	/* the final reply: "done=1" */
#define DELIVER_CLNT_RCPT	1	/* a recipient's reply */

int	 deliver_clnt_reply(VSTREAM *, ATTR *, DELIVER_CLNT_REPLY *);

#endif
