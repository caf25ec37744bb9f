/*
 * NAME
 *	iostuff - small file descriptor helpers
 * SYNOPSIS
 *	#include <iostuff.h>
 *
 *	int     non_blocking(int fd, int on);
 *	int     close_on_exec(int fd, int on);
 *	ssize_t write_all(int fd, const void *buf, size_t len);
 *	int     read_wait(int fd, int timeout);
 *	int     write_wait(int fd, int timeout);
 *	int     poll_wait(int fd, int events, int timeout_ms);
 *	ssize_t timed_read(int fd, void *buf, size_t len, int timeout, void *ctx);
 *	ssize_t timed_write(int fd, void *buf, size_t len, int timeout, void *ctx);
 *	int     peer_cred(int fd, uid_t *uid, gid_t *gid, pid_t *pid);
 *	long long monotonic_ms(void);
 *	void    stdio_null(int count);
 * DESCRIPTION
 *	non_blocking() and close_on_exec() set (on != 0) or clear a
 *	descriptor flag and return its previous state.
 *
 *	write_all() writes the whole buffer, retrying after EINTR and
 *	short writes. On a non-blocking descriptor it waits for
 *	writability instead of spinning.
 *
 *	monotonic_ms() is the monotonic clock in milliseconds, the one
 *	every deadline in the tree is measured on (poll waits, the event
 *	loop's timers, TLS handshakes, smtpd's command timeout, DNS).
 *
 *	read_wait() and write_wait() wait until the descriptor is ready,
 *	timeout seconds at most (< 0: forever, 0: just look). poll_wait() is
 *	the same with poll(2) events and milliseconds. A signal does not
 *	shorten the wait: poll is restarted with the time left, measured
 *	on the monotonic clock. End of file and errors count as "ready"
 *	(the next read or write reports them).
 *
 *	timed_read() and timed_write() are the default I/O functions of
 *	vstream(3): wait (when timeout > 0), then one read() or write().
 *	A non-blocking descriptor that reports EAGAIN goes back to waiting.
 *
 *	peer_cred() returns the credentials the peer of a connected UNIX
 *	domain socket had when it connected (Linux SO_PEERCRED). Any of the
 *	result pointers may be null.
 *
 *	stdio_null() points the first count standard descriptors at
 *	/dev/null: 1 for stdin only (a child that must not read the
 *	caller's input), 3 for stdin, stdout and stderr (a daemon that
 *	leaves its terminal). It does nothing when /dev/null cannot be
 *	opened.
 * DIAGNOSTICS
 *	All functions return -1 and set errno on failure; waits that run
 *	out of time fail with ETIMEDOUT.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "iostuff.h"

static int
iostuff_flag(int fd, int get, int set, int bit, int on)
{
	int	 flags;

	if ((flags = fcntl(fd, get)) < 0)
		return -1;
	if (fcntl(fd, set, on ? (flags | bit) : (flags & ~bit)) < 0)
		return -1;
	return (flags & bit) != 0;
}

int
non_blocking(int fd, int on)
{
	return iostuff_flag(fd, F_GETFL, F_SETFL, O_NONBLOCK, on);
}

int
close_on_exec(int fd, int on)
{
	return iostuff_flag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, on);
}

long long
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
poll_wait(int fd, int events, int timeout_ms)
{
	struct pollfd pfd;
	long long deadline = 0, left;
	int	 n;

	if (timeout_ms > 0)
		deadline = monotonic_ms() + timeout_ms;
	for (;;) {
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		if ((n = poll(&pfd, 1, timeout_ms)) > 0)
			return 0;
		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
		if (timeout_ms > 0) {
			left = deadline - monotonic_ms();
			timeout_ms = left > 0 ? (int)left : 0;
		}
	}
}

static int
iostuff_timeout_ms(int timeout)
{
	if (timeout < 0)
		return -1;
	if (timeout > 0x7fffffff / 1000)
		return 0x7fffffff;
	return timeout * 1000;
}

int
read_wait(int fd, int timeout)
{
	return poll_wait(fd, POLLIN, iostuff_timeout_ms(timeout));
}

int
write_wait(int fd, int timeout)
{
	return poll_wait(fd, POLLOUT, iostuff_timeout_ms(timeout));
}

ssize_t
write_all(int fd, const void *buf, size_t len)
{
	const char *cp = buf;
	size_t	 done = 0;
	ssize_t	 n;

	while (done < len) {
		if ((n = write(fd, cp + done, len - done)) > 0) {
			done += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (write_wait(fd, -1) < 0)
				return -1;
			continue;
		}
		if (n == 0)
			errno = EIO;
		return -1;
	}
	return (ssize_t)len;
}

ssize_t
timed_read(int fd, void *buf, size_t len, int timeout, void *ctx)
{
	ssize_t	 n;

	(void)ctx;
	for (;;) {
		if (timeout > 0 && read_wait(fd, timeout) < 0)
			return -1;
		if ((n = read(fd, buf, len)) >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (timeout <= 0 && read_wait(fd, -1) < 0)
			return -1;
	}
}

ssize_t
timed_write(int fd, void *buf, size_t len, int timeout, void *ctx)
{
	ssize_t	 n;

	(void)ctx;
	for (;;) {
		if (timeout > 0 && write_wait(fd, timeout) < 0)
			return -1;
		if ((n = write(fd, buf, len)) >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (timeout <= 0 && write_wait(fd, -1) < 0)
			return -1;
	}
}

int
peer_cred(int fd, uid_t *uid, gid_t *gid, pid_t *pid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -1;
	if (len != sizeof(cred)) {
		errno = EPROTO;
		return -1;
	}
	if (uid)
		*uid = cred.uid;
	if (gid)
		*gid = cred.gid;
	if (pid)
		*pid = cred.pid;
	return 0;
}

void
stdio_null(int count)
{
	int	 fd, i;

	if ((fd = open("/dev/null", O_RDWR)) < 0)
		return;
	for (i = 0; i < count && i < 3; i++)
		if (fd != i)
			(void)dup2(fd, i);
	if (fd > 2)
		(void)close(fd);
}
