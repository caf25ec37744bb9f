/*
 * domain_list_test - unit tests for domain_list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "domain_list.h"
#include "msg.h"
#include "ptest.h"

PTEST(literal)
{
	DOMAIN_LIST *l = domain_list_init("example.com, .sub.example.org localhost", 0, NULL);

	PT_ASSERT(l != NULL);
	PT_INTEQ(domain_list_match(l, "example.com"), 1);
	PT_INTEQ(domain_list_match(l, "EXAMPLE.COM."), 1);
	PT_INTEQ(domain_list_match(l, "mail.example.com"), 0);
	PT_INTEQ(domain_list_match(l, "sub.example.org"), 0);
	PT_INTEQ(domain_list_match(l, "a.sub.example.org"), 1);
	PT_INTEQ(domain_list_match(l, "localhost"), 1);
	PT_INTEQ(domain_list_match(l, "xexample.com"), 0);
	PT_INTEQ(domain_list_match(l, ""), 0);
	domain_list_free(l);
}

PTEST(parent_and_negation)
{
	DOMAIN_LIST *l = domain_list_init("!bad.example.com example.com", DOMAIN_LIST_PARENT, NULL);

	PT_INTEQ(domain_list_match(l, "example.com"), 1);
	PT_INTEQ(domain_list_match(l, "a.b.example.com"), 1);
	PT_INTEQ(domain_list_match(l, "bad.example.com"), 0);
	PT_INTEQ(domain_list_match(l, "x.bad.example.com"), 0);
	PT_INTEQ(domain_list_match(l, "xexample.com"), 0);
	domain_list_free(l);
	l = domain_list_init("", 0, NULL);
	PT_INTEQ(domain_list_match(l, "example.com"), 0);
	domain_list_free(l);
	/* Without the flag only ".domain" reaches subdomains. */
	l = domain_list_init("example.com, .sub.example.net, !bad.example.org, example.org", 0, NULL);
	PT_INTEQ(domain_list_match(l, "a.example.com"), 0);
	PT_INTEQ(domain_list_match(l, "x.sub.example.net"), 1);
	PT_INTEQ(domain_list_match(l, "sub.example.net"), 0);
	PT_INTEQ(domain_list_match(l, "bad.example.org"), 0);
	PT_INTEQ(domain_list_match(l, "good.example.org"), 0);
	domain_list_free(l);
	l = domain_list_init("!bad.example.org, example.org", DOMAIN_LIST_PARENT, NULL);
	PT_INTEQ(domain_list_match(l, "good.example.org"), 1);
	PT_INTEQ(domain_list_match(l, "bad.example.org"), 0);
	PT_INTEQ(domain_list_match(l, ""), 0);
	domain_list_free(l);
}

PTEST(table_errors)
{
	DOMAIN_LIST *l = domain_list_init("!no.example hash:/nonexistent/postern-test example.com", 0, NULL);

	PT_ASSERT(l != NULL);
	PT_INTEQ(domain_list_match(l, "no.example"), 0);
	PT_INTEQ(domain_list_match(l, "example.com"), -1);
	domain_list_free(l);
	l = domain_list_init("proxy:inline:{ p.example=x }", 0, NULL);
	PT_INTEQ(domain_list_match(l, "P.Example."), 1);
	domain_list_free(l);
}

PTEST(tables_and_files)
{
	char	 path[] = "/tmp/dltest.XXXXXX";
	int	 fd = mkstemp(path);
	DOMAIN_LIST *l;
	VSTRING	*why = vstring_alloc(10);
	char	 spec[100];

	PT_ASSERT(fd >= 0);
	PT_INTEQ(write(fd, "# comment\nfile.example  other.example\n", 38), 38);
	close(fd);
	snprintf(spec, sizeof(spec), "inline:{ tab.example=x, .dot.example=y } %s", path);
	l = domain_list_init(spec, 0, why);
	PT_ASSERT(l != NULL);
	PT_INTEQ(domain_list_match(l, "tab.example"), 1);
	PT_INTEQ(domain_list_match(l, "sub.tab.example"), 0);
	PT_INTEQ(domain_list_match(l, "a.dot.example"), 1);
	PT_INTEQ(domain_list_match(l, "other.example"), 1);
	PT_INTEQ(domain_list_match(l, "none.example"), 0);
	domain_list_free(l);
	l = domain_list_init("inline:{ tab.example=x }", DOMAIN_LIST_PARENT, why);
	PT_INTEQ(domain_list_match(l, "a.b.tab.example"), 1);
	domain_list_free(l);
	unlink(path);
	PT_ASSERT(domain_list_init(path, 0, why) == NULL);
	vstring_free(why);
}

int
main(void)
{
	msg_init("postern", "domain_list_test");
	PT_RUN(literal);
	PT_RUN(parent_and_negation);
	PT_RUN(tables_and_files);
	PT_RUN(table_errors);
	return PT_DONE();
}
