/*
 * NAME
 *	sock_addr - socket address formatting and parsing
 * SYNOPSIS
 *	#include <sock_addr.h>
 *
 *	int sock_addr_ntop(const struct sockaddr *sa, socklen_t salen,
 *	    char *addr, size_t addrlen, int *port);
 *	int sock_addr_local(int fd, char *addr, size_t addrlen, int *port);
 *	int sock_addr_peer(int fd, char *addr, size_t addrlen, int *port);
 *	int sock_addr_pton(const char *str, int port,
 *	    struct sockaddr_storage *ss, socklen_t *salen);
 *	int sock_addr_family(const char *str);
 *	int sock_addr_split(const char *str, VSTRING *host, VSTRING *port,
 *	    const char *defport, int *bracketed);
 *	const char *sock_addr_hostaddr(VSTRING *buf, const char *host,
 *	    const char *addr, int port);
 *	int sock_addr_is_loopback(const struct sockaddr *sa);
 * DESCRIPTION
 *	Helpers that turn socket addresses into the text Postfix logs
 *	("192.0.2.1", "2001:db8::1", "host[addr]:port") and back.
 *
 *	sock_addr_ntop() formats an AF_INET or AF_INET6 address; an
 *	IPv4-mapped IPv6 address (::ffff:192.0.2.1, as a dual-stack listener
 *	reports IPv4 clients) is shown as plain IPv4, as logs and access
 *	tables expect. An AF_UNIX address gives its path, or "local" for an
 *	unnamed socket. sock_addr_local() and sock_addr_peer() do the same
 *	for getsockname()/getpeername().
 *
 *	sock_addr_pton() parses numeric text only (never DNS): "192.0.2.1",
 *	"2001:db8::1", "[2001:db8::1]", "[192.0.2.1]", "IPv6:2001:db8::1"
 *	(the RFC 5321 address literal tag, also inside brackets), and
 *	"fe80::1%eth0". sock_addr_family() classifies text the same way
 *	without building an address.
 *
 *	sock_addr_split() takes a "host:port" style string apart. The port
 *	must be a number in 0..65535 or a service name ([a-z0-9-]+). An
 *	unbracketed string with more than one colon is an IPv6 address
 *	without a port.
 *
 *	sock_addr_hostaddr() formats "host[addr]" (and ":port" when port is
 *	positive) into buf and returns its text.
 * DIAGNOSTICS
 *	-1 (with errno EAFNOSUPPORT, ENOSPC or EINVAL) for what cannot be
 *	formatted or parsed.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mymalloc.h"
#include "sock_addr.h"

static int
sock_addr_copy(char *dst, size_t len, const char *src)
{
	size_t	 n = strlen(src);

	if (n >= len) {
		errno = ENOSPC;
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

static int
sock_addr_ntop6(const struct sockaddr_in6 *sin6, char *addr, size_t len)
{
	char	 tmp[INET6_ADDRSTRLEN], ifname[IF_NAMESIZE];
	struct in_addr in;

	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		memcpy(&in, sin6->sin6_addr.s6_addr + 12, sizeof(in));
		if (inet_ntop(AF_INET, &in, tmp, sizeof(tmp)) == NULL)
			return -1;
		return sock_addr_copy(addr, len, tmp);
	}
	if (inet_ntop(AF_INET6, &sin6->sin6_addr, tmp, sizeof(tmp)) == NULL)
		return -1;
	if (sin6->sin6_scope_id == 0 ||
	    if_indextoname(sin6->sin6_scope_id, ifname) == NULL)
		return sock_addr_copy(addr, len, tmp);
	if (strlen(tmp) + 1 + strlen(ifname) >= len) {
		errno = ENOSPC;
		return -1;
	}
	strcat(strcat(strcpy(addr, tmp), "%"), ifname);
	return 0;
}

int
sock_addr_ntop(const struct sockaddr *sa, socklen_t salen, char *addr,
    size_t len, int *port)
{
	const struct sockaddr_in *sin = (const void *)sa;
	const struct sockaddr_in6 *sin6 = (const void *)sa;
	const struct sockaddr_un *sun = (const void *)sa;
	char	 tmp[INET_ADDRSTRLEN];

	if (port)
		*port = 0;
	if (sa->sa_family == AF_INET && salen >= sizeof(*sin)) {
		if (port)
			*port = ntohs(sin->sin_port);
		if (inet_ntop(AF_INET, &sin->sin_addr, tmp, sizeof(tmp)) == NULL)
			return -1;
		return sock_addr_copy(addr, len, tmp);
	}
	if (sa->sa_family == AF_INET6 && salen >= sizeof(*sin6)) {
		if (port)
			*port = ntohs(sin6->sin6_port);
		return sock_addr_ntop6(sin6, addr, len);
	}
	if (sa->sa_family == AF_UNIX) {
		if (salen <= offsetof(struct sockaddr_un, sun_path) ||
		    sun->sun_path[0] == 0)
			return sock_addr_copy(addr, len, "local");
		if ((size_t)(salen - offsetof(struct sockaddr_un, sun_path)) >= len) {
			errno = ENOSPC;
			return -1;
		}
		memcpy(addr, sun->sun_path, salen - offsetof(struct sockaddr_un, sun_path));
		addr[salen - offsetof(struct sockaddr_un, sun_path)] = 0;
		return 0;
	}
	errno = EAFNOSUPPORT;
	return -1;
}

int
sock_addr_local(int fd, char *addr, size_t len, int *port)
{
	struct sockaddr_storage ss;
	socklen_t salen = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &salen) < 0)
		return -1;
	return sock_addr_ntop((struct sockaddr *)&ss, salen, addr, len, port);
}

int
sock_addr_peer(int fd, char *addr, size_t len, int *port)
{
	struct sockaddr_storage ss;
	socklen_t salen = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &salen) < 0)
		return -1;
	return sock_addr_ntop((struct sockaddr *)&ss, salen, addr, len, port);
}

/* Strip "[...]" and "IPv6:" into buf; returns 6 for "IPv6:", else 0, -1. */
static int
sock_addr_strip(const char *str, char *buf, size_t len)
{
	size_t	 n = strlen(str);
	int	 v6tag = 0;

	if (n > 0 && str[0] == '[') {
		if (n < 3 || str[n - 1] != ']')
			return -1;
		str++;
		n -= 2;
	}
	if (n > 5 && strncasecmp(str, "IPv6:", 5) == 0) {
		str += 5;
		n -= 5;
		v6tag = 6;
	}
	if (n == 0 || n >= len)
		return -1;
	memcpy(buf, str, n);
	buf[n] = 0;
	return v6tag;
}

int
sock_addr_pton(const char *str, int port, struct sockaddr_storage *ss,
    socklen_t *salen)
{
	struct sockaddr_in *sin = (void *)ss;
	struct sockaddr_in6 *sin6 = (void *)ss;
	char	 buf[SOCK_ADDR_STRLEN], *pct;
	int	 tag;

	memset(ss, 0, sizeof(*ss));
	if (port < 0 || port > 65535 ||
	    (tag = sock_addr_strip(str, buf, sizeof(buf))) < 0)
		goto bad;
	if (tag == 0 && inet_pton(AF_INET, buf, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*salen = sizeof(*sin);
		return AF_INET;
	}
	if ((pct = strchr(buf, '%')) != NULL) {
		*pct++ = 0;
		if (*pct == 0 || (sin6->sin6_scope_id = if_nametoindex(pct)) == 0)
			goto bad;
	}
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*salen = sizeof(*sin6);
		return AF_INET6;
	}
bad:
	errno = EINVAL;
	return -1;
}

int
sock_addr_family(const char *str)
{
	struct sockaddr_storage ss;
	socklen_t salen;
	int	 fam;

	return (fam = sock_addr_pton(str, 0, &ss, &salen)) < 0 ? 0 : fam;
}

static int
sock_addr_port_ok(const char *port)
{
	char	*end;
	long	 n;

	if (*port == 0 || strlen(port) > 32)
		return 0;
	if (isdigit((unsigned char)*port)) {
		n = strtol(port, &end, 10);
		return *end == 0 && n >= 0 && n <= 65535;
	}
	for (; *port; port++)
		if (!isalnum((unsigned char)*port) && *port != '-')
			return 0;
	return 1;
}

int
sock_addr_split(const char *str, VSTRING *host, VSTRING *port,
    const char *defport, int *bracketed)
{
	const char *end, *colon;

	if (bracketed)
		*bracketed = 0;
	vstring_reset(host);
	vstring_reset(port);
	if (*str == '[') {
		if ((end = strchr(str, ']')) == NULL || end == str + 1)
			return -1;
		vstring_memcpy(host, str + 1, end - str - 1);
		if (bracketed)
			*bracketed = 1;
		if (end[1] == ':' && end[2] == 0)
			return -1;
		if (end[1] == ':')
			vstring_strcpy(port, end + 2);
		else if (end[1] != 0)
			return -1;
	} else if ((colon = strrchr(str, ':')) != NULL &&
	    memchr(str, ':', colon - str) == NULL) {
		vstring_memcpy(host, str, colon - str);
		vstring_strcpy(port, colon + 1);
		if (vstring_len(port) == 0)
			return -1;
	} else {
		vstring_strcpy(host, str);
	}
	if (vstring_len(host) == 0 || strpbrk(vstring_str(host), "[]") != NULL)
		return -1;
	if (vstring_len(port) == 0 && defport)
		vstring_strcpy(port, defport);
	if (vstring_len(port) > 0 && !sock_addr_port_ok(vstring_str(port)))
		return -1;
	return 0;
}

const char *
sock_addr_hostaddr(VSTRING *buf, const char *host, const char *addr, int port)
{
	vstring_sprintf(buf, "%s[%s]", host, addr);
	if (port > 0)
		vstring_sprintf_append(buf, ":%d", port);
	return vstring_str(buf);
}

int
sock_addr_is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in *sin = (const void *)sa;
	const struct sockaddr_in6 *sin6 = (const void *)sa;

	if (sa->sa_family == AF_INET)
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family != AF_INET6)
		return 0;
	if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
		return 1;
	return IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) &&
	    sin6->sin6_addr.s6_addr[12] == 127;
}
