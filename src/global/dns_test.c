/*
 * dns_test - unit tests for dns.c: reply parsing, and real queries to a
 * forked test server on 127.0.0.1 at an unprivileged port (UDP, and TCP
 * after a truncated UDP reply).
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dns.h"
#include "mymalloc.h"
#include "ptest.h"
#include "vstring.h"

/* Reply builder: uncompressed names. */
static size_t
put_name(unsigned char *p, const char *name)
{
	size_t	 n = 0, len;
	const char *dot;

	while (*name) {
		dot = strchr(name, '.');
		len = dot ? (size_t)(dot - name) : strlen(name);
		p[n++] = len;
		memcpy(p + n, name, len);
		n += len;
		name += len + (dot ? 1 : 0);
	}
	p[n++] = 0;
	return n;
}

static size_t
put_rr(unsigned char *p, const char *name, int type, const void *rd, size_t rdlen)
{
	size_t	 n = put_name(p, name);

	p[n++] = type >> 8;
	p[n++] = type & 0xff;
	p[n++] = 0;
	p[n++] = 1;		/* IN */
	memset(p + n, 0, 3);
	p[n + 3] = 60;		/* TTL */
	n += 4;
	p[n++] = rdlen >> 8;
	p[n++] = rdlen & 0xff;
	memcpy(p + n, rd, rdlen);
	return n + rdlen;
}

static size_t
put_mx(unsigned char *p, const char *owner, int pref, const char *host)
{
	unsigned char rd[300];
	size_t	 n;

	rd[0] = pref >> 8;
	rd[1] = pref & 0xff;
	n = put_name(rd + 2, host) + 2;
	return put_rr(p, owner, DNS_T_MX, rd, n);
}

/* build - a reply to the query q for the zone the tests know */
static size_t
build(const unsigned char *q, size_t qlen, unsigned char *r, int tcp)
{
	char	 qname[256];
	size_t	 n, i, qend;
	int	 an = 0, rcode = 0, qtype, tc = 0;
	unsigned char a4[4] = {192, 0, 2, 1}, a6[16] = {0x20, 0x01, 0x0d, 0xb8};
	unsigned char cname[300];

	/* Decode the question name (uncompressed by construction). */
	for (i = 12, n = 0; i < qlen && q[i]; i += q[i] + 1) {
		if (n)
			qname[n++] = '.';
		memcpy(qname + n, q + i + 1, q[i]);
		n += q[i];
	}
	qname[n] = 0;
	qend = i + 5;
	qtype = q[i + 1] << 8 | q[i + 2];
	memcpy(r, q, qend);
	n = qend;
	if (strcasecmp(qname, "mx.test") == 0 && qtype == DNS_T_MX) {
		n += put_mx(r + n, "mx.test", 20, "b.test");
		n += put_mx(r + n, "mx.test", 10, "a.test");
		n += put_mx(r + n, "mx.test", 30, "c.test");
		an = 3;
	} else if (strcasecmp(qname, "a.test") == 0 && qtype == DNS_T_A) {
		n += put_rr(r + n, "a.test", DNS_T_A, a4, 4);
		an = 1;
	} else if (strcasecmp(qname, "a.test") == 0 && qtype == DNS_T_AAAA) {
		n += put_rr(r + n, "a.test", DNS_T_AAAA, a6, 16);
		an = 1;
	} else if (strcasecmp(qname, "cn.test") == 0) {
		n += put_rr(r + n, "cn.test", DNS_T_CNAME, cname, put_name(cname, "a.test"));
		an = 1;
		if (qtype == DNS_T_A) {
			n += put_rr(r + n, "a.test", DNS_T_A, a4, 4);
			an = 2;
		}
	} else if (strcasecmp(qname, "cn2.test") == 0) {
		/* CNAME only: the client must ask again for the target. */
		n += put_rr(r + n, "cn2.test", DNS_T_CNAME, cname, put_name(cname, "a.test"));
		an = 1;
	} else if (strcasecmp(qname, "loop.test") == 0) {
		n += put_rr(r + n, "loop.test", DNS_T_CNAME, cname, put_name(cname, "loop.test"));
		an = 1;
	} else if (strcasecmp(qname, "big.test") == 0 && qtype == DNS_T_A) {
		if (!tcp)
			tc = 1;
		else {
			n += put_rr(r + n, "big.test", DNS_T_A, a4, 4);
			an = 1;
		}
	} else if (strcasecmp(qname, "sf.test") == 0)
		rcode = 2;
	else if (strcasecmp(qname, "a.test") != 0 && strcasecmp(qname, "mx.test") != 0)
		rcode = 3;
	r[2] = 0x80 | (q[2] & 0x01) | (tc ? 0x02 : 0);
	r[3] = 0x80 | rcode;
	r[6] = 0;
	r[7] = an;
	memset(r + 8, 0, 4);
	return n;
}

static void
serve(int ufd, int tfd)
{
	unsigned char q[1024], r[4096], hdr[2];
	struct sockaddr_storage from;
	socklen_t flen;
	struct pollfd pfd[2];
	ssize_t	 n;
	size_t	 rl;
	int	 c;

	pfd[0].fd = ufd;
	pfd[1].fd = tfd;
	pfd[0].events = pfd[1].events = POLLIN;
	alarm(30);
	for (;;) {
		if (poll(pfd, 2, -1) < 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			flen = sizeof(from);
			n = recvfrom(ufd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);
			if (n > 12) {
				rl = build(q, n, r, 0);
				sendto(ufd, r, rl, 0, (struct sockaddr *)&from, flen);
			}
		}
		if (pfd[1].revents & POLLIN) {
			if ((c = accept(tfd, NULL, NULL)) < 0)
				continue;
			if (read(c, hdr, 2) == 2 && (n = read(c, q, hdr[0] << 8 | hdr[1])) > 12) {
				rl = build(q, n, r + 2, 1);
				r[0] = rl >> 8;
				r[1] = rl & 0xff;
				if (write(c, r, rl + 2) < 0)
					_exit(1);
			}
			close(c);
		}
	}
}

static pid_t server_pid;
static int server_port;

static void
start_server(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int	 ufd, tfd, on = 1, tries;

	for (tries = 0; tries < 50; tries++) {
		ufd = socket(AF_INET, SOCK_DGRAM, 0);
		tfd = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(tfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(ufd, (struct sockaddr *)&sin, sizeof(sin)) == 0
		    && getsockname(ufd, (struct sockaddr *)&sin, &len) == 0
		    && bind(tfd, (struct sockaddr *)&sin, sizeof(sin)) == 0
		    && listen(tfd, 5) == 0)
			break;
		close(ufd);
		close(tfd);
	}
	server_port = ntohs(sin.sin_port);
	if ((server_pid = fork()) == 0)
		serve(ufd, tfd);
	close(ufd);
	close(tfd);
}

PTEST(set_servers)
{
	VSTRING	*why = vstring_alloc(10);

	PT_INTEQ(dns_set_servers("127.0.0.1:5353, [::1]:53 127.0.0.2", why), 0);
	PT_INTEQ(dns_set_servers("[::1]", why), 0);
	PT_INTEQ(dns_set_servers("::1", why), 0);
	PT_INTEQ(dns_set_servers("127.0.0.1:0", why), -1);
	PT_INTEQ(dns_set_servers("127.0.0.1:99999", why), -1);
	PT_INTEQ(dns_set_servers("not.an.address", why), -1);
	PT_INTEQ(dns_set_servers("[::1", why), -1);
	PT_INTEQ(dns_set_servers("", why), 0);
	vstring_free(why);
}

PTEST(parse_reply)
{
	unsigned char q[64], r[4096];
	size_t	 qn, rn;
	DNS_RR	*list;
	char	 canon[DNS_NAME_MAX];
	VSTRING	*why = vstring_alloc(10);

	memset(q, 0, sizeof(q));
	q[0] = 0x12;
	q[1] = 0x34;
	q[5] = 1;
	qn = 12 + put_name(q + 12, "mx.test");
	q[qn++] = 0;
	q[qn++] = DNS_T_MX;
	q[qn++] = 0;
	q[qn++] = 1;
	rn = build(q, qn, r, 0);
	PT_INTEQ(dns_parse_reply(r, rn, "mx.test", DNS_T_MX, &list, canon, sizeof(canon), why), DNS_OK);
	PT_INTEQ(dns_rr_count(list), 3);
	list = dns_rr_sort_mx(list, 1);
	PT_STREQ(list->data, "a.test");
	PT_INTEQ(list->pref, 10);
	PT_STREQ(list->next->data, "b.test");
	PT_STREQ(list->next->next->data, "c.test");
	dns_rr_free(list);
	/* Asking for another type in the same reply: no data. */
	PT_INTEQ(dns_parse_reply(r, rn, "mx.test", DNS_T_A, &list, canon, sizeof(canon), why), DNS_NODATA);
	PT_ASSERT(list == NULL);
	/* Garbage and truncation are malformed, never a crash. */
	PT_INTEQ(dns_parse_reply(r, 5, "mx.test", DNS_T_MX, &list, canon, sizeof(canon), why), DNS_INVAL);
	PT_INTEQ(dns_parse_reply(r, rn - 3, "mx.test", DNS_T_MX, &list, canon, sizeof(canon), why), DNS_INVAL);
	vstring_free(why);
}

/*
 * An answer whose owner name is a compression pointer out of the
 * message passes the record skip of ns_initparse() but not
 * ns_parserr(): the parser must stop there, never decode the previous
 * (stale) record as if it were a CNAME link.
 */
PTEST(bad_pointer)
{
	unsigned char r[512], a4[4] = {192, 0, 2, 1};
	size_t	 n = 12;
	DNS_RR	*list = NULL;
	char	 canon[DNS_NAME_MAX];
	VSTRING	*why = vstring_alloc(10);

	memset(r, 0, sizeof(r));
	r[2] = 0x81;
	r[3] = 0x80;
	r[7] = 2;			/* ancount */
	n += put_rr(r + n, "x.test", DNS_T_A, a4, 4);
	r[n++] = 0xc0;			/* pointer to offset 255: outside */
	r[n++] = 0xff;
	r[n++] = 0;
	r[n++] = DNS_T_A;
	r[n++] = 0;
	r[n++] = 1;
	n += 4;
	r[n++] = 0;
	r[n++] = 4;
	memcpy(r + n, a4, 4);
	n += 4;
	PT_INTEQ(dns_parse_reply(r, n, "mx.test", DNS_T_MX, &list, canon, sizeof(canon), why), DNS_INVAL);
	PT_ASSERT(list == NULL);
	PT_ASSERT(strstr(vstring_str(why), "malformed") != NULL);
	vstring_free(why);
}

PTEST(live_queries)
{
	VSTRING	*why = vstring_alloc(10);
	char	 spec[64];
	DNS_RR	*list;

	snprintf(spec, sizeof(spec), "127.0.0.1:%d", server_port);
	PT_INTEQ(dns_set_servers(spec, why), 0);
	PT_INTEQ(dns_lookup("mx.test", DNS_T_MX, &list, why), DNS_OK);
	PT_INTEQ(dns_rr_count(list), 3);
	dns_rr_free(list);
	PT_INTEQ(dns_lookup("nx.test", DNS_T_MX, &list, why), DNS_NOTFOUND);
	PT_INTEQ(dns_lookup("sf.test", DNS_T_MX, &list, why), DNS_RETRY);
	PT_INTEQ(dns_lookup("a.test", DNS_T_MX, &list, why), DNS_NODATA);
	PT_INTEQ(dns_lookup("cn.test", DNS_T_A, &list, why), DNS_OK);
	PT_STREQ(list->data, "192.0.2.1");
	PT_STREQ(list->name, "a.test");
	dns_rr_free(list);
	PT_INTEQ(dns_lookup("cn2.test", DNS_T_AAAA, &list, why), DNS_OK);
	PT_STREQ(list->data, "2001:db8::");
	dns_rr_free(list);
	PT_INTEQ(dns_lookup("loop.test", DNS_T_A, &list, why), DNS_INVAL);
	PT_INTEQ(dns_lookup("big.test", DNS_T_A, &list, why), DNS_OK);
	PT_STREQ(list->data, "192.0.2.1");
	dns_rr_free(list);
	PT_INTEQ(dns_lookup_addr("a.test", DNS_FAM_V4 | DNS_FAM_V6, &list, why), DNS_OK);
	PT_INTEQ(dns_rr_count(list), 2);
	dns_rr_free(list);
	PT_INTEQ(dns_lookup_addr("sf.test", DNS_FAM_V4 | DNS_FAM_V6, &list, why), DNS_RETRY);
	PT_INTEQ(dns_lookup_addr("nx.test", DNS_FAM_V4 | DNS_FAM_V6, &list, why), DNS_NOTFOUND);
	PT_INTEQ(dns_lookup("", DNS_T_A, &list, why), DNS_INVAL);
	vstring_free(why);
}

PTEST(no_server)
{
	VSTRING	*why = vstring_alloc(10);
	DNS_RR	*list;
	int	 fd, port;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char	 spec[64];

	/* A port nobody listens on: a temporary failure, promptly. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	getsockname(fd, (struct sockaddr *)&sin, &len);
	port = ntohs(sin.sin_port);
	close(fd);
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", port);
	PT_INTEQ(dns_set_servers(spec, why), 0);
	PT_INTEQ(dns_lookup("mx.test", DNS_T_MX, &list, why), DNS_RETRY);
	dns_set_servers(NULL, why);
	vstring_free(why);
}

int
main(void)
{
	int	 st;

	start_server();
	PT_RUN(set_servers);
	PT_RUN(parse_reply);
	PT_RUN(bad_pointer);
	PT_RUN(live_queries);
	PT_RUN(no_server);
	kill(server_pid, SIGTERM);
	waitpid(server_pid, &st, 0);
	return PT_DONE();
}
