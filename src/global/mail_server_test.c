/*
 * NAME
 *	mail_server_test - unit tests of the daemon skeletons
 * DESCRIPTION
 *	Each test plays the master: it makes a configuration directory, a
 *	UNIX listener (fd 3 in the child) and a status channel (fd 4), forks
 *	a child that runs a skeleton with a small service, and then checks
 *	from the outside what the child does: the busy/idle bytes, the
 *	service, max_use, leaving when the status channel closes, and the
 *	request bytes a trigger server hands over. The child keeps its
 *	privileges (-P), so that the tests also run as root without a
 *	mail_owner account.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connect.h"
#include "iostuff.h"
#include "listen.h"
#include "mail_server.h"
#include "ptest.h"
#include "vstream.h"

static char ms_dir[64];
static int ms_report = -1;		/* child -> test: what the service saw */

static void
ms_setup(void)
{
	char	 path[128];
	FILE	*fp;

	snprintf(ms_dir, sizeof(ms_dir), "/tmp/mail_server_test.XXXXXX");
	if (mkdtemp(ms_dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/main.cf", ms_dir);
	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fprintf(fp, "queue_directory = %s\nmaillog_file = %s/log\n", ms_dir, ms_dir);
	fclose(fp);
	setenv("MAIL_CONFIG", ms_dir, 1);
}

static void
ms_cleanup(void)
{
	static const char *files[] = { "main.cf", "log", "s1", "s2", "s3", "t1" };
	char	 path[128];
	size_t	 i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", ms_dir, files[i]);
		(void)unlink(path);
	}
	if (rmdir(ms_dir) < 0)
		fprintf(stderr, "rmdir %s: %s\n", ms_dir, strerror(errno));
}

static void
ms_echo(VSTREAM *stream, const char *service, char **argv)
{
	char	 buf[100];
	ssize_t	 n;

	(void)service;
	(void)argv;
	if ((n = vstream_read(stream, buf, sizeof(buf))) > 0) {
		vstream_write(stream, buf, n);
		vstream_fflush(stream);
	}
}

static void
ms_trigger(const char *buf, size_t len, const char *service, char **argv)
{
	(void)service;
	(void)argv;
	if (write(ms_report, buf, len) < 0)
		_exit(2);
}

/* ms_start - fork a child running a skeleton; returns its pid. */
static pid_t
ms_start(int kind, const char *sock, int *status_fd, const char *max_use)
{
	char	 path[128], opt[64];
	char	*argv[] = { "mstest", "-n", "svc", "-t", "unix", "-P", "-o", opt, NULL };
	int	 pair[2], lfd;
	pid_t	 pid;
	static MAIL_SERVER_OPS ops;

	snprintf(path, sizeof(path), "%s/%s", ms_dir, sock);
	snprintf(opt, sizeof(opt), "max_use=%s", max_use);
	if ((lfd = unix_listen(path, 10, 0600, NULL)) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0)
		return -1;
	if ((pid = fork()) == 0) {
		/* Out of the way of fds 3 and 4 first, the report pipe too. */
		if ((lfd = fcntl(lfd, F_DUPFD, 20)) < 0 ||
		    (pair[1] = fcntl(pair[1], F_DUPFD, 20)) < 0 ||
		    (ms_report >= 0 && (ms_report = fcntl(ms_report, F_DUPFD, 20)) < 0))
			_exit(3);
		if (dup2(lfd, 3) < 0 || dup2(pair[1], 4) < 0)
			_exit(3);
		if (kind == 1)
			single_server_main(8, argv, ms_echo, &ops);
		else
			trigger_server_main(8, argv, ms_trigger, &ops);
		_exit(4);
	}
	close(lfd);
	close(pair[1]);
	*status_fd = pair[0];
	return pid;
}

/* ms_byte - one byte from fd within 10 seconds, or -1. */
static int
ms_byte(int fd)
{
	unsigned char ch;

	if (read_wait(fd, 10) < 0 || read(fd, &ch, 1) != 1)
		return -1;
	return ch;
}

static int
ms_connect(const char *sock)
{
	char	 path[128];

	snprintf(path, sizeof(path), "%s/%s", ms_dir, sock);
	return unix_connect(path, 5, NULL);
}

/* ms_exit - wait at most 10 seconds for the child; its exit status or -1. */
static int
ms_exit(pid_t pid)
{
	int	 status, i;

	for (i = 0; i < 1000; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

PTEST(single_server_serves_and_reports)
{
	char	 buf[16];
	int	 sfd, fd;
	pid_t	 pid;

	PT_ASSERT((pid = ms_start(1, "s1", &sfd, "2")) > 0);
	PT_INTEQ(ms_byte(sfd), 'R');	/* start-up complete */
	PT_ASSERT((fd = ms_connect("s1")) >= 0);
	PT_INTEQ(ms_byte(sfd), 'B');
	PT_INTEQ(write(fd, "hello", 5), 5);
	PT_ASSERT(read_wait(fd, 10) == 0);
	PT_INTEQ(read(fd, buf, sizeof(buf)), 5);
	PT_ASSERT(memcmp(buf, "hello", 5) == 0);
	close(fd);
	PT_INTEQ(ms_byte(sfd), 'I');
	/* The second client is the last one (max_use=2). */
	PT_ASSERT((fd = ms_connect("s1")) >= 0);
	PT_INTEQ(ms_byte(sfd), 'B');
	PT_INTEQ(write(fd, "x", 1), 1);
	close(fd);
	PT_INTEQ(ms_byte(sfd), 'I');
	PT_INTEQ(ms_exit(pid), 0);
	close(sfd);
}

PTEST(single_server_leaves_when_master_goes)
{
	int	 sfd;
	pid_t	 pid;

	PT_ASSERT((pid = ms_start(1, "s2", &sfd, "100")) > 0);
	close(sfd);
	PT_INTEQ(ms_exit(pid), 0);
}

PTEST(single_server_sigterm_when_idle)
{
	int	 sfd, fd;
	pid_t	 pid;

	PT_ASSERT((pid = ms_start(1, "s3", &sfd, "100")) > 0);
	PT_INTEQ(ms_byte(sfd), 'R');
	/* Make sure it is up and idle before the signal. */
	PT_ASSERT((fd = ms_connect("s3")) >= 0);
	PT_INTEQ(ms_byte(sfd), 'B');
	close(fd);
	PT_INTEQ(ms_byte(sfd), 'I');
	kill(pid, SIGTERM);
	PT_INTEQ(ms_exit(pid), 0);
	close(sfd);
}

PTEST(trigger_server_hands_over_request)
{
	const char req[] = "request=trigger\n\n";
	char	 buf[64];
	int	 sfd, fd, pfd[2];
	ssize_t	 n;
	pid_t	 pid;

	PT_ASSERT(pipe(pfd) == 0);
	ms_report = pfd[1];
	PT_ASSERT((pid = ms_start(2, "t1", &sfd, "1")) > 0);
	close(pfd[1]);
	PT_ASSERT((fd = ms_connect("t1")) >= 0);
	PT_INTEQ(write(fd, req, sizeof(req) - 1), (long long)sizeof(req) - 1);
	PT_ASSERT(read_wait(pfd[0], 10) == 0);
	n = read(pfd[0], buf, sizeof(buf));
	PT_INTEQ(n, (long long)sizeof(req) - 1);
	PT_ASSERT(memcmp(buf, req, n) == 0);
	close(fd);
	PT_INTEQ(ms_exit(pid), 0);	/* max_use=1 */
	close(pfd[0]);
	close(sfd);
}

int
main(void)
{
	int	 rc;

	signal(SIGPIPE, SIG_IGN);
	ms_setup();
	PT_RUN(single_server_serves_and_reports);
	PT_RUN(single_server_leaves_when_master_goes);
	PT_RUN(single_server_sigterm_when_idle);
	PT_RUN(trigger_server_hands_over_request);
	rc = PT_DONE();
	ms_cleanup();
	return rc;
}
