/*
 * NAME
 *	dict_proxy - proxy: tables (lookups through the proxymap service)
 * SYNOPSIS
 *	#include <dict.h>
 *
 *	extern const DICT_OPS dict_proxy_ops;
 *	void dict_proxy_socket_hook(const char *(*fn)(void));
 * DESCRIPTION
 *	"proxy:pgsql:/etc/postern/virtual.cf" sends each lookup to the
 *	proxymap(8) service over its UNIX socket (the attribute protocol,
 *	attr.h): the request is request=lookup, table (the spec after
 *	"proxy:"), flags and key; the reply is status (0 found, 1 not found,
 *	2 temporary failure, 3 table not usable or not allowed), value and
 *	reason. proxymap keeps the table, and so the database connection,
 *	open for every short-lived process that asks: many smtpd processes
 *	share the few connections of one proxymap. The client connection is
 *	kept open and made again when proxymap restarted.
 *
 *	The socket's path comes from a hook that libglobal installs when it
 *	reads main.cf ($queue_directory/private/proxymap).
 *	Without a hook (a program that read no main.cf) the table is opened
 *	in this process, as "proxy:" was before proxymap existed. When the
 *	hook names a socket that does not exist (master.cf has no proxymap
 *	service), a warning says so once and the table is opened in this
 *	process too, so that such an installation keeps working.
 * DIAGNOSTICS
 *	proxymap unreachable or a broken reply: DICT_ERR_RETRY. A table that
 *	proxymap refuses (not in proxy_read_maps) or cannot open:
 *	DICT_ERR_CONFIG. Both answer 4xx, never "not found".
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "dict.h"
#include "dict_client.h"
#include "msg.h"
#include "mymalloc.h"

#define DICT_PROXY_TIMEOUT	100

static const char *(*dict_proxy_socket_fn)(void);

void
dict_proxy_socket_hook(const char *(*fn)(void))
{
	dict_proxy_socket_fn = fn;
}

typedef struct DICT_PROXY {
	DICT	*local;			/* no proxymap: the table itself */
	DICT_CLIENT *client;
	ATTR	*req;
	ATTR	*reply;
	VSTRING	*value;
} DICT_PROXY;

static int
dict_proxy_open(DICT *dict, VSTRING *why)
{
	DICT_PROXY *dp;
	const char *path = dict_proxy_socket_fn ? dict_proxy_socket_fn() : NULL;
	const char *inner = dict->name;
	static int warned;
	struct stat st;
	VSTRING	*ep;

	while (strncmp(inner, "proxy:", 6) == 0)
		inner += 6;
	if (strchr(inner, ':') == NULL) {
		vstring_sprintf(why, "table \"%s\": need proxy:type:name",
		    dict->spec);
		return -1;
	}
	dp = mycalloc(1, sizeof(*dp));
	if (path == NULL || stat(path, &st) < 0) {
		if (path != NULL && !warned++)
			msg_warn("%s: no proxymap service (%s missing; add "
			    "proxymap to master.cf): opening the table in "
			    "this process", dict->spec, path);
		if ((dp->local = dict_open(inner, dict->flags, why)) == NULL) {
			myfree(dp);
			return -1;
		}
		dict->data = dp;
		return 0;
	}
	ep = vstring_alloc(64);
	vstring_sprintf(ep, "unix:%s", path);
	dp->client = dict_client_create(vstring_str(ep), DICT_PROXY_TIMEOUT,
	    why);
	vstring_free(ep);
	if (dp->client == NULL) {
		myfree(dp);
		return -1;
	}
	dp->req = attr_alloc();
	dp->reply = attr_alloc();
	dp->value = vstring_alloc(64);
	dict->data = dp;
	return 0;
}

/* dict_proxy_exchange - one attribute request and its reply; 0 or -1 */
static int
dict_proxy_exchange(VSTREAM *stream, void *context)
{
	DICT_PROXY *dp = context;

	attr_reset(dp->reply);
	return attr_write(stream, dp->req) == 0
	    && attr_read(stream, dp->reply) == 0 ? 0 : -1;
}

static const char *
dict_proxy_get(DICT *dict, const char *key)
{
	DICT_PROXY *dp = dict->data;
	const char *inner = dict->name, *v, *reason;
	VSTRING	*why;
	long long status;
	int	 rc;

	if (dp->local != NULL) {
		if ((v = dict_get(dp->local, key)) == NULL && dp->local->error)
			dict_set_error(dict, dp->local->error, "%s",
			    dict_error_text(dp->local));
		return v;
	}
	while (strncmp(inner, "proxy:", 6) == 0)
		inner += 6;
	attr_reset(dp->req);
	attr_add(dp->req, "request", "lookup");
	attr_add(dp->req, "table", inner);
	attr_add_long(dp->req, "flags", dict->flags);
	attr_add(dp->req, "key", key);
	why = vstring_alloc(64);
	if ((rc = dict_client_call(dp->client, dict_proxy_exchange, dp,
	    why)) < 0) {
		if (rc == -1)
			dict_set_error(dict, DICT_ERR_RETRY, "%s: proxymap: %s",
			    dict->spec, vstring_str(why));
		else
			dict_set_error(dict, DICT_ERR_RETRY, "%s: lost connection "
			    "to proxymap", dict->spec);
		goto fail;
	}
	vstring_free(why);
	status = attr_get_long(dp->reply, "status", -1);
	reason = attr_get(dp->reply, "reason");
	switch (status) {
	case 0:
		if ((v = attr_get(dp->reply, "value")) == NULL)
			break;
		vstring_strcpy(dp->value, v);
		return vstring_str(dp->value);
	case 1:
		return NULL;
	case 2:
	case 3:
		dict_set_error(dict, status == 2 ? DICT_ERR_RETRY :
		    DICT_ERR_CONFIG, "%s: proxymap: %s", dict->spec,
		    reason ? reason : "lookup failed");
		return NULL;
	}
	dict_set_error(dict, DICT_ERR_RETRY, "%s: bad reply from proxymap",
	    dict->spec);
	dict_client_drop(dp->client);
	return NULL;
fail:
	vstring_free(why);
	msg_warn("%s", dict_error_text(dict));
	return NULL;
}

static void
dict_proxy_close(DICT *dict)
{
	DICT_PROXY *dp = dict->data;

	if (dp->local)
		dict_close(dp->local);
	dict_client_free(dp->client);
	if (dp->req)
		attr_free(dp->req);
	if (dp->reply)
		attr_free(dp->reply);
	if (dp->value)
		vstring_free(dp->value);
	myfree(dp);
	dict->data = NULL;
}

const DICT_OPS dict_proxy_ops = {
	"proxy", 0, dict_proxy_open, dict_proxy_get, NULL, NULL, NULL, NULL,
	dict_proxy_close,
};
