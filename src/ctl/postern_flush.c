/*
 * NAME
 *	postern_flush - postern flush: deliver queued mail now
 * SYNOPSIS
 *	postern [-c config_dir] flush [-v] [-d domain]
 * DESCRIPTION
 *	Asks the running qmgr to deliver every deferred message now,
 *	ignoring the retry backoff (as postqueue -f), or with -d domain the
 *	messages with a recipient in that domain (as sendmail -qR). With
 *	no mail system running it performs one queue run in the foreground
 *	and prints a summary (cron mode: ctl_flush(3), qmgr(8) -1).
 * DIAGNOSTICS
 *	Exit 0 on success, 1 when the flush was refused or the queue run
 *	failed, 69 (EX_UNAVAILABLE) when neither was possible, 77
 *	(EX_NOPERM) for a user not in authorized_flush_users, 64 for a
 *	usage error.
 */
#include <stdio.h>
#include <sysexits.h>
#include <unistd.h>

#include "ctl_flush.h"
#include "mail_conf.h"
#include "msg.h"
#include "postern.h"

int
postern_flush_main(int argc, char **argv)
{
	const char *domain = NULL;
	int	 ch, rc;

	while ((ch = getopt(argc, argv, "d:v")) != -1) {
		switch (ch) {
		case 'd':
			domain = optarg;
			break;
		case 'v':
			msg_verbose++;
			break;
		default:
			fprintf(stderr, "usage: %s flush [-v] [-d domain]\n",
			    postern_progname());
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "usage: %s flush [-v] [-d domain]\n",
		    postern_progname());
		return EX_USAGE;
	}
	mail_conf_read(NULL);
	rc = ctl_flush(domain, msg_verbose);
	return rc == CTL_FLUSH_OK ? 0 : rc == CTL_FLUSH_FAIL ? 1 :
	    rc == CTL_FLUSH_DENIED ? EX_NOPERM : EX_UNAVAILABLE;
}
