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

#endif
