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
#include "qfile.h"

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

/* deliver_rcpt_add() writes what deliver_rcpt_parse() reads back. */
PTEST(add)
{
	ATTR	*a = attr_alloc();
	DELIVER_RCPT *r;

	attr_add(a, "request", "deliver");
	deliver_rcpt_add(a, 7, "a@x.test", "rfc822;A@x.test", "5");
	deliver_rcpt_add(a, 2, "b@x.test", NULL, NULL);
	PT_INTEQ(deliver_rcpt_parse(a, &r), 2);
	PT_INTEQ(r[0].index, 7);
	PT_STREQ(r[0].addr, "a@x.test");
	PT_STREQ(r[0].orcpt, "rfc822;A@x.test");
	PT_STREQ(r[0].notify, "5");
	PT_INTEQ(r[1].index, 2);
	PT_STREQ(r[1].addr, "b@x.test");
	PT_STREQ(r[1].orcpt, "");
	PT_STREQ(r[1].notify, "0");
	myfree(r);
	attr_free(a);
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

PTEST(request_header)
{
	ATTR	*a = attr_alloc();
	DELIVER_REQ dr;

	attr_add(a, "request", "deliver");
	attr_add(a, "queue_name", "active");
	attr_add(a, "queue_id", "0a1b2c3d");
	attr_add(a, "sender", "");
	attr_add(a, "arrival_time", "12.5");
	PT_INTEQ(deliver_req_parse(a, &dr), 0);
	PT_STREQ(dr.queue_id, "0a1b2c3d");
	PT_STREQ(dr.sender, "");
	PT_ASSERT(dr.nexthop == NULL && dr.envid == NULL);
	PT_ASSERT(dr.arrival == 12.5 && dr.active == 0);
	/* From an earlier queue manager: content facts unknown. */
	PT_ASSERT(dr.content_offset == -1 && dr.content_size == -1);
	PT_INTEQ(dr.content_8bit, QF_8BIT_UNKNOWN);
	attr_add(a, "offset", "1024");
	attr_add(a, "size", "0");
	attr_add(a, "encoding", "8bit");
	PT_INTEQ(deliver_req_parse(a, &dr), 0);
	PT_ASSERT(dr.content_offset == 1024 && dr.content_size == 0);
	PT_INTEQ(dr.content_8bit, QF_8BIT_YES);
	attr_reset(a);
	attr_add(a, "request", "deliver");
	attr_add(a, "queue_name", "../active");
	attr_add(a, "queue_id", "0a1b2c3d");
	attr_add(a, "sender", "a@b");
	PT_INTEQ(deliver_req_parse(a, &dr), -1);
	attr_reset(a);
	attr_add(a, "request", "deliver");
	attr_add(a, "queue_name", "active");
	attr_add(a, "queue_id", "not-an-id");
	attr_add(a, "sender", "a@b");
	PT_INTEQ(deliver_req_parse(a, &dr), -1);
	attr_free(a);
}

/* request - a minimal request for message 0a1b2c3d, plus one attribute. */
static void
request(ATTR *a, const char *name, const char *value)
{
	attr_reset(a);
	attr_add(a, "request", "deliver");
	attr_add(a, "queue_name", "active");
	attr_add(a, "queue_id", "0a1b2c3d");
	attr_add(a, "sender", "a@b");
	attr_add(a, name, value);
}

PTEST(request_content)
{
	static const char *bad[][2] = {
		{"offset", "-1"}, {"offset", "12x"}, {"size", ""},
		{"size", "99999999999999999999999"}, {"encoding", "binary"},
		{"encoding", ""},
	};
	ATTR	*a = attr_alloc();
	DELIVER_REQ dr;
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		request(a, bad[i][0], bad[i][1]);
		PT_INTEQ(deliver_req_parse(a, &dr), -1);
	}
	request(a, "encoding", "7bit");
	PT_INTEQ(deliver_req_parse(a, &dr), 0);
	PT_INTEQ(dr.content_8bit, QF_8BIT_NO);
	attr_free(a);
}

int
main(void)
{
	PT_RUN(groups);
	PT_RUN(add);
	PT_RUN(malformed);
	PT_RUN(request_header);
	PT_RUN(request_content);
	return PT_DONE();
}
