/*
 * qfile_test - unit tests for the queue file API (qfile, qfile_open,
 * qfile_dir).
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "msg.h"
#include "mymalloc.h"
#include "ptest.h"
#include "qfile.h"

static char qdir[64];

static int
setup(void)
{
	VSTRING	*why = vstring_alloc(100);
	int	 ret;

	snprintf(qdir, sizeof(qdir), "/tmp/qftest.XXXXXX");
	if (mkdtemp(qdir) == NULL)
		return -1;
	ret = qf_make_dirs(qdir, geteuid(), getegid(), why);
	if (ret < 0)
		printf("qf_make_dirs: %s\n", vstring_str(why));
	vstring_free(why);
	return ret;
}

static void
teardown(void)
{
	pt_rmtree(qdir);
}

/* make_msg - commit a message with n recipients; return its id. */
static char *
make_msg(int n, const char *content, uint64_t *envids)
{
	VSTRING	*why = vstring_alloc(100);
	QF_WRITER *w = qf_create(qdir, why);
	char	 addr[64];
	char	*id;
	int	 i;

	if (w == NULL)
		return NULL;
	id = mystrdup(qf_writer_id(w));
	qf_set_sender(w, "sender@example.org");
	qf_set_arrival(w, 1700000000);
	qf_set_arrival_usec(w, 123456);
	qf_set_family(w, AF_INET6);
	qf_set_dsn(w, "ENV-1", QF_RET_HDRS);
	qf_set_origin(w, "smtp");
	qf_set_attr(w, "client_addr", "::1");
	qf_set_attr(w, "helo", "client.example");
	for (i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), "rcpt%d@example.com", i);
		uint64_t e = qf_add_rcpt(w, addr, i % 2 ? "rfc822;orig@example.com" : NULL,
		    QF_NOTIFY_SUCCESS | QF_NOTIFY_FAILURE);
		if (envids)
			envids[i] = e;
	}
	if (qf_write_content(w, content, strlen(content)) < 0 ||
	    qf_commit(w, QF_INCOMING, why) < 0) {
		printf("commit: %s\n", vstring_str(why));
		myfree(id);
		id = NULL;
	}
	vstring_free(why);
	return id;
}

PTEST(round_trip)
{
	uint64_t envids[3];
	char	 buf[100], path[128];
	char	*id = make_msg(3, "Subject: hi\n\nbody\n", envids);
	QF_MSG	*m;
	struct stat st;

	PT_ASSERT(id != NULL);
	PT_ASSERT(qf_valid_id(id));
	snprintf(path, sizeof(path), "%s/tmp/%s", qdir, id);
	PT_ASSERT(stat(path, &st) < 0);		/* nothing left in tmp */
	snprintf(path, sizeof(path), "%s/tmp/.%s", qdir, id);
	PT_ASSERT(stat(path, &st) == 0 && st.st_nlink == 2);	/* but the id's reservation */
	m = qf_open(qdir, QF_INCOMING, id, QF_OPEN_RDONLY, NULL);
	PT_ASSERT(m != NULL);
	PT_STREQ(m->id, id);
	PT_STREQ(m->sender, "sender@example.org");
	PT_INTEQ(m->arrival, 1700000000);
	PT_INTEQ(m->arrival_usec, 123456);
	PT_INTEQ(m->family, AF_INET6);
	PT_STREQ(m->dsn_envid, "ENV-1");
	PT_INTEQ(m->dsn_ret, QF_RET_HDRS);
	PT_STREQ(m->origin, "smtp");
	PT_STREQ(qf_attr(m, "helo"), "client.example");
	PT_STREQ(qf_attr(m, "client_addr"), "::1");
	PT_ASSERT(qf_attr(m, "nope") == NULL);
	PT_INTEQ(m->nrcpt, 3);
	PT_STREQ(m->rcpt[2].address, "rcpt2@example.com");
	PT_ASSERT(m->rcpt[0].orcpt == NULL);
	PT_STREQ(m->rcpt[1].orcpt, "rfc822;orig@example.com");
	PT_ASSERT(m->rcpt[1].envid == envids[1]);
	PT_ASSERT((m->rcpt[1].envid >> 32) == m->msgid);
	PT_INTEQ(m->rcpt[0].notify, QF_NOTIFY_SUCCESS | QF_NOTIFY_FAILURE);
	PT_INTEQ(m->rcpt[0].status, QF_RCPT_PENDING);
	PT_INTEQ(m->content_size, 18);
	PT_INTEQ(qf_read_content(m, 0, buf, sizeof(buf)), 18);
	PT_ASSERT(memcmp(buf, "Subject: hi\n\nbody\n", 18) == 0);
	PT_INTEQ(qf_read_content(m, 13, buf, 2), 2);
	PT_ASSERT(memcmp(buf, "bo", 2) == 0);
	PT_INTEQ(qf_read_content(m, 18, buf, 10), 0);
	PT_INTEQ(qf_read_content(m, 19, buf, 10), -1);
	qf_close(m);
	myfree(id);
}

PTEST(many_rcpts_update)
{
	static uint64_t envids[5000];
	char	*id = make_msg(5000, "x\n", envids);
	QF_MSG	*m;
	int	 i;

	PT_ASSERT(id != NULL);
	m = qf_open(qdir, QF_INCOMING, id, QF_OPEN_RDWR, NULL);
	PT_ASSERT(m != NULL);
	PT_INTEQ(m->nrcpt, 5000);
	for (i = 0; i < m->nrcpt; i++) {
		PT_ASSERT(m->rcpt[i].slot % 512 == 0);
		PT_ASSERT(m->rcpt[i].envid == envids[i]);
	}
	m->rcpt[4321].status = QF_RCPT_DONE;
	m->rcpt[4321].flags = QF_RCPT_FLAG_DELIVERED;
	m->rcpt[4321].attempts = 3;
	m->rcpt[4321].last_attempt = 1700000100;
	m->rcpt[4321].next_attempt = 1700000200;
	qf_rcpt_set_error(&m->rcpt[4321], "%*s", QF_ERR_MAX + 50, "e");
	PT_INTEQ(qf_update_rcpt(m, 4321), 0);
	m->rcpt[0].attempts = 1;
	qf_rcpt_set_error(&m->rcpt[0], "451 4.3.0 try later");
	PT_INTEQ(qf_update_rcpt(m, 0), 0);
	qf_close(m);
	m = qf_open(qdir, QF_INCOMING, id, QF_OPEN_RDONLY, NULL);
	PT_ASSERT(m != NULL);
	PT_INTEQ(m->rcpt[4321].status, QF_RCPT_DONE);
	PT_INTEQ(m->rcpt[4321].flags, QF_RCPT_FLAG_DELIVERED);
	PT_INTEQ(m->rcpt[4321].attempts, 3);
	PT_INTEQ(m->rcpt[4321].last_attempt, 1700000100);
	PT_INTEQ(m->rcpt[4321].next_attempt, 1700000200);
	PT_INTEQ(strlen(m->rcpt[4321].last_error), QF_ERR_MAX);
	PT_STREQ(m->rcpt[0].last_error, "451 4.3.0 try later");
	PT_INTEQ(m->rcpt[4320].status, QF_RCPT_PENDING);
	PT_INTEQ(m->rcpt[4320].attempts, 0);
	qf_close(m);
	myfree(id);
}

PTEST(released_and_readonly_update)
{
	static uint64_t envids[3];
	char	*id = make_msg(3, "hello\n", envids);
	char	 buf[16];
	QF_MSG	*m;

	PT_ASSERT(id != NULL);
	/* Released: no descriptor, reads and updates reopen by path. */
	m = qf_open(qdir, QF_INCOMING, id, QF_OPEN_RDWR, NULL);
	PT_ASSERT(m != NULL);
	qf_release(m);
	PT_INTEQ(m->fd, -1);
	PT_INTEQ(qf_read_content(m, 0, buf, 5), 5);
	PT_ASSERT(memcmp(buf, "hello", 5) == 0);
	m->rcpt[1].status = QF_RCPT_DONE;
	m->rcpt[1].flags = QF_RCPT_FLAG_DELIVERED;
	PT_INTEQ(qf_update_rcpt(m, 1), 0);
	PT_INTEQ(m->fd, -1);
	qf_close(m);
	/* Read-only: an update opens the file for writing just for it. */
	m = qf_open(qdir, QF_INCOMING, id, QF_OPEN_RDONLY, NULL);
	PT_ASSERT(m != NULL);
	PT_INTEQ(m->rcpt[1].status, QF_RCPT_DONE);
	m->rcpt[2].status = QF_RCPT_DONE;
	m->rcpt[2].flags = QF_RCPT_FLAG_BOUNCED;
	PT_INTEQ(qf_update_rcpt(m, 2), 0);
	qf_close(m);
	m = qf_open(qdir, QF_INCOMING, id, QF_OPEN_RDONLY, NULL);
	PT_ASSERT(m != NULL);
	PT_INTEQ(m->rcpt[0].status, QF_RCPT_PENDING);
	PT_INTEQ(m->rcpt[2].status, QF_RCPT_DONE);
	PT_INTEQ(m->rcpt[2].flags, QF_RCPT_FLAG_BOUNCED);
	qf_close(m);
	myfree(id);
}

PTEST(late_envelope)
{
	VSTRING	*why = vstring_alloc(100);
	QF_WRITER *w = qf_create(qdir, why);
	char	 id[QF_ID_LEN + 1], buf[64];
	QF_MSG	*m;

	PT_ASSERT(w != NULL);
	snprintf(id, sizeof(id), "%s", qf_writer_id(w));
	qf_add_rcpt(w, "a@example.com", NULL, 0);
	PT_INTEQ(qf_write_content(w, "hello\n", 6), 0);
	qf_add_rcpt(w, "b@example.com", NULL, QF_NOTIFY_NEVER);
	qf_set_sender(w, "");
	PT_INTEQ(qf_write_content(w, "world\n", 6), 0);
	PT_INTEQ(qf_content_size(w), 12);
	PT_INTEQ(qf_commit(w, QF_INCOMING, why), 0);
	m = qf_open(qdir, QF_INCOMING, id, QF_OPEN_RDWR, why);
	PT_ASSERT(m != NULL);
	PT_STREQ(m->sender, "");
	PT_INTEQ(m->nrcpt, 2);
	PT_STREQ(m->rcpt[1].address, "b@example.com");
	PT_INTEQ(m->rcpt[1].notify, QF_NOTIFY_NEVER);
	PT_INTEQ(qf_read_content(m, 0, buf, sizeof(buf)), 12);
	PT_ASSERT(memcmp(buf, "hello\nworld\n", 12) == 0);
	m->rcpt[1].status = QF_RCPT_DONE;
	PT_INTEQ(qf_update_rcpt(m, 1), 0);
	qf_close(m);
	m = qf_open(qdir, QF_INCOMING, id, QF_OPEN_RDONLY, why);
	PT_ASSERT(m != NULL);
	PT_INTEQ(m->rcpt[1].status, QF_RCPT_DONE);
	PT_INTEQ(m->rcpt[0].status, QF_RCPT_PENDING);
	qf_close(m);
	vstring_free(why);
}

/* The default arrival time is the creation time, to the microsecond. */
PTEST(arrival_precise)
{
	VSTRING	*why = vstring_alloc(100);
	struct timeval before, after;
	char	 id[QF_ID_LEN + 1];
	QF_WRITER *w;
	QF_MSG	*m;
	double	 t;

	gettimeofday(&before, NULL);
	w = qf_create(qdir, why);
	PT_ASSERT(w != NULL);
	snprintf(id, sizeof(id), "%s", qf_writer_id(w));
	qf_add_rcpt(w, "a@example.com", NULL, 0);
	PT_INTEQ(qf_write_content(w, "x\n", 2), 0);
	PT_INTEQ(qf_commit(w, QF_INCOMING, why), 0);
	gettimeofday(&after, NULL);
	m = qf_open(qdir, QF_INCOMING, id, QF_OPEN_RDONLY, why);
	PT_ASSERT(m != NULL);
	t = (double)m->arrival + m->arrival_usec / 1e6;
	PT_ASSERT(t >= before.tv_sec + before.tv_usec / 1e6 - 1e-6);
	PT_ASSERT(t <= after.tv_sec + after.tv_usec / 1e6 + 1e-6);
	qf_close(m);
	vstring_free(why);
}

/* read_file - the whole file into memory. */
static char *
read_file(const char *path, size_t *len)
{
	struct stat st;
	char	*buf;
	int	 fd;

	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &st) < 0)
		return NULL;
	buf = mymalloc((size_t)st.st_size);
	*len = (size_t)read(fd, buf, (size_t)st.st_size);
	close(fd);
	return buf;
}

static void
write_file(const char *path, const char *buf, size_t len)
{
	int	 fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd >= 0) {
		if (write(fd, buf, len) < 0)
			perror(path);
		close(fd);
	}
}

PTEST(hostile_files)
{
	char	*id = make_msg(2, "Subject: x\n\nyy\n", NULL);
	char	 path[128], fake[QF_ID_LEN + 1] = "0badf00d";
	char	*good, *bad;
	size_t	 len, cut, i;
	QF_MSG	*m;
	int	 opened = 0;

	PT_ASSERT(id != NULL);
	snprintf(path, sizeof(path), "%s/%s/%s", qdir, QF_INCOMING, id);
	good = read_file(path, &len);
	PT_ASSERT(good != NULL);
	bad = mymalloc(len);
	/* Every truncation is rejected. */
	for (cut = 0; cut < len; cut++) {
		write_file(path, good, cut);
		if ((m = qf_open(qdir, QF_INCOMING, id, QF_OPEN_RDONLY, NULL)) != NULL) {
			qf_close(m);
			opened++;
		}
	}
	PT_INTEQ(opened, 0);
	/* Every flipped byte of header and envelope is rejected or harmless. */
	for (i = 0; i < 512 && i < len; i++) {
		memcpy(bad, good, len);
		bad[i] ^= 0x5a;
		write_file(path, bad, len);
		if ((m = qf_open(qdir, QF_INCOMING, id, QF_OPEN_RDONLY, NULL)) != NULL) {
			PT_INTEQ(m->nrcpt, 2);
			qf_close(m);
		}
	}
	/* A valid file under another name is rejected. */
	write_file(path, good, len);
	snprintf(path, sizeof(path), "%s/%s/%s", qdir, QF_INCOMING, fake);
	write_file(path, good, len);
	errno = 0;
	PT_ASSERT(qf_open(qdir, QF_INCOMING, fake, QF_OPEN_RDONLY, NULL) == NULL);
	PT_INTEQ(errno, EINVAL);
	/* Garbage, empty files and a missing file. */
	memset(bad, 0xff, len);
	write_file(path, bad, len);
	PT_ASSERT(qf_open(qdir, QF_INCOMING, fake, QF_OPEN_RDONLY, NULL) == NULL);
	write_file(path, "", 0);
	PT_ASSERT(qf_open(qdir, QF_INCOMING, fake, QF_OPEN_RDONLY, NULL) == NULL);
	unlink(path);
	PT_ASSERT(qf_open(qdir, QF_INCOMING, fake, QF_OPEN_RDONLY, NULL) == NULL);
	PT_INTEQ(errno, ENOENT);
	PT_ASSERT(qf_open(qdir, QF_INCOMING, "../../etc", QF_OPEN_RDONLY, NULL) == NULL);
	myfree(good);
	myfree(bad);
	myfree(id);
}

PTEST(damaged_slot)
{
	char	*id = make_msg(2, "x\n", NULL);
	QF_MSG	*m;
	int	 fd;
	char	 path[128];

	PT_ASSERT(id != NULL);
	m = qf_open(qdir, QF_INCOMING, id, QF_OPEN_RDWR, NULL);
	PT_ASSERT(m != NULL);
	m->rcpt[1].status = QF_RCPT_DONE;
	PT_INTEQ(qf_update_rcpt(m, 1), 0);
	snprintf(path, sizeof(path), "%s/%s/%s", qdir, QF_INCOMING, id);
	fd = open(path, O_WRONLY);
	PT_ASSERT(fd >= 0);
	PT_INTEQ(pwrite(fd, "XX", 2, m->rcpt[1].slot + 40), 2);
	close(fd);
	qf_close(m);
	m = qf_open(qdir, QF_INCOMING, id, QF_OPEN_RDONLY, NULL);
	PT_ASSERT(m != NULL);
	PT_INTEQ(m->rcpt[1].status, QF_RCPT_PENDING);	/* never lost */
	qf_close(m);
	myfree(id);
}

/* set_header_bytes - overwrite len bytes of a committed file's header. */
static void
set_header_bytes(const char *id, off_t off, const void *buf, size_t len)
{
	char	 path[128];
	int	 fd;

	snprintf(path, sizeof(path), "%s/%s/%s", qdir, QF_INCOMING, id);
	if ((fd = open(path, O_WRONLY)) < 0 || pwrite(fd, buf, len, off) != (ssize_t)len)
		perror(path);
	if (fd >= 0)
		close(fd);
}

PTEST(header_flags)
{
	static const unsigned char zero[8];
	char	*id7 = make_msg(1, "Subject: plain\n\nascii only\n", NULL);
	char	*id8 = make_msg(1, "Subject: x\n\ncaf\xc3\xa9\n", NULL);
	char	 buf[64];
	QF_MSG	*m;

	PT_ASSERT(id7 != NULL && id8 != NULL);
	m = qf_open(qdir, QF_INCOMING, id7, QF_OPEN_RDONLY, NULL);
	PT_ASSERT(m != NULL);
	PT_INTEQ(m->content_8bit, QF_8BIT_NO);
	PT_INTEQ(m->nologs, 1);
	qf_close(m);
	m = qf_open(qdir, QF_INCOMING, id8, QF_OPEN_RDONLY, NULL);
	PT_ASSERT(m != NULL);
	PT_INTEQ(m->content_8bit, QF_8BIT_YES);
	PT_INTEQ(m->nologs, 1);
	/* The first log clears "no logs" on disk, once (also released). */
	qf_release(m);
	PT_INTEQ(qf_logs_begin(m), 0);
	PT_INTEQ(m->nologs, 0);
	PT_INTEQ(qf_logs_begin(m), 0);
	qf_close(m);
	m = qf_open(qdir, QF_INCOMING, id8, QF_OPEN_RDONLY, NULL);
	PT_ASSERT(m != NULL);
	PT_INTEQ(m->nologs, 0);
	PT_INTEQ(m->content_8bit, QF_8BIT_YES);	/* the other flags stay */
	qf_close(m);
	/* A file of an earlier build (zeros there): all unknown, still read. */
	set_header_bytes(id7, 80, zero, sizeof(zero));
	m = qf_open(qdir, QF_INCOMING, id7, QF_OPEN_RDONLY, NULL);
	PT_ASSERT(m != NULL);
	PT_INTEQ(m->content_8bit, QF_8BIT_UNKNOWN);
	PT_INTEQ(m->nologs, 0);
	PT_INTEQ(m->nrcpt, 1);
	PT_INTEQ(qf_read_content(m, 0, buf, sizeof(buf)), 27);
	PT_ASSERT(memcmp(buf, "Subject: plain\n\nascii only\n", 27) == 0);
	qf_close(m);
	/* Flags that fail their check are unknown, not trusted. */
	set_header_bytes(id8, 80, "\x07", 1);
	m = qf_open(qdir, QF_INCOMING, id8, QF_OPEN_RDONLY, NULL);
	PT_ASSERT(m != NULL);
	PT_INTEQ(m->content_8bit, QF_8BIT_UNKNOWN);
	PT_INTEQ(m->nologs, 0);
	qf_close(m);
	myfree(id7);
	myfree(id8);
}

/* pieces_8bit - commit content written in pieces (first abandoned); the flag. */
static int
pieces_8bit(const char *gone, const char *p1, size_t l1, const char *p2, size_t l2)
{
	QF_WRITER *w = qf_create(qdir, NULL);
	char	 id[QF_ID_LEN + 1];
	off_t	 off, len;
	QF_MSG	*m;
	int	 ret;

	if (w == NULL)
		return -2;
	memcpy(id, qf_writer_id(w), sizeof(id));
	qf_add_rcpt(w, "a@example.com", NULL, 0);
	if (gone && (qf_write_content(w, gone, strlen(gone)) < 0
	    || qf_content_restart(w, &off, &len) < 0)) {
		qf_abort(w);
		return -2;
	}
	if (qf_write_content(w, p1, l1) < 0 || qf_write_content(w, p2, l2) < 0
	    || qf_commit(w, QF_INCOMING, NULL) < 0)
		return -2;
	if ((m = qf_open(qdir, QF_INCOMING, id, QF_OPEN_RDONLY, NULL)) == NULL)
		return -2;
	ret = m->content_8bit;
	qf_close(m);
	return ret;
}

PTEST(eightbit_after_restart)
{
	char	 big[3000];

	/* 7-bit text after abandoned 8-bit content, in odd-sized pieces. */
	memset(big, 'a', sizeof(big));
	PT_INTEQ(pieces_8bit("x: \xff\n\n", big, 13, big, sizeof(big) - 1),
	    QF_8BIT_NO);
	/* The high bit in the last byte of an odd-sized piece is seen. */
	big[20] = (char)0x80;
	PT_INTEQ(pieces_8bit(NULL, big, 13, big + 8, 13), QF_8BIT_YES);
	PT_INTEQ(pieces_8bit(NULL, big, 13, big + 21, 13), QF_8BIT_NO);
}

/* read_all - the whole content, in 64 KiB reads; its size. */
static ssize_t
read_all(QF_MSG *m, char *buf)
{
	ssize_t	 got, n;

	for (got = 0; (n = qf_read_content(m, got, buf + got, 65536)) > 0; got += n)
		;
	return n < 0 ? -1 : got;
}

PTEST(content_read_once)
{
	char	*small = make_msg(1, "Subject: s\n\nsmall\n", NULL);
	char	*content = mymalloc(100001), *buf = mymalloc(100001);
	char	*large, path[128];
	off_t	 off, size;
	QF_MSG	*m;

	PT_ASSERT(small != NULL);
	memset(content, 'z', 100000);
	content[99999] = '\n';
	content[100000] = 0;
	large = make_msg(1, content, NULL);
	PT_ASSERT(large != NULL);
	/* A small message is read with the envelope: gone, it still reads. */
	m = qf_open(qdir, QF_INCOMING, small, QF_OPEN_RDONLY, NULL);
	PT_ASSERT(m != NULL);
	snprintf(path, sizeof(path), "%s/%s/%s", qdir, QF_INCOMING, small);
	PT_INTEQ(truncate(path, 0), 0);
	PT_INTEQ(qf_read_content(m, 9, buf, 100), 9);
	PT_ASSERT(memcmp(buf, "s\n\nsmall\n", 9) == 0);
	/* Released: the memory goes with the descriptor. */
	qf_release(m);
	PT_INTEQ(qf_read_content(m, 0, buf, 100), 0);
	qf_close(m);
	/* A large one: with the request's offset and size, one read too. */
	m = qf_open(qdir, QF_INCOMING, large, QF_OPEN_RDONLY, NULL);
	PT_ASSERT(m != NULL);
	off = m->content_offset;
	size = m->content_size;
	PT_INTEQ(size, 100000);
	qf_close(m);
	m = qf_open_content(qdir, QF_INCOMING, large, QF_OPEN_RDONLY, off, size, NULL);
	PT_ASSERT(m != NULL);
	snprintf(path, sizeof(path), "%s/%s/%s", qdir, QF_INCOMING, large);
	PT_INTEQ(truncate(path, 512), 0);
	PT_INTEQ(read_all(m, buf), 100000);
	PT_ASSERT(memcmp(buf, content, 100000) == 0);
	qf_close(m);
	myfree(small);
	myfree(large);
	large = make_msg(1, content, NULL);
	PT_ASSERT(large != NULL);
	/* A wrong hint costs reads, never wrong content. */
	m = qf_open_content(qdir, QF_INCOMING, large, QF_OPEN_RDONLY, 7, 3, NULL);
	PT_ASSERT(m != NULL);
	PT_INTEQ(m->content_offset, off);
	PT_INTEQ(read_all(m, buf), 100000);
	PT_ASSERT(memcmp(buf, content, 100000) == 0);
	qf_close(m);
	myfree(large);
	myfree(content);
	myfree(buf);
}

/* tmp_list - ids named .<id> in tmp/ with links links (0: any). */
static ARGV *
tmp_list(nlink_t links)
{
	char	 path[512];
	struct dirent *de;
	struct stat st;
	ARGV	*out = argv_alloc(8);
	DIR	*dp;

	snprintf(path, sizeof(path), "%s/%s", qdir, QF_TMP);
	if ((dp = opendir(path)) == NULL)
		return out;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] != '.' || !qf_valid_id(de->d_name + 1))
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", qdir, QF_TMP, de->d_name);
		if (lstat(path, &st) == 0 && (links == 0 || st.st_nlink == links))
			argv_add(out, de->d_name + 1);
	}
	closedir(dp);
	return out;
}

PTEST(id_unique)
{
	QF_WRITER *w[300];
	ARGV	*ids = argv_alloc(300);
	ARGV	*list;
	size_t	 i, j;

	for (i = 0; i < 300; i++) {
		w[i] = qf_create(qdir, NULL);
		PT_ASSERT(w[i] != NULL);
		argv_add(ids, qf_writer_id(w[i]));
	}
	for (i = 0; i < 300; i++)
		for (j = i + 1; j < 300; j++)
			PT_ASSERT(strcmp(ids->argv[i], ids->argv[j]) != 0);
	list = tmp_list(1);
	PT_INTEQ(list->argc, 300);
	argv_free(list);
	for (i = 0; i < 300; i++)
		qf_abort(w[i]);
	list = tmp_list(1);
	PT_INTEQ(list->argc, 0);
	argv_free(list);
	argv_free(ids);
}

/* crash_child - write a message, then die the given way before commit. */
static void
crash_child(int how)
{
	QF_WRITER *w = qf_create(qdir, NULL);
	int	 i;

	if (w == NULL)
		_exit(2);
	qf_set_sender(w, "s@example.org");
	qf_add_rcpt(w, "r@example.com", NULL, 0);
	for (i = 0; i < 1000; i++)
		qf_write_content(w, "a line of content\n", 18);
	if (how == 0)
		_exit(0);
	kill(getpid(), SIGKILL);
	_exit(3);
}

PTEST(crash_before_commit)
{
	ARGV	*before = qf_list(qdir, QF_INCOMING);
	ARGV	*after;
	pid_t	 pid;
	int	 how, status;

	for (how = 0; how < 2; how++) {
		fflush(stdout);
		if ((pid = fork()) == 0)
			crash_child(how);
		PT_ASSERT(pid > 0);
		PT_ASSERT(waitpid(pid, &status, 0) == pid);
		PT_ASSERT(how == 0 ? WIFEXITED(status) && WEXITSTATUS(status) == 0 :
		    WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	}
	after = qf_list(qdir, QF_INCOMING);
	PT_INTEQ(after->argc, before->argc);	/* nothing appeared */
	argv_free(after);
	after = tmp_list(1);
	PT_INTEQ(after->argc, 2);		/* at worst stale files in tmp */
	argv_free(after);
	argv_free(before);
}

PTEST(stale_tmp_cleaned)
{
	struct timeval old[2];
	char	 path[128];
	ARGV	*tmp = tmp_list(1);
	ARGV	*reserved = tmp_list(2);
	QF_WRITER *w = qf_create(qdir, NULL);
	size_t	 i;

	PT_ASSERT(tmp->argc > 0 && w != NULL);	/* left by crash_before_commit */
	PT_ASSERT(reserved->argc > 0);		/* messages of earlier tests */
	old[0].tv_sec = old[1].tv_sec = time(NULL) - 2 * 24 * 3600;
	old[0].tv_usec = old[1].tv_usec = 0;
	for (i = 0; i < tmp->argc; i++) {
		snprintf(path, sizeof(path), "%s/%s/.%s", qdir, QF_TMP, tmp->argv[i]);
		PT_INTEQ(utimes(path, old), 0);
	}
	for (i = 0; i < reserved->argc; i++) {
		snprintf(path, sizeof(path), "%s/%s/.%s", qdir, QF_TMP, reserved->argv[i]);
		PT_INTEQ(utimes(path, old), 0);
	}
	PT_INTEQ(qf_make_dirs(qdir, geteuid(), getegid(), NULL), 0);
	argv_free(tmp);
	tmp = tmp_list(1);
	PT_INTEQ(tmp->argc, 1);			/* only the fresh one is left */
	PT_STREQ(tmp->argv[0], qf_writer_id(w));
	argv_free(tmp);
	tmp = tmp_list(2);			/* and every reservation */
	PT_INTEQ(tmp->argc, reserved->argc);
	argv_free(tmp);
	argv_free(reserved);
	qf_abort(w);
}

PTEST(tmp_reclaim)
{
	char	 path[128];
	QF_WRITER *w = qf_create(qdir, NULL);
	ARGV	*tmp;
	int	 fd;

	PT_ASSERT(w != NULL);
	snprintf(path, sizeof(path), "%s/%s/%s", qdir, QF_TMP, "0badf00d");
	PT_ASSERT((fd = open(path, O_WRONLY | O_CREAT, 0600)) >= 0);
	PT_INTEQ(write(fd, "partial", 7), 7);
	close(fd);
	snprintf(path, sizeof(path), "%s/%s/%s", qdir, QF_TMP, "0badf00e");
	PT_ASSERT((fd = open(path, O_WRONLY | O_CREAT, 0600)) >= 0);
	close(fd);
	/* Both left-overs go; the file being written stays. */
	PT_INTEQ(qf_tmp_reclaim(qdir), 2);
	tmp = qf_list(qdir, QF_TMP);
	PT_INTEQ(tmp->argc, 0);
	argv_free(tmp);
	tmp = tmp_list(1);
	PT_INTEQ(tmp->argc, 1);
	PT_STREQ(tmp->argv[0], qf_writer_id(w));
	argv_free(tmp);
	qf_abort(w);
	PT_INTEQ(qf_tmp_reclaim(qdir), 0);
}

PTEST(id_reservation)
{
	char	*id = make_msg(1, "x\n", NULL);
	char	 res[128], path[128];
	struct stat st;
	ARGV	*list;
	int	 fd;

	PT_ASSERT(id != NULL);
	/* The queue file and tmp/.<id> are one file until qf_remove(). */
	snprintf(res, sizeof(res), "%s/%s/.%s", qdir, QF_TMP, id);
	PT_ASSERT(stat(res, &st) == 0 && st.st_nlink == 2);
	PT_INTEQ(qf_move(qdir, QF_INCOMING, QF_DEFERRED, id), 0);
	PT_ASSERT(stat(res, &st) == 0 && st.st_nlink == 2);
	/* A file of an earlier build has none: the first reclaim makes it. */
	PT_INTEQ(unlink(res), 0);
	snprintf(path, sizeof(path), "%s/%s/.reserved", qdir, QF_TMP);
	(void)unlink(path);
	PT_INTEQ(qf_tmp_reclaim(qdir), 0);
	PT_ASSERT(stat(res, &st) == 0 && st.st_nlink == 2);
	PT_ASSERT(stat(path, &st) == 0);
	/* Only once: tmp/.reserved says it was done. */
	PT_INTEQ(unlink(res), 0);
	PT_INTEQ(qf_tmp_reclaim(qdir), 0);
	PT_ASSERT(stat(res, &st) < 0);
	PT_INTEQ(unlink(path), 0);
	PT_INTEQ(qf_tmp_reclaim(qdir), 0);
	PT_ASSERT(stat(res, &st) == 0 && st.st_nlink == 2);
	/* qf_remove() takes the reservation with the file. */
	PT_INTEQ(qf_remove(qdir, QF_DEFERRED, id), 0);
	PT_ASSERT(stat(res, &st) < 0);
	/* A removal cut short leaves it alone: reclaimed, counted. */
	myfree(id);
	id = make_msg(1, "y\n", NULL);
	PT_ASSERT(id != NULL);
	snprintf(res, sizeof(res), "%s/%s/.%s", qdir, QF_TMP, id);
	snprintf(path, sizeof(path), "%s/%s/%s", qdir, QF_INCOMING, id);
	PT_INTEQ(unlink(path), 0);
	PT_ASSERT((fd = open(res, O_RDONLY)) >= 0);
	close(fd);
	PT_INTEQ(qf_tmp_reclaim(qdir), 1);
	PT_ASSERT(stat(res, &st) < 0);
	list = tmp_list(1);
	PT_INTEQ(list->argc, 0);
	argv_free(list);
	myfree(id);
}

PTEST(dirs_and_moves)
{
	char	*id = make_msg(1, "x\n", NULL);
	char	 q[32], path[128];
	struct stat st;
	ARGV	*list;

	PT_ASSERT(id != NULL);
	snprintf(path, sizeof(path), "%s/maildrop", qdir);
	PT_ASSERT(stat(path, &st) == 0 && (st.st_mode & 07777) == 01730);
	snprintf(path, sizeof(path), "%s/public", qdir);
	PT_ASSERT(stat(path, &st) == 0 && (st.st_mode & 07777) == 0710);
	snprintf(path, sizeof(path), "%s/private", qdir);
	PT_ASSERT(stat(path, &st) == 0 && (st.st_mode & 07777) == 0700);
	PT_INTEQ(qf_find(qdir, id, q, sizeof(q)), 0);
	PT_STREQ(q, QF_INCOMING);
	PT_INTEQ(qf_move(qdir, QF_INCOMING, QF_DEFERRED, id), 0);
	PT_INTEQ(qf_find(qdir, id, q, sizeof(q)), 0);
	PT_STREQ(q, QF_DEFERRED);
	list = qf_list(qdir, QF_DEFERRED);
	PT_INTEQ(list->argc, 1);
	PT_STREQ(list->argv[0], id);
	argv_free(list);
	PT_INTEQ(qf_move(qdir, QF_INCOMING, QF_DEFERRED, id), -1);
	PT_INTEQ(qf_remove(qdir, QF_DEFERRED, id), 0);
	PT_INTEQ(qf_find(qdir, id, q, sizeof(q)), -1);
	PT_INTEQ(qf_move(qdir, QF_INCOMING, QF_DEFERRED, "../x"), -1);
	/* Idempotent. */
	PT_INTEQ(qf_make_dirs(qdir, geteuid(), getegid(), NULL), 0);
	myfree(id);
}

PTEST(ids)
{
	char	 buf[17];
	uint64_t v;

	PT_ASSERT(qf_valid_id("0123abcd"));
	PT_ASSERT(!qf_valid_id("0123ABCD"));
	PT_ASSERT(!qf_valid_id("0123abc"));
	PT_ASSERT(!qf_valid_id("0123abcde"));
	PT_ASSERT(!qf_valid_id(""));
	PT_INTEQ(qf_id_value("0000001f"), 31);
	PT_INTEQ(qf_id_value("ffffffff"), 0xffffffffu);
	qf_envid_format(0x0123abcd00000042ull, buf);
	PT_STREQ(buf, "0123abcd00000042");
	PT_INTEQ(qf_envid_parse("0123ABCD00000042", &v), 0);
	PT_ASSERT(v == 0x0123abcd00000042ull);
	PT_INTEQ(qf_envid_parse("0123abcd0000004", &v), -1);
	PT_INTEQ(qf_envid_parse("0123abcd000000421", &v), -1);
	PT_INTEQ(qf_envid_parse("0123abcd0000004g", &v), -1);
}

int
main(void)
{
	msg_init("postern", "qfile_test");
	if (setup() < 0) {
		printf("FAIL setup\n");
		return 1;
	}
	PT_RUN(round_trip);
	PT_RUN(many_rcpts_update);
	PT_RUN(released_and_readonly_update);
	PT_RUN(late_envelope);
	PT_RUN(arrival_precise);
	PT_RUN(hostile_files);
	PT_RUN(damaged_slot);
	PT_RUN(header_flags);
	PT_RUN(eightbit_after_restart);
	PT_RUN(content_read_once);
	PT_RUN(id_unique);
	PT_RUN(crash_before_commit);
	PT_RUN(stale_tmp_cleaned);
	PT_RUN(tmp_reclaim);
	PT_RUN(id_reservation);
	PT_RUN(dirs_and_moves);
	PT_RUN(ids);
	teardown();
	return PT_DONE();
}
