/*
 * deliver_serve_test - unit tests for deliver_serve: the request loop
 * of a delivery agent, and opening the message of a request.
 */
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "deliver_serve.h"
#include "msg.h"
#include "mymalloc.h"
#include "ptest.h"

static int calls, waits, stop_at, wrong;

static int
count_request(ATTR *attr, VSTREAM *client)
{
	calls++;
	if (strcmp(attr_get(attr, "n"), calls == 1 ? "1" : "2") != 0)
		wrong++;
	return calls == stop_at ? -1 : 0;
}

static void
count_wait(VSTREAM *client)
{
	waits++;
}

/* The queue manager's end and the agent's end of a connection. */
static void
connection(VSTREAM **q, VSTREAM **agent)
{
	int	 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		msg_fatal("socketpair: %m");
	*q = vstream_fdopen(sv[0], VSTREAM_FLAG_RW);
	*agent = vstream_fdopen(sv[1], VSTREAM_FLAG_RW);
}

/* Requests "n=1", "n=2" on a connection the other end then closes. */
static void
serve(int stop, void (*wait)(VSTREAM *))
{
	VSTREAM	*q, *agent;
	ATTR	*a = attr_alloc();

	connection(&q, &agent);
	attr_add(a, "n", "1");
	PT_INTEQ(attr_write(q, a), 0);
	attr_reset(a);
	attr_add(a, "n", "2");
	PT_INTEQ(attr_write(q, a), 0);
	vstream_fclose(q);
	calls = waits = 0;
	stop_at = stop;
	deliver_serve(agent, 5, wait, count_request);
	vstream_fclose(agent);
	attr_free(a);
}

PTEST(loop)
{
	serve(0, count_wait);
	PT_INTEQ(calls, 2);
	PT_INTEQ(wrong, 0);
	PT_INTEQ(waits, 3);		/* before each read, the end too */
	serve(1, NULL);			/* a malformed request ends it */
	PT_INTEQ(calls, 1);
	PT_INTEQ(waits, 0);
}

PTEST(open)
{
	char	 dir[] = "/tmp/deliver_serve_test.XXXXXX";
	char	 id[QF_ID_LEN + 1];
	DELIVER_RCPT rcpt[2] = {{3, "a@example.com", NULL, NULL},
	    {7, "b@example.com", NULL, NULL}};
	DELIVER_REQ dr;
	QF_WRITER *w;
	QF_MSG	*m;
	ARGV	*delivered = argv_alloc(2);
	ATTR	*a = attr_alloc();
	VSTREAM	*q, *agent;
	const char *text = "Delivered-To: x@example.com\nSubject: t\n\nbody\n";

	PT_ASSERT(mkdtemp(dir) != NULL);
	PT_INTEQ(qf_make_dirs(dir, geteuid(), getegid(), NULL), 0);
	PT_ASSERT((w = qf_create(dir, NULL)) != NULL);
	snprintf(id, sizeof(id), "%s", qf_writer_id(w));
	qf_set_sender(w, "s@example.org");
	qf_add_rcpt(w, "a@example.com", NULL, 0);
	qf_add_rcpt(w, "b@example.com", NULL, 0);
	PT_INTEQ(qf_write_content(w, text, strlen(text)), 0);
	PT_INTEQ(qf_commit(w, QF_ACTIVE, NULL), 0);
	connection(&q, &agent);

	/* Opened, locked for the agent, Delivered-To: collected. */
	memset(&dr, 0, sizeof(dr));
	dr.queue_name = QF_ACTIVE;
	dr.queue_id = id;
	dr.content_offset = dr.content_size = -1;
	PT_ASSERT((m = deliver_serve_open(dir, &dr, delivered, agent, rcpt,
	    2)) != NULL);
	PT_INTEQ(qf_agent_busy(dir, QF_ACTIVE, id), 1);
	PT_INTEQ(delivered->argc, 1);
	PT_STREQ(delivered->argv[0], "x@example.com");
	qf_close(m);

	/* Not there: every recipient is told 4.3.0. */
	dr.queue_id = "NOSUCHID";
	PT_ASSERT(deliver_serve_open(dir, &dr, NULL, agent, rcpt, 2) == NULL);
	PT_INTEQ(vstream_fflush(agent), 0);
	PT_INTEQ(attr_read(q, a), 0);
	PT_INTEQ(attr_get_long(a, "rcpt_index", -1), 3);
	PT_STREQ(attr_get(a, "status"), "4.3.0");
	PT_STREQ(attr_get(a, "reason"), "cannot read the queue file");
	attr_reset(a);
	PT_INTEQ(attr_read(q, a), 0);
	PT_INTEQ(attr_get_long(a, "rcpt_index", -1), 7);
	vstream_fclose(q);
	vstream_fclose(agent);
	attr_free(a);
	argv_free(delivered);
	pt_rmtree(dir);
}

int
main(void)
{
	msg_init("postern", "deliver_serve_test");
	PT_RUN(loop);
	PT_RUN(open);
	return PT_DONE();
}
