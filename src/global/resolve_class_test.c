/*
 * NAME
 *	resolve_class_test - unit tests for resolve_class.c
 * SYNOPSIS
 *	resolve_class_test
 * DESCRIPTION
 *	Local, relay and other classes; address literals of this host;
 *	sender-specified routing; quote-aware domains; table failures.
 * DIAGNOSTICS
 *	ptest.h output; exit status 1 on failure.
 */
#include <string.h>

#include "ptest.h"
#include "resolve_class.h"

static RESOLVE_CLASS *
rc_make(void)
{
	VSTRING	*why = vstring_alloc(16);
	RESOLVE_CLASS *rc;

	rc = resolve_class_init("myhost.test, localhost, [192.0.2.9]",
	    "!bad.relay.test, relay.test", DOMAIN_LIST_PARENT,
	    "127.0.0.1, [::1], 127.9.8.7", why);
	vstring_free(why);
	return rc;
}

PTEST(classes)
{
	RESOLVE_CLASS *rc = rc_make();

	PT_ASSERT(rc != NULL);
	PT_INTEQ(resolve_class(rc, "a@myhost.test", 0), RESOLVE_CLASS_LOCAL);
	PT_INTEQ(resolve_class(rc, "a@MyHost.Test.", 0), RESOLVE_CLASS_LOCAL);
	PT_INTEQ(resolve_class(rc, "postmaster", 0), RESOLVE_CLASS_LOCAL);
	PT_INTEQ(resolve_class(rc, "a@relay.test", 0), RESOLVE_CLASS_RELAY);
	PT_INTEQ(resolve_class(rc, "a@x.relay.test", 0), RESOLVE_CLASS_RELAY);
	PT_INTEQ(resolve_class(rc, "a@bad.relay.test", 0), RESOLVE_CLASS_OTHER);
	PT_INTEQ(resolve_class(rc, "a@example.com", 0), RESOLVE_CLASS_OTHER);
	PT_INTEQ(resolve_class(rc, "a@sub.myhost.test", 0), RESOLVE_CLASS_OTHER);
	resolve_class_free(rc);
}

PTEST(virtual_classes)
{
	RESOLVE_CLASS *rc = rc_make();
	VSTRING	*why = vstring_alloc(16);

	PT_ASSERT(rc != NULL);
	/* virtual_alias_domains as $virtual_alias_maps: domains are keys. */
	PT_INTEQ(resolve_class_virtual(rc, "inline:{{valias.test=x}}",
	    "vmbox.test, relay.test", why), 0);
	PT_INTEQ(resolve_class(rc, "a@valias.test", 0), RESOLVE_CLASS_VALIAS);
	PT_INTEQ(resolve_class(rc, "a@vmbox.test", 0), RESOLVE_CLASS_VMAILBOX);
	/* Postfix's order: virtual mailbox before relay, local first. */
	PT_INTEQ(resolve_class(rc, "a@relay.test", 0), RESOLVE_CLASS_VMAILBOX);
	PT_INTEQ(resolve_class(rc, "a@myhost.test", 0), RESOLVE_CLASS_LOCAL);
	PT_INTEQ(resolve_class(rc, "a@other.test", 0), RESOLVE_CLASS_OTHER);
	PT_STREQ(resolve_class_name(RESOLVE_CLASS_VALIAS), "virtual alias");
	PT_STREQ(resolve_class_name(RESOLVE_CLASS_OTHER), "default");
	resolve_class_free(rc);
	rc = rc_make();
	PT_INTEQ(resolve_class_virtual(rc, "hash:/nonexistent/rc-v", "", why), 0);
	PT_INTEQ(resolve_class(rc, "a@any.test", 0), RESOLVE_CLASS_ERROR);
	resolve_class_free(rc);
	vstring_free(why);
}

PTEST(literals)
{
	RESOLVE_CLASS *rc = rc_make();

	PT_ASSERT(rc != NULL);
	PT_INTEQ(resolve_class(rc, "a@[127.0.0.1]", 0), RESOLVE_CLASS_LOCAL);
	PT_INTEQ(resolve_class(rc, "a@[127.9.8.7]", 0), RESOLVE_CLASS_LOCAL);
	PT_INTEQ(resolve_class(rc, "a@[IPv6:::1]", 0), RESOLVE_CLASS_LOCAL);
	PT_INTEQ(resolve_class(rc, "a@[ipv6:0:0::1]", 0), RESOLVE_CLASS_LOCAL);
	PT_INTEQ(resolve_class(rc, "a@[192.0.2.9]", 0), RESOLVE_CLASS_LOCAL);
	PT_INTEQ(resolve_class(rc, "a@[127.0.0.2]", 0), RESOLVE_CLASS_OTHER);
	PT_INTEQ(resolve_class(rc, "a@[bogus]", 0), RESOLVE_CLASS_OTHER);
	PT_INTEQ(resolve_class(rc, "a@[", 0), RESOLVE_CLASS_OTHER);
	PT_INTEQ(resolve_class(rc, "a@[]", 0), RESOLVE_CLASS_OTHER);
	PT_INTEQ(resolve_class_local(rc, "[127.0.0.1]"), 1);
	PT_INTEQ(resolve_class_local(rc, "localhost"), 1);
	PT_INTEQ(resolve_class_local(rc, "example.com"), 0);
	resolve_class_free(rc);
}

PTEST(routed)
{
	RESOLVE_CLASS *rc = rc_make();

	PT_ASSERT(rc != NULL);
	PT_INTEQ(resolve_class_routed("a%b@myhost.test"), 1);
	PT_INTEQ(resolve_class_routed("b!a@myhost.test"), 1);
	PT_INTEQ(resolve_class_routed("\"a@b\"@myhost.test"), 1);
	PT_INTEQ(resolve_class_routed("a.b@myhost.test"), 0);
	/* Without the operators a%b@myhost.test is a local user "a%b". */
	PT_INTEQ(resolve_class(rc, "a%b@myhost.test", RESOLVE_FLAG_ROUTED),
	    RESOLVE_CLASS_LOCAL);
	PT_INTEQ(resolve_class(rc, "a%b@myhost.test", 0), RESOLVE_CLASS_LOCAL);
	/* Routing left in an address that goes off-site, even to relay. */
	PT_INTEQ(resolve_class(rc, "a%b@relay.test", RESOLVE_FLAG_ROUTED),
	    RESOLVE_CLASS_OTHER);
	PT_INTEQ(resolve_class(rc, "a%b@relay.test", 0), RESOLVE_CLASS_RELAY);
	PT_INTEQ(resolve_class(rc, "\"a@x\"@relay.test", RESOLVE_FLAG_ROUTED),
	    RESOLVE_CLASS_OTHER);
	/* The domain is after the last unquoted "@". */
	PT_INTEQ(resolve_class(rc, "\"a@example.com\"@myhost.test", 0),
	    RESOLVE_CLASS_LOCAL);
	PT_INTEQ(resolve_class(rc, "\"x@myhost.test\"", 0), RESOLVE_CLASS_LOCAL);
	resolve_class_free(rc);
}

#define SW_ALL	(RESOLVE_SW_PERCENT | RESOLVE_SW_BANG | RESOLVE_SW_DEQUOTE)

/* The resolved address, or "=" when unchanged, "ERR" on failure. */
static const char *
rs(RESOLVE_CLASS *rc, const char *addr)
{
	static VSTRING *buf;
	int	 r;

	if (buf == NULL)
		buf = vstring_alloc(64);
	if ((r = resolve_class_resolve(rc, addr, buf)) < 0)
		return "ERR";
	return r == 0 ? "=" : vstring_str(buf);
}

PTEST(resolve_step)
{
	RESOLVE_CLASS *rc = rc_make();
	VSTRING	*out = vstring_alloc(16);

	PT_ASSERT(rc != NULL);
	/* Switches off (the queue manager): literal. */
	PT_STREQ(rs(rc, "a%b@myhost.test"), "=");
	resolve_class_switches(rc, SW_ALL, "myhost.test");
	PT_STREQ(rs(rc, "a@myhost.test"), "=");
	PT_STREQ(rs(rc, "a@example.com"), "=");
	PT_STREQ(rs(rc, "a%example.com@myhost.test"), "a@example.com");
	PT_STREQ(rs(rc, "example.com!a@myhost.test"), "a@example.com");
	PT_STREQ(rs(rc, "\"a@example.com\"@myhost.test"), "a@example.com");
	PT_STREQ(rs(rc, "\"a%example.com\"@myhost.test"), "a@example.com");
	PT_STREQ(rs(rc, "\"a b%example.com\"@myhost.test"),
	    "\"a b\"@example.com");
	PT_STREQ(rs(rc, "a@example.com@myhost.test"), "a@example.com");
	/* Local after all: the last local domain stays. */
	PT_STREQ(rs(rc, "a%localhost@myhost.test"), "a@localhost");
	PT_STREQ(rs(rc, "myhost.test!a@localhost"), "a@myhost.test");
	PT_STREQ(rs(rc, "a%[127.0.0.1]@myhost.test"), "a@[127.0.0.1]");
	/* Several hops: the last "%" first, "!" before "%". */
	PT_STREQ(rs(rc, "a%x.test%myhost.test@localhost"), "a@x.test");
	PT_STREQ(rs(rc, "a%x.test%y.test@myhost.test"), "a%x.test@y.test");
	PT_STREQ(rs(rc, "x.test!a%y.test@myhost.test"), "a%y.test@x.test");
	/* Quotes as queued: "a%b" needs none, "a b%c" does. */
	resolve_class_switches(rc, RESOLVE_SW_PERCENT | RESOLVE_SW_BANG,
	    "myhost.test");
	PT_STREQ(rs(rc, "\"a%example.com\"@myhost.test"), "a@example.com");
	PT_STREQ(rs(rc, "\"a b%example.com\"@myhost.test"), "=");
	PT_STREQ(rs(rc, "\"a\"@example.com"), "a@example.com");
	resolve_class_switches(rc, SW_ALL, "myhost.test");
	/* Off-site routing is not taken apart. */
	PT_STREQ(rs(rc, "a%b@example.com"), "=");
	PT_STREQ(rs(rc, "\"a@b\"@example.com"), "=");
	/* Unqualified (the rewrite step). */
	PT_STREQ(rs(rc, "x.test!a"), "a@x.test");
	PT_STREQ(rs(rc, "a%x.test"), "a@x.test");
	PT_STREQ(rs(rc, "a%"), "=");
	PT_STREQ(rs(rc, "!a@myhost.test"), "=");
	/* Bounded: a long chain of local hops ends. */
	PT_STREQ(rs(rc, "a%localhost%localhost%localhost%localhost%localhost"
	    "%localhost%localhost%localhost%localhost%localhost%localhost"
	    "%localhost%localhost%localhost%localhost%localhost%localhost"
	    "%localhost%localhost%localhost%localhost@myhost.test"),
	    "a%localhost@localhost");
	/* Each switch alone. */
	resolve_class_switches(rc, RESOLVE_SW_BANG, "myhost.test");
	PT_STREQ(rs(rc, "a%example.com@myhost.test"), "=");
	PT_STREQ(rs(rc, "example.com!a@myhost.test"), "a@example.com");
	PT_STREQ(rs(rc, "\"a@example.com\"@myhost.test"), "=");
	resolve_class_switches(rc, RESOLVE_SW_PERCENT, "myhost.test");
	PT_STREQ(rs(rc, "example.com!a@myhost.test"), "=");
	PT_STREQ(rs(rc, "a%example.com@myhost.test"), "a@example.com");
	resolve_class_switches(rc, RESOLVE_SW_DEQUOTE, "myhost.test");
	PT_STREQ(rs(rc, "\"a@example.com\"@myhost.test"), "a@example.com");
	PT_STREQ(rs(rc, "\"a b%example.com\"@myhost.test"), "=");
	/* resolve_null_domain, resolve_numeric_domain. */
	PT_STREQ(rs(rc, "a@"), "=");
	resolve_class_switches(rc, RESOLVE_SW_NULLDOM, "myhost.test");
	PT_STREQ(rs(rc, "a@"), "a@myhost.test");
	PT_INTEQ(resolve_class(rc, "a@127.9.8.7", 0), RESOLVE_CLASS_OTHER);
	resolve_class_switches(rc, RESOLVE_SW_NUMDOM, "myhost.test");
	PT_INTEQ(resolve_class(rc, "a@127.9.8.7", 0), RESOLVE_CLASS_LOCAL);
	PT_INTEQ(resolve_class(rc, "a@127.9.8.6", 0), RESOLVE_CLASS_OTHER);
	PT_INTEQ(resolve_class(rc, "a@::1", 0), RESOLVE_CLASS_LOCAL);
	PT_STREQ(rs(rc, "a@127.9.8.7"), "a@[127.9.8.7]");
	PT_STREQ(rs(rc, "a@192.0.2.1"), "a@[192.0.2.1]");
	PT_STREQ(rs(rc, "a@::1"), "a@[IPv6:::1]");
	PT_STREQ(rs(rc, "a@example.com"), "=");
	resolve_class_free(rc);
	vstring_free(out);
}

PTEST(resolve_class_routed_flag)
{
	RESOLVE_CLASS *rc = rc_make();
	VSTRING	*out = vstring_alloc(16);

	PT_ASSERT(rc != NULL);
	resolve_class_switches(rc, SW_ALL, "myhost.test");
	/* The class is the resolved destination's. */
	PT_INTEQ(resolve_class_addr(rc, "a%relay.test@myhost.test", 0, out),
	    RESOLVE_CLASS_RELAY);
	PT_STREQ(vstring_str(out), "a@relay.test");
	PT_INTEQ(resolve_class(rc, "a%example.com@myhost.test",
	    RESOLVE_FLAG_ROUTED), RESOLVE_CLASS_OTHER);
	PT_INTEQ(resolve_class(rc, "a%localhost@myhost.test",
	    RESOLVE_FLAG_ROUTED), RESOLVE_CLASS_LOCAL);
	/* Routing left for a relay domain: refused unless allowed. */
	PT_INTEQ(resolve_class(rc, "a%x@relay.test", RESOLVE_FLAG_ROUTED),
	    RESOLVE_CLASS_OTHER);
	PT_INTEQ(resolve_class(rc, "a%x%myhost.test@relay.test",
	    RESOLVE_FLAG_ROUTED), RESOLVE_CLASS_OTHER);
	PT_INTEQ(resolve_class(rc, "a@x@myhost.test",
	    RESOLVE_FLAG_ROUTED), RESOLVE_CLASS_OTHER);
	PT_INTEQ(resolve_class(rc, "a%x%relay.test@myhost.test",
	    RESOLVE_FLAG_ROUTED), RESOLVE_CLASS_OTHER);
	PT_INTEQ(resolve_class(rc, "a%x%relay.test@myhost.test", 0),
	    RESOLVE_CLASS_RELAY);
	resolve_class_switches(rc, SW_ALL | RESOLVE_SW_ROUTING, "myhost.test");
	PT_INTEQ(resolve_class(rc, "a%x@relay.test", RESOLVE_FLAG_ROUTED),
	    RESOLVE_CLASS_RELAY);
	/* Quoted "@" with resolve_dequoted_address = no: a local user. */
	resolve_class_switches(rc, RESOLVE_SW_PERCENT | RESOLVE_SW_BANG,
	    "myhost.test");
	PT_INTEQ(resolve_class(rc, "\"a@example.com\"@myhost.test",
	    RESOLVE_FLAG_ROUTED), RESOLVE_CLASS_LOCAL);
	resolve_class_free(rc);
	vstring_free(out);
}

PTEST(errors)
{
	VSTRING	*why = vstring_alloc(16);
	RESOLVE_CLASS *rc;

	rc = resolve_class_init("hash:/nonexistent/rc-x", "relay.test", 0, "", why);
	PT_ASSERT(rc != NULL);
	PT_INTEQ(resolve_class(rc, "a@example.com", 0), RESOLVE_CLASS_ERROR);
	PT_INTEQ(resolve_class(rc, "a", 0), RESOLVE_CLASS_LOCAL);
	resolve_class_free(rc);
	rc = resolve_class_init("inline:{my.test=1}", "hash:/nonexistent/rc-y", 0, "", why);
	PT_ASSERT(rc != NULL);
	PT_INTEQ(resolve_class(rc, "a@MY.test", 0), RESOLVE_CLASS_LOCAL);
	PT_INTEQ(resolve_class(rc, "a@example.com", 0), RESOLVE_CLASS_ERROR);
	resolve_class_free(rc);
	vstring_free(why);
}

PTEST(own_addrs)
{
	ARGV	*a = argv_alloc(4);

	resolve_class_own_addrs("loopback-only, [127.0.0.1], 127.1.2.3", a);
	PT_INTEQ(a->argc, 3);
	PT_STREQ(a->argv[0], "127.0.0.1");
	PT_STREQ(a->argv[1], "::1");
	PT_STREQ(a->argv[2], "127.1.2.3");
	argv_free(a);
}

int
main(void)
{
	PT_RUN(classes);
	PT_RUN(virtual_classes);
	PT_RUN(literals);
	PT_RUN(routed);
	PT_RUN(resolve_step);
	PT_RUN(resolve_class_routed_flag);
	PT_RUN(errors);
	PT_RUN(own_addrs);
	return PT_DONE();
}
