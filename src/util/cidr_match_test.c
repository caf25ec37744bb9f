/*
 * cidr_match_test - unit tests for cidr_match: addresses, networks,
 * prefixes, host bits, the client forms (brackets, IPv4-mapped).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <string.h>

#include "cidr_match.h"
#include "msg.h"
#include "ptest.h"

static VSTRING *why;

/* Does addr lie in pattern? -1: the pattern does not parse. */
static int
in(const char *addr, const char *pattern, int flags)
{
	CIDR_MATCH net;
	unsigned char a[16];
	int	 fam;

	if (cidr_match_parse(&net, pattern, flags, why) < 0)
		return -1;
	fam = cidr_match_addr(addr, strlen(addr), flags, a);
	return cidr_match_contains(&net, fam, a);
}

PTEST(addresses)
{
	unsigned char a[16];

	PT_INTEQ(cidr_match_addr("192.0.2.1", 9, 0, a), AF_INET);
	PT_ASSERT(memcmp(a, "\xc0\x00\x02\x01", 4) == 0);
	PT_INTEQ(cidr_match_addr("192.0.2.1xyz", 9, 0, a), AF_INET);
	PT_INTEQ(cidr_match_addr("2001:db8::1", 11, 0, a), AF_INET6);
	PT_INTEQ(cidr_match_addr("[2001:db8::1]", 13, 0, a), AF_INET6);
	PT_INTEQ(cidr_match_addr("[192.0.2.1]", 11, 0, a), 0);
	PT_INTEQ(cidr_match_addr("[192.0.2.1]", 11, CIDR_MATCH_CLIENT, a), AF_INET);
	PT_INTEQ(cidr_match_addr("::ffff:10.1.2.3", 15, 0, a), AF_INET6);
	PT_INTEQ(cidr_match_addr("::ffff:10.1.2.3", 15, CIDR_MATCH_CLIENT, a), AF_INET);
	PT_ASSERT(memcmp(a, "\x0a\x01\x02\x03", 4) == 0);
	PT_INTEQ(cidr_match_addr("", 0, 0, a), 0);
	PT_INTEQ(cidr_match_addr("[]", 2, 0, a), 0);
	PT_INTEQ(cidr_match_addr("1.2.3.4.5", 9, 0, a), 0);
	PT_INTEQ(cidr_match_addr("example.com", 11, 0, a), 0);
	PT_INTEQ(cidr_match_addr("0000:0000:0000:0000:0000:0000:0000:0000:0000:1",
	    46, 0, a), 0);		/* longer than any address */
}

PTEST(networks)
{
	PT_INTEQ(in("127.0.0.1", "127.0.0.0/8", 0), 1);
	PT_INTEQ(in("128.0.0.1", "127.0.0.0/8", 0), 0);
	PT_INTEQ(in("192.0.2.129", "192.0.2.128/25", 0), 1);
	PT_INTEQ(in("192.0.2.127", "192.0.2.128/25", 0), 0);
	PT_INTEQ(in("10.1.3.200", "10.1.2.0/23", 0), 1);
	PT_INTEQ(in("10.1.3.200", "10.1.2.0/24", 0), 0);
	PT_INTEQ(in("10.0.0.1", "10.0.0.1", 0), 1);
	PT_INTEQ(in("10.0.0.2", "10.0.0.1", 0), 0);
	PT_INTEQ(in("10.1.2.3", "0.0.0.0/0", 0), 1);
	PT_INTEQ(in("2001:db8:1::5", "2001:db8::/32", 0), 1);
	PT_INTEQ(in("2001:db9::5", "2001:db8::/32", 0), 0);
	PT_INTEQ(in("2001:db9::5", "[2000::]/15", 0), 1);
	PT_INTEQ(in("::1", "[::1]", 0), 1);
	PT_INTEQ(in("::1", "::/0", 0), 1);
	PT_INTEQ(in("10.1.2.3", "::/0", 0), 0);		/* other family */
	PT_INTEQ(in("::1", "0.0.0.0/0", 0), 0);
	PT_INTEQ(in("garbage", "0.0.0.0/0", 0), 0);
	/* A mapped client is IPv4 only with CIDR_MATCH_CLIENT. */
	PT_INTEQ(in("::ffff:10.1.2.3", "10.0.0.0/8", 0), 0);
	PT_INTEQ(in("::ffff:10.1.2.3", "10.0.0.0/8", CIDR_MATCH_CLIENT), 1);
	PT_INTEQ(in("::ffff:10.1.2.3", "::ffff:10.0.0.0/104", 0), 1);
	PT_INTEQ(in("10.1.2.3", "[::ffff:10.0.0.0]/104", CIDR_MATCH_CLIENT), 1);
	PT_INTEQ(in("11.1.2.3", "[::ffff:10.0.0.0]/104", CIDR_MATCH_CLIENT), 0);
}

PTEST(bad_patterns)
{
	PT_INTEQ(in("10.1.2.3", "10.0.0.1/8", 0), -1);
	PT_STREQ(vstring_str(why), "\"10.0.0.1/8\" has host bits set below the prefix");
	PT_INTEQ(in("10.1.2.3", "10.0.0.0/33", 0), -1);
	PT_STREQ(vstring_str(why), "bad prefix length \"/33\" (0..32)");
	PT_INTEQ(in("::1", "::/129", 0), -1);
	PT_INTEQ(in("10.1.2.3", "10.0.0.0/", 0), -1);
	PT_INTEQ(in("10.1.2.3", "10.0.0.0/+8", 0), -1);
	PT_INTEQ(in("10.1.2.3", "10.0.0.0/8x", 0), -1);
	PT_INTEQ(in("10.1.2.3", "10.0.0.0/99999999999999999999", 0), -1);
	PT_INTEQ(in("10.1.2.3", "10.0.0.300/8", 0), -1);
	PT_STREQ(vstring_str(why), "bad address \"10.0.0.300\"");
	PT_INTEQ(in("10.1.2.3", "[10.0.0.0]/8", 0), -1);
	PT_INTEQ(in("10.1.2.3", "[10.0.0.0]/8", CIDR_MATCH_CLIENT), 1);
	PT_INTEQ(in("10.1.2.3", "[::ffff:10.0.0.0]/8", CIDR_MATCH_CLIENT), -1);
	PT_STREQ(vstring_str(why), "bad prefix length \"/8\" (96..128)");
	PT_INTEQ(in("10.1.2.3", "[::1/128]", 0), -1);
	PT_INTEQ(in("10.1.2.3", "", 0), -1);
	PT_INTEQ(in("10.1.2.3", "/8", 0), -1);
}

PTEST(mask)
{
	unsigned char a[16];

	memcpy(a, "\x0a\x01\xff\x03", 4);
	cidr_match_mask(a, AF_INET, 12);
	PT_ASSERT(memcmp(a, "\x0a\x00\x00\x00", 4) == 0);
	memset(a, 0xff, sizeof(a));
	cidr_match_mask(a, AF_INET6, 121);
	PT_INTEQ(a[14], 0xff);
	PT_INTEQ(a[15], 0x80);
	memset(a, 0xff, sizeof(a));
	cidr_match_mask(a, AF_INET6, 128);
	PT_INTEQ(a[15], 0xff);
	cidr_match_mask(a, AF_INET6, 0);
	PT_INTEQ(a[0], 0);
}

int
main(void)
{
	msg_init("postern", "cidr_match_test");
	why = vstring_alloc(64);
	PT_RUN(addresses);
	PT_RUN(networks);
	PT_RUN(bad_patterns);
	PT_RUN(mask);
	vstring_free(why);
	return PT_DONE();
}
