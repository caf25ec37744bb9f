/*
 * dict_client.h - one kept-open connection of a network table type. See
 * dict_client.c.
 */
#ifndef DICT_CLIENT_H
#define DICT_CLIENT_H

#include "vstream.h"
#include "vstring.h"

typedef struct DICT_CLIENT {
	char	*endpoint;		/* "inet:host:port" or "unix:/path" */
	char	*host;			/* host or path */
	char	 port[8];
	int	 is_unix;
	int	 timeout;		/* seconds, connect and each I/O */
	VSTREAM	*stream;		/* null: not connected */
	int	 reused;		/* stream served a request before */
} DICT_CLIENT;

DICT_CLIENT *dict_client_create(const char *endpoint, int timeout,
	    VSTRING *why);
VSTREAM	*dict_client_stream(DICT_CLIENT *, VSTRING *why);
void	 dict_client_done(DICT_CLIENT *);
int	 dict_client_retry(DICT_CLIENT *);
void	 dict_client_drop(DICT_CLIENT *);
void	 dict_client_free(DICT_CLIENT *);
int	 dict_client_read(VSTREAM *, VSTRING *, size_t);
int	 dict_client_call(DICT_CLIENT *, int (*)(VSTREAM *, void *), void *,
	    VSTRING *why);	/* 0, -1 connect (why), -2 lost */
struct DICT;
const char *dict_client_get(struct DICT *, DICT_CLIENT *,
	    int (*)(VSTREAM *, void *),
	    const char *(*)(struct DICT *, void *), void *);

#endif
