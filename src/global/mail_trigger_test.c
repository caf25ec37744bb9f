/*
 * mail_trigger_test - unit tests for mail_trigger with a private queue
 * directory: sockets, fifos, services that are down, slow or stuck.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iostuff.h"
#include "listen.h"
#include "mail_conf.h"
#include "mail_trigger.h"
#include "ptest.h"

static char qdir[64];

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
listen_at(const char *rel, int backlog)
{
	VSTRING	*p = vstring_alloc(100);
	int	 fd;

	vstring_sprintf(p, "%s/%s", qdir, rel);
	fd = unix_listen(vstring_str(p), backlog, 0666, NULL);
	vstring_free(p);
	return fd;
}

static void
unlink_at(const char *rel)
{
	VSTRING	*p = vstring_alloc(100);

	vstring_sprintf(p, "%s/%s", qdir, rel);
	unlink(vstring_str(p));
	vstring_free(p);
}

PTEST(paths)
{
	VSTRING	*b = vstring_alloc(10);
	char	 want[128];

	snprintf(want, sizeof(want), "%s/public/qmgr", qdir);
	PT_STREQ(mail_trigger_path(b, "qmgr"), want);
	snprintf(want, sizeof(want), "%s/private/bounce", qdir);
	PT_STREQ(mail_trigger_path(b, "private/bounce"), want);
	PT_STREQ(mail_trigger_path(b, "/run/x"), "/run/x");
	vstring_free(b);
}

/* Read one trigger from listener lfd into a. */
static void
accept_trigger(int lfd, ATTR *a)
{
	VSTREAM	*sp;
	int	 fd;

	PT_INTEQ(read_wait(lfd, 5), 0);
	fd = listen_accept(lfd, NULL, NULL);
	PT_ASSERT(fd >= 0);
	sp = vstream_fdopen(fd, VSTREAM_FLAG_RW);
	vstream_set_timeout(sp, 5);
	PT_INTEQ(attr_read(sp, a), 0);
	vstream_fclose(sp);
}

PTEST(trigger_socket)
{
	int	 lfd = listen_at("public/qmgr", 10);
	ATTR	*a = attr_alloc();

	PT_ASSERT(lfd >= 0);
	PT_INTEQ(mail_trigger("qmgr"), 0);
	accept_trigger(lfd, a);
	PT_STREQ(attr_get(a, "request"), "trigger");
	PT_INTEQ(a->count, 1);
	close(lfd);
	/* Socket left behind by a dead service: refused, at once. */
	PT_INTEQ(mail_trigger("qmgr"), -1);
	PT_INTEQ(errno, ECONNREFUSED);
	unlink_at("public/qmgr");
	PT_INTEQ(mail_trigger("qmgr"), -1);
	PT_INTEQ(errno, ENOENT);
	attr_free(a);
}

PTEST(trigger_fifo)
{
	VSTRING	*p = vstring_alloc(100);
	char	 buf[64];
	int	 fd;

	vstring_sprintf(p, "%s/public/pickup", qdir);
	fd = fifo_listen(vstring_str(p), 0622, NULL);
	PT_ASSERT(fd >= 0);
	PT_INTEQ(mail_trigger("pickup"), 0);
	PT_INTEQ(read_wait(fd, 5), 0);
	PT_INTEQ(read(fd, buf, sizeof(buf)), 17);
	PT_ASSERT(memcmp(buf, "request=trigger\n\n", 17) == 0);
	close(fd);
	/* A fifo nobody reads: open fails with ENXIO, no hang. */
	PT_INTEQ(mail_trigger("pickup"), -1);
	unlink(vstring_str(p));
	vstring_free(p);
}

PTEST(trigger_id)
{
	int	 lfd = listen_at("public/qmgr", 10), fd;
	VSTRING	*p = vstring_alloc(100);
	ATTR	*a = attr_alloc();
	char	 buf[64];
	const char want[] = "request=trigger\nqueue_id=0a1b2c3d\n\n";

	PT_ASSERT(lfd >= 0);
	PT_INTEQ(mail_trigger_id("qmgr", "0a1b2c3d"), 0);
	accept_trigger(lfd, a);
	PT_STREQ(attr_get(a, "request"), "trigger");
	PT_STREQ(attr_get(a, MAIL_TRIGGER_QUEUE_ID), "0a1b2c3d");
	PT_INTEQ(a->count, 2);
	/* Not a message-id (a newline would forge attributes): anonymous. */
	PT_INTEQ(mail_trigger_id("qmgr", "0a1b\nrequest=flush"), 0);
	accept_trigger(lfd, a);
	PT_STREQ(attr_get(a, "request"), "trigger");
	PT_INTEQ(a->count, 1);
	PT_INTEQ(mail_trigger_id("qmgr", NULL), 0);
	accept_trigger(lfd, a);
	PT_INTEQ(a->count, 1);
	close(lfd);
	unlink_at("public/qmgr");
	/* Through a fifo: the whole trigger in one write. */
	vstring_sprintf(p, "%s/public/idfifo", qdir);
	fd = fifo_listen(vstring_str(p), 0622, NULL);
	PT_ASSERT(fd >= 0);
	PT_INTEQ(mail_trigger_id("idfifo", "0a1b2c3d"), 0);
	PT_INTEQ(read_wait(fd, 5), 0);
	PT_INTEQ(read(fd, buf, sizeof(buf)), (int)sizeof(want) - 1);
	PT_ASSERT(memcmp(buf, want, sizeof(want) - 1) == 0);
	close(fd);
	unlink(vstring_str(p));
	vstring_free(p);
	attr_free(a);
}

PTEST(trigger_never_blocks)
{
	int	 lfd = listen_at("public/busy", 0), i, r = 0;
	double	 t0, dt;

	PT_ASSERT(lfd >= 0);
	/* Nobody accepts: the listen queue fills; each call still returns. */
	t0 = now();
	for (i = 0; i < 50; i++)
		r |= mail_trigger("busy");
	dt = now() - t0;
	PT_ASSERT(dt < 0.5);
	PT_INTEQ(r, -1);
	PT_INTEQ(errno, EAGAIN);
	close(lfd);
	unlink_at("public/busy");
}

PTEST(connect_not_running)
{
	unlink_at("private/ctl");
	errno = 0;
	PT_ASSERT(mail_trigger_connect("private/ctl", 1) == NULL);
	PT_INTEQ(errno, ENOENT);
}

int
main(void)
{
	char	 sub[100];
	int	 rc;

	snprintf(qdir, sizeof(qdir), "/tmp/mail_trigger_test.XXXXXX");
	if (mkdtemp(qdir) == NULL)
		return 1;
	snprintf(sub, sizeof(sub), "%s/public", qdir);
	mkdir(sub, 0755);
	snprintf(sub, sizeof(sub), "%s/private", qdir);
	mkdir(sub, 0700);
	mail_conf_override("queue_directory", qdir);
	PT_RUN(paths);
	PT_RUN(trigger_socket);
	PT_RUN(trigger_fifo);
	PT_RUN(trigger_id);
	PT_RUN(trigger_never_blocks);
	PT_RUN(connect_not_running);
	rc = PT_DONE();
	snprintf(sub, sizeof(sub), "%s/public", qdir);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/private", qdir);
	rmdir(sub);
	if (rmdir(qdir) < 0)
		perror(qdir);
	return rc;
}
