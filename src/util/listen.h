/*
 * listen.h - listening sockets: inet, unix, fifo. See listen.c.
 *
 * All returned descriptors are non-blocking and close-on-exec (a process
 * that passes one to a child dup2()s it, which clears close-on-exec).
 * Non-blocking matters: several processes may accept() on one listener and
 * all but one then see EAGAIN instead of hanging.
 */
#ifndef LISTEN_H
#define LISTEN_H

#include <sys/socket.h>

#include "vstring.h"

#define INET_LISTEN_MAX	16		/* sockets per inet_listen() call */

/*
 * inet_listen(addr, backlog, fds, maxfds, why): addr is "host:port",
 * "[ipv6]:port", "*:port" or "port" (the last two: every address, IPv4
 * 0.0.0.0 and IPv6 ::, the latter only when the host has IPv6). The host
 * may be a name: one socket per address it resolves to. port may be a
 * service name. SO_REUSEADDR on all, IPV6_V6ONLY on IPv6 sockets. Return
 * the number of sockets stored in fds (>= 1), or -1 with a reason in why
 * (then no socket is left open).
 */
int	 inet_listen(const char *, int, int *, int, VSTRING *);

/*
 * unix_listen(path, backlog, mode, why): bind a UNIX stream socket at path
 * (a stale socket there is removed first; any other file is an error) with
 * permissions mode. fifo_listen(path, mode, why): create (or reuse) a
 * fifo and open it read-write so it never reports end of file. Both return
 * the fd or -1 with a reason in why.
 */
int	 unix_listen(const char *, int, mode_t, VSTRING *);
int	 fifo_listen(const char *, mode_t, VSTRING *);

/*
 * listen_accept(fd, sa, salen): accept() one connection, close-on-exec and
 * blocking. sa/salen may be null. Returns the new fd, or -1: errno EAGAIN
 * when there is nothing (or only a connection that was aborted) to accept,
 * another errno on a real error.
 */
int	 listen_accept(int, struct sockaddr *, socklen_t *);

#endif
