/*
 * dict_cf_test - unit tests of the .cf parser, query expansion and quoting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dict_cf.h"
#include "msg.h"
#include "mymalloc.h"
#include "ptest.h"

static VSTRING *out;

static const char *
ex(const char *fmt, const char *value, const char *key, DICT_CF_QUOTE q,
    int want)
{
	int	 rc = dict_cf_expand(out, fmt, value, key, q, NULL);

	if (rc != want)
		return "(wrong rc)";
	return vstring_str(out);
}

PTEST(expand_basic)
{
	PT_STREQ(ex("%s", "User@Example.com", "k", NULL, 1), "User@Example.com");
	PT_STREQ(ex("u=%u d=%d", "joe@mail.example.com", "k", NULL, 1),
	    "u=joe d=mail.example.com");
	PT_STREQ(ex("%1.%2.%3", "joe@mail.example.com", "k", NULL, 1),
	    "com.example.mail");
	PT_STREQ(ex("%u", "joe", "k", NULL, 1), "joe");
	PT_STREQ(ex("100%%", "x", "k", NULL, 1), "100%");
	PT_STREQ(ex("%s/%S/%U/%D", "v@a.b", "k@c.d", NULL, 1), "v@a.b/k@c.d/k/c.d");
}

PTEST(expand_suppress)
{
	ex("%d", "joe", "joe", NULL, 0);
	PT_INTEQ(dict_cf_expand(out, "%d", "joe", "joe", NULL, NULL), 0);
	PT_INTEQ(dict_cf_expand(out, "%u", "@example.com", "x", NULL, NULL), 0);
	PT_INTEQ(dict_cf_expand(out, "%4", "a@b.c.d", "x", NULL, NULL), 0);
	PT_INTEQ(dict_cf_expand(out, "%3", "a@b.c.d", "x", NULL, NULL), 1);
	PT_INTEQ(dict_cf_expand(out, "%x", "a", "a", NULL, NULL), -1);
	PT_INTEQ(dict_cf_expand(out, "abc%", "a", "a", NULL, NULL), -1);
}

PTEST(quote)
{
	PT_STREQ(ex("'%s'", "x'; DROP TABLE t; --", "k", dict_cf_quote_sql, 1),
	    "'x''; DROP TABLE t; --'");
	PT_STREQ(ex("(mail=%s)", "*)(uid=*", "k", dict_cf_quote_ldap, 1),
	    "(mail=\\2a\\29\\28uid=\\2a)");
	PT_STREQ(ex("%u", "a\\b@x", "k", dict_cf_quote_ldap, 1), "a\\5cb");
}

PTEST(cf_file)
{
	char	 path[] = "/tmp/dict_cf_testXXXXXX";
	int	 fd = mkstemp(path);
	VSTRING	*why = vstring_alloc(64);
	DICT_CF	*cf;
	int	 n;
	const char *text = "# comment\nhosts = a b\n  c\nquery = SELECT x\n"
	    "  FROM t WHERE k='%s'\nexpansion_limit = 3\nhosts = last\n";

	PT_ASSERT(fd >= 0);
	PT_ASSERT(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	cf = dict_cf_open(path, why);
	unlink(path);
	PT_ASSERT(cf != NULL);
	PT_STREQ(dict_cf_str(cf, "hosts", ""), "last");
	PT_ASSERT(strncmp(dict_cf_str(cf, "query", ""), "SELECT x", 8) == 0);
	PT_ASSERT(strstr(dict_cf_str(cf, "query", ""), "FROM t WHERE k='%s'") != NULL);
	PT_INTEQ(dict_cf_int(cf, "expansion_limit", 0, 0, 10, &n, why), 0);
	PT_INTEQ(n, 3);
	PT_INTEQ(dict_cf_int(cf, "hosts", 0, 0, 10, &n, why), -1);
	PT_STREQ(dict_cf_str(cf, "missing", "def"), "def");
	dict_cf_free(cf);
	vstring_free(why);
}

PTEST(result_join)
{
	DICT	 dict;
	DICT_CF_COMMON c;
	DICT_CF	 cf;
	VSTRING	*why = vstring_alloc(16);

	memset(&dict, 0, sizeof(dict));
	dict.spec = "test:x";
	dict.why = vstring_alloc(16);
	cf.path = "x";
	cf.params = htable_create(4);
	htable_enter(cf.params, "result_format", mystrdup("smtp:[%s]"));
	htable_enter(cf.params, "expansion_limit", mystrdup("2"));
	PT_INTEQ(dict_cf_common_init(&c, &cf, why), 0);
	dict_cf_result_start(&c);
	PT_ASSERT(dict_cf_result_end(&c) == NULL);
	PT_INTEQ(dict_cf_result_add(&c, &dict, "k", "a"), 0);
	PT_INTEQ(dict_cf_result_add(&c, &dict, "k", ""), 0);
	PT_INTEQ(dict_cf_result_add(&c, &dict, "k", "b"), 0);
	PT_STREQ(dict_cf_result_end(&c), "smtp:[a],smtp:[b]");
	PT_INTEQ(dict_cf_result_add(&c, &dict, "k", "c"), -1);
	PT_INTEQ(dict.error, DICT_ERR_RETRY);
	dict_cf_common_free(&c);
	vstring_free(dict.why);
	vstring_free(why);
}

PTEST(host_parse)
{
	VSTRING	*h = vstring_alloc(16);
	int	 port, un;

	PT_INTEQ(dict_cf_host("inet:db1:5432", h, &port, &un), 0);
	PT_STREQ(vstring_str(h), "db1");
	PT_INTEQ(port, 5432);
	PT_INTEQ(dict_cf_host("unix:/run/pg", h, &port, &un), 0);
	PT_INTEQ(un, 1);
	PT_INTEQ(dict_cf_host("[::1]:11211", h, &port, &un), 0);
	PT_STREQ(vstring_str(h), "::1");
	PT_INTEQ(dict_cf_host("db:99999", h, &port, &un), -1);
	PT_INTEQ(dict_cf_host("localhost", h, &port, &un), 0);
	PT_INTEQ(port, 0);
	vstring_free(h);
}

/* A .cf file with text; null when it does not parse. */
static DICT_CF *
cf_text(const char *text)
{
	char	 path[] = "/tmp/dict_cf_testXXXXXX";
	int	 fd = mkstemp(path);
	VSTRING	*why = vstring_alloc(64);
	DICT_CF	*cf;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return NULL;
	close(fd);
	cf = dict_cf_open(path, why);
	unlink(path);
	vstring_free(why);
	return cf;
}

/* A fake server engine: the hosts named in up answer. */
typedef struct FAKE {
	const char *up;
	VSTRING	*why;
	int	 connects, disconnects;
} FAKE;

static void *
fake_connect(void *ctx, const char *host)
{
	FAKE	*f = ctx;

	f->connects++;
	if (strstr(f->up, host) == NULL) {
		vstring_sprintf(f->why, "connect to %s: refused", host);
		return NULL;
	}
	return mystrdup(host);
}

static void
fake_disconnect(void *conn)
{
	myfree(conn);
}

PTEST(hosts)
{
	VSTRING	*why = vstring_alloc(64);
	FAKE	 f = {"", why, 0, 0};
	DICT_CF_HOSTS h;
	DICT_CF	*cf;
	DICT	*dict = dict_open("static:x", 0, why);
	char	*conn;

	/* Every host down: each tried once, then skipped for retry_interval. */
	PT_ASSERT((cf = cf_text("hosts = a, b c\n")) != NULL);
	PT_INTEQ(dict_cf_hosts_init(&h, cf, fake_connect, fake_disconnect, &f,
	    why), 0);
	PT_INTEQ(h.hosts->argc, 3);
	PT_INTEQ(h.idle_interval, 60);
	PT_INTEQ(h.retry_interval, 60);
	PT_ASSERT(dict_cf_hosts_conn(&h, dict, why) == NULL);
	PT_INTEQ(f.connects, 3);
	PT_ASSERT(strncmp(vstring_str(why), "connect to ", 11) == 0);
	PT_ASSERT(dict_cf_hosts_conn(&h, dict, why) == NULL);
	PT_INTEQ(f.connects, 3);
	PT_STREQ(vstring_str(why), "no host available (retry_interval)");

	/* One comes back after retry_interval: it is used, and kept. */
	f.up = "b";
	h.dead_until[0] = h.dead_until[1] = h.dead_until[2] = 0;
	PT_ASSERT((conn = dict_cf_hosts_conn(&h, dict, why)) != NULL);
	PT_STREQ(conn, "b");
	PT_INTEQ(h.current, 1);
	h.last_used = time(NULL);
	f.connects = 0;
	PT_ASSERT(dict_cf_hosts_conn(&h, dict, why) == conn);
	PT_INTEQ(f.connects, 0);

	/* Idle too long, or dropped: opened afresh. */
	h.last_used = time(NULL) - 61;
	PT_ASSERT((conn = dict_cf_hosts_conn(&h, dict, why)) != NULL);
	PT_INTEQ(f.connects, 1);
	h.last_used = time(NULL);
	dict_cf_hosts_drop(&h);
	PT_ASSERT(h.conn == NULL);
	PT_ASSERT(dict_cf_hosts_conn(&h, dict, why) != NULL);
	PT_INTEQ(f.connects, 2);
	dict_cf_hosts_free(&h);
	PT_ASSERT(h.conn == NULL && h.hosts == NULL);
	dict_cf_free(cf);

	/* retry_interval 0: a failed host is tried again at once. */
	PT_ASSERT((cf = cf_text("retry_interval = 0\n")) != NULL);
	f.up = "";
	f.connects = 0;
	PT_INTEQ(dict_cf_hosts_init(&h, cf, fake_connect, fake_disconnect, &f,
	    why), 0);
	PT_STREQ(h.hosts->argv[0], "localhost");
	PT_ASSERT(dict_cf_hosts_conn(&h, dict, why) == NULL);
	PT_ASSERT(dict_cf_hosts_conn(&h, dict, why) == NULL);
	PT_INTEQ(f.connects, 2);
	dict_cf_hosts_free(&h);
	dict_cf_free(cf);

	PT_ASSERT((cf = cf_text("idle_interval = 0\n")) != NULL);
	PT_INTEQ(dict_cf_hosts_init(&h, cf, fake_connect, fake_disconnect, &f,
	    why), -1);
	dict_cf_hosts_free(&h);
	dict_cf_free(cf);
	dict_close(dict);
	vstring_free(why);
}

int
main(void)
{
	out = vstring_alloc(64);
	PT_RUN(expand_basic);
	PT_RUN(expand_suppress);
	PT_RUN(quote);
	PT_RUN(cf_file);
	PT_RUN(result_join);
	PT_RUN(host_parse);
	PT_RUN(hosts);
	return PT_DONE();
}
