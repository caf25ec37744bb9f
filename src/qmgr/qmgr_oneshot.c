/*
 * NAME
 *	qmgr_oneshot - one queue run in the foreground (cron mode)
 * SYNOPSIS
 *	#include "qmgr.h"
 *
 *	int	qmgr_oneshot_main(int argc, char **argv);
 * DESCRIPTION
 *	qmgr_oneshot_main() is "qmgr -1 [-c config_dir] [-d domain] [-v]",
 *	run by "postern flush" and "sendmail -q" when no master runs (a
 *	host that keeps no resident daemons and runs its queue from
 *	cron). It reads main.cf, logs where the daemons log, works as
 *	mail_owner when started as root (effective ids only, see below),
 *	recovers active/, and then does
 *	what the resident qmgr does for a flush: every message in
 *	incoming/ and deferred/ (with -d only the deferred messages with a
 *	recipient in that domain or below it) is scheduled now, ignoring
 *	the backoff, with the usual routing, concurrency and retry rules.
 *	Delivery agents and the bounce service are started by the qmgr
 *	itself (qmgr_spawn.c). Notifications written during the run are
 *	delivered in the same run.
 *
 *	When nothing is left in memory the run ends: it prints "N
 *	delivered, N deferred, N bounced" on the standard output, logs
 *	"queue run done: delivered=N deferred=N bounced=N", and exits 0,
 *	also when mail was deferred again.
 *
 *	Only one qmgr (resident or one-shot) works on a queue at a time:
 *	both hold an exclusive lock on $queue_directory/pid/qmgr.lock.
 * DIAGNOSTICS
 *	Exit status 1 with a message on the standard error for bad
 *	options; fatal errors (configuration, queue directory, lock held
 *	by another qmgr) exit non-zero and are logged.
 */
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "mail_conf.h"
#include "msg.h"
#include "qmgr.h"

/*
 * Started as root: work as mail_owner, but only the effective ids are
 * changed, so that the delivery agents it starts can become root again
 * before exec and set themselves up as under the master (open the log,
 * then drop privileges for good). A short-lived process run by root from
 * cron; the resident qmgr drops everything.
 */
static void
oneshot_drop_privileges(void)
{
	const char *owner = conf_str("mail_owner");
	struct passwd *pw;

	if (geteuid() != 0)
		return;
	if ((pw = getpwnam(owner)) == NULL)
		msg_fatal("mail_owner %s: no such user", owner);
	if (pw->pw_uid == 0)
		msg_fatal("mail_owner %s has user id 0", owner);
	if (setgroups(1, &pw->pw_gid) < 0 || setegid(pw->pw_gid) < 0
	    || seteuid(pw->pw_uid) < 0)
		msg_fatal("cannot become %s: %m", owner);
}

static void
oneshot_logging(void)
{
	const char *file = conf_str("maillog_file");

	msg_set_tag(conf_str("syslog_name"), "qmgr");
	if (file != NULL && *file) {
		if (msg_to_file(file) < 0)
			msg_fatal("open maillog_file %s: %m", file);
	} else {
		msg_to_syslog(conf_str("syslog_facility"));
	}
	msg_to_stderr(0);
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

/* Run the event loop until nothing is left to do. */
static void
oneshot_loop(void)
{
	int	 quiet = 0;

	while (quiet < 3) {
		(void)event_loop(100);
		if (qmgr.nmessages > 0 || qmgr_intake_pending()
		    || qmgr.scan_deferred)
			quiet = 0;
		else
			quiet++;
		qmgr_spawn_reap(0);
	}
}

int
qmgr_oneshot_main(int argc, char **argv)
{
	const char *conf_dir = NULL, *domain = NULL;
	int	 ch;

	while ((ch = getopt(argc, argv, "1c:d:v")) != -1) {
		switch (ch) {
		case '1':
			break;
		case 'c':
			conf_dir = optarg;
			break;
		case 'd':
			domain = optarg;
			break;
		case 'v':
			msg_verbose++;
			break;
		default:
			fprintf(stderr, "usage: qmgr -1 [-c config_dir] "
			    "[-d domain] [-v]\n");
			return 1;
		}
	}
	if (domain && (*domain == 0 || strchr(domain, '/'))) {
		fprintf(stderr, "qmgr: invalid domain: %s\n", domain);
		return 1;
	}
	mail_conf_read(conf_dir);
	if (setenv("MAIL_CONFIG", mail_conf_dir(), 1) < 0)
		msg_fatal("setenv: %m");
	oneshot_logging();
	oneshot_drop_privileges();
	if (chdir(conf_str("queue_directory")) < 0)
		msg_fatal("chdir %s: %m", conf_str("queue_directory"));
	signal(SIGPIPE, SIG_IGN);
	qmgr_init();
	qmgr.oneshot = 1;
	qmgr_lock(0);
	msg_info("queue run%s%s started", domain ? " for " : "",
	    domain ? domain : "");
	qmgr_recover_active();
	if (domain == NULL)
		qmgr_trigger_incoming();
	qmgr_scan_deferred(1, domain);
	oneshot_loop();
	oneshot_close_idle();
	qmgr_spawn_reap(10);
	printf("%lld delivered, %lld deferred, %lld bounced\n",
	    qmgr.stats.delivery_ok, qmgr.stats.delivery_temp,
	    qmgr.stats.delivery_perm + qmgr.stats.expired);
	msg_info("queue run done: delivered=%lld deferred=%lld bounced=%lld",
	    qmgr.stats.delivery_ok, qmgr.stats.delivery_temp,
	    qmgr.stats.delivery_perm + qmgr.stats.expired);
	return 0;
}
