/*
 * smtpd_match_test - unit tests for network and domain lists.
 */
#include "ptest.h"
#include "smtpd.h"

PTEST(cidr)
{
	PT_ASSERT(smtpd_match_cidr("127.0.0.0/8", "127.0.0.9"));
	PT_ASSERT(smtpd_match_cidr("127.0.0.1/32", "127.0.0.1"));
	PT_ASSERT(!smtpd_match_cidr("127.0.0.1/32", "127.0.0.9"));
	PT_ASSERT(smtpd_match_cidr("10.1.2.0/23", "10.1.3.200"));
	PT_ASSERT(!smtpd_match_cidr("10.1.2.0/24", "10.1.3.200"));
	PT_ASSERT(smtpd_match_cidr("[::1]/128", "::1"));
	PT_ASSERT(smtpd_match_cidr("[::1]", "::1"));
	PT_ASSERT(smtpd_match_cidr("2001:db8::/32", "2001:db8:1::5"));
	PT_ASSERT(!smtpd_match_cidr("2001:db8::/32", "127.0.0.1"));
	PT_ASSERT(smtpd_match_cidr("0.0.0.0/0", "192.0.2.1"));
	PT_ASSERT(!smtpd_match_cidr("1.2.3.4/33", "1.2.3.4"));
}

PTEST(net_list)
{
	ARGV	*l = argv_split("!127.0.0.7 127.0.0.0/8 .example.com host.example.org", " ");
	int	 err = 0;

	PT_ASSERT(smtpd_match_net(l, "127.0.0.1", "unknown", 0, &err));
	PT_ASSERT(!smtpd_match_net(l, "127.0.0.7", "unknown", 0, &err));
	PT_ASSERT(smtpd_match_net(l, "192.0.2.1", "a.example.com", 0, &err));
	PT_ASSERT(!smtpd_match_net(l, "192.0.2.1", "example.com", 0, &err));
	PT_ASSERT(smtpd_match_net(l, "192.0.2.1", "HOST.example.org", 0, &err));
	PT_ASSERT(!smtpd_match_net(l, "192.0.2.1", "x.host.example.org", 0, &err));
	PT_ASSERT(smtpd_match_net(l, "192.0.2.1", "x.host.example.org", 1, &err));
	PT_INTEQ(err, 0);
	argv_free(l);
}

PTEST(domain_list)
{
	ARGV	*l = argv_split("example.com, .sub.example.net, !bad.example.org, example.org", ", ");
	int	 err = 0;

	PT_ASSERT(smtpd_match_domain(l, "example.com", 0, &err));
	PT_ASSERT(smtpd_match_domain(l, "EXAMPLE.COM.", 0, &err));
	PT_ASSERT(!smtpd_match_domain(l, "a.example.com", 0, &err));
	PT_ASSERT(smtpd_match_domain(l, "a.example.com", 1, &err));
	PT_ASSERT(smtpd_match_domain(l, "x.sub.example.net", 0, &err));
	PT_ASSERT(!smtpd_match_domain(l, "sub.example.net", 0, &err));
	PT_ASSERT(!smtpd_match_domain(l, "bad.example.org", 1, &err));
	PT_ASSERT(smtpd_match_domain(l, "good.example.org", 1, &err));
	PT_ASSERT(!smtpd_match_domain(l, "", 1, &err));
	PT_INTEQ(err, 0);
	argv_free(l);
}

int
main(void)
{
	PT_RUN(cidr);
	PT_RUN(net_list);
	PT_RUN(domain_list);
	return PT_DONE();
}
