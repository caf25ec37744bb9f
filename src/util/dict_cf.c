/*
 * NAME
 *	dict_cf - the ".cf" files of database tables, and query expansion
 * SYNOPSIS
 *	#include <dict_cf.h>
 *
 *	DICT_CF *dict_cf_open(const char *path, VSTRING *why);
 *	const char *dict_cf_str(DICT_CF *cf, const char *name, const char *def);
 *	int   dict_cf_int(DICT_CF *cf, const char *name, int def, int min,
 *		int max, int *value, VSTRING *why);
 *	int   dict_cf_bool(DICT_CF *cf, const char *name, int def, int *value,
 *		VSTRING *why);
 *	void  dict_cf_free(DICT_CF *cf);
 *
 *	int   dict_cf_expand(VSTRING *out, const char *fmt, const char *value,
 *		const char *key, DICT_CF_QUOTE quote, void *ctx);
 *
 *	int   dict_cf_common_init(DICT_CF_COMMON *c, DICT_CF *cf, VSTRING *why);
 *	int   dict_cf_common_open(DICT *dict, DICT_CF **cf, DICT_CF_COMMON *c,
 *		VSTRING *why);
 *	void  dict_cf_common_close(DICT_CF *cf, DICT_CF_COMMON *c);
 *	int   dict_cf_domain_ok(DICT_CF_COMMON *c, DICT *dict, const char *key);
 *	void  dict_cf_result_start(DICT_CF_COMMON *c);
 *	int   dict_cf_result_add(DICT_CF_COMMON *c, DICT *dict,
 *		const char *key, const char *value);
 *	const char *dict_cf_result_end(DICT_CF_COMMON *c);
 *	void  dict_cf_lookup_error(DICT *dict, const char *key,
 *		const char *reason);
 *	void  dict_cf_flatten(VSTRING *vp);
 *
 *	int   dict_cf_hosts_init(DICT_CF_HOSTS *h, DICT_CF *cf,
 *		DICT_CF_CONNECT connect, DICT_CF_DISCONNECT disconnect,
 *		void *ctx, VSTRING *why);
 *	void *dict_cf_hosts_conn(DICT_CF_HOSTS *h, DICT *dict, VSTRING *why);
 *	void  dict_cf_hosts_drop(DICT_CF_HOSTS *h);
 *	void  dict_cf_hosts_free(DICT_CF_HOSTS *h);
 * DESCRIPTION
 *	The configuration files of pgsql:, mysql:, sqlite:, ldap:, memcache:
 *	tables are read as Postfix reads them: "name = value" lines in
 *	main.cf syntax (comments, continuation lines that start with white
 *	space); the last setting of a name wins. dict_cf_str() returns the
 *	value or def; dict_cf_int() and dict_cf_bool() check the syntax and
 *	range and return -1 with a reason.
 *
 *	dict_cf_expand() expands a query or result_format template: %s is
 *	value, %u its local part (all of it when it has no "@"), %d its
 *	domain, %1..%9 the domain's labels counted from the right; %S %U %D
 *	are the same of key (in a query key and value are the same); %%
 *	is "%". Each expansion goes through quote (the engine's string
 *	quoting: SQL literals, LDAP filter escapes). It returns 1, 0 when the
 *	lookup must be suppressed as Postfix does (%d or %1..%9 of a key
 *	without a domain or with too few labels, %u of an empty local part),
 *	or -1 for a bad "%" sequence.
 *
 *	DICT_CF_COMMON holds what the types share: "domain" (a list of
 *	domain names or tables; when set, only user@domain keys with a listed
 *	domain are looked up), "result_format" (default %s) and
 *	"expansion_limit" (0: none). dict_cf_result_add() formats one value
 *	(a row, an attribute value) and appends it to the comma-separated
 *	result; over the limit it fails the lookup with DICT_ERR_RETRY, as
 *	Postfix does.
 *
 *	dict_cf_common_open() is how every type opens its ".cf" file, the one
 *	copy for pgsql:, mysql:, sqlite:, ldap: and memcache:: it watches
 *	dict->name for changes (dict_watch()), reads it into *cf and fills c
 *	with dict_cf_common_init(); it returns 0, or -1 with the reason
 *	(what was made so far stays in *cf and c for the caller's cleanup).
 *	dict_cf_common_close() frees both (either may be empty: a null cf,
 *	a zeroed c).
 *
 *	dict_cf_lookup_error() is how a server type fails a lookup: the
 *	table's error becomes DICT_ERR_RETRY with "type:name: reason", and
 *	the warning "type:name lookup error for "key": reason" is logged.
 *
 *	dict_cf_flatten() turns the control characters of a server's error
 *	message (libpq's are several lines) into spaces, for one log line.
 *
 *	DICT_CF_HOSTS is the connection of a server type (pgsql, mysql):
 *	dict_cf_hosts_init() reads "hosts" (default localhost),
 *	"idle_interval" (60 s) and "retry_interval" (60 s) and keeps the
 *	engine's connect and disconnect functions; no connection is made.
 *	dict_cf_hosts_conn() returns the open connection, or opens one: the
 *	hosts are tried in order, each process starting at its own one
 *	(pid modulo the count) so that clients spread their connections; a
 *	host that cannot be reached is logged (warning "type:name: reason")
 *	and skipped for retry_interval seconds. A connection idle longer
 *	than idle_interval (last_used, which the caller sets when it uses
 *	the connection) is closed and opened afresh. The caller drops a
 *	connection that broke with dict_cf_hosts_drop() and asks again.
 *	current is the index in hosts of the connected one, for messages.
 * DIAGNOSTICS
 *	dict_cf_open() fails with file:line for a line that is not
 *	"name = value". dict_cf_domain_ok() returns -1 with the dict's error
 *	set when a domain table fails. dict_cf_hosts_conn() returns null
 *	with the last host's reason in why, or "no host available
 *	(retry_interval)" when every host is being skipped.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "dict_cf.h"
#include "dict_file.h"
#include "msg.h"
#include "mymalloc.h"
#include "sock_addr.h"

DICT_CF *
dict_cf_open(const char *path, VSTRING *why)
{
	DICT_FILE *df;
	DICT_CF	*cf;
	VSTRING	*line;
	char	*name, *eq, *value, *end;
	int	 rc, lineno;
	HTABLE_INFO *ht;

	if ((df = dict_file_open(path, why)) == NULL)
		return NULL;
	cf = mycalloc(1, sizeof(*cf));
	cf->path = mystrdup(path);
	cf->params = htable_create(32);
	line = vstring_alloc(128);
	while ((rc = dict_file_read(df, line, &lineno, why)) > 0) {
		name = vstring_str(line);
		if ((eq = strchr(name, '=')) == NULL) {
			vstring_sprintf(why, "%s:%d: expected \"name = value\"",
			    path, lineno);
			rc = -1;
			break;
		}
		value = eq + 1;
		for (end = eq; end > name && isspace((unsigned char)end[-1]);)
			end--;
		*end = 0;
		while (isspace((unsigned char)*value))
			value++;
		if (*name == 0 || strspn(name, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(name)) {
			vstring_sprintf(why, "%s:%d: bad parameter name", path,
			    lineno);
			rc = -1;
			break;
		}
		if ((ht = htable_locate(cf->params, name)) != NULL) {
			myfree(ht->value);
			ht->value = mystrdup(value);
		} else
			htable_enter(cf->params, name, mystrdup(value));
	}
	vstring_free(line);
	dict_file_close(df);
	if (rc < 0) {
		dict_cf_free(cf);
		return NULL;
	}
	return cf;
}

static void
dict_cf_free_value(void *p)
{
	myfree(p);
}

void
dict_cf_free(DICT_CF *cf)
{
	if (cf == NULL)
		return;
	htable_free(cf->params, dict_cf_free_value);
	myfree(cf->path);
	myfree(cf);
}

const char *
dict_cf_str(DICT_CF *cf, const char *name, const char *def)
{
	const char *v = htable_find(cf->params, name);

	return v ? v : def;
}

int
dict_cf_int(DICT_CF *cf, const char *name, int def, int min, int max,
    int *value, VSTRING *why)
{
	const char *v = htable_find(cf->params, name);
	char	*end;
	long	 n;

	if (v == NULL || *v == 0) {
		*value = def;
		return 0;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	/* Postfix accepts a time unit on timeouts: 10s. */
	if (*end == 's' && end[1] == 0)
		end++;
	if (errno || *end || n < min || n > max) {
		vstring_sprintf(why, "%s: %s = %s: need a number %d..%d",
		    cf->path, name, v, min, max);
		return -1;
	}
	*value = (int)n;
	return 0;
}

int
dict_cf_bool(DICT_CF *cf, const char *name, int def, int *value, VSTRING *why)
{
	const char *v = htable_find(cf->params, name);

	if (v == NULL || *v == 0)
		*value = def;
	else if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0
	    || strcmp(v, "1") == 0)
		*value = 1;
	else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0
	    || strcmp(v, "0") == 0)
		*value = 0;
	else {
		vstring_sprintf(why, "%s: %s = %s: need yes or no", cf->path,
		    name, v);
		return -1;
	}
	return 0;
}

void
dict_cf_quote_none(VSTRING *out, const char *s, void *ctx)
{
	vstring_strcat(out, s);
}

/* Standard SQL string literal body: ' doubled (sqlite). */
void
dict_cf_quote_sql(VSTRING *out, const char *s, void *ctx)
{
	for (; *s; s++) {
		if (*s == '\'')
			vstring_addch(out, '\'');
		vstring_addch(out, *s);
	}
}

/* RFC 4515 filter value escapes. */
void
dict_cf_quote_ldap(VSTRING *out, const char *s, void *ctx)
{
	unsigned char c;

	for (; *s; s++) {
		c = (unsigned char)*s;
		if (c == '*' || c == '(' || c == ')' || c == '\\' || c < 0x20
		    || c == 0x7f)
			vstring_sprintf_append(out, "\\%02x", c);
		else
			vstring_addch(out, (char)c);
	}
}

/* Append quoted part [s, s+len). */
static void
dict_cf_put(VSTRING *out, const char *s, size_t len, DICT_CF_QUOTE quote,
    void *ctx, VSTRING *tmp)
{
	vstring_memcpy(tmp, s, len);
	quote(out, vstring_str(tmp), ctx);
}

/* One %x of text; 1 done, 0 suppress, -1 bad. */
static int
dict_cf_one(VSTRING *out, int c, const char *text, DICT_CF_QUOTE quote,
    void *ctx, VSTRING *tmp)
{
	const char *at = strrchr(text, '@');
	const char *dom, *p, *end;
	int	 n;

	switch (c) {
	case 's':
		dict_cf_put(out, text, strlen(text), quote, ctx, tmp);
		return 1;
	case 'u':
		if (at == NULL) {
			dict_cf_put(out, text, strlen(text), quote, ctx, tmp);
			return 1;
		}
		if (at == text)
			return 0;
		dict_cf_put(out, text, (size_t)(at - text), quote, ctx, tmp);
		return 1;
	case 'd':
		if (at == NULL || at[1] == 0)
			return 0;
		dict_cf_put(out, at + 1, strlen(at + 1), quote, ctx, tmp);
		return 1;
	}
	if (c < '1' || c > '9')
		return -1;
	if (at == NULL || at[1] == 0)
		return 0;
	/* The n-th label from the right of the domain. */
	dom = at + 1;
	end = dom + strlen(dom);
	for (n = c - '0';; n--) {
		for (p = end; p > dom && p[-1] != '.'; p--)
			;
		if (n == 1) {
			if (p == end)
				return 0;
			dict_cf_put(out, p, (size_t)(end - p), quote, ctx, tmp);
			return 1;
		}
		if (p == dom)
			return 0;
		end = p - 1;
	}
}

int
dict_cf_expand(VSTRING *out, const char *fmt, const char *value,
    const char *key, DICT_CF_QUOTE quote, void *ctx)
{
	VSTRING	*tmp = vstring_alloc(64);
	const char *cp;
	int	 rc = 1, c;

	if (quote == NULL)
		quote = dict_cf_quote_none;
	vstring_reset(out);
	for (cp = fmt; *cp && rc > 0; cp++) {
		if (*cp != '%') {
			vstring_addch(out, *cp);
			continue;
		}
		c = *++cp;
		if (c == '%') {
			vstring_addch(out, '%');
		} else if (c == 'S' || c == 'U' || c == 'D') {
			rc = dict_cf_one(out, tolower(c), key, quote, ctx, tmp);
		} else if (c == 0) {
			rc = -1;
			break;
		} else
			rc = dict_cf_one(out, c, value, quote, ctx, tmp);
	}
	vstring_free(tmp);
	return rc;
}

int
dict_cf_common_init(DICT_CF_COMMON *c, DICT_CF *cf, VSTRING *why)
{
	const char *v;
	ARGV	*words;
	size_t	 i;

	memset(c, 0, sizeof(*c));
	c->result_format = mystrdup(dict_cf_str(cf, "result_format",
	    dict_cf_str(cf, "result_filter", "%s")));
	if (dict_cf_int(cf, "expansion_limit", 0, 0, INT_MAX,
	    &c->expansion_limit, why) < 0)
		return -1;
	c->result = vstring_alloc(128);
	c->scratch = vstring_alloc(128);
	if (dict_cf_expand(c->scratch, c->result_format, "u@d.e", "u@d.e",
	    NULL, NULL) < 0) {
		vstring_sprintf(why, "%s: result_format: bad %% sequence in "
		    "\"%s\"", cf->path, c->result_format);
		return -1;
	}
	if ((v = dict_cf_str(cf, "domain", NULL)) == NULL || *v == 0)
		return 0;
	words = argv_split(v, ", \t\r\n");
	c->domains = argv_alloc(4);
	for (i = 0; i < words->argc; i++) {
		if (strchr(words->argv[i], ':') != NULL) {
			c->domain_dicts = myrealloc(c->domain_dicts,
			    (c->ndomain_dicts + 1) * sizeof(DICT *));
			c->domain_dicts[c->ndomain_dicts++] =
			    dict_lookup_open(words->argv[i]);
		} else {
			vstring_strcpy(c->scratch, words->argv[i]);
			vstring_lower(c->scratch);
			argv_add(c->domains, vstring_str(c->scratch));
		}
	}
	argv_free(words);
	return 0;
}

void
dict_cf_common_free(DICT_CF_COMMON *c)
{
	int	 i;

	myfree(c->result_format);
	if (c->domains)
		argv_free(c->domains);
	for (i = 0; i < c->ndomain_dicts; i++)
		dict_lookup_close(c->domain_dicts[i]);
	myfree(c->domain_dicts);
	if (c->result)
		vstring_free(c->result);
	if (c->scratch)
		vstring_free(c->scratch);
	memset(c, 0, sizeof(*c));
}

int
dict_cf_common_open(DICT *dict, DICT_CF **cf, DICT_CF_COMMON *c,
    VSTRING *why)
{
	if (dict_watch(dict, dict->name, why) < 0
	    || (*cf = dict_cf_open(dict->name, why)) == NULL
	    || dict_cf_common_init(c, *cf, why) < 0)
		return -1;
	return 0;
}

void
dict_cf_common_close(DICT_CF *cf, DICT_CF_COMMON *c)
{
	dict_cf_common_free(c);
	dict_cf_free(cf);
}

int
dict_cf_domain_ok(DICT_CF_COMMON *c, DICT *dict, const char *key)
{
	const char *at;
	size_t	 i;
	int	 j;

	if (c->domains == NULL)
		return 1;
	if ((at = strrchr(key, '@')) == NULL || at[1] == 0)
		return 0;
	vstring_strcpy(c->scratch, at + 1);
	vstring_lower(c->scratch);
	for (i = 0; i < c->domains->argc; i++)
		if (strcmp(c->domains->argv[i], vstring_str(c->scratch)) == 0)
			return 1;
	for (j = 0; j < c->ndomain_dicts; j++) {
		if (dict_get(c->domain_dicts[j], vstring_str(c->scratch)))
			return 1;
		if (c->domain_dicts[j]->error) {
			dict_set_error(dict, c->domain_dicts[j]->error,
			    "%s: domain table %s: %s", dict->spec,
			    c->domain_dicts[j]->spec,
			    dict_error_text(c->domain_dicts[j]));
			return -1;
		}
	}
	return 0;
}

void
dict_cf_result_start(DICT_CF_COMMON *c)
{
	vstring_reset(c->result);
	c->count = 0;
}

int
dict_cf_result_add(DICT_CF_COMMON *c, DICT *dict, const char *key,
    const char *value)
{
	if (value == NULL || *value == 0)
		return 0;
	if (dict_cf_expand(c->scratch, c->result_format, value, key, NULL,
	    NULL) <= 0)
		return 0;
	if (c->expansion_limit > 0 && c->count >= c->expansion_limit) {
		msg_warn("%s: expansion limit %d exceeded for key \"%s\"",
		    dict->spec, c->expansion_limit, key);
		dict_set_error(dict, DICT_ERR_RETRY, "%s: expansion limit "
		    "exceeded", dict->spec);
		return -1;
	}
	if (c->count++ > 0)
		vstring_addch(c->result, ',');
	vstring_strcat(c->result, vstring_str(c->scratch));
	return 0;
}

const char *
dict_cf_result_end(DICT_CF_COMMON *c)
{
	return c->count > 0 ? vstring_str(c->result) : NULL;
}

int
dict_cf_host(const char *spec, VSTRING *host, int *port, int *is_unix)
{
	VSTRING	*pbuf;
	char	*end;
	long	 n;
	int	 ret = -1;

	*is_unix = 0;
	*port = 0;
	if (strncmp(spec, "unix:", 5) == 0) {
		*is_unix = 1;
		vstring_strcpy(host, spec + 5);
		return *vstring_str(host) == '/' ? 0 : -1;
	}
	if (strncmp(spec, "inet:", 5) == 0)
		spec += 5;
	if (*spec == '/') {
		*is_unix = 1;
		vstring_strcpy(host, spec);
		return 0;
	}
	pbuf = vstring_alloc(8);
	if (sock_addr_split(spec, host, pbuf, NULL, NULL) < 0)
		goto out;
	if (vstring_len(pbuf) > 0) {
		errno = 0;
		n = strtol(vstring_str(pbuf), &end, 10);
		if (errno || *end || n <= 0 || n > 65535)
			goto out;
		*port = (int)n;
	}
	ret = 0;
out:
	vstring_free(pbuf);
	return ret;
}

/*
 * The query template: "query", or the old-style table, select_field,
 * where_field and additional_conditions that Postfix still accepts.
 * Null with a reason when neither is there or a % sequence is bad.
 */
const char *
dict_cf_query(DICT_CF *cf, VSTRING *buf, VSTRING *why)
{
	const char *q = dict_cf_str(cf, "query", NULL);
	const char *table, *sel, *where;
	VSTRING	*tmp;
	int	 rc;

	if (q != NULL && *q != 0) {
		vstring_strcpy(buf, q);
	} else {
		table = dict_cf_str(cf, "table", NULL);
		sel = dict_cf_str(cf, "select_field", NULL);
		where = dict_cf_str(cf, "where_field", NULL);
		if (table == NULL || sel == NULL || where == NULL) {
			vstring_sprintf(why, "%s: no query (or table, "
			    "select_field and where_field)", cf->path);
			return NULL;
		}
		vstring_sprintf(buf, "SELECT %s FROM %s WHERE %s='%%s' %s",
		    sel, table, where,
		    dict_cf_str(cf, "additional_conditions", ""));
	}
	tmp = vstring_alloc(64);
	rc = dict_cf_expand(tmp, vstring_str(buf), "u@d.e", "u@d.e", NULL,
	    NULL);
	vstring_free(tmp);
	if (rc < 0) {
		vstring_sprintf(why, "%s: query: bad %% sequence", cf->path);
		return NULL;
	}
	return vstring_str(buf);
}

void
dict_cf_lookup_error(DICT *dict, const char *key, const char *reason)
{
	dict_set_error(dict, DICT_ERR_RETRY, "%s: %s", dict->spec, reason);
	msg_warn("%s lookup error for \"%s\": %s", dict->spec, key, reason);
}

/* Server messages in one log line: control characters become spaces. */
void
dict_cf_flatten(VSTRING *vp)
{
	char	*cp;

	for (cp = vstring_str(vp); *cp; cp++)
		if ((unsigned char)*cp < 0x20 || *cp == 0x7f)
			*cp = ' ';
	vstring_trim(vp);
}

int
dict_cf_hosts_init(DICT_CF_HOSTS *h, DICT_CF *cf, DICT_CF_CONNECT connect,
    DICT_CF_DISCONNECT disconnect, void *ctx, VSTRING *why)
{
	memset(h, 0, sizeof(*h));
	h->current = -1;
	h->connect = connect;
	h->disconnect = disconnect;
	h->ctx = ctx;
	if (dict_cf_int(cf, "idle_interval", 60, 1, 86400, &h->idle_interval,
	    why) < 0 || dict_cf_int(cf, "retry_interval", 60, 0, 86400,
	    &h->retry_interval, why) < 0)
		return -1;
	h->hosts = argv_split(dict_cf_str(cf, "hosts", "localhost"),
	    ", \t\r\n");
	if (h->hosts->argc == 0)
		argv_add(h->hosts, "localhost");
	h->dead_until = mycalloc(h->hosts->argc, sizeof(time_t));
	return 0;
}

void *
dict_cf_hosts_conn(DICT_CF_HOSTS *h, DICT *dict, VSTRING *why)
{
	time_t	 now = time(NULL);
	int	 i, k, n = (int)h->hosts->argc, start;

	if (h->conn && now - h->last_used > h->idle_interval)
		dict_cf_hosts_drop(h);
	if (h->conn)
		return h->conn;
	vstring_sprintf(why, "no host available (retry_interval)");
	start = n > 1 ? (int)(getpid() % n) : 0;
	for (k = 0; k < n; k++) {
		i = (start + k) % n;
		if (h->dead_until[i] > now)
			continue;
		if ((h->conn = h->connect(h->ctx, h->hosts->argv[i])) != NULL) {
			h->current = i;
			h->dead_until[i] = 0;
			return h->conn;
		}
		msg_warn("%s: %s", dict->spec, vstring_str(why));
		h->dead_until[i] = now + h->retry_interval;
	}
	return NULL;
}

void
dict_cf_hosts_drop(DICT_CF_HOSTS *h)
{
	if (h->conn)
		h->disconnect(h->conn);
	h->conn = NULL;
}

void
dict_cf_hosts_free(DICT_CF_HOSTS *h)
{
	dict_cf_hosts_drop(h);
	if (h->hosts)
		argv_free(h->hosts);
	h->hosts = NULL;
	myfree(h->dead_until);
	h->dead_until = NULL;
}
