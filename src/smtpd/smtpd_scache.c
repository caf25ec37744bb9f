/*
 * NAME
 *	smtpd_scache - the TLS session cache that smtpd processes share
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	void smtpd_scache_conf(struct TLS_CTX *ctx, const char *db,
 *	    int timeout);
 * DESCRIPTION
 *	smtpd_scache_conf() gives the server TLS context the session cache
 *	smtpd_tls_session_cache_database names (a hash: or btree: table,
 *	as in Postfix "btree:${data_directory}/smtpd_scache"), so that a
 *	client that does not take session tickets (or a TLS 1.3 client,
 *	which then gets stateful tickets) can resume its session with any
 *	smtpd process, for smtpd_tls_session_cache_timeout seconds.
 *
 *	Postfix funnels the cache through tlsmgr(8); here each operation
 *	takes an exclusive flock(2) on "path.lock" beside the table,
 *	opens the table, reads or changes one entry and closes it again,
 *	so that no process works from a stale view of a file another one
 *	has changed. A TLS handshake costs a few file operations more; mail
 *	without TLS, nothing. Entries are "expiry:DER-in-hex"; an expired
 *	entry is deleted when it is looked up, and the first session that
 *	a process stores first clears out every expired entry. The table
 *	holds session keys: it is created readable by the smtpd user only.
 * DIAGNOSTICS
 *	An unsupported table type is a warning and no cache (tickets still
 *	work); a table or lock that cannot be opened is a warning and a
 *	cache miss, never a failed handshake.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dict.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"
#include "tls.h"

typedef struct SMTPD_SCACHE {
	char	*spec;			/* type:path */
	char	*lock;			/* path.lock */
	int	 cleaned;		/* expired entries cleared once */
} SMTPD_SCACHE;

static SMTPD_SCACHE smtpd_scache;

/* Open the table under the lock; null (warning) on failure. */
static DICT *
smtpd_scache_open(int *lockfd)
{
	VSTRING	*why;
	DICT	*d;
	mode_t	 mask;

	if ((*lockfd = open(smtpd_scache.lock, O_RDWR | O_CREAT | O_CLOEXEC,
	    0600)) < 0) {
		msg_warn("TLS session cache: open %s: %m", smtpd_scache.lock);
		return NULL;
	}
	while (flock(*lockfd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			msg_warn("TLS session cache: lock %s: %m",
			    smtpd_scache.lock);
			close(*lockfd);
			return NULL;
		}
	}
	why = vstring_alloc(100);
	/* Session keys: a table that the smtpd user alone may read. */
	mask = umask(077);
	d = dict_open(smtpd_scache.spec, DICT_FLAG_RDWR | DICT_FLAG_CREATE |
	    DICT_FLAG_NO_REOPEN, why);
	(void)umask(mask);
	if (d == NULL) {
		msg_warn("TLS session cache %s: %s", smtpd_scache.spec,
		    vstring_str(why));
		close(*lockfd);
	}
	vstring_free(why);
	return d;
}

static void
smtpd_scache_close(DICT *d, int lockfd)
{
	dict_close(d);
	close(lockfd);			/* releases the lock */
}

/* "expiry:hex": the expiry, and *hex; -1 when malformed. */
static long
smtpd_scache_parse(const char *val, const char **hex)
{
	char	*end;
	long	 expires = strtol(val, &end, 10);

	if (end == val || *end != ':')
		return -1;
	*hex = end + 1;
	return expires;
}

/* Delete the expired entries (keys collected first: no delete in a scan). */
static void
smtpd_scache_clean(DICT *d)
{
	ARGV	*old = argv_alloc(10);
	const char *key, *val, *hex = "";
	long	 now = (long)time(NULL);
	int	 how = DICT_SEQ_FIRST;

	while (dict_seq(d, how, &key, &val) == 0) {
		how = DICT_SEQ_NEXT;
		if (smtpd_scache_parse(val, &hex) < now)
			argv_add(old, key);
	}
	for (size_t i = 0; i < old->argc; i++)
		(void)dict_del(d, old->argv[i]);
	argv_free(old);
}

static int
smtpd_scache_get(void *arg, const char *key, VSTRING *out)
{
	DICT	*d;
	const char *val, *hex = "";
	int	 fd, found = 0;
	long	 expires;

	if ((d = smtpd_scache_open(&fd)) == NULL)
		return 0;
	if ((val = dict_get(d, key)) != NULL) {
		expires = smtpd_scache_parse(val, &hex);
		if (expires >= (long)time(NULL)) {
			vstring_strcpy(out, hex);
			found = 1;
		} else {
			(void)dict_del(d, key);
		}
	}
	smtpd_scache_close(d, fd);
	return found;
}

static void
smtpd_scache_put(void *arg, const char *key, const char *hex, long expires)
{
	VSTRING	*val = vstring_alloc(strlen(hex) + 24);
	DICT	*d;
	int	 fd;

	if ((d = smtpd_scache_open(&fd)) != NULL) {
		if (!smtpd_scache.cleaned) {
			smtpd_scache.cleaned = 1;
			smtpd_scache_clean(d);
		}
		vstring_sprintf(val, "%ld:%s", expires, hex);
		if (dict_put(d, key, vstring_str(val)) < 0)
			msg_warn("TLS session cache %s: %s", smtpd_scache.spec,
			    dict_error_text(d));
		smtpd_scache_close(d, fd);
	}
	vstring_free(val);
}

static void
smtpd_scache_del(void *arg, const char *key)
{
	DICT	*d;
	int	 fd;

	if ((d = smtpd_scache_open(&fd)) == NULL)
		return;
	(void)dict_del(d, key);
	smtpd_scache_close(d, fd);
}

static const TLS_SCACHE_OPS smtpd_scache_ops = {
	smtpd_scache_get, smtpd_scache_put, smtpd_scache_del,
};

void
smtpd_scache_conf(struct TLS_CTX *ctx, const char *db, int timeout)
{
	const char *path = strchr(db, ':');

	if (path == NULL || path[1] == 0 || (strncmp(db, "btree:", 6) != 0 &&
	    strncmp(db, "hash:", 5) != 0)) {
		msg_warn("smtpd_tls_session_cache_database: unsupported table "
		    "\"%s\" (use btree:path or hash:path): no session cache", db);
		return;
	}
	smtpd_scache.spec = mystrdup(db);
	smtpd_scache.lock = mymalloc(strlen(path + 1) + sizeof(".lock"));
	strcpy(smtpd_scache.lock, path + 1);
	strcat(smtpd_scache.lock, ".lock");
	tls_ctx_set_scache(ctx, &smtpd_scache_ops, NULL, timeout);
}
