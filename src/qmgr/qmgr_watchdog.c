/*
 * NAME
 *	qmgr_watchdog - qmgr_daemon_timeout: end a queue manager that hangs
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	void	qmgr_watchdog_start(void);
 * DESCRIPTION
 *	As Postfix's watchdog for the queue manager: qmgr_daemon_timeout
 *	(default 1000s, 0: off) bounds how long the qmgr may spend without
 *	coming back to its event loop (one event handler that blocks, a
 *	deadlock). qmgr_watchdog_start() arms it once the qmgr runs.
 *
 *	A timer of the event loop notes, every third of the timeout, that
 *	the loop turns (the monotonic time of the last turn); SIGALRM, every
 *	third of the timeout as well, compares. When the loop has not turned
 *	for more than the timeout (counted in whole seconds), the qmgr logs "fatal: watchdog timeout" and
 *	exits; the master starts a new one, which takes the active queue
 *	over as after a crash (nothing accepted is lost). A hang is thus
 *	noticed between the timeout and a third more.
 *
 *	Cost: one timer and one signal per third of the timeout; nothing per
 *	message.
 * DIAGNOSTICS
 *	"fatal: watchdog timeout" (exit status 1). Should the logging itself
 *	hang (the qmgr stuck inside malloc, say), the default action of a
 *	second SIGALRM five seconds later ends the process.
 */
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "msg.h"
#include "qmgr.h"

static long long watchdog_timeout;	/* ms */
static volatile sig_atomic_t watchdog_turned;	/* seconds, monotonic */

static long long
watchdog_now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* The event loop turns: note it, come back in a third of the timeout. */
static void
watchdog_pat(int event, void *ctx)
{
	watchdog_turned = (sig_atomic_t)watchdog_now();
	event_request_timer(watchdog_pat, NULL, watchdog_timeout / 3);
}

static void
watchdog_alarm(int sig)
{
	unsigned int step = (unsigned int)(watchdog_timeout / 3000);

	if (watchdog_now() - watchdog_turned > watchdog_timeout / 1000) {
		(void)signal(SIGALRM, SIG_DFL);
		alarm(5);
		msg_fatal("watchdog timeout");
	}
	alarm(step > 0 ? step : 1);
}

void
qmgr_watchdog_start(void)
{
	struct sigaction sa;
	unsigned int step;

	if (qmgr.daemon_timeout <= 0)
		return;
	watchdog_timeout = (long long)qmgr.daemon_timeout * 1000;
	step = (unsigned int)(qmgr.daemon_timeout / 3);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watchdog_alarm;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) < 0)
		msg_fatal("sigaction SIGALRM: %m");
	watchdog_pat(EVENT_TIME, NULL);
	alarm(step > 0 ? step : 1);
}
