/*
 * qmgr_clnt_test - unit tests for the service clients qmgr_clnt and
 * bounce_clnt against a server forked here, in a private queue
 * directory: replies, refusals, hang-ups, silence, nobody listening.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounce_clnt.h"
#include "events.h"
#include "iostuff.h"
#include "listen.h"
#include "mail_conf.h"
#include "mymalloc.h"
#include "ptest.h"
#include "qmgr_clnt.h"

static char qdir[64];

static int
listen_at(const char *rel)
{
	VSTRING	*p = vstring_alloc(100);
	int	 fd;

	vstring_sprintf(p, "%s/%s", qdir, rel);
	unlink(vstring_str(p));
	fd = unix_listen(vstring_str(p), 10, 0666, NULL);
	vstring_free(p);
	return fd;
}

/* One connection: read a request, then send the lists in replies[]
 * (name=value pairs, NULL between lists), or hang up (NULL), or stall. */
static void
server(int lfd, const char *const *replies, int stall)
{
	ATTR	*req = attr_alloc(), *list = attr_alloc();
	VSTREAM	*sp = NULL;
	int	 fd = -1;

	if (read_wait(lfd, 10) == 0)
		fd = listen_accept(lfd, NULL, NULL);
	if (fd >= 0 && (sp = vstream_fdopen(fd, VSTREAM_FLAG_RW)) != NULL)
		vstream_set_timeout(sp, 10);
	if (sp == NULL || attr_read(sp, req) < 0)
		_exit(3);
	while (stall)				/* until killed */
		pause();
	for (; replies && *replies; replies++) {
		attr_reset(list);
		for (; *replies; replies += 2)
			attr_add(list, replies[0], replies[1]);
		if (attr_write(sp, list) < 0)
			_exit(4);
	}
	_exit(0);
}

static pid_t
serve(int lfd, const char *const *replies, int stall)
{
	pid_t	 pid;

	if ((pid = fork()) == 0)
		server(lfd, replies, stall);
	return pid;
}

static void
reap(pid_t pid)
{
	int	 st;

	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

PTEST(qmgr_clnt_replies)
{
	static const char *const ok[] = {QC_COUNT, "3", NULL,
	QC_STATUS, "0", QC_REASON, "", NULL, NULL};
	static const char *const refused[] = {QC_STATUS, "1", QC_REASON,
	"permission denied", NULL, NULL};
	VSTRING	*why = vstring_alloc(10);
	int	 lfd = listen_at("public/qmgr");
	long long count;
	pid_t	 pid;

	PT_ASSERT(lfd >= 0);
	pid = serve(lfd, ok, 0);
	PT_INTEQ(qmgr_clnt_request(QC_REQ_FLUSH_DOMAIN, QC_DOMAIN, "x.test", 5,
	    &count, why), QMGR_CLNT_OK);
	PT_INTEQ(count, 3);
	reap(pid);

	pid = serve(lfd, refused, 0);
	PT_INTEQ(qmgr_clnt_request(QC_REQ_REMOVE, QC_ID, "all", 5, &count, why),
	    QMGR_CLNT_FAIL);
	PT_STREQ(vstring_str(why), "permission denied");
	PT_INTEQ(count, -1);
	reap(pid);

	pid = serve(lfd, NULL, 0);		/* hangs up */
	PT_INTEQ(qmgr_clnt_request(QC_REQ_FLUSH, NULL, NULL, 5, NULL, why),
	    QMGR_CLNT_UNAVAIL);
	PT_INTEQ(errno, EPROTO);
	reap(pid);

	pid = serve(lfd, NULL, 1);		/* says nothing */
	PT_INTEQ(qmgr_clnt_request(QC_REQ_FLUSH, NULL, NULL, 1, NULL, why),
	    QMGR_CLNT_UNAVAIL);
	PT_INTEQ(errno, ETIMEDOUT);
	reap(pid);

	close(lfd);
	vstring_free(why);
}

PTEST(qmgr_clnt_not_running)
{
	VSTRING	*why = vstring_alloc(10);
	char	 path[128];

	snprintf(path, sizeof(path), "%s/public/qmgr", qdir);
	unlink(path);
	PT_INTEQ(qmgr_clnt_request(QC_REQ_FLUSH, NULL, NULL, 1, NULL, why),
	    QMGR_CLNT_UNAVAIL);
	PT_INTEQ(errno, ENOENT);
	vstring_free(why);
}

typedef struct RESULT {
	int	 called;
	int	 status;
	char	 new_id[32];
	char	 reason[128];
} RESULT;

static void
got(int status, const ARGV *new_ids, const char *reason, void *ctx)
{
	RESULT	*r = ctx;
	char	*ids = argv_join(new_ids, " ");

	r->called++;
	r->status = status;
	snprintf(r->new_id, sizeof(r->new_id), "%s", ids);
	myfree(ids);
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

/* Ask once; run the event loop until the answer (at most 5 s). */
static void
ask(RESULT *r, int timeout)
{
	static const int list[] = {0, 2};
	VSTREAM	*stream;
	int	 i;

	memset(r, 0, sizeof(*r));
	stream = bounce_clnt_connect(QB_SERVICE, 5);
	PT_ASSERT(stream != NULL);
	if (stream == NULL)
		return;
	PT_INTEQ(bounce_clnt_request(stream, QB_REQ_WARN, "active",
	    "0123abcd", list, 2, timeout, got, r), 0);
	PT_INTEQ(r->called, 0);			/* it did not wait */
	for (i = 0; i < 50 && r->called == 0; i++)
		(void)event_loop(100);
	PT_INTEQ(r->called, 1);
}

PTEST(bounce_clnt_async)
{
	static const char *const ok[] = {QB_REPLY_STATUS, "0", QB_REPLY_REASON,
	"", QB_REPLY_ID, "89abcdef", QB_REPLY_ID, "01234567", NULL, NULL};
	static const char *const failed[] = {QB_REPLY_STATUS, "1",
	QB_REPLY_REASON, "cannot read the message content", QB_REPLY_ID, "",
	NULL, NULL};
	static const char *const part[] = {QB_REPLY_STATUS, "1",
	QB_REPLY_REASON, "cannot write notification", QB_REPLY_ID, "fedcba98",
	NULL, NULL};
	int	 lfd = listen_at("private/bounce");
	RESULT	 r;
	pid_t	 pid;

	PT_ASSERT(lfd >= 0);
	pid = serve(lfd, ok, 0);
	ask(&r, 5);
	PT_INTEQ(r.status, 0);
	PT_STREQ(r.new_id, "89abcdef 01234567");
	reap(pid);

	pid = serve(lfd, failed, 0);
	ask(&r, 5);
	PT_INTEQ(r.status, -1);
	PT_STREQ(r.reason, "cannot read the message content");
	PT_STREQ(r.new_id, "");
	reap(pid);

	pid = serve(lfd, part, 0);		/* one written, then failed */
	ask(&r, 5);
	PT_INTEQ(r.status, -1);
	PT_STREQ(r.new_id, "fedcba98");
	reap(pid);

	pid = serve(lfd, NULL, 0);		/* dies */
	ask(&r, 5);
	PT_INTEQ(r.status, -1);
	PT_STREQ(r.reason, "the service hung up or sent garbage");
	reap(pid);

	pid = serve(lfd, NULL, 1);		/* never answers */
	ask(&r, 1);
	PT_INTEQ(r.status, -1);
	PT_STREQ(r.reason, "timeout waiting for the reply");
	reap(pid);
	close(lfd);
}

int
main(void)
{
	static const char *dirs[] = {"public", "private"};
	char	 sub[100];
	int	 rc, i;

	snprintf(qdir, sizeof(qdir), "/tmp/qmgr_clnt_test.XXXXXX");
	if (mkdtemp(qdir) == NULL)
		return 1;
	for (i = 0; i < 2; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", qdir, dirs[i]);
		(void)mkdir(sub, 0700);
	}
	mail_conf_override("queue_directory", qdir);
	PT_RUN(qmgr_clnt_replies);
	PT_RUN(qmgr_clnt_not_running);
	PT_RUN(bounce_clnt_async);
	rc = PT_DONE();
	snprintf(sub, sizeof(sub), "%s/private/bounce", qdir);
	(void)unlink(sub);
	for (i = 1; i >= 0; i--) {
		snprintf(sub, sizeof(sub), "%s/%s", qdir, dirs[i]);
		(void)rmdir(sub);
	}
	if (rmdir(qdir) < 0)
		perror(qdir);
	return rc;
}
