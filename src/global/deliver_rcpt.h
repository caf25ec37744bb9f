/*
 * deliver_rcpt.h - the recipient groups of a delivery request, for the
 * transports. See deliver_rcpt.c.
 */
#ifndef DELIVER_RCPT_H
#define DELIVER_RCPT_H

#include "attr.h"

typedef struct DELIVER_RCPT {
	long	 index;			/* rcpt_index */
	char	*addr;			/* rcpt */
	char	*orcpt;			/* orcpt, or null */
	char	*notify;		/* notify, or null */
} DELIVER_RCPT;

/* deliver_rcpt_parse(request, out): count (> 0), or -1 malformed. */
int	 deliver_rcpt_parse(const ATTR *, DELIVER_RCPT **);
/* deliver_rcpt_add(request, index, addr, orcpt, notify): one group. */
void	 deliver_rcpt_add(ATTR *, long, const char *, const char *,
	    const char *);

/* The per-message part of a request; strings point into the request. */
typedef struct DELIVER_REQ {
	const char *queue_name, *queue_id, *nexthop, *sender;
	const char *envid, *ret;		/* DSN ENVID and RET, or null */
	const char *client_name, *client_addr, *helo, *protocol;
	double	 arrival, active;		/* for delay= and delays= */
	long long content_offset, content_size;	/* -1: not in the request */
	int	 content_8bit;			/* QF_8BIT_* (qfile.h) */
} DELIVER_REQ;

/* deliver_req_parse(request, out): 0, or -1 when not a valid request. */
int	 deliver_req_parse(const ATTR *, DELIVER_REQ *);

#endif
