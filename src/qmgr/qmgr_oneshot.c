/*
 * NAME
 *	qmgr_oneshot - one queue run, then exit (under master -1)
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	int	qmgr_oneshot_args(char **argv, const char **domain);
 *	void	qmgr_oneshot_start(const char *domain);
 * DESCRIPTION
 *	"master -1 [-d domain]" (cron mode: "postern flush" and "sendmail
 *	-q" when no qmgr answers) starts the qmgr of master.cf with the
 *	service arguments "-1" and "-d domain"; the master starts the
 *	delivery agents and the bounce service on demand, as when it is
 *	resident, so that the qmgr needs no process manager of its own.
 *
 *	qmgr_oneshot_args() looks for those arguments in the service's
 *	argv: 1 for a queue run (domain set, or null), 0 for a resident
 *	qmgr, -1 for an argument it does not know.
 *
 *	qmgr_oneshot_start() does what the resident qmgr does for a flush,
 *	once, after start-up (the lock is held and active/ recovered):
 *	every message in incoming/ and deferred/ (with domain only the
 *	deferred messages with a recipient in that domain or below it) is
 *	scheduled now, ignoring the backoff, with the usual routing,
 *	concurrency and retry rules. Notifications written during the run
 *	are delivered in the same run. When nothing has been left to do for
 *	three checks in a row (100 ms apart), idle transport connections
 *	are closed, "N delivered, N deferred, N bounced" is printed on the
 *	standard output (the master's), "queue run done: delivered=N
 *	deferred=N bounced=N" is logged, and the process exits 0, also when
 *	mail was deferred again. The master then ends the run.
 * DIAGNOSTICS
 *	None of its own: the usual qmgr logging.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "msg.h"
#include "qmgr.h"

#define ONESHOT_TICK	100		/* ms between checks for the end */
#define ONESHOT_QUIET	3		/* checks with nothing to do */

int
qmgr_oneshot_args(char **argv, const char **domain)
{
	int	 once = 0;

	*domain = NULL;
	for (; *argv; argv++) {
		if (strcmp(*argv, "--") == 0)
			continue;
		else if (strcmp(*argv, "-1") == 0)
			once = 1;
		else if (strcmp(*argv, "-d") == 0 && argv[1] != NULL)
			*domain = *++argv;
		else
			return -1;
	}
	return *domain != NULL && !once ? -1 : once;
}

/* Close idle transport connections: their agents then leave. */
static void
oneshot_close_idle(void)
{
	QMGR_TRANSPORT *t;

	for (t = qmgr.transports; t; t = t->next)
		while (t->idle)
			qmgr_conn_close(t->idle);
}

static void
oneshot_done(void)
{
	oneshot_close_idle();
	printf("%lld delivered, %lld deferred, %lld bounced\n",
	    qmgr.stats.delivery_ok, qmgr.stats.delivery_temp,
	    qmgr.stats.delivery_perm + qmgr.stats.expired);
	(void)fflush(stdout);
	msg_info("queue run done: delivered=%lld deferred=%lld bounced=%lld",
	    qmgr.stats.delivery_ok, qmgr.stats.delivery_temp,
	    qmgr.stats.delivery_perm + qmgr.stats.expired);
	exit(0);
}

/* oneshot_tick - is anything left to do? */
static void
oneshot_tick(int event, void *ctx)
{
	if (qmgr.nmessages > 0 || qmgr_intake_pending() || qmgr.scan_deferred
	    || qmgr_recover_pending())
		qmgr.oneshot_quiet = 0;
	else if (++qmgr.oneshot_quiet >= ONESHOT_QUIET)
		oneshot_done();
	event_request_timer(oneshot_tick, NULL, ONESHOT_TICK);
}

void
qmgr_oneshot_start(const char *domain)
{
	msg_info("queue run%s%s started", domain ? " for " : "",
	    domain ? domain : "");
	if (domain == NULL)
		qmgr_trigger_incoming();
	qmgr_scan_deferred(1, domain);
	event_request_timer(oneshot_tick, NULL, ONESHOT_TICK);
}
