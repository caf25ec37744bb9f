/*
 * mail_copy.h - the message as a mailbox delivery writes it, and the
 * mailbox writers shared by local(8) and virtual(8). See mail_copy.c,
 * mbox_write.c, maildir_write.c.
 */
#ifndef MAIL_COPY_H
#define MAIL_COPY_H

#include <sys/types.h>
#include <time.h>

#include "qfile.h"
#include "vstring.h"

/* mail_copy() flags. */
#define MAIL_COPY_FROM		(1 << 0)	/* "From sender date" line */
#define MAIL_COPY_QUOTE		(1 << 1)	/* ">From " quoting */
#define MAIL_COPY_BLANK		(1 << 2)	/* blank line at the end */
#define MAIL_COPY_RETURN	(1 << 3)	/* Return-Path: */
#define MAIL_COPY_DELIVERED	(1 << 4)	/* Delivered-To: */
#define MAIL_COPY_ORIG		(1 << 5)	/* X-Original-To: */
#define MAIL_COPY_MBOX		(MAIL_COPY_FROM | MAIL_COPY_QUOTE | \
	MAIL_COPY_BLANK | MAIL_COPY_RETURN | MAIL_COPY_DELIVERED | \
	MAIL_COPY_ORIG)

/* What is copied: the queue file's content and the envelope lines. */
typedef struct MAIL_COPY_SRC {
	QF_MSG	*msg;
	const char *sender;		/* "" for the null sender */
	const char *orig_to;		/* X-Original-To: */
	const char *delivered_to;	/* Delivered-To: */
} MAIL_COPY_SRC;

typedef int (*MAIL_COPY_SINK)(void *, const char *, size_t);

int	 mail_copy(const MAIL_COPY_SRC *, int, off_t, MAIL_COPY_SINK, void *,
	    VSTRING *);
int	 mail_copy_fd(const MAIL_COPY_SRC *, int, int, off_t, VSTRING *);
void	 mail_copy_headers(const MAIL_COPY_SRC *, VSTRING *, int, time_t);

/* Results of the writers: a DSN class. */
#define MAIL_COPY_OK	0
#define MAIL_COPY_SOFT	4
#define MAIL_COPY_HARD	5

/* How an mbox file is locked and checked (mbox_write.c). */
typedef struct MBOX_OPTS {
	uid_t	 uid;			/* owner of a file created as root */
	gid_t	 gid;
	int	 owner_check;		/* existing file must be owned by uid */
	int	 lock_fcntl;		/* mailbox_delivery_lock and the like */
	int	 lock_dotlock;
	long long lock_attempts;	/* deliver_lock_attempts */
	long long lock_delay;		/* deliver_lock_delay, seconds */
	long long stale_lock_time;
	long long size_limit;		/* 0: none */
} MBOX_OPTS;

int	 mbox_write(const MAIL_COPY_SRC *, const char *, int, const MBOX_OPTS *,
	    VSTRING *, char *);
int	 maildir_write(const MAIL_COPY_SRC *, const char *, int, long long,
	    const char *, VSTRING *, char *);

#endif
