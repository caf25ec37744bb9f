/*
 * vstream_test - unit tests for vstream (socketpairs, files, I/O hooks).
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iostuff.h"
#include "mymalloc.h"
#include "ptest.h"
#include "vstream.h"

static int
pair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
}

static VSTREAM *
feed(const char *data, size_t len)
{
	int	 sv[2];

	if (pair(sv) < 0 || write_all(sv[1], data, len) < 0)
		return NULL;
	close(sv[1]);
	return vstream_fdopen(sv[0], VSTREAM_FLAG_READ);
}

PTEST(roundtrip)
{
	int	 sv[2];
	VSTREAM	*a, *b;
	VSTRING	*line = vstring_alloc(10);

	PT_ASSERT(pair(sv) == 0);
	a = vstream_fdopen(sv[0], VSTREAM_FLAG_RW);
	b = vstream_fdopen(sv[1], VSTREAM_FLAG_RW);
	PT_INTEQ(vstream_fprintf(a, "hello %d\r\n", 42), 10);
	PT_INTEQ(vstream_fputs(a, "second\n"), 0);
	PT_INTEQ(vstream_bytes_written(a), 0);
	PT_INTEQ(vstream_fflush(a), 0);
	PT_INTEQ(vstream_bytes_written(a), 17);
	PT_INTEQ(vstream_get_line(b, line, 100, VSTREAM_GL_CRLF), VSTREAM_LINE_OK);
	PT_STREQ(vstring_str(line), "hello 42");
	PT_INTEQ(vstream_bufstat(b), 7);
	PT_INTEQ(vstream_getc(b), 's');
	PT_INTEQ(vstream_ungetc(b, 'S'), 'S');
	PT_INTEQ(vstream_get_line(b, line, 100, VSTREAM_GL_KEEPNL), VSTREAM_LINE_OK);
	PT_STREQ(vstring_str(line), "Second\n");
	PT_INTEQ(vstream_bufstat(b), 0);
	PT_INTEQ(vstream_bytes_read(b), 17);
	PT_INTEQ(vstream_fclose(a), 0);
	PT_INTEQ(vstream_get_line(b, line, 100, 0), VSTREAM_EOF);
	PT_ASSERT(vstream_feof(b));
	PT_ASSERT(!vstream_ferror(b));
	PT_INTEQ(vstream_getc(b), -1);
	PT_INTEQ(vstream_fclose(b), 0);
	vstring_free(line);
}

PTEST(line_results)
{
	const char in[] = "abc\r\nabcdef\nxyz\r\r\nab\r\nabc";
	VSTREAM	*sp = feed(in, sizeof(in) - 1);
	VSTRING	*line = vstring_alloc(1);

	PT_ASSERT(sp != NULL);
	PT_INTEQ(vstream_get_line(sp, line, 3, VSTREAM_GL_CRLF), VSTREAM_LINE_OK);
	PT_STREQ(vstring_str(line), "abc");
	PT_INTEQ(vstream_get_line(sp, line, 4, VSTREAM_GL_CRLF), VSTREAM_LINE_LONG);
	PT_STREQ(vstring_str(line), "abcd");
	PT_INTEQ(vstream_get_line(sp, line, 4, VSTREAM_GL_CRLF), VSTREAM_LINE_OK);
	PT_STREQ(vstring_str(line), "ef");
	PT_INTEQ(vstream_get_line(sp, line, 10, VSTREAM_GL_CRLF | VSTREAM_GL_KEEPNL),
	    VSTREAM_LINE_OK);
	PT_STREQ(vstring_str(line), "xyz\r\r\n");
	PT_INTEQ(vstream_get_line(sp, line, 10, 0), VSTREAM_LINE_OK);
	PT_STREQ(vstring_str(line), "ab\r");
	PT_INTEQ(vstream_get_line(sp, line, 10, 0), VSTREAM_LINE_PARTIAL);
	PT_STREQ(vstring_str(line), "abc");
	PT_INTEQ(vstream_get_line(sp, line, 10, 0), VSTREAM_EOF);
	vstream_fclose(sp);
	vstring_free(line);
}

/* A read hook that returns one byte at a time, to hit every boundary. */
static ssize_t
one_byte(int fd, void *buf, size_t len, int timeout, void *ctx)
{
	(*(int *)ctx)++;
	return timed_read(fd, buf, len ? 1 : 0, timeout, NULL);
}

/* Reference model of vstream_get_line(). */
static int
model_line(const char *in, size_t len, size_t *pos, VSTRING *out,
    size_t limit, int flags)
{
	size_t	 p = *pos;

	vstring_reset(out);
	for (;;) {
		if (p == len) {
			*pos = p;
			return vstring_len(out) ? VSTREAM_LINE_PARTIAL : VSTREAM_EOF;
		}
		if (in[p] == '\n') {
			*pos = p + 1;
			if ((flags & VSTREAM_GL_CRLF) && vstring_len(out) &&
			    vstring_end(out)[-1] == '\r')
				vstring_truncate(out, vstring_len(out) - 1);
			return VSTREAM_LINE_OK;
		}
		if (vstring_len(out) == limit) {
			if ((flags & VSTREAM_GL_CRLF) && in[p] == '\r' &&
			    p + 1 < len && in[p + 1] == '\n') {
				*pos = p + 2;
				return VSTREAM_LINE_OK;
			}
			*pos = p;
			return VSTREAM_LINE_LONG;
		}
		vstring_addch(out, in[p++]);
	}
}

static int
compare_model(const char *in, size_t len, size_t limit, int flags, int slow)
{
	VSTREAM	*sp = feed(in, len);
	VSTRING	*got = vstring_alloc(16), *want = vstring_alloc(16);
	size_t	 pos = 0;
	int	 r, m, calls = 0, ok = 1;

	if (sp == NULL)
		return 0;
	if (slow)
		vstream_set_io(sp, one_byte, NULL, &calls);
	do {
		r = vstream_get_line(sp, got, limit, flags);
		m = model_line(in, len, &pos, want, limit, flags);
		if (r != m || vstring_len(got) != vstring_len(want) ||
		    memcmp(vstring_str(got), vstring_str(want), vstring_len(got))) {
			printf("mismatch limit %zu flags %d slow %d: %d/%d \"%s\"/\"%s\"\n",
			    limit, flags, slow, r, m, vstring_str(got), vstring_str(want));
			ok = 0;
			break;
		}
	} while (r != VSTREAM_EOF);
	vstream_fclose(sp);
	vstring_free(got);
	vstring_free(want);
	return ok;
}

PTEST(line_model)
{
	static const char alpha[] = "ab\r\n";
	char	 in[300];
	size_t	 len, i, limit;
	int	 round, flags;

	srandom(12345);
	for (round = 0; round < 400; round++) {
		len = random() % sizeof(in);
		for (i = 0; i < len; i++)
			in[i] = alpha[random() % 4];
		limit = 1 + random() % 8;
		flags = random() % 2 ? VSTREAM_GL_CRLF : 0;
		PT_ASSERT(compare_model(in, len, limit, flags, round % 2));
	}
}

PTEST(line_long_buffer)
{
	size_t	 len = 3 * VSTREAM_BUFSIZE + 7;
	char	*in = mymalloc(len);
	size_t	 i;
	int	 ok;

	for (i = 0; i < len; i++)
		in[i] = i % 1000 == 999 ? '\n' : (i % 77 == 5 ? '\r' : 'x');
	in[VSTREAM_BUFSIZE - 1] = '\r';
	in[VSTREAM_BUFSIZE] = '\n';
	ok = compare_model(in, len, 998, VSTREAM_GL_CRLF, 0) &&
	    compare_model(in, len, 100000, VSTREAM_GL_CRLF, 0) &&
	    compare_model(in, len, 5000, 0, 0);
	myfree(in);
	PT_ASSERT(ok);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

PTEST(read_timeout)
{
	int	 sv[2];
	VSTREAM	*sp;
	VSTRING	*line = vstring_alloc(10);
	double	 t0, dt;

	PT_ASSERT(pair(sv) == 0);
	sp = vstream_fdopen(sv[0], VSTREAM_FLAG_RW);
	vstream_set_timeout(sp, 1);
	PT_ASSERT(write_all(sv[1], "partial", 7) == 7);
	t0 = now();
	PT_INTEQ(vstream_get_line(sp, line, 100, 0), VSTREAM_ERR);
	dt = now() - t0;
	PT_ASSERT(dt >= 0.9 && dt < 5);
	PT_ASSERT(vstream_ftimeout(sp));
	PT_ASSERT(!vstream_feof(sp));
	/* Sticky until cleared. */
	PT_INTEQ(vstream_getc(sp), -1);
	PT_INTEQ(vstream_fputs(sp, "x"), -1);
	vstream_clearerr(sp);
	PT_ASSERT(write_all(sv[1], "\n", 1) == 1);
	PT_INTEQ(vstream_get_line(sp, line, 100, 0), VSTREAM_LINE_OK);
	PT_STREQ(vstring_str(line), "");	/* "partial" was lost */
	PT_INTEQ(vstream_fclose(sp), 0);
	close(sv[1]);
	vstring_free(line);
}

/* A child that writes one chunk every 200 ms, count times, then "\n". */
static pid_t
trickle(int fd, const char *chunk, int count)
{
	pid_t	 pid = fork();
	struct timespec ts = {0, 200 * 1000 * 1000};

	if (pid != 0)
		return pid;
	for (int i = 0; i < count; i++) {
		if (write_all(fd, chunk, strlen(chunk)) < 0)
			_exit(1);
		nanosleep(&ts, NULL);
	}
	(void)write_all(fd, "\n", 1);
	_exit(0);
}

/* A deadline bounds a whole line that trickles in; a rate extends it. */
PTEST(deadline_and_rate)
{
	int	 sv[2], st;
	VSTREAM	*sp;
	VSTRING	*line = vstring_alloc(10);
	pid_t	 pid;
	double	 t0, dt;

	/* Each read is quick, the line takes 3 s: the 1 s deadline ends it. */
	PT_ASSERT(pair(sv) == 0);
	sp = vstream_fdopen(sv[0], VSTREAM_FLAG_RW);
	vstream_set_timeout(sp, 5);
	pid = trickle(sv[1], "x", 15);
	vstream_set_deadline(sp, 1);
	t0 = now();
	PT_INTEQ(vstream_get_line(sp, line, 100, 0), VSTREAM_ERR);
	dt = now() - t0;
	PT_ASSERT(vstream_ftimeout(sp));
	PT_ASSERT(dt >= 0.9 && dt < 2.9);
	vstream_fclose(sp);
	close(sv[1]);
	PT_ASSERT(waitpid(pid, &st, 0) == pid);

	/* 25 bytes/s against a minimum of 10: the deadline moves on. */
	PT_ASSERT(pair(sv) == 0);
	sp = vstream_fdopen(sv[0], VSTREAM_FLAG_RW);
	vstream_set_timeout(sp, 5);
	pid = trickle(sv[1], "xxxxx", 10);
	vstream_set_deadline(sp, 1);
	vstream_set_min_rate(sp, 10);
	PT_INTEQ(vstream_get_line(sp, line, 100, 0), VSTREAM_LINE_OK);
	PT_INTEQ(vstring_len(line), 50);
	/* No deadline: only the per-read limit. */
	vstream_set_deadline(sp, 0);
	PT_ASSERT(waitpid(pid, &st, 0) == pid);
	PT_ASSERT(write_all(sv[1], "ok\n", 3) == 3);
	PT_INTEQ(vstream_get_line(sp, line, 100, 0), VSTREAM_LINE_OK);
	PT_STREQ(vstring_str(line), "ok");
	PT_INTEQ(vstream_fclose(sp), 0);
	close(sv[1]);
	vstring_free(line);
}

PTEST(write_timeout_and_epipe)
{
	int	 sv[2];
	VSTREAM	*sp;
	char	*big = mycalloc(1, 4 << 20);

	PT_ASSERT(pair(sv) == 0);
	sp = vstream_fdopen(sv[0], VSTREAM_FLAG_WRITE);
	vstream_set_timeout(sp, 1);
	/* Nobody reads: the large direct write must time out. */
	PT_INTEQ(vstream_write(sp, big, 4 << 20), -1);
	PT_ASSERT(vstream_ftimeout(sp));
	vstream_clearerr(sp);
	/* Peer gone: EPIPE, not SIGPIPE. */
	close(sv[1]);
	PT_INTEQ(vstream_write(sp, big, 1 << 20), -1);
	PT_ASSERT(vstream_ferror(sp));
	PT_INTEQ(vstream_fclose(sp), -1);
	myfree(big);
}

PTEST(flush_before_read)
{
	int	 sv[2], st;
	VSTREAM	*sp, *cp;
	VSTRING	*line = vstring_alloc(10);
	pid_t	 pid;

	PT_ASSERT(pair(sv) == 0);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		cp = vstream_fdopen(sv[1], VSTREAM_FLAG_RW);
		vstream_set_timeout(cp, 5);
		while (vstream_get_line(cp, line, 100, 0) == VSTREAM_LINE_OK)
			vstream_fprintf(cp, "echo %s\n", vstring_str(line));
		_exit(vstream_fclose(cp) == 0 ? 0 : 1);
	}
	close(sv[1]);
	sp = vstream_fdopen(sv[0], VSTREAM_FLAG_RW);
	vstream_set_timeout(sp, 5);
	/* Two pipelined requests, no explicit flush. */
	vstream_fputs(sp, "one\ntwo\n");
	PT_INTEQ(vstream_get_line(sp, line, 100, 0), VSTREAM_LINE_OK);
	PT_STREQ(vstring_str(line), "echo one");
	PT_INTEQ(vstream_get_line(sp, line, 100, 0), VSTREAM_LINE_OK);
	PT_STREQ(vstring_str(line), "echo two");
	PT_INTEQ(vstream_fclose(sp), 0);
	PT_ASSERT(waitpid(pid, &st, 0) == pid);
	PT_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	vstring_free(line);
}

PTEST(file_bulk)
{
	char	 path[] = "/tmp/vstream_test.XXXXXX";
	int	 fd = mkstemp(path);
	VSTREAM	*sp;
	size_t	 len = 1 << 20, i, got = 0;
	char	*data = mymalloc(len), *back = mymalloc(len);
	ssize_t	 n;

	PT_ASSERT(fd >= 0);
	unlink(path);
	for (i = 0; i < len; i++)
		data[i] = (char)(i * 7);
	sp = vstream_fdopen(fd, VSTREAM_FLAG_RW);
	PT_INTEQ(vstream_write(sp, data, 10), 10);
	PT_INTEQ(vstream_write(sp, data + 10, len - 10), len - 10);
	PT_INTEQ(vstream_fflush(sp), 0);
	PT_INTEQ(vstream_bytes_written(sp), len);
	PT_ASSERT(lseek(fd, 0, SEEK_SET) == 0);
	while ((n = vstream_read(sp, back + got, got < 100 ? 3 : len - got)) > 0)
		got += n;
	PT_INTEQ(n, 0);
	PT_INTEQ(got, len);
	PT_ASSERT(memcmp(data, back, len) == 0);
	PT_ASSERT(vstream_fdclose(sp) == fd);
	close(fd);
	myfree(data);
	myfree(back);
}

/* I/O hooks see the stream's fd, timeout and context. */
static ssize_t
rot13_write(int fd, void *buf, size_t len, int timeout, void *ctx)
{
	char	*cp = buf, tmp[64];
	size_t	 i;

	if (len > sizeof(tmp))
		len = sizeof(tmp);
	for (i = 0; i < len; i++)
		tmp[i] = (cp[i] >= 'a' && cp[i] <= 'z') ?
		    'a' + (cp[i] - 'a' + 13) % 26 : cp[i];
	*(int *)ctx = timeout;
	return timed_write(fd, tmp, len, timeout, NULL);
}

PTEST(io_hooks)
{
	int	 sv[2], seen = 0;
	VSTREAM	*sp;
	char	 buf[200];
	ssize_t	 n;

	PT_ASSERT(pair(sv) == 0);
	sp = vstream_fdopen(sv[0], VSTREAM_FLAG_WRITE);
	vstream_set_timeout(sp, 7);
	vstream_set_io(sp, NULL, rot13_write, &seen);
	vstream_fputs(sp, "hello, world: this is longer than sixty-four bytes, so it takes two calls\n");
	PT_INTEQ(vstream_fflush(sp), 0);
	PT_INTEQ(seen, 7);
	n = read(sv[1], buf, sizeof(buf) - 1);
	PT_ASSERT(n > 64);
	buf[n] = 0;
	PT_ASSERT(strncmp(buf, "uryyb, jbeyq", 12) == 0);
	vstream_set_peer(sp, "peer[1.2.3.4]");
	PT_STREQ(vstream_peer(sp), "peer[1.2.3.4]");
	vstream_fclose(sp);
	close(sv[1]);
}

int
main(void)
{
	PT_RUN(roundtrip);
	PT_RUN(line_results);
	PT_RUN(line_model);
	PT_RUN(line_long_buffer);
	PT_RUN(read_timeout);
	PT_RUN(deadline_and_rate);
	PT_RUN(write_timeout_and_epipe);
	PT_RUN(flush_before_read);
	PT_RUN(file_bulk);
	PT_RUN(io_hooks);
	return PT_DONE();
}
