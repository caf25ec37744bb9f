/*
 * qenv_test - unit tests for the queue-envelope module (qenv): selection,
 * hold/release/remove on files, the walk, expiry, the lock, the view and
 * the dump.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "msg.h"
#include "mymalloc.h"
#include "ptest.h"
#include "qenv.h"
#include "qfile.h"
#include "qmgr_clnt.h"

static char qdir[64];
static int nlogged;

static void PRINTFLIKE(1, 2)
count_log(const char *fmt, ...)
{
	nlogged++;
}

static int
setup(void)
{
	snprintf(qdir, sizeof(qdir), "/tmp/qenvtest.XXXXXX");
	if (mkdtemp(qdir) == NULL)
		return -1;
	return qf_make_dirs(qdir, geteuid(), getegid(), NULL);
}

static void
teardown(void)
{
	pt_rmtree(qdir);
}

/* make_msg - a message of sender with n recipients in queue; its id. */
static char *
make_msg(const char *sender, int n, const char *queue, uint64_t *envids)
{
	QF_WRITER *w;
	char	 addr[64], id[QF_ID_LEN + 1];
	int	 i;

	if ((w = qf_create(qdir, NULL)) == NULL)
		return NULL;
	snprintf(id, sizeof(id), "%s", qf_writer_id(w));
	qf_set_sender(w, sender);
	qf_set_arrival(w, 1700000000);
	qf_set_family(w, AF_INET);
	qf_set_origin(w, "smtp");
	qf_set_dsn(w, "ENV-1", QF_RET_HDRS);
	qf_set_attr(w, "helo", "client.example");
	for (i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), "r%d@example.com", i);
		envids[i] = qf_add_rcpt(w, addr, i ? "rfc822;o@example.com" :
		    NULL, i ? QF_NOTIFY_SUCCESS | QF_NOTIFY_DELAY : 0);
	}
	qf_write_content(w, "Subject: x\n\nbody\n", 17);
	return qf_commit(w, queue, NULL) < 0 ? NULL : mystrdup(id);
}

PTEST(sel_parse)
{
	QENV_SEL sel;

	PT_INTEQ(qenv_sel_parse(&sel, "all", 0), -1);
	PT_INTEQ(qenv_sel_parse(&sel, "all", QENV_SEL_ALLOW_ALL), 0);
	PT_ASSERT(sel.all && qenv_sel_msg(&sel, "0123abcd"));
	PT_INTEQ(qenv_sel_parse(&sel, "0123abcd", 0), 0);
	PT_STREQ(sel.msgid, "0123abcd");
	PT_ASSERT(sel.envid == 0 && !sel.all);
	PT_ASSERT(qenv_sel_msg(&sel, "0123abcd") && !qenv_sel_msg(&sel, "0123abce"));
	PT_INTEQ(qenv_sel_parse(&sel, "0123abcd00000007", 0), 0);
	PT_STREQ(sel.msgid, "0123abcd");
	PT_ASSERT(sel.envid == 0x0123abcd00000007ULL);
	PT_INTEQ(qenv_sel_parse(&sel, "0000000000000000", 0), -1);
	PT_INTEQ(qenv_sel_parse(&sel, "0123ABC", 0), -1);
	PT_INTEQ(qenv_sel_parse(&sel, "0123abcd0000000", 0), -1);
	PT_INTEQ(qenv_sel_parse(&sel, "0123abcd000000070", 0), -1);
	PT_INTEQ(qenv_sel_parse(&sel, "../../etc", 0), -1);
	PT_INTEQ(qenv_sel_parse(&sel, NULL, QENV_SEL_ALLOW_ALL), -1);
}

static int
count_file(const char *queue, const char *id, void *ctx)
{
	(*(int *)ctx)++;
	return 1;
}

PTEST(walk_and_change)
{
	uint64_t e1[3], e2[1];
	char	*id1 = make_msg("a@example.org", 3, QF_DEFERRED, e1);
	char	*id2 = make_msg("", 1, QF_HOLD, e2);
	const char *queues[] = {QF_INCOMING, QF_DEFERRED, QF_HOLD, NULL};
	VSTRING	*why = vstring_alloc(64);
	char	 envid[17];
	QENV_SEL sel;
	QF_MSG	*qf;
	int	 calls = 0, gone = -1;

	PT_ASSERT(id1 && id2);
	qenv_sel_parse(&sel, "all", QENV_SEL_ALLOW_ALL);
	PT_INTEQ(qenv_walk(qdir, queues, &sel, count_file, &calls), 2);
	calls = 0;
	qenv_sel_parse(&sel, id2, 0);
	PT_INTEQ(qenv_walk(qdir, queues, &sel, count_file, &calls), 1);

	/* Hold one envelope, then hold the message: one more. */
	qf_envid_format(e1[1], envid);
	qenv_sel_parse(&sel, envid, 0);
	PT_INTEQ(qenv_file_change(qdir, QF_DEFERRED, id1, &sel, QENV_HOLD, NULL,
	    &gone, why), 1);
	PT_INTEQ(gone, 0);
	qenv_sel_parse(&sel, id1, 0);
	PT_INTEQ(qenv_file_change(qdir, QF_DEFERRED, id1, &sel, QENV_HOLD, NULL,
	    NULL, why), 2);
	PT_INTEQ(qenv_file_change(qdir, QF_DEFERRED, id1, &sel, QENV_RELEASE,
	    NULL, NULL, why), 3);
	PT_INTEQ(qenv_file_change(qdir, QF_DEFERRED, id1, &sel, QENV_RELEASE,
	    NULL, NULL, why), 0);

	/* Sender selection: the null sender's message only. */
	qenv_sel_parse(&sel, "all", QENV_SEL_ALLOW_ALL);
	sel.sender = "";
	PT_INTEQ(qenv_file_change(qdir, QF_DEFERRED, id1, &sel, QENV_HOLD, NULL,
	    NULL, why), 0);
	PT_INTEQ(qenv_file_change(qdir, QF_HOLD, id2, &sel, QENV_HOLD, NULL,
	    NULL, why), 1);

	/* Remove one envelope: logged, the file stays. */
	nlogged = 0;
	qf_envid_format(e1[0], envid);
	qenv_sel_parse(&sel, envid, 0);
	PT_INTEQ(qenv_file_change(qdir, QF_DEFERRED, id1, &sel, QENV_REMOVE,
	    count_log, &gone, why), 1);
	PT_INTEQ(nlogged, 1);
	PT_INTEQ(gone, 0);
	qf = qf_open(qdir, QF_DEFERRED, id1, QF_OPEN_RDONLY, why);
	PT_ASSERT(qf != NULL);
	PT_INTEQ(qf->rcpt[0].status, QF_RCPT_DONE);
	PT_ASSERT(qf->rcpt[0].flags & QF_RCPT_FLAG_REMOVED);
	PT_INTEQ(qf->rcpt[1].status, QF_RCPT_PENDING);
	PT_ASSERT(!qenv_all_done(qf));
	qf_close(qf);

	/* Remove the rest: the file and its logs go, three more lines. */
	qenv_sel_parse(&sel, id1, 0);
	PT_INTEQ(qenv_file_change(qdir, QF_DEFERRED, id1, &sel, QENV_REMOVE,
	    count_log, &gone, why), 2);
	PT_INTEQ(gone, 1);
	PT_INTEQ(nlogged, 4);
	PT_INTEQ(qenv_file_change(qdir, QF_DEFERRED, id1, &sel, QENV_REMOVE,
	    count_log, &gone, why), -1);
	PT_INTEQ(errno, ENOENT);
	vstring_free(why);
	myfree(id1);
	myfree(id2);
}

/* add_id - the ids a walk gives, one after the other */
static int
add_id(const char *queue, const char *id, void *ctx)
{
	vstring_sprintf_append((VSTRING *)ctx, "%s ", id);
	return 1;
}

/* remove_file - empty the queues before a test that counts */
static int
remove_file(const char *queue, const char *id, void *ctx)
{
	return qf_remove(qdir, queue, id) == 0;
}

static int
count_files(const char *queue, const char *id, void *ctx)
{
	(*(int *)ctx)++;
	return 1;
}

PTEST(walk_dirs)
{
	uint64_t e[2];
	const char *queues[] = {QF_INCOMING, QF_DEFERRED, QF_HOLD, NULL};
	const char *missing[] = {QF_DEFERRED, "nosuch", NULL};
	char	 hold[128], saved[128];
	VSTRING	*got = vstring_alloc(32), *want = vstring_alloc(32);
	QENV_SEL sel;
	char	*a, *b, *c;
	int	 fd, files = 0, unlisted = 0;

	qenv_sel_parse(&sel, "all", QENV_SEL_ALLOW_ALL);
	(void)qenv_walk(qdir, queues, &sel, remove_file, NULL);
	a = make_msg("a@example.org", 1, QF_DEFERRED, e);
	b = make_msg("b@example.org", 1, QF_DEFERRED, e);
	c = make_msg("c@example.org", 1, QF_INCOMING, e);
	PT_ASSERT(a && b && c);

	/* Readable: every message, none unlisted. */
	PT_INTEQ(qenv_walk_dirs(qdir, queues, &sel, count_files, &files,
	    &unlisted), 3);
	PT_INTEQ(files, 3);
	PT_INTEQ(unlisted, 0);

	/* A missing directory: counted, silent for qenv_walk. */
	PT_INTEQ(qenv_walk_dirs(qdir, missing, &sel, count_files, &files,
	    &unlisted), 2);
	PT_INTEQ(unlisted, 1);
	PT_INTEQ(qenv_walk(qdir, missing, &sel, count_files, &files), 2);

	/* Not a directory (fails for root too): the others are walked. */
	snprintf(hold, sizeof(hold), "%s/%s", qdir, QF_HOLD);
	snprintf(saved, sizeof(saved), "%s/hold.saved", qdir);
	PT_ASSERT(rename(hold, saved) == 0);
	PT_ASSERT((fd = open(hold, O_WRONLY | O_CREAT, 0600)) >= 0);
	(void)close(fd);
	unlisted = 0;
	PT_INTEQ(qenv_walk_dirs(qdir, queues, &sel, count_files, &files,
	    &unlisted), 3);
	PT_INTEQ(unlisted, 1);
	PT_INTEQ(qenv_walk(qdir, queues, &sel, count_files, &files), 3);
	PT_ASSERT(unlink(hold) == 0 && rename(saved, hold) == 0);

	/* One message-id: looked up, not listed. */
	unlisted = 0;
	qenv_sel_parse(&sel, b, 0);
	PT_INTEQ(qenv_walk_dirs(qdir, queues, &sel, count_files, &files,
	    &unlisted), 1);
	PT_INTEQ(unlisted, 0);

	/* By queue, then by id. */
	vstring_sprintf(want, "%s %s %s ", c, strcmp(a, b) < 0 ? a : b,
	    strcmp(a, b) < 0 ? b : a);
	qenv_sel_parse(&sel, "all", QENV_SEL_ALLOW_ALL);
	PT_INTEQ(qenv_walk(qdir, queues, &sel, add_id, got), 3);
	PT_STREQ(vstring_str(got), vstring_str(want));
	vstring_free(got);
	vstring_free(want);

	qf_remove(qdir, QF_DEFERRED, a);
	qf_remove(qdir, QF_DEFERRED, b);
	qf_remove(qdir, QF_INCOMING, c);
	myfree(a);
	myfree(b);
	myfree(c);
}

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

PTEST(walk_many)
{
	const char *queues[] = {QF_DEFERRED, NULL};
	VSTRING	*got = vstring_alloc(4096), *want = vstring_alloc(4096);
	char	*ids[300];
	uint64_t e[1];
	QENV_SEL sel;
	char	 path[128];
	int	 i, fd, n = (int)(sizeof(ids) / sizeof(ids[0]));

	/* More files than one read-ahead batch: each once, by id. */
	qenv_sel_parse(&sel, "all", QENV_SEL_ALLOW_ALL);
	(void)qenv_walk(qdir, queues, &sel, remove_file, NULL);
	for (i = 0; i < n; i++)
		PT_ASSERT((ids[i] = make_msg("m@example.org", 1, QF_DEFERRED,
		    e)) != NULL);
	qsort(ids, n, sizeof(ids[0]), id_cmp);
	for (i = 0; i < n; i++) {
		vstring_sprintf_append(want, "%s ", ids[i]);
		/* Out of the page cache: the walk reads the files ahead. */
		snprintf(path, sizeof(path), "%s/%s/%s", qdir, QF_DEFERRED,
		    ids[i]);
		if ((fd = open(path, O_RDONLY)) >= 0) {
			(void)fdatasync(fd);
			(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
			(void)close(fd);
		}
	}
	PT_INTEQ(qenv_walk(qdir, queues, &sel, add_id, got), n);
	PT_STREQ(vstring_str(got), vstring_str(want));
	PT_INTEQ(qenv_walk(qdir, queues, &sel, remove_file, NULL), n);
	for (i = 0; i < n; i++)
		myfree(ids[i]);
	vstring_free(got);
	vstring_free(want);
}

PTEST(view_and_expiry)
{
	uint64_t e[2];
	char	*id = make_msg("", 2, QF_HOLD, e);
	VSTRING	*why = vstring_alloc(64);
	QENV_VIEW v = {QF_HOLD, "", "mta", "offline", NULL, 0, 0};
	ATTR	*a = attr_alloc();
	QF_MSG	*qf;

	PT_ASSERT(id != NULL);
	qf = qf_open(qdir, QF_HOLD, id, QF_OPEN_RDONLY, why);
	PT_ASSERT(qf != NULL);
	PT_ASSERT(qenv_expires(qf, 100, 10) == 1700000010);
	PT_ASSERT(qenv_held(qf, 0, QF_HOLD) && !qenv_held(qf, 0, QF_DEFERRED));
	PT_ASSERT(!qenv_is_bounce(qf));
	v.expires = qenv_expires(qf, 100, 10);
	qenv_view(a, qf, 1, &v);
	PT_STREQ(attr_get(a, QC_MSGID), id);
	PT_STREQ(attr_get(a, QC_FLAGS), "held");
	PT_STREQ(attr_get(a, QC_ORCPT), "o@example.com");
	PT_STREQ(attr_get(a, QC_RCPT), "r1@example.com");
	PT_STREQ(attr_get(a, QC_FAMILY), "inet4");
	PT_STREQ(attr_get(a, QC_EXPIRES), "1700000010");
	PT_ASSERT(attr_get(a, QC_NEXT_TRY) == NULL);
	attr_reset(a);
	v.delay_name = QC_NEXT_TRY;
	v.delay = 42;
	qenv_view(a, qf, 0, &v);
	PT_STREQ(attr_get(a, QC_ORCPT), "r0@example.com");
	PT_STREQ(attr_get(a, QC_NEXT_TRY), "42");

	attr_reset(a);
	qenv_dump_msg(a, qf, QF_HOLD);
	PT_STREQ(attr_get(a, "queue_id"), id);
	PT_STREQ(attr_get(a, "sender"), "");
	PT_STREQ(attr_get(a, "dsn_ret"), "HDRS");
	PT_STREQ(attr_get(a, "dsn_envid"), "ENV-1");
	PT_STREQ(attr_get(a, "attribute"), "helo=client.example");
	PT_STREQ(attr_get(a, "content_size"), "17");
	PT_STREQ(attr_get(a, "recipient_count"), "2");
	attr_reset(a);
	qenv_dump_rcpt(a, qf, 1);
	PT_STREQ(attr_get(a, "notify"), "SUCCESS,DELAY");
	PT_STREQ(attr_get(a, "orcpt"), "rfc822;o@example.com");
	PT_STREQ(attr_get(a, "status"), "pending");
	PT_ASSERT(qenv_dump_numeric("attempts") && !qenv_dump_numeric("sender"));
	qf_close(qf);
	attr_free(a);
	vstring_free(why);
	myfree(id);
}

PTEST(lock)
{
	VSTRING	*why = vstring_alloc(64);
	int	 fd, status, pipefd[2];
	pid_t	 pid;
	char	 c;

	fd = qenv_lock(qdir, 0, why);
	PT_ASSERT(fd >= 0);
	/* fcntl locks are per process: a child must find it taken. */
	PT_ASSERT(pipe(pipefd) == 0);
	if ((pid = fork()) == 0) {
		int	 fd2 = qenv_lock(qdir, 0, why);

		_exit(fd2 < 0 && errno == EAGAIN
		    && strstr(vstring_str(why), "locked by pid") ? 0 : 1);
	}
	PT_ASSERT(pid > 0);
	PT_ASSERT(waitpid(pid, &status, 0) == pid);
	PT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Let go: the child takes it, also after waiting for it. */
	if ((pid = fork()) == 0) {
		(void)read(pipefd[0], &c, 1);
		_exit(qenv_lock(qdir, 5, why) >= 0 ? 0 : 1);
	}
	(void)close(fd);
	(void)write(pipefd[1], "x", 1);
	PT_ASSERT(waitpid(pid, &status, 0) == pid);
	PT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	(void)close(pipefd[0]);
	(void)close(pipefd[1]);
	vstring_free(why);
}

int
main(void)
{
	msg_init("postern", "qenv_test");
	if (setup() < 0) {
		printf("FAIL setup: %s: %s\n", qdir, strerror(errno));
		return 1;
	}
	PT_RUN(sel_parse);
	PT_RUN(walk_and_change);
	PT_RUN(walk_dirs);
	PT_RUN(walk_many);
	PT_RUN(view_and_expiry);
	PT_RUN(lock);
	teardown();
	return PT_DONE();
}
