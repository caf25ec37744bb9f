/*
 * iostuff_test - unit tests for iostuff.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iostuff.h"
#include "mymalloc.h"
#include "ptest.h"

PTEST(flags)
{
	int	 sv[2];

	PT_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	PT_INTEQ(non_blocking(sv[0], 1), 0);
	PT_INTEQ(non_blocking(sv[0], 1), 1);
	PT_ASSERT(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
	PT_INTEQ(non_blocking(sv[0], 0), 1);
	PT_INTEQ(close_on_exec(sv[0], 1), 0);
	PT_ASSERT(fcntl(sv[0], F_GETFD) & FD_CLOEXEC);
	PT_INTEQ(close_on_exec(sv[0], 0), 1);
	PT_INTEQ(non_blocking(-1, 1), -1);
	close(sv[0]);
	close(sv[1]);
}

PTEST(waits)
{
	int	 sv[2];
	struct timespec t0, t1;
	double	 dt;
	char	 c;
	uid_t	 uid;
	gid_t	 gid;
	pid_t	 pid;

	PT_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	PT_INTEQ(read_wait(sv[0], 0), -1);
	PT_INTEQ(errno, ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	PT_INTEQ(poll_wait(sv[0], POLLIN, 150), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dt = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	PT_ASSERT(dt >= 0.14 && dt < 3);
	PT_INTEQ(write_wait(sv[1], 1), 0);
	PT_INTEQ(write_all(sv[1], "x", 1), 1);
	PT_INTEQ(read_wait(sv[0], 1), 0);
	PT_INTEQ(timed_read(sv[0], &c, 1, 1, NULL), 1);
	PT_INTEQ(c, 'x');
	PT_INTEQ(timed_read(sv[0], &c, 1, 1, NULL), -1);
	PT_INTEQ(errno, ETIMEDOUT);
	PT_INTEQ(peer_cred(sv[0], &uid, &gid, &pid), 0);
	PT_INTEQ(uid, getuid());
	PT_INTEQ(gid, getgid());
	PT_INTEQ(pid, getpid());
	close(sv[1]);
	PT_INTEQ(timed_read(sv[0], &c, 1, 1, NULL), 0);
	close(sv[0]);
}

PTEST(write_all_nonblocking)
{
	int	 sv[2];
	size_t	 len = 2 << 20, got = 0;
	char	*buf = mycalloc(1, len);
	pid_t	 pid;
	ssize_t	 n;

	PT_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	non_blocking(sv[1], 1);
	if ((pid = fork()) == 0) {
		close(sv[1]);
		while ((n = read(sv[0], buf, len)) > 0)
			got += n;
		_exit(got == len ? 0 : 1);
	}
	close(sv[0]);
	PT_INTEQ(write_all(sv[1], buf, len), len);
	close(sv[1]);
	{
		int	 st;

		PT_ASSERT(waitpid(pid, &st, 0) == pid && st == 0);
	}
	myfree(buf);
}

/* In a child: which of fds 0..2 are /dev/null after stdio_null(count)? */
static int
null_mask(int count)
{
	struct stat dn, st;
	pid_t	 pid;
	int	 status, mask = 0, i;

	if (stat("/dev/null", &dn) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		int	 p[2];

		/* Standard descriptors that are not /dev/null to begin with. */
		if (pipe(p) < 0)
			_exit(100);
		for (i = 0; i < 3; i++)
			(void)dup2(p[i & 1], i);
		stdio_null(count);
		for (i = 0; i < 3; i++)
			if (fstat(i, &st) == 0 && S_ISCHR(st.st_mode) &&
			    st.st_rdev == dn.st_rdev)
				mask |= 1 << i;
		_exit(mask);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

PTEST(stdio_to_null)
{
	PT_INTEQ(null_mask(1), 1);
	PT_INTEQ(null_mask(3), 7);
}

int
main(void)
{
	PT_RUN(flags);
	PT_RUN(waits);
	PT_RUN(write_all_nonblocking);
	PT_RUN(stdio_to_null);
	return PT_DONE();
}
