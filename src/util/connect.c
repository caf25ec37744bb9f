/*
 * NAME
 *	connect - outgoing connections with a time limit
 * SYNOPSIS
 *	#include <connect.h>
 *
 *	int inet_connect(const char *host, const char *port,
 *	    const char *bind_addr, int timeout, VSTRING *why);
 *	int inet_connect_addr(const struct sockaddr *sa, socklen_t salen,
 *	    const char *bind_addr, int timeout, VSTRING *why);
 *	int inet_connect_hostport(const char *spec, const char *defport,
 *	    int timeout, VSTRING *why);
 *	int unix_connect(const char *path, int timeout, VSTRING *why);
 *	int unix_connect_nb(const char *path, VSTRING *why);
 * DESCRIPTION
 *	inet_connect_addr() connects to one IPv4 or IPv6 address: a
 *	non-blocking connect(), a wait of at most timeout seconds, then the
 *	socket's error status. With bind_addr (numeric, same family as the
 *	destination) the local address is chosen first (smtp_bind_address).
 *
 *	inet_connect() resolves host (numeric, bracketed, or a name
 *	looked up with getaddrinfo(), i.e. /etc/hosts and DNS A/AAAA; MX
 *	lookups are the smtp client's business) and port (number or
 *	service name), then tries each address in turn. The reason of the
 *	last failure is reported. The cost of a dead host is up to
 *	timeout seconds per address.
 *
 *	inet_connect_hostport() takes a "host:port", "[address]:port",
 *	"host" or "[address]" destination apart with sock_addr_split(3)
 *	(the one parser of that syntax: an IPv6 address with a port is in
 *	brackets) and connects with inet_connect(); defport is the port
 *	when the spec has none, or null when a port is required.
 *
 *	unix_connect() connects to a UNIX stream socket. A full listen
 *	queue makes the kernel wait (up to timeout seconds, by way of
 *	SO_SNDTIMEO) or, with timeout 0, fail at once with EAGAIN.
 *	unix_connect_nb() is unix_connect() with timeout 0 that leaves the
 *	descriptor non-blocking, for a caller that only sends a few bytes
 *	with MSG_DONTWAIT and closes (mail_trigger(3)).
 *
 *	Other descriptors returned are blocking; all are close-on-exec.
 * DIAGNOSTICS
 *	-1 with errno set (EINVAL for a malformed destination: "bad
 *	destination ..." in why), and a reason such as "connect to
 *	192.0.2.1[192.0.2.1]:25: Connection refused" in why (when not
 *	null). A time-out gives errno ETIMEDOUT.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "connect.h"
#include "iostuff.h"
#include "sock_addr.h"

static int
connect_fail(VSTRING *why, const struct sockaddr *sa, socklen_t salen,
    const char *what, int err)
{
	char	 addr[SOCK_ADDR_STRLEN];
	int	 port;

	if (why) {
		if (sa == NULL ||
		    sock_addr_ntop(sa, salen, addr, sizeof(addr), &port) < 0)
			vstring_sprintf(why, "%s: %s", what, strerror(err));
		else
			vstring_sprintf(why, "%s %s[%s]:%d: %s", what, addr, addr,
			    port, strerror(err));
	}
	errno = err;
	return -1;
}

static int
connect_bind(int fd, const struct sockaddr *sa, const char *bind_addr)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (sock_addr_pton(bind_addr, 0, &ss, &len) < 0)
		return -1;
	if (ss.ss_family != sa->sa_family) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	return bind(fd, (struct sockaddr *)&ss, len);
}

/* Wait for a non-blocking connect to finish; 0 or -1 with errno. */
static int
connect_wait(int fd, int timeout)
{
	int	 err = 0;
	socklen_t len = sizeof(err);

	if (timeout == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (write_wait(fd, timeout) < 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -1;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

int
inet_connect_addr(const struct sockaddr *sa, socklen_t salen,
    const char *bind_addr, int timeout, VSTRING *why)
{
	int	 fd, saved;
	const char *what = "connect to";

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return connect_fail(why, sa, salen, "socket for", errno);
	if (bind_addr && *bind_addr && connect_bind(fd, sa, bind_addr) < 0) {
		what = "bind local address for";
		goto fail;
	}
	while (connect(fd, sa, salen) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EINPROGRESS || connect_wait(fd, timeout) < 0)
			goto fail;
		break;
	}
	if (non_blocking(fd, 0) < 0)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	return connect_fail(why, sa, salen, what, saved);
}

int
inet_connect(const char *host, const char *port, const char *bind_addr,
    int timeout, VSTRING *why)
{
	struct addrinfo hints, *res, *ai;
	char	 name[NI_MAXHOST];
	size_t	 len = strlen(host);
	int	 err, fd = -1;

	if (len >= 2 && host[0] == '[' && host[len - 1] == ']' &&
	    len - 2 < sizeof(name)) {
		memcpy(name, host + 1, len - 2);
		name[len - 2] = 0;
	} else if (len < sizeof(name)) {
		strcpy(name, host);
	} else {
		return connect_fail(why, NULL, 0, "host name too long", EINVAL);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (sock_addr_family(name))
		hints.ai_flags |= AI_NUMERICHOST;
	if ((err = getaddrinfo(name, port, &hints, &res)) != 0) {
		if (why)
			vstring_sprintf(why, "%s: %s", name, gai_strerror(err));
		errno = err == EAI_SYSTEM ? errno : EHOSTUNREACH;
		return -1;
	}
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		fd = inet_connect_addr(ai->ai_addr, ai->ai_addrlen, bind_addr,
		    timeout, why);
	}
	err = errno;
	freeaddrinfo(res);
	errno = err;
	return fd;
}

static int
unix_connect_timeout(int fd, int timeout)
{
	struct timeval tv;

	tv.tv_sec = timeout;
	tv.tv_usec = 0;
	return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int unix_connect_mode(const char *, int, int, VSTRING *);

int
unix_connect(const char *path, int timeout, VSTRING *why)
{
	return unix_connect_mode(path, timeout, 0, why);
}

int
unix_connect_nb(const char *path, VSTRING *why)
{
	return unix_connect_mode(path, 0, 1, why);
}

static int
unix_connect_mode(const char *path, int timeout, int stay_nb, VSTRING *why)
{
	struct sockaddr_un sun;
	int	 fd, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		if (why)
			vstring_sprintf(why, "socket path too long: %s", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    (timeout == 0 ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		goto fail;
	if (timeout > 0 && unix_connect_timeout(fd, timeout) < 0)
		goto fail;
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		if (errno == EINTR && timeout != 0)
			continue;
		if (errno == EAGAIN && timeout > 0)
			errno = ETIMEDOUT;
		goto fail;
	}
	if ((timeout > 0 && unix_connect_timeout(fd, 0) < 0) ||
	    (timeout == 0 && !stay_nb && non_blocking(fd, 0) < 0))
		goto fail;
	return fd;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (why)
		vstring_sprintf(why, "connect to %s: %s", path, strerror(saved));
	errno = saved;
	return -1;
}

int
inet_connect_hostport(const char *spec, const char *defport, int timeout,
    VSTRING *why)
{
	VSTRING	*host = vstring_alloc(64), *port = vstring_alloc(8);
	int	 fd = -1;

	if (sock_addr_split(spec, host, port, defport, NULL) < 0
	    || vstring_len(port) == 0) {
		if (why)
			vstring_sprintf(why, "bad destination \"%s\" (use "
			    "host:port or [address]:port)", spec);
		errno = EINVAL;
	} else
		fd = inet_connect(vstring_str(host), vstring_str(port), NULL,
		    timeout, why);
	vstring_free(host);
	vstring_free(port);
	return fd;
}
