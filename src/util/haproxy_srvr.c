/*
 * NAME
 *	haproxy_srvr - the server side of HAProxy's PROXY protocol
 * SYNOPSIS
 *	#include "haproxy_srvr.h"
 *
 *	ssize_t haproxy_srvr_parse(const unsigned char *buf, size_t len,
 *	    HAPROXY_ENDPT *ep, const char **why);
 *	int haproxy_srvr_receive(int fd, int timeout, HAPROXY_ENDPT *ep,
 *	    VSTRING *why);
 * DESCRIPTION
 *	A load balancer (HAProxy, a cloud provider's network load balancer)
 *	that relays a TCP connection sends, before anything else, a header
 *	that names the original client and server endpoints. Both versions
 *	of HAProxy's specification are understood, as Postfix does with
 *	smtpd_upstream_proxy_protocol = haproxy:
 *
 *	version 1, one text line of at most 107 octets with its CRLF:
 *	"PROXY TCP4|TCP6 srcaddr dstaddr srcport dstport", or "PROXY
 *	UNKNOWN..." (not proxied: the connection's own endpoints apply);
 *
 *	version 2, a 16-octet binary header (12-octet signature, version 2
 *	and command, family and transport, a 16-bit length) and that many
 *	octets of addresses and TLVs. The LOCAL command, and PROXY with the
 *	UNSPEC family, mean "not proxied"; PROXY is honoured for TCP over
 *	IPv4 and IPv6 only (UNIX and datagram endpoints are refused). TLVs
 *	are skipped, each checked to lie within the header.
 *
 *	haproxy_srvr_parse() looks at the len octets received so far. It
 *	returns the header's length once it is complete and well-formed,
 *	with the endpoints in ep (an IPv4-mapped IPv6 address is given as
 *	IPv4); 0 while it is a correct but incomplete beginning; -1 with a
 *	reason in why for anything else: not a PROXY header, a v1 line
 *	longer than 107 octets, a v2 header longer than HAPROXY_MAX_LEN
 *	(536), a bad address, port, family or TLV.
 *
 *	haproxy_srvr_receive() reads the header from the socket fd within
 *	timeout seconds, and not one octet more: what the client sends after
 *	it (an SMTP command, a TLS handshake) stays in the socket for the
 *	caller's stream. It peeks, parses, and consumes only the octets that
 *	belong to the header, so a header split over several segments is
 *	read whole, and no read blocks beyond the deadline.
 * DIAGNOSTICS
 *	haproxy_srvr_receive() returns 0, or -1 with the reason in why
 *	("time limit exceeded", "unexpected EOF", a read error or a parse
 *	error).
 * BUGS
 *	The v2 TLVs (SSL information, unique ID, AWS VPC endpoint) are not
 *	used.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "haproxy_srvr.h"

static const unsigned char haproxy_v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

#define V1_PREFIX	"PROXY "
#define V2_HDR_LEN	16
#define V2_CMD_LOCAL	0x20
#define V2_CMD_PROXY	0x21
#define V2_UNSPEC	0x00
#define V2_TCP4		0x11
#define V2_TCP6		0x21

/* Numeric text of a binary address; IPv4-mapped IPv6 becomes IPv4. */
static int
haproxy_srvr_ntop(int fam, const void *bin, int port, char *out, int *pout,
    int *famp)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;

	memset(&ss, 0, sizeof(ss));
	if (fam == AF_INET) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, bin, 4);
		len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, bin, 16);
		len = sizeof(*sin6);
	}
	if (sock_addr_ntop((struct sockaddr *)&ss, len, out, SOCK_ADDR_STRLEN,
	    NULL) < 0)
		return -1;
	*pout = port;
	*famp = strchr(out, ':') ? AF_INET6 : AF_INET;
	return 0;
}

/* A v1 port: 1 to 5 digits, at most 65535. */
static int
haproxy_srvr_port(const char *s)
{
	size_t	 n = strspn(s, "0123456789");
	long	 v = 0;

	if (n == 0 || n > 5 || s[n] != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v <= 65535 ? (int)v : -1;
}

/* Split the v1 line (NUL-terminated, CRLF gone) into single-space fields. */
static int
haproxy_srvr_fields(char *line, char **f, int max)
{
	int	 n = 0;
	char	*cp = line;

	for (;;) {
		if (n == max)
			return -1;
		f[n++] = cp;
		if ((cp = strchr(cp, ' ')) == NULL)
			return n;
		*cp++ = 0;
	}
}

static ssize_t
haproxy_srvr_v1(const unsigned char *buf, size_t len, HAPROXY_ENDPT *ep,
    const char **why)
{
	char	 line[HAPROXY_V1_MAX + 1], *f[6];
	unsigned char a[2][16];
	const unsigned char *nl;
	size_t	 scan = len < HAPROXY_V1_MAX ? len : HAPROXY_V1_MAX, llen;
	int	 fam, n, p0, p1;

	if ((nl = memchr(buf, '\n', scan)) == NULL) {
		if (len >= HAPROXY_V1_MAX)
			return *why = "v1 header too long", -1;
		return 0;
	}
	llen = (size_t)(nl - buf);
	if (llen > 0 && buf[llen - 1] == '\r')
		llen--;
	memcpy(line, buf, llen);
	line[llen] = 0;
	if (memchr(line, 0, llen) != NULL)
		return *why = "NUL in v1 header", -1;
	n = haproxy_srvr_fields(line, f, 6);
	if (n >= 2 && strcmp(f[1], "UNKNOWN") == 0) {
		ep->proxied = 0;
		return nl - buf + 1;
	}
	if (n != 6)
		return *why = "malformed v1 header", -1;
	if (strcmp(f[1], "TCP4") == 0)
		fam = AF_INET;
	else if (strcmp(f[1], "TCP6") == 0)
		fam = AF_INET6;
	else
		return *why = "unsupported v1 protocol", -1;
	if (inet_pton(fam, f[2], a[0]) != 1 || inet_pton(fam, f[3], a[1]) != 1)
		return *why = "bad v1 address", -1;
	if ((p0 = haproxy_srvr_port(f[4])) < 0 || (p1 = haproxy_srvr_port(f[5])) < 0)
		return *why = "bad v1 port", -1;
	if (haproxy_srvr_ntop(fam, a[0], p0, ep->client_addr, &ep->client_port,
	    &ep->family) < 0 || haproxy_srvr_ntop(fam, a[1], p1,
	    ep->server_addr, &ep->server_port, &fam) < 0)
		return *why = "bad v1 address", -1;
	ep->proxied = 1;
	return nl - buf + 1;
}

static ssize_t
haproxy_srvr_v2(const unsigned char *buf, size_t len, HAPROXY_ENDPT *ep,
    const char **why)
{
	size_t	 total, alen, off;
	int	 fam, dummy;

	if (len < V2_HDR_LEN)
		return 0;
	total = V2_HDR_LEN + ((size_t)buf[14] << 8 | buf[15]);
	if (buf[12] != V2_CMD_LOCAL && buf[12] != V2_CMD_PROXY)
		return *why = "unsupported v2 version or command", -1;
	if (total > HAPROXY_MAX_LEN)
		return *why = "v2 header too long", -1;
	if (len < total)
		return 0;
	if (buf[12] == V2_CMD_LOCAL || buf[13] == V2_UNSPEC) {
		ep->proxied = 0;
		return (ssize_t)total;
	}
	if (buf[13] == V2_TCP4) {
		fam = AF_INET;
		alen = 4;
	} else if (buf[13] == V2_TCP6) {
		fam = AF_INET6;
		alen = 16;
	} else
		return *why = "unsupported v2 address family or transport", -1;
	if (total < V2_HDR_LEN + 2 * alen + 4)
		return *why = "v2 address block too short", -1;
	off = V2_HDR_LEN;
	if (haproxy_srvr_ntop(fam, buf + off, buf[off + 2 * alen] << 8 |
	    buf[off + 2 * alen + 1], ep->client_addr, &ep->client_port,
	    &ep->family) < 0 || haproxy_srvr_ntop(fam, buf + off + alen,
	    buf[off + 2 * alen + 2] << 8 | buf[off + 2 * alen + 3],
	    ep->server_addr, &ep->server_port, &dummy) < 0)
		return *why = "bad v2 address", -1;
	/* TLVs: type, 16-bit length, value; each must end inside the header. */
	for (off += 2 * alen + 4; off < total; off += 3 + (buf[off + 1] << 8 |
	    buf[off + 2]))
		if (total - off < 3 ||
		    total - off - 3 < (size_t)(buf[off + 1] << 8 | buf[off + 2]))
			return *why = "malformed v2 TLV", -1;
	ep->proxied = 1;
	return (ssize_t)total;
}

ssize_t
haproxy_srvr_parse(const unsigned char *buf, size_t len, HAPROXY_ENDPT *ep,
    const char **why)
{
	size_t	 n;

	memset(ep, 0, sizeof(*ep));
	n = len < sizeof(V1_PREFIX) - 1 ? len : sizeof(V1_PREFIX) - 1;
	if (memcmp(buf, V1_PREFIX, n) == 0)
		return n < sizeof(V1_PREFIX) - 1 ? 0 :
		    haproxy_srvr_v1(buf, len, ep, why);
	n = len < sizeof(haproxy_v2_sig) ? len : sizeof(haproxy_v2_sig);
	if (n > 0 && memcmp(buf, haproxy_v2_sig, n) == 0)
		return n < sizeof(haproxy_v2_sig) ? 0 :
		    haproxy_srvr_v2(buf, len, ep, why);
	*why = "no PROXY protocol header";
	return -1;
}

/* Milliseconds left until deadline (CLOCK_MONOTONIC), at least 0. */
static int
haproxy_srvr_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000LL +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 3600000 ? 3600000 : (int)ms;
}

/* Consume exactly len octets the peek saw (they are in the socket). */
static int
haproxy_srvr_consume(int fd, unsigned char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = read(fd, buf, len)) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
haproxy_srvr_receive(int fd, int timeout, HAPROXY_ENDPT *ep, VSTRING *why)
{
	unsigned char buf[HAPROXY_MAX_LEN];
	struct timespec deadline;
	struct pollfd pfd;
	size_t	 have = 0;
	ssize_t	 n, hlen;
	const char *err = NULL;
	int	 r;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout;
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if ((r = poll(&pfd, 1, haproxy_srvr_left(&deadline))) < 0) {
			if (errno == EINTR)
				continue;
			vstring_sprintf(why, "poll: %s", strerror(errno));
			return -1;
		}
		if (r == 0) {
			vstring_strcpy(why, "time limit exceeded");
			return -1;
		}
		n = recv(fd, buf + have, sizeof(buf) - have, MSG_PEEK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			vstring_sprintf(why, "%s", n == 0 ? "unexpected EOF" :
			    strerror(errno));
			return -1;
		}
		if ((hlen = haproxy_srvr_parse(buf, have + (size_t)n, ep,
		    &err)) < 0) {
			vstring_strcpy(why, err);
			return -1;
		}
		/* Complete: take its tail only; else all of it is header. */
		n = hlen > 0 ? hlen - (ssize_t)have : n;
		if (haproxy_srvr_consume(fd, buf + have, (size_t)n) < 0) {
			vstring_sprintf(why, "read: %s", strerror(errno));
			return -1;
		}
		have += (size_t)n;
		if (hlen > 0)
			return 0;
	}
}
