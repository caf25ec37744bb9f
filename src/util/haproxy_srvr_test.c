/* haproxy_srvr_test - unit tests for haproxy_srvr(3). */
#include <sys/socket.h>
#include <sys/wait.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "haproxy_srvr.h"
#include "ptest.h"

static const unsigned char sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

static ssize_t
parse_str(const char *s, HAPROXY_ENDPT *ep, const char **why)
{
	*why = NULL;
	return haproxy_srvr_parse((const unsigned char *)s, strlen(s), ep, why);
}

/* A v2 header: cmd, fam, body of blen octets; returns its length. */
static size_t
v2(unsigned char *out, int cmd, int fam, const unsigned char *body, size_t blen)
{
	memcpy(out, sig, 12);
	out[12] = (unsigned char)cmd;
	out[13] = (unsigned char)fam;
	out[14] = (unsigned char)(blen >> 8);
	out[15] = (unsigned char)blen;
	memcpy(out + 16, body, blen);
	return 16 + blen;
}

PTEST(v1_tcp4_and_tcp6)
{
	HAPROXY_ENDPT ep;
	const char *why;
	const char *l4 = "PROXY TCP4 192.0.2.7 198.51.100.1 40000 25\r\nEHLO x\r\n";
	const char *l6 = "PROXY TCP6 2001:db8::5 ::ffff:203.0.113.9 65535 0\r\n";

	PT_INTEQ(parse_str(l4, &ep, &why), 44);
	PT_INTEQ(ep.proxied, 1);
	PT_INTEQ(ep.family, AF_INET);
	PT_STREQ(ep.client_addr, "192.0.2.7");
	PT_INTEQ(ep.client_port, 40000);
	PT_STREQ(ep.server_addr, "198.51.100.1");
	PT_INTEQ(ep.server_port, 25);
	PT_INTEQ(parse_str(l6, &ep, &why), (long long)strlen(l6));
	PT_INTEQ(ep.family, AF_INET6);
	PT_STREQ(ep.client_addr, "2001:db8::5");
	PT_STREQ(ep.server_addr, "203.0.113.9");	/* mapped: shown as IPv4 */
	PT_INTEQ(ep.client_port, 65535);
	PT_INTEQ(parse_str("PROXY UNKNOWN\r\n", &ep, &why), 15);
	PT_INTEQ(ep.proxied, 0);
	PT_INTEQ(parse_str("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n", &ep, &why), 35);
	PT_INTEQ(ep.proxied, 0);
}

PTEST(v1_incomplete_and_bad)
{
	HAPROXY_ENDPT ep;
	const char *why;
	char	 longline[200];
	static const char *bad[] = {
		"PROXY TCP4 192.0.2.7 198.51.100.1 40000\r\n",
		"PROXY TCP4 192.0.2.7 198.51.100.1 40000 25 x\r\n",
		"PROXY TCP4 2001:db8::1 198.51.100.1 40000 25\r\n",
		"PROXY TCP6 192.0.2.7 2001:db8::1 40000 25\r\n",
		"PROXY TCP4 192.0.2.7 198.51.100.1 65536 25\r\n",
		"PROXY TCP4 192.0.2.7 198.51.100.1 -1 25\r\n",
		"PROXY TCP4 192.0.2.7 198.51.100.1 400000 25\r\n",
		"PROXY TCP4 192.0.2.7  198.51.100.1 40000 25\r\n",
		"PROXY UDP4 192.0.2.7 198.51.100.1 40000 25\r\n",
		"PROXY TCP4 192.0.2.256 198.51.100.1 1 25\r\n",
		"PROXY \r\n",
		"EHLO example.com\r\n",
		"proxy TCP4 192.0.2.7 198.51.100.1 40000 25\r\n",
	};

	PT_INTEQ(parse_str("", &ep, &why), 0);
	PT_INTEQ(parse_str("PRO", &ep, &why), 0);
	PT_INTEQ(parse_str("PROXY TCP4 192.0.2.7 19", &ep, &why), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		PT_INTEQ(parse_str(bad[i], &ep, &why), -1);
		PT_ASSERT(why != NULL);
	}
	memset(longline, 0, sizeof(longline));
	memcpy(longline, "PROXY UNKNOWN ", 14);
	memset(longline + 14, 'x', 92);			/* 106 octets, no LF */
	PT_INTEQ(parse_str(longline, &ep, &why), 0);
	longline[106] = '\n';				/* 107: accepted */
	PT_INTEQ(parse_str(longline, &ep, &why), 107);
	longline[106] = 'x';				/* 108 without LF */
	longline[107] = '\n';
	PT_INTEQ(parse_str(longline, &ep, &why), -1);
	PT_STREQ(why, "v1 header too long");
}

PTEST(v2_proxy_local_unspec)
{
	unsigned char h[600], b4[12 + 7] = {
		192, 0, 2, 7, 198, 51, 100, 1, 0x9c, 0x40, 0, 25,
		0x04, 0, 0, 0x01, 0, 1, 0x55,	/* NOOP TLV, then type 1 len 1 */
	}, b6[36] = {0};
	HAPROXY_ENDPT ep;
	const char *why = NULL;
	size_t	 n;

	n = v2(h, 0x21, 0x11, b4, sizeof(b4));
	memcpy(h + n, "EHLO", 4);
	PT_INTEQ(haproxy_srvr_parse(h, n + 4, &ep, &why), (long long)n);
	PT_INTEQ(ep.proxied, 1);
	PT_STREQ(ep.client_addr, "192.0.2.7");
	PT_INTEQ(ep.client_port, 40000);
	PT_STREQ(ep.server_addr, "198.51.100.1");
	PT_INTEQ(ep.server_port, 25);
	for (size_t i = 0; i < n; i++)		/* every prefix: incomplete */
		PT_INTEQ(haproxy_srvr_parse(h, i, &ep, &why), 0);
	b6[0] = 0x20; b6[1] = 0x01; b6[2] = 0x0d; b6[3] = 0xb8; b6[15] = 9;
	b6[26] = 0xff; b6[27] = 0xff; b6[28] = 127; b6[31] = 1;
	b6[32] = 0xff; b6[33] = 0xff; b6[35] = 1;
	n = v2(h, 0x21, 0x21, b6, sizeof(b6));
	PT_INTEQ(haproxy_srvr_parse(h, n, &ep, &why), (long long)n);
	PT_STREQ(ep.client_addr, "2001:db8::9");
	PT_INTEQ(ep.family, AF_INET6);
	PT_STREQ(ep.server_addr, "127.0.0.1");
	PT_INTEQ(ep.client_port, 65535);
	n = v2(h, 0x20, 0x11, b4, sizeof(b4));	/* LOCAL */
	PT_INTEQ(haproxy_srvr_parse(h, n, &ep, &why), (long long)n);
	PT_INTEQ(ep.proxied, 0);
	n = v2(h, 0x21, 0x00, b4, 0);		/* PROXY, UNSPEC */
	PT_INTEQ(haproxy_srvr_parse(h, n, &ep, &why), 16);
	PT_INTEQ(ep.proxied, 0);
}

PTEST(v2_hostile)
{
	unsigned char h[700], body[600] = {
		192, 0, 2, 7, 198, 51, 100, 1, 0x9c, 0x40, 0, 25,
	};
	HAPROXY_ENDPT ep;
	const char *why;
	size_t	 n;

	n = v2(h, 0x22, 0x11, body, 12);	/* unknown command */
	PT_INTEQ(haproxy_srvr_parse(h, n, &ep, &why), -1);
	n = v2(h, 0x11, 0x11, body, 12);	/* version 1 */
	PT_INTEQ(haproxy_srvr_parse(h, n, &ep, &why), -1);
	n = v2(h, 0x21, 0x12, body, 12);	/* datagram */
	PT_INTEQ(haproxy_srvr_parse(h, n, &ep, &why), -1);
	n = v2(h, 0x21, 0x31, body, 216);	/* UNIX stream */
	PT_INTEQ(haproxy_srvr_parse(h, n, &ep, &why), -1);
	n = v2(h, 0x21, 0x11, body, 11);	/* address block short */
	PT_INTEQ(haproxy_srvr_parse(h, n, &ep, &why), -1);
	n = v2(h, 0x21, 0x21, body, 35);
	PT_INTEQ(haproxy_srvr_parse(h, n, &ep, &why), -1);
	/* Too long: refused from the 16 octets of the fixed part. */
	n = v2(h, 0x21, 0x11, body, HAPROXY_MAX_LEN - 16 + 1);
	PT_INTEQ(haproxy_srvr_parse(h, 16, &ep, &why), -1);
	PT_STREQ(why, "v2 header too long");
	n = v2(h, 0x21, 0x11, body, HAPROXY_MAX_LEN - 16);
	PT_INTEQ(haproxy_srvr_parse(h, n, &ep, &why), -1);	/* zero TLVs */
	/* A TLV that claims more than the header holds. */
	body[12] = 1; body[13] = 0; body[14] = 5;
	n = v2(h, 0x21, 0x11, body, 12 + 3 + 4);
	PT_INTEQ(haproxy_srvr_parse(h, n, &ep, &why), -1);
	PT_STREQ(why, "malformed v2 TLV");
	n = v2(h, 0x21, 0x11, body, 12 + 2);	/* a TLV cut in its header */
	PT_INTEQ(haproxy_srvr_parse(h, n, &ep, &why), -1);
	n = v2(h, 0x21, 0x11, body, 12 + 3 + 5);
	PT_INTEQ(haproxy_srvr_parse(h, n, &ep, &why), (long long)n);
	h[3] = 0x0b;				/* broken signature */
	PT_INTEQ(haproxy_srvr_parse(h, n, &ep, &why), -1);
}

PTEST(receive_split_and_leave_rest)
{
	int	 sv[2];
	HAPROXY_ENDPT ep;
	VSTRING	*why = vstring_alloc(10);
	char	 rest[16] = {0};
	pid_t	 pid;
	int	 status;
	const char *p1 = "PROXY TCP4 192.0.2.7 1", *p2 = "98.51.100.1 5 25\r\nQUIT\r\n";

	PT_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	PT_ASSERT(write(sv[1], p1, strlen(p1)) == (ssize_t)strlen(p1));
	/* The rest arrives later: the first peek sees an incomplete line. */
	if ((pid = fork()) == 0) {
		usleep(100000);
		_exit(write(sv[1], p2, strlen(p2)) != (ssize_t)strlen(p2));
	}
	PT_ASSERT(pid > 0);
	PT_INTEQ(haproxy_srvr_receive(sv[0], 5, &ep, why), 0);
	PT_ASSERT(waitpid(pid, &status, 0) == pid && status == 0);
	PT_STREQ(ep.server_addr, "198.51.100.1");
	PT_INTEQ(ep.client_port, 5);
	PT_INTEQ(read(sv[0], rest, sizeof(rest) - 1), 6);
	PT_STREQ(rest, "QUIT\r\n");
	close(sv[1]);
	PT_INTEQ(haproxy_srvr_receive(sv[0], 5, &ep, why), -1);
	PT_STREQ(vstring_str(why), "unexpected EOF");
	close(sv[0]);
	vstring_free(why);
}

PTEST(receive_timeout)
{
	int	 sv[2];
	HAPROXY_ENDPT ep;
	VSTRING	*why = vstring_alloc(10);
	time_t	 t0 = time(NULL);

	PT_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	PT_ASSERT(write(sv[1], "PROXY ", 6) == 6);
	PT_INTEQ(haproxy_srvr_receive(sv[0], 1, &ep, why), -1);
	PT_STREQ(vstring_str(why), "time limit exceeded");
	PT_ASSERT(time(NULL) - t0 <= 3);
	close(sv[0]);
	close(sv[1]);
	vstring_free(why);
}

int
main(void)
{
	PT_RUN(v1_tcp4_and_tcp6);
	PT_RUN(v1_incomplete_and_bad);
	PT_RUN(v2_proxy_local_unspec);
	PT_RUN(v2_hostile);
	PT_RUN(receive_split_and_leave_rest);
	PT_RUN(receive_timeout);
	return PT_DONE();
}
