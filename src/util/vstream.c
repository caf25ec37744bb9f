/*
 * NAME
 *	vstream - buffered streams over file descriptors
 * SYNOPSIS
 *	#include <vstream.h>
 *
 *	VSTREAM *vstream_fdopen(int fd, int flags);
 *	int	 vstream_fclose(VSTREAM *sp);
 *	int	 vstream_fdclose(VSTREAM *sp);
 *	int	 vstream_fileno(VSTREAM *sp);
 *	void	 vstream_set_timeout(VSTREAM *sp, int seconds);
 *	void	 vstream_set_deadline(VSTREAM *sp, int seconds);
 *	void	 vstream_set_min_rate(VSTREAM *sp, int bytes_per_second);
 *	void	 vstream_set_io(VSTREAM *sp, VSTREAM_RW_FN rd, VSTREAM_RW_FN wr,
 *		    void *ctx);
 *	void	 vstream_set_peer(VSTREAM *sp, const char *name);
 *	const char *vstream_peer(VSTREAM *sp);
 *
 *	int	 vstream_getc(VSTREAM *sp);
 *	int	 vstream_ungetc(VSTREAM *sp, int ch);
 *	ssize_t	 vstream_read(VSTREAM *sp, void *buf, size_t len);
 *	int	 vstream_get_line(VSTREAM *sp, VSTRING *buf, size_t limit,
 *		    int flags);
 *	size_t	 vstream_bufstat(VSTREAM *sp);
 *	size_t	 vstream_peek(VSTREAM *sp, const unsigned char **data);
 *	void	 vstream_ready(VSTREAM *sp);
 *
 *	ssize_t	 vstream_write(VSTREAM *sp, const void *buf, size_t len);
 *	int	 vstream_fputs(VSTREAM *sp, const char *str);
 *	int	 vstream_fprintf(VSTREAM *sp, const char *fmt, ...);
 *	int	 vstream_fflush(VSTREAM *sp);
 *
 *	int	 vstream_ferror(VSTREAM *sp);
 *	int	 vstream_feof(VSTREAM *sp);
 *	int	 vstream_ftimeout(VSTREAM *sp);
 *	void	 vstream_clearerr(VSTREAM *sp);
 *	off_t	 vstream_bytes_read(VSTREAM *sp);
 *	off_t	 vstream_bytes_written(VSTREAM *sp);
 * DESCRIPTION
 *	A VSTREAM is a file descriptor with a read buffer and a write
 *	buffer (VSTREAM_BUFSIZE each, allocated on first use), a time limit
 *	per I/O operation, and sticky error, end-of-file and time-out flags.
 *	There is no stdio underneath.
 *
 *	vstream_fdopen() wraps fd; flags is VSTREAM_FLAG_READ, _WRITE or
 *	_RW. vstream_fclose() flushes, closes the descriptor and frees the
 *	stream; it returns -1 when the flush or close failed or an error
 *	was recorded earlier (so a writer can check only the close).
 *	vstream_fdclose() flushes and frees but leaves the descriptor open
 *	and returns it (or -1 when the flush failed; the fd stays open).
 *
 *	vstream_set_timeout() sets the limit for each read or write
 *	operation in seconds; <= 0 (the default) means none. On time-out
 *	the operation fails and vstream_ftimeout() becomes true.
 *
 *	vstream_set_deadline() turns the per-operation limit into a limit
 *	for all reads and writes from now on: each one waits at most the
 *	time left of seconds counted from the call (never more than the
 *	per-operation limit), and one started after the deadline times
 *	out at once. seconds <= 0 removes the deadline (and the rate).
 *	vstream_set_min_rate() then extends the deadline after each read
 *	of N bytes by the time to receive N bytes at bytes_per_second,
 *	but never beyond the per-operation limit from that moment (a
 *	slow sender must keep at least that rate); 0 stops extending.
 *	Without a deadline, a read or write costs nothing more.
 *
 *	vstream_set_io() replaces the functions that move bytes (null
 *	restores the default): rd/wr are called with the descriptor,
 *	a buffer, its length, the timeout and ctx, and return the number of
 *	bytes moved (> 0; 0 from rd means end of file) or -1 with errno
 *	(ETIMEDOUT for a time-out). This is where TLS plugs in; bytes
 *	already buffered are not affected, so a caller switching to TLS
 *	must first make sure vstream_bufstat() is 0 (a client that sent
 *	data after STARTTLS is attacking the session). The default functions
 *	poll then read or write, except that a socket is written first and
 *	polled only when it is full; sockets are written with MSG_NOSIGNAL
 *	so that a vanished peer gives EPIPE instead of a signal. On error or time-out
 *	vstream_get_line() discards the part of the line it had read.
 *
 *	Reading: when the read buffer is empty and a read is needed, the
 *	write buffer is flushed first, so request/reply protocols need no
 *	explicit flush, while replies to pipelined requests that are
 *	already buffered are sent together. vstream_getc() returns a byte
 *	(0..255) or -1 at end of file or error. vstream_ungetc() pushes one
 *	byte back (-1 if there is no room). vstream_read() behaves like
 *	read(2): it returns buffered bytes if there are any, otherwise waits
 *	for at least one byte; large reads bypass the buffer. It returns
 *	the count, 0 at end of file, -1 on error or time-out.
 *
 *	vstream_get_line() replaces buf with the next line, without its
 *	terminator (VSTREAM_GL_KEEPNL keeps it; VSTREAM_GL_CRLF also strips
 *	or keeps a CR before the LF; a lone CR is data). At most limit bytes
 *	are stored, not counting the terminator. Results: VSTREAM_LINE_OK,
 *	VSTREAM_LINE_LONG (limit bytes stored; the rest of the line is still
 *	unread and the next call continues it), VSTREAM_LINE_PARTIAL (end of
 *	file after some bytes without a newline), VSTREAM_EOF (end of file,
 *	nothing read), VSTREAM_ERR (error or time-out). Cost: one memchr-like
 *	scan and one copy per byte.
 *
 *	vstream_ready() tells the stream that the caller's own poll(2) has
 *	just said that its descriptor is readable: the next read from the
 *	descriptor does not wait for it again (one system call less per
 *	read for a caller that waits on several descriptors). Should the
 *	bytes be gone after all, the read waits as usual.
 *
 *	vstream_bufstat() returns how many bytes are buffered for reading
 *	(read from the descriptor but not yet consumed). vstream_peek()
 *	also points *data at them (valid until the next read), without
 *	consuming them.
 *
 *	Writing: vstream_write() buffers; when the buffer would overflow it
 *	is flushed, and a write at least as large as the buffer goes to the
 *	descriptor directly. It returns len or -1. vstream_fputs() returns
 *	0 or -1; vstream_fprintf() the number of bytes or -1.
 *	vstream_fflush() writes out the buffer (0 or -1).
 *
 *	The flags are sticky: after an error or time-out, reads and writes
 *	fail at once and after end of file reads return end of file, until
 *	vstream_clearerr(). The byte counters count bytes moved through the
 *	descriptor (read: including bytes still buffered).
 * DIAGNOSTICS
 *	Panic: a stream used in a direction it was not opened for, a null
 *	stream. I/O errors are returned, with errno from the failed call.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "iostuff.h"
#include "msg.h"
#include "mymalloc.h"
#include "vstream.h"

#define VSTREAM_KIND_UNKNOWN	0
#define VSTREAM_KIND_SOCK	1
#define VSTREAM_KIND_PIPE	2	/* fifo, tty, device: may block */
#define VSTREAM_KIND_OTHER	3	/* regular file: never blocks */

struct VSTREAM {
	int	 fd;
	int	 flags;
	int	 timeout;
	int	 err, eof, tmout;
	int	 fd_kind;		/* VSTREAM_KIND_* */
	int	 ready;			/* vstream_ready(): skip one wait */
	long long deadline;		/* monotonic ms; 0: none */
	int	 min_rate;		/* bytes/s extending the deadline */
	VSTREAM_RW_FN read_fn, write_fn;
	void	*io_ctx;
	char	*peer;
	unsigned char *rbuf;		/* unread data is rbuf[rpos, rlen) */
	size_t	 rpos, rlen;
	unsigned char *wbuf;
	size_t	 wlen;
	VSTRING	*fmt;			/* vstream_fprintf() scratch */
	off_t	 nread, nwritten;
};

VSTREAM *
vstream_fdopen(int fd, int flags)
{
	VSTREAM	*sp;

	if (fd < 0 || (flags & VSTREAM_FLAG_RW) == 0)
		msg_panic("vstream_fdopen: bad fd %d or flags %#x", fd, flags);
	sp = mycalloc(1, sizeof(*sp));
	sp->fd = fd;
	sp->flags = flags;
	sp->fd_kind = VSTREAM_KIND_UNKNOWN;
	return sp;
}

static void
vstream_free(VSTREAM *sp)
{
	myfree(sp->rbuf);
	myfree(sp->wbuf);
	myfree(sp->peer);
	if (sp->fmt)
		vstring_free(sp->fmt);
	myfree(sp);
}

int
vstream_fclose(VSTREAM *sp)
{
	int	 ret = 0;

	if ((sp->flags & VSTREAM_FLAG_WRITE) && vstream_fflush(sp) < 0)
		ret = -1;
	if (sp->err || sp->tmout)
		ret = -1;
	if (close(sp->fd) < 0 && errno != EINTR)
		ret = -1;
	vstream_free(sp);
	return ret;
}

int
vstream_fdclose(VSTREAM *sp)
{
	int	 fd = sp->fd;

	if ((sp->flags & VSTREAM_FLAG_WRITE) && vstream_fflush(sp) < 0)
		fd = -1;
	vstream_free(sp);
	return fd;
}

int
vstream_fileno(VSTREAM *sp)
{
	return sp->fd;
}

void
vstream_set_timeout(VSTREAM *sp, int timeout)
{
	sp->timeout = timeout;
}

void
vstream_set_deadline(VSTREAM *sp, int seconds)
{
	sp->deadline = seconds > 0 ? monotonic_ms() + seconds * 1000LL : 0;
	if (seconds <= 0)
		sp->min_rate = 0;
}

void
vstream_set_min_rate(VSTREAM *sp, int bytes_per_second)
{
	sp->min_rate = bytes_per_second > 0 ? bytes_per_second : 0;
}

/*
 * The wait allowed to the next read or write: the per-operation limit,
 * made shorter by the deadline (whole seconds, at least 1); 0 when the
 * deadline has passed. Only for a stream with both.
 */
static int
vstream_time_left(VSTREAM *sp)
{
	long long left;

	if ((left = sp->deadline - monotonic_ms()) <= 0)
		return 0;
	left = (left + 999) / 1000;
	return left < sp->timeout ? (int)left : sp->timeout;
}

/* After n bytes read at the minimum rate: extend, up to the limit. */
static void
vstream_extend_deadline(VSTREAM *sp, ssize_t n)
{
	long long now = monotonic_ms(), max = now + sp->timeout * 1000LL;

	sp->deadline += n * 1000LL / sp->min_rate;
	if (sp->deadline > max)
		sp->deadline = max;
}

void
vstream_set_io(VSTREAM *sp, VSTREAM_RW_FN rd, VSTREAM_RW_FN wr, void *ctx)
{
	sp->read_fn = rd;
	sp->write_fn = wr;
	sp->io_ctx = ctx;
}

void
vstream_set_peer(VSTREAM *sp, const char *name)
{
	myfree(sp->peer);
	sp->peer = name ? mystrdup(name) : NULL;
}

const char *
vstream_peer(VSTREAM *sp)
{
	return sp->peer ? sp->peer : "unknown";
}

/* Low-level I/O with error bookkeeping. */

static ssize_t
vstream_sys_read(VSTREAM *sp, void *buf, size_t len)
{
	ssize_t	 n;
	int	 timeout = sp->timeout;

	if (sp->deadline && timeout > 0 && (timeout = vstream_time_left(sp)) == 0) {
		errno = ETIMEDOUT;
		n = -1;
	} else if (sp->read_fn) {
		n = sp->read_fn(sp->fd, buf, len, timeout, sp->io_ctx);
	} else if (sp->ready) {
		/* The caller's poll said readable: no second poll. */
		sp->ready = 0;
		while ((n = recv(sp->fd, buf, len, MSG_DONTWAIT)) < 0
		    && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTSOCK))
			n = timed_read(sp->fd, buf, len, timeout, NULL);
	} else {
		n = timed_read(sp->fd, buf, len, timeout, NULL);
	}
	if (n > 0) {
		sp->nread += n;
		if (sp->min_rate && sp->deadline && sp->timeout > 0)
			vstream_extend_deadline(sp, n);
	} else if (n == 0) {
		sp->eof = 1;
	} else if (errno == ETIMEDOUT) {
		sp->tmout = 1;
	} else {
		sp->err = 1;
	}
	return n;
}

/*
 * vstream_default_write - with a time limit a write must not block after
 * poll said "writable": sockets are written with MSG_DONTWAIT (whatever
 * the descriptor's mode), pipes in chunks of at most PIPE_BUF.
 */
static ssize_t
vstream_default_write(VSTREAM *sp, const void *buf, size_t len, int timeout)
{
	struct stat st;
	ssize_t	 n;
	int	 flags = MSG_NOSIGNAL;

	if (sp->fd_kind == VSTREAM_KIND_UNKNOWN) {
		if (fstat(sp->fd, &st) < 0 || S_ISREG(st.st_mode))
			sp->fd_kind = VSTREAM_KIND_OTHER;
		else if (S_ISSOCK(st.st_mode))
			sp->fd_kind = VSTREAM_KIND_SOCK;
		else
			sp->fd_kind = VSTREAM_KIND_PIPE;
	}
	if (sp->fd_kind != VSTREAM_KIND_SOCK) {
		if (sp->fd_kind == VSTREAM_KIND_PIPE && timeout > 0 &&
		    len > PIPE_BUF)
			len = PIPE_BUF;
		return timed_write(sp->fd, (void *)buf, len, timeout, NULL);
	}
	/* Send first: a socket buffer is rarely full; wait only when it is. */
	if (timeout > 0)
		flags |= MSG_DONTWAIT;
	for (;;) {
		if ((n = send(sp->fd, buf, len, flags)) >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (write_wait(sp->fd, timeout > 0 ? timeout : -1) < 0)
			return -1;
	}
}

/* Write all of buf to the descriptor; 0 or -1. */
static int
vstream_sys_write(VSTREAM *sp, const void *buf, size_t len)
{
	const unsigned char *cp = buf;
	ssize_t	 n;
	int	 timeout;

	while (len > 0) {
		timeout = sp->timeout;
		if (sp->deadline && timeout > 0 &&
		    (timeout = vstream_time_left(sp)) == 0) {
			errno = ETIMEDOUT;
			n = -1;
		} else if (sp->write_fn)
			n = sp->write_fn(sp->fd, (void *)cp, len, timeout,
			    sp->io_ctx);
		else
			n = vstream_default_write(sp, cp, len, timeout);
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			if (errno == ETIMEDOUT)
				sp->tmout = 1;
			else
				sp->err = 1;
			return -1;
		}
		sp->nwritten += n;
		cp += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
vstream_bad(VSTREAM *sp)
{
	if (sp->err || sp->tmout) {
		errno = sp->tmout ? ETIMEDOUT : EIO;
		return 1;
	}
	return 0;
}

int
vstream_fflush(VSTREAM *sp)
{
	size_t	 len;

	if ((sp->flags & VSTREAM_FLAG_WRITE) == 0)
		msg_panic("vstream_fflush: stream not open for writing");
	if (sp->wlen == 0)
		return vstream_bad(sp) ? -1 : 0;
	if (vstream_bad(sp))
		return -1;
	len = sp->wlen;
	sp->wlen = 0;
	return vstream_sys_write(sp, sp->wbuf, len);
}

/*
 * vstream_fill - read more bytes into the buffer, after the unread ones.
 * Returns the number of bytes added, 0 at end of file, -1 on error.
 */
static ssize_t
vstream_fill(VSTREAM *sp)
{
	ssize_t	 n;

	if ((sp->flags & VSTREAM_FLAG_READ) == 0)
		msg_panic("vstream: stream not open for reading");
	if (vstream_bad(sp))
		return -1;
	if (sp->eof)
		return 0;
	if (sp->wlen > 0 && vstream_fflush(sp) < 0)
		return -1;
	if (sp->rbuf == NULL)
		sp->rbuf = mymalloc(VSTREAM_BUFSIZE);
	if (sp->rpos == sp->rlen) {
		sp->rpos = sp->rlen = 0;
	} else if (sp->rlen == VSTREAM_BUFSIZE) {
		memmove(sp->rbuf, sp->rbuf + sp->rpos, sp->rlen - sp->rpos);
		sp->rlen -= sp->rpos;
		sp->rpos = 0;
	}
	if ((n = vstream_sys_read(sp, sp->rbuf + sp->rlen,
	    VSTREAM_BUFSIZE - sp->rlen)) > 0)
		sp->rlen += (size_t)n;
	return n;
}

int
vstream_getc(VSTREAM *sp)
{
	if (sp->rpos == sp->rlen && vstream_fill(sp) <= 0)
		return -1;
	return sp->rbuf[sp->rpos++];
}

int
vstream_ungetc(VSTREAM *sp, int ch)
{
	if (sp->rbuf == NULL)
		sp->rbuf = mymalloc(VSTREAM_BUFSIZE);
	if (sp->rpos > 0) {
		sp->rbuf[--sp->rpos] = (unsigned char)ch;
		return ch;
	}
	if (sp->rlen == VSTREAM_BUFSIZE)
		return -1;
	memmove(sp->rbuf + 1, sp->rbuf, sp->rlen);
	sp->rbuf[0] = (unsigned char)ch;
	sp->rlen++;
	return ch;
}

void
vstream_ready(VSTREAM *sp)
{
	sp->ready = 1;
}

size_t
vstream_bufstat(VSTREAM *sp)
{
	return sp->rlen - sp->rpos;
}

size_t
vstream_peek(VSTREAM *sp, const unsigned char **data)
{
	*data = sp->rbuf ? sp->rbuf + sp->rpos : NULL;
	return sp->rbuf ? sp->rlen - sp->rpos : 0;
}

ssize_t
vstream_read(VSTREAM *sp, void *buf, size_t len)
{
	size_t	 avail;
	ssize_t	 n;

	if (len == 0)
		return 0;
	if (sp->rpos == sp->rlen) {
		if ((sp->flags & VSTREAM_FLAG_READ) == 0)
			msg_panic("vstream_read: stream not open for reading");
		if (vstream_bad(sp))
			return -1;
		if (sp->eof)
			return 0;
		if (len >= VSTREAM_BUFSIZE) {
			if (sp->wlen > 0 && vstream_fflush(sp) < 0)
				return -1;
			return vstream_sys_read(sp, buf, len);
		}
		if ((n = vstream_fill(sp)) <= 0)
			return n;
	}
	avail = sp->rlen - sp->rpos;
	if (len > avail)
		len = avail;
	memcpy(buf, sp->rbuf + sp->rpos, len);
	sp->rpos += len;
	return (ssize_t)len;
}

/*
 * vstream_crlf_at_limit - the line is full and the next byte is CR: is
 * it followed by LF? Then consume both and return 1.
 */
static int
vstream_crlf_at_limit(VSTREAM *sp, VSTRING *buf, int flags)
{
	if (sp->rlen - sp->rpos < 2 && vstream_fill(sp) < 0)
		return -1;
	if (sp->rlen - sp->rpos < 2 || sp->rbuf[sp->rpos + 1] != '\n')
		return 0;
	sp->rpos += 2;
	if (flags & VSTREAM_GL_KEEPNL)
		vstring_memcat(buf, "\r\n", 2);
	return 1;
}

static int
vstream_line_done(VSTRING *buf, int flags)
{
	int	 cr = 0;

	if ((flags & VSTREAM_GL_CRLF) && vstring_len(buf) > 0 &&
	    vstring_end(buf)[-1] == '\r') {
		vstring_truncate(buf, vstring_len(buf) - 1);
		cr = 1;
	}
	if (flags & VSTREAM_GL_KEEPNL) {
		if (cr)
			vstring_addch(buf, '\r');
		vstring_addch(buf, '\n');
	}
	return VSTREAM_LINE_OK;
}

/*
 * vstream_line_full - buf holds limit bytes: look at what follows.
 */
static int
vstream_line_full(VSTREAM *sp, VSTRING *buf, int flags)
{
	ssize_t	 n;
	int	 r;

	if (sp->rpos == sp->rlen && (n = vstream_fill(sp)) <= 0)
		return n < 0 ? VSTREAM_ERR : VSTREAM_LINE_PARTIAL;
	if (sp->rbuf[sp->rpos] == '\n') {
		sp->rpos++;
		return vstream_line_done(buf, flags);
	}
	if (sp->rbuf[sp->rpos] == '\r' && (flags & VSTREAM_GL_CRLF)) {
		if ((r = vstream_crlf_at_limit(sp, buf, flags)) < 0)
			return VSTREAM_ERR;
		if (r)
			return VSTREAM_LINE_OK;
	}
	return VSTREAM_LINE_LONG;
}

int
vstream_get_line(VSTREAM *sp, VSTRING *buf, size_t limit, int flags)
{
	unsigned char *start, *nl;
	size_t	 avail, room, look, idx;
	ssize_t	 n;

	vstring_reset(buf);
	for (;;) {
		if (sp->rpos == sp->rlen && (n = vstream_fill(sp)) <= 0) {
			if (n < 0)
				return VSTREAM_ERR;
			return vstring_len(buf) ? VSTREAM_LINE_PARTIAL : VSTREAM_EOF;
		}
		start = sp->rbuf + sp->rpos;
		avail = sp->rlen - sp->rpos;
		room = limit - vstring_len(buf);
		/* The LF may sit at index room, or room + 1 after a CR. */
		look = room + ((flags & VSTREAM_GL_CRLF) ? 2 : 1);
		if (look > avail || look < room)
			look = avail;
		if ((nl = memchr(start, '\n', look)) != NULL) {
			idx = nl - start;
			if (idx <= room || start[idx - 1] == '\r') {
				vstring_memcat(buf, start, idx);
				sp->rpos += idx + 1;
				return vstream_line_done(buf, flags);
			}
		}
		if (avail > room)
			avail = room;
		vstring_memcat(buf, start, avail);
		sp->rpos += avail;
		if (vstring_len(buf) == limit)
			return vstream_line_full(sp, buf, flags);
	}
}

ssize_t
vstream_write(VSTREAM *sp, const void *buf, size_t len)
{
	if ((sp->flags & VSTREAM_FLAG_WRITE) == 0)
		msg_panic("vstream_write: stream not open for writing");
	if (vstream_bad(sp))
		return -1;
	if (sp->wbuf == NULL)
		sp->wbuf = mymalloc(VSTREAM_BUFSIZE);
	if (sp->wlen + len > VSTREAM_BUFSIZE) {
		if (vstream_fflush(sp) < 0)
			return -1;
		if (len >= VSTREAM_BUFSIZE)
			return vstream_sys_write(sp, buf, len) < 0 ? -1 : (ssize_t)len;
	}
	memcpy(sp->wbuf + sp->wlen, buf, len);
	sp->wlen += len;
	return (ssize_t)len;
}

int
vstream_fputs(VSTREAM *sp, const char *str)
{
	return vstream_write(sp, str, strlen(str)) < 0 ? -1 : 0;
}

int
vstream_fprintf(VSTREAM *sp, const char *fmt, ...)
{
	va_list	 ap;

	if (sp->fmt == NULL)
		sp->fmt = vstring_alloc(256);
	vstring_reset(sp->fmt);
	va_start(ap, fmt);
	vstring_vsprintf_append(sp->fmt, fmt, ap);
	va_end(ap);
	if (vstream_write(sp, vstring_str(sp->fmt), vstring_len(sp->fmt)) < 0)
		return -1;
	return (int)vstring_len(sp->fmt);
}

int
vstream_ferror(VSTREAM *sp)
{
	return sp->err;
}

int
vstream_feof(VSTREAM *sp)
{
	return sp->eof;
}

int
vstream_ftimeout(VSTREAM *sp)
{
	return sp->tmout;
}

void
vstream_clearerr(VSTREAM *sp)
{
	sp->err = sp->eof = sp->tmout = 0;
}

off_t
vstream_bytes_read(VSTREAM *sp)
{
	return sp->nread;
}

off_t
vstream_bytes_written(VSTREAM *sp)
{
	return sp->nwritten;
}
