/*
 * addr_match_test - unit tests for addr_match.
 */
#include "addr_match.h"
#include "msg.h"
#include "ptest.h"

PTEST(cidr)
{
	PT_INTEQ(addr_match_cidr("127.0.0.1", "127.0.0.0/8"), 1);
	PT_INTEQ(addr_match_cidr("128.0.0.1", "127.0.0.0/8"), 0);
	PT_INTEQ(addr_match_cidr("192.0.2.129", "192.0.2.128/25"), 1);
	PT_INTEQ(addr_match_cidr("192.0.2.127", "192.0.2.128/25"), 0);
	PT_INTEQ(addr_match_cidr("::1", "[::1]/128"), 1);
	PT_INTEQ(addr_match_cidr("2001:db8:1::5", "2001:db8::/32"), 1);
	PT_INTEQ(addr_match_cidr("2001:db9::5", "2001:db8::/32"), 0);
	PT_INTEQ(addr_match_cidr("::ffff:10.1.2.3", "10.0.0.0/8"), 1);
	PT_INTEQ(addr_match_cidr("10.1.2.3", "::/0"), 0);
	PT_INTEQ(addr_match_cidr("10.1.2.3", "0.0.0.0/0"), 1);
	PT_INTEQ(addr_match_cidr("10.1.2.3", "10.0.0.1/8"), -1);
	PT_INTEQ(addr_match_cidr("10.1.2.3", "10.0.0.0/33"), -1);
	PT_INTEQ(addr_match_cidr("garbage", "10.0.0.0/8"), 0);
}

PTEST(lists)
{
	ADDR_MATCH *m = addr_match_init("!127.0.0.9 127.0.0.0/8, [::1]/128 192.0.2.7 [2001:db8::1]", 0, NULL);

	PT_ASSERT(m != NULL);
	PT_INTEQ(addr_match(m, "127.0.0.1"), 1);
	PT_INTEQ(addr_match(m, "127.0.0.9"), 0);
	PT_INTEQ(addr_match(m, "::1"), 1);
	PT_INTEQ(addr_match(m, "[::1]"), 1);
	PT_INTEQ(addr_match(m, "192.0.2.7"), 1);
	PT_INTEQ(addr_match(m, "192.0.2.8"), 0);
	PT_INTEQ(addr_match(m, "2001:db8::1"), 1);
	PT_INTEQ(addr_match(m, "2001:db8::2"), 0);
	PT_INTEQ(addr_match(m, "::ffff:127.0.0.2"), 1);
	PT_INTEQ(addr_match(m, ""), 0);
	addr_match_free(m);
	PT_ASSERT(addr_match_init("127.0.0.1/8", 0, NULL) == NULL);
	PT_ASSERT(addr_match_init("300.1.1.1", 0, NULL) == NULL);
	PT_ASSERT(addr_match_init("1.2.3.4/33", 0, NULL) == NULL);
	PT_ASSERT(addr_match_init("[not-an-address]", 0, NULL) == NULL);
	PT_ASSERT(addr_match_init("dead:beef::/200", 0, NULL) == NULL);
	PT_ASSERT(addr_match_init("a b@c", 0, NULL) == NULL);
	m = addr_match_init("", 0, NULL);
	PT_INTEQ(addr_match(m, "127.0.0.1"), 0);
	addr_match_free(m);
}

PTEST(tables)
{
	ADDR_MATCH *m = addr_match_init("inline:{ 192.0.2.5=ok } 10.0.0.0/8", 0, NULL);

	PT_ASSERT(m != NULL);
	PT_INTEQ(addr_match(m, "192.0.2.5"), 1);
	PT_INTEQ(addr_match(m, "192.0.2.6"), 0);
	PT_INTEQ(addr_match(m, "10.9.9.9"), 1);
	PT_INTEQ(addr_match(m, "::ffff:192.0.2.5"), 1);
	PT_INTEQ(addr_match(m, "[192.0.2.5]"), 1);
	addr_match_free(m);
	/* Tables are also queried with the client name and its parents. */
	m = addr_match_init("inline:{ host.example=ok, example.org=ok }", 0, NULL);
	PT_INTEQ(addr_match_client(m, "192.0.2.1", "HOST.example."), 1);
	PT_INTEQ(addr_match_client(m, "192.0.2.1", "a.host.example"), 0);
	PT_INTEQ(addr_match_client(m, "192.0.2.1", "unknown"), 0);
	addr_match_free(m);
	m = addr_match_init("inline:{ example.org=ok }", ADDR_MATCH_PARENT, NULL);
	PT_INTEQ(addr_match_client(m, "192.0.2.1", "mx.example.org"), 1);
	addr_match_free(m);
	/* A table that cannot be read fails the match (answer 4xx). */
	m = addr_match_init("!192.0.2.9 hash:/nonexistent/postern-test 10.0.0.0/8", 0, NULL);
	PT_INTEQ(addr_match(m, "10.1.1.1"), -1);
	PT_INTEQ(addr_match(m, "192.0.2.9"), 0);
	addr_match_free(m);
}

PTEST(names)
{
	ADDR_MATCH *m = addr_match_init("!127.0.0.7 127.0.0.0/8 .example.com host.example.org", 0, NULL);

	PT_ASSERT(m != NULL);
	PT_INTEQ(addr_match_client(m, "127.0.0.1", "unknown"), 1);
	PT_INTEQ(addr_match_client(m, "127.0.0.7", "unknown"), 0);
	PT_INTEQ(addr_match_client(m, "192.0.2.1", "a.example.com"), 1);
	PT_INTEQ(addr_match_client(m, "192.0.2.1", "example.com"), 0);
	PT_INTEQ(addr_match_client(m, "192.0.2.1", "HOST.example.org"), 1);
	PT_INTEQ(addr_match_client(m, "192.0.2.1", "host.example.org."), 1);
	PT_INTEQ(addr_match_client(m, "192.0.2.1", "x.host.example.org"), 0);
	PT_INTEQ(addr_match_client(m, "192.0.2.1", NULL), 0);
	PT_INTEQ(addr_match(m, "192.0.2.1"), 0);
	addr_match_free(m);
	m = addr_match_init("host.example.org", ADDR_MATCH_PARENT, NULL);
	PT_INTEQ(addr_match_client(m, "192.0.2.1", "x.host.example.org"), 1);
	PT_INTEQ(addr_match_client(m, "192.0.2.1", "xhost.example.org"), 0);
	addr_match_free(m);
}

PTEST(mapped)
{
	ADDR_MATCH *m = addr_match_init("[::ffff:127.0.0.0]/104 [::1]/128", 0, NULL);

	PT_ASSERT(m != NULL);
	PT_INTEQ(addr_match(m, "127.3.4.5"), 1);
	PT_INTEQ(addr_match(m, "::ffff:127.3.4.5"), 1);
	PT_INTEQ(addr_match(m, "128.0.0.1"), 0);
	PT_INTEQ(addr_match(m, "::2"), 0);
	addr_match_free(m);
	PT_INTEQ(addr_match_cidr("10.1.3.200", "10.1.2.0/23"), 1);
	PT_INTEQ(addr_match_cidr("10.1.3.200", "10.1.2.0/24"), 0);
	PT_INTEQ(addr_match_cidr("::1", "[::1]"), 1);
	PT_INTEQ(addr_match_cidr("127.0.0.1", "2001:db8::/32"), 0);
}

int
main(void)
{
	msg_init("postern", "addr_match_test");
	PT_RUN(cidr);
	PT_RUN(lists);
	PT_RUN(tables);
	PT_RUN(names);
	PT_RUN(mapped);
	return PT_DONE();
}
