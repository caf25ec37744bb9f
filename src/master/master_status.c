/*
 * NAME
 *	master_status - status channels between the master and its children
 * SYNOPSIS
 *	#include "master.h"
 *
 *	void	master_status_open(MASTER_PROC *proc, int fd);
 *	void	master_status_close(MASTER_PROC *proc);
 *	void	master_status_drain(MASTER_PROC *proc);
 * DESCRIPTION
 *	Each child has its own status channel, a UNIX socket pair whose
 *	other end is the child's fd 4. The child writes 'B' when it takes a
 *	client and 'I' when it is idle again; the master keeps count of
 *	idle processes per service and asks master_spawn_check() whether to
 *	wait on the listener itself. 'R' (ready) says that the child has
 *	completed its start-up (mail_server.c writes it after post_init):
 *	one that dies later is restarted, not throttled as a program that
 *	cannot start. Other bytes are ignored, so that the channel can
 *	grow.
 *
 *	master_status_drain() reads what an exited child wrote before it
 *	died (so that a child that was busy is not taken for one that
 *	failed at start-up), then closes the channel.
 *
 *	master_status_close() closes the master's end: the child sees end
 *	of file, and leaves when it is (or becomes) idle. That is how a
 *	reload retires old processes without cutting their sessions.
 * DIAGNOSTICS
 *	None. End of file or an error on the channel just closes it; the
 *	process itself is accounted for when it is reaped.
 */
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "iostuff.h"
#include "master.h"
#include "msg.h"

static void
master_status_byte(MASTER_PROC *proc, int ch)
{
	MASTER_SERV *serv = proc->serv;

	switch (ch) {
	case 'B':
		proc->use_count++;
		if (proc->avail) {
			proc->avail = 0;
			if (serv != NULL) {
				serv->avail--;
				serv->last_use = time(NULL);
				if (serv->avail == 0)
					master_stress_full(serv);
			}
		}
		break;
	case 'R':
		proc->ready = 1;
		break;
	case 'I':
		if (!proc->avail) {
			proc->avail = 1;
			if (serv != NULL)
				serv->avail++;
		}
		break;
	default:
		break;
	}
}

/* master_status_read - take what the child wrote: 1, -1 (nothing now), 0 (EOF). */
static int
master_status_read(MASTER_PROC *proc)
{
	char	 buf[64];
	ssize_t	 n, i;

	n = read(proc->status_fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return -1;
	if (n <= 0)
		return 0;
	for (i = 0; i < n; i++)
		master_status_byte(proc, buf[i]);
	return 1;
}

static void
master_status_event(int event, void *ctx)
{
	MASTER_PROC *proc = ctx;

	(void)event;
	if (master_status_read(proc) == 0) {
		master_status_close(proc);
		return;
	}
	if (proc->serv != NULL)
		master_spawn_check(proc->serv);
}

/*
 * master_status_drain - a child has exited: account for what it wrote
 * before it died (was it ever busy?), then close the channel.
 */
void
master_status_drain(MASTER_PROC *proc)
{
	int	 i;

	for (i = 0; proc->status_fd >= 0 && i < 1000; i++) {
		if (master_status_read(proc) <= 0)
			break;
	}
	master_status_close(proc);
}

void
master_status_open(MASTER_PROC *proc, int fd)
{
	proc->status_fd = fd;
	(void)non_blocking(fd, 1);
	event_enable_read(fd, master_status_event, proc);
}

void
master_status_close(MASTER_PROC *proc)
{
	if (proc->status_fd < 0)
		return;
	event_disable_readwrite(proc->status_fd);
	(void)close(proc->status_fd);
	proc->status_fd = -1;
}
