/*
 * iostuff.h - small file descriptor helpers. See iostuff.c.
 */
#ifndef IOSTUFF_H
#define IOSTUFF_H

#include <sys/types.h>
#include <stddef.h>

/* Set or clear O_NONBLOCK / FD_CLOEXEC; return the previous state (0/1) or -1. */
int	 non_blocking(int, int);
int	 close_on_exec(int, int);

/* Write all len bytes, retrying EINTR and short writes; len or -1 (errno). */
ssize_t	 write_all(int, const void *, size_t);

/*
 * Wait until fd is readable/writable. Timeout in seconds; < 0 waits
 * forever, 0 only polls. Return 0 when ready, -1 with errno ETIMEDOUT on
 * time out or another errno on error. EINTR restarts with the time left.
 * poll_wait() is the general form: events are POLLIN/POLLOUT, timeout in
 * milliseconds (< 0 forever).
 */
int	 read_wait(int, int);
int	 write_wait(int, int);
int	 poll_wait(int, int, int);

/*
 * Default stream I/O (VSTREAM_RW_FN shape, ctx unused): wait up to timeout
 * seconds (<= 0: forever) then one read()/write(). Return bytes, 0 at end of
 * file (read), or -1 with errno (ETIMEDOUT on time out). EINTR retried.
 */
ssize_t	 timed_read(int, void *, size_t, int, void *);
ssize_t	 timed_write(int, void *, size_t, int, void *);

/* The monotonic clock in milliseconds. */
long long monotonic_ms(void);

/* The first count (1 to 3) standard descriptors to /dev/null. */
void	 stdio_null(int);

/* Credentials of a UNIX-domain socket peer (SO_PEERCRED); 0 or -1. */
int	 peer_cred(int, uid_t *, gid_t *, pid_t *);

#endif
