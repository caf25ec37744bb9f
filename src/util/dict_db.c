/*
 * NAME
 *	dict_db - hash: and btree: tables (Berkeley DB)
 * SYNOPSIS
 *	#include <dict.h>
 *
 *	extern const DICT_OPS dict_hash_ops, dict_btree_ops;
 * DESCRIPTION
 *	"hash:/path/file" and "btree:/path/file" are the Berkeley DB files
 *	/path/file.db (DB_HASH and DB_BTREE access methods, no environment),
 *	normally built from /path/file with "postern map". As Postfix does,
 *	keys and values are stored with their terminating null byte; a
 *	lookup also tries the key without it, so files made by other tools
 *	work too.
 *
 *	Read-only opens take a shared fcntl() lock around each lookup;
 *	updates (DICT_FLAG_RDWR) take an exclusive one around each change
 *	and flush it to the file before unlocking, so a reader never sees a
 *	half-made change. With DICT_FLAG_TRUNC (a new file that nobody reads
 *	yet, as "postern map" builds) updates skip the lock and the flush;
 *	dict_sync() flushes and fsyncs. Readers notice a change through the generic
 *	reopen-on-change check (see dict.c); "postern map" builds a new
 *	file under a temporary name and renames it into place, so readers
 *	see either the old or the new file.
 * DIAGNOSTICS
 *	Open errors (missing file, not a database) name the file. Lookup
 *	errors set DICT_ERR_RETRY with the Berkeley DB message.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <db.h>

#include "dict.h"
#include "msg.h"
#include "mymalloc.h"

typedef struct DICT_DB {
	DB	*db;
	DBC	*cursor;		/* dict_seq() */
	int	 fd;
	VSTRING	*key;			/* returned by seq */
	VSTRING	*value;			/* returned by get/seq */
} DICT_DB;

static int
dict_db_lock(DICT *dict, DICT_DB *ddb, int type)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	while (fcntl(ddb->fd, F_SETLKW, &fl) < 0) {
		if (errno == EINTR)
			continue;
		dict_set_error(dict, DICT_ERR_RETRY, "lock %s.db: %s",
		    dict->name, strerror(errno));
		return -1;
	}
	return 0;
}

static void
dict_db_unlock(DICT_DB *ddb)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_UNLCK;
	fl.l_whence = SEEK_SET;
	(void)fcntl(ddb->fd, F_SETLK, &fl);
}

/* A datum as a C string: drop one trailing null, stop at an inner one. */
static const char *
dict_db_string(VSTRING *vp, const DBT *d)
{
	size_t	 len = d->size;

	if (len > 0 && ((const char *)d->data)[len - 1] == 0)
		len--;
	vstring_memcpy(vp, d->data, len);
	return vstring_str(vp);
}

/* Berkeley DB's own messages: only when verbose (we report the codes). */
static void
dict_db_errcall(const DB_ENV *env, const char *prefix, const char *text)
{
	if (msg_verbose)
		msg_info("berkeley db: %s", text);
}

static int
dict_db_open_type(DICT *dict, VSTRING *why, DBTYPE type)
{
	DICT_DB	*ddb = mycalloc(1, sizeof(*ddb));
	VSTRING	*path = vstring_alloc(64);
	u_int32_t oflags = DB_RDONLY;
	int	 err;

	vstring_sprintf(path, "%s.db", dict->name);
	if (dict->flags & DICT_FLAG_RDWR)
		oflags = (dict->flags & DICT_FLAG_CREATE) ? DB_CREATE : 0;
	if (dict->flags & DICT_FLAG_TRUNC)
		oflags |= DB_TRUNCATE | DB_CREATE;
	if (!(oflags & DB_CREATE) && dict_watch(dict, vstring_str(path), why) < 0)
		goto fail;
	if ((err = db_create(&ddb->db, NULL, 0)) != 0) {
		vstring_sprintf(why, "db_create: %s", db_strerror(err));
		goto fail;
	}
	ddb->db->set_errcall(ddb->db, dict_db_errcall);
	if ((err = ddb->db->open(ddb->db, NULL, vstring_str(path), NULL, type,
	    oflags, 0644)) != 0) {
		vstring_sprintf(why, "open %s: %s%s", vstring_str(path),
		    db_strerror(err), err == EINVAL ? type == DB_HASH ?
		    " (not a hash: database?)" : " (not a btree: database?)" : "");
		goto fail;
	}
	if ((err = ddb->db->fd(ddb->db, &ddb->fd)) != 0) {
		vstring_sprintf(why, "%s: %s", vstring_str(path),
		    db_strerror(err));
		goto fail;
	}
	(void)fcntl(ddb->fd, F_SETFD, FD_CLOEXEC);
	if ((oflags & DB_CREATE) && dict_watch(dict, vstring_str(path), why) < 0)
		goto fail;
	ddb->key = vstring_alloc(64);
	ddb->value = vstring_alloc(64);
	dict->data = ddb;
	vstring_free(path);
	return 0;
fail:
	if (ddb->db != NULL)
		(void)ddb->db->close(ddb->db, 0);
	myfree(ddb);
	vstring_free(path);
	return -1;
}

static int
dict_hash_open(DICT *dict, VSTRING *why)
{
	return dict_db_open_type(dict, why, DB_HASH);
}

static int
dict_btree_open(DICT *dict, VSTRING *why)
{
	return dict_db_open_type(dict, why, DB_BTREE);
}

/* Look up key with and then without its null. 0 found, 1 not, -1 error. */
static int
dict_db_fetch(DICT *dict, DICT_DB *ddb, const char *key, DBT *k, DBT *v)
{
	int	 err, pass;

	for (pass = 0; pass < 2; pass++) {
		memset(k, 0, sizeof(*k));
		memset(v, 0, sizeof(*v));
		k->data = (void *)key;
		k->size = strlen(key) + (pass == 0);
		err = ddb->db->get(ddb->db, NULL, k, v, 0);
		if (err == 0)
			return 0;
		if (err != DB_NOTFOUND) {
			dict_set_error(dict, DICT_ERR_RETRY, "%s.db: get: %s",
			    dict->name, db_strerror(err));
			return -1;
		}
	}
	return 1;
}

static const char *
dict_db_get(DICT *dict, const char *key)
{
	DICT_DB	*ddb = dict->data;
	const char *result = NULL;
	DBT	 k, v;

	if (!(dict->flags & DICT_FLAG_RDWR)
	    && dict_db_lock(dict, ddb, F_RDLCK) < 0)
		return NULL;
	if (dict_db_fetch(dict, ddb, key, &k, &v) == 0)
		result = dict_db_string(ddb->value, &v);
	if (!(dict->flags & DICT_FLAG_RDWR))
		dict_db_unlock(ddb);
	return result;
}

static int
dict_db_put(DICT *dict, const char *key, const char *value)
{
	DICT_DB	*ddb = dict->data;
	DBT	 k, v;
	int	 err, rc = 0;
	int	 bulk = dict->flags & DICT_FLAG_TRUNC;	/* private new file */

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key;
	k.size = strlen(key) + 1;
	v.data = (void *)value;
	v.size = strlen(value) + 1;
	if (!bulk && dict_db_lock(dict, ddb, F_WRLCK) < 0)
		return -1;
	err = ddb->db->put(ddb->db, NULL, &k, &v,
	    (dict->flags & DICT_FLAG_DUP_IGNORE) ? DB_NOOVERWRITE : 0);
	if (err == DB_KEYEXIST)
		rc = DICT_PUT_DUP;
	else if (err != 0 || (!bulk && (err = ddb->db->sync(ddb->db, 0)) != 0)) {
		dict_set_error(dict, DICT_ERR_RETRY, "%s.db: put: %s",
		    dict->name, db_strerror(err));
		rc = -1;
	}
	if (!bulk)
		dict_db_unlock(ddb);
	return rc;
}

static int
dict_db_del(DICT *dict, const char *key)
{
	DICT_DB	*ddb = dict->data;
	DBT	 k, v;
	int	 err, rc;

	if (dict_db_lock(dict, ddb, F_WRLCK) < 0)
		return -1;
	if ((rc = dict_db_fetch(dict, ddb, key, &k, &v)) == 0) {
		if ((err = ddb->db->del(ddb->db, NULL, &k, 0)) != 0
		    || (err = ddb->db->sync(ddb->db, 0)) != 0) {
			dict_set_error(dict, DICT_ERR_RETRY, "%s.db: del: %s",
			    dict->name, db_strerror(err));
			rc = -1;
		}
	}
	dict_db_unlock(ddb);
	return rc;
}

/*
 * Sequential access holds no lock between calls: a dump of a table
 * being rebuilt in place may be inconsistent (postern map rebuilds by
 * rename, which is safe).
 */
static int
dict_db_seq(DICT *dict, int how, const char **key, const char **value)
{
	DICT_DB	*ddb = dict->data;
	DBT	 k, v;
	int	 err;

	if (how == DICT_SEQ_FIRST || ddb->cursor == NULL) {
		if (ddb->cursor != NULL)
			(void)ddb->cursor->close(ddb->cursor);
		ddb->cursor = NULL;
		if ((err = ddb->db->cursor(ddb->db, NULL, &ddb->cursor, 0)) != 0)
			goto fail;
	}
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	err = ddb->cursor->get(ddb->cursor, &k, &v,
	    how == DICT_SEQ_FIRST ? DB_FIRST : DB_NEXT);
	if (err == DB_NOTFOUND)
		return 1;
	if (err != 0)
		goto fail;
	*key = dict_db_string(ddb->key, &k);
	*value = dict_db_string(ddb->value, &v);
	return 0;
fail:
	dict_set_error(dict, DICT_ERR_RETRY, "%s.db: seq: %s", dict->name,
	    db_strerror(err));
	return -1;
}

static int
dict_db_sync(DICT *dict)
{
	DICT_DB	*ddb = dict->data;
	int	 err;

	if (!(dict->flags & DICT_FLAG_RDWR))
		return 0;
	if ((err = ddb->db->sync(ddb->db, 0)) != 0) {
		dict_set_error(dict, DICT_ERR_RETRY, "%s.db: sync: %s",
		    dict->name, db_strerror(err));
		return -1;
	}
	if (fsync(ddb->fd) < 0) {
		dict_set_error(dict, DICT_ERR_RETRY, "%s.db: fsync: %s",
		    dict->name, strerror(errno));
		return -1;
	}
	return 0;
}

static void
dict_db_close(DICT *dict)
{
	DICT_DB	*ddb = dict->data;
	int	 err;

	if (ddb->cursor != NULL)
		(void)ddb->cursor->close(ddb->cursor);
	if ((err = ddb->db->close(ddb->db, 0)) != 0)
		msg_warn("close %s.db: %s", dict->name, db_strerror(err));
	vstring_free(ddb->key);
	vstring_free(ddb->value);
	myfree(ddb);
	dict->data = NULL;
}

const DICT_OPS dict_hash_ops = {
	"hash", 1, dict_hash_open, dict_db_get, dict_db_put, dict_db_del,
	dict_db_seq, dict_db_sync, dict_db_close,
};

const DICT_OPS dict_btree_ops = {
	"btree", 1, dict_btree_open, dict_db_get, dict_db_put, dict_db_del,
	dict_db_seq, dict_db_sync, dict_db_close,
};
