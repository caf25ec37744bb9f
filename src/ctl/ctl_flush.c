/*
 * NAME
 *	ctl_flush - deliver queued mail now (postern flush, sendmail -q)
 * SYNOPSIS
 *	#include "ctl_flush.h"
 *
 *	int	ctl_flush(const char *domain, int verbose);
 * DESCRIPTION
 *	ctl_flush() asks the running qmgr (public/qmgr, qmgr_clnt(3)) to
 *	deliver deferred mail now, ignoring the backoff: all of it
 *	("flush"), or with domain only the messages with a recipient in
 *	that domain or below it ("flush_domain", sendmail -qR, ETRN).
 *
 *	When no qmgr runs (the master is stopped, or this host keeps no
 *	resident daemons and runs its queue from cron), it performs one
 *	queue run in the foreground instead: local submissions waiting in
 *	maildrop/ are taken in by one "$daemon_directory/pickup -S" run,
 *	then "$daemon_directory/master -1 [-d domain]", the master's queue
 *	run (master(8): it runs the qmgr once, with the delivery agents it
 *	needs), delivers what it can with the usual scheduler rules,
 *	updates the queue files, prints a summary and exits. The
 *	configuration directory in effect is passed on in MAIL_CONFIG. With
 *	no queue directory at all (never started) there is nothing to do.
 *
 *	Only the users of authorized_flush_users (a user_list(3), default
 *	static:anyone) may flush, as with Postfix's postqueue -f and
 *	sendmail -q; the super-user and mail_owner always may. A list that
 *	cannot be read or looked up refuses.
 * DIAGNOSTICS
 *	CTL_FLUSH_OK, CTL_FLUSH_FAIL (the running qmgr refused),
 *	CTL_FLUSH_UNAVAIL (no qmgr, and the queue run could not be done) or
 *	CTL_FLUSH_DENIED (not an authorized_flush_users user); the reason
 *	is printed on stderr.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_flush.h"
#include "iostuff.h"
#include "mail_conf.h"
#include "msg.h"
#include "qfile.h"
#include "qmgr_clnt.h"
#include "user_list.h"

#define CTL_FLUSH_TIMEOUT	30

/* ctl_flush_exec - run a program, wait for it; its wait status or -1. */
static int
ctl_flush_exec(const char *path, char **args)
{
	int	 status;
	pid_t	 pid;

	fflush(stdout);
	if ((pid = fork()) < 0) {
		msg_error("fork: %m");
		return -1;
	}
	if (pid == 0) {
		stdio_null(1);			/* pickup -S: an empty request */
		execv(path, args);
		fprintf(stderr, "cannot run %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			msg_fatal("waitpid: %m");
	return status;
}

/* ctl_flush_maildrop - is there local submission that pickup must move? */
static int
ctl_flush_maildrop(void)
{
	VSTRING	*path = vstring_alloc(128);
	int	 any = 0;
	DIR	*dir;
	struct dirent *de;

	vstring_sprintf(path, "%s/%s", conf_str("queue_directory"), QF_MAILDROP);
	if ((dir = opendir(vstring_str(path))) != NULL) {
		while (!any && (de = readdir(dir)) != NULL)
			any = de->d_name[0] != '.';
		closedir(dir);
	}
	vstring_free(path);
	return any;
}

/*
 * ctl_flush_run - the one-shot queue run; a CTL_FLUSH_* result. Local
 * submissions waiting in maildrop/ are moved into the queue first by one
 * stand-alone pickup run, so that they are delivered in the same run.
 */
static int
ctl_flush_run(const char *domain, int verbose)
{
	const char *qdir = conf_str("queue_directory");
	char	 path[4096];
	char	*args[8];
	struct stat st;
	int	 n = 0, status;

	if (stat(qdir, &st) < 0 && errno == ENOENT) {
		printf("nothing to deliver: no queue directory %s\n", qdir);
		return CTL_FLUSH_OK;
	}
	if (setenv("MAIL_CONFIG", mail_conf_dir(), 1) < 0)
		msg_fatal("setenv: %m");
	if (ctl_flush_maildrop()) {
		snprintf(path, sizeof(path), "%s/pickup",
		    conf_str("daemon_directory"));
		args[0] = "pickup";
		args[1] = "-S";
		args[2] = NULL;
		if (access(path, X_OK) == 0 && ctl_flush_exec(path, args) != 0)
			msg_warn("%s -S failed; local submissions wait in %s/",
			    path, QF_MAILDROP);
	}
	snprintf(path, sizeof(path), "%s/master", conf_str("daemon_directory"));
	args[n++] = "master";
	args[n++] = "-1";
	if (domain) {
		args[n++] = "-d";
		args[n++] = (char *)domain;
	}
	if (verbose)
		args[n++] = "-v";
	args[n] = NULL;
	if ((status = ctl_flush_exec(path, args)) < 0)
		return CTL_FLUSH_UNAVAIL;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return CTL_FLUSH_OK;
	msg_error("the mail system is not running, and the queue run "
	    "(%s -1) failed%s", path, WIFEXITED(status)
	    && WEXITSTATUS(status) == 127 ? "" : "; see the mail log");
	return CTL_FLUSH_UNAVAIL;
}

/* ctl_flush_allowed - authorized_flush_users; root and mail_owner always. */
static int
ctl_flush_allowed(void)
{
	uid_t	 uid = getuid();
	struct passwd *pw;
	VSTRING	*why;
	char	 name[64];
	int	 ok;

	if (uid == 0 || ((pw = getpwnam(conf_str("mail_owner"))) != NULL
	    && pw->pw_uid == uid))
		return 1;
	if ((pw = getpwuid(uid)) != NULL)
		snprintf(name, sizeof(name), "%s", pw->pw_name);
	else
		snprintf(name, sizeof(name), "%ld", (long)uid);
	why = vstring_alloc(64);
	ok = user_list_check(conf_str("authorized_flush_users"), name, why);
	if (ok < 0)
		msg_error("authorized_flush_users: %s", vstring_len(why) ?
		    vstring_str(why) : "table lookup failed");
	else if (ok == 0)
		msg_error("user %s (uid %ld) is not allowed to flush the mail "
		    "queue (authorized_flush_users)", name, (long)uid);
	vstring_free(why);
	return ok > 0;
}

int
ctl_flush(const char *domain, int verbose)
{
	VSTRING	*why;
	int	 rc = CTL_FLUSH_OK;

	if (!ctl_flush_allowed())
		return CTL_FLUSH_DENIED;
	why = vstring_alloc(64);

	switch (qmgr_clnt_request(domain ? QC_REQ_FLUSH_DOMAIN : QC_REQ_FLUSH,
	    domain ? QC_DOMAIN : NULL, domain, CTL_FLUSH_TIMEOUT, NULL, why)) {
	case QMGR_CLNT_OK:
		break;
	case QMGR_CLNT_FAIL:
		msg_error("queue flush refused: %s", vstring_str(why));
		rc = CTL_FLUSH_FAIL;
		break;
	default:
		if (errno == ENOENT || errno == ECONNREFUSED)
			rc = ctl_flush_run(domain, verbose);
		else {
			msg_error("%s", vstring_str(why));
			rc = CTL_FLUSH_UNAVAIL;
		}
		break;
	}
	vstring_free(why);
	return rc;
}
