/*
 * NAME
 *	dict_pgsql - pgsql: tables (PostgreSQL, with libpq)
 * SYNOPSIS
 *	#include <dict.h>
 *
 *	extern const DICT_OPS dict_pgsql_ops;
 * DESCRIPTION
 *	"pgsql:/etc/postern/pgsql-virtual.cf" names a file in Postfix's
 *	pgsql_table(5) format (see dict_cf.c): hosts (one or more of
 *	"host", "host:port", "inet:host:port", "unix:/directory" or a
 *	"postgresql://" URI; default localhost), user, password, dbname,
 *	query (or the old table, select_field, where_field,
 *	additional_conditions), result_format, domain, expansion_limit,
 *	encoding (UTF8), idle_interval (60 s), retry_interval (60 s), and,
 *	as Postern additions, connect_timeout (10 s) and the libpq TLS
 *	settings sslmode, sslrootcert, sslcert and sslkey.
 *
 *	Each process keeps one connection open. The hosts are tried in
 *	order, each process starting at its own one, so clients spread their
 *	connections; a host that cannot be reached is skipped for
 *	retry_interval seconds (dict_cf(3), DICT_CF_HOSTS). A connection
 *	that breaks (a server restart) is opened again at once and the query
 *	sent once more; a connection idle longer than idle_interval is
 *	closed and opened afresh. Strings
 *	are quoted with PQescapeStringConn(). Every column of every row is a
 *	value; NULL and empty values are skipped.
 * DIAGNOSTICS
 *	Open fails for a bad .cf file (no connection is made at open time).
 *	When no host answers, or a query fails, the lookup fails with
 *	DICT_ERR_RETRY and a warning; it is never "not found".
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "argv.h"
#include "dict.h"
#include "dict_cf.h"
#include "msg.h"
#include "mymalloc.h"

typedef struct DICT_PGSQL {
	DICT_CF	*cf;
	DICT_CF_COMMON common;
	DICT_CF_HOSTS hosts;		/* the connection */
	int	 connect_timeout;
	VSTRING	*query_fmt;
	VSTRING	*query;
	VSTRING	*why;
} DICT_PGSQL;

static void *dict_pgsql_connect(void *, const char *);
static void dict_pgsql_disconnect(void *);

static void
dict_pgsql_free(DICT_PGSQL *dp)
{
	dict_cf_hosts_free(&dp->hosts);
	dict_cf_common_close(dp->cf, &dp->common);
	vstring_free(dp->query_fmt);
	vstring_free(dp->query);
	vstring_free(dp->why);
	myfree(dp);
}

static int
dict_pgsql_open(DICT *dict, VSTRING *why)
{
	DICT_PGSQL *dp = mycalloc(1, sizeof(*dp));

	dp->query_fmt = vstring_alloc(128);
	dp->query = vstring_alloc(128);
	dp->why = vstring_alloc(64);
	if (dict_cf_common_open(dict, &dp->cf, &dp->common, why) < 0
	    || dict_cf_query(dp->cf, dp->query_fmt, why) == NULL
	    || dict_cf_hosts_init(&dp->hosts, dp->cf, dict_pgsql_connect,
	    dict_pgsql_disconnect, dp, why) < 0
	    || dict_cf_int(dp->cf, "connect_timeout", 10, 2, 3600,
	    &dp->connect_timeout, why) < 0)
		goto fail;
	dict->data = dp;
	return 0;
fail:
	dict_pgsql_free(dp);
	return -1;
}

static void
dict_pgsql_disconnect(void *conn)
{
	PQfinish(conn);
}

/* Connect to one of the hosts; the connection or null with dp->why. */
static void *
dict_pgsql_connect(void *ctx, const char *spec)
{
	DICT_PGSQL *dp = ctx;
	const char *kw[16], *val[16];
	VSTRING	*host = vstring_alloc(64);
	char	 port[8], timeout[16];
	const char *opt[] = {"sslmode", "sslrootcert", "sslcert", "sslkey"};
	PGconn	*conn;
	int	 n = 0, portnum, is_unix;
	size_t	 j;

	if (strncmp(spec, "postgresql://", 13) == 0
	    || strncmp(spec, "postgres://", 11) == 0) {
		kw[n] = "dbname"; val[n++] = spec;
	} else {
		if (dict_cf_host(spec, host, &portnum, &is_unix) < 0) {
			vstring_sprintf(dp->why, "bad host \"%s\"", spec);
			vstring_free(host);
			return NULL;
		}
		kw[n] = "host"; val[n++] = vstring_str(host);
		if (portnum) {
			snprintf(port, sizeof(port), "%d", portnum);
			kw[n] = "port"; val[n++] = port;
		}
		kw[n] = "dbname"; val[n++] = dict_cf_str(dp->cf, "dbname", "");
	}
	kw[n] = "user"; val[n++] = dict_cf_str(dp->cf, "user", "");
	kw[n] = "password"; val[n++] = dict_cf_str(dp->cf, "password", "");
	snprintf(timeout, sizeof(timeout), "%d", dp->connect_timeout);
	kw[n] = "connect_timeout"; val[n++] = timeout;
	kw[n] = "client_encoding"; val[n++] = dict_cf_str(dp->cf, "encoding",
	    "UTF8");
	for (j = 0; j < sizeof(opt) / sizeof(*opt); j++)
		if (dict_cf_str(dp->cf, opt[j], NULL) != NULL) {
			kw[n] = opt[j];
			val[n++] = dict_cf_str(dp->cf, opt[j], NULL);
		}
	kw[n] = NULL; val[n] = NULL;
	conn = PQconnectdbParams(kw, val, 1);
	vstring_free(host);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		vstring_sprintf(dp->why, "connect to %s: %s", spec,
		    conn ? PQerrorMessage(conn) : "out of memory");
		dict_cf_flatten(dp->why);
		if (conn)
			PQfinish(conn);
		return NULL;
	}
	return conn;
}

static void
dict_pgsql_quote(VSTRING *out, const char *s, void *ctx)
{
	size_t	 len = strlen(s);
	char	*buf = mymalloc(2 * len + 1);
	int	 err = 0;

	len = PQescapeStringConn(ctx, buf, s, len, &err);
	vstring_memcat(out, buf, len);
	myfree(buf);
}

static const char *
dict_pgsql_get(DICT *dict, const char *key)
{
	DICT_PGSQL *dp = dict->data;
	PGresult *res = NULL;
	PGconn	*conn;
	int	 attempt, rc, row, col;

	if ((rc = dict_cf_domain_ok(&dp->common, dict, key)) <= 0)
		return NULL;
	for (attempt = 0; attempt < 2; attempt++) {
		if ((conn = dict_cf_hosts_conn(&dp->hosts, dict, dp->why)) == NULL)
			break;
		if (dict_cf_expand(dp->query, vstring_str(dp->query_fmt), key,
		    key, dict_pgsql_quote, conn) <= 0)
			return NULL;
		if (msg_verbose)
			msg_info("%s: query: %s", dict->spec,
			    vstring_str(dp->query));
		res = PQexec(conn, vstring_str(dp->query));
		dp->hosts.last_used = time(NULL);
		if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK)
			break;
		vstring_sprintf(dp->why, "%s: %s",
		    dp->hosts.hosts->argv[dp->hosts.current],
		    res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
		dict_cf_flatten(dp->why);
		if (res)
			PQclear(res);
		res = NULL;
		if (PQstatus(conn) == CONNECTION_OK)
			break;		/* a query error: not the connection */
		/* The server went away (restart): reconnect once. */
		dict_cf_hosts_drop(&dp->hosts);
	}
	if (res == NULL) {
		dict_cf_lookup_error(dict, key, vstring_str(dp->why));
		return NULL;
	}
	dict_cf_result_start(&dp->common);
	for (row = 0; row < PQntuples(res); row++)
		for (col = 0; col < PQnfields(res); col++) {
			if (PQgetisnull(res, row, col))
				continue;
			if (dict_cf_result_add(&dp->common, dict, key,
			    PQgetvalue(res, row, col)) < 0) {
				PQclear(res);
				return NULL;
			}
		}
	PQclear(res);
	return dict_cf_result_end(&dp->common);
}

static void
dict_pgsql_close(DICT *dict)
{
	dict_pgsql_free(dict->data);
	dict->data = NULL;
}

const DICT_OPS dict_pgsql_ops = {
	"pgsql", 1, dict_pgsql_open, dict_pgsql_get, NULL, NULL, NULL, NULL,
	dict_pgsql_close,
};
