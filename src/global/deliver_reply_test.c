/*
 * deliver_reply_test - unit tests for deliver_reply.c
 */
#include <sys/socket.h>
#include <unistd.h>

#include "attr.h"
#include "deliver_reply.h"
#include "ptest.h"

PTEST(actions)
{
	PT_STREQ(deliver_action("2.0.0"), "delivered");
	PT_STREQ(deliver_action("5.1.1"), "failed");
	PT_STREQ(deliver_action("4.3.0"), "delayed");
	PT_STREQ(deliver_status("2.0.0"), "sent");
	PT_STREQ(deliver_status("5.4.6"), "bounced");
	PT_STREQ(deliver_status("4.2.0"), "deferred");
}

PTEST(delays)
{
	VSTRING	*v = vstring_alloc(10);
	double	 now = deliver_now();

	deliver_delays(v, now - 20, now - 15, now - 3, now - 1);
	PT_STREQ(vstring_str(v), "delay=20, delays=5/12/2/1");
	deliver_delays(v, 0, 0, 0, 0);
	PT_STREQ(vstring_str(v), "delay=0, delays=0/0/0/0");
	vstring_free(v);
}

PTEST(delay_fmt)
{
	static const struct {
		double	 v;
		const char *want;
	} t[] = {
		{0, "0"}, {0.001, "0"}, {0.05, "0.05"}, {0.5, "0.5"},
		{0.123, "0.12"}, {1.234, "1.2"}, {1.04, "1"}, {12.3, "12"},
		{-1, "0"},
	};
	VSTRING	*v = vstring_alloc(10);

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		vstring_reset(v);
		PT_STREQ(vstring_str(deliver_delay_fmt(v, t[i].v)), t[i].want);
	}
	vstring_free(v);
}

PTEST(reply)
{
	int	 sv[2];
	VSTREAM	*w, *r;
	ATTR	*a = attr_alloc();

	PT_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	w = vstream_fdopen(sv[0], VSTREAM_FLAG_RW);
	r = vstream_fdopen(sv[1], VSTREAM_FLAG_RW);
	PT_ASSERT(deliver_reply(w, 3, "5.1.1", NULL, "unknown user", NULL) == 0);
	PT_ASSERT(deliver_reply_done(w) == 0);
	PT_ASSERT(attr_read(r, a) == 0);
	PT_INTEQ(attr_get_long(a, "rcpt_index", -1), 3);
	PT_STREQ(attr_get(a, "action"), "failed");
	PT_STREQ(attr_get(a, "reason"), "unknown user");
	PT_ASSERT(attr_get(a, "relay") == NULL);
	PT_ASSERT(attr_get(a, "dsn_passed") == NULL);
	attr_reset(a);
	PT_ASSERT(attr_read(r, a) == 0);
	PT_STREQ(attr_get(a, "done"), "1");
	PT_ASSERT(attr_get(a, "dest_failed") == NULL);
	PT_ASSERT(deliver_reply_flags(w, 4, "2.0.0", "relayed", "ok",
	    "h[192.0.2.1]:25", DELIVER_REPLY_DSN_PASSED) == 0);
	PT_ASSERT(deliver_reply_done_flags(w, DELIVER_REPLY_DEST_FAILED) == 0);
	attr_reset(a);
	PT_ASSERT(attr_read(r, a) == 0);
	PT_STREQ(attr_get(a, "action"), "relayed");
	PT_STREQ(attr_get(a, "relay"), "h[192.0.2.1]:25");
	PT_STREQ(attr_get(a, "dsn_passed"), "1");
	attr_reset(a);
	PT_ASSERT(attr_read(r, a) == 0);
	PT_STREQ(attr_get(a, "done"), "1");
	PT_STREQ(attr_get(a, "dest_failed"), "1");
	attr_free(a);
	vstream_fclose(w);
	vstream_fclose(r);
}

int
main(void)
{
	PT_RUN(actions);
	PT_RUN(delays);
	PT_RUN(delay_fmt);
	PT_RUN(reply);
	return PT_DONE();
}
