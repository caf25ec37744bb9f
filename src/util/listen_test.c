/*
 * listen_test - unit tests for listen and connect (sock_addr: see
 * sock_addr_test.c), over
 * 127.x.y.z, ::1 and UNIX sockets in a private temporary directory.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connect.h"
#include "iostuff.h"
#include "listen.h"
#include "myrandom.h"
#include "ptest.h"
#include "sock_addr.h"

static char tmpdir[64];
static char loaddr[32];			/* a random 127.x.y.z */

/* Accept on fd and check the peer is from, then exchange a byte. */
static int
accept_check(int lfd, int cfd, const char *from)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char	 addr[SOCK_ADDR_STRLEN], c = 0;
	int	 afd, port, ok;

	if (read_wait(lfd, 5) < 0 ||
	    (afd = listen_accept(lfd, (struct sockaddr *)&ss, &len)) < 0)
		return 0;
	ok = sock_addr_ntop((struct sockaddr *)&ss, len, addr, sizeof(addr),
	    &port) == 0 && strcmp(addr, from) == 0 && port > 0;
	ok = ok && (fcntl(afd, F_GETFL) & O_NONBLOCK) == 0;
	ok = ok && write_all(cfd, "z", 1) == 1 && read(afd, &c, 1) == 1 && c == 'z';
	close(afd);
	return ok;
}

PTEST(inet_v4)
{
	VSTRING	*why = vstring_alloc(100);
	char	 spec[64], addr[SOCK_ADDR_STRLEN], portbuf[16];
	int	 fds[INET_LISTEN_MAX], n, cfd, port, fds2[4];

	snprintf(spec, sizeof(spec), "%s:0", loaddr);
	n = inet_listen(spec, 10, fds, INET_LISTEN_MAX, why);
	PT_INTEQ(n, 1);
	PT_ASSERT(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
	PT_ASSERT(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
	PT_INTEQ(sock_addr_local(fds[0], addr, sizeof(addr), &port), 0);
	PT_STREQ(addr, loaddr);
	PT_ASSERT(port > 0);
	/* Nothing pending: EAGAIN, not a hang. */
	PT_INTEQ(listen_accept(fds[0], NULL, NULL), -1);
	PT_INTEQ(errno, EAGAIN);
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	cfd = inet_connect(loaddr, portbuf, "127.0.0.1", 5, why);
	PT_ASSERT(cfd >= 0);
	PT_ASSERT((fcntl(cfd, F_GETFL) & O_NONBLOCK) == 0);
	PT_ASSERT(accept_check(fds[0], cfd, "127.0.0.1"));
	close(cfd);
	/* The same address again: in use. */
	snprintf(spec, sizeof(spec), "[%s]:%d", loaddr, port);
	PT_INTEQ(inet_listen(spec, 10, fds2, 4, why), -1);
	PT_ASSERT(strstr(vstring_str(why), "in use") != NULL);
	close(fds[0]);
	/* Now refused, with a reason naming the address. */
	PT_INTEQ(inet_connect(loaddr, portbuf, NULL, 5, why), -1);
	PT_INTEQ(errno, ECONNREFUSED);
	PT_ASSERT(strstr(vstring_str(why), loaddr) != NULL);
	vstring_free(why);
}

PTEST(inet_v6_and_names)
{
	VSTRING	*why = vstring_alloc(100);
	int	 fds[INET_LISTEN_MAX], n, cfd, port;
	char	 addr[SOCK_ADDR_STRLEN], portbuf[16];

	n = inet_listen("[::1]:0", 10, fds, INET_LISTEN_MAX, why);
	if (n < 0)
		printf("no IPv6 here: %s\n", vstring_str(why));
	PT_INTEQ(n, 1);
	PT_INTEQ(sock_addr_local(fds[0], addr, sizeof(addr), &port), 0);
	PT_STREQ(addr, "::1");
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	cfd = inet_connect("[::1]", portbuf, NULL, 5, why);
	PT_ASSERT(cfd >= 0);
	PT_ASSERT(accept_check(fds[0], cfd, "::1"));
	close(cfd);
	close(fds[0]);
	/* "localhost" resolves to one or two loopback addresses. */
	n = inet_listen("localhost:0", 10, fds, INET_LISTEN_MAX, why);
	PT_ASSERT(n >= 1);
	while (n > 0)
		close(fds[--n]);
	PT_INTEQ(inet_listen("no.such.host.invalid:25", 10, fds, 4, why), -1);
	PT_INTEQ(inet_listen("[::1:25", 10, fds, 4, why), -1);
	PT_INTEQ(inet_listen("127.0.0.1:", 10, fds, 4, why), -1);
	PT_INTEQ(inet_listen("127.0.0.1:99999", 10, fds, 4, why), -1);
	PT_INTEQ(inet_connect("127.0.0.1", "0x", NULL, 1, why), -1);
	vstring_free(why);
}

PTEST(unix_sockets)
{
	VSTRING	*why = vstring_alloc(100), *path = vstring_alloc(100);
	struct stat st;
	int	 lfd, cfd, fd;
	uid_t	 uid;

	vstring_sprintf(path, "%s/sock", tmpdir);
	lfd = unix_listen(vstring_str(path), 10, 0620, why);
	PT_ASSERT(lfd >= 0);
	PT_INTEQ(stat(vstring_str(path), &st), 0);
	PT_ASSERT(S_ISSOCK(st.st_mode));
	PT_INTEQ(st.st_mode & 0777, 0620);
	cfd = unix_connect(vstring_str(path), 2, why);
	PT_ASSERT(cfd >= 0);
	PT_INTEQ(read_wait(lfd, 5), 0);
	fd = listen_accept(lfd, NULL, NULL);
	PT_ASSERT(fd >= 0);
	PT_INTEQ(peer_cred(fd, &uid, NULL, NULL), 0);
	PT_INTEQ(uid, getuid());
	close(fd);
	close(cfd);
	/* Immediate connect (trigger style). */
	cfd = unix_connect(vstring_str(path), 0, why);
	PT_ASSERT(cfd >= 0);
	PT_ASSERT((fcntl(cfd, F_GETFL) & O_NONBLOCK) == 0);
	close(cfd);
	/* Stale socket replaced; stale socket refuses connections. */
	close(lfd);
	PT_INTEQ(unix_connect(vstring_str(path), 1, why), -1);
	PT_INTEQ(errno, ECONNREFUSED);
	lfd = unix_listen(vstring_str(path), 10, 0666, why);
	PT_ASSERT(lfd >= 0);
	close(lfd);
	unlink(vstring_str(path));
	PT_INTEQ(unix_connect(vstring_str(path), 1, why), -1);
	PT_INTEQ(errno, ENOENT);
	/* A regular file is never removed. */
	fd = open(vstring_str(path), O_CREAT | O_WRONLY, 0600);
	close(fd);
	PT_INTEQ(unix_listen(vstring_str(path), 10, 0666, why), -1);
	PT_INTEQ(access(vstring_str(path), F_OK), 0);
	unlink(vstring_str(path));
	vstring_free(why);
	vstring_free(path);
}

PTEST(fifo)
{
	VSTRING	*why = vstring_alloc(100), *path = vstring_alloc(100);
	char	 buf[32];
	int	 fd, wfd;

	vstring_sprintf(path, "%s/fifo", tmpdir);
	fd = fifo_listen(vstring_str(path), 0622, why);
	PT_ASSERT(fd >= 0);
	wfd = open(vstring_str(path), O_WRONLY | O_NONBLOCK);
	PT_ASSERT(wfd >= 0);
	PT_INTEQ(write_all(wfd, "wake", 4), 4);
	close(wfd);
	PT_INTEQ(read_wait(fd, 2), 0);
	PT_INTEQ(read(fd, buf, sizeof(buf)), 4);
	/* No writer left, but no end of file either. */
	PT_INTEQ(read_wait(fd, 0), -1);
	close(fd);
	fd = fifo_listen(vstring_str(path), 0600, why);
	PT_ASSERT(fd >= 0);
	close(fd);
	unlink(vstring_str(path));
	vstring_free(why);
	vstring_free(path);
}

PTEST(connect_timeout)
{
	VSTRING	*why = vstring_alloc(100);
	int	 fds[INET_LISTEN_MAX], n, cfd[64], i, port, r = 0;
	char	 addr[SOCK_ADDR_STRLEN], portbuf[16], spec[64];

	/*
	 * A listener with a full backlog that nobody accepts: Linux then
	 * drops SYNs, so a connect must end by the time limit, not hang.
	 */
	snprintf(spec, sizeof(spec), "%s:0", loaddr);
	n = inet_listen(spec, 0, fds, INET_LISTEN_MAX, why);
	PT_INTEQ(n, 1);
	PT_INTEQ(sock_addr_local(fds[0], addr, sizeof(addr), &port), 0);
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	for (i = 0; i < 64; i++) {
		cfd[i] = inet_connect(loaddr, portbuf, NULL, 1, why);
		if (cfd[i] < 0) {
			r = errno;
			break;
		}
	}
	PT_ASSERT(i < 64);
	PT_INTEQ(r, ETIMEDOUT);
	while (--i >= 0)
		close(cfd[i]);
	close(fds[0]);
	vstring_free(why);
}

int
main(void)
{
	int	 rc;
	uint32_t r = myrandom32();

	snprintf(loaddr, sizeof(loaddr), "127.%u.%u.%u", 1 + (r >> 16) % 250,
	    (r >> 8) % 256, 1 + r % 250);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/listen_test.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	PT_RUN(inet_v4);
	PT_RUN(inet_v6_and_names);
	PT_RUN(unix_sockets);
	PT_RUN(fifo);
	PT_RUN(connect_timeout);
	rc = PT_DONE();
	if (rmdir(tmpdir) < 0)
		perror(tmpdir);
	return rc;
}
