/*
 * NAME
 *	smtpd_peer - who is the client
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	void smtpd_peer_init(SMTPD_STATE *state);
 *	int  smtpd_peer_local_addr(const char *addr);
 * DESCRIPTION
 *	smtpd_peer_init() fills in the client address, port and family from
 *	the socket (a non-socket, as with the master's stdin test mode,
 *	is "localhost[127.0.0.1]"), and the client name: with
 *	smtpd_peername_lookup the reverse (PTR) name, accepted only when a
 *	forward lookup of that name gives the address back; otherwise, or
 *	when a lookup fails, "unknown". The resolver is told to give up
 *	quickly (one retry, two seconds) so that a dead DNS server delays
 *	the greeting by seconds, not minutes.
 *
 *	smtpd_peer_local_addr() says whether an address is one of this
 *	host's interface addresses (permit_inet_interfaces).
 * DIAGNOSTICS
 *	None: failures give "unknown".
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"
#include "sock_addr.h"

/* Does a forward lookup of name give addr? */
static int
smtpd_peer_confirm(const char *name, const char *addr)
{
	struct addrinfo hints, *res, *ai;
	char	 buf[SOCK_ADDR_STRLEN];
	int	 ok = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return 0;
	for (ai = res; ai && !ok; ai = ai->ai_next)
		if (sock_addr_ntop(ai->ai_addr, ai->ai_addrlen, buf,
		    sizeof(buf), NULL) == 0 && strcasecmp(buf, addr) == 0)
			ok = 1;
	freeaddrinfo(res);
	return ok;
}

static void
smtpd_peer_lookup(SMTPD_STATE *state, struct sockaddr *sa, socklen_t len)
{
	char	 host[NI_MAXHOST];

	if (res_init() == 0) {
		_res.retrans = 2;
		_res.retry = 1;
	}
	if (getnameinfo(sa, len, host, sizeof(host), NULL, 0, NI_NAMEREQD) != 0)
		return;
	if (!valid_hostname(host, 0) || strlen(host) >= SMTPD_NAME_MAX) {
		msg_warn("%s: malformed reverse name: %.100s", state->addr, host);
		return;
	}
	if (!smtpd_peer_confirm(host, state->addr)) {
		msg_warn("hostname %s does not resolve to address %s", host,
		    state->addr);
		return;
	}
	snprintf(state->name, sizeof(state->name), "%s", host);
}

void
smtpd_peer_init(SMTPD_STATE *state)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int	 fd = vstream_fileno(state->client);
	VSTRING	*buf = vstring_alloc(100);

	snprintf(state->name, sizeof(state->name), "unknown");
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) ||
	    sock_addr_ntop((struct sockaddr *)&ss, len, state->addr,
	    sizeof(state->addr), &state->port) < 0) {
		snprintf(state->name, sizeof(state->name), "localhost");
		snprintf(state->addr, sizeof(state->addr), "127.0.0.1");
		state->family = AF_UNIX;
		state->laddr[0] = 0;
	} else {
		state->family = strchr(state->addr, ':') ? AF_INET6 : AF_INET;
		if (sock_addr_local(fd, state->laddr, sizeof(state->laddr), NULL) < 0)
			state->laddr[0] = 0;
		if (state->conf->peername_lookup)
			smtpd_peer_lookup(state, (struct sockaddr *)&ss, len);
	}
	state->namaddr = mystrdup(sock_addr_hostaddr(buf, state->name,
	    state->addr, 0));
	if (state->conf->port_logging && state->family != AF_UNIX) {
		vstring_sprintf(buf, "%s:%d", state->namaddr, state->port);
		myfree(state->namaddr);
		state->namaddr = mystrdup(vstring_str(buf));
	}
	vstring_free(buf);
}

int
smtpd_peer_local_addr(const char *addr)
{
	struct ifaddrs *ifa, *p;
	char	 buf[SOCK_ADDR_STRLEN];
	socklen_t len;
	int	 found = 0;

	if (getifaddrs(&ifa) < 0)
		return 0;
	for (p = ifa; p && !found; p = p->ifa_next) {
		if (p->ifa_addr == NULL || (p->ifa_addr->sa_family != AF_INET &&
		    p->ifa_addr->sa_family != AF_INET6))
			continue;
		len = p->ifa_addr->sa_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
		if (sock_addr_ntop(p->ifa_addr, len, buf, sizeof(buf), NULL) == 0 &&
		    strcasecmp(buf, addr) == 0)
			found = 1;
	}
	freeifaddrs(ifa);
	return found;
}
