/*
 * NAME
 *	dict_sqlite - sqlite: tables (SQLite database files)
 * SYNOPSIS
 *	#include <dict.h>
 *
 *	extern const DICT_OPS dict_sqlite_ops;
 * DESCRIPTION
 *	"sqlite:/etc/postern/virtual.cf" names a configuration file in
 *	Postfix's sqlite_table(5) format (see dict_cf.c): dbpath (the
 *	database file), query (or the old table, select_field, where_field,
 *	additional_conditions), result_format, domain, expansion_limit.
 *	The database is opened read-only once and kept open; SQLite reads the
 *	file afresh for each statement, so a change made by another process
 *	is seen by the next lookup. Every column of every row is a value;
 *	values are joined with commas. Strings are quoted as SQL literals
 *	(a quote doubled) before they are put in the query.
 * DIAGNOSTICS
 *	Open fails when the .cf file is bad or the database cannot be
 *	opened. A busy or locked database, or any other SQLite error, sets
 *	DICT_ERR_RETRY (the caller answers 4xx), never "not found".
 */
#include <string.h>

#include <sqlite3.h>

#include "dict.h"
#include "dict_cf.h"
#include "msg.h"
#include "mymalloc.h"

typedef struct DICT_SQLITE {
	DICT_CF	*cf;
	DICT_CF_COMMON common;
	sqlite3	*db;
	VSTRING	*query_fmt;
	VSTRING	*query;
} DICT_SQLITE;

static void
dict_sqlite_free(DICT_SQLITE *ds)
{
	if (ds->db)
		sqlite3_close(ds->db);
	dict_cf_common_close(ds->cf, &ds->common);
	vstring_free(ds->query_fmt);
	vstring_free(ds->query);
	myfree(ds);
}

static int
dict_sqlite_open(DICT *dict, VSTRING *why)
{
	DICT_SQLITE *ds = mycalloc(1, sizeof(*ds));
	const char *path;
	int	 timeout;

	ds->query_fmt = vstring_alloc(128);
	ds->query = vstring_alloc(128);
	if (dict_cf_common_open(dict, &ds->cf, &ds->common, why) < 0
	    || dict_cf_query(ds->cf, ds->query_fmt, why) == NULL
	    || dict_cf_int(ds->cf, "timeout", 5, 0, 3600, &timeout, why) < 0)
		goto fail;
	if ((path = dict_cf_str(ds->cf, "dbpath", NULL)) == NULL || *path == 0) {
		vstring_sprintf(why, "%s: dbpath is not set", dict->name);
		goto fail;
	}
	if (sqlite3_open_v2(path, &ds->db, SQLITE_OPEN_READONLY, NULL)
	    != SQLITE_OK) {
		vstring_sprintf(why, "%s: open database %s: %s", dict->name,
		    path, ds->db ? sqlite3_errmsg(ds->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(ds->db, timeout * 1000);
	dict->data = ds;
	return 0;
fail:
	dict_sqlite_free(ds);
	return -1;
}

static const char *
dict_sqlite_get(DICT *dict, const char *key)
{
	DICT_SQLITE *ds = dict->data;
	sqlite3_stmt *st = NULL;
	int	 rc, i, n;

	if ((rc = dict_cf_domain_ok(&ds->common, dict, key)) <= 0)
		return NULL;
	if (dict_cf_expand(ds->query, vstring_str(ds->query_fmt), key, key,
	    dict_cf_quote_sql, NULL) <= 0)
		return NULL;
	if (msg_verbose)
		msg_info("%s: query: %s", dict->spec, vstring_str(ds->query));
	if (sqlite3_prepare_v2(ds->db, vstring_str(ds->query), -1, &st, NULL)
	    != SQLITE_OK) {
		dict_set_error(dict, DICT_ERR_RETRY, "%s: %s", dict->spec,
		    sqlite3_errmsg(ds->db));
		msg_warn("%s: query failed: %s", dict->spec,
		    sqlite3_errmsg(ds->db));
		return NULL;
	}
	dict_cf_result_start(&ds->common);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n = sqlite3_column_count(st);
		for (i = 0; i < n; i++)
			if (dict_cf_result_add(&ds->common, dict, key,
			    (const char *)sqlite3_column_text(st, i)) < 0) {
				sqlite3_finalize(st);
				return NULL;
			}
	}
	if (rc != SQLITE_DONE) {
		dict_set_error(dict, DICT_ERR_RETRY, "%s: %s", dict->spec,
		    sqlite3_errmsg(ds->db));
		msg_warn("%s: query failed: %s", dict->spec,
		    sqlite3_errmsg(ds->db));
		sqlite3_finalize(st);
		return NULL;
	}
	sqlite3_finalize(st);
	return dict_cf_result_end(&ds->common);
}

static void
dict_sqlite_close(DICT *dict)
{
	dict_sqlite_free(dict->data);
	dict->data = NULL;
}

const DICT_OPS dict_sqlite_ops = {
	"sqlite", 1, dict_sqlite_open, dict_sqlite_get, NULL, NULL, NULL, NULL,
	dict_sqlite_close,
};
