/*
 * dict_cf.h - Postfix-style ".cf" files of the database table types, and
 * query/result expansion. See dict_cf.c.
 */
#ifndef DICT_CF_H
#define DICT_CF_H

#include <time.h>

#include "argv.h"
#include "dict.h"
#include "htable.h"
#include "vstring.h"

typedef struct DICT_CF {
	char	*path;
	HTABLE	*params;		/* name -> value */
} DICT_CF;

/* Quote s for the query language, appending to out. */
typedef void (*DICT_CF_QUOTE)(VSTRING *out, const char *s, void *ctx);

/* What every SQL/LDAP type shares: domain filter, result shaping. */
typedef struct DICT_CF_COMMON {
	ARGV	*domains;		/* "domain": names; null: any key */
	DICT	**domain_dicts;		/* "domain" entries that are tables */
	int	 ndomain_dicts;
	char	*result_format;		/* default "%s" */
	int	 expansion_limit;	/* 0: no limit */
	VSTRING	*result;		/* the joined result */
	VSTRING	*scratch;
	int	 count;			/* values so far */
} DICT_CF_COMMON;

DICT_CF	*dict_cf_open(const char *path, VSTRING *why);
void	 dict_cf_free(DICT_CF *);
const char *dict_cf_str(DICT_CF *, const char *name, const char *def);
int	 dict_cf_int(DICT_CF *, const char *name, int def, int min, int max,
	    int *value, VSTRING *why);
int	 dict_cf_bool(DICT_CF *, const char *name, int def, int *value,
	    VSTRING *why);

int	 dict_cf_expand(VSTRING *out, const char *fmt, const char *value,
	    const char *key, DICT_CF_QUOTE quote, void *ctx);
void	 dict_cf_quote_none(VSTRING *out, const char *s, void *ctx);
void	 dict_cf_quote_sql(VSTRING *out, const char *s, void *ctx);
void	 dict_cf_quote_ldap(VSTRING *out, const char *s, void *ctx);

int	 dict_cf_common_init(DICT_CF_COMMON *, DICT_CF *, VSTRING *why);
void	 dict_cf_common_free(DICT_CF_COMMON *);
int	 dict_cf_common_open(DICT *, DICT_CF **, DICT_CF_COMMON *,
	    VSTRING *why);
void	 dict_cf_common_close(DICT_CF *, DICT_CF_COMMON *);
int	 dict_cf_domain_ok(DICT_CF_COMMON *, DICT *, const char *key);
void	 dict_cf_result_start(DICT_CF_COMMON *);
int	 dict_cf_result_add(DICT_CF_COMMON *, DICT *, const char *key,
	    const char *value);
const char *dict_cf_result_end(DICT_CF_COMMON *);
void	 dict_cf_lookup_error(DICT *, const char *key, const char *reason);

const char *dict_cf_query(DICT_CF *, VSTRING *buf, VSTRING *why);
void	 dict_cf_flatten(VSTRING *);

/*
 * The connection of a server type (pgsql, mysql): "hosts" tried in turn,
 * a failed one skipped for retry_interval, an idle one closed.
 */
typedef void *(*DICT_CF_CONNECT)(void *ctx, const char *host);	/* null: why */
typedef void (*DICT_CF_DISCONNECT)(void *conn);

typedef struct DICT_CF_HOSTS {
	ARGV	*hosts;			/* "hosts" */
	time_t	*dead_until;		/* per host: skipped until then */
	int	 current;		/* the host of conn; -1 */
	void	*conn;			/* the engine's, or null */
	time_t	 last_used;		/* set by the caller */
	int	 idle_interval;
	int	 retry_interval;
	DICT_CF_CONNECT connect;
	DICT_CF_DISCONNECT disconnect;
	void	*ctx;
} DICT_CF_HOSTS;

int	 dict_cf_hosts_init(DICT_CF_HOSTS *, DICT_CF *, DICT_CF_CONNECT,
	    DICT_CF_DISCONNECT, void *ctx, VSTRING *why);
void	*dict_cf_hosts_conn(DICT_CF_HOSTS *, DICT *, VSTRING *why);
void	 dict_cf_hosts_drop(DICT_CF_HOSTS *);
void	 dict_cf_hosts_free(DICT_CF_HOSTS *);

/* "host", "inet:host:port", "unix:/path", "[host]:port" split (sock_addr_split()). */
int	 dict_cf_host(const char *spec, VSTRING *host, int *port,
	    int *is_unix);

#endif
