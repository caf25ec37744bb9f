/*
 * NAME
 *	deliver_clnt_test - unit tests for deliver_clnt.c
 * SYNOPSIS
 *	deliver_clnt_test
 * DESCRIPTION
 *	A request written by deliver_clnt_request() over a socket pair: its
 *	attributes in the order of the wire format (HACKING.md, "Delivery
 *	request"), and what the transport's parsers (deliver_req_parse,
 *	deliver_rcpt_parse) make of it. Replies written by deliver_reply(3)
 *	read back with deliver_clnt_reply(): recipients, flags, a malformed
 *	index, the final reply and a hang-up.
 * DIAGNOSTICS
 *	ptest.h output; exit status 1 on failure.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "argv.h"
#include "deliver_clnt.h"
#include "deliver_rcpt.h"
#include "deliver_reply.h"
#include "mymalloc.h"
#include "ptest.h"

static VSTREAM *qmgr_end, *agent_end;

static int
pair_open(void)
{
	int	 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	qmgr_end = vstream_fdopen(sv[0], VSTREAM_FLAG_RW);
	agent_end = vstream_fdopen(sv[1], VSTREAM_FLAG_RW);
	vstream_set_timeout(qmgr_end, 5);
	vstream_set_timeout(agent_end, 5);
	return 0;
}

static void
pair_close(void)
{
	if (qmgr_end)
		vstream_fclose(qmgr_end);
	if (agent_end)
		vstream_fclose(agent_end);
	qmgr_end = agent_end = NULL;
}

static QF_MSG *
message(void)
{
	QF_MSG	*qf = mycalloc(1, sizeof(*qf));

	memcpy(qf->id, "0a1b2c3d", sizeof(qf->id));
	qf->sender = "from@x.test";
	qf->arrival = 1700000000;
	qf->arrival_usec = 42;
	qf->dsn_envid = "ENV%1";
	qf->dsn_ret = QF_RET_HDRS;
	qf->attr_names = argv_alloc(4);
	qf->attr_values = argv_alloc(4);
	argv_add(qf->attr_names, "client_addr");
	argv_add(qf->attr_values, "127.0.0.9");
	argv_add(qf->attr_names, "sasl_username");	/* not sent */
	argv_add(qf->attr_values, "user");
	argv_add(qf->attr_names, "helo");
	argv_add(qf->attr_values, "client.test");
	qf->content_offset = 512;
	qf->content_size = 4096;
	qf->content_8bit = QF_8BIT_YES;
	qf->nrcpt = 3;
	qf->rcpt = mycalloc(3, sizeof(*qf->rcpt));
	qf->rcpt[0].address = "a@y.test";
	qf->rcpt[0].orcpt = "rfc822;A@y.test";
	qf->rcpt[0].notify = QF_NOTIFY_SUCCESS | QF_NOTIFY_FAILURE;
	qf->rcpt[1].address = "b@y.test";
	qf->rcpt[2].address = "c\n@y.test";		/* escaped on the wire */
	return qf;
}

static void
message_free(QF_MSG *qf)
{
	argv_free(qf->attr_names);
	argv_free(qf->attr_values);
	myfree(qf->rcpt);
	myfree(qf);
}

PTEST(request)
{
	static const char *order[] = {
		"request", "queue_name", "queue_id", "transport", "nexthop",
		"sender", "dsn_envid", "dsn_ret", "client_addr", "helo",
		"arrival_time", "active_time", "offset", "size", "encoding",
		"rcpt_index", "rcpt", "orcpt", "notify",
		"rcpt_index", "rcpt", "orcpt", "notify",
	};
	static const int rcpt[] = {2, 0};
	QF_MSG	*qf = message();
	DELIVER_CLNT_REQ req;
	DELIVER_REQ dr;
	DELIVER_RCPT *r = NULL;
	ATTR	*a = attr_alloc();
	size_t	 i;
	int	 n;

	PT_ASSERT(pair_open() == 0);
	req.qf = qf;
	req.queue_name = QF_ACTIVE;
	req.transport = "smtp";
	req.nexthop = "[mx.y.test]:25";
	req.active.tv_sec = 1700000003;
	req.active.tv_usec = 7;
	req.rcpt = rcpt;
	req.nrcpt = 2;
	PT_INTEQ(deliver_clnt_request(qmgr_end, &req), 0);
	PT_INTEQ(attr_read(agent_end, a), 0);
	PT_INTEQ(a->count, sizeof(order) / sizeof(order[0]));
	for (i = 0; i < a->count; i++)
		PT_STREQ(a->name[i], order[i]);
	PT_STREQ(attr_get(a, "request"), "deliver");
	PT_STREQ(attr_get(a, "dsn_ret"), "HDRS");
	PT_STREQ(attr_get(a, "arrival_time"), "1700000000.000042");
	PT_STREQ(attr_get(a, "active_time"), "1700000003.000007");
	PT_STREQ(attr_get(a, "notify"), "0");

	PT_INTEQ(deliver_req_parse(a, &dr), 0);
	PT_STREQ(dr.queue_name, "active");
	PT_STREQ(dr.queue_id, "0a1b2c3d");
	PT_STREQ(dr.nexthop, "[mx.y.test]:25");
	PT_STREQ(dr.sender, "from@x.test");
	PT_STREQ(dr.envid, "ENV%1");
	PT_STREQ(dr.client_addr, "127.0.0.9");
	PT_STREQ(dr.helo, "client.test");
	PT_ASSERT(dr.client_name == NULL);
	PT_INTEQ(dr.content_offset, 512);
	PT_INTEQ(dr.content_size, 4096);
	PT_INTEQ(dr.content_8bit, QF_8BIT_YES);

	n = deliver_rcpt_parse(a, &r);
	PT_INTEQ(n, 2);
	PT_INTEQ(r[0].index, 2);
	PT_STREQ(r[0].addr, "c\n@y.test");
	PT_STREQ(r[0].orcpt, "");
	PT_INTEQ(r[1].index, 0);
	PT_STREQ(r[1].addr, "a@y.test");
	PT_STREQ(r[1].orcpt, "rfc822;A@y.test");
	PT_STREQ(r[1].notify, "6");
	myfree(r);
	attr_free(a);
	pair_close();
	message_free(qf);
}

PTEST(replies)
{
	DELIVER_CLNT_REPLY reply;
	ATTR	*buf = attr_alloc();
	ATTR	*bad = attr_alloc();

	PT_ASSERT(pair_open() == 0);
	PT_INTEQ(deliver_reply_flags(agent_end, 2, "2.0.0", NULL, "250 ok",
	    "mx.y.test[127.0.0.2]:25", DELIVER_REPLY_DSN_PASSED), 0);
	PT_INTEQ(deliver_reply(agent_end, 0, "4.4.1", NULL, "no route",
	    NULL), 0);
	attr_add(bad, "rcpt_index", "two");
	attr_add(bad, "status", "5.0.0");
	PT_INTEQ(attr_write(agent_end, bad), 0);
	PT_INTEQ(deliver_reply_done_flags(agent_end,
	    DELIVER_REPLY_DEST_FAILED), 0);
	PT_INTEQ(deliver_reply_done(agent_end), 0);

	PT_INTEQ(deliver_clnt_reply(qmgr_end, buf, &reply), DELIVER_CLNT_RCPT);
	PT_INTEQ(reply.index, 2);
	PT_STREQ(reply.status, "2.0.0");
	PT_STREQ(reply.action, "delivered");
	PT_STREQ(reply.reason, "250 ok");
	PT_STREQ(reply.relay, "mx.y.test[127.0.0.2]:25");
	PT_INTEQ(reply.flags, DELIVER_REPLY_DSN_PASSED);

	PT_INTEQ(deliver_clnt_reply(qmgr_end, buf, &reply), DELIVER_CLNT_RCPT);
	PT_INTEQ(reply.index, 0);
	PT_STREQ(reply.status, "4.4.1");
	PT_STREQ(reply.action, "delayed");
	PT_ASSERT(reply.relay == NULL);
	PT_INTEQ(reply.flags, 0);

	PT_INTEQ(deliver_clnt_reply(qmgr_end, buf, &reply), DELIVER_CLNT_RCPT);
	PT_INTEQ(reply.index, -1);

	PT_INTEQ(deliver_clnt_reply(qmgr_end, buf, &reply), DELIVER_CLNT_DONE);
	PT_INTEQ(reply.flags, DELIVER_REPLY_DEST_FAILED);
	PT_INTEQ(deliver_clnt_reply(qmgr_end, buf, &reply), DELIVER_CLNT_DONE);
	PT_INTEQ(reply.flags, 0);

	vstream_fclose(agent_end);
	agent_end = NULL;
	PT_INTEQ(deliver_clnt_reply(qmgr_end, buf, &reply), -1);
	attr_free(bad);
	attr_free(buf);
	pair_close();
}

int
main(void)
{
	PT_RUN(request);
	PT_RUN(replies);
	return PT_DONE();
}
