/*
 * vstream.h - buffered streams over file descriptors. See vstream.c.
 */
#ifndef VSTREAM_H
#define VSTREAM_H

#include <sys/types.h>
#include <stddef.h>

#include "msg.h"
#include "vstring.h"

typedef struct VSTREAM VSTREAM;

/* I/O hooks: TLS (or a test double) plugs in here; the default is read/write. */
typedef ssize_t (*VSTREAM_RW_FN)(int fd, void *buf, size_t len, int timeout, void *ctx);

#define VSTREAM_BUFSIZE		16384

/* Flags for vstream_fdopen(). */
#define VSTREAM_FLAG_READ	(1 << 0)
#define VSTREAM_FLAG_WRITE	(1 << 1)
#define VSTREAM_FLAG_RW		(VSTREAM_FLAG_READ | VSTREAM_FLAG_WRITE)

/* Results of vstream_get_line(). */
#define VSTREAM_LINE_OK		1	/* a complete line (newline stripped) */
#define VSTREAM_LINE_LONG	2	/* limit reached; rest of line still unread */
#define VSTREAM_LINE_PARTIAL	3	/* end of file before a newline */
#define VSTREAM_EOF		0	/* end of file, nothing read */
#define VSTREAM_ERR		(-1)	/* error or timeout: see vstream_ftimeout() */

VSTREAM	*vstream_fdopen(int, int);
int	 vstream_fclose(VSTREAM *);
int	 vstream_fdclose(VSTREAM *);	/* free, keep fd open; returns fd */
int	 vstream_fileno(VSTREAM *);
void	 vstream_set_timeout(VSTREAM *, int);
void	 vstream_set_deadline(VSTREAM *, int);
void	 vstream_set_min_rate(VSTREAM *, int);
void	 vstream_set_io(VSTREAM *, VSTREAM_RW_FN, VSTREAM_RW_FN, void *);
void	 vstream_set_peer(VSTREAM *, const char *);
const char *vstream_peer(VSTREAM *);

int	 vstream_getc(VSTREAM *);		/* 0..255, or -1: EOF or error */
int	 vstream_ungetc(VSTREAM *, int);
ssize_t	 vstream_read(VSTREAM *, void *, size_t);
int	 vstream_get_line(VSTREAM *, VSTRING *, size_t, int);
size_t	 vstream_bufstat(VSTREAM *);
void	 vstream_ready(VSTREAM *);
size_t	 vstream_peek(VSTREAM *, const unsigned char **);

ssize_t	 vstream_write(VSTREAM *, const void *, size_t);
int	 vstream_fputs(VSTREAM *, const char *);
int	 vstream_fprintf(VSTREAM *, const char *, ...) PRINTFLIKE(2, 3);
int	 vstream_fflush(VSTREAM *);

int	 vstream_ferror(VSTREAM *);
int	 vstream_feof(VSTREAM *);
int	 vstream_ftimeout(VSTREAM *);
void	 vstream_clearerr(VSTREAM *);
off_t	 vstream_bytes_read(VSTREAM *);
off_t	 vstream_bytes_written(VSTREAM *);

/*
 * vstream_get_line(stream, buf, limit, flags): read one line into buf
 * (replacing its contents), at most limit bytes. Flags:
 *	VSTREAM_GL_CRLF   strip a CR before the LF too
 *	VSTREAM_GL_KEEPNL keep the line terminator(s) in buf
 * A line longer than limit returns VSTREAM_LINE_LONG with the first limit
 * bytes; the next call continues the same line.
 */
#define VSTREAM_GL_CRLF		(1 << 0)
#define VSTREAM_GL_KEEPNL	(1 << 1)

#endif
