/*
 * dict.h - lookup tables ("type:name"), one interface for every type.
 * See dict.c (generic layer, cache, reopen) and dict_<type>.c.
 */
#ifndef DICT_H
#define DICT_H

#include <sys/types.h>
#include <time.h>

#include "vstring.h"

/* dict_open() flags. */
#define DICT_FLAG_NONE		0
#define DICT_FLAG_FOLD_KEY	(1 << 0)	/* lowercase keys (Postfix default) */
#define DICT_FLAG_RDWR		(1 << 1)	/* open for update (hash/btree) */
#define DICT_FLAG_CREATE	(1 << 2)	/* create if missing (with RDWR) */
#define DICT_FLAG_TRUNC		(1 << 3)	/* start empty (with RDWR) */
#define DICT_FLAG_NO_REOPEN	(1 << 4)	/* never reopen on file change
						 * (implied by RDWR) */
#define DICT_FLAG_DUP_IGNORE	(1 << 5)	/* dict_put: keep first value */
#define DICT_FLAG_DUP_REPLACE	(1 << 6)	/* dict_put: replace (default) */

#define DICT_FLAG_DEFAULT	DICT_FLAG_FOLD_KEY

/* dict->error after a call. */
#define DICT_ERR_NONE		0	/* found, or genuinely not found */
#define DICT_ERR_RETRY		(-1)	/* temporary failure: answer 4xx */
#define DICT_ERR_CONFIG		(-2)	/* broken table: answer 4xx, log */

/* dict_seq() direction. */
#define DICT_SEQ_FIRST		0
#define DICT_SEQ_NEXT		1

/* dict_put() result besides 0 (stored) and -1 (error). */
#define DICT_PUT_DUP		1	/* key existed, DUP_IGNORE kept it */

/* Bounds on hostile input. */
#define DICT_MAX_KEY		4096	/* longer keys are "not found" */
#define DICT_MAX_LINE		(64 * 1024)	/* longer source lines: error */

typedef struct DICT DICT;

/*
 * One table type: a small vector of functions (OpenSMTPD style). open()
 * fills in the type's private state in dict->data and returns 0, or -1
 * with a reason in why. Methods a type cannot do are null: the generic
 * layer then fails the call with "operation not supported".
 */
typedef struct DICT_OPS {
	const char *type;
	int	 fixed;			/* exact-key table: DICT_FLAG_FOLD_KEY applies */
	int	(*open)(DICT *, VSTRING *why);
	const char *(*get)(DICT *, const char *key);
	int	(*put)(DICT *, const char *key, const char *value);
	int	(*del)(DICT *, const char *key);
	int	(*seq)(DICT *, int how, const char **key, const char **value);
	int	(*sync)(DICT *);
	void	(*close)(DICT *);
} DICT_OPS;

struct DICT {
	const DICT_OPS *ops;
	char	*spec;			/* "type:name" as given */
	char	*type;			/* "hash" */
	char	*name;			/* "/etc/postern/access" */
	int	 flags;			/* DICT_FLAG_* */
	int	 fixed;			/* exact-key table (proxy: the inner one) */
	int	 error;			/* DICT_ERR_* of the last call */
	int	 refcount;		/* dict_lookup_open() users */
	void	*data;			/* type-private */
	VSTRING	*fold;			/* scratch: folded key */
	VSTRING	*why;			/* reason of the last error */
	char	*watch;			/* file whose change triggers reopen */
	dev_t	 st_dev;
	ino_t	 st_ino;
	off_t	 st_size;
	struct timespec st_mtim;
	time_t	 checked;		/* last stat() of watch / open retry */
	int	 opened;		/* 0: open failed, lookups fail (surrogate) */
	int	 cached;		/* owned by the dict_lookup_open() cache */
};

/* Opening and closing. dict_open() returns null with a reason in why. */
DICT	*dict_open(const char *spec, int flags, VSTRING *why);
void	 dict_close(DICT *);

/*
 * Process-wide cache: the same spec opened by several parameters is one
 * DICT. Never null: a table that cannot be opened is logged (warning)
 * and returned as a surrogate whose lookups fail with DICT_ERR_CONFIG
 * (answer 451, not "not found") until the file can be opened; the open
 * is retried at most once a second. dict_lookup_open() uses
 * DICT_FLAG_DEFAULT. dict_lookup_close() releases a reference, but the
 * table stays cached (open, lookup, close per lookup is cheap);
 * dict_cache_clear() closes the tables nobody holds (tests, exit).
 */
DICT	*dict_lookup_open(const char *spec);
DICT	*dict_lookup_open_flags(const char *spec, int flags);
void	 dict_lookup_close(DICT *);
void	 dict_cache_clear(void);
int	 dict_reopen_all(void);		/* smtpctl update table; failures */
int	 dict_reopen(const char *name);	/* spec or name; -1: not cached */

/*
 * Operations. dict_get(): value (valid until the next call on this
 * DICT), or null with dict->error = DICT_ERR_NONE (not found) or an
 * error (see dict_error_text()). dict_put/del: 0 ok, 1 (del: not found
 * / put: DICT_PUT_DUP), -1 error. dict_seq: 0 got one, 1 end, -1 error.
 */
const char *dict_get(DICT *, const char *key);
/* dict_get() as 1 found (*value), 0 not found, -1 failed (logged). */
int	 dict_find(DICT *, const char *key, const char **value);
int	 dict_put(DICT *, const char *key, const char *value);
int	 dict_del(DICT *, const char *key);
int	 dict_seq(DICT *, int how, const char **key, const char **value);
int	 dict_sync(DICT *);
const char *dict_error_text(DICT *);

/*
 * Convenience: the first value for key in tables[0..n-1]; a failure of
 * one table stops the search and is returned in *error (DICT_ERR_*).
 */
const char *dict_get_list(DICT **, int ndict, const char *key, int *error);
/* The same for a domain name, then ".parent" forms of its parents. */
const char *dict_get_list_domain(DICT **, int ndict, const char *name,
	    int *error);
/*
 * Either of the two as 1 found (copied into value), 0 not found, -1 a
 * table failed: DICT_FIND_DOMAIN asks for dict_get_list_domain().
 */
#define DICT_FIND_DOMAIN	(1<<0)
int	 dict_find_list(DICT **, int ndict, const char *key, int flags,
	    VSTRING *value);

/* For the type modules (dict_<type>.c). */
extern const DICT_OPS dict_hash_ops, dict_btree_ops, dict_pcre_ops,
	dict_regexp_ops, dict_cidr_ops, dict_texthash_ops, dict_inline_ops,
	dict_static_ops, dict_unix_ops, dict_sqlite_ops, dict_pgsql_ops,
	dict_mysql_ops, dict_ldap_ops, dict_memcache_ops, dict_socketmap_ops,
	dict_tcp_ops, dict_proxy_ops;
void	 dict_proxy_socket_hook(const char *(*)(void));
int	 dict_module_type(const char *);	/* a type built as a module */

const DICT_OPS *dict_ops_find(const char *type);
const char *dict_type_name(int);
void	 dict_set_error(DICT *, int err, const char *fmt, ...) PRINTFLIKE(3, 4);
int	 dict_watch(DICT *, const char *path, VSTRING *why);

#endif
