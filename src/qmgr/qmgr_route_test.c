/*
 * NAME
 *	qmgr_route_test - unit tests for qmgr_route
 * SYNOPSIS
 *	qmgr_route_test
 * DESCRIPTION
 *	Routing by address class, relayhost, transport_maps forms (with
 *	inline: tables), parent domain matching and negation in domain
 *	lists, and the value parser.
 * DIAGNOSTICS
 *	ptest.h output; exit status 1 on failure.
 */
#include <string.h>

#include "dict.h"
#include "ptest.h"
#include "qmgr.h"
#include "qmgr_inside.h"
#include "qmgr_route.h"

static QMGR_ROUTE_CONF conf = {
	.mydestination = "myhost.test, localhost",
	.relay_domains = "!bad.relay.test, relay.test",
	.local_transport = "local:myhost.test",
	.relay_transport = "relay",
	.default_transport = "smtp",
	.relayhost = "",
	.transport_maps = "inline:{ {err.test = error:5.1.2 no such domain}, "
	    "disc.test=discard:, .parent.test=smtp:[p.host]:26, "
	    "user@x.test=lmtp:unix:/tmp/l, keep.test=relay:, "
	    "nh.test=:[nh.host]:27, br.test=[br.host]:28, "
	    "{soft.test=error:4.7.1 try later} }",
	.delimiter = "+",
	.interfaces = "127.0.0.1, [::1]",
	.relay_parent = 1,
};

static int
route(const char *addr, QMGR_ROUTE *r)
{
	return qmgr_route(addr, NULL, r);
}

#define ROUTE_IS(addr, t, n) do { \
	PT_INTEQ(route(addr, r), QMGR_ROUTE_DELIVER); \
	PT_STREQ(vstring_str(r->transport), t); \
	PT_STREQ(vstring_str(r->nexthop), n); \
} while (0)

PTEST(classes)
{
	QMGR_ROUTE *r = qmgr_route_alloc();

	qmgr_route_config(&conf);
	ROUTE_IS("a@myhost.test", "local", "myhost.test");
	ROUTE_IS("a@LOCALHOST", "local", "myhost.test");
	ROUTE_IS("postmaster", "local", "myhost.test");
	ROUTE_IS("a@relay.test", "relay", "relay.test");
	ROUTE_IS("a@sub.relay.test", "relay", "sub.relay.test");
	ROUTE_IS("a@bad.relay.test", "smtp", "bad.relay.test");
	ROUTE_IS("a@Example.COM", "smtp", "example.com");
	ROUTE_IS("a@[127.0.0.1]", "local", "myhost.test");
	ROUTE_IS("a@[IPv6:::1]", "local", "myhost.test");
	ROUTE_IS("a@[127.0.0.2]", "smtp", "[127.0.0.2]");
	ROUTE_IS("\"a@example.com\"@relay.test", "relay", "relay.test");
	ROUTE_IS("a%b@myhost.test", "local", "myhost.test");
	qmgr_route_free(r);
}

PTEST(relayhost)
{
	QMGR_ROUTE *r = qmgr_route_alloc();
	QMGR_ROUTE_CONF c = conf;

	c.relayhost = "[gw.test]:2525";
	qmgr_route_config(&c);
	ROUTE_IS("a@example.com", "smtp", "[gw.test]:2525");
	ROUTE_IS("a@relay.test", "relay", "[gw.test]:2525");
	ROUTE_IS("a@myhost.test", "local", "myhost.test");
	ROUTE_IS("a@keep.test", "relay", "keep.test");
	qmgr_route_free(r);
	qmgr_route_config(&conf);
}

#define SENDER_IS(addr, sender, t, n) do { \
	PT_INTEQ(qmgr_route(addr, sender, r), QMGR_ROUTE_DELIVER); \
	PT_STREQ(vstring_str(r->transport), t); \
	PT_STREQ(vstring_str(r->nexthop), n); \
} while (0)

PTEST(sender_dependent)
{
	QMGR_ROUTE *r = qmgr_route_alloc();
	QMGR_ROUTE_CONF c = conf;

	c.relayhost = "[gw.test]:2525";
	c.sender_relayhost_maps = "inline:{ @special.test=[isp.test]:587, "
	    "dunno@special.test=DUNNO, <>=[bounces.test] }";
	c.sender_transport_maps = "inline:{ lmtp@app.test=lmtp:[lmtp.test], "
	    "plain@app.test=relay }";
	qmgr_route_config(&c);
	SENDER_IS("a@example.com", "x@special.test", "smtp", "[isp.test]:587");
	SENDER_IS("a@example.com", "x+ext@special.test", "smtp", "[isp.test]:587");
	SENDER_IS("a@example.com", "dunno@special.test", "smtp", "[gw.test]:2525");
	SENDER_IS("a@example.com", "x@other.test", "smtp", "[gw.test]:2525");
	SENDER_IS("a@example.com", "", "smtp", "[bounces.test]");
	SENDER_IS("a@relay.test", "x@special.test", "relay", "[isp.test]:587");
	/* Local mail is not relayed whatever the sender. */
	SENDER_IS("a@myhost.test", "x@special.test", "local", "myhost.test");
	/* default_transport per sender; its own nexthop wins over relayhost. */
	SENDER_IS("a@example.com", "lmtp@app.test", "lmtp", "[lmtp.test]");
	SENDER_IS("a@example.com", "plain@app.test", "relay", "[gw.test]:2525");
	/* Only default_transport is replaced, not relay_transport. */
	SENDER_IS("a@relay.test", "lmtp@app.test", "relay", "[gw.test]:2525");
	/* No sender (smtpctl's route display): the tables are not used. */
	SENDER_IS("a@example.com", NULL, "smtp", "[gw.test]:2525");
	qmgr_route_free(r);
	qmgr_route_config(&conf);
}

PTEST(maps)
{
	QMGR_ROUTE *r = qmgr_route_alloc();

	qmgr_route_config(&conf);
	PT_INTEQ(route("a@err.test", r), QMGR_ROUTE_ERROR);
	PT_STREQ(vstring_str(r->text), "5.1.2 no such domain");
	PT_INTEQ(route("a@soft.test", r), QMGR_ROUTE_ERROR);
	PT_STREQ(vstring_str(r->text), "4.7.1 try later");
	PT_INTEQ(route("a@disc.test", r), QMGR_ROUTE_DISCARD);
	ROUTE_IS("a@mx.parent.test", "smtp", "[p.host]:26");
	ROUTE_IS("a@parent.test", "smtp", "parent.test");
	ROUTE_IS("user@x.test", "lmtp", "unix:/tmp/l");
	ROUTE_IS("user+ext@x.test", "lmtp", "unix:/tmp/l");
	ROUTE_IS("other@x.test", "smtp", "x.test");
	ROUTE_IS("a@nh.test", "smtp", "[nh.host]:27");
	ROUTE_IS("a@br.test", "smtp", "[br.host]:28");
	qmgr_route_free(r);
}

PTEST(match)
{
	int	 error;

	PT_INTEQ(qmgr_route_match("a.test, .b.test", "a.test", 0, &error), 1);
	PT_INTEQ(qmgr_route_match("a.test, .b.test", "x.a.test", 0, &error), 0);
	PT_INTEQ(qmgr_route_match("a.test, .b.test", "x.a.test", 1, &error), 1);
	PT_INTEQ(qmgr_route_match("a.test, .b.test", "x.b.test", 0, &error), 1);
	PT_INTEQ(qmgr_route_match("a.test, .b.test", "b.test", 0, &error), 0);
	PT_INTEQ(qmgr_route_match("!x.a.test, a.test", "x.a.test", 1, &error),
	    0);
	PT_INTEQ(qmgr_route_match("inline:{t.test=ok}", "T.test", 0, &error),
	    1);
	PT_INTEQ(qmgr_route_match("inline:{t.test=ok}", "s.t.test", 1, &error),
	    1);
	PT_INTEQ(qmgr_route_match("inline:{t.test=ok}", "s.t.test", 0, &error),
	    0);
	PT_INTEQ(qmgr_route_match("", "t.test", 0, &error), 0);
}

PTEST(parse)
{
	VSTRING	*t = vstring_alloc(8), *n = vstring_alloc(8);

	qmgr_route_parse("smtp:[h]:25", t, n);
	PT_STREQ(vstring_str(t), "smtp");
	PT_STREQ(vstring_str(n), "[h]:25");
	qmgr_route_parse(" relay ", t, n);
	PT_STREQ(vstring_str(t), "relay");
	PT_STREQ(vstring_str(n), "");
	qmgr_route_parse(":h", t, n);
	PT_STREQ(vstring_str(t), "");
	PT_STREQ(vstring_str(n), "h");
	qmgr_route_parse("[h]:26", t, n);
	PT_STREQ(vstring_str(t), "");
	PT_STREQ(vstring_str(n), "[h]:26");
	vstring_free(t);
	vstring_free(n);
}

PTEST(backoff)
{
	qmgr.min_backoff = 300;
	qmgr.max_backoff = 4000;
	PT_INTEQ(qmgr_result_backoff(1), 300);
	PT_INTEQ(qmgr_result_backoff(2), 600);
	PT_INTEQ(qmgr_result_backoff(4), 2400);
	PT_INTEQ(qmgr_result_backoff(5), 4000);
	PT_INTEQ(qmgr_result_backoff(500), 4000);
}

PTEST(status_text)
{
	char	 buf[16];

	qmgr_status_from_text("5.1.2 no such", "4.0.0", buf, sizeof(buf));
	PT_STREQ(buf, "5.1.2");
	qmgr_status_from_text("no status", "4.0.0", buf, sizeof(buf));
	PT_STREQ(buf, "4.0.0");
	qmgr_status_from_text("5.", "4.0.0", buf, sizeof(buf));
	PT_STREQ(buf, "4.0.0");
	qmgr_status_from_text("4.4.1", "5.0.0", buf, sizeof(buf));
	PT_STREQ(buf, "4.4.1");
}

int
main(void)
{
	PT_RUN(classes);
	PT_RUN(relayhost);
	PT_RUN(maps);
	PT_RUN(match);
	PT_RUN(sender_dependent);
	PT_RUN(parse);
	PT_RUN(backoff);
	PT_RUN(status_text);
	return PT_DONE();
}
