/*
 * NAME
 *	qmgr - the queue manager
 * SYNOPSIS
 *	qmgr -n qmgr -t unix [-o name=value]... [-v] [-- -1 [-d domain]]
 * DESCRIPTION
 *	The qmgr is an event server (mail_server.h) started by the master
 *	on public/qmgr, one process per queue. See qmgr(8) for what it
 *	does; this file only wires the modules to the skeleton:
 * .IP pre_init
 *	reads the configuration (qmgr_init.c) and the service arguments;
 * .IP post_init
 *	(unprivileged) takes the queue lock, moves what a crash left in
 *	active/ back to incoming/, then scans incoming/ into the arrival
 *	queue (qmgr_intake.c) and arms the deferred queue scans
 *	(qmgr_scan.c) and the watchdog (qmgr_watchdog.c); with the service arguments "-1 [-d domain]" (master
 *	-1, cron mode) it does one queue run instead and exits when it is
 *	done (qmgr_oneshot.c);
 * .IP service
 *	each client of public/qmgr (triggers, smtpctl) is served by
 *	qmgr_ctl.c from the event loop.
 * .PP
 *	Modules: qmgr_core.c (room for messages, next attempt times),
 *	qmgr_intake.c (incoming/ in arrival order, id triggers),
 *	qmgr_scan.c (deferred/ scans, crash recovery), qmgr_message.c (load and route), qmgr_route.c (routing),
 *	qmgr_sched.c (queues, concurrency, round robin), qmgr_deliver.c
 *	(transport connections), qmgr_result.c (per-recipient outcome),
 *	qmgr_finish.c (leaving active/), qmgr_bounce.c (logs, bounce
 *	service), qmgr_watchdog.c (qmgr_daemon_timeout), qmgr_ctl.c, qmgr_ctl_env.c and qmgr_show.c (control).
 * DIAGNOSTICS
 *	Problems are logged (maillog_file or syslog) with the message-id.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail_server.h"
#include "msg.h"
#include "qmgr.h"

static void
qmgr_pre_init(const char *service, char **argv)
{
	qmgr_init();
	qmgr_core_on_deliver(qmgr_deliver);
	qmgr_bounce_init();
	if ((qmgr.oneshot = qmgr_oneshot_args(argv, &qmgr.oneshot_domain)) < 0)
		msg_fatal("usage: qmgr [skeleton options] [-- -1 [-d domain]]");
}

static void
qmgr_post_init(const char *service, char **argv)
{
	qmgr.owner_uid = getuid();
	qmgr_lock(QMGR_LOCK_WAIT);
	qmgr_recover_active();
	qmgr_intake_init();
	qmgr_scan_init();
	qmgr_watchdog_start();
	if (qmgr.oneshot) {
		qmgr_oneshot_start(qmgr.oneshot_domain);
		return;
	}
	qmgr_intake_start();
	qmgr_scan_start();
}

int
main(int argc, char **argv)
{
	static const MAIL_SERVER_OPS ops = {
		.pre_init = qmgr_pre_init,
		.post_init = qmgr_post_init,
		.unlimited = 1,
	};

	int	 i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "-1") == 0)
			msg_fatal("qmgr -1 is gone: a queue run is \"master -1\" "
			    "(postern flush, sendmail -q)");
	event_server_main(argc, argv, qmgr_ctl_service, &ops);
	return 0;
}
