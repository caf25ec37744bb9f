/*
 * NAME
 *	mail_counter - counters shared between processes
 * SYNOPSIS
 *	#include <mail_counter.h>
 *
 *	int  mail_counter_attach(const char *path);
 *	void mail_counter_add(int which, long long delta);
 *	int  mail_counter_read(const char *path, long long *values, int count);
 *	int  mail_counter_reset(const char *path);
 * DESCRIPTION
 *	Some figures that smtpctl(8) shows are known only to short-lived
 *	processes: smtpd knows when an SMTP session starts and ends, but
 *	there are many smtpd processes and none lives long. They add to
 *	counters in one small file (MAIL_COUNTER_FILE under the queue
 *	directory) that each maps shared, with atomic additions, so the
 *	cost is one memory operation per event and no IPC. The qmgr reads
 *	the file when asked for statistics.
 *
 *	mail_counter_attach() maps the file (creating it, mode 0600, when
 *	missing) for this process; mail_counter_add() is a no-op until then,
 *	so programs run stand-alone or without the file simply count
 *	nothing. mail_counter_read() copies up to count values out of the
 *	file (zeros when it does not exist). mail_counter_reset() removes
 *	the file: the master calls it at start, when no process of an
 *	earlier run can still be counting.
 *
 *	The counters are monotonic 64-bit integers. A process killed
 *	between "session started" and "session ended" leaves the difference
 *	one too high until the next start of the mail system: the figures
 *	are for monitoring, not accounting.
 * DIAGNOSTICS
 *	mail_counter_attach() and mail_counter_read() return -1 with errno
 *	set when the file cannot be opened or mapped; mail_counter_reset()
 *	returns -1 when the file exists and cannot be removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "mail_counter.h"
#include "msg.h"
#include "safe_file.h"

#define MAIL_COUNTER_SIZE	(MAIL_COUNTER_COUNT * sizeof(long long))

static long long *mail_counters;

int
mail_counter_attach(const char *path)
{
	void	*map;

	if (mail_counters != NULL)
		return 0;
	if ((map = safe_file_map(path, MAIL_COUNTER_SIZE)) == NULL)
		return -1;
	mail_counters = map;
	return 0;
}

void
mail_counter_add(int which, long long delta)
{
	if (which < 0 || which >= MAIL_COUNTER_COUNT)
		msg_panic("mail_counter_add: bad counter %d", which);
	if (mail_counters != NULL)
		__atomic_fetch_add(&mail_counters[which], delta, __ATOMIC_RELAXED);
}

int
mail_counter_read(const char *path, long long *values, int count)
{
	long long buf[MAIL_COUNTER_COUNT];
	ssize_t	 n;
	int	 fd;

	if (count > MAIL_COUNTER_COUNT)
		count = MAIL_COUNTER_COUNT;
	memset(buf, 0, sizeof(buf));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno != ENOENT)
			return -1;
	} else {
		n = pread(fd, buf, sizeof(buf), 0);
		close(fd);
		if (n < 0)
			return -1;
	}
	memcpy(values, buf, count * sizeof(long long));
	return 0;
}

int
mail_counter_reset(const char *path)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return -1;
	return 0;
}
