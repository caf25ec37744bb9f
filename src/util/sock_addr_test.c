/*
 * sock_addr_test - unit tests for sock_addr: text forms of addresses.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include "ptest.h"
#include "sock_addr.h"

PTEST(addr_text)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char	 addr[SOCK_ADDR_STRLEN], small[4];
	int	 port;
	VSTRING	*h = vstring_alloc(10), *p = vstring_alloc(10), *b = vstring_alloc(10);
	int	 br;

	PT_INTEQ(sock_addr_pton("192.0.2.1", 25, &ss, &len), AF_INET);
	PT_INTEQ(sock_addr_ntop((struct sockaddr *)&ss, len, addr, sizeof(addr), &port), 0);
	PT_STREQ(addr, "192.0.2.1");
	PT_INTEQ(port, 25);
	PT_INTEQ(sock_addr_ntop((struct sockaddr *)&ss, len, small, sizeof(small), &port), -1);
	PT_INTEQ(sock_addr_pton("[IPv6:2001:DB8::1]", 587, &ss, &len), AF_INET6);
	PT_INTEQ(sock_addr_ntop((struct sockaddr *)&ss, len, addr, sizeof(addr), &port), 0);
	PT_STREQ(addr, "2001:db8::1");
	PT_INTEQ(sock_addr_pton("::ffff:127.0.0.9", 1, &ss, &len), AF_INET6);
	PT_INTEQ(sock_addr_ntop((struct sockaddr *)&ss, len, addr, sizeof(addr), NULL), 0);
	PT_STREQ(addr, "127.0.0.9");
	PT_ASSERT(sock_addr_is_loopback((struct sockaddr *)&ss));
	PT_INTEQ(sock_addr_pton("[::1]", 1, &ss, &len), AF_INET6);
	PT_ASSERT(sock_addr_is_loopback((struct sockaddr *)&ss));
	PT_INTEQ(sock_addr_pton("192.0.2.1", 1, &ss, &len), AF_INET);
	PT_ASSERT(!sock_addr_is_loopback((struct sockaddr *)&ss));
	PT_INTEQ(sock_addr_pton("fe80::1%lo", 1, &ss, &len), AF_INET6);
	PT_INTEQ(sock_addr_ntop((struct sockaddr *)&ss, len, addr, sizeof(addr), NULL), 0);
	PT_STREQ(addr, "fe80::1%lo");
	PT_INTEQ(sock_addr_pton("IPv6:192.0.2.1", 1, &ss, &len), -1);
	PT_INTEQ(sock_addr_pton("example.com", 1, &ss, &len), -1);
	PT_INTEQ(sock_addr_pton("1.2.3.4", 70000, &ss, &len), -1);
	PT_INTEQ(sock_addr_pton("[]", 1, &ss, &len), -1);
	PT_INTEQ(sock_addr_pton("", 1, &ss, &len), -1);
	PT_INTEQ(sock_addr_family("10.0.0.1"), AF_INET);
	PT_INTEQ(sock_addr_family("::"), AF_INET6);
	PT_INTEQ(sock_addr_family("mx.example.com"), 0);
	PT_INTEQ(sock_addr_family("1.2.3"), 0);

	PT_INTEQ(sock_addr_split("[mx.example]:2525", h, p, "25", &br), 0);
	PT_STREQ(vstring_str(h), "mx.example");
	PT_STREQ(vstring_str(p), "2525");
	PT_INTEQ(br, 1);
	PT_INTEQ(sock_addr_split("example.com", h, p, "smtp", &br), 0);
	PT_STREQ(vstring_str(h), "example.com");
	PT_STREQ(vstring_str(p), "smtp");
	PT_INTEQ(br, 0);
	PT_INTEQ(sock_addr_split("2001:db8::1", h, p, NULL, NULL), 0);
	PT_STREQ(vstring_str(h), "2001:db8::1");
	PT_STREQ(vstring_str(p), "");
	PT_INTEQ(sock_addr_split("[::1]:24", h, p, NULL, NULL), 0);
	PT_STREQ(vstring_str(h), "::1");
	PT_STREQ(vstring_str(p), "24");
	PT_INTEQ(sock_addr_split("[::1]", h, p, "25", NULL), 0);
	PT_STREQ(vstring_str(p), "25");
	PT_INTEQ(sock_addr_split("[::1]:", h, p, "25", NULL), -1);
	PT_INTEQ(sock_addr_split("[::1]x", h, p, NULL, NULL), -1);
	PT_INTEQ(sock_addr_split("[]:25", h, p, NULL, NULL), -1);
	PT_INTEQ(sock_addr_split(":25", h, p, NULL, NULL), -1);
	PT_INTEQ(sock_addr_split("host:", h, p, NULL, NULL), -1);
	PT_INTEQ(sock_addr_split("host:0", h, p, NULL, NULL), 0);
	PT_INTEQ(sock_addr_split("host:65536", h, p, NULL, NULL), -1);
	PT_INTEQ(sock_addr_split("host:a b", h, p, NULL, NULL), -1);
	PT_INTEQ(sock_addr_split("a]b:25", h, p, NULL, NULL), -1);
	PT_STREQ(sock_addr_hostaddr(b, "mx.example", "192.0.2.1", 25),
	    "mx.example[192.0.2.1]:25");
	PT_STREQ(sock_addr_hostaddr(b, "unknown", "::1", 0), "unknown[::1]");
	vstring_free(h);
	vstring_free(p);
	vstring_free(b);
}

int
main(void)
{
	PT_RUN(addr_text);
	return PT_DONE();
}
