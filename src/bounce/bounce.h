/*
 * bounce.h - the bounce service's internal types. See bounce(8), bounce.c.
 */
#ifndef BOUNCE_H
#define BOUNCE_H

#include <time.h>

#include "argv.h"
#include "bounce_template.h"
#include "cleanup.h"
#include "qfile.h"
#include "vstring.h"

/* One recipient status from a log (bounce_clnt.h records). */
typedef struct BOUNCE_RCPT {
	int	 index;
	char	*rcpt;
	char	*orcpt;			/* "rfc822;addr" or "" */
	int	 notify;
	char	*status;
	char	*action;
	char	*reason;
	char	*relay;
	time_t	 time;
} BOUNCE_RCPT;

typedef struct BOUNCE_LOG {
	BOUNCE_RCPT *rcpt;
	int	 count;
	int	 size;
} BOUNCE_LOG;

/* What kind of notice. */
#define BOUNCE_FAIL	1		/* non-delivery report */
#define BOUNCE_DELAY	2		/* delay warning */
#define BOUNCE_SUCCESS	3		/* success notice */

/* Everything the composer needs besides the original content. */
typedef struct BOUNCE_INFO {
	int	 kind;
	int	 postmaster;		/* a postmaster copy */
	const char *myhostname;
	const char *mail_name;
	const char *queue_id;
	const char *new_id;
	const char *sender;		/* of the original */
	const char *to;			/* who gets the notice */
	const char *from;		/* notice sender address for From: */
	time_t	 arrival;
	time_t	 now;
	time_t	 expires;		/* delay warnings: will retry until */
	const char *envid;		/* DSN ENVID or null */
	const BOUNCE_LOG *log;
	int	 full;			/* attach the full message */
	const BOUNCE_TEMPLATE *tmpl;	/* bounce_template_file's, or null */
	const char *tmpl_text;		/* its text expanded, or null */
	const char *from_header;	/* the template's From:, qualified */
} BOUNCE_INFO;

/* bounce_template_file, loaded by bounce.c once per process (or null). */
extern BOUNCE_TEMPLATES *bounce_templates;

/* bounce_log.c */
int	 bounce_log_read(const char *, const char *, const char *,
	    BOUNCE_LOG *, VSTRING *);
void	 bounce_log_free(BOUNCE_LOG *);
int	 bounce_log_remove(const char *, const char *, const char *);
void	 bounce_log_add(BOUNCE_LOG *, const BOUNCE_RCPT *);

/* bounce_compose.c */
void	 bounce_compose(VSTRING *, const BOUNCE_INFO *, const char *, size_t);
void	 bounce_date(VSTRING *, time_t);
void	 bounce_diagnostic(VSTRING *, const char *);
size_t	 bounce_header_len(const char *, size_t);

/* bounce_notify.c */
int	 bounce_notify(CLEANUP_CONF *, int, const char *, const char *, const int *, int,
	    ARGV *, VSTRING *);

#endif
