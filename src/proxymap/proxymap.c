/*
 * NAME
 *	proxymap - the table-proxy service (Postfix's proxymap)
 * SYNOPSIS
 *	proxymap -n proxymap -t unix [-o name=value]... [-v]
 * DESCRIPTION
 *	An event server (mail_server.h) started by the master from the
 *	master.cf entry "proxymap unix - - n - - proxymap". Programs that
 *	look up a "proxy:type:name" table (dict_proxy.c) connect to
 *	private/proxymap and send, on one connection, any number of
 *	requests in the attribute protocol (attr.h):
 *
 *	    request=lookup, table=type:name, flags=N, key=K
 *
 *	and get status=0 and value=V (found), status=1 (not found),
 *	status=2 (temporary failure) or status=3 (the table is not allowed
 *	or cannot be used), with reason=text for 2 and 3.
 *
 *	Only tables named with a "proxy:" prefix in proxy_read_maps (after
 *	$name expansion; Postfix's default covers every table parameter)
 *	are served: a request for another table is refused with status=3
 *	and a warning. The tables are opened once (dict_lookup_open(3)) and
 *	stay open, so a pgsql:, mysql: or ldap: table keeps one database
 *	connection here, shared by every smtpd, local and qmgr process, and
 *	a table file or .cf file that changes is reopened as everywhere.
 *	The service runs as mail_owner; the tables' files must be readable
 *	by it. Lookups are answered one at a time in request order.
 * DIAGNOSTICS
 *	Problems are logged to the maillog. A client that sends a malformed
 *	request or stalls (ipc_timeout) is disconnected.
 * SEE ALSO
 *	proxymap(8), postern-tables(5)
 */
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "attr.h"
#include "dict.h"
#include "events.h"
#include "htable.h"
#include "mail_conf.h"
#include "mail_server.h"
#include "msg.h"
#include "mymalloc.h"
#include "vstream.h"

static HTABLE *proxymap_allowed;	/* "type:name" -> 1 */
static int proxymap_timeout;

typedef struct PROXYMAP_CLIENT {
	VSTREAM	*stream;
} PROXYMAP_CLIENT;

/* proxy_read_maps: the "proxy:" words, prefix removed. */
static void
proxymap_pre_init(const char *service, char **argv)
{
	ARGV	*words = conf_list("proxy_read_maps");
	const char *w;
	size_t	 i;

	proxymap_allowed = htable_create(32);
	for (i = 0; i < words->argc; i++) {
		if (strncmp(w = words->argv[i], "proxy:", 6) != 0)
			continue;
		while (strncmp(w, "proxy:", 6) == 0)
			w += 6;
		if (htable_find(proxymap_allowed, w) == NULL)
			htable_enter(proxymap_allowed, w, (void *)1);
	}
	argv_free(words);
	proxymap_timeout = (int)conf_time("ipc_timeout");
	if (msg_verbose)
		msg_info("proxy_read_maps: %zu tables", proxymap_allowed->used);
}

static void
proxymap_close(PROXYMAP_CLIENT *client)
{
	event_disable_readwrite(vstream_fileno(client->stream));
	(void)vstream_fclose(client->stream);
	myfree(client);
}

/* One request; 0, or -1 to hang up. */
static int
proxymap_request(PROXYMAP_CLIENT *client, const ATTR *req, ATTR *reply)
{
	const char *request = attr_get(req, "request");
	const char *table = attr_get(req, "table");
	const char *key = attr_get(req, "key");
	const char *value;
	long long flags = attr_get_long(req, "flags", DICT_FLAG_DEFAULT);
	DICT	*dict;

	attr_reset(reply);
	if (request == NULL || strcmp(request, "lookup") != 0 || table == NULL
	    || key == NULL) {
		msg_warn("malformed request from client");
		attr_add(reply, "status", "3");
		attr_add(reply, "reason", "malformed request");
		return attr_write(client->stream, reply) < 0 ? -1 : 0;
	}
	if (htable_find(proxymap_allowed, table) == NULL) {
		msg_warn("request for unapproved table: \"%s\"; add \"proxy:%s\" "
		    "to proxy_read_maps", table, table);
		attr_add(reply, "status", "3");
		attr_addf(reply, "reason", "table %s is not in proxy_read_maps",
		    table);
		return attr_write(client->stream, reply) < 0 ? -1 : 0;
	}
	/* The lookup flags that matter for reading: key folding. */
	dict = dict_lookup_open_flags(table, (int)flags & DICT_FLAG_FOLD_KEY);
	if ((value = dict_get(dict, key)) != NULL) {
		attr_add(reply, "status", "0");
		attr_add(reply, "value", value);
	} else if (dict->error == DICT_ERR_NONE) {
		attr_add(reply, "status", "1");
	} else {
		attr_add(reply, "status", dict->error == DICT_ERR_RETRY ?
		    "2" : "3");
		attr_add(reply, "reason", dict_error_text(dict));
	}
	dict_lookup_close(dict);
	return attr_write(client->stream, reply) < 0 ? -1 : 0;
}

static void
proxymap_event(int event, void *ctx)
{
	PROXYMAP_CLIENT *client = ctx;
	ATTR	*req = attr_alloc(), *reply = attr_alloc();

	(void)event;
	do {
		if (attr_read(client->stream, req) < 0
		    || proxymap_request(client, req, reply) < 0) {
			proxymap_close(client);
			break;
		}
	} while (vstream_bufstat(client->stream) > 0);
	attr_free(req);
	attr_free(reply);
}

static void
proxymap_service(VSTREAM *stream, const char *service, char **argv)
{
	PROXYMAP_CLIENT *client = mycalloc(1, sizeof(*client));

	client->stream = stream;
	vstream_set_timeout(stream, proxymap_timeout);
	event_enable_read(vstream_fileno(stream), proxymap_event, client);
}

int
main(int argc, char **argv)
{
	static const MAIL_SERVER_OPS ops = {
		.pre_init = proxymap_pre_init,
		.unlimited = 1,
	};

	event_server_main(argc, argv, proxymap_service, &ops);
	return 0;
}
