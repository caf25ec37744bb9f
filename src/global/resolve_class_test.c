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
	PT_INTEQ(resolve_class(rc, "a%b@myhost.test", RESOLVE_FLAG_ROUTED),
	    RESOLVE_CLASS_OTHER);
	PT_INTEQ(resolve_class(rc, "a%b@myhost.test", 0), RESOLVE_CLASS_LOCAL);
	PT_INTEQ(resolve_class(rc, "\"a@x\"@relay.test", RESOLVE_FLAG_ROUTED),
	    RESOLVE_CLASS_OTHER);
	/* The domain is after the last unquoted "@". */
	PT_INTEQ(resolve_class(rc, "\"a@example.com\"@myhost.test", 0),
	    RESOLVE_CLASS_LOCAL);
	PT_INTEQ(resolve_class(rc, "\"x@myhost.test\"", 0), RESOLVE_CLASS_LOCAL);
	resolve_class_free(rc);
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
	PT_RUN(errors);
	PT_RUN(own_addrs);
	return PT_DONE();
}
