/*
 * pickup.h - the pickup program's modules. See pickup.c, pickup_file.c.
 */
#ifndef PICKUP_H
#define PICKUP_H

#include <sys/types.h>

#include "cleanup_content.h"
#include "vstring.h"

typedef struct PICKUP_CTX {
	const char *queue_dir;
	const char *myhostname;
	const char *myorigin;
	int	 append_at_myorigin;
	long long size_limit;		/* message_size_limit; 0: none */
	size_t	 header_limit;		/* header_size_limit */
	CLEANUP_CONF *cleanup;		/* cleanup(3) stage */
} PICKUP_CTX;

/* pickup_file() results. */
#define PICKUP_OK	0		/* queued: remove the maildrop file */
#define PICKUP_RETRY	1		/* temporary trouble: leave it */
#define PICKUP_BAD	(-1)		/* unusable: move it to corrupt/ */
#define PICKUP_GONE	2		/* the file disappeared */

typedef struct PICKUP_INFO {
	VSTRING	*id;			/* queue id */
	VSTRING	*sender;
	VSTRING	*msgid;			/* Message-ID header value */
	uid_t	 uid;
	int	 nrcpt;
} PICKUP_INFO;

int	 pickup_file(const PICKUP_CTX *, const char *, PICKUP_INFO *, VSTRING *);

#endif
