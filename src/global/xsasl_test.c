/*
 * xsasl_test - unit tests for xsasl_server (security options, mechanism
 * filter) and the built-in postern back end (PLAIN, LOGIN, bad input).
 * The cyrus and dovecot back ends talk to real libraries and servers:
 * tests/test_auth_cyrus.py and tests/test_auth_dovecot.py cover them;
 * here only the Cyrus client's security options (xsasl_cyrus_security),
 * which pick the mechanism without a server.
 */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "dict.h"
#include "msg.h"
#include "ptest.h"
#include "xsasl.h"

static char table_path[] = "/tmp/xsasl_test.XXXXXX";
static char table_spec[64];

static const char *
b64(const char *data, size_t len)
{
	static VSTRING *v;

	if (v == NULL)
		v = vstring_alloc(64);
	return vstring_str(base64_encode(v, data, len));
}

static XSASL_SERVER *
session(int sec)
{
	static XSASL_SERVER_IMPL *impl;
	XSASL_SERVER_ARGS a = {"smtp", "", "127.0.0.1", 1025, "127.0.0.1", 25,
	    0, 0};
	VSTRING	*why = vstring_alloc(10);

	if (impl == NULL)
		impl = xsasl_server_init("postern", table_spec, why);
	vstring_free(why);
	a.sec = sec;
	return impl ? impl->create(impl, &a) : NULL;
}

PTEST(security_options)
{
	VSTRING	*why = vstring_alloc(10);

	PT_ASSERT(xsasl_sec_parse("noanonymous, noplaintext", why) ==
	    (XSASL_SEC_NOANONYMOUS | XSASL_SEC_NOPLAINTEXT));
	PT_ASSERT(xsasl_sec_parse("", why) == 0);
	PT_ASSERT(xsasl_sec_parse("noanonymous bogus", why) < 0);
	PT_ASSERT(strstr(vstring_str(why), "bogus") != NULL);
	PT_ASSERT(xsasl_mech_allowed("PLAIN", XSASL_SEC_NOANONYMOUS));
	PT_ASSERT(!xsasl_mech_allowed("LOGIN", XSASL_SEC_NOPLAINTEXT));
	PT_ASSERT(!xsasl_mech_allowed("ANONYMOUS", XSASL_SEC_NOANONYMOUS));
	PT_ASSERT(xsasl_mech_allowed("SCRAM-SHA-256", XSASL_SEC_NOPLAINTEXT |
	    XSASL_SEC_NODICTIONARY));
	PT_ASSERT(!xsasl_mech_allowed("X-UNKNOWN", XSASL_SEC_NOANONYMOUS));
	vstring_free(why);
}

PTEST(cyrus_security)
{
	XSASL_CLIENT_ARGS a = {"smtp", "mx.example", "", "", "u", "p",
	    XSASL_SEC_NOPLAINTEXT | XSASL_SEC_NOANONYMOUS};
	VSTRING	*why = vstring_alloc(10), *init = vstring_alloc(10);
	XSASL_CLIENT *c;
	const char *mech = NULL;
	int	 has_init;

	if ((c = xsasl_cyrus_client_create(&a, why)) == NULL)
		PT_FAILED("create: %s", vstring_str(why));
	else {
		PT_INTEQ(c->first(c, "PLAIN LOGIN ANONYMOUS", &mech, init,
		    &has_init, why), XSASL_AUTH_FAIL);
		PT_STREQ(vstring_str(why), "no mechanism available");
		c->free(c);
	}
	a.sec = 0;
	if ((c = xsasl_cyrus_client_create(&a, why)) == NULL)
		PT_FAILED("create: %s", vstring_str(why));
	else {
		PT_INTEQ(c->first(c, "PLAIN", &mech, init, &has_init, why),
		    XSASL_AUTH_MORE);
		PT_STREQ(mech, "PLAIN");
		PT_INTEQ(has_init, 1);
		c->free(c);
	}
	vstring_free(why);
	vstring_free(init);
}

PTEST(unknown_type)
{
	VSTRING	*why = vstring_alloc(10);

	PT_ASSERT(xsasl_server_init("bogus", "", why) == NULL);
	PT_ASSERT(strstr(vstring_str(why), "unsupported") != NULL);
	PT_ASSERT(xsasl_server_init("postern", "", why) == NULL);
	PT_ASSERT(strstr(vstring_str(why), "smtpd_sasl_password_maps") != NULL);
	vstring_free(why);
}

PTEST(plain)
{
	XSASL_SERVER *s = session(XSASL_SEC_NOANONYMOUS);
	VSTRING	*why = vstring_alloc(10), *reply = vstring_alloc(10);

	PT_ASSERT(s != NULL);
	PT_STREQ(s->mechs(s, why), "PLAIN LOGIN");
	PT_ASSERT(s->first(s, "PLAIN", b64("\0alice\0pw1", 10), reply) ==
	    XSASL_AUTH_DONE);
	PT_STREQ(s->username(s), "alice");
	PT_ASSERT(s->first(s, "plain", b64("alice\0alice\0pw1", 15), reply) ==
	    XSASL_AUTH_DONE);
	PT_ASSERT(s->first(s, "PLAIN", b64("\0alice\0pw2", 10), reply) ==
	    XSASL_AUTH_FAIL);
	PT_STREQ(vstring_str(reply), "authentication failure");
	PT_ASSERT(s->first(s, "PLAIN", b64("bob\0alice\0pw1", 13), reply) ==
	    XSASL_AUTH_FAIL);
	PT_ASSERT(s->first(s, "PLAIN", b64("\0nobody\0pw1", 11), reply) ==
	    XSASL_AUTH_FAIL);
	PT_STREQ(vstring_str(reply), "authentication failure");
	/* No initial response: an empty challenge, then the response. */
	PT_ASSERT(s->first(s, "PLAIN", NULL, reply) == XSASL_AUTH_MORE);
	PT_STREQ(vstring_str(reply), "");
	PT_ASSERT(s->next(s, b64("\0alice\0pw1", 10), reply) == XSASL_AUTH_DONE);
	s->free(s);
	vstring_free(why);
	vstring_free(reply);
}

PTEST(login)
{
	XSASL_SERVER *s = session(0);
	VSTRING	*reply = vstring_alloc(10);

	PT_ASSERT(s->first(s, "LOGIN", NULL, reply) == XSASL_AUTH_MORE);
	PT_STREQ(vstring_str(reply), "VXNlcm5hbWU6");
	PT_ASSERT(s->next(s, b64("alice", 5), reply) == XSASL_AUTH_MORE);
	PT_STREQ(vstring_str(reply), "UGFzc3dvcmQ6");
	PT_ASSERT(s->next(s, b64("pw1", 3), reply) == XSASL_AUTH_DONE);
	PT_ASSERT(s->first(s, "LOGIN", b64("alice", 5), reply) == XSASL_AUTH_MORE);
	PT_ASSERT(s->next(s, b64("nope", 4), reply) == XSASL_AUTH_FAIL);
	PT_STREQ(s->username(s), "alice");
	s->free(s);
	vstring_free(reply);
}

PTEST(bad_input)
{
	XSASL_SERVER *s = session(0);
	XSASL_SERVER *np = session(XSASL_SEC_NOPLAINTEXT);
	VSTRING	*reply = vstring_alloc(10), *why = vstring_alloc(10);

	PT_ASSERT(s->first(s, "CRAM-MD5", NULL, reply) == XSASL_AUTH_FAIL);
	PT_STREQ(vstring_str(reply), "Invalid authentication mechanism");
	PT_ASSERT(s->first(s, "PLAIN", "!!!!", reply) == XSASL_AUTH_FAIL);
	PT_STREQ(vstring_str(reply), "Invalid base64 data in initial response");
	PT_ASSERT(s->first(s, "PLAIN", "=", reply) == XSASL_AUTH_FAIL);
	PT_ASSERT(s->first(s, "PLAIN", b64("\0alice\0pw1\0x", 12), reply) ==
	    XSASL_AUTH_FAIL);
	PT_STREQ(vstring_str(reply), "Invalid authentication data");
	PT_ASSERT(s->first(s, "LOGIN", NULL, reply) == XSASL_AUTH_MORE);
	PT_ASSERT(s->next(s, "abc", reply) == XSASL_AUTH_FAIL);
	PT_STREQ(vstring_str(reply), "Invalid base64 data in continued response");
	PT_ASSERT(s->first(s, "LOGIN", b64("al\0ice", 6), reply) ==
	    XSASL_AUTH_FAIL);
	/* A plaintext entry in the table is never compared. */
	PT_ASSERT(s->first(s, "PLAIN", b64("\0carol\0clear", 12), reply) ==
	    XSASL_AUTH_FAIL);
	PT_ASSERT(np->mechs(np, why) == NULL);
	PT_ASSERT(np->first(np, "PLAIN", b64("\0alice\0pw1", 10), reply) ==
	    XSASL_AUTH_FAIL);
	s->free(s);
	np->free(np);
	vstring_free(reply);
	vstring_free(why);
}

int
main(void)
{
	int	 fd = mkstemp(table_path);
	FILE	*fp;
	int	 r;

	if (fd < 0 || (fp = fdopen(fd, "w")) == NULL)
		msg_fatal("mkstemp: %m");
	fprintf(fp, "alice %s\ncarol clear\n", crypt("pw1", "$6$unittestsalt$"));
	fclose(fp);
	snprintf(table_spec, sizeof(table_spec), "texthash:%s", table_path);
	PT_RUN(security_options);
	PT_RUN(cyrus_security);
	PT_RUN(unknown_type);
	PT_RUN(plain);
	PT_RUN(login);
	PT_RUN(bad_input);
	r = PT_DONE();
	unlink(table_path);
	return r;
}
