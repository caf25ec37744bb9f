/*
 * NAME
 *	dict_client - one kept-open connection of a network table type
 * SYNOPSIS
 *	#include <dict_client.h>
 *
 *	DICT_CLIENT *dict_client_create(const char *endpoint, int timeout,
 *		VSTRING *why);
 *	VSTREAM *dict_client_stream(DICT_CLIENT *dc, VSTRING *why);
 *	void  dict_client_done(DICT_CLIENT *dc);
 *	int   dict_client_retry(DICT_CLIENT *dc);
 *	void  dict_client_drop(DICT_CLIENT *dc);
 *	void  dict_client_free(DICT_CLIENT *dc);
 *	int   dict_client_read(VSTREAM *stream, VSTRING *buf, size_t len);
 *	int   dict_client_call(DICT_CLIENT *dc,
 *		int (*exchange)(VSTREAM *stream, void *context),
 *		void *context, VSTRING *why);
 *	const char *dict_client_get(DICT *dict, DICT_CLIENT *dc,
 *		int (*exchange)(VSTREAM *stream, void *context),
 *		const char *(*parse)(DICT *dict, void *context),
 *		void *context);
 * DESCRIPTION
 *	socketmap:, tcp: and memcache: tables talk to a server over one
 *	connection that each process keeps open between lookups.
 *	dict_client_create() parses the endpoint: "inet:host:port",
 *	"host:port", "[v6addr]:port", or "unix:/path".
 *	dict_client_stream() returns the open stream, connecting first when
 *	there is none (timeout seconds for the connect and for each read or
 *	write). After a complete request and reply the caller calls
 *	dict_client_done(), which marks the connection as reused. When a
 *	request fails the caller asks dict_client_retry(): it drops the
 *	connection and returns 1 when the connection had served before (a
 *	server that restarted or closed an idle connection: try once more on
 *	a fresh one), 0 when the failure was on a fresh connection (the
 *	server is down or broken: the lookup fails temporarily).
 *	dict_client_read() reads exactly len bytes (0, or -1 on error, end
 *	of file or time-out).
 *
 *	dict_client_call() is that whole dance, the one copy of it for
 *	socketmap:, tcp: and proxy: lookups: exchange() writes one request
 *	on the stream and reads its whole reply (0, or -1 for a write
 *	error, a lost connection or a reply it cannot read); it runs on the
 *	open connection, and once more on a fresh one when a connection
 *	that had served before fails.
 *
 *	dict_client_get() is the one lookup of socketmap: and tcp: tables
 *	around their own protocol: it runs dict_client_call() with
 *	exchange() and, when that fails, sets DICT_ERR_RETRY on dict with
 *	the reason and returns null; otherwise it returns what parse()
 *	makes of the reply (the value, or null for "not found" or with
 *	dict_set_error() called), and logs a warning with the error text
 *	when parse() set an error.
 * DIAGNOSTICS
 *	dict_client_create() returns null with a reason for a bad endpoint;
 *	dict_client_stream() returns null with the connect error.
 *	dict_client_call() returns 0 (the connection is kept), -1 with the
 *	connect error in why, or -2 with "lost connection or bad reply from
 *	endpoint" in why when the exchange failed on a fresh connection
 *	(which is dropped).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "connect.h"
#include "dict_cf.h"
#include "dict.h"
#include "dict_client.h"
#include "msg.h"
#include "mymalloc.h"

DICT_CLIENT *
dict_client_create(const char *endpoint, int timeout, VSTRING *why)
{
	DICT_CLIENT *dc;
	VSTRING	*host = vstring_alloc(64);
	int	 port, is_unix;

	if (dict_cf_host(endpoint, host, &port, &is_unix) < 0
	    || (!is_unix && port == 0)) {
		vstring_sprintf(why, "bad server address \"%s\" (need "
		    "inet:host:port or unix:/path)", endpoint);
		vstring_free(host);
		return NULL;
	}
	dc = mycalloc(1, sizeof(*dc));
	dc->endpoint = mystrdup(endpoint);
	dc->host = vstring_export(host);
	dc->is_unix = is_unix;
	snprintf(dc->port, sizeof(dc->port), "%d", port);
	dc->timeout = timeout;
	return dc;
}

VSTREAM *
dict_client_stream(DICT_CLIENT *dc, VSTRING *why)
{
	int	 fd;

	if (dc->stream != NULL)
		return dc->stream;
	if (dc->is_unix)
		fd = unix_connect(dc->host, dc->timeout, why);
	else
		fd = inet_connect(dc->host, dc->port, NULL, dc->timeout, why);
	if (fd < 0)
		return NULL;
	dc->stream = vstream_fdopen(fd, VSTREAM_FLAG_RW);
	vstream_set_timeout(dc->stream, dc->timeout);
	dc->reused = 0;
	return dc->stream;
}

void
dict_client_done(DICT_CLIENT *dc)
{
	dc->reused = 1;
}

int
dict_client_retry(DICT_CLIENT *dc)
{
	int	 again = dc->stream != NULL && dc->reused;

	dict_client_drop(dc);
	return again;
}

void
dict_client_drop(DICT_CLIENT *dc)
{
	if (dc->stream != NULL)
		(void)vstream_fclose(dc->stream);
	dc->stream = NULL;
	dc->reused = 0;
}

void
dict_client_free(DICT_CLIENT *dc)
{
	if (dc == NULL)
		return;
	dict_client_drop(dc);
	myfree(dc->endpoint);
	myfree(dc->host);
	myfree(dc);
}

/* Read exactly len bytes into buf (replaced); 0 or -1. */
int
dict_client_read(VSTREAM *stream, VSTRING *buf, size_t len)
{
	char	 chunk[4096];
	ssize_t	 n;

	vstring_reset(buf);
	while (len > 0) {
		n = vstream_read(stream, chunk, len < sizeof(chunk) ?
		    len : sizeof(chunk));
		if (n <= 0)
			return -1;
		vstring_memcat(buf, chunk, (size_t)n);
		len -= (size_t)n;
	}
	return 0;
}

int
dict_client_call(DICT_CLIENT *dc, int (*exchange)(VSTREAM *, void *),
    void *context, VSTRING *why)
{
	VSTREAM	*stream;

	for (;;) {
		if ((stream = dict_client_stream(dc, why)) == NULL)
			return -1;
		if (exchange(stream, context) == 0) {
			dict_client_done(dc);
			return 0;
		}
		if (!dict_client_retry(dc)) {
			vstring_sprintf(why, "lost connection or bad reply from %s",
			    dc->endpoint);
			return -2;
		}
	}
}

const char *
dict_client_get(DICT *dict, DICT_CLIENT *dc,
    int (*exchange)(VSTREAM *, void *),
    const char *(*parse)(DICT *, void *), void *context)
{
	VSTRING	*why = vstring_alloc(64);
	const char *result = NULL;

	if (dict_client_call(dc, exchange, context, why) < 0) {
		dict_set_error(dict, DICT_ERR_RETRY, "%s: %s", dict->spec,
		    vstring_str(why));
	} else {
		result = parse(dict, context);
		if (dict->error)
			msg_warn("%s", dict_error_text(dict));
	}
	vstring_free(why);
	return result;
}
