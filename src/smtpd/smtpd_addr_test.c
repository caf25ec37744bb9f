/*
 * smtpd_addr_test - unit tests for SMTP path and parameter syntax.
 */
#include "ptest.h"
#include "smtpd.h"

PTEST(path_brackets)
{
	VSTRING	*a = vstring_alloc(10);
	const char *rest;

	PT_INTEQ(smtpd_addr_path("<user@example.com> SIZE=10", a, &rest), 0);
	PT_STREQ(vstring_str(a), "user@example.com");
	PT_STREQ(rest, " SIZE=10");
	PT_INTEQ(smtpd_addr_path("<>", a, &rest), 0);
	PT_STREQ(vstring_str(a), "");
	PT_INTEQ(smtpd_addr_path("<@a.example,@b.example:u@c.example>", a, &rest), 0);
	PT_STREQ(vstring_str(a), "u@c.example");
	PT_INTEQ(smtpd_addr_path("<\"a > b\"@example.com>", a, &rest), 0);
	PT_STREQ(vstring_str(a), "\"a > b\"@example.com");
	PT_INTEQ(smtpd_addr_path("user@example.com", a, &rest), 0);
	PT_STREQ(vstring_str(a), "user@example.com");
	vstring_free(a);
}

PTEST(path_bad)
{
	VSTRING	*a = vstring_alloc(10);
	const char *rest;

	PT_INTEQ(smtpd_addr_path("<user@example.com", a, &rest), -1);
	PT_INTEQ(smtpd_addr_path("<a@b>x", a, &rest), -1);
	PT_INTEQ(smtpd_addr_path("<a\001b@c>", a, &rest), -1);
	PT_INTEQ(smtpd_addr_path("", a, &rest), -1);
	PT_INTEQ(smtpd_addr_path("<@route>", a, &rest), -1);
	vstring_free(a);
}

PTEST(valid)
{
	PT_INTEQ(smtpd_addr_valid("user@example.com", 0), 0);
	PT_INTEQ(smtpd_addr_valid("user", 0), 0);
	PT_INTEQ(smtpd_addr_valid("\"john smith\"@example.com", 0), 0);
	PT_INTEQ(smtpd_addr_valid("user@[192.0.2.1]", 0), 0);
	PT_INTEQ(smtpd_addr_valid("user@[IPv6:2001:db8::1]", 0), 0);
	PT_INTEQ(smtpd_addr_valid("", 0), 0);
	PT_INTEQ(smtpd_addr_valid("us er@example.com", 0), -1);
	PT_INTEQ(smtpd_addr_valid("user@exa mple.com", 0), -1);
	PT_INTEQ(smtpd_addr_valid("user@-bad.com", 0), -1);
	PT_INTEQ(smtpd_addr_valid("user@[300.1.1.1]", 0), -1);
	PT_INTEQ(smtpd_addr_valid("@example.com", 0), -1);
	PT_INTEQ(smtpd_addr_valid("j\xc3\xb6rg@example.com", 0), -1);
	PT_INTEQ(smtpd_addr_valid("j\xc3\xb6rg@example.com", 1), 0);
}

PTEST(hostnames)
{
	PT_ASSERT(smtpd_addr_hostname_valid("mail.example.com"));
	PT_ASSERT(smtpd_addr_hostname_valid("localhost"));
	PT_ASSERT(!smtpd_addr_hostname_valid("1.2.3.4"));
	PT_ASSERT(!smtpd_addr_hostname_valid("a..b"));
	PT_ASSERT(!smtpd_addr_hostname_valid("a.-b"));
	PT_ASSERT(!smtpd_addr_hostname_valid(""));
	PT_ASSERT(smtpd_addr_hostname_valid("[127.0.0.1]"));
	PT_ASSERT(smtpd_addr_fqdn("mail.example.com"));
	PT_ASSERT(!smtpd_addr_fqdn("localhost"));
	PT_ASSERT(!smtpd_addr_fqdn("example."));
	PT_ASSERT(smtpd_addr_fqdn("[127.0.0.1]"));
	PT_STREQ(smtpd_addr_domain("\"a@b\"@c.example"), "c.example");
	PT_ASSERT(smtpd_addr_domain("user") == NULL);
}

PTEST(xtext_size)
{
	VSTRING	*v = vstring_alloc(10);
	long long n;

	PT_INTEQ(smtpd_addr_xtext_decode("rfc822+3Ba+2Bb@c", v), 0);
	PT_STREQ(vstring_str(v), "rfc822;a+b@c");
	PT_INTEQ(smtpd_addr_xtext_decode("bad+zz", v), -1);
	PT_INTEQ(smtpd_addr_xtext_decode("a=b", v), -1);
	PT_INTEQ(smtpd_addr_parse_size("12345", &n), 0);
	PT_INTEQ(n, 12345);
	PT_INTEQ(smtpd_addr_parse_size("99999999999999999999999", &n), 0);
	PT_ASSERT(n > 1000000000000LL);
	PT_INTEQ(smtpd_addr_parse_size("12a", &n), -1);
	PT_INTEQ(smtpd_addr_parse_size("", &n), -1);
	vstring_free(v);
}

int
main(void)
{
	PT_RUN(path_brackets);
	PT_RUN(path_bad);
	PT_RUN(valid);
	PT_RUN(hostnames);
	PT_RUN(xtext_size);
	return PT_DONE();
}
