/*
 * NAME
 *	master_sig - signal handling of the master
 * SYNOPSIS
 *	#include "master.h"
 *
 *	void	master_sig_init(void);
 *	void	master_sig_child_reset(void);
 * DESCRIPTION
 *	Signals are turned into events with a self-pipe: the handlers only
 *	write one byte, and the event loop does the work.
 *	SIGCHLD: reap children. SIGHUP: reload master.cf and main.cf.
 *	SIGTERM, and SIGINT in the foreground (Ctrl-C): stop cleanly.
 *	SIGPIPE is ignored.
 *
 *	master_sig_child_reset() undoes all this in a freshly forked child
 *	before exec: default dispositions, empty signal mask.
 * DIAGNOSTICS
 *	Fatal: the self-pipe cannot be created.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "master.h"
#include "msg.h"

static int master_sig_pipe[2] = { -1, -1 };

static void
master_sig_handler(int sig)
{
	int	 saved_errno = errno;
	char	 ch = sig == SIGCHLD ? 'C' : sig == SIGHUP ? 'H' : 'T';

	(void)write(master_sig_pipe[1], &ch, 1);
	errno = saved_errno;
}

static void
master_sig_event(int event, void *ctx)
{
	char	 buf[64];
	ssize_t	 n, i;
	int	 reap = 0, reload = 0, stop = 0;

	(void)event;
	(void)ctx;
	while ((n = read(master_sig_pipe[0], buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			reap |= buf[i] == 'C';
			reload |= buf[i] == 'H';
			stop |= buf[i] == 'T';
		}
	}
	if (reap)
		master_spawn_reap();
	if (stop) {
		master_shutdown();
		return;
	}
	if (reload && !master_stopping && !master_oneshot)
		master_reload();
}

void
master_sig_init(void)
{
	struct sigaction sa;

	if (pipe2(master_sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		msg_fatal("pipe: %m");
	event_enable_read(master_sig_pipe[0], master_sig_event, NULL);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = master_sig_handler;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (!master_foreground) {
		sa.sa_handler = SIG_IGN;
		sigaction(SIGINT, &sa, NULL);
	}
}

void
master_sig_child_reset(void)
{
	struct sigaction sa;
	sigset_t set;
	int	 sigs[] = { SIGPIPE, SIGCHLD, SIGHUP, SIGTERM, SIGINT };
	size_t	 i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
}
