/*
 * sendmail.h - the sendmail(1) command's modules. See sendmail.c,
 * sendmail_submit.c, sendmail_aliases.c; maildrop_file(3) writes the file.
 */
#ifndef SENDMAIL_H
#define SENDMAIL_H

#include "argv.h"
#include "maildrop.h"
#include "vstream.h"
#include "vstring.h"

#define SM_MODE_DELIVER	0	/* -bm, the default */
#define SM_MODE_SMTP	1	/* -bs */
#define SM_MODE_MAILQ	2	/* -bp, mailq */
#define SM_MODE_FLUSH	3	/* -q */
#define SM_MODE_ALIASES	4	/* -bi, newaliases */

typedef struct SM_OPTS {
	int	 mode;
	int	 extract;		/* -t */
	int	 dot_ok;		/* -i, -oi */
	char	*sender;		/* -f, or null */
	char	*fullname;		/* -F, or null */
	int	 notify;		/* -N */
	int	 ret;			/* -R */
	char	*envid;			/* -V */
	char	*flush_domain;		/* -qR */
	char	*config_dir;		/* -C, -c */
	ARGV	*rcpt_args;
} SM_OPTS;

int	 sendmail_submit(SM_OPTS *);		/* exit status */

/* Addresses: one argument or header value to checked mailboxes. */
int	 sendmail_addr_list(const char *, ARGV *, VSTRING *);

#endif
