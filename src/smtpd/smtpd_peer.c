/*
 * NAME
 *	smtpd_peer - who is the client
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	void smtpd_peer_init(SMTPD_STATE *state);
 *	void smtpd_peer_update(SMTPD_STATE *state);
 *	int  smtpd_peer_local_addr(const char *addr);
 * DESCRIPTION
 *	smtpd_peer_init() fills in the client address, port and family from
 *	the socket (a non-socket, as with the master's stdin test mode,
 *	is "localhost[127.0.0.1]"), and the server address and port.
 *	With smtpd_upstream_proxy_protocol = haproxy, a network client is a
 *	load balancer that first sends a PROXY protocol header (v1 or v2,
 *	haproxy_srvr(3)) within smtpd_upstream_proxy_timeout: the client
 *	and server endpoints it names replace the socket's for everything
 *	that follows (logs, mynetworks and the other access checks, policy,
 *	anvil, milters, the Received: header); a header that says the
 *	connection is not proxied (v1 UNKNOWN, v2 LOCAL) keeps the socket's.
 *	A malformed or over-long header, an early EOF or the time limit is
 *	logged ("warning: haproxy read: REASON; proxy ADDR"), and the client
 *	becomes "unknown[unknown]" with state->hangup set: the caller drops
 *	the connection without a word. Then the client name: with
 *	smtpd_peername_lookup the reverse (PTR) name, accepted only when a
 *	forward lookup of that name gives the address back; otherwise, or
 *	when a lookup fails, "unknown". The PTR name itself, verified or
 *	not, is kept as the reverse name, and the outcome of each lookup
 *	(found, not found, temporary failure) for
 *	reject_unknown_client_hostname and
 *	reject_unknown_reverse_client_hostname (smtpd_peer_unknown: "450
 *	4.7.25 Client host rejected: cannot find your [reverse ]hostname,
 *	[addr]", unknown_client_reject_code when not temporary). With
 *	dns_resolver_address the lookups go through our DNS client (dns(3));
 *	otherwise through the C library, and the resolver is told to give up
 *	quickly (one retry, two seconds) so that a dead DNS server delays
 *	the greeting by seconds, not minutes.
 *
 *	smtpd_peer_update() recomputes what depends on the client's name and
 *	address after smtpd_peer_init() or XCLIENT changed them: the
 *	"name[addr]" of the logs (":port" added with
 *	smtpd_client_port_logging), the mynetworks and sender-check caches,
 *	local_header_rewrite_clients and
 *	smtpd_forbid_bare_newline_exclusions.
 *
 *	smtpd_peer_local_addr() says whether an address is one of this
 *	host's interface addresses (permit_inet_interfaces), as
 *	resolve_class_own_addrs(3) lists them for "all".
 * DIAGNOSTICS
 *	None: failures give "unknown".
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dns.h"
#include "haproxy_srvr.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"
#include "sock_addr.h"

/* Does a forward lookup of name give addr? SMTPD_PEER_*. */
static int
smtpd_peer_confirm(const char *name, const char *addr)
{
	struct addrinfo hints, *res, *ai;
	char	 buf[SOCK_ADDR_STRLEN];
	int	 ok = SMTPD_PEER_PERM, err;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((err = getaddrinfo(name, NULL, &hints, &res)) != 0)
		return err == EAI_AGAIN ? SMTPD_PEER_TEMP : SMTPD_PEER_PERM;
	for (ai = res; ai && ok != SMTPD_PEER_OK; ai = ai->ai_next)
		if (sock_addr_ntop(ai->ai_addr, ai->ai_addrlen, buf,
		    sizeof(buf), NULL) == 0 && strcasecmp(buf, addr) == 0)
			ok = SMTPD_PEER_OK;
	freeaddrinfo(res);
	return ok;
}

/* The same through our DNS client (dns_resolver_address). */
static int
smtpd_peer_dns_confirm(const char *name, const char *addr)
{
	unsigned char want[16], got[16];
	int	 fam = strchr(addr, ':') ? AF_INET6 : AF_INET, r;
	VSTRING	*why = vstring_alloc(100);
	DNS_RR	*rr = NULL, *p;

	if (inet_pton(fam, addr, want) != 1)
		r = SMTPD_PEER_PERM;
	else if ((r = dns_lookup_addr(name, fam == AF_INET ? DNS_FAM_V4 :
	    DNS_FAM_V6, &rr, why)) != DNS_OK)
		r = r == DNS_RETRY ? SMTPD_PEER_TEMP : SMTPD_PEER_PERM;
	else {
		r = SMTPD_PEER_PERM;
		for (p = rr; p; p = p->next)
			if (p->data && inet_pton(fam, p->data, got) == 1 &&
			    memcmp(want, got, fam == AF_INET ? 4 : 16) == 0)
				r = SMTPD_PEER_OK;
	}
	dns_rr_free(rr);
	vstring_free(why);
	return r;
}

/* The PTR name through our DNS client: SMTPD_PEER_*, name in host. */
static int
smtpd_peer_dns_ptr(const char *addr, char *host, size_t size)
{
	unsigned char bin[16];
	VSTRING	*q = vstring_alloc(100), *why = vstring_alloc(100);
	DNS_RR	*rr = NULL;
	int	 r, i;

	if (inet_pton(AF_INET, addr, bin) == 1)
		vstring_sprintf(q, "%u.%u.%u.%u.in-addr.arpa", bin[3], bin[2],
		    bin[1], bin[0]);
	else if (inet_pton(AF_INET6, addr, bin) == 1) {
		for (i = 15; i >= 0; i--)
			vstring_sprintf_append(q, "%x.%x.", bin[i] & 15, bin[i] >> 4);
		vstring_strcat(q, "ip6.arpa");
	}
	if (vstring_len(q) == 0)
		r = SMTPD_PEER_PERM;
	else if ((r = dns_lookup(vstring_str(q), DNS_T_PTR, &rr, why)) != DNS_OK
	    || rr == NULL || rr->data == NULL)
		r = r == DNS_RETRY ? SMTPD_PEER_TEMP : SMTPD_PEER_PERM;
	else {
		snprintf(host, size, "%s", rr->data);
		i = (int)strlen(host);
		if (i > 0 && host[i - 1] == '.')
			host[i - 1] = 0;
		r = SMTPD_PEER_OK;
	}
	dns_rr_free(rr);
	vstring_free(q);
	vstring_free(why);
	return r;
}

static void
smtpd_peer_lookup(SMTPD_STATE *state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char	 host[NI_MAXHOST];
	int	 err, dns = smtpd_dns_configured();

	if (sock_addr_pton(state->addr, state->port, &ss, &len) < 0)
		return;
	if (dns) {
		state->reverse_status = smtpd_peer_dns_ptr(state->addr, host,
		    sizeof(host));
	} else {
		if (res_init() == 0) {
			_res.retrans = 2;
			_res.retry = 1;
		}
		err = getnameinfo((struct sockaddr *)&ss, len, host,
		    sizeof(host), NULL, 0,
		    NI_NAMEREQD);
		state->reverse_status = err == 0 ? SMTPD_PEER_OK :
		    err == EAI_AGAIN ? SMTPD_PEER_TEMP : SMTPD_PEER_PERM;
	}
	state->name_status = state->reverse_status;
	if (state->reverse_status != SMTPD_PEER_OK)
		return;
	if (!valid_hostname(host, 0) || strlen(host) >= SMTPD_NAME_MAX) {
		msg_warn("%s: malformed reverse name: %.100s", state->addr, host);
		state->reverse_status = state->name_status = SMTPD_PEER_PERM;
		return;
	}
	snprintf(state->reverse_name, sizeof(state->reverse_name), "%s", host);
	state->name_status = dns ? smtpd_peer_dns_confirm(host, state->addr) :
	    smtpd_peer_confirm(host, state->addr);
	if (state->name_status != SMTPD_PEER_OK) {
		if (state->name_status == SMTPD_PEER_PERM)
			msg_warn("hostname %s does not resolve to address %s",
			    host, state->addr);
		return;
	}
	snprintf(state->name, sizeof(state->name), "%s", host);
}

/*
 * reject_unknown_client_hostname (reverse 0) and
 * reject_unknown_reverse_client_hostname (reverse 1), as Postfix: a
 * temporary failure is 450, else unknown_client_reject_code.
 */
int
smtpd_peer_unknown(SMTPD_CHECK *c, int reverse)
{
	SMTPD_STATE *state = c->state;
	int	 status = reverse ? state->reverse_status : state->name_status;

	if (status == SMTPD_PEER_OK)
		return SMTPD_CHECK_DUNNO;
	return smtpd_reject(c, status == SMTPD_PEER_TEMP ? 450 :
	    (int)conf_int("unknown_client_reject_code"), "4.7.25",
	    "Client host rejected: cannot find your %shostname, [%s]",
	    reverse ? "reverse " : "", state->addr);
}

/*
 * The PROXY protocol: the endpoints the load balancer names. -1: there
 * is no usable client (logged).
 */
static int
smtpd_peer_haproxy(SMTPD_STATE *state)
{
	HAPROXY_ENDPT ep;
	VSTRING	*why = vstring_alloc(64);
	int	 ret = 0;

	if (haproxy_srvr_receive(vstream_fileno(state->client),
	    state->conf->uproxy_timeout, &ep, why) < 0) {
		msg_warn("haproxy read: %s; proxy %s", vstring_str(why),
		    state->addr);
		ret = -1;
	} else if (ep.proxied) {
		snprintf(state->addr, sizeof(state->addr), "%s", ep.client_addr);
		state->port = ep.client_port;
		state->family = ep.family;
		snprintf(state->laddr, sizeof(state->laddr), "%s", ep.server_addr);
		state->lport = ep.server_port;
	}
	vstring_free(why);
	return ret;
}

void
smtpd_peer_init(SMTPD_STATE *state)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int	 fd = vstream_fileno(state->client);

	snprintf(state->name, sizeof(state->name), "unknown");
	snprintf(state->reverse_name, sizeof(state->reverse_name), "unknown");
	state->name_status = state->reverse_status = SMTPD_PEER_PERM;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) ||
	    sock_addr_ntop((struct sockaddr *)&ss, len, state->addr,
	    sizeof(state->addr), &state->port) < 0) {
		snprintf(state->name, sizeof(state->name), "localhost");
		snprintf(state->reverse_name, sizeof(state->reverse_name),
		    "localhost");
		state->name_status = state->reverse_status = SMTPD_PEER_OK;
		snprintf(state->addr, sizeof(state->addr), "127.0.0.1");
		state->family = AF_UNIX;
		state->laddr[0] = 0;
	} else {
		state->family = strchr(state->addr, ':') ? AF_INET6 : AF_INET;
		if (sock_addr_local(fd, state->laddr, sizeof(state->laddr),
		    &state->lport) < 0)
			state->laddr[0] = 0;
		if (state->conf->uproxy == SMTPD_UPROXY_HAPROXY &&
		    smtpd_peer_haproxy(state) < 0) {
			snprintf(state->addr, sizeof(state->addr), "unknown");
			state->hangup = 1;
		} else if (state->conf->peername_lookup)
			smtpd_peer_lookup(state);
	}
	smtpd_peer_update(state);
}

void
smtpd_peer_update(SMTPD_STATE *state)
{
	VSTRING	*buf = vstring_alloc(100);

	(void)sock_addr_hostaddr(buf, state->name, state->addr,
	    state->conf->port_logging && state->family != AF_UNIX &&
	    !state->hangup ? state->port : 0);
	myfree(state->namaddr);
	state->namaddr = vstring_export(buf);
	state->is_mynet = -1;
	state->sender_checked = 0;
	if (state->hangup)
		return;
	state->rewrite_hdrs = smtpd_rewrite_clients(state);
	state->bare_nl = addr_match_client(state->conf->bare_nl_excl,
	    state->addr, state->name) > 0 ? SMTPD_BARE_NL_NO :
	    state->conf->bare_nl;
}

int
smtpd_peer_local_addr(const char *addr)
{
	ARGV	*own = argv_alloc(8);
	int	 found = 0;

	resolve_class_own_addrs("all", own);
	for (size_t i = 0; !found && i < own->argc; i++)
		found = strcasecmp(own->argv[i], addr) == 0;
	argv_free(own);
	return found;
}
