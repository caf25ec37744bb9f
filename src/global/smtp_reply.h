/*
 * smtp_reply.h - read one SMTP/LMTP server reply. See smtp_reply.c.
 */
#ifndef SMTP_REPLY_H
#define SMTP_REPLY_H

#include "argv.h"
#include "dsn_status.h"
#include "vstream.h"
#include "vstring.h"

#define SMTP_REPLY_LINE_MAX	4096	/* bytes per reply line kept */
#define SMTP_REPLY_LINES	1000	/* lines per reply */
#define SMTP_REPLY_TEXT_MAX	8192	/* joined text kept */

/* A server reply (all lines). */
typedef struct SMTP_REPLY {
	int	 code;			/* 0: none (lost, timed out, malformed) */
	char	 dsn[DSN_STATUS_LEN];	/* enhanced status, or class.0.0 */
	VSTRING	*text;			/* lines joined with a space; or why */
	VSTRING	*first;			/* the first line */
	ARGV	*lines;			/* every line, without the code */
} SMTP_REPLY;

/* Sees every line as received, before it is made printable. */
typedef void (*SMTP_REPLY_HOOK)(void *, const char *, size_t);

void	 smtp_reply_init(SMTP_REPLY *);
void	 smtp_reply_done(SMTP_REPLY *);
int	 smtp_reply_read(VSTREAM *, SMTP_REPLY *, VSTRING *, SMTP_REPLY_HOOK,
	    void *);

#endif
