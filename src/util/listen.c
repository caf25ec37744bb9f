/*
 * NAME
 *	listen - listening sockets: inet, unix, fifo
 * SYNOPSIS
 *	#include <listen.h>
 *
 *	int inet_listen(const char *addr, int backlog, int *fds, int maxfds,
 *	    VSTRING *why);
 *	int unix_listen(const char *path, int backlog, mode_t mode,
 *	    VSTRING *why);
 *	int fifo_listen(const char *path, mode_t mode, VSTRING *why);
 *	int listen_accept(int fd, struct sockaddr *sa, socklen_t *salen);
 * DESCRIPTION
 *	The master opens every listener named in master.cf with these and
 *	hands the descriptors to its children.
 *
 *	inet_listen() accepts "host:port", "[ipv6]:port", "*:port" and a bare
 *	"port". A numeric host is used as it is; a name is resolved and
 *	one socket is opened per distinct address. The wildcard makes an
 *	IPv4 socket on 0.0.0.0 and, when the kernel has IPv6, one on ::
 *	with IPV6_V6ONLY, so both families work and their ports never
 *	clash. Port 0 asks the kernel for a free port (tests use it).
 *
 *	unix_listen() removes a stale socket at path (but refuses to remove
 *	anything else) and binds with a umask derived from mode, so the
 *	socket is never more accessible than asked, even briefly.
 *
 *	fifo_listen() makes the fifo if needed and opens it read-write
 *	(a read-only fifo reports end of file whenever its last writer
 *	closes, which would make the event loop spin).
 *
 *	listen_accept() accepts one connection. The transient results that
 *	a non-blocking listener shared by several processes produces (no
 *	connection left, a connection reset before it was accepted) are all
 *	reported as EAGAIN, so callers have one case to handle.
 * DIAGNOSTICS
 *	-1 with a reason in why (inet_listen(), unix_listen(),
 *	fifo_listen()) or errno (listen_accept()).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "listen.h"
#include "sock_addr.h"

static int
listen_fail(VSTRING *why, const char *what, const char *where, int err)
{
	if (why)
		vstring_sprintf(why, "%s %s: %s", what, where, strerror(err));
	errno = err;
	return -1;
}

/* One listening socket for one address; fd or -1 with errno. */
static int
listen_one(const struct addrinfo *ai, int backlog)
{
	int	 fd, on = 1, saved;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
		goto fail;
	if (ai->ai_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)
		goto fail;
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, backlog) < 0)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static void
listen_close_all(int *fds, int count)
{
	while (count > 0)
		close(fds[--count]);
}

/* Resolve host (null: wildcard) and port into a list of addresses. */
static int
listen_resolve(const char *host, const char *port, struct addrinfo **res,
    VSTRING *why)
{
	struct addrinfo hints;
	int	 err;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if (host && sock_addr_family(host))
		hints.ai_flags |= AI_NUMERICHOST;
	if ((err = getaddrinfo(host, port, &hints, res)) != 0) {
		if (why)
			vstring_sprintf(why, "%s:%s: %s", host ? host : "*", port,
			    gai_strerror(err));
		errno = EADDRNOTAVAIL;
		return -1;
	}
	return 0;
}

static int
listen_seen(const struct addrinfo *head, const struct addrinfo *ai)
{
	for (; head != ai; head = head->ai_next)
		if (head->ai_addrlen == ai->ai_addrlen &&
		    memcmp(head->ai_addr, ai->ai_addr, ai->ai_addrlen) == 0)
			return 1;
	return 0;
}

static int
listen_all(struct addrinfo *res, int wildcard, int backlog, int *fds,
    int maxfds, VSTRING *why)
{
	struct addrinfo *ai;
	char	 addr[SOCK_ADDR_STRLEN], where[SOCK_ADDR_STRLEN + 16];
	int	 count = 0, fd, port, saved;

	for (ai = res; ai; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    listen_seen(res, ai))
			continue;
		if ((fd = listen_one(ai, backlog)) >= 0 && count < maxfds) {
			fds[count++] = fd;
			continue;
		}
		if (fd >= 0) {
			close(fd);
			errno = EMFILE;
		}
		saved = errno;
		/* A wildcard on a host without IPv6: IPv4 alone is fine. */
		if (wildcard && ai->ai_family == AF_INET6 &&
		    (saved == EAFNOSUPPORT || saved == EADDRNOTAVAIL))
			continue;
		if (sock_addr_ntop(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr),
		    &port) < 0)
			strcpy(addr, "?");
		snprintf(where, sizeof(where), "[%s]:%d", addr, port);
		listen_close_all(fds, count);
		return listen_fail(why, "bind", where, saved);
	}
	if (count == 0) {
		if (why)
			vstring_strcpy(why, "no usable address to listen on");
		errno = EADDRNOTAVAIL;
		return -1;
	}
	return count;
}

int
inet_listen(const char *spec, int backlog, int *fds, int maxfds, VSTRING *why)
{
	struct addrinfo *res;
	VSTRING	*host = vstring_alloc(64), *port = vstring_alloc(16);
	const char *hp;
	int	 wildcard, ret = -1;

	if (strchr(spec, ':') == NULL && strchr(spec, '[') == NULL) {
		vstring_strcpy(port, spec);
		vstring_strcpy(host, "*");
	} else if (sock_addr_split(spec, host, port, NULL, NULL) < 0 ||
	    vstring_len(port) == 0) {
		if (why)
			vstring_sprintf(why, "bad listen address \"%s\": "
			    "expected host:port, [ipv6]:port, *:port or port", spec);
		errno = EINVAL;
		goto out;
	}
	wildcard = strcmp(vstring_str(host), "*") == 0;
	hp = wildcard ? NULL : vstring_str(host);
	if (listen_resolve(hp, vstring_str(port), &res, why) < 0)
		goto out;
	ret = listen_all(res, wildcard, backlog, fds, maxfds, why);
	freeaddrinfo(res);
out:
	vstring_free(host);
	vstring_free(port);
	return ret;
}

static int
unix_fill_addr(struct sockaddr_un *sun, const char *path, VSTRING *why)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return listen_fail(why, "socket path too long:", path, ENAMETOOLONG);
	strcpy(sun->sun_path, path);
	return 0;
}

int
unix_listen(const char *path, int backlog, mode_t mode, VSTRING *why)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t	 old;
	int	 fd, r, saved;

	if (unix_fill_addr(&sun, path, why) < 0)
		return -1;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return listen_fail(why, "refusing to replace non-socket",
			    path, EEXIST);
		if (unlink(path) < 0)
			return listen_fail(why, "remove stale socket", path, errno);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return listen_fail(why, "socket for", path, errno);
	old = umask(~mode & 0777);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	saved = errno;
	umask(old);
	if (r < 0 || chmod(path, mode) < 0 || listen(fd, backlog) < 0) {
		saved = r < 0 ? saved : errno;
		close(fd);
		return listen_fail(why, "bind", path, saved);
	}
	return fd;
}

int
fifo_listen(const char *path, mode_t mode, VSTRING *why)
{
	struct stat st;
	int	 fd, saved;

	if (mkfifo(path, mode) < 0 && errno != EEXIST)
		return listen_fail(why, "create fifo", path, errno);
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return listen_fail(why, "open fifo", path, errno);
	if (fstat(fd, &st) < 0)
		saved = errno;
	else
		saved = S_ISFIFO(st.st_mode) ? 0 : EEXIST;
	if (saved) {
		close(fd);
		return listen_fail(why, "open fifo", path, saved);
	}
	if ((st.st_mode & 07777) != (mode & 07777) && fchmod(fd, mode) < 0) {
		saved = errno;
		close(fd);
		return listen_fail(why, "chmod fifo", path, saved);
	}
	return fd;
}

int
listen_accept(int fd, struct sockaddr *sa, socklen_t *salen)
{
	int	 conn;

	for (;;) {
		if ((conn = accept4(fd, sa, salen, SOCK_CLOEXEC)) >= 0)
			return conn;
		switch (errno) {
		case EINTR:
			continue;
		case EWOULDBLOCK:
		case ECONNABORTED:
		case EPROTO:
		case ENETDOWN:
		case ENOPROTOOPT:
		case EHOSTDOWN:
		case ENONET:
		case EHOSTUNREACH:
		case EOPNOTSUPP:
		case ENETUNREACH:
			errno = EAGAIN;
			return -1;
		default:
			return -1;
		}
	}
}
