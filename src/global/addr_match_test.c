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
	ADDR_MATCH *m = addr_match_init("!127.0.0.9 127.0.0.0/8, [::1]/128 192.0.2.7 [2001:db8::1]", NULL);

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
	PT_ASSERT(addr_match_init("127.0.0.1/8", NULL) == NULL);
	PT_ASSERT(addr_match_init("not-an-address", NULL) == NULL);
	PT_ASSERT(addr_match_init("300.1.1.1", NULL) == NULL);
	m = addr_match_init("", NULL);
	PT_INTEQ(addr_match(m, "127.0.0.1"), 0);
	addr_match_free(m);
}

PTEST(tables)
{
	ADDR_MATCH *m = addr_match_init("inline:{ 192.0.2.5=ok } 10.0.0.0/8", NULL);

	PT_ASSERT(m != NULL);
	PT_INTEQ(addr_match(m, "192.0.2.5"), 1);
	PT_INTEQ(addr_match(m, "192.0.2.6"), 0);
	PT_INTEQ(addr_match(m, "10.9.9.9"), 1);
	addr_match_free(m);
}

int
main(void)
{
	msg_init("postern", "addr_match_test");
	PT_RUN(cidr);
	PT_RUN(lists);
	PT_RUN(tables);
	return PT_DONE();
}
