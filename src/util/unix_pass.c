/*
 * NAME
 *	unix_pass - pass an open descriptor over a UNIX socket
 * SYNOPSIS
 *	#include <unix_pass.h>
 *
 *	int unix_pass_send(int sock, int fd);
 *	int unix_pass_recv(int sock, int timeout);
 * DESCRIPTION
 *	unix_pass_send() sends fd (SCM_RIGHTS) with one byte of data over
 *	the connected UNIX stream socket sock; the receiver gets its own
 *	descriptor for the same open file, and the sender may close its
 *	copy at once.
 *
 *	unix_pass_recv() waits up to timeout seconds for such a message and
 *	returns the descriptor received (close-on-exec). Any other data, or
 *	more than one descriptor, is refused (extra descriptors are closed).
 * DIAGNOSTICS
 *	-1 with errno set: ETIMEDOUT, EPROTO for a message without exactly
 *	one descriptor, or the error of the system call.
 */
#include <sys/socket.h>
#include <sys/uio.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "unix_pass.h"

/*
 * unix_pass_msg - a message of one data byte (*byte, through iov) with the
 * control buffer ctl of len bytes for the descriptors, for sendmsg() and
 * recvmsg() alike.
 */
static void
unix_pass_msg(struct msghdr *msg, struct iovec *iov, char *byte, char *ctl,
    size_t len)
{
	memset(msg, 0, sizeof(*msg));
	iov->iov_base = byte;
	iov->iov_len = 1;
	msg->msg_iov = iov;
	msg->msg_iovlen = 1;
	msg->msg_control = ctl;
	msg->msg_controllen = len;
}

int
unix_pass_send(int sock, int fd)
{
	struct msghdr msg;
	struct iovec iov;
	union {
		struct cmsghdr hdr;
		char	 buf[CMSG_SPACE(sizeof(int))];
	}	 ctl;
	struct cmsghdr *cm;
	char	 byte = 'F';
	ssize_t	 n;

	memset(&ctl, 0, sizeof(ctl));
	unix_pass_msg(&msg, &iov, &byte, ctl.buf, sizeof(ctl.buf));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

int
unix_pass_recv(int sock, int timeout)
{
	struct pollfd pfd;
	struct msghdr msg;
	struct iovec iov;
	union {
		struct cmsghdr hdr;
		char	 buf[CMSG_SPACE(4 * sizeof(int))];
	}	 ctl;
	struct cmsghdr *cm;
	char	 byte;
	int	 fds[4], nfd = 0, i, r;
	ssize_t	 n;

	pfd.fd = sock;
	pfd.events = POLLIN;
	while ((r = poll(&pfd, 1, timeout * 1000)) < 0 && errno == EINTR)
		;
	if (r <= 0) {
		if (r == 0)
			errno = ETIMEDOUT;
		return -1;
	}
	unix_pass_msg(&msg, &iov, &byte, ctl.buf, sizeof(ctl.buf));
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (i = 0; (size_t)i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int) &&
		    nfd < 4; i++)
			memcpy(&fds[nfd++], CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(int));
	}
	if (n != 1 || nfd != 1 || (msg.msg_flags & MSG_CTRUNC)) {
		for (i = 0; i < nfd; i++)
			(void)close(fds[i]);
		errno = EPROTO;
		return -1;
	}
	return fds[0];
}
