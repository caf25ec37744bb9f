/*
 * addr_parse_test - unit tests for addr_parse and addr_list.
 */
#include <string.h>

#include "addr_parse.h"
#include "msg.h"
#include "ptest.h"

/* path - parse and return the address, or "ERR". */
static const char *
path(const char *text, int flags, ARGV *params)
{
	static VSTRING *buf;
	const char *why;

	if (buf == NULL)
		buf = vstring_alloc(100);
	if (addr_parse_path(text, flags, buf, params, &why) < 0)
		return "ERR";
	return vstring_str(buf);
}

PTEST(paths)
{
	ARGV	*p = argv_alloc(4);
	char	 big[400];

	PT_STREQ(path("<user@example.com>", 0, NULL), "user@example.com");
	PT_STREQ(path(" <user@example.com>", 0, NULL), "user@example.com");
	PT_STREQ(path("<>", 0, NULL), "");
	PT_STREQ(path("<@a.example,@b.example:user@example.com>", 0, NULL), "user@example.com");
	PT_STREQ(path("<\"john doe\"@example.com>", 0, NULL), "\"john doe\"@example.com");
	PT_STREQ(path("<\"a>b\"@example.com>", 0, NULL), "\"a>b\"@example.com");
	PT_STREQ(path("<user@[192.0.2.1]>", 0, NULL), "user@[192.0.2.1]");
	PT_STREQ(path("<user@[IPv6:2001:db8::1]>", 0, NULL), "user@[IPv6:2001:db8::1]");
	PT_STREQ(path("<postmaster>", 0, NULL), "postmaster");
	PT_STREQ(path("<user+ext@sub.example.com>", 0, NULL), "user+ext@sub.example.com");
	PT_STREQ(path("<u@example.com> SIZE=1000 BODY=8BITMIME", 0, p), "u@example.com");
	PT_INTEQ(p->argc, 2);
	PT_STREQ(p->argv[0], "SIZE=1000");
	PT_STREQ(p->argv[1], "BODY=8BITMIME");
	PT_STREQ(path("<u@example.com> SMTPUTF8", 0, NULL), "u@example.com");
	PT_STREQ(path("user@example.com", ADDR_PARSE_BARE, NULL), "user@example.com");
	PT_STREQ(path("user@example.com", 0, NULL), "ERR");
	PT_STREQ(path("<user@example.com", 0, NULL), "ERR");
	PT_STREQ(path("<user@example.com>x", 0, NULL), "ERR");
	PT_STREQ(path("<user@@example.com>", 0, NULL), "ERR");
	PT_STREQ(path("<user@-example.com>", 0, NULL), "ERR");
	PT_STREQ(path("<user@>", 0, NULL), "ERR");
	PT_STREQ(path("<@example.com>", 0, NULL), "ERR");
	PT_STREQ(path("<us er@example.com>", 0, NULL), "ERR");
	PT_STREQ(path("<.user@example.com>", 0, NULL), "ERR");
	PT_STREQ(path("<user.@example.com>", 0, NULL), "ERR");
	PT_STREQ(path("<a\001b@example.com>", 0, NULL), "ERR");
	PT_STREQ(path("<\"unterminated@example.com>", 0, NULL), "ERR");
	PT_STREQ(path("<user@[300.1.1.1]>", 0, NULL), "ERR");
	PT_STREQ(path("<u@example.com> FOO=a=b", 0, NULL), "ERR");
	PT_STREQ(path("<u@example.com> =x", 0, NULL), "ERR");
	PT_STREQ(path("", 0, NULL), "ERR");
	PT_STREQ(path("<", 0, NULL), "ERR");
	/* Length limits: 64 local, 255 domain, 256 path. */
	memset(big, 'a', 64);
	strcpy(big + 64, "@example.com>");
	PT_STREQ(path(big - 0, ADDR_PARSE_BARE, NULL), "ERR");	/* no '<', '>' is garbage */
	memmove(big + 1, big, strlen(big) + 1);
	big[0] = '<';
	PT_ASSERT(strcmp(path(big, 0, NULL), "ERR") != 0);
	memmove(big + 2, big + 1, strlen(big));
	big[1] = 'a';
	PT_STREQ(path(big, 0, NULL), "ERR");	/* 65 bytes */
	PT_ASSERT(strcmp(path(big, ADDR_PARSE_LONG, NULL), "ERR") != 0);
	strcpy(big, "<u@");
	memset(big + 3, 'a', 300);
	strcpy(big + 303, ".com>");
	PT_STREQ(path(big, 0, NULL), "ERR");
	PT_STREQ(path(big, ADDR_PARSE_LONG, NULL), "ERR");	/* domain > 255 */
	/* UTF-8 only with SMTPUTF8, and only well-formed. */
	PT_STREQ(path("<\xce\xb4\xce\xbf@\xcf\x80.example>", 0, NULL), "ERR");
	PT_STREQ(path("<\xce\xb4\xce\xbf@\xcf\x80.example>", ADDR_PARSE_UTF8, NULL),
	    "\xce\xb4\xce\xbf@\xcf\x80.example");
	PT_STREQ(path("<\xce@example.com>", ADDR_PARSE_UTF8, NULL), "ERR");
	PT_STREQ(path("<\xc0\xaf@example.com>", ADDR_PARSE_UTF8, NULL), "ERR");
	argv_free(p);
}

static int
list_check(const char *value, const char **want)
{
	ARGV	*out = argv_alloc(4);
	int	 n = addr_parse_list(value, out), i, ok = 1;

	for (i = 0; want[i]; i++)
		if (i >= (int)out->argc || strcmp(out->argv[i], want[i]) != 0) {
			printf("  want %s got %s\n", want[i], i < (int)out->argc ? out->argv[i] : "(none)");
			ok = 0;
		}
	if (i != n || (int)out->argc != n) {
		printf("  count %d want %d\n", n, i);
		ok = 0;
	}
	argv_free(out);
	return ok;
}

PTEST(rfc5322_lists)
{
	const char *a1[] = { "mary@x.test", "jdoe@example.org", "one@y.test", NULL };
	const char *a2[] = { "boss@nil.test", "sysservices@example.net", NULL };
	const char *a3[] = { "c@a.test", "joe@where.test", "jdoe@one.test", NULL };
	const char *none[] = { NULL };
	const char *a5a[] = { "pete@silly.test", NULL };
	const char *a5b[] = { "c@public.example", "joe@example.org", "jdoe@one.test", NULL };
	const char *a6[] = { "jdoe@machine.example", "mary@example.net", NULL };
	const char *q[] = { "\"john q\"@example.com", "x@example.com", NULL };
	const char *r[] = { "a@b.example", NULL };
	const char *sp[] = { "bad address@example.com", NULL };
	const char *ob[] = { "a.b@example.com", NULL };

	PT_ASSERT(list_check("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>", a1));
	PT_ASSERT(list_check("<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>", a2));
	PT_ASSERT(list_check("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;", a3));
	PT_ASSERT(list_check("Undisclosed recipients:;", none));
	PT_ASSERT(list_check("", none));
	PT_ASSERT(list_check(" , ,, ", none));
	PT_ASSERT(list_check("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", a5a));
	PT_ASSERT(list_check("A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,\r\n"
	    "         joe@example.org,\r\n  John <jdoe@one.test> (my dear friend); (the end of the group)", a5b));
	PT_ASSERT(list_check("John Doe <jdoe@machine(comment).  example>,\n Mary Smith\n \n\t<mary@example.net>", a6));
	PT_ASSERT(list_check("\"john q\"@example.com, \"Joe, Q.\" <x@example.com>", q));
	PT_ASSERT(list_check("<@relay.example:a@b.example>", r));
	PT_ASSERT(list_check("((unbalanced", none));
	PT_ASSERT(list_check("bad address@example.com", sp));
	PT_ASSERT(list_check("a . b @ example.com", ob));
}

/* What the SMTP server relies on (formerly its private parser). */
PTEST(server_paths)
{
	ARGV	*p = argv_alloc(4);
	char	 big[1100];
	const char *why;
	VSTRING	*a = vstring_alloc(10);

	PT_STREQ(path("<user@example.com>\tSIZE=10", 0, p), "user@example.com");
	PT_INTEQ(p->argc, 1);
	PT_STREQ(p->argv[0], "SIZE=10");
	PT_STREQ(path("user@example.com\tSIZE=10", ADDR_PARSE_BARE, NULL), "user@example.com");
	PT_STREQ(path("<\"a > b\"@example.com>", 0, NULL), "\"a > b\"@example.com");
	PT_STREQ(path("<@route>", 0, NULL), "ERR");
	PT_STREQ(path("@example.com", ADDR_PARSE_BARE, NULL), "ERR");
	PT_STREQ(path("<a@b>x", 0, NULL), "ERR");
	PT_STREQ(path("<a@-bad.com>", 0, NULL), "ERR");
	PT_STREQ(path("<a@exa mple.com>", 0, NULL), "ERR");
	PT_STREQ(path("<u@example.com> A=\001", 0, NULL), "ERR");
	/* Reasons name the problem. */
	PT_INTEQ(addr_parse_path("<u@example.com> =x", 0, a, NULL, &why), -1);
	PT_ASSERT(strncmp(why, "5.5.4", 5) == 0);
	PT_INTEQ(addr_parse_path("<j\xc3\xb6rg@example.com>", 0, a, NULL, &why), -1);
	PT_ASSERT(strncmp(why, "5.6.7", 5) == 0);
	/* ADDR_PARSE_LONG: up to 1000 bytes, as Postfix accepts. */
	big[0] = '<';
	memset(big + 1, 'x', 980);
	strcpy(big + 981, "@example.com>");
	PT_ASSERT(strcmp(path(big, ADDR_PARSE_LONG, NULL), "ERR") != 0);
	PT_STREQ(path(big, 0, NULL), "ERR");
	memset(big + 1, 'x', 1000);
	strcpy(big + 1001, "@example.com>");
	PT_STREQ(path(big, ADDR_PARSE_LONG, NULL), "ERR");
	/* Too many parameters. */
	strcpy(big, "<u@example.com>");
	for (int i = 0; i <= ADDR_PARAM_MAX; i++)
		strcat(big, " X=1");
	PT_STREQ(path(big, 0, NULL), "ERR");
	PT_INTEQ(addr_valid_mailbox("user", 0, &why), 0);
	PT_INTEQ(addr_valid_mailbox("\"john smith\"@example.com", 0, &why), 0);
	PT_INTEQ(addr_valid_mailbox("us er@example.com", 0, &why), -1);
	PT_INTEQ(addr_valid_mailbox("j\xc3\xb6rg@example.com", ADDR_PARSE_UTF8, &why), 0);
	PT_INTEQ(addr_valid_mailbox("user@[IPv6:2001:db8::1]", 0, &why), 0);
	/* resolve_null_domain, resolve_numeric_domain. */
	PT_INTEQ(addr_valid_mailbox("user@", 0, &why), -1);
	PT_INTEQ(addr_valid_mailbox("user@", ADDR_PARSE_NULLDOM, &why), 0);
	PT_INTEQ(addr_valid_mailbox("user@192.0.2.1", 0, &why), -1);
	PT_INTEQ(addr_valid_mailbox("user@192.0.2.1", ADDR_PARSE_NUMDOM, &why), 0);
	PT_INTEQ(addr_valid_mailbox("user@2001:db8::1", ADDR_PARSE_NUMDOM, &why), 0);
	PT_INTEQ(addr_valid_mailbox("user@192.0.2.300", ADDR_PARSE_NUMDOM, &why), -1);
	argv_free(p);
	vstring_free(a);
}

PTEST(quoting)
{
	VSTRING	*v = vstring_alloc(10);

	PT_STREQ(vstring_str(addr_quote(v, "john doe@example.com")), "\"john doe\"@example.com");
	PT_STREQ(vstring_str(addr_quote(v, "a\"b@x.example")), "\"a\\\"b\"@x.example");
	PT_STREQ(vstring_str(addr_quote(v, "plain.user@x.example")), "plain.user@x.example");
	PT_STREQ(vstring_str(addr_quote(v, "a@b@x.example")), "\"a@b\"@x.example");
	PT_STREQ(vstring_str(addr_quote(v, "@x.example")), "\"\"@x.example");
	PT_STREQ(vstring_str(addr_quote(v, "postmaster")), "postmaster");
	PT_STREQ(vstring_str(addr_unquote(v, "\"john doe\"@example.com")), "john doe@example.com");
	PT_STREQ(vstring_str(addr_unquote(v, "\"a\\\"b\"@x.example")), "a\"b@x.example");
	PT_STREQ(addr_domain("\"a@b\"@x.example"), "x.example");
	PT_ASSERT(addr_domain("postmaster") == NULL);
	PT_STREQ(vstring_str(addr_local(v, "\"a@b\"@x.example")), "\"a@b\"");
	vstring_free(v);
}

PTEST(hosts)
{
	char	 label[80];

	PT_INTEQ(valid_hostname("mail.example.com", 0), 1);
	PT_INTEQ(valid_hostname("under_score.example", 0), 1);
	PT_INTEQ(valid_hostname("localhost", 0), 1);
	PT_INTEQ(valid_hostname("-bad.example", 0), 0);
	PT_INTEQ(valid_hostname("bad-.example", 0), 0);
	PT_INTEQ(valid_hostname("a..b", 0), 0);
	PT_INTEQ(valid_hostname(".a", 0), 0);
	PT_INTEQ(valid_hostname("1.2.3.4", 0), 0);
	PT_INTEQ(valid_hostname("", 0), 0);
	PT_INTEQ(valid_hostname("a b", 0), 0);
	PT_INTEQ(valid_hostname("\xcf\x80.example", 0), 0);
	PT_INTEQ(valid_hostname("\xcf\x80.example", 1), 1);
	memset(label, 'a', 64);
	strcpy(label + 64, ".example");
	PT_INTEQ(valid_hostname(label, 0), 0);
	PT_INTEQ(valid_hostname(label + 1, 0), 1);
	PT_INTEQ(valid_hostaddr("192.0.2.1"), 1);
	PT_INTEQ(valid_hostaddr("::1"), 1);
	PT_INTEQ(valid_hostaddr("IPv6:2001:db8::1"), 1);
	PT_INTEQ(valid_hostaddr("256.1.1.1"), 0);
	PT_INTEQ(valid_hostaddr("1.2.3"), 0);
	PT_INTEQ(valid_hostaddr("example.com"), 0);
	PT_INTEQ(valid_hostliteral("[192.0.2.1]"), 1);
	PT_INTEQ(valid_hostliteral("[IPv6:2001:db8::1]"), 1);
	PT_INTEQ(valid_hostliteral("[2001:db8::1]"), 0);
	PT_INTEQ(valid_hostliteral("192.0.2.1"), 0);
	PT_INTEQ(valid_hostliteral("[]"), 0);
	PT_INTEQ(addr_is_fqdn("example.com"), 1);
	PT_INTEQ(addr_is_fqdn("example.com."), 1);
	PT_INTEQ(addr_is_fqdn("localhost"), 0);
	PT_INTEQ(addr_is_fqdn("example."), 0);
	PT_INTEQ(addr_is_fqdn(".com"), 0);
	PT_INTEQ(addr_is_fqdn("[192.0.2.1]"), 1);
	PT_INTEQ(addr_is_fqdn(""), 0);
}

int
main(void)
{
	msg_init("postern", "addr_parse_test");
	PT_RUN(paths);
	PT_RUN(rfc5322_lists);
	PT_RUN(server_paths);
	PT_RUN(quoting);
	PT_RUN(hosts);
	return PT_DONE();
}
