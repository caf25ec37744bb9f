/*
 * NAME
 *	dict - lookup tables behind one interface
 * SYNOPSIS
 *	#include <dict.h>
 *
 *	DICT *dict_open(const char *spec, int flags, VSTRING *why);
 *	void  dict_close(DICT *dict);
 *	const char *dict_get(DICT *dict, const char *key);
 *	int   dict_find(DICT *dict, const char *key, const char **value);
 *	int   dict_put(DICT *dict, const char *key, const char *value);
 *	int   dict_del(DICT *dict, const char *key);
 *	int   dict_seq(DICT *dict, int how, const char **key, const char **value);
 *	int   dict_sync(DICT *dict);
 *	const char *dict_error_text(DICT *dict);
 *
 *	DICT *dict_lookup_open(const char *spec);
 *	DICT *dict_lookup_open_flags(const char *spec, int flags);
 *	void  dict_lookup_close(DICT *dict);
 *	void  dict_cache_clear(void);
 *	int   dict_reopen_all(void);
 *	int   dict_reopen(const char *name);
 *	const char *dict_type_name(int i);
 *	const char *dict_get_list(DICT **dicts, int n, const char *key, int *error);
 *	const char *dict_get_list_domain(DICT **dicts, int n, const char *name,
 *	    int *error);
 * DESCRIPTION
 *	A table is named "type:name" as in Postfix ("hash:/etc/postern/access",
 *	"pcre:/etc/postern/header_checks", "inline:{a=b}"). Each type is a
 *	DICT_OPS vector of functions in its own module (dict_db.c, dict_pcre.c,
 *	...); this module picks the vector by the type prefix and does what
 *	every type shares: key folding, the bound on key length, the error
 *	state, reopening a table whose file changed, and the process-wide
 *	cache. A "proxy:" prefix selects dict_proxy.c: the lookups go to
 *	the proxymap service, which holds the table (and its database
 *	connection) for every process.
 *
 *	dict_get() returns the value, valid until the next call on the same
 *	DICT, or null. After null, dict->error tells "not found"
 *	(DICT_ERR_NONE) from a failure (DICT_ERR_RETRY, DICT_ERR_CONFIG):
 *	callers must answer a failure with a temporary error, never treat it
 *	as "not found". Keys longer than DICT_MAX_KEY are never found.
 *	With DICT_FLAG_FOLD_KEY, keys of exact-match tables (hash, btree,
 *	texthash, inline, unix) are lowercased first; pattern tables (pcre,
 *	regexp, cidr) see the key as given and fold case with their own flags.
 *
 *	dict_find() is dict_get() for the many callers that only pass the
 *	outcome on: 1 (found; the value in *value when value is not null), 0
 *	(not found), or -1 (the lookup failed, logged as a warning
 *	"type:name lookup error for "key": reason", the shape of Postfix's).
 *
 *	Reopen on change: a type that reads a file registers it with
 *	dict_watch(). Before a lookup, at most once a second, the file is
 *	stat()ed; when its device, inode, size or modification time changed
 *	the table is opened afresh and swapped in. When the new version cannot
 *	be opened (a syntax error, say) the old contents stay in service and a
 *	warning is logged once per change. Tests force the next check by
 *	setting dict->checked = 0.
 *
 *	dict_lookup_open() shares one DICT between all users of the same spec
 *	and flags in a process; it never fails (see dict.h: a surrogate whose
 *	lookups fail with DICT_ERR_CONFIG stands in for a table that cannot be
 *	opened, and the open is retried at every lookup). dict_lookup_close()
 *	only drops a reference: the table stays open in the cache, so code
 *	that opens, looks up and closes for every lookup does not read the
 *	file each time. The reference count saturates instead of wrapping
 *	for callers that never close. dict_cache_clear() closes the cached
 *	tables that have no references left. dict_reopen_all()
 *	reopens every cached file-backed table now and returns the number that
 *	failed (smtpctl update table); dict_reopen() does the same for the
 *	cached tables whose spec ("hash:/etc/x") or name ("/etc/x") is given,
 *	and returns -1 when no cached table has that name.
 *
 *	Types that need a client library (sqlite, pgsql, mysql, ldap) are
 *	modules, dict_TYPE.so, in the module directory (module(3):
 *	daemon_directory). A module is loaded with dlopen() when a table of
 *	its type is first opened, so a program that uses none pays nothing
 *	for those libraries. A module must be a regular file owned by root
 *	(or the running user) and writable only by its owner; set-id
 *	programs load none.
 *
 *	dict_type_name() returns the name of the i-th table type this
 *	program can use (0, 1, ...: the built-in ones, then the installed
 *	modules), or null past the last (postern config -m).
 *
 *	dict_get_list() looks a key up in several tables in order and returns
 *	the first value; *error gets the first failure, which stops the search
 *	(a later table must not answer for one that could not).
 *	dict_get_list_domain() does the same for a domain name, then for
 *	each of its parent domains in the ".example.com" form (Postfix's
 *	smtp_tls_policy_maps and tls_server_sni_maps keys), until a value
 *	is found or a lookup fails.
 * DIAGNOSTICS
 *	dict_open() returns null with a reason in why: unknown type, missing
 *	file, syntax errors with file:line. Panic: a null argument, misuse of
 *	the cache. Warnings: a changed table that cannot be reopened.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dict.h"
#include "htable.h"
#include "module.h"
#include "msg.h"
#include "mymalloc.h"

static const DICT_OPS *dict_types[] = {
	&dict_hash_ops, &dict_btree_ops, &dict_pcre_ops, &dict_regexp_ops,
	&dict_cidr_ops, &dict_texthash_ops, &dict_inline_ops,
	&dict_static_ops, &dict_unix_ops, &dict_memcache_ops,
	&dict_socketmap_ops, &dict_tcp_ops, &dict_proxy_ops, NULL,
};

/* Types that need a client library: modules dict_TYPE.so, loaded on use. */
static const char *dict_module_types[] = {
	"sqlite", "pgsql", "mysql", "ldap", NULL,
};

static HTABLE *dict_cache;		/* "flags:spec" -> DICT */
static HTABLE *dict_modules;		/* type -> loaded DICT_OPS */
static VSTRING *dict_module_why;	/* why the last module load failed */

int
dict_module_type(const char *type)
{
	const char **tp;

	for (tp = dict_module_types; *tp != NULL; tp++)
		if (strcmp(*tp, type) == 0)
			return 1;
	return 0;
}

/* Load (once) the module of a library-backed type. */
static const DICT_OPS *
dict_module_load(const char *type)
{
	const DICT_OPS *ops;
	VSTRING	*file, *sym;

	if (dict_modules != NULL
	    && (ops = htable_find(dict_modules, type)) != NULL)
		return ops;
	if (dict_module_why == NULL)
		dict_module_why = vstring_alloc(64);
	vstring_reset(dict_module_why);
	file = vstring_alloc(32);
	sym = vstring_alloc(32);
	vstring_sprintf(file, "dict_%s.so", type);
	vstring_sprintf(sym, "dict_%s_ops", type);
	if ((ops = module_load(vstring_str(file), vstring_str(sym),
	    dict_module_why)) == NULL) {
		if (errno == ENOENT)
			vstring_sprintf_append(dict_module_why, " (not built: "
			    "its client library was missing; see postern "
			    "config -m)");
		goto out;
	}
	if (strcmp(ops->type, type) != 0) {
		vstring_sprintf(dict_module_why, "%s: no %s", vstring_str(file),
		    vstring_str(sym));
		ops = NULL;
		goto out;
	}
	if (dict_modules == NULL)
		dict_modules = htable_create(8);
	htable_enter(dict_modules, type, (void *)ops);
out:
	vstring_free(file);
	vstring_free(sym);
	return ops;
}

const DICT_OPS *
dict_ops_find(const char *type)
{
	const DICT_OPS **op;

	for (op = dict_types; *op != NULL; op++)
		if (strcmp((*op)->type, type) == 0)
			return *op;
	if (dict_module_type(type))
		return dict_module_load(type);
	return NULL;
}

/*
 * The type names this program can use (postern config -m): the built-in
 * ones, then the modules that are installed.
 */
const char *
dict_type_name(int i)
{
	int	 nstatic = (int)(sizeof(dict_types) / sizeof(*dict_types)) - 1;
	const char **tp;
	VSTRING	*path, *file, *why;
	const char *found = NULL;

	if (i < 0)
		return NULL;
	if (i < nstatic)
		return dict_types[i]->type;
	i -= nstatic;
	path = vstring_alloc(64);
	file = vstring_alloc(32);
	why = vstring_alloc(64);
	for (tp = dict_module_types; *tp != NULL && found == NULL; tp++) {
		vstring_sprintf(file, "dict_%s.so", *tp);
		if (module_path(vstring_str(file), path, why) != NULL
		    && i-- == 0)
			found = *tp;
	}
	vstring_free(path);
	vstring_free(file);
	vstring_free(why);
	return found;
}

void
dict_set_error(DICT *dict, int err, const char *fmt, ...)
{
	va_list	 ap;

	dict->error = err;
	vstring_reset(dict->why);
	va_start(ap, fmt);
	vstring_vsprintf_append(dict->why, fmt, ap);
	va_end(ap);
}

const char *
dict_error_text(DICT *dict)
{
	return vstring_str(dict->why);
}

/*
 * Record the file whose change means "reopen". Called by a type's open
 * before it reads the file, so that a change during the read is seen
 * again by the next check.
 */
int
dict_watch(DICT *dict, const char *path, VSTRING *why)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		vstring_sprintf(why, "open %s: %s", path, strerror(errno));
		return -1;
	}
	if (dict->watch == NULL || strcmp(dict->watch, path) != 0) {
		myfree(dict->watch);
		dict->watch = mystrdup(path);
	}
	dict->st_dev = st.st_dev;
	dict->st_ino = st.st_ino;
	dict->st_size = st.st_size;
	dict->st_mtim = st.st_mtim;
	return 0;
}

static DICT *
dict_alloc(const DICT_OPS *ops, const char *spec, const char *type,
    const char *name, int flags)
{
	DICT	*dict;

	dict = mycalloc(1, sizeof(*dict));
	dict->ops = ops;
	dict->spec = mystrdup(spec);
	dict->type = mystrdup(type);
	dict->name = mystrdup(name);
	dict->flags = flags;
	dict->fixed = ops->fixed;
	if (ops == &dict_proxy_ops) {
		const char *inner = name, *colon;
		char	*type_name;
		const DICT_OPS *iops;

		while (strncmp(inner, "proxy:", 6) == 0)
			inner += 6;
		if ((colon = strchr(inner, ':')) != NULL) {
			type_name = mystrndup(inner, (size_t)(colon - inner));
			if ((iops = dict_ops_find(type_name)) != NULL)
				dict->fixed = iops->fixed;
			myfree(type_name);
		}
	}
	dict->fold = vstring_alloc(64);
	dict->why = vstring_alloc(64);
	dict->checked = time(NULL);
	return dict;
}

static void
dict_free(DICT *dict)
{
	if (dict->opened && dict->ops->close != NULL)
		dict->ops->close(dict);
	myfree(dict->spec);
	myfree(dict->type);
	myfree(dict->name);
	myfree(dict->watch);
	vstring_free(dict->fold);
	vstring_free(dict->why);
	myfree(dict);
}

/*
 * Open (or reopen) the table into a scratch copy, and swap the result in
 * only on success, so a broken new version never replaces a good one.
 */
static int
dict_load(DICT *dict, VSTRING *why)
{
	DICT	 tmp = *dict;

	tmp.data = NULL;
	tmp.watch = NULL;
	vstring_reset(why);
	if (dict->ops->open(&tmp, why) < 0) {
		if (vstring_len(why) == 0)
			vstring_sprintf(why, "%s: open failed", dict->spec);
		myfree(tmp.watch);
		return -1;
	}
	if (dict->opened && dict->ops->close != NULL)
		dict->ops->close(dict);
	dict->data = tmp.data;
	myfree(dict->watch);
	dict->watch = tmp.watch;
	dict->st_dev = tmp.st_dev;
	dict->st_ino = tmp.st_ino;
	dict->st_size = tmp.st_size;
	dict->st_mtim = tmp.st_mtim;
	dict->opened = 1;
	return 0;
}

static int
dict_split(const char *spec, VSTRING *type, const char **name, VSTRING *why)
{
	const char *colon;

	if (strncmp(spec, "proxy:", 6) == 0) {
		vstring_strcpy(type, "proxy");
		*name = spec + 6;
		return 0;
	}
	if ((colon = strchr(spec, ':')) == NULL || colon == spec) {
		vstring_sprintf(why, "table \"%s\": need type:name", spec);
		return -1;
	}
	vstring_memcpy(type, spec, colon - spec);
	*name = colon + 1;
	return 0;
}

static DICT *
dict_create(const char *spec, int flags, VSTRING *why)
{
	const DICT_OPS *ops;
	const char *name;
	VSTRING	*type;
	DICT	*dict = NULL;

	if (spec == NULL || why == NULL)
		msg_panic("dict_open: null argument");
	type = vstring_alloc(16);
	vstring_reset(why);
	if (dict_split(spec, type, &name, why) < 0)
		goto out;
	if ((ops = dict_ops_find(vstring_str(type))) == NULL) {
		vstring_sprintf(why, "table \"%s\": unsupported type \"%s\"",
		    spec, vstring_str(type));
		if (dict_module_type(vstring_str(type)) && dict_module_why)
			vstring_sprintf_append(why, " (%s)",
			    vstring_str(dict_module_why));
		goto out;
	}
	if (ops->put == NULL && (flags & DICT_FLAG_RDWR)) {
		vstring_sprintf(why, "table \"%s\": type %s is read-only",
		    spec, ops->type);
		goto out;
	}
	dict = dict_alloc(ops, spec, vstring_str(type), name, flags);
out:
	vstring_free(type);
	return dict;
}

DICT *
dict_open(const char *spec, int flags, VSTRING *why)
{
	DICT	*dict;

	if ((dict = dict_create(spec, flags, why)) == NULL)
		return NULL;
	if (dict_load(dict, why) < 0) {
		dict_free(dict);
		return NULL;
	}
	return dict;
}

void
dict_close(DICT *dict)
{
	if (dict == NULL)
		return;
	if (dict->cached)
		msg_panic("dict_close: %s is cached; use dict_lookup_close",
		    dict->spec);
	dict_free(dict);
}

/*
 * The cheap check before each operation: at most one stat() per second
 * for an open table; an open attempt per operation for a surrogate.
 */
static void
dict_refresh(DICT *dict)
{
	struct stat st;
	time_t	 now;

	/* A writer's own changes must not make it reopen (or truncate). */
	if (dict->flags & (DICT_FLAG_NO_REOPEN | DICT_FLAG_RDWR))
		return;
	if (dict->opened && dict->watch == NULL)
		return;
	now = time(NULL);
	/*
	 * A table that could not be opened is retried at every lookup: the
	 * failure path is rare and cheap (one failed open), and a table built
	 * just now (newaliases, postern map) must be seen at once.
	 */
	if (dict->opened && now == dict->checked)
		return;
	dict->checked = now;
	if (!dict->opened) {
		if (dict_load(dict, dict->why) == 0)
			msg_info("table %s: opened", dict->spec);
		return;
	}
	if (stat(dict->watch, &st) < 0) {
		if (dict->st_ino != 0)
			msg_warn("table %s: %s: %s; keeping the loaded version",
			    dict->spec, dict->watch, strerror(errno));
		dict->st_ino = 0;
		return;
	}
	if (st.st_dev == dict->st_dev && st.st_ino == dict->st_ino
	    && st.st_size == dict->st_size
	    && st.st_mtim.tv_sec == dict->st_mtim.tv_sec
	    && st.st_mtim.tv_nsec == dict->st_mtim.tv_nsec)
		return;
	if (dict_load(dict, dict->why) < 0) {
		msg_warn("table %s changed but cannot be reopened: %s; "
		    "keeping the loaded version", dict->spec,
		    vstring_str(dict->why));
		dict->st_dev = st.st_dev;
		dict->st_ino = st.st_ino;
		dict->st_size = st.st_size;
		dict->st_mtim = st.st_mtim;
	} else if (msg_verbose)
		msg_info("table %s: reopened after change", dict->spec);
}

/*
 * Common prologue: refresh, refuse a broken table, bound and fold the key.
 * Returns the key to hand to the type, or null with dict->error set.
 */
static const char *
dict_prepare(DICT *dict, const char *key, const char *op)
{
	if (dict == NULL || key == NULL)
		msg_panic("dict_%s: null argument", op);
	dict->error = DICT_ERR_NONE;
	dict_refresh(dict);
	if (!dict->opened) {
		dict->error = DICT_ERR_CONFIG;
		if (vstring_len(dict->why) == 0)
			vstring_sprintf(dict->why, "table %s unavailable",
			    dict->spec);
		return NULL;
	}
	if (strlen(key) > DICT_MAX_KEY)
		return NULL;
	if (dict->ops->fixed && (dict->flags & DICT_FLAG_FOLD_KEY)) {
		vstring_strcpy(dict->fold, key);
		vstring_lower(dict->fold);
		return vstring_str(dict->fold);
	}
	return key;
}

const char *
dict_get(DICT *dict, const char *key)
{
	const char *value;

	if ((key = dict_prepare(dict, key, "get")) == NULL)
		return NULL;
	value = dict->ops->get(dict, key);
	/*
	 * smtpctl trace lookup (or log verbose): every table lookup. The
	 * value is not logged: tables hold passwords (smtp_sasl_password_maps,
	 * the SASL credentials tables), which no log level may show.
	 */
	if (msg_verbose) {
		if (value)
			msg_info("lookup: table %s key \"%.200s\": found (%zu bytes)",
			    dict->spec, key, strlen(value));
		else
			msg_info("lookup: table %s key \"%.200s\": %s", dict->spec,
			    key, dict->error ? "error" : "not found");
	}
	return value;
}

int
dict_find(DICT *dict, const char *key, const char **value)
{
	const char *v;

	if ((v = dict_get(dict, key)) != NULL) {
		if (value)
			*value = v;
		return 1;
	}
	if (dict->error != DICT_ERR_NONE) {
		msg_warn("%s lookup error for \"%s\": %s", dict->spec, key,
		    dict_error_text(dict));
		return -1;
	}
	return 0;
}

static int
dict_unsupported(DICT *dict, const char *op)
{
	dict_set_error(dict, DICT_ERR_CONFIG, "table %s: %s not supported",
	    dict->spec, op);
	return -1;
}

int
dict_put(DICT *dict, const char *key, const char *value)
{
	if (value == NULL)
		msg_panic("dict_put: null value");
	if ((key = dict_prepare(dict, key, "put")) == NULL)
		return dict->error ? -1 : dict_unsupported(dict, "long key");
	if (dict->ops->put == NULL || !(dict->flags & DICT_FLAG_RDWR))
		return dict_unsupported(dict, "update");
	return dict->ops->put(dict, key, value);
}

int
dict_del(DICT *dict, const char *key)
{
	if ((key = dict_prepare(dict, key, "del")) == NULL)
		return dict->error ? -1 : 1;
	if (dict->ops->del == NULL || !(dict->flags & DICT_FLAG_RDWR))
		return dict_unsupported(dict, "delete");
	return dict->ops->del(dict, key);
}

int
dict_seq(DICT *dict, int how, const char **key, const char **value)
{
	if (dict == NULL || key == NULL || value == NULL)
		msg_panic("dict_seq: null argument");
	dict->error = DICT_ERR_NONE;
	if (how == DICT_SEQ_FIRST)
		dict_refresh(dict);
	if (!dict->opened) {
		dict->error = DICT_ERR_CONFIG;
		return -1;
	}
	if (dict->ops->seq == NULL)
		return dict_unsupported(dict, "sequential access");
	return dict->ops->seq(dict, how, key, value);
}

int
dict_sync(DICT *dict)
{
	if (!dict->opened || dict->ops->sync == NULL)
		return 0;
	return dict->ops->sync(dict);
}

static char *
dict_cache_key(const char *spec, int flags)
{
	VSTRING	*vp = vstring_alloc(64);

	vstring_sprintf(vp, "%x:%s", (unsigned)flags, spec);
	return vstring_export(vp);
}

/*
 * Stands in for a table whose type or name is wrong: the open keeps
 * failing with the reason dict_create() gives.
 */
static int
dict_fail_open(DICT *dict, VSTRING *why)
{
	DICT	*real;

	if ((real = dict_create(dict->spec, dict->flags, why)) != NULL) {
		dict_free(real);
		vstring_sprintf(why, "table %s: cannot be used", dict->spec);
	}
	return -1;
}

static const DICT_OPS dict_fail_ops = {
	"fail", 0, dict_fail_open, NULL, NULL, NULL, NULL, NULL, NULL,
};

DICT *
dict_lookup_open_flags(const char *spec, int flags)
{
	DICT	*dict;
	char	*ckey;

	if (spec == NULL)
		msg_panic("dict_lookup_open: null spec");
	if (dict_cache == NULL)
		dict_cache = htable_create(16);
	ckey = dict_cache_key(spec, flags);
	if ((dict = htable_find(dict_cache, ckey)) == NULL) {
		VSTRING	*why = vstring_alloc(64);

		if ((dict = dict_create(spec, flags, why)) == NULL)
			dict = dict_alloc(&dict_fail_ops, spec, "fail", spec,
			    flags);
		if (dict_load(dict, why) < 0) {
			msg_warn("table %s: %s; lookups fail until it is fixed",
			    spec, vstring_str(why));
			vstring_strcpy(dict->why, vstring_str(why));
		}
		vstring_free(why);
		dict->cached = 1;
		htable_enter(dict_cache, ckey, dict);
	}
	if (dict->refcount < INT_MAX)
		dict->refcount++;
	myfree(ckey);
	return dict;
}

DICT *
dict_lookup_open(const char *spec)
{
	return dict_lookup_open_flags(spec, DICT_FLAG_DEFAULT);
}

void
dict_lookup_close(DICT *dict)
{
	if (dict == NULL)
		return;
	if (!dict->cached || dict->refcount <= 0)
		msg_panic("dict_lookup_close: %s: not cached or not open",
		    dict->spec);
	if (dict->refcount < INT_MAX)
		dict->refcount--;
}

void
dict_cache_clear(void)
{
	HTABLE_INFO **list, **ht;
	DICT	*dict;
	char	*ckey;

	if (dict_cache == NULL)
		return;
	list = htable_list(dict_cache);
	for (ht = list; *ht != NULL; ht++) {
		dict = (*ht)->value;
		if (dict->refcount > 0)
			continue;
		ckey = mystrdup((*ht)->key);
		if (htable_delete(dict_cache, ckey, NULL) != 0)
			msg_panic("dict_cache_clear: lost %s", dict->spec);
		myfree(ckey);
		dict->cached = 0;
		dict_free(dict);
	}
	myfree(list);
	if (dict_cache->used == 0) {
		htable_free(dict_cache, NULL);
		dict_cache = NULL;
	}
}

/*
 * Reopen the cached tables whose spec or name is name (all tables when
 * name is null). Returns the number that failed, or -1 when none matched.
 */
int
dict_reopen(const char *name)
{
	HTABLE_INFO **list, **ht;
	DICT	*dict;
	int	 failed = 0, matched = 0;

	if (dict_cache == NULL)
		return name ? -1 : 0;
	list = htable_list(dict_cache);
	for (ht = list; *ht != NULL; ht++) {
		dict = (*ht)->value;
		if (name != NULL && strcmp(name, dict->spec) != 0
		    && strcmp(name, dict->name) != 0)
			continue;
		matched++;
		if ((dict->opened && dict->watch == NULL)
		    || (dict->flags & DICT_FLAG_RDWR))
			continue;
		dict->checked = time(NULL);
		if (dict_load(dict, dict->why) < 0) {
			msg_warn("table %s: %s", dict->spec,
			    vstring_str(dict->why));
			failed++;
		} else
			msg_info("table %s: reopened", dict->spec);
	}
	myfree(list);
	return name != NULL && matched == 0 ? -1 : failed;
}

int
dict_reopen_all(void)
{
	return dict_reopen(NULL);
}

const char *
dict_get_list(DICT **dicts, int n, const char *key, int *error)
{
	const char *value;
	int	 i;

	*error = DICT_ERR_NONE;
	for (i = 0; i < n; i++) {
		if ((value = dict_get(dicts[i], key)) != NULL)
			return value;
		if ((*error = dicts[i]->error) != DICT_ERR_NONE)
			return NULL;
	}
	return NULL;
}

const char *
dict_get_list_domain(DICT **dicts, int n, const char *name, int *error)
{
	const char *value, *d;

	value = dict_get_list(dicts, n, name, error);
	for (d = strchr(name, '.'); value == NULL && *error == DICT_ERR_NONE
	    && d != NULL; d = strchr(d + 1, '.'))
		value = dict_get_list(dicts, n, d, error);
	return value;
}

int
dict_find_list(DICT **dicts, int n, const char *key, int flags,
    VSTRING *value)
{
	const char *v;
	int	 err;

	v = (flags & DICT_FIND_DOMAIN) ? dict_get_list_domain(dicts, n, key,
	    &err) : dict_get_list(dicts, n, key, &err);
	if (err != DICT_ERR_NONE)
		return -1;
	if (v == NULL)
		return 0;
	vstring_strcpy(value, v);
	return 1;
}
