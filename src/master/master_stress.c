/*
 * NAME
 *	master_stress - stress-adaptive behaviour when a service runs short
 * SYNOPSIS
 *	#include "master.h"
 *
 *	void	master_stress_reset(void);
 *	void	master_stress_full(MASTER_SERV *serv);
 *	void	master_stress_tick(void);
 *	char	**master_stress_argv(MASTER_SERV *serv);
 * DESCRIPTION
 *	Postfix's stress-dependent configuration: when every process of an
 *	inet service with a process limit above one is busy and no more may
 *	be started, the service is under stress. The master logs Postfix's
 *	warning ("service "smtp" (inet:127.0.0.1:25) has reached its process
 *	limit "100": new clients may experience noticeable delays"), starts
 *	new processes of the service with "-o stress=yes", so that
 *	parameters written as "${stress?{10}:{300}}s" take their short
 *	form, and tells the running processes at once with an 'S' byte on
 *	their status channel (a 'N' byte when the stress is over), so that
 *	an smtpd waiting 300 seconds for an idle client's command shortens
 *	that wait too.
 *
 *	master_stress_full() is called when a service has just become full.
 *	master_stress_tick(), called about once a second, ends the stress of
 *	a service that has had room for MASTER_STRESS_LINGER seconds.
 *	The services under stress are listed in $queue_directory/pid/stress
 *	(one "name spec" line each; no file when there is none) for smtpctl
 *	show status; master_stress_reset() removes it at start.
 *
 *	master_stress_argv() returns the service's argument vector, with
 *	"-o stress=yes" after argv[0] when serv is under stress (called in
 *	the child, before exec).
 * DIAGNOSTICS
 *	A stress file that cannot be written is a warning.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "master.h"
#include "msg.h"

#define MASTER_STRESS_FILE	"pid/stress"
#define MASTER_STRESS_TMP	"pid/stress.tmp"
#define MASTER_STRESS_LINGER	10

void
master_stress_reset(void)
{
	if (unlink(MASTER_STRESS_FILE) < 0 && errno != ENOENT)
		msg_warn("remove %s: %m", MASTER_STRESS_FILE);
}

/* Rewrite the list of services under stress. */
static void
master_stress_write(void)
{
	MASTER_SERV *serv;
	FILE	*fp;
	int	 n = 0;

	if ((fp = fopen(MASTER_STRESS_TMP, "w")) == NULL) {
		msg_warn("open %s: %m", MASTER_STRESS_TMP);
		return;
	}
	for (serv = master_services; serv; serv = serv->next)
		if (serv->stress) {
			fprintf(fp, "%s %s\n", serv->name, serv->spec);
			n++;
		}
	if (fclose(fp) != 0) {
		msg_warn("write %s: %m", MASTER_STRESS_TMP);
		(void)unlink(MASTER_STRESS_TMP);
		return;
	}
	if (n == 0) {
		(void)unlink(MASTER_STRESS_TMP);
		master_stress_reset();
	} else if (rename(MASTER_STRESS_TMP, MASTER_STRESS_FILE) < 0)
		msg_warn("rename %s: %m", MASTER_STRESS_TMP);
}

static int
master_stress_applies(const MASTER_SERV *serv)
{
	return serv->type == MASTER_TYPE_INET && serv->max_proc > 1;
}

void
master_stress_full(MASTER_SERV *serv)
{
	if (!master_stress_applies(serv) || serv->max_proc == 0 ||
	    serv->total < serv->max_proc || serv->avail > 0)
		return;
	serv->stress_full = time(NULL);
	if (serv->stress)
		return;
	msg_warn("service \"%s\" (%s) has reached its process limit \"%d\": "
	    "new clients may experience noticeable delays", serv->name,
	    serv->spec, serv->max_proc);
	msg_warn("to avoid this condition, increase the process count in "
	    "master.cf or reduce the service time per client");
	serv->stress = 1;
	master_spawn_notify(serv, 'S');
	master_stress_write();
}

void
master_stress_tick(void)
{
	MASTER_SERV *serv;
	time_t	 now = time(NULL);
	int	 changed = 0;

	for (serv = master_services; serv; serv = serv->next) {
		if (!serv->stress)
			continue;
		if (serv->avail == 0 && serv->total >= serv->max_proc) {
			serv->stress_full = now;
			continue;
		}
		if (now - serv->stress_full < MASTER_STRESS_LINGER)
			continue;
		msg_info("service \"%s\" (%s): stress is over", serv->name,
		    serv->spec);
		serv->stress = 0;
		master_spawn_notify(serv, 'N');
		changed = 1;
	}
	if (changed)
		master_stress_write();
}

char  **
master_stress_argv(MASTER_SERV *serv)
{
	ARGV	*argv;
	size_t	 i;

	if (!serv->stress || serv->args->argc == 0)
		return serv->args->argv;
	argv = argv_alloc(serv->args->argc + 3);
	argv_add(argv, serv->args->argv[0]);
	argv_add(argv, "-o");
	argv_add(argv, "stress=yes");
	for (i = 1; i < serv->args->argc; i++)
		argv_add(argv, serv->args->argv[i]);
	return argv->argv;		/* the child execs it or exits */
}
