/*
 * deliver_reply_test - unit tests for deliver_reply.c
 */
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "deliver_reply.h"
#include "msg.h"
#include "mymalloc.h"
#include "ptest.h"
#include "bounce_clnt.h"

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

/* slurp - a log file's text (for the test: small). */
static char *
slurp(const char *dir, const char *log, const char *id)
{
	static char buf[8192];
	char	 path[256];

	snprintf(path, sizeof(path), "%s/%s/%s", dir, log, id);
	return pt_slurp(path, buf, sizeof(buf));
}

/*
 * A final result that could not be reported goes into the queue file,
 * with the bounce or trace log record the qmgr would have written.
 */
PTEST(record)
{
	char	 dir[] = "/tmp/deliver_reply_test.XXXXXX";
	QF_WRITER *w;
	QF_MSG	*m;
	char	 id[QF_ID_LEN + 1];
	char	*text;

	PT_ASSERT(mkdtemp(dir) != NULL);
	PT_INTEQ(qf_make_dirs(dir, geteuid(), getegid(), NULL), 0);
	PT_ASSERT((w = qf_create(dir, NULL)) != NULL);
	snprintf(id, sizeof(id), "%s", qf_writer_id(w));
	qf_set_sender(w, "s@example.org");
	qf_add_rcpt(w, "ok@example.com", NULL, QF_NOTIFY_SUCCESS);
	qf_add_rcpt(w, "bad@example.com", NULL, 0);
	qf_add_rcpt(w, "later@example.com", NULL, 0);
	qf_add_rcpt(w, "quiet@example.com", NULL, 0);
	PT_INTEQ(qf_write_content(w, "x\n", 2), 0);
	PT_INTEQ(qf_commit(w, QF_ACTIVE, NULL), 0);
	PT_ASSERT((m = qf_open(dir, QF_ACTIVE, id, QF_OPEN_RDONLY, NULL)) != NULL);
	PT_INTEQ(qf_lock_agent(m), 0);
	PT_INTEQ(qf_agent_busy(dir, QF_ACTIVE, id), 1);
	PT_INTEQ(deliver_record(m, dir, 0, "2.0.0", NULL, "250 ok", "mx[1.2.3.4]:25", 0), 1);
	PT_INTEQ(deliver_record(m, dir, 1, "5.1.1", NULL, "550 no", "mx[1.2.3.4]:25", 0), 1);
	PT_INTEQ(deliver_record(m, dir, 2, "4.4.1", NULL, "refused", NULL, 0), 0);
	PT_INTEQ(deliver_record(m, dir, 3, "2.0.0", NULL, "250 ok", NULL, 0), 1);
	PT_INTEQ(deliver_record(m, dir, 9, "2.0.0", NULL, "250 ok", NULL, 0), 0);
	qf_close(m);
	PT_INTEQ(qf_agent_busy(dir, QF_ACTIVE, id), 0);
	PT_ASSERT((m = qf_open(dir, QF_ACTIVE, id, QF_OPEN_RDONLY, NULL)) != NULL);
	PT_INTEQ(m->rcpt[0].status, QF_RCPT_DONE);
	PT_ASSERT(m->rcpt[0].flags & QF_RCPT_FLAG_DELIVERED);
	PT_INTEQ(m->rcpt[1].status, QF_RCPT_DONE);
	PT_ASSERT(m->rcpt[1].flags & QF_RCPT_FLAG_BOUNCED);
	PT_STREQ(m->rcpt[1].last_error, "5.1.1 550 no");
	PT_INTEQ(m->rcpt[2].status, QF_RCPT_PENDING);
	PT_INTEQ(m->rcpt[3].status, QF_RCPT_DONE);
	qf_close(m);
	PT_ASSERT((text = slurp(dir, QB_LOG_BOUNCE, id)) != NULL);
	PT_ASSERT(strstr(text, "rcpt=bad@example.com\n") != NULL);
	PT_ASSERT(strstr(text, "action=failed\n") != NULL);
	PT_ASSERT(strstr(text, "ok@example.com") == NULL);
	PT_ASSERT((text = slurp(dir, QB_LOG_TRACE, id)) != NULL);
	PT_ASSERT(strstr(text, "rcpt=ok@example.com\n") != NULL);
	PT_ASSERT(strstr(text, "quiet@example.com") == NULL);
	pt_rmtree(dir);
}

/*
 * A delivered recipient is noted in its slot before the reply; one that
 * wants a success notice, a deferral and a bounce are left to the qmgr.
 * qf_slot_delivered() reads the note back from the file.
 */
PTEST(mark)
{
	char	 dir[] = "/tmp/deliver_reply_test.XXXXXX";
	QF_WRITER *w;
	QF_MSG	*m, *q;
	char	 id[QF_ID_LEN + 1];

	PT_ASSERT(mkdtemp(dir) != NULL);
	PT_INTEQ(qf_make_dirs(dir, geteuid(), getegid(), NULL), 0);
	PT_ASSERT((w = qf_create(dir, NULL)) != NULL);
	snprintf(id, sizeof(id), "%s", qf_writer_id(w));
	qf_set_sender(w, "s@example.org");
	qf_add_rcpt(w, "ok@example.com", NULL, 0);
	qf_add_rcpt(w, "notify@example.com", NULL, QF_NOTIFY_SUCCESS);
	qf_add_rcpt(w, "later@example.com", NULL, 0);
	qf_add_rcpt(w, "bad@example.com", NULL, 0);
	PT_INTEQ(qf_write_content(w, "x\n", 2), 0);
	PT_INTEQ(qf_commit(w, QF_ACTIVE, NULL), 0);
	/* The qmgr's view, loaded before the agent writes. */
	PT_ASSERT((q = qf_open(dir, QF_ACTIVE, id, QF_OPEN_RDONLY, NULL)) != NULL);
	qf_release(q);
	PT_ASSERT((m = qf_open(dir, QF_ACTIVE, id, QF_OPEN_RDWR, NULL)) != NULL);
	PT_INTEQ(deliver_mark(m, 0, "2.0.0", 0), 1);
	PT_INTEQ(deliver_mark(m, 0, "2.0.0", 0), 0);	/* already */
	PT_INTEQ(deliver_mark(m, 1, "2.0.0", 0), 0);	/* trace first */
	PT_INTEQ(deliver_mark(m, 1, "2.0.0", DELIVER_REPLY_DSN_PASSED), 1);
	PT_INTEQ(deliver_mark(m, 2, "4.4.1", 0), 0);
	PT_INTEQ(deliver_mark(m, 3, "5.1.1", 0), 0);
	PT_INTEQ(deliver_mark(m, 7, "2.0.0", 0), 0);
	/* A reply that then fails: recorded durably, counted once. */
	PT_INTEQ(deliver_record(m, dir, 0, "2.0.0", NULL, "250 ok", NULL, 0), 1);
	PT_INTEQ(m->rcpt[0].attempts, 1);
	qf_close(m);
	PT_INTEQ(q->rcpt[0].status, QF_RCPT_PENDING);
	PT_INTEQ(qf_slot_delivered(q, 0), 1);
	PT_INTEQ(qf_slot_delivered(q, 1), 1);
	PT_INTEQ(qf_slot_delivered(q, 2), 0);
	PT_INTEQ(qf_slot_delivered(q, 3), 0);
	PT_INTEQ(q->rcpt[0].status, QF_RCPT_PENDING);	/* left alone */
	PT_ASSERT(slurp(dir, QB_LOG_TRACE, id) == NULL);
	qf_close(q);
	pt_rmtree(dir);
}

int
main(void)
{
	PT_RUN(actions);
	PT_RUN(delays);
	PT_RUN(delay_fmt);
	PT_RUN(reply);
	PT_RUN(record);
	PT_RUN(mark);
	return PT_DONE();
}
