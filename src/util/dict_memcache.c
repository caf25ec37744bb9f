/*
 * NAME
 *	dict_memcache - memcache: tables (memcached's text protocol)
 * SYNOPSIS
 *	#include <dict.h>
 *
 *	extern const DICT_OPS dict_memcache_ops;
 * DESCRIPTION
 *	"memcache:/etc/postern/cache.cf" names a file in Postfix's
 *	memcache_table(5) format (dict_cf.c syntax): memcache (the server,
 *	inet:host:port or unix:/path, default inet:localhost:11211), backup
 *	(a table behind the cache), key_format (default %s, expanded as a
 *	query with %s %u %d %1..%9), domain, ttl (3600), flags (0),
 *	data_size_limit (10240), line_size_limit (1024), timeout (2),
 *	max_try (2).
 *
 *	A lookup asks memcached with "get". When the key is not cached and a
 *	backup table is configured, the backup is asked and a value found
 *	there is stored in memcached with "set" (ttl, flags), so that the
 *	next lookup of any process is served from the cache: memcached is a
 *	shared read-through cache in front of, say, a pgsql: table. This is
 *	a client of our own for the few commands it needs (see HACKING.md);
 *	the connection is kept open and opened again after a server restart.
 *	Keys that memcached cannot take (white space, control characters,
 *	longer than 250 bytes) are not sent to it; the backup answers.
 * DIAGNOSTICS
 *	Without a backup, an unreachable or failing memcached sets
 *	DICT_ERR_RETRY. With a backup, the failure is logged and the backup
 *	answers (its own failure is the lookup's failure). A failed "set" is
 *	logged only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dict.h"
#include "dict_cf.h"
#include "dict_client.h"
#include "msg.h"
#include "mymalloc.h"

#define MEMCACHE_KEY_MAX	250

typedef struct DICT_MEMCACHE {
	DICT_CF	*cf;
	DICT_CF_COMMON common;
	DICT_CLIENT *client;
	DICT	*backup;
	const char *key_format;
	int	 ttl;
	int	 flags;
	int	 data_limit;
	int	 line_limit;
	int	 max_try;
	VSTRING	*key;
	VSTRING	*line;
	VSTRING	*data;
	VSTRING	*result;
} DICT_MEMCACHE;

static void
dict_memcache_free(DICT_MEMCACHE *mc)
{
	dict_client_free(mc->client);
	if (mc->backup)
		dict_lookup_close(mc->backup);
	dict_cf_common_close(mc->cf, &mc->common);
	vstring_free(mc->key);
	vstring_free(mc->line);
	vstring_free(mc->data);
	vstring_free(mc->result);
	myfree(mc);
}

static int
dict_memcache_open(DICT *dict, VSTRING *why)
{
	DICT_MEMCACHE *mc = mycalloc(1, sizeof(*mc));
	const char *backup;
	int	 timeout;

	mc->key = vstring_alloc(64);
	mc->line = vstring_alloc(128);
	mc->data = vstring_alloc(128);
	mc->result = vstring_alloc(128);
	if (dict_cf_common_open(dict, &mc->cf, &mc->common, why) < 0
	    || dict_cf_int(mc->cf, "ttl", 3600, 0, 30 * 86400, &mc->ttl,
	    why) < 0
	    || dict_cf_int(mc->cf, "flags", 0, 0, 65535, &mc->flags, why) < 0
	    || dict_cf_int(mc->cf, "data_size_limit", 10240, 1, 1024 * 1024,
	    &mc->data_limit, why) < 0
	    || dict_cf_int(mc->cf, "line_size_limit", 1024, 64, 65536,
	    &mc->line_limit, why) < 0
	    || dict_cf_int(mc->cf, "timeout", 2, 1, 3600, &timeout, why) < 0
	    || dict_cf_int(mc->cf, "max_try", 2, 1, 10, &mc->max_try, why) < 0
	    || (mc->client = dict_client_create(dict_cf_str(mc->cf,
	    "memcache", "inet:localhost:11211"), timeout, why)) == NULL)
		goto fail;
	mc->key_format = dict_cf_str(mc->cf, "key_format", "%s");
	if (dict_cf_expand(mc->key, mc->key_format, "u@d.e", "u@d.e", NULL,
	    NULL) < 0) {
		vstring_sprintf(why, "%s: key_format: bad %% sequence",
		    dict->name);
		goto fail;
	}
	if ((backup = dict_cf_str(mc->cf, "backup", NULL)) != NULL
	    && *backup != 0) {
		if (strncmp(backup, "memcache:", 9) == 0
		    && strcmp(backup + 9, dict->name) == 0) {
			vstring_sprintf(why, "%s: backup is this table",
			    dict->name);
			goto fail;
		}
		mc->backup = dict_lookup_open(backup);
	}
	dict->data = mc;
	return 0;
fail:
	dict_memcache_free(mc);
	return -1;
}

static int
dict_memcache_key_ok(const char *key)
{
	const unsigned char *p;

	if (*key == 0 || strlen(key) > MEMCACHE_KEY_MAX)
		return 0;
	for (p = (const unsigned char *)key; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

/*
 * "get": 1 found (mc->data), 0 not cached, -1 server failure (why).
 * One attempt per call; the caller retries.
 */
static int
dict_memcache_fetch(DICT_MEMCACHE *mc, const char *key, VSTRING *why)
{
	VSTREAM	*s;
	char	*line, *cp;
	long	 len;
	int	 found = 0;

	if ((s = dict_client_stream(mc->client, why)) == NULL) {
		vstring_sprintf(mc->line, "memcached %s: %s",
		    mc->client->endpoint, vstring_str(why));
		vstring_strcpy(why, vstring_str(mc->line));
		return -1;
	}
	vstream_fprintf(s, "get %s\r\n", key);
	if (vstream_fflush(s) != 0)
		goto lost;
	for (;;) {
		if (vstream_get_line(s, mc->line, (size_t)mc->line_limit,
		    VSTREAM_GL_CRLF) != VSTREAM_LINE_OK)
			goto lost;
		line = vstring_str(mc->line);
		if (strcmp(line, "END") == 0)
			break;
		if (strncmp(line, "VALUE ", 6) != 0
		    || (cp = strrchr(line, ' ')) == NULL) {
			vstring_sprintf(why, "memcached %s: %.100s",
			    mc->client->endpoint, line);
			dict_client_drop(mc->client);
			return -1;
		}
		len = strtol(cp + 1, NULL, 10);
		if (len < 0 || len > mc->data_limit) {
			vstring_sprintf(why, "memcached %s: value of %ld bytes "
			    "over data_size_limit", mc->client->endpoint, len);
			dict_client_drop(mc->client);
			return -1;
		}
		if (dict_client_read(s, mc->data, (size_t)len) < 0
		    || vstream_get_line(s, mc->line, 2, VSTREAM_GL_CRLF)
		    != VSTREAM_LINE_OK || vstring_len(mc->line) != 0)
			goto lost;
		found = 1;
	}
	dict_client_done(mc->client);
	return found;
lost:
	vstring_sprintf(why, "memcached %s: lost connection",
	    mc->client->endpoint);
	return -2;
}

static void
dict_memcache_store(DICT *dict, DICT_MEMCACHE *mc, const char *key,
    const char *value)
{
	VSTRING	*why = vstring_alloc(64);
	VSTREAM	*s;
	size_t	 len = strlen(value);

	if (len > (size_t)mc->data_limit
	    || (s = dict_client_stream(mc->client, why)) == NULL)
		goto out;
	vstream_fprintf(s, "set %s %d %d %zu\r\n%s\r\n", key, mc->flags,
	    mc->ttl, len, value);
	if (vstream_fflush(s) != 0 || vstream_get_line(s, mc->line,
	    (size_t)mc->line_limit, VSTREAM_GL_CRLF) != VSTREAM_LINE_OK) {
		dict_client_drop(mc->client);
		vstring_sprintf(why, "lost connection");
	} else if (strcmp(vstring_str(mc->line), "STORED") != 0)
		vstring_sprintf(why, "%.100s", vstring_str(mc->line));
	else
		dict_client_done(mc->client);
out:
	if (vstring_len(why) > 0)
		msg_warn("%s: cannot store \"%s\" in memcached %s: %s",
		    dict->spec, key, mc->client->endpoint, vstring_str(why));
	vstring_free(why);
}

static const char *
dict_memcache_get(DICT *dict, const char *key)
{
	DICT_MEMCACHE *mc = dict->data;
	VSTRING	*why = vstring_alloc(64);
	const char *value, *result = NULL;
	int	 rc = 0, try, cacheable;

	if ((rc = dict_cf_domain_ok(&mc->common, dict, key)) <= 0)
		goto out;
	if (dict_cf_expand(mc->key, mc->key_format, key, key, NULL, NULL) <= 0)
		goto out;
	cacheable = dict_memcache_key_ok(vstring_str(mc->key));
	rc = 0;
	for (try = 0; cacheable && try < mc->max_try; try++) {
		if ((rc = dict_memcache_fetch(mc, vstring_str(mc->key), why)) >= 0
		    || rc == -1)
			break;
		/* Lost connection: a restarted server; try a fresh one. */
		dict_client_drop(mc->client);
	}
	if (rc == 1) {
		vstring_strcpy(mc->result, vstring_str(mc->data));
		result = vstring_str(mc->result);
		goto out;
	}
	if (rc < 0) {
		if (mc->backup == NULL) {
			dict_set_error(dict, DICT_ERR_RETRY, "%s: %s",
			    dict->spec, vstring_str(why));
			msg_warn("%s", dict_error_text(dict));
			goto out;
		}
		msg_warn("%s: %s; asking %s", dict->spec, vstring_str(why),
		    mc->backup->spec);
	}
	if (mc->backup == NULL)
		goto out;
	if ((value = dict_get(mc->backup, key)) == NULL) {
		if (mc->backup->error)
			dict_set_error(dict, mc->backup->error, "%s",
			    dict_error_text(mc->backup));
		goto out;
	}
	vstring_strcpy(mc->result, value);
	result = vstring_str(mc->result);
	if (cacheable && rc == 0)
		dict_memcache_store(dict, mc, vstring_str(mc->key), result);
out:
	vstring_free(why);
	return result;
}

static void
dict_memcache_close(DICT *dict)
{
	dict_memcache_free(dict->data);
	dict->data = NULL;
}

const DICT_OPS dict_memcache_ops = {
	"memcache", 1, dict_memcache_open, dict_memcache_get, NULL, NULL, NULL,
	NULL, dict_memcache_close,
};
