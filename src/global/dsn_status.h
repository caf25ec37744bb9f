/*
 * dsn_status.h - RFC 3463 enhanced status codes. See dsn_status.c.
 */
#ifndef DSN_STATUS_H
#define DSN_STATUS_H

#include <stddef.h>

#define DSN_STATUS_LEN	16		/* "5.999.999" + null, with room */

int	 dsn_valid(const char *);		/* length of a code at text start, or 0 */
int	 dsn_class(const char *);		/* 2, 4, 5, or 0 when invalid */
const char *dsn_from_reply(int);	/* default status for an SMTP reply code */
const char *dsn_text(const char *);	/* RFC 3463 description */
int	 dsn_split(const char *, char *, size_t, const char **);
int	 dsn_reply_consistent(int, const char *);

#endif
