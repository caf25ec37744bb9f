/*
 * NAME
 *	dict_mysql - mysql: tables (MySQL and MariaDB, with libmariadb)
 * SYNOPSIS
 *	#include <dict.h>
 *
 *	extern const DICT_OPS dict_mysql_ops;
 * DESCRIPTION
 *	"mysql:/etc/postern/mysql-virtual.cf" names a file in Postfix's
 *	mysql_table(5) format (see dict_cf.c): hosts ("host", "host:port",
 *	"inet:host:port", "unix:/path/to/socket"; default localhost), user,
 *	password, dbname, query (or the old table, select_field,
 *	where_field, additional_conditions), result_format, domain,
 *	expansion_limit, option_file, option_group (client), tls_cert_file,
 *	tls_key_file, tls_CAfile, tls_CApath, tls_ciphers, tls_verify_cert
 *	(no), idle_interval (60 s), retry_interval (60 s), and as Postern
 *	additions connect_timeout (10 s) and timeout (30 s, each read or
 *	write).
 *
 *	Each process keeps one connection; hosts are tried from a per-process
 *	start, a host that cannot be reached is skipped for retry_interval
 *	seconds (dict_cf(3), DICT_CF_HOSTS), a connection that broke is opened again at once and the
 *	query sent once more. Strings are quoted with
 *	mysql_real_escape_string(). Every column of every row is a value.
 * DIAGNOSTICS
 *	When no host answers or a query fails, the lookup fails with
 *	DICT_ERR_RETRY and a warning, never "not found".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>

#include "argv.h"
#include "dict.h"
#include "dict_cf.h"
#include "msg.h"
#include "mymalloc.h"

typedef struct DICT_MYSQL {
	DICT_CF	*cf;
	DICT_CF_COMMON common;
	DICT_CF_HOSTS hosts;		/* the connection */
	int	 connect_timeout;
	int	 timeout;
	VSTRING	*query_fmt;
	VSTRING	*query;
	VSTRING	*why;
} DICT_MYSQL;

static void *dict_mysql_connect(void *, const char *);
static void dict_mysql_disconnect(void *);

static void
dict_mysql_free(DICT_MYSQL *dm)
{
	dict_cf_hosts_free(&dm->hosts);
	dict_cf_common_close(dm->cf, &dm->common);
	vstring_free(dm->query_fmt);
	vstring_free(dm->query);
	vstring_free(dm->why);
	myfree(dm);
}

static int
dict_mysql_open(DICT *dict, VSTRING *why)
{
	DICT_MYSQL *dm = mycalloc(1, sizeof(*dm));
	int	 verify;

	dm->query_fmt = vstring_alloc(128);
	dm->query = vstring_alloc(128);
	dm->why = vstring_alloc(64);
	if (dict_cf_common_open(dict, &dm->cf, &dm->common, why) < 0
	    || dict_cf_query(dm->cf, dm->query_fmt, why) == NULL
	    || dict_cf_hosts_init(&dm->hosts, dm->cf, dict_mysql_connect,
	    dict_mysql_disconnect, dm, why) < 0
	    || dict_cf_int(dm->cf, "connect_timeout", 10, 1, 3600,
	    &dm->connect_timeout, why) < 0
	    || dict_cf_int(dm->cf, "timeout", 30, 1, 3600, &dm->timeout,
	    why) < 0
	    || dict_cf_bool(dm->cf, "tls_verify_cert", 0, &verify, why) < 0)
		goto fail;
	dict->data = dm;
	return 0;
fail:
	dict_mysql_free(dm);
	return -1;
}

static void
dict_mysql_disconnect(void *conn)
{
	mysql_close(conn);
}

static void *
dict_mysql_connect(void *ctx, const char *spec)
{
	DICT_MYSQL *dm = ctx;
	VSTRING	*host = vstring_alloc(64);
	const char *opt;
	unsigned int to;
	int	 port, is_unix, verify = 0;
	MYSQL	*conn;
	VSTRING	*dummy = vstring_alloc(16);

	if (dict_cf_host(spec, host, &port, &is_unix) < 0) {
		vstring_sprintf(dm->why, "bad host \"%s\"", spec);
		goto fail;
	}
	if ((conn = mysql_init(NULL)) == NULL) {
		vstring_sprintf(dm->why, "mysql_init: out of memory");
		goto fail;
	}
	to = (unsigned)dm->connect_timeout;
	mysql_options(conn, MYSQL_OPT_CONNECT_TIMEOUT, &to);
	to = (unsigned)dm->timeout;
	mysql_options(conn, MYSQL_OPT_READ_TIMEOUT, &to);
	mysql_options(conn, MYSQL_OPT_WRITE_TIMEOUT, &to);
	if ((opt = dict_cf_str(dm->cf, "option_file", NULL)) != NULL)
		mysql_options(conn, MYSQL_READ_DEFAULT_FILE, opt);
	mysql_options(conn, MYSQL_READ_DEFAULT_GROUP,
	    dict_cf_str(dm->cf, "option_group", "client"));
	if (dict_cf_str(dm->cf, "tls_cert_file", NULL)
	    || dict_cf_str(dm->cf, "tls_CAfile", NULL)
	    || dict_cf_str(dm->cf, "tls_CApath", NULL)) {
		mysql_ssl_set(conn, dict_cf_str(dm->cf, "tls_key_file", NULL),
		    dict_cf_str(dm->cf, "tls_cert_file", NULL),
		    dict_cf_str(dm->cf, "tls_CAfile", NULL),
		    dict_cf_str(dm->cf, "tls_CApath", NULL),
		    dict_cf_str(dm->cf, "tls_ciphers", NULL));
		(void)dict_cf_bool(dm->cf, "tls_verify_cert", 0, &verify, dummy);
		mysql_options(conn, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
	}
	if (mysql_real_connect(conn, is_unix ? NULL : vstring_str(host),
	    dict_cf_str(dm->cf, "user", NULL),
	    dict_cf_str(dm->cf, "password", NULL),
	    dict_cf_str(dm->cf, "dbname", NULL), (unsigned)port,
	    is_unix ? vstring_str(host) : NULL, 0) == NULL) {
		vstring_sprintf(dm->why, "connect to %s: %s", spec,
		    mysql_error(conn));
		dict_cf_flatten(dm->why);
		mysql_close(conn);
		goto fail;
	}
	mysql_set_character_set(conn, "utf8mb4");
	vstring_free(host);
	vstring_free(dummy);
	return conn;
fail:
	vstring_free(host);
	vstring_free(dummy);
	return NULL;
}

static void
dict_mysql_quote(VSTRING *out, const char *s, void *ctx)
{
	size_t	 len = strlen(s);
	char	*buf = mymalloc(2 * len + 1);

	len = mysql_real_escape_string(ctx, buf, s, (unsigned long)len);
	vstring_memcat(out, buf, len);
	myfree(buf);
}

static const char *
dict_mysql_get(DICT *dict, const char *key)
{
	DICT_MYSQL *dm = dict->data;
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;
	MYSQL	*conn;
	unsigned int err, col, ncol;
	int	 attempt, rc, ok = 0;

	if ((rc = dict_cf_domain_ok(&dm->common, dict, key)) <= 0)
		return NULL;
	for (attempt = 0; attempt < 2; attempt++) {
		if ((conn = dict_cf_hosts_conn(&dm->hosts, dict, dm->why)) == NULL)
			break;
		if (dict_cf_expand(dm->query, vstring_str(dm->query_fmt), key,
		    key, dict_mysql_quote, conn) <= 0)
			return NULL;
		if (msg_verbose)
			msg_info("%s: query: %s", dict->spec,
			    vstring_str(dm->query));
		dm->hosts.last_used = time(NULL);
		if (mysql_real_query(conn, vstring_str(dm->query),
		    (unsigned long)vstring_len(dm->query)) == 0
		    && ((res = mysql_store_result(conn)) != NULL
		    || mysql_field_count(conn) == 0)) {
			ok = 1;
			break;
		}
		err = mysql_errno(conn);
		vstring_sprintf(dm->why, "%s: %s",
		    dm->hosts.hosts->argv[dm->hosts.current], mysql_error(conn));
		dict_cf_flatten(dm->why);
		/*
		 * Any failure drops the connection (a server that shut down
		 * may answer "connection killed" first); a client-side error
		 * (the server went away) is retried at once on a new one.
		 */
		dict_cf_hosts_drop(&dm->hosts);
		if (err < 2000 && err != 1053 && err != 1927)
			break;
	}
	if (!ok) {
		dict_cf_lookup_error(dict, key, vstring_str(dm->why));
		return NULL;
	}
	dict_cf_result_start(&dm->common);
	if (res == NULL)
		return NULL;
	ncol = mysql_num_fields(res);
	while ((row = mysql_fetch_row(res)) != NULL)
		for (col = 0; col < ncol; col++)
			if (dict_cf_result_add(&dm->common, dict, key,
			    row[col]) < 0) {
				mysql_free_result(res);
				return NULL;
			}
	mysql_free_result(res);
	return dict_cf_result_end(&dm->common);
}

static void
dict_mysql_close(DICT *dict)
{
	dict_mysql_free(dict->data);
	dict->data = NULL;
}

const DICT_OPS dict_mysql_ops = {
	"mysql", 1, dict_mysql_open, dict_mysql_get, NULL, NULL, NULL, NULL,
	dict_mysql_close,
};
