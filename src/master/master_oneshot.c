/*
 * NAME
 *	master_oneshot - one queue run, then exit (master -1, cron mode)
 * SYNOPSIS
 *	#include "master.h"
 *
 *	void	master_oneshot_prepare(MASTER_SERV **list, const char *domain);
 *	void	master_oneshot_start(void);
 *	void	master_oneshot_proc(const MASTER_PROC *proc, int status);
 *	int	master_oneshot_status(void);
 * DESCRIPTION
 *	"master -1 [-d domain]" is the queue run of a host that keeps no
 *	resident daemons and runs its queue from cron ("postern flush" and
 *	"sendmail -q" start it when no qmgr answers). The master stays in
 *	the foreground and works as usual, with these differences:
 *
 *	master_oneshot_prepare() drops the services that face the network
 *	(inet and pass entries: nothing is received in a queue run) and
 *	every wakeup timer from list, finds the qmgr service (the unix entry
 *	whose program is qmgr; when master.cf has none, the standard entry
 *	"qmgr unix n - n 300 1 qmgr" is added) and gives its process the
 *	arguments "-1" and, with domain, "-d domain": the qmgr then does one
 *	queue run (qmgr(8)) and exits when it is done. The other unix
 *	services (delivery agents, bounce, proxymap...) are started on
 *	demand by the master, exactly as when it is resident.
 *
 *	master_oneshot_start() starts the qmgr process, after the listeners
 *	are open.
 *
 *	master_oneshot_proc() is told of every child that ended: when it is
 *	the qmgr of the run, the run is over: its exit status is kept and
 *	the master stops its other children and exits (SIGHUP does not
 *	reload in a queue run). master_oneshot_status() is the exit status for the
 *	master: the qmgr's (0 also when mail was deferred again), 1 when it
 *	did not end normally or the run was stopped by a signal.
 * DIAGNOSTICS
 *	Fatal when the built-in qmgr entry cannot be used (a panic in all
 *	but name).
 */
#include <sys/wait.h>
#include <string.h>

#include "master.h"
#include "msg.h"

/* Postfix's entry, for a master.cf without one (a submission-only host). */
#define ONESHOT_QMGR	"qmgr unix n - n 300 1 qmgr"

static MASTER_SERV *oneshot_qmgr;	/* the service whose process is the run */
static int oneshot_exit = 1;

/* oneshot_program - the last path component of a service's command. */
static const char *
oneshot_program(const MASTER_SERV *serv)
{
	const char *slash = strrchr(serv->command, '/');

	return slash ? slash + 1 : serv->command;
}

void
master_oneshot_prepare(MASTER_SERV **list, const char *domain)
{
	MASTER_SERV **pp = list, *serv;
	VSTRING	*why;

	while ((serv = *pp) != NULL) {
		if (serv->type == MASTER_TYPE_INET
		    || serv->type == MASTER_TYPE_PASS) {
			*pp = serv->next;
			master_serv_free(serv);
			continue;
		}
		serv->wakeup = 0;
		if (oneshot_qmgr == NULL && serv->type == MASTER_TYPE_UNIX
		    && strcmp(oneshot_program(serv), "qmgr") == 0)
			oneshot_qmgr = serv;
		pp = &serv->next;
	}
	if (oneshot_qmgr == NULL) {
		why = vstring_alloc(64);
		if ((oneshot_qmgr = master_conf_line(ONESHOT_QMGR, why)) == NULL)
			msg_fatal("built-in qmgr service: %s", vstring_str(why));
		vstring_free(why);
		*pp = oneshot_qmgr;
		if (msg_verbose)
			msg_info("master.cf has no qmgr service; the queue run "
			    "uses \"%s\"", ONESHOT_QMGR);
	}
	/* "--": the end of the skeleton's options, whatever precedes. */
	argv_add(oneshot_qmgr->args, "--");
	argv_add(oneshot_qmgr->args, "-1");
	if (domain != NULL) {
		argv_add(oneshot_qmgr->args, "-d");
		argv_add(oneshot_qmgr->args, domain);
	}
}

void
master_oneshot_start(void)
{
	if (oneshot_qmgr == NULL || oneshot_qmgr->listen_fd < 0)
		msg_panic("master_oneshot_start: no qmgr listener");
	master_spawn(oneshot_qmgr);
	master_spawn_check(oneshot_qmgr);
}

void
master_oneshot_proc(const MASTER_PROC *proc, int status)
{
	if (oneshot_qmgr == NULL || proc->serv != oneshot_qmgr)
		return;
	/* Stopped from outside (SIGTERM, SIGINT) before it was done: 1. */
	oneshot_exit = master_stopping ? 1 :
	    WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	oneshot_qmgr = NULL;
	master_shutdown();
}

int
master_oneshot_status(void)
{
	return oneshot_exit;
}
