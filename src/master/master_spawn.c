/*
 * NAME
 *	master_spawn - start, count, reap and throttle service processes
 * SYNOPSIS
 *	#include "master.h"
 *
 *	void	master_spawn_init(void);
 *	void	master_spawn(MASTER_SERV *serv);
 *	void	master_spawn_check(MASTER_SERV *serv);
 *	void	master_spawn_reap(void);
 *	void	master_spawn_retire(MASTER_SERV *serv, MASTER_SERV *successor);
 *	void	master_spawn_kill_all(int sig);
 *	int	master_spawn_count(void);
 *	void	master_spawn_throttle(MASTER_SERV *serv);
 *	void	master_spawn_unthrottle(MASTER_SERV *serv);
 *	void	master_spawn_notify(MASTER_SERV *serv, int ch);
 * DESCRIPTION
 *	Processes are started on demand. While a service has an idle
 *	process, that process waits for clients on the shared listener.
 *	When none is idle, master_spawn_check() makes the master itself
 *	wait on the listener (if the service is below maxproc and not
 *	throttled); a client arriving then makes it start one more process
 *	(master_spawn), which counts as idle from birth.
 *
 *	master_spawn() forks and execs the service's command with the
 *	listener on fd 3 and the child's end of a fresh socket pair (its
 *	status channel) on fd 4, /dev/null on fd 0, the master's stdout and
 *	stderr on fds 1 and 2, default signal dispositions and an empty
 *	signal mask.
 *
 *	master_spawn_reap() collects every exited child. A process that
 *	ends abnormally (non-zero status or a signal) is logged. If it died
 *	before it completed its start-up (no 'R' on its status channel, no
 *	client served) by itself (not SIGKILL, which comes from outside),
 *	the program cannot start: the service is throttled,
 *	no new process for service_throttle_time seconds. One that had
 *	started is replaced at once: a service with a wakeup timer (qmgr,
 *	pickup) gets its wakeup now, which starts the new process; others
 *	start one on demand as usual. Only a program that keeps dying
 *	within a second of its start without serving a client
 *	(MASTER_QUICK_DEATHS times in a row) is throttled too, so that a
 *	crash loop cannot spin. A process that
 *	exits normally is just forgotten; its service starts another on
 *	demand.
 *
 *	master_spawn_retire() detaches a service's processes (reload or
 *	removal): their status channels are closed, so each one leaves when
 *	idle, or after its current client. They are still reaped. With a
 *	successor (the same listener in the new configuration) they count
 *	as busy processes of the successor until they are gone, so that a
 *	service with maxproc 1 (qmgr, pickup) never runs twice at once.
 *
 *	master_spawn_notify() writes one byte to the status channel of every
 *	process of a service (master_stress(3)).
 *
 *	master_spawn_kill_all() signals every child; master_spawn_count()
 *	says how many are left.
 * DIAGNOSTICS
 *	fork() failure is logged and the service throttled.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "iostuff.h"
#include "htable.h"
#include "mail_conf.h"
#include "mail_server.h"
#include "master.h"
#include "msg.h"
#include "mymalloc.h"

#define MASTER_QUICK_DEATHS	5	/* in a row, within a second of start */

static HTABLE *master_procs;		/* pid text -> MASTER_PROC */

void
master_spawn_init(void)
{
	master_procs = htable_create(64);
}

int
master_spawn_count(void)
{
	return (int)master_procs->used;
}

static void
master_spawn_listener_event(int event, void *ctx)
{
	MASTER_SERV *serv = ctx;

	(void)event;
	if (serv->avail == 0 && !serv->throttled && !master_stopping &&
	    (serv->max_proc == 0 || serv->total < serv->max_proc))
		master_spawn(serv);
	master_spawn_check(serv);
}

void
master_spawn_check(MASTER_SERV *serv)
{
	int	 want;

	want = serv->listen_fd >= 0 && serv->avail == 0 && !serv->throttled &&
	    !master_stopping &&
	    (serv->max_proc == 0 || serv->total < serv->max_proc);
	if (want && !serv->watching)
		event_enable_read(serv->listen_fd, master_spawn_listener_event, serv);
	else if (!want && serv->watching)
		event_disable_readwrite(serv->listen_fd);
	serv->watching = want;
}

/* master_spawn_child - in the child: set up descriptors, exec. */
static void NORETURN
master_spawn_child(MASTER_SERV *serv, int status_fd)
{
	int	 lfd, sfd;

	master_sig_child_reset();
	if ((lfd = fcntl(serv->listen_fd, F_DUPFD, 10)) < 0 ||
	    (sfd = fcntl(status_fd, F_DUPFD, 10)) < 0)
		msg_fatal("%s: dup: %m", serv->name);
	if (dup2(lfd, MAIL_SERVER_LISTEN_FD) < 0 ||
	    dup2(sfd, MAIL_SERVER_STATUS_FD) < 0)
		msg_fatal("%s: dup2: %m", serv->name);
	(void)close(lfd);
	(void)close(sfd);
	/*
	 * stdout and stderr are the master's: /dev/null for a daemon, the
	 * terminal in the foreground (maillog_file=/dev/stdout).
	 */
	stdio_null(1);
	execv(serv->command, master_stress_argv(serv));
	msg_fatal("exec %s: %m", serv->command);
}

void
master_spawn(MASTER_SERV *serv)
{
	MASTER_PROC *proc;
	int	 pair[2];
	pid_t	 pid;
	char	 key[32];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
		msg_warn("%s: socketpair: %m", serv->name);
		master_spawn_throttle(serv);
		return;
	}
	if ((pid = fork()) < 0) {
		msg_warn("%s: fork: %m", serv->name);
		(void)close(pair[0]);
		(void)close(pair[1]);
		master_spawn_throttle(serv);
		return;
	}
	if (pid == 0)
		master_spawn_child(serv, pair[1]);
	(void)close(pair[1]);
	proc = mycalloc(1, sizeof(*proc));
	proc->pid = pid;
	proc->serv = serv;
	proc->avail = 1;
	proc->started = time(NULL);
	serv->avail++;
	serv->total++;
	snprintf(key, sizeof(key), "%ld", (long)pid);
	htable_enter(master_procs, key, proc);
	master_status_open(proc, pair[0]);
	if (msg_verbose)
		msg_info("%s/%s: started process %ld", serv->type_name, serv->name,
		    (long)pid);
}

/* master_spawn_died - an abnormal end: throttle, or replace it now. */
static void
master_spawn_died(MASTER_SERV *serv, MASTER_PROC *proc, int status)
{
	int	 killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;

	/* SIGKILL comes from outside (an operator, the OOM killer). */
	if (!proc->ready && proc->use_count == 0 && !killed) {
		msg_warn("%s: bad command startup -- throttling", serv->command);
		master_spawn_throttle(serv);
		return;
	}
	if (proc->use_count == 0 && time(NULL) - proc->started <= 1)
		serv->quick_deaths++;
	else
		serv->quick_deaths = 0;
	if (serv->quick_deaths >= MASTER_QUICK_DEATHS) {
		msg_warn("%s: died %d times in a row soon after start-up -- "
		    "throttling", serv->command, serv->quick_deaths);
		serv->quick_deaths = 0;
		master_spawn_throttle(serv);
		return;
	}
	master_wakeup_now(serv);
}

/* master_spawn_forget - a process is gone: update its service. */
static void
master_spawn_forget(MASTER_PROC *proc, int status)
{
	MASTER_SERV *serv;
	int	 abnormal;

	master_status_drain(proc);
	if (master_oneshot)
		master_oneshot_proc(proc, status);
	serv = proc->serv;
	abnormal = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (abnormal && !(master_stopping && WIFSIGNALED(status) &&
	    WTERMSIG(status) == SIGTERM)) {
		if (WIFSIGNALED(status))
			msg_warn("process %s pid %ld killed by signal %d",
			    serv ? serv->command : "(retired)", (long)proc->pid,
			    WTERMSIG(status));
		else
			msg_warn("process %s pid %ld exit status %d",
			    serv ? serv->command : "(retired)", (long)proc->pid,
			    WEXITSTATUS(status));
	}
	if (serv == NULL)
		return;
	if (proc->avail)
		serv->avail--;
	serv->total--;
	if (abnormal && !master_stopping)
		master_spawn_died(serv, proc, status);
	master_spawn_check(serv);
}

void
master_spawn_reap(void)
{
	MASTER_PROC *proc;
	char	 key[32];
	pid_t	 pid;
	int	 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		snprintf(key, sizeof(key), "%ld", (long)pid);
		if ((proc = htable_find(master_procs, key)) == NULL)
			continue;		/* not ours (a helper) */
		master_spawn_forget(proc, status);
		htable_delete(master_procs, key, myfree);
	}
}

static void
master_spawn_unthrottle_event(int event, void *ctx)
{
	(void)event;
	master_spawn_unthrottle(ctx);
}

void
master_spawn_throttle(MASTER_SERV *serv)
{
	long long delay = conf_time("service_throttle_time");

	serv->throttled = 1;
	event_request_timer(master_spawn_unthrottle_event, serv,
	    (delay > 0 ? delay : 1) * 1000);
	master_spawn_check(serv);
}

void
master_spawn_unthrottle(MASTER_SERV *serv)
{
	(void)event_cancel_timer(master_spawn_unthrottle_event, serv);
	if (serv->throttled && msg_verbose)
		msg_info("%s/%s: throttle ends", serv->type_name, serv->name);
	serv->throttled = 0;
	master_spawn_check(serv);
}

void
master_spawn_retire(MASTER_SERV *serv, MASTER_SERV *successor)
{
	HTABLE_INFO **list, **ht;
	MASTER_PROC *proc;

	list = htable_list(master_procs);
	for (ht = list; *ht; ht++) {
		proc = (*ht)->value;
		if (proc->serv != serv)
			continue;
		master_status_close(proc);
		proc->avail = 0;
		proc->serv = successor;
		if (successor != NULL)
			successor->total++;
	}
	myfree(list);
	serv->avail = serv->total = 0;
	(void)event_cancel_timer(master_spawn_unthrottle_event, serv);
	serv->throttled = 0;
	if (successor != NULL)
		master_spawn_check(successor);
}

/* master_spawn_notify - one byte to every process of a service (stress). */
void
master_spawn_notify(MASTER_SERV *serv, int ch)
{
	HTABLE_INFO **list, **ht;
	MASTER_PROC *proc;
	char	 byte = (char)ch;

	list = htable_list(master_procs);
	for (ht = list; *ht; ht++) {
		proc = (*ht)->value;
		if (proc->serv == serv && proc->status_fd >= 0 &&
		    write(proc->status_fd, &byte, 1) != 1 && msg_verbose)
			msg_info("status channel of %ld: %m", (long)proc->pid);
	}
	myfree(list);
}

void
master_spawn_kill_all(int sig)
{
	HTABLE_INFO **list, **ht;
	MASTER_PROC *proc;

	list = htable_list(master_procs);
	for (ht = list; *ht; ht++) {
		proc = (*ht)->value;
		if (kill(proc->pid, sig) < 0 && errno != ESRCH)
			msg_warn("kill %ld: %m", (long)proc->pid);
	}
	myfree(list);
}
