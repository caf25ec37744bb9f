/*
 * sock_addr.h - socket address formatting and parsing. See sock_addr.c.
 */
#ifndef SOCK_ADDR_H
#define SOCK_ADDR_H

#include <sys/socket.h>
#include <netinet/in.h>

#include "vstring.h"

#define SOCK_ADDR_STRLEN	64	/* fits any IPv6 text form with scope */

/*
 * sock_addr_ntop(sa, salen, addr, addrlen, port): numeric text of an
 * AF_INET/AF_INET6 address ("192.0.2.1", "2001:db8::1"; IPv4-mapped IPv6
 * is shown as IPv4), port stored in *port when port is not null. AF_UNIX
 * gives the path or "local". 0, or -1 (EAFNOSUPPORT, ENOSPC).
 */
int	 sock_addr_ntop(const struct sockaddr *, socklen_t, char *, size_t, int *);

/* The local / peer address of a socket, formatted as above; 0 or -1. */
int	 sock_addr_local(int, char *, size_t, int *);
int	 sock_addr_peer(int, char *, size_t, int *);

/*
 * sock_addr_pton(str, port, ss, salen): parse a numeric IPv4 or IPv6
 * address (also "[...]" and SMTP's "IPv6:..." forms) with a port into a
 * socket address. Returns the family (AF_INET, AF_INET6) or -1.
 * sock_addr_family(str) says the same without building an address: the
 * family of a numeric address, or 0 for anything else (a host name).
 */
int	 sock_addr_pton(const char *, int, struct sockaddr_storage *, socklen_t *);
int	 sock_addr_family(const char *);

/*
 * sock_addr_split(str, host, port, defport, bracketed): split "host:port",
 * "[host]:port", "[ipv6]:port", "[ipv6]", "host" or "ipv6" (an unbracketed
 * IPv6 address has no port) into host (brackets removed) and port (defport
 * when absent; defport may be null: then port is left empty). *bracketed
 * (may be null) says whether the host was in brackets. 0, or -1 for
 * malformed input (empty host, bad brackets, empty or bad port).
 */
int	 sock_addr_split(const char *, VSTRING *, VSTRING *, const char *, int *);

/* sock_addr_hostaddr(buf, host, addr, port): "host[addr]" or "host[addr]:port" (port > 0). */
const char *sock_addr_hostaddr(VSTRING *, const char *, const char *, int);

/* True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
int	 sock_addr_is_loopback(const struct sockaddr *);

#endif
