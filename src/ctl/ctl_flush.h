/*
 * ctl_flush.h - deliver queued mail now: through the running qmgr, or
 * by a one-shot queue run when nothing runs (cron mode). Shared by
 * postern flush and sendmail -q. See ctl_flush.c.
 */
#ifndef CTL_FLUSH_H
#define CTL_FLUSH_H

/* Results. */
#define CTL_FLUSH_OK		0	/* done (asked, or ran) */
#define CTL_FLUSH_FAIL		1	/* refused or failed: reason printed */
#define CTL_FLUSH_UNAVAIL	2	/* no qmgr and no way to run one */
#define CTL_FLUSH_DENIED	3	/* authorized_flush_users: reason printed */

int	 ctl_flush(const char *domain, int verbose);

#endif
