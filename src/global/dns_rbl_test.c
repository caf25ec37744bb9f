/*
 * dns_rbl_test - list names, filters and postscreen_dnsbl_sites elements.
 */
#include "dns_rbl.h"
#include "ptest.h"

PTEST(reverse)
{
	VSTRING	*out = vstring_alloc(10);

	PT_INTEQ(dns_rbl_reverse("192.0.2.1", "bl.test", out), 0);
	PT_STREQ(vstring_str(out), "1.2.0.192.bl.test");
	PT_INTEQ(dns_rbl_reverse("2001:db8::1", "bl.test", out), 0);
	PT_STREQ(vstring_str(out), "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "8.b.d.0.1.0.0.2.bl.test");
	PT_INTEQ(dns_rbl_reverse("bogus", "bl.test", out), -1);
	vstring_free(out);
}

PTEST(filters)
{
	PT_INTEQ(dns_rbl_filter_match("127.0.0.2", "127.0.0.2"), 1);
	PT_INTEQ(dns_rbl_filter_match("127.0.0.2", "127.0.0.3"), 0);
	PT_INTEQ(dns_rbl_filter_match("127.0.0.[2..11]", "127.0.0.11"), 1);
	PT_INTEQ(dns_rbl_filter_match("127.0.0.[2..11]", "127.0.0.12"), 0);
	PT_INTEQ(dns_rbl_filter_match("127.0.[0..255].[2;4;6..8]", "127.0.9.7"), 1);
	PT_INTEQ(dns_rbl_filter_match("127.0.[0..255].[2;4;6..8]", "127.0.9.5"), 0);
	PT_INTEQ(dns_rbl_filter_match("127.0.0", "127.0.0.2"), 0);
	PT_INTEQ(dns_rbl_filter_match("127.0.0.[2", "127.0.0.2"), 0);
	PT_INTEQ(dns_rbl_filter_match("127.0.0.2", "127.0.0.2.5"), 0);
}

PTEST(sites)
{
	VSTRING	*d = vstring_alloc(10), *f = vstring_alloc(10);
	int	 w;

	PT_INTEQ(dns_rbl_site("zen.test*3", d, f, &w), 0);
	PT_STREQ(vstring_str(d), "zen.test");
	PT_STREQ(vstring_str(f), "");
	PT_INTEQ(w, 3);
	PT_INTEQ(dns_rbl_site("bl.test=127.0.0.[2..11]*-2", d, f, &w), 0);
	PT_STREQ(vstring_str(d), "bl.test");
	PT_STREQ(vstring_str(f), "127.0.0.[2..11]");
	PT_INTEQ(w, -2);
	PT_INTEQ(dns_rbl_site("plain.test", d, f, &w), 0);
	PT_INTEQ(w, 1);
	PT_INTEQ(dns_rbl_site("x.test*z", d, f, &w), -1);
	vstring_free(d);
	vstring_free(f);
}

int
main(void)
{
	PT_RUN(reverse);
	PT_RUN(filters);
	PT_RUN(sites);
	return PT_DONE();
}
