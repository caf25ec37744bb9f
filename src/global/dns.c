/*
 * NAME
 *	dns - DNS client for the mail programs
 * SYNOPSIS
 *	#include <dns.h>
 *
 *	int dns_set_servers(const char *list, VSTRING *why);
 *	int dns_lookup(const char *name, int type, DNS_RR **list, VSTRING *why);
 *	int dns_lookup_addr(const char *name, int families, DNS_RR **list,
 *	    VSTRING *why);
 *	int dns_parse_reply(const unsigned char *buf, size_t len,
 *	    const char *qname, int type, DNS_RR **list, char *canon,
 *	    size_t canon_size, VSTRING *why);
 *	void dns_rr_free(DNS_RR *list);
 *	DNS_RR *dns_rr_append(DNS_RR *list, DNS_RR *more);
 *	DNS_RR *dns_rr_sort_mx(DNS_RR *list, int randomize);
 *	size_t dns_rr_count(const DNS_RR *list);
 *	const char *dns_strerror(int status);
 * DESCRIPTION
 *	A small DNS client on the C library's resolver (libresolv): queries
 *	are built with res_nmkquery() and replies parsed with ns_initparse();
 *	no other dependency.
 *
 *	dns_set_servers() takes the value of dns_resolver_address: a list of
 *	"addr", "addr:port", "[addr]" or "[addr]:port" (IPv4 or IPv6). When
 *	the list is not empty every later query goes only to those servers,
 *	sent by this module over UDP (with a retry to the next server, and
 *	TCP when a reply comes back truncated): this is how tests point the
 *	client at a DNS server on a loopback address and an unprivileged
 *	port. An empty or null list restores the system resolver
 *	(resolv.conf, res_nsend()).
 *
 *	dns_lookup() asks for records of one type and follows CNAME chains,
 *	inside one reply and by new queries, at most DNS_CNAME_DEPTH links.
 *	Names are absolute: no search list is applied. The result list holds
 *	only records of the asked type, owned by the canonical name.
 *
 *	dns_lookup_addr() looks up A and/or AAAA records (DNS_FAM_V4,
 *	DNS_FAM_V6). It succeeds when either family has records; it is
 *	temporary when one family failed temporarily and the other found
 *	nothing, so that a SERVFAIL is never mistaken for "no address".
 *
 *	Queries set the AD bit (RFC 6840 5.7), and records from a reply
 *	with AD set are marked secure: the recursive resolver validated them
 *	with DNSSEC (DANE needs that). TLSA records (RFC 6698) come as
 *	"usage selector mtype HEX".
 *
 *	MX, NS, CNAME and PTR records carry a host name in data (MX also its
 *	preference in pref).
 *
 *	dns_parse_reply() is the reply parser (exposed for tests).
 *
 *	dns_rr_sort_mx() sorts by MX preference, lowest first; with
 *	randomize, records of equal preference are shuffled.
 * DIAGNOSTICS
 *	Lookups return DNS_OK, DNS_NOTFOUND (NXDOMAIN), DNS_NODATA (no such
 *	record), DNS_RETRY (SERVFAIL, REFUSED, timeouts: try later) or
 *	DNS_INVAL (bad name, malformed reply), with a reason in why.
 *	dns_set_servers() returns -1 with a reason for a bad list.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "dns.h"
#include "iostuff.h"
#include "msg.h"
#include "mymalloc.h"
#include "myrandom.h"
#include "sock_addr.h"
#include "vstring.h"

#define DNS_MAX_SERVERS	8
#define DNS_UDP_MAX	4096		/* EDNS is not used; 512 is the norm */
#define DNS_TCP_MAX	65535
#define DNS_TIMEOUT_MS	3000		/* per server and try */
#define DNS_TRIES	2

static struct sockaddr_storage dns_servers[DNS_MAX_SERVERS];
static socklen_t dns_server_len[DNS_MAX_SERVERS];
static int dns_nservers;
static struct __res_state dns_res;
static int dns_res_ready;

/* dns_strerror - result code as text */

const char *
dns_strerror(int status)
{
	switch (status) {
	case DNS_OK:
		return "success";
	case DNS_NOTFOUND:
		return "host not found";
	case DNS_NODATA:
		return "no such record";
	case DNS_RETRY:
		return "temporary failure";
	case DNS_INVAL:
		return "malformed name or reply";
	default:
		return "unknown status";
	}
}

/*
 * dns_parse_server - one "addr", "addr:port", "[addr]" or "[addr]:port"
 * (sock_addr_split(): an IPv6 address with a port is in brackets); the
 * address numeric, the port numeric (53 by default). 0 or -1.
 */
static int
dns_parse_server(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	VSTRING	*host = vstring_alloc(64), *port = vstring_alloc(8);
	long	 pnum;
	char	*ep;
	int	 ret = -1;

	if (sock_addr_split(spec, host, port, "53", NULL) == 0) {
		errno = 0;
		pnum = strtol(vstring_str(port), &ep, 10);
		if (*ep == 0 && errno == 0 && pnum >= 1 && pnum <= 65535
		    && sock_addr_pton(vstring_str(host), (int)pnum, ss, len) > 0)
			ret = 0;
	}
	vstring_free(host);
	vstring_free(port);
	return ret;
}

/* dns_set_servers - direct queries to the given servers, or the system's */

int
dns_set_servers(const char *list, VSTRING *why)
{
	char	*copy, *cp, *tok;
	int	 n = 0;

	dns_nservers = 0;
	if (list == NULL || *list == 0)
		return 0;
	cp = copy = mystrdup(list);
	while ((tok = strsep(&cp, " \t\r\n,")) != NULL) {
		if (*tok == 0)
			continue;
		if (n >= DNS_MAX_SERVERS) {
			vstring_sprintf(why, "more than %d DNS servers", DNS_MAX_SERVERS);
			goto fail;
		}
		if (dns_parse_server(tok, &dns_servers[n], &dns_server_len[n]) < 0) {
			vstring_sprintf(why, "bad DNS server address \"%s\"", tok);
			goto fail;
		}
		n++;
	}
	myfree(copy);
	dns_nservers = n;
	return 0;
fail:
	myfree(copy);
	return -1;
}

/* dns_tcp_io - read or write exactly len bytes with a deadline */

static int
dns_tcp_io(int fd, unsigned char *buf, size_t len, int wr)
{
	size_t	 done = 0;
	ssize_t	 n;

	while (done < len) {
		if (poll_wait(fd, wr ? POLLOUT : POLLIN, DNS_TIMEOUT_MS) < 0)
			return -1;
		n = wr ? write(fd, buf + done, len - done) : read(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

/* dns_send_tcp - one query over TCP to one server */

static int
dns_send_tcp(int srv, const unsigned char *q, int qlen, unsigned char *ans, int anslen)
{
	unsigned char hdr[2];
	int	 fd, rlen, err;
	socklen_t elen = sizeof(err);

	if ((fd = socket(dns_servers[srv].ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&dns_servers[srv], dns_server_len[srv]) < 0) {
		if (errno != EINPROGRESS || poll_wait(fd, POLLOUT, DNS_TIMEOUT_MS) < 0
		    || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err != 0)
			goto fail;
	}
	hdr[0] = qlen >> 8;
	hdr[1] = qlen & 0xff;
	if (dns_tcp_io(fd, hdr, 2, 1) < 0 || dns_tcp_io(fd, (unsigned char *)q, qlen, 1) < 0)
		goto fail;
	if (dns_tcp_io(fd, hdr, 2, 0) < 0)
		goto fail;
	rlen = hdr[0] << 8 | hdr[1];
	if (rlen < HFIXEDSZ || rlen > anslen || dns_tcp_io(fd, ans, rlen, 0) < 0)
		goto fail;
	close(fd);
	if (memcmp(ans, q, 2) != 0)
		return -1;
	return rlen;
fail:
	close(fd);
	return -1;
}

/* dns_send_udp - one query over UDP to one server; 0 = try TCP */

static int
dns_send_udp(int srv, const unsigned char *q, int qlen, unsigned char *ans, int anslen)
{
	int	 fd, n;
	long long start, left;

	if ((fd = socket(dns_servers[srv].ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&dns_servers[srv], dns_server_len[srv]) < 0
	    || send(fd, q, qlen, 0) != qlen)
		goto fail;
	start = monotonic_ms();
	for (;;) {
		left = DNS_TIMEOUT_MS - (monotonic_ms() - start);
		if (left <= 0 || poll_wait(fd, POLLIN, (int)left) < 0)
			goto fail;
		if ((n = recv(fd, ans, anslen, 0)) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			goto fail;	/* ICMP port unreachable and the like */
		}
		/* Ignore stray datagrams: the ID and question must match. */
		if (n < HFIXEDSZ || memcmp(ans, q, 2) != 0 || (ans[2] & 0x80) == 0)
			continue;
		close(fd);
		if (ans[2] & 0x02)	/* TC: truncated */
			return 0;
		return n;
	}
fail:
	close(fd);
	return -1;
}

/* dns_send_own - send to the configured servers, with retries */

static int
dns_send_own(const unsigned char *q, int qlen, unsigned char *ans, int anslen)
{
	int	 try, srv, n;

	for (try = 0; try < DNS_TRIES; try++) {
		for (srv = 0; srv < dns_nservers; srv++) {
			n = dns_send_udp(srv, q, qlen, ans, anslen > DNS_UDP_MAX ? DNS_UDP_MAX : anslen);
			if (n == 0)
				n = dns_send_tcp(srv, q, qlen, ans, anslen);
			if (n > 0)
				return n;
		}
	}
	return -1;
}

/* dns_query - send one query, return the raw reply length or -1 */

static int
dns_query(const char *name, int type, unsigned char *ans, int anslen, VSTRING *why)
{
	unsigned char q[NS_PACKETSZ + 16];
	int	 qlen, n;

	if (!dns_res_ready) {
		if (res_ninit(&dns_res) < 0) {
			vstring_sprintf(why, "cannot initialize the resolver");
			return -1;
		}
		dns_res_ready = 1;
	}
	dns_res.options |= RES_RECURSE;
	qlen = res_nmkquery(&dns_res, ns_o_query, name, ns_c_in, type, NULL, 0, NULL, q, sizeof(q));
	if (qlen < 0) {
		vstring_sprintf(why, "bad domain name \"%s\"", name);
		return -2;
	}
	q[3] |= 0x20;		/* AD: tell us whether the answer validated */
	if (dns_nservers > 0)
		n = dns_send_own(q, qlen, ans, anslen);
	else
		n = res_nsend(&dns_res, q, qlen, ans, anslen);
	if (n < 0)
		vstring_sprintf(why, "no answer from the DNS for %s", name);
	return n;
}

/* dns_rr_new - one record */

static DNS_RR *
dns_rr_new(const char *name, int type, unsigned ttl)
{
	DNS_RR	*rr = mycalloc(1, sizeof(*rr));

	rr->name = mystrdup(name);
	rr->type = type;
	rr->ttl = ttl;
	return rr;
}

/* dns_rr_data - decode the record data of the asked type */

static DNS_RR *
dns_rr_data(const ns_msg *msg, const ns_rr *rr, const char *owner)
{
	const unsigned char *rd = ns_rr_rdata(*rr);
	int	 rdlen = ns_rr_rdlen(*rr), type = ns_rr_type(*rr), n;
	char	 name[DNS_NAME_MAX], text[INET6_ADDRSTRLEN];
	DNS_RR	*out;
	VSTRING	*txt;

	out = dns_rr_new(owner, type, ns_rr_ttl(*rr));
	switch (type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		out->family = type == DNS_T_A ? AF_INET : AF_INET6;
		if (rdlen != (type == DNS_T_A ? 4 : 16))
			goto bad;
		memcpy(out->addr, rd, rdlen);
		inet_ntop(out->family, rd, text, sizeof(text));
		out->data = mystrdup(text);
		break;
	case DNS_T_MX:
		if (rdlen < 3)
			goto bad;
		out->pref = rd[0] << 8 | rd[1];
		rd += 2;
		/* FALLTHROUGH */
	case DNS_T_NS:
	case DNS_T_CNAME:
	case DNS_T_PTR:
		if (dn_expand(ns_msg_base(*msg), ns_msg_end(*msg), rd, name, sizeof(name)) < 0)
			goto bad;
		out->data = mystrdup(name);
		break;
	case DNS_T_TLSA:		/* "usage selector mtype HEX" */
		if (rdlen < 4)
			goto bad;
		txt = vstring_alloc(2 * rdlen + 16);
		vstring_sprintf(txt, "%u %u %u ", rd[0], rd[1], rd[2]);
		for (n = 3; n < rdlen; n++)
			vstring_sprintf_append(txt, "%02X", rd[n]);
		out->data = vstring_export(txt);
		break;
	case DNS_T_TXT:
		txt = vstring_alloc(rdlen);
		for (n = 0; n < rdlen; n += 1 + rd[n]) {
			if (n + 1 + rd[n] > rdlen) {
				vstring_free(txt);
				goto bad;
			}
			vstring_memcat(txt, rd + n + 1, rd[n]);
		}
		out->data = vstring_export(txt);
		break;
	default:
		goto bad;
	}
	return out;
bad:
	dns_rr_free(out);
	return NULL;
}

/* dns_parse_rcode - map the reply code */

static int
dns_parse_rcode(int rcode, const char *qname, VSTRING *why)
{
	switch (rcode) {
	case ns_r_noerror:
		return DNS_OK;
	case ns_r_nxdomain:
		vstring_sprintf(why, "Host not found: %s", qname);
		return DNS_NOTFOUND;
	case ns_r_servfail:
		vstring_sprintf(why, "Host or domain name lookup failed (SERVFAIL) for %s", qname);
		return DNS_RETRY;
	case ns_r_refused:
		vstring_sprintf(why, "DNS query refused for %s", qname);
		return DNS_RETRY;
	default:
		vstring_sprintf(why, "DNS error (rcode %d) for %s", rcode, qname);
		return DNS_RETRY;
	}
}

/* dns_parse_reply - extract records of one type for qname, follow CNAMEs */

int
dns_parse_reply(const unsigned char *buf, size_t len, const char *qname, int type,
    DNS_RR **list, char *canon, size_t canon_size, VSTRING *why)
{
	ns_msg	 msg;
	ns_rr	 rr;
	int	 i, count, links, status;
	char	 cur[DNS_NAME_MAX];
	DNS_RR	*found = NULL, *one;

	*list = NULL;
	snprintf(cur, sizeof(cur), "%s", qname);
	if (len > DNS_TCP_MAX || ns_initparse(buf, len, &msg) < 0) {
		vstring_sprintf(why, "malformed DNS reply for %s", qname);
		return DNS_INVAL;
	}
	if ((status = dns_parse_rcode(ns_msg_getflag(msg, ns_f_rcode), qname, why)) != DNS_OK)
		return status;
	count = ns_msg_count(msg, ns_s_an);
	/* CNAME chain first: each pass may extend it by one link. */
	for (links = 0; links <= DNS_CNAME_DEPTH; links++) {
		for (i = 0; i < count; i++) {
			if (ns_parserr(&msg, ns_s_an, i, &rr) < 0) {
				/* rr is not valid: never decode it. */
				vstring_sprintf(why, "malformed DNS reply for %s", qname);
				return DNS_INVAL;
			}
			if (ns_rr_type(rr) == DNS_T_CNAME && type != DNS_T_CNAME
			    && strcasecmp(ns_rr_name(rr), cur) == 0)
				break;
		}
		if (i >= count)
			break;
		if ((one = dns_rr_data(&msg, &rr, cur)) == NULL)
			break;
		snprintf(cur, sizeof(cur), "%s", one->data);
		dns_rr_free(one);
	}
	if (links > DNS_CNAME_DEPTH) {
		vstring_sprintf(why, "CNAME loop or chain too long for %s", qname);
		return DNS_INVAL;
	}
	for (i = 0; i < count && i < DNS_MAX_RR; i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0) {
			dns_rr_free(found);
			vstring_sprintf(why, "malformed DNS reply for %s", qname);
			return DNS_INVAL;
		}
		if ((int)ns_rr_type(rr) != type || ns_rr_class(rr) != ns_c_in
		    || strcasecmp(ns_rr_name(rr), cur) != 0)
			continue;
		if ((one = dns_rr_data(&msg, &rr, cur)) != NULL) {
			one->secure = ns_msg_getflag(msg, ns_f_ad);
			found = dns_rr_append(found, one);
		}
	}
	if (canon != NULL)
		snprintf(canon, canon_size, "%s", cur);
	if ((*list = found) == NULL) {
		vstring_sprintf(why, "no %s record for %s", type == DNS_T_MX ? "MX" :
		    type == DNS_T_NS ? "NS" : type == DNS_T_A ? "A" : type == DNS_T_AAAA ? "AAAA" : "matching", qname);
		return DNS_NODATA;
	}
	return DNS_OK;
}

/* dns_lookup - records of one type, following CNAMEs across queries */

int
dns_lookup(const char *name, int type, DNS_RR **list, VSTRING *why)
{
	unsigned char *ans = mymalloc(DNS_TCP_MAX);
	char	 cur[DNS_NAME_MAX], canon[DNS_NAME_MAX];
	int	 n, depth, status = DNS_INVAL;

	*list = NULL;
	snprintf(cur, sizeof(cur), "%s", name);
	if (*name == 0 || strlen(name) >= DNS_NAME_MAX - 1) {
		vstring_sprintf(why, "bad domain name \"%.100s\"", name);
		goto done;
	}
	for (depth = 0; depth <= DNS_CNAME_DEPTH; depth++) {
		if ((n = dns_query(cur, type, ans, DNS_TCP_MAX, why)) < 0) {
			status = n == -2 ? DNS_INVAL : DNS_RETRY;
			goto done;
		}
		status = dns_parse_reply(ans, n, cur, type, list, canon, sizeof(canon), why);
		/* A chain that ends without data at a new name: ask that name. */
		if (status != DNS_NODATA || strcasecmp(canon, cur) == 0)
			goto done;
		snprintf(cur, sizeof(cur), "%s", canon);
	}
	vstring_sprintf(why, "CNAME chain too long for %s", name);
	status = DNS_INVAL;
done:
	myfree(ans);
	return status;
}

/* dns_lookup_addr - A and/or AAAA records */

int
dns_lookup_addr(const char *name, int families, DNS_RR **list, VSTRING *why)
{
	DNS_RR	*v4 = NULL, *v6 = NULL;
	VSTRING	*why6 = vstring_alloc(100);
	int	 s4 = DNS_NODATA, s6 = DNS_NODATA;

	*list = NULL;
	if (families & DNS_FAM_V4)
		s4 = dns_lookup(name, DNS_T_A, &v4, why);
	if ((families & DNS_FAM_V6) && s4 != DNS_NOTFOUND)
		s6 = dns_lookup(name, DNS_T_AAAA, &v6, why6);
	if (s4 == DNS_OK || s6 == DNS_OK) {
		*list = dns_rr_append(v4, v6);
		vstring_free(why6);
		return DNS_OK;
	}
	if (s4 == DNS_NOTFOUND || (!(families & DNS_FAM_V4) && s6 == DNS_NOTFOUND)) {
		if (!(families & DNS_FAM_V4))
			vstring_strcpy(why, vstring_str(why6));
		vstring_free(why6);
		return DNS_NOTFOUND;
	}
	if (s4 == DNS_RETRY || s6 == DNS_RETRY) {
		if (s4 != DNS_RETRY)
			vstring_strcpy(why, vstring_str(why6));
		vstring_free(why6);
		return DNS_RETRY;
	}
	if (!(families & DNS_FAM_V4))
		vstring_strcpy(why, vstring_str(why6));
	else if (families & DNS_FAM_V6)
		vstring_sprintf(why, "no A or AAAA record for %s", name);
	vstring_free(why6);
	return s4 == DNS_INVAL ? DNS_INVAL : s6 == DNS_INVAL && !(families & DNS_FAM_V4) ?
	    DNS_INVAL : DNS_NODATA;
}

/* dns_rr_free - free a list */

void
dns_rr_free(DNS_RR *list)
{
	DNS_RR	*next;

	for (; list != NULL; list = next) {
		next = list->next;
		myfree(list->name);
		myfree(list->data);
		myfree(list);
	}
}

/* dns_rr_append - concatenate two lists */

DNS_RR *
dns_rr_append(DNS_RR *list, DNS_RR *more)
{
	DNS_RR	*rr;

	if (list == NULL)
		return more;
	for (rr = list; rr->next != NULL; rr = rr->next)
		;
	rr->next = more;
	return list;
}

/* dns_rr_count - list length */

size_t
dns_rr_count(const DNS_RR *list)
{
	size_t	 n = 0;

	for (; list != NULL; list = list->next)
		n++;
	return n;
}

/* dns_rr_cmp_pref - qsort helper */

static int
dns_rr_cmp_pref(const void *a, const void *b)
{
	const DNS_RR *ra = *(DNS_RR *const *)a, *rb = *(DNS_RR *const *)b;

	return ra->pref < rb->pref ? -1 : ra->pref > rb->pref ? 1 : 0;
}

/* dns_rr_sort_mx - preference order, equal preferences shuffled */

DNS_RR *
dns_rr_sort_mx(DNS_RR *list, int randomize)
{
	size_t	 n = dns_rr_count(list), i, j, start;
	DNS_RR	**vec, *tmp;

	if (n < 2)
		return list;
	vec = mymalloc(n * sizeof(*vec));
	for (i = 0; list != NULL; list = list->next)
		vec[i++] = list;
	/* Shuffle first, then a stable sort keeps the shuffle within a group. */
	if (randomize) {
		for (i = n - 1; i > 0; i--) {
			j = myrandom_uniform((uint32_t)i + 1);
			tmp = vec[i];
			vec[i] = vec[j];
			vec[j] = tmp;
		}
	}
	/* Insertion sort: stable, and MX lists are short. */
	for (start = 1; start < n; start++) {
		tmp = vec[start];
		for (j = start; j > 0 && dns_rr_cmp_pref(&vec[j - 1], &tmp) > 0; j--)
			vec[j] = vec[j - 1];
		vec[j] = tmp;
	}
	for (i = 0; i + 1 < n; i++)
		vec[i]->next = vec[i + 1];
	vec[n - 1]->next = NULL;
	list = vec[0];
	myfree(vec);
	return list;
}
