/*
 * connect.h - outgoing connections with a time limit. See connect.c.
 *
 * Returned descriptors are blocking and close-on-exec. Timeouts are in
 * seconds; 0 means "do not wait" (fail at once if the connection is not
 * established immediately, as triggers want); < 0 means no time limit.
 */
#ifndef CONNECT_H
#define CONNECT_H

#include <sys/socket.h>

#include "vstring.h"

/*
 * inet_connect(host, port, bind_addr, timeout, why): host is a name or a
 * numeric IPv4/IPv6 address (brackets allowed); each address it resolves
 * to is tried in turn, each with the full timeout. bind_addr, when not
 * null, is a numeric local address to bind first. Return the fd, or -1
 * with a reason in why (why may be null).
 */
int	 inet_connect(const char *, const char *, const char *, int, VSTRING *);

/* The same for one address already known (e.g. from DNS). */
int	 inet_connect_addr(const struct sockaddr *, socklen_t, const char *,
	    int, VSTRING *);

/*
 * inet_connect_hostport(spec, defport, timeout, why): "host:port" or
 * "[address]:port" (sock_addr_split()); defport null: a port is required.
 */
int	 inet_connect_hostport(const char *, const char *, int, VSTRING *);

/* unix_connect(path, timeout, why): connect to a UNIX stream socket. */
int	 unix_connect(const char *, int, VSTRING *);
/* unix_connect_nb(path, why): the same, never waiting; the socket stays
 * non-blocking (a one-shot trigger: two fcntl calls less). */
int	 unix_connect_nb(const char *, VSTRING *);

#endif
