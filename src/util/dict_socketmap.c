/*
 * NAME
 *	dict_socketmap - socketmap: tables (Sendmail's socket map protocol)
 * SYNOPSIS
 *	#include <dict.h>
 *
 *	extern const DICT_OPS dict_socketmap_ops;
 * DESCRIPTION
 *	"socketmap:inet:host:port:name" or "socketmap:unix:/path:name" asks
 *	a server with the netstring protocol of Sendmail 8.13 (as Postfix's
 *	socketmap_table(5)): the request is the netstring "name key"; the
 *	reply is a netstring "OK value", "NOTFOUND ", "TEMP reason",
 *	"TIMEOUT reason" or "PERM reason". The connection is kept open
 *	between lookups and opened again when the server closed it.
 *	Replies are bounded to 100000 bytes; I/O times out after 100 s
 *	(socketmap_timeout in Postfix is not a parameter: a fixed limit).
 * DIAGNOSTICS
 *	A server that cannot be reached, a protocol error, TEMP, TIMEOUT and
 *	PERM set DICT_ERR_RETRY (PERM: DICT_ERR_CONFIG); the lookup is never
 *	"not found" then.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "dict.h"
#include "dict_client.h"
#include "msg.h"
#include "mymalloc.h"

#define SOCKETMAP_MAX_REPLY	100000
#define SOCKETMAP_TIMEOUT	100

typedef struct DICT_SOCKETMAP {
	DICT_CLIENT *client;
	char	*mapname;
	VSTRING	*reply;
	VSTRING	*request;
} DICT_SOCKETMAP;

static int
dict_socketmap_open(DICT *dict, VSTRING *why)
{
	DICT_SOCKETMAP *sm;
	const char *colon;
	char	*endpoint;

	if ((colon = strrchr(dict->name, ':')) == NULL || colon[1] == 0
	    || (strncmp(dict->name, "inet:", 5) != 0
	    && strncmp(dict->name, "unix:", 5) != 0)) {
		vstring_sprintf(why, "%s: need socketmap:inet:host:port:name or "
		    "socketmap:unix:/path:name", dict->spec);
		return -1;
	}
	sm = mycalloc(1, sizeof(*sm));
	endpoint = mystrdup(dict->name);
	endpoint[colon - dict->name] = 0;
	sm->client = dict_client_create(endpoint, SOCKETMAP_TIMEOUT, why);
	myfree(endpoint);
	if (sm->client == NULL) {
		myfree(sm);
		return -1;
	}
	sm->mapname = mystrdup(colon + 1);
	sm->reply = vstring_alloc(128);
	sm->request = vstring_alloc(128);
	dict->data = sm;
	return 0;
}

/* Read one netstring into buf; 0 or -1. */
static int
dict_socketmap_netstring(VSTREAM *stream, VSTRING *buf)
{
	size_t	 len = 0;
	int	 c, digits = 0;

	while ((c = vstream_getc(stream)) != ':') {
		if (c < 0 || !isdigit(c) || ++digits > 6)
			return -1;
		len = 10 * len + (size_t)(c - '0');
	}
	if (digits == 0 || len > SOCKETMAP_MAX_REPLY)
		return -1;
	if (dict_client_read(stream, buf, len) < 0)
		return -1;
	return vstream_getc(stream) == ',' ? 0 : -1;
}

/* dict_socketmap_exchange - one netstring request, one reply; 0 or -1 */
static int
dict_socketmap_exchange(VSTREAM *stream, void *context)
{
	DICT_SOCKETMAP *sm = context;

	vstream_write(stream, vstring_str(sm->request), vstring_len(sm->request));
	return vstream_fflush(stream) == 0
	    && dict_socketmap_netstring(stream, sm->reply) == 0 ? 0 : -1;
}

/* Make the value of the reply in sm->reply, or null with an error. */
static const char *
dict_socketmap_parse(DICT *dict, void *context)
{
	DICT_SOCKETMAP *sm = context;
	const char *r = vstring_str(sm->reply);

	if (strncmp(r, "OK ", 3) == 0 || strcmp(r, "OK") == 0)
		return r[2] ? r + 3 : r + 2;
	if (strncmp(r, "NOTFOUND", 8) == 0)
		return NULL;
	if (strncmp(r, "TEMP", 4) == 0 || strncmp(r, "TIMEOUT", 7) == 0)
		dict_set_error(dict, DICT_ERR_RETRY, "%s: server: %.200s",
		    dict->spec, r);
	else if (strncmp(r, "PERM", 4) == 0)
		dict_set_error(dict, DICT_ERR_CONFIG, "%s: server: %.200s",
		    dict->spec, r);
	else {
		dict_set_error(dict, DICT_ERR_RETRY, "%s: bad reply: %.100s",
		    dict->spec, r);
		dict_client_drop(sm->client);
	}
	return NULL;
}

static const char *
dict_socketmap_get(DICT *dict, const char *key)
{
	DICT_SOCKETMAP *sm = dict->data;

	vstring_sprintf(sm->request, "%zu:%s %s,",
	    strlen(sm->mapname) + 1 + strlen(key), sm->mapname, key);
	return dict_client_get(dict, sm->client, dict_socketmap_exchange,
	    dict_socketmap_parse, sm);
}

static void
dict_socketmap_close(DICT *dict)
{
	DICT_SOCKETMAP *sm = dict->data;

	dict_client_free(sm->client);
	myfree(sm->mapname);
	vstring_free(sm->reply);
	vstring_free(sm->request);
	myfree(sm);
	dict->data = NULL;
}

const DICT_OPS dict_socketmap_ops = {
	"socketmap", 1, dict_socketmap_open, dict_socketmap_get, NULL, NULL,
	NULL, NULL, dict_socketmap_close,
};
