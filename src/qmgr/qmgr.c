/*
 * NAME
 *	qmgr - the queue manager
 * SYNOPSIS
 *	qmgr -n qmgr -t unix [-o name=value]... [-v]
 *
 *	qmgr -1 [-c config_dir] [-d domain] [-v]
 * DESCRIPTION
 *	The qmgr is an event server (mail_server.h) started by the master
 *	on public/qmgr, one process per queue. See qmgr(8) for what it
 *	does; this file only wires the modules to the skeleton:
 * .IP pre_init
 *	reads the configuration (qmgr_init.c);
 * .IP post_init
 *	(unprivileged) moves what a crash left in active/ back to
 *	incoming/, then scans incoming/ into the arrival queue
 *	(qmgr_intake.c) and arms the deferred queue scans (qmgr_scan.c);
 * .IP service
 *	each client of public/qmgr (triggers, smtpctl) is served by
 *	qmgr_ctl.c from the event loop.
 * .PP
 *	With -1 it does one queue run in the foreground instead, without a
 *	master (qmgr_oneshot.c).
 *
 *	Modules: qmgr_intake.c (incoming/ in arrival order, id triggers),
 *	qmgr_message.c (load and route), qmgr_route.c (routing),
 *	qmgr_sched.c (queues, concurrency, round robin), qmgr_deliver.c
 *	(transport connections), qmgr_result.c (per-recipient outcome),
 *	qmgr_finish.c (leaving active/), qmgr_bounce.c (logs, bounce
 *	service), qmgr_ctl.c, qmgr_ctl_env.c and qmgr_show.c (control).
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
}

static void
qmgr_post_init(const char *service, char **argv)
{
	qmgr.owner_uid = getuid();
	qmgr_lock(QMGR_LOCK_WAIT);
	qmgr_recover_active();
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
			return qmgr_oneshot_main(argc, argv);
	event_server_main(argc, argv, qmgr_ctl_service, &ops);
	return 0;
}
