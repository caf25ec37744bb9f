/*
 * NAME
 *	smtp_addr - destination to a list of addresses to try
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	int smtp_addr_nexthop(const char *nexthop, VSTRING *host, int *port,
 *	    int *no_mx, int *is_unix);
 *	int smtp_addr_resolve(const char *nexthop, SMTP_ADDR **list,
 *	    VSTRING *why, char *dsn);
 *	void smtp_addr_free(SMTP_ADDR *list);
 *	int smtp_addr_is_mine(const SMTP_ADDR *addr);
 * DESCRIPTION
 *	smtp_addr_nexthop() parses a nexthop: "domain", "domain:port",
 *	"[host]", "[host]:port", "[ipv6addr]", "[ipv6addr]:port", with an
 *	optional "inet:" prefix, or "unix:/path" (LMTP). Brackets, a unix
 *	path, smtp_disable_mx_lookup and LMTP mode turn MX lookups off.
 *	The port is numeric or a service name; the default is
 *	smtp_tcp_port (lmtp_tcp_port in LMTP mode).
 *
 *	smtp_addr_resolve() turns a nexthop into the addresses to try, in
 *	order: MX hosts by preference (equal preferences shuffled with
 *	smtp_randomize_addresses), each host's addresses per inet_protocols
 *	and smtp_address_preference, at most smtp_mx_address_limit in all
 *	(with smtp_balance_inet_protocols, when both IPv4 and IPv6 addresses
 *	exceed the limit, some of each family are kept, as in Postfix);
 *	a single-label host name that the DNS does not resolve is also
 *	looked up with getaddrinfo() (so that "[localhost]" always works);
 *	the domain's own addresses when it has no MX record. MX hosts at or
 *	after this host's own preference are dropped (this host is one of
 *	them when its name is myhostname or its address is one of
 *	inet_interfaces or proxy_interfaces). Host lookups use the DNS
 *	and/or getaddrinfo() per smtp_host_lookup and disable_dns_lookups.
 *	The server name (for logging, SASL password lookup, TLS policy and
 *	certificate verification) is the name looked up, or, with
 *	smtp_cname_overrides_servername, the name that DNS CNAME records
 *	lead to. The MX and A/AAAA records of DNS lookups go through
 *	smtp_dns_reply_filter (dns_rr_filter(3)) when it is set: when it
 *	drops every record the lookup fails with 4.7.0 (no getaddrinfo()
 *	fallback), as in Postfix.
 * DIAGNOSTICS
 *	smtp_addr_nexthop() returns -1 for a malformed nexthop.
 *	smtp_addr_resolve() returns 0 with a list, -1 with a reason and an
 *	enhanced status code in dsn (4.x.x: try later, 5.x.x: give up), or
 *	1 (status 5.4.6) when the best MX host is this host itself.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns.h"
#include "msg.h"
#include "mymalloc.h"
#include "myrandom.h"
#include "sock_addr.h"
#include "smtp.h"

/* smtp_addr_port - numeric port or service name */

static int
smtp_addr_port(const char *str)
{
	struct servent *se;
	char	*end;
	long	 n;

	if (isdigit((unsigned char)*str)) {
		n = strtol(str, &end, 10);
		return *end == 0 && n > 0 && n < 65536 ? (int)n : -1;
	}
	if ((se = getservbyname(str, "tcp")) == NULL)
		return -1;
	return ntohs(se->s_port);
}

int
smtp_addr_nexthop(const char *nexthop, VSTRING *host, int *port, int *no_mx, int *is_unix)
{
	VSTRING	*pbuf = vstring_alloc(16);
	int	 bracketed = 0, ret = -1;

	*is_unix = 0;
	*no_mx = smtp_cf.no_mx;
	if (strncasecmp(nexthop, "unix:", 5) == 0) {
		if (nexthop[5] == 0 || strlen(nexthop + 5) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			goto done;
		vstring_strcpy(host, nexthop + 5);
		*is_unix = *no_mx = 1;
		*port = 0;
		ret = 0;
		goto done;
	}
	if (strncasecmp(nexthop, "inet:", 5) == 0)
		nexthop += 5;
	if (sock_addr_split(nexthop, host, pbuf, smtp_cf.tcp_port, &bracketed) < 0
	    || vstring_len(host) == 0 || (*port = smtp_addr_port(vstring_str(pbuf))) < 0)
		goto done;
	if (bracketed || sock_addr_family(vstring_str(host)) != 0)
		*no_mx = 1;
	ret = 0;
done:
	vstring_free(pbuf);
	return ret;
}

/* smtp_addr_new - one address entry */

static SMTP_ADDR *
smtp_addr_new(const char *host, const struct sockaddr *sa, socklen_t len, int port, unsigned pref)
{
	SMTP_ADDR *a = mycalloc(1, sizeof(*a));

	a->host = mystrdup(host);
	memcpy(&a->sa, sa, len);
	a->salen = len;
	a->port = port;
	a->pref = pref;
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)&a->sa)->sin_port = htons(port);
	else if (sa->sa_family == AF_INET6)
		((struct sockaddr_in6 *)&a->sa)->sin6_port = htons(port);
	if (sock_addr_ntop(sa, len, a->addr, sizeof(a->addr), NULL) < 0)
		snprintf(a->addr, sizeof(a->addr), "unknown");
	return a;
}

void
smtp_addr_free(SMTP_ADDR *list)
{
	SMTP_ADDR *next;

	for (; list != NULL; list = next) {
		next = list->next;
		myfree(list->host);
		myfree(list);
	}
}

static SMTP_ADDR *
smtp_addr_append(SMTP_ADDR *list, SMTP_ADDR *more)
{
	SMTP_ADDR *a;

	if (list == NULL)
		return more;
	for (a = list; a->next != NULL; a = a->next)
		;
	a->next = more;
	return list;
}

int
smtp_addr_is_mine(const SMTP_ADDR *a)
{
	size_t	 i;

	for (i = 0; i < smtp_cf.my_addrs->argc; i++)
		if (strcasecmp(smtp_cf.my_addrs->argv[i], a->addr) == 0)
			return 1;
	return 0;
}

/* smtp_addr_native - getaddrinfo() */

static int
smtp_addr_native(const char *host, int port, unsigned pref, SMTP_ADDR **out, VSTRING *why)
{
	struct addrinfo hints, *res, *ai;
	int	 err;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = smtp_cf.families == DNS_FAM_V4 ? AF_INET :
	    smtp_cf.families == DNS_FAM_V6 ? AF_INET6 : AF_UNSPEC;
	if ((err = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		vstring_sprintf(why, "Host or domain name not found. Name service error for name=%s: %s",
		    host, gai_strerror(err));
		return err == EAI_NONAME || err == EAI_NODATA ? DNS_NOTFOUND : DNS_RETRY;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		*out = smtp_addr_append(*out, smtp_addr_new(host, ai->ai_addr, ai->ai_addrlen, port, pref));
	freeaddrinfo(res);
	return DNS_OK;
}

#define SMTP_DNS_POLICY	100	/* smtp_dns_reply_filter dropped every record */

/*
 * smtp_addr_filter - smtp_dns_reply_filter on the records of a lookup
 * that succeeded: DNS_RETRY when a table failed, SMTP_DNS_POLICY when
 * nothing is left (why says so, in Postfix's words).
 */
static int
smtp_addr_filter(int st, DNS_RR **list, const char *name, const char *type,
    VSTRING *why)
{
	int	 err = 0;

	if (st != DNS_OK || smtp_cf.dns_filter == NULL)
		return st;
	*list = dns_rr_filter(*list, smtp_cf.dns_filter,
	    smtp_pname("smtp_dns_reply_filter"), &err);
	if (err) {
		dns_rr_free(*list);
		*list = NULL;
		vstring_sprintf(why, "Error looking up name=%s type=%s: "
		    "DNS reply filter lookup error", name, type);
		return DNS_RETRY;
	}
	if (*list == NULL) {
		vstring_sprintf(why, "Error looking up name=%s type=%s: "
		    "DNS reply filter drops all results", name, type);
		return SMTP_DNS_POLICY;
	}
	return DNS_OK;
}

/* smtp_addr_dns - A/AAAA records of one host */

static int
smtp_addr_dns(const char *host, int port, unsigned pref, SMTP_ADDR **out, VSTRING *why)
{
	DNS_RR	*list, *rr;
	struct sockaddr_storage ss;
	int	 st;

	st = dns_lookup_addr(host, smtp_cf.families, &list, why);
	if (st == DNS_OK && (st = smtp_addr_filter(st, &list, host,
	    smtp_cf.families == DNS_FAM_V6 ? "AAAA" : "A", why)) != DNS_OK)
		return st;
	if (st != DNS_OK) {
		vstring_sprintf(why, "Host or domain name not found. Name service error for name=%s type=%s: %s",
		    host, smtp_cf.families == DNS_FAM_V6 ? "AAAA" : "A",
		    st == DNS_RETRY ? "Host not found, try again" : "Host not found");
		return st;
	}
	for (rr = list; rr != NULL; rr = rr->next) {
		memset(&ss, 0, sizeof(ss));
		ss.ss_family = rr->family;
		if (rr->family == AF_INET)
			memcpy(&((struct sockaddr_in *)&ss)->sin_addr, rr->addr, 4);
		else
			memcpy(&((struct sockaddr_in6 *)&ss)->sin6_addr, rr->addr, 16);
		/* smtp_cname_overrides_servername: the name after CNAMEs. */
		*out = smtp_addr_append(*out, smtp_addr_new(smtp_cf.cname_overrides
		    && rr->name && *rr->name ? rr->name : host, (struct sockaddr *)&ss,
		    rr->family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6),
		    port, pref));
	}
	dns_rr_free(list);
	return DNS_OK;
}

/* smtp_addr_order - shuffle and family preference within one host */

static SMTP_ADDR *
smtp_addr_order(SMTP_ADDR *list)
{
	SMTP_ADDR *vec[256], *a, *first = NULL, *second = NULL;
	size_t	 n = 0, i, j;
	int	 want;

	for (a = list; a != NULL && n < 256; a = a->next)
		vec[n++] = a;
	if (a != NULL || n < 2)
		return list;
	if (smtp_cf.randomize) {
		for (i = n - 1; i > 0; i--) {
			j = myrandom_uniform(i + 1);
			a = vec[i];
			vec[i] = vec[j];
			vec[j] = a;
		}
	}
	want = strcasecmp(smtp_cf.addr_pref, "ipv6") == 0 ? AF_INET6 :
	    strcasecmp(smtp_cf.addr_pref, "ipv4") == 0 ? AF_INET : 0;
	for (i = 0; i < n; i++) {
		vec[i]->next = NULL;
		if (want == 0 || vec[i]->sa.ss_family == want)
			first = smtp_addr_append(first, vec[i]);
		else
			second = smtp_addr_append(second, vec[i]);
	}
	return smtp_addr_append(first, second);
}

/* smtp_addr_host - the addresses of one host name or literal */

static int
smtp_addr_host(const char *host, int port, unsigned pref, SMTP_ADDR **out, VSTRING *why)
{
	struct sockaddr_storage ss;
	socklen_t len;
	SMTP_ADDR *found = NULL;
	int	 st = DNS_NOTFOUND;

	if (sock_addr_pton(host, port, &ss, &len) > 0) {
		*out = smtp_addr_append(*out, smtp_addr_new(host, (struct sockaddr *)&ss, len, port, pref));
		return DNS_OK;
	}
	if (smtp_cf.use_dns)
		st = smtp_addr_dns(host, port, pref, &found, why);
	/*
	 * A single-label name ("localhost") cannot be in the public DNS: ask
	 * the system too, so that "[localhost]:port" works without a resolver.
	 */
	if (st != DNS_OK && st != SMTP_DNS_POLICY
	    && (smtp_cf.use_native || strchr(host, '.') == NULL))
		st = smtp_addr_native(host, port, pref, &found, why);
	if (st == DNS_OK)
		*out = smtp_addr_append(*out, smtp_addr_order(found));
	return st;
}

/* smtp_addr_unix - "unix:/path" */

static SMTP_ADDR *
smtp_addr_unix(const char *path)
{
	struct sockaddr_un sun;
	SMTP_ADDR *a;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	a = smtp_addr_new(smtp_cf.myhostname, (struct sockaddr *)&sun, sizeof(sun), 0, 0);
	snprintf(a->addr, sizeof(a->addr), "%s", path);
	return a;
}

/* smtp_addr_limit - keep at most smtp_mx_address_limit entries */

static void
smtp_addr_limit(SMTP_ADDR *list)
{
	long	 n = 1;

	if (smtp_cf.mx_addr_limit <= 0)
		return;
	for (; list != NULL; list = list->next, n++) {
		if (n == smtp_cf.mx_addr_limit) {
			smtp_addr_free(list->next);
			list->next = NULL;
			return;
		}
	}
}

/*
 * smtp_addr_balance - smtp_balance_inet_protocols: when IPv4 and IPv6
 * addresses together exceed smtp_mx_address_limit, keep some of each
 * family (each gets half the limit, or all it has when that is fewer and
 * the other family takes the rest; an odd limit favours the family of
 * the first address), in the list's order.
 */
static void
smtp_addr_balance(SMTP_ADDR **list)
{
	SMTP_ADDR *a, *next, *out = NULL;
	long	 n4 = 0, n6 = 0, keep4, keep6, limit = smtp_cf.mx_addr_limit;

	for (a = *list; a != NULL; a = a->next) {
		if (a->sa.ss_family == AF_INET)
			n4++;
		else if (a->sa.ss_family == AF_INET6)
			n6++;
	}
	if (n4 == 0 || n6 == 0 || n4 + n6 <= limit)
		return;
	if (n6 <= limit / 2) {
		keep6 = n6;
		keep4 = limit - n6;
	} else if (n4 <= limit / 2) {
		keep4 = n4;
		keep6 = limit - n4;
	} else {
		keep4 = (limit + ((*list)->sa.ss_family == AF_INET)) / 2;
		keep6 = limit - keep4;
	}
	for (a = *list; a != NULL; a = next) {
		long	*left = a->sa.ss_family == AF_INET ? &keep4 :
			    a->sa.ss_family == AF_INET6 ? &keep6 : NULL;

		next = a->next;
		a->next = NULL;
		if (left != NULL && *left > 0) {
			--*left;
			out = smtp_addr_append(out, a);
		} else
			smtp_addr_free(a);
	}
	*list = out;
}

/* smtp_addr_trim_self - drop MX hosts at or after our own preference */

static int
smtp_addr_trim_self(SMTP_ADDR **list)
{
	SMTP_ADDR *a, *prev = NULL;
	unsigned best = 0;
	int	 mine = 0;

	for (a = *list; a != NULL; a = a->next) {
		if (strcasecmp(a->host, smtp_cf.myhostname) == 0 || smtp_addr_is_mine(a)) {
			if (!mine || a->pref < best)
				best = a->pref;
			mine = 1;
		}
	}
	if (!mine)
		return 0;
	for (a = *list; a != NULL; prev = a, a = a->next) {
		if (a->pref >= best) {
			smtp_addr_free(a);
			if (prev)
				prev->next = NULL;
			else
				*list = NULL;
			break;
		}
	}
	return *list == NULL ? 1 : 0;
}

/* smtp_addr_mx - MX hosts of a domain, in order, with their addresses */

static int
smtp_addr_mx(DNS_RR *mx, int port, SMTP_ADDR **out, VSTRING *why, char *dsn)
{
	DNS_RR	*rr;
	int	 soft = 0, policy = 0, st;

	if (mx->next == NULL && (mx->data[0] == 0 || strcmp(mx->data, ".") == 0)) {
		vstring_sprintf(why, "Domain %s does not accept mail (nullMX)", mx->name);
		strcpy(dsn, "5.1.10");
		return -1;
	}
	for (rr = mx; rr != NULL; rr = rr->next) {
		st = smtp_addr_host(rr->data, port, rr->pref, out, why);
		if (st == DNS_RETRY)
			soft = 1;
		if (st == SMTP_DNS_POLICY)
			policy = 1;
	}
	if (smtp_addr_trim_self(out)) {
		vstring_sprintf(why, "mail for %s loops back to myself", mx->name);
		strcpy(dsn, "5.4.6");
		return 1;
	}
	if (*out != NULL)
		return 0;
	if (policy) {
		strcpy(dsn, "4.7.0");
		return -1;
	}
	if (!soft)
		vstring_sprintf(why, "MX host for %s has no usable address: %s", mx->name, "Host not found");
	strcpy(dsn, soft || smtp_cf.defer_no_mx_addr ? "4.4.3" : "5.4.4");
	return -1;
}

int
smtp_addr_resolve(const char *nexthop, SMTP_ADDR **list, VSTRING *why, char *dsn)
{
	VSTRING	*host = vstring_alloc(100);
	DNS_RR	*mx = NULL;
	int	 port, no_mx, is_unix, st, ret = -1;

	*list = NULL;
	if (smtp_addr_nexthop(nexthop, host, &port, &no_mx, &is_unix) < 0) {
		vstring_sprintf(why, "bad nexthop syntax: \"%.200s\"", nexthop);
		strcpy(dsn, "5.3.5");
		goto done;
	}
	if (is_unix) {
		*list = smtp_addr_unix(vstring_str(host));
		ret = 0;
		goto done;
	}
	st = DNS_NODATA;
	if (!no_mx && smtp_cf.use_dns && sock_addr_family(vstring_str(host)) == 0) {
		st = dns_lookup(vstring_str(host), DNS_T_MX, &mx, why);
		if (st == DNS_RETRY && smtp_cf.ignore_mx_error)
			st = DNS_NODATA;
		st = smtp_addr_filter(st, &mx, vstring_str(host), "MX", why);
	}
	if (st == SMTP_DNS_POLICY) {
		strcpy(dsn, "4.7.0");
	} else if (st == DNS_OK) {
		mx = dns_rr_sort_mx(mx, smtp_cf.randomize);
		ret = smtp_addr_mx(mx, port, list, why, dsn);
	} else if (st == DNS_NODATA) {
		st = smtp_addr_host(vstring_str(host), port, 0, list, why);
		if (st == DNS_OK)
			ret = !no_mx && smtp_addr_trim_self(list) ? 1 : 0;
		if (ret == 1)
			vstring_sprintf(why, "mail for %s loops back to myself", vstring_str(host));
		strcpy(dsn, ret == 1 ? "5.4.6" : st == DNS_RETRY ? "4.4.3" :
		    st == SMTP_DNS_POLICY ? "4.7.0" : "5.4.4");
	} else {
		vstring_sprintf(why, "Host or domain name not found. Name service error for name=%s type=MX: %s",
		    vstring_str(host), st == DNS_RETRY ? "Host not found, try again" : "Host not found");
		strcpy(dsn, st == DNS_RETRY ? "4.4.3" : "5.4.4");
	}
	dns_rr_free(mx);
	if (smtp_cf.balance_inet && smtp_cf.mx_addr_limit > 0)
		smtp_addr_balance(list);
	smtp_addr_limit(*list);
done:
	vstring_free(host);
	return ret;
}
