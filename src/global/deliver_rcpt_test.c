/*
 * NAME
 *	deliver_rcpt_test - unit tests for deliver_rcpt.c
 * SYNOPSIS
 *	deliver_rcpt_test
 * DESCRIPTION
 *	Recipient groups in order, optional fields, malformed requests.
 * DIAGNOSTICS
 *	ptest.h output; exit status 1 on failure.
 */
#include "deliver_rcpt.h"
#include "mymalloc.h"
#include "ptest.h"

PTEST(groups)
{
	ATTR	*a = attr_alloc();
	DELIVER_RCPT *r;

	attr_add(a, "request", "deliver");
	attr_add(a, "rcpt", "ignored@before.test");
	attr_add(a, "rcpt_index", "3");
	attr_add(a, "rcpt", "a@x.test");
	attr_add(a, "orcpt", "rfc822;A@x.test");
	attr_add(a, "rcpt_index", "0");
	attr_add(a, "notify", "never");
	attr_add(a, "rcpt", "b@x.test");
	PT_INTEQ(deliver_rcpt_parse(a, &r), 2);
	PT_INTEQ(r[0].index, 3);
	PT_STREQ(r[0].addr, "a@x.test");
	PT_STREQ(r[0].orcpt, "rfc822;A@x.test");
	PT_ASSERT(r[0].notify == NULL);
	PT_INTEQ(r[1].index, 0);
	PT_STREQ(r[1].addr, "b@x.test");
	PT_STREQ(r[1].notify, "never");
	PT_ASSERT(r[1].orcpt == NULL);
	myfree(r);
	attr_free(a);
}

static int
parse_one(const char *index, const char *addr)
{
	ATTR	*a = attr_alloc();
	DELIVER_RCPT *r;
	int	 n;

	attr_add(a, "rcpt_index", index);
	if (addr)
		attr_add(a, "rcpt", addr);
	n = deliver_rcpt_parse(a, &r);
	if (r)
		myfree(r);
	attr_free(a);
	return n;
}

PTEST(malformed)
{
	ATTR	*a = attr_alloc();
	DELIVER_RCPT *r;

	PT_INTEQ(deliver_rcpt_parse(a, &r), -1);
	PT_ASSERT(r == NULL);
	attr_free(a);
	PT_INTEQ(parse_one("1", "a@x.test"), 1);
	PT_INTEQ(parse_one("", "a@x.test"), -1);
	PT_INTEQ(parse_one("-1", "a@x.test"), -1);
	PT_INTEQ(parse_one("1x", "a@x.test"), -1);
	PT_INTEQ(parse_one(" 1", "a@x.test"), -1);
	PT_INTEQ(parse_one("1", NULL), -1);
	PT_INTEQ(parse_one("1", ""), -1);
}

int
main(void)
{
	PT_RUN(groups);
	PT_RUN(malformed);
	return PT_DONE();
}
