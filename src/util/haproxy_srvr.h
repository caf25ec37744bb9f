/*
 * haproxy_srvr.h - the server side of HAProxy's PROXY protocol (v1 and
 * v2). See haproxy_srvr.c.
 */
#ifndef HAPROXY_SRVR_H
#define HAPROXY_SRVR_H

#include <sys/types.h>

#include "sock_addr.h"
#include "vstring.h"

#define HAPROXY_V1_MAX		107	/* v1 line, CRLF included */
#define HAPROXY_MAX_LEN		536	/* any header we accept */

typedef struct HAPROXY_ENDPT {
	int	 proxied;		/* 0: LOCAL/UNKNOWN, keep the real peer */
	int	 family;		/* AF_INET or AF_INET6 when proxied */
	char	 client_addr[SOCK_ADDR_STRLEN];
	int	 client_port;
	char	 server_addr[SOCK_ADDR_STRLEN];
	int	 server_port;
} HAPROXY_ENDPT;

ssize_t	 haproxy_srvr_parse(const unsigned char *, size_t, HAPROXY_ENDPT *,
	    const char **);
int	 haproxy_srvr_receive(int, int, HAPROXY_ENDPT *, VSTRING *);

#endif
