/*
 * anvil.h - per-client connection counts and event rates shared by every
 * smtpd process through one memory-mapped file. See anvil.c.
 */
#ifndef ANVIL_H
#define ANVIL_H

#include <time.h>

#include "vstring.h"

#define ANVIL_FILE	"pid/anvil"	/* relative to queue_directory */
#define ANVIL_KEY_MAX	80		/* "service:address" with the null */

/* Rated events; the connection rate is ANVIL_CONN. */
#define ANVIL_CONN	0
#define ANVIL_MAIL	1
#define ANVIL_RCPT	2
#define ANVIL_NTLS	3
#define ANVIL_AUTH	4
#define ANVIL_NRATE	5

/* One client as smtpctl show clients sees it. */
typedef struct ANVIL_INFO {
	char	 key[ANVIL_KEY_MAX];
	int	 count;			/* concurrent connections now */
	int	 rate[ANVIL_NRATE];	/* events in the current window */
	long long start;		/* window start (UNIX time) */
	int	 split;			/* key[split] is the ':' after the
					 * service name, or -1 */
} ANVIL_INFO;

int	 anvil_attach(const char *path, const char *service, int unit);
int	 anvil_connect(const char *addr, int limit, int *count, int *rate);
int	 anvil_event(int which);
void	 anvil_disconnect(void);
void	 anvil_report(int interval);
int	 anvil_snapshot(const char *path, ANVIL_INFO **list, VSTRING *why);
int	 anvil_reset(const char *path);

#endif
