/*
 * NAME
 *	dict_test - unit tests for the lookup tables
 * SYNOPSIS
 *	dict_test
 * DESCRIPTION
 *	Every table type through the generic interface: substitution and
 *	if/endif in pcre: and regexp:, cidr: for IPv4 and IPv6, building
 *	and reading hash:/btree:, reopen after a change on disk, the cache
 *	and its surrogates, and hostile input (huge keys, bad patterns with
 *	file:line, missing files). Files live in a private temporary
 *	directory that is removed at the end.
 * DIAGNOSTICS
 *	ptest output; exit status 1 when a test fails.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dict.h"
#include "dict_file.h"
#include "dict_build.h"
#include "msg.h"
#include "mymalloc.h"
#include "ptest.h"

static char tmpdir[] = "/tmp/dict_test.XXXXXX";
static char path[512];
static VSTRING *why;

static const char *
tpath(const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

/* Write a file atomically (new inode) so a reopen is always noticed. */
static void
twrite(const char *name, const char *text)
{
	char	 tmp[600];
	FILE	*fp;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", tmpdir, name);
	if ((fp = fopen(tmp, "w")) == NULL || fputs(text, fp) < 0
	    || fclose(fp) != 0 || rename(tmp, tpath(name)) != 0)
		msg_fatal("write %s: %m", tmp);
}

static DICT *
topen(const char *type, const char *name, int flags)
{
	char	 spec[600];

	snprintf(spec, sizeof(spec), "%s:%s", type, tpath(name));
	return dict_open(spec, flags, why);
}

/* Look up; "ERR" for an error, "(none)" for not found. */
static const char *
tget(DICT *d, const char *key)
{
	const char *v = dict_get(d, key);

	if (v != NULL)
		return v;
	return d->error ? "ERR" : "(none)";
}

static void
tcleanup(void)
{
	struct dirent *de;
	DIR	*dir;

	if ((dir = opendir(tmpdir)) == NULL)
		return;
	while ((de = readdir(dir)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			(void)unlink(tpath(de->d_name));
	closedir(dir);
	if (rmdir(tmpdir) < 0)
		msg_warn("rmdir %s: %m", tmpdir);
}

PTEST(static_table)
{
	DICT	*d;

	PT_ASSERT((d = dict_open("static:relay", 0, why)) != NULL);
	PT_STREQ(tget(d, "anything"), "relay");
	dict_close(d);
	PT_ASSERT((d = dict_open("static:{ 550 go away }", 0, why)) != NULL);
	PT_STREQ(tget(d, "x"), "550 go away");
	dict_close(d);
	PT_ASSERT(dict_open("static:{oops", 0, why) == NULL);
}

PTEST(inline_table)
{
	DICT	*d;
	const char *k, *v;

	d = dict_open("inline:{ Foo=bar, a=b,{ long key = value, with comma } }",
	    DICT_FLAG_FOLD_KEY, why);
	PT_ASSERT(d != NULL);
	PT_STREQ(tget(d, "foo"), "bar");
	PT_STREQ(tget(d, "FOO"), "bar");
	PT_STREQ(tget(d, "long key"), "value, with comma");
	PT_STREQ(tget(d, "nope"), "(none)");
	PT_INTEQ(dict_seq(d, DICT_SEQ_FIRST, &k, &v), 0);
	PT_STREQ(k, "a");
	PT_INTEQ(dict_seq(d, DICT_SEQ_NEXT, &k, &v), 0);
	PT_STREQ(k, "foo");
	PT_INTEQ(dict_seq(d, DICT_SEQ_NEXT, &k, &v), 0);
	PT_INTEQ(dict_seq(d, DICT_SEQ_NEXT, &k, &v), 1);
	dict_close(d);
	PT_ASSERT(dict_open("inline:{ novalue }", 0, why) == NULL);
	PT_ASSERT(strstr(vstring_str(why), "missing \"=\"") != NULL);
	PT_ASSERT(dict_open("inline:{ {a=b }", 0, why) == NULL);
	PT_ASSERT(dict_open("inline:a=b", 0, why) == NULL);
	PT_ASSERT((d = dict_open("inline:{}", 0, why)) != NULL);
	dict_close(d);
}

PTEST(spec_errors)
{
	PT_ASSERT(dict_open("nosuchtype:/x", 0, why) == NULL);
	PT_ASSERT(strstr(vstring_str(why), "unsupported type") != NULL);
	PT_ASSERT(dict_open("no-colon", 0, why) == NULL);
	PT_ASSERT(dict_open(":x", 0, why) == NULL);
	PT_ASSERT(dict_open("pcre:/nonexistent/file", 0, why) == NULL);
	PT_ASSERT(strstr(vstring_str(why), "/nonexistent/file") != NULL);
	PT_ASSERT(dict_open("hash:/nonexistent/file", 0, why) == NULL);
	PT_ASSERT(dict_open("pcre:/x", DICT_FLAG_RDWR, why) == NULL);
}

PTEST(texthash_table)
{
	DICT	*d;

	twrite("th", "# comment\nKey1 value one\n\n  # indented comment\n"
	    "key2 first\n  continued\nkey1 duplicate\nbare\n");
	PT_ASSERT((d = topen("texthash", "th", DICT_FLAG_FOLD_KEY)) != NULL);
	PT_STREQ(tget(d, "KEY1"), "value one");
	PT_STREQ(tget(d, "key2"), "first  continued");
	PT_STREQ(tget(d, "bare"), "(none)");
	PT_STREQ(tget(d, "key3"), "(none)");
	twrite("th", "key3 new\n");
	d->checked = 0;
	PT_STREQ(tget(d, "key3"), "new");
	PT_STREQ(tget(d, "key1"), "(none)");
	/* Leading continuation (logged, read as a line), CRLF, no final LF. */
	twrite("th", "  lead  x \r\nmulti a\r\n\tb\r\n# c\r\n\tc\r\nlast z");
	d->checked = 0;
	PT_STREQ(tget(d, "lead"), "x");
	PT_STREQ(tget(d, "multi"), "a\tb\tc");
	PT_STREQ(tget(d, "last"), "z");
	dict_close(d);
}

static void
build_db(const char *type, const char *name, const char *const *kv)
{
	DICT	*d;

	d = topen(type, name, DICT_FLAG_FOLD_KEY | DICT_FLAG_RDWR |
	    DICT_FLAG_CREATE | DICT_FLAG_TRUNC | DICT_FLAG_DUP_IGNORE);
	if (d == NULL)
		msg_fatal("%s", vstring_str(why));
	for (; *kv != NULL; kv += 2) {
		d->checked = 0;		/* a writer must never reopen itself */
		if (dict_put(d, kv[0], kv[1]) < 0 || dict_sync(d) < 0)
			msg_fatal("put: %s", dict_error_text(d));
	}
	if (dict_sync(d) < 0)
		msg_fatal("sync: %s", dict_error_text(d));
	dict_close(d);
}

static void
db_roundtrip(const char *type)
{
	static const char *const v1[] = {"Example.COM", "OK", "a@b", "REJECT",
	    NULL};
	static const char *const v2[] = {"example.com", "DEFER", NULL};
	char	 tmpname[100], dbname[100], final[600], built[600];
	const char *k, *v;
	DICT	*d, *w;
	int	 n = 0;

	snprintf(dbname, sizeof(dbname), "%s_t", type);
	build_db(type, dbname, v1);
	if ((d = topen(type, dbname, DICT_FLAG_FOLD_KEY)) == NULL)
		PT_FAILED("open: %s", vstring_str(why));
	PT_STREQ(tget(d, "EXAMPLE.com"), "OK");
	PT_STREQ(tget(d, "a@b"), "REJECT");
	PT_STREQ(tget(d, "c@d"), "(none)");
	PT_INTEQ(dict_put(d, "x", "y"), -1);	/* read-only open */
	for (int rc = dict_seq(d, DICT_SEQ_FIRST, &k, &v); rc == 0;
	    rc = dict_seq(d, DICT_SEQ_NEXT, &k, &v))
		n++;
	PT_INTEQ(n, 2);

	/* Rebuild under another name and rename into place. */
	snprintf(tmpname, sizeof(tmpname), "%s_new", type);
	build_db(type, tmpname, v2);
	snprintf(final, sizeof(final), "%s/%s.db", tmpdir, dbname);
	snprintf(built, sizeof(built), "%s.db", tpath(tmpname));
	PT_ASSERT(rename(built, final) == 0);
	d->checked = 0;
	PT_STREQ(tget(d, "example.com"), "DEFER");
	PT_STREQ(tget(d, "a@b"), "(none)");

	/* In-place update, seen by the reader after the next check. */
	w = topen(type, dbname, DICT_FLAG_FOLD_KEY | DICT_FLAG_RDWR);
	PT_ASSERT(w != NULL);
	PT_INTEQ(dict_put(w, "New.Key", "value"), 0);
	PT_INTEQ(dict_del(w, "example.com"), 0);
	PT_INTEQ(dict_del(w, "example.com"), 1);
	dict_close(w);
	d->checked = 0;
	PT_STREQ(tget(d, "new.key"), "value");
	PT_STREQ(tget(d, "example.com"), "(none)");
	dict_close(d);
}

PTEST(hash_table)
{
	db_roundtrip("hash");
}

PTEST(btree_table)
{
	db_roundtrip("btree");
}

PTEST(build_atomic)
{
	char	 spec[600];
	DICT	*d;
	struct stat st;
	ino_t	 ino;

	twrite("aliases", "# aliases\nPostmaster: root\n\"first last\" : fl,\n"
	    "  other\nroot: admin@example.com\nroot: dup\nbroken line\n");
	snprintf(spec, sizeof(spec), "hash:%s", tpath("aliases"));
	PT_INTEQ(dict_build(spec, NULL, DICT_FLAG_FOLD_KEY, DICT_BUILD_ALIAS,
	    why), 0);
	PT_ASSERT((d = dict_open(spec, DICT_FLAG_FOLD_KEY, why)) != NULL);
	PT_STREQ(tget(d, "postmaster"), "root");
	PT_STREQ(tget(d, "first last"), "fl,  other");
	PT_STREQ(tget(d, "root"), "admin@example.com");
	PT_STREQ(tget(d, "broken"), "(none)");
	PT_ASSERT(stat(tpath("aliases.db"), &st) == 0);
	ino = st.st_ino;

	/* A rebuild replaces the file; a failed one leaves it alone. */
	twrite("aliases", "root: new\nroot: last\n");
	PT_INTEQ(dict_build(spec, NULL, DICT_FLAG_FOLD_KEY |
	    DICT_FLAG_DUP_REPLACE, DICT_BUILD_ALIAS | DICT_BUILD_QUIET, why), 0);
	d->checked = 0;
	PT_STREQ(tget(d, "root"), "last");
	PT_STREQ(tget(d, "postmaster"), "(none)");
	PT_ASSERT(stat(tpath("aliases.db"), &st) == 0);
	PT_ASSERT(st.st_ino != ino);
	ino = st.st_ino;
	PT_INTEQ(dict_build(spec, tpath("missing"), 0, DICT_BUILD_MAP, why), -1);
	PT_ASSERT(strstr(vstring_str(why), "missing") != NULL);
	PT_ASSERT(stat(tpath("aliases.db"), &st) == 0);
	PT_ASSERT(st.st_ino == ino);
	dict_close(d);
}

PTEST(hash_not_a_db)
{
	twrite("junk.db", "this is not a berkeley db file\n");
	PT_ASSERT(topen("hash", "junk", 0) == NULL);
	PT_ASSERT(strstr(vstring_str(why), "junk.db") != NULL);
}

static const char pattern_text[] =
    "# header checks\n"
    "/^Subject: (.*) (spam)$/   REJECT ${2}: $1 costs $$5\n"
    "/^x-(a)(b)?-/              FOUND [$2]\n"
    "if /^From: /\n"
    "if !/@example\\.com/\n"
    "/bad/                      REJECT outsider\n"
    "endif\n"
    "/./                        OK from\n"
    "endif\n"
    "/^Case$/i                  SENSITIVE\n"
    "/^two-(.*)/!/-no$/i        TWO $1\n"
    "!/^To: /                   NOT-TO\n";

static void
pattern_common(const char *type)
{
	DICT	*d;

	twrite("pat", pattern_text);
	if ((d = topen(type, "pat", DICT_FLAG_FOLD_KEY)) == NULL)
		PT_FAILED("open: %s", vstring_str(why));
	PT_STREQ(tget(d, "Subject: buy now spam"), "REJECT spam: buy now costs $5");
	PT_STREQ(tget(d, "SUBJECT: x SPAM"), "REJECT SPAM: x costs $5");
	PT_STREQ(tget(d, "X-a-"), "FOUND []");
	PT_STREQ(tget(d, "x-ab-"), "FOUND [b]");
	PT_STREQ(tget(d, "From: bad@evil.org"), "REJECT outsider");
	PT_STREQ(tget(d, "From: bad@example.com"), "OK from");
	PT_STREQ(tget(d, "Case"), "SENSITIVE");
	PT_STREQ(tget(d, "case"), "NOT-TO");	/* i toggled: case matters */
	PT_STREQ(tget(d, "To: someone"), "(none)");
	PT_STREQ(tget(d, "Two-yes"), "TWO yes");
	PT_STREQ(tget(d, "two-yes-no"), "NOT-TO");
	dict_close(d);
}

static void
pattern_errors(const char *type, const char *badre)
{
	static const struct {
		const char *text;
		const char *err;
	} cases[] = {
		{"/ok/ OK\n\n/(a)/ $2\n", "pat:3: result refers to $2"},
		{"/ok/ OK\nendif\n", "pat:2: endif without if"},
		{"# c\nif /x/\n/y/ Z\n", "pat:2: if without endif"},
		{"/x/\n", "pat:1: missing result"},
		{"/x OK\n", "pat:1: missing closing /"},
		{"x OK\n", "pat:1: expected /pattern/"},
		{"!/(x)/ $1\n", "pat:1: $1 in the result of a negated"},
		{"/x/q OK\n", "pat:1: unknown"},
		{"/x/ ${1\n", "pat:1: bad ${n}"},
		{"/x/!/y/!/z/ A\n", "pat:1: at most two patterns"},
		{"/x/!/y( A\n", "pat:1: missing closing /"},
		{NULL, NULL},
	};
	char	 text[100];
	int	 i;

	for (i = 0; cases[i].text != NULL; i++) {
		twrite("pat", cases[i].text);
		if (topen(type, "pat", 0) != NULL)
			PT_FAILED("case %d opened", i);
		if (strstr(vstring_str(why), cases[i].err) == NULL)
			PT_FAILED("case %d: %s", i, vstring_str(why));
	}
	snprintf(text, sizeof(text), "/a/ A\n\n/b/\n  B\n%s X\n", badre);
	twrite("pat", text);
	PT_ASSERT(topen(type, "pat", 0) == NULL);
	PT_ASSERT(strstr(vstring_str(why), "pat:5: ") != NULL);
}

PTEST(pcre_table)
{
	DICT	*d;

	pattern_common("pcre");
	pattern_errors("pcre", "/a(b/");
	twrite("pat", "#\n/^(\\w+)@(?<dom>[^@]+)$/ ${2}:$1\n/x/s OK\n"
	    "|a/b| PIPE\n/^(a|b)(c)?(d)?(e)?(f)?(g)?(h)?(i)?(j)?(k)?(l)$/ $11$10\n");
	PT_ASSERT((d = topen("pcre", "pat", 0)) != NULL);
	PT_STREQ(tget(d, "user@Example.org"), "Example.org:user");
	PT_STREQ(tget(d, "qa/b"), "PIPE");
	PT_STREQ(tget(d, "acdefghijkl"), "lk");
	dict_close(d);
}

PTEST(pcre_backtracking_bounded)
{
	DICT	*d;
	char	 key[DICT_MAX_KEY];

	twrite("pat", "/^(a+)+$/ MATCH\n");
	PT_ASSERT((d = topen("pcre", "pat", 0)) != NULL);
	memset(key, 'a', sizeof(key) - 2);
	key[sizeof(key) - 2] = 'b';
	key[sizeof(key) - 1] = 0;
	PT_STREQ(tget(d, key), "ERR");
	PT_ASSERT(d->error == DICT_ERR_CONFIG);
	PT_STREQ(tget(d, "aaa"), "MATCH");
	dict_close(d);
}

PTEST(regexp_table)
{
	pattern_common("regexp");
	pattern_errors("regexp", "/a(b/");
}

PTEST(cidr_table)
{
	DICT	*d;

	twrite("cidr", "# networks\n192.168.1.0/24 LAN\n10.0.0.1 HOST\n"
	    "10.0.0.0/8\n  TEN\n2001:db8::/32 V6\n[2001:db9::]/32 V6B\n"
	    "!127.0.0.0/8 NOT-LOOPBACK\n::/0 ANY6\n");
	if ((d = topen("cidr", "cidr", 0)) == NULL)
		PT_FAILED("open: %s", vstring_str(why));
	PT_STREQ(tget(d, "192.168.1.77"), "LAN");
	PT_STREQ(tget(d, "192.168.2.1"), "NOT-LOOPBACK");
	PT_STREQ(tget(d, "10.0.0.1"), "HOST");
	PT_STREQ(tget(d, "10.200.0.1"), "TEN");
	PT_STREQ(tget(d, "127.0.0.1"), "(none)");
	PT_STREQ(tget(d, "2001:DB8:1::5"), "V6");
	PT_STREQ(tget(d, "2001:db9::1"), "V6B");
	PT_STREQ(tget(d, "::1"), "ANY6");
	PT_STREQ(tget(d, "not-an-address"), "(none)");
	PT_STREQ(tget(d, "1.2.3.4.5"), "(none)");
	dict_close(d);
	twrite("cidr", "10.0.0.0/8 A\n10.1.0.0/8 B\n");
	PT_ASSERT(topen("cidr", "cidr", 0) == NULL);
	PT_ASSERT(strstr(vstring_str(why), "cidr:2: \"10.1.0.0/8\" has host bits") != NULL);
	twrite("cidr", "10.0.0.0/33 A\n");
	PT_ASSERT(topen("cidr", "cidr", 0) == NULL);
	PT_ASSERT(strstr(vstring_str(why), "cidr:1: bad prefix") != NULL);
	twrite("cidr", "\n\n10.0.0.300/8 A\n");
	PT_ASSERT(topen("cidr", "cidr", 0) == NULL);
	PT_ASSERT(strstr(vstring_str(why), "cidr:3: bad address") != NULL);
	twrite("cidr", "10.0.0.0/8\n");
	PT_ASSERT(topen("cidr", "cidr", 0) == NULL);
	twrite("cidr", "::/129 A\n");
	PT_ASSERT(topen("cidr", "cidr", 0) == NULL);
	twrite("cidr", "if 10.0.0.0/8\nif !10.1.0.0/16\n0.0.0.0/0 TEN-NOT-ONE\n"
	    "endif\n10.1.2.0/24 TEN-ONE-TWO\nendif\n0.0.0.0/0 OTHER\n");
	if ((d = topen("cidr", "cidr", 0)) == NULL)
		PT_FAILED("open: %s", vstring_str(why));
	PT_STREQ(tget(d, "10.2.3.4"), "TEN-NOT-ONE");
	PT_STREQ(tget(d, "10.1.2.3"), "TEN-ONE-TWO");
	PT_STREQ(tget(d, "10.1.3.3"), "OTHER");
	PT_STREQ(tget(d, "11.0.0.1"), "OTHER");
	PT_STREQ(tget(d, "::1"), "(none)");
	dict_close(d);
	twrite("cidr", "endif\n");
	PT_ASSERT(topen("cidr", "cidr", 0) == NULL);
	PT_ASSERT(strstr(vstring_str(why), "cidr:1: endif without if") != NULL);
	twrite("cidr", "\nif 10.0.0.0/8\n");
	PT_ASSERT(topen("cidr", "cidr", 0) == NULL);
	PT_ASSERT(strstr(vstring_str(why), "cidr:2: if without endif") != NULL);
}

PTEST(unix_table)
{
	DICT	*d;
	const char *v;

	PT_ASSERT((d = dict_open("unix:passwd.byname", DICT_FLAG_FOLD_KEY, why)) != NULL);
	v = tget(d, "ROOT");
	PT_ASSERT(strncmp(v, "root:", 5) == 0);
	PT_ASSERT(strstr(v, ":0:0:") != NULL);
	PT_STREQ(tget(d, "no-such-user-xyzzy"), "(none)");
	dict_close(d);
	PT_ASSERT((d = dict_open("unix:group.byname", 0, why)) != NULL);
	PT_ASSERT(strncmp(tget(d, "root"), "root:", 5) == 0);
	dict_close(d);
	PT_ASSERT(dict_open("unix:shadow", 0, why) == NULL);
}

PTEST(hostile_input)
{
	DICT	*d;
	char	*key, *line;
	FILE	*fp;

	key = mymalloc(DICT_MAX_KEY + 100);
	memset(key, 'k', DICT_MAX_KEY + 99);
	key[DICT_MAX_KEY + 99] = 0;
	PT_ASSERT((d = dict_open("static:yes", 0, why)) != NULL);
	PT_STREQ(tget(d, key), "(none)");
	dict_close(d);
	myfree(key);

	line = mymalloc(DICT_MAX_LINE + 10);
	memset(line, 'x', DICT_MAX_LINE + 9);
	line[DICT_MAX_LINE + 9] = 0;
	PT_ASSERT((fp = fopen(tpath("long"), "w")) != NULL);
	fprintf(fp, "a b\n%s c\n", line);
	fclose(fp);
	myfree(line);
	PT_ASSERT(topen("texthash", "long", 0) == NULL);
	PT_ASSERT(strstr(vstring_str(why), "long:2: line longer") != NULL);

	/* A rule with a NUL byte and binary junk must not crash. */
	PT_ASSERT((fp = fopen(tpath("bin"), "w")) != NULL);
	fwrite("/a\0b/ X\n\xff\xfe\n", 1, 12, fp);
	fclose(fp);
	d = topen("pcre", "bin", 0);
	if (d != NULL)
		dict_close(d);
}

PTEST(cache_and_surrogate)
{
	DICT	*a, *b, *c;
	char	 spec[600];

	snprintf(spec, sizeof(spec), "texthash:%s", tpath("late"));
	unlink(path);
	a = dict_lookup_open(spec);
	b = dict_lookup_open(spec);
	PT_ASSERT(a == b);
	PT_INTEQ(a->refcount, 2);
	PT_STREQ(tget(a, "k"), "ERR");
	PT_ASSERT(a->error == DICT_ERR_CONFIG);
	twrite("late", "k v\n");
	a->checked = 0;
	PT_STREQ(tget(a, "k"), "v");

	/* A broken new version keeps the old one in service. */
	c = dict_lookup_open("bogus:thing");
	PT_STREQ(tget(c, "k"), "ERR");
	twrite("late", "k v2\n");
	PT_INTEQ(dict_reopen_all(), 1);		/* the bogus one fails */
	PT_STREQ(tget(a, "k"), "v2");
	twrite("late", "k v3\n");
	PT_INTEQ(dict_reopen("no-such-table"), -1);
	PT_INTEQ(dict_reopen(spec), 0);
	PT_STREQ(tget(a, "k"), "v3");
	twrite("late", "k v4\n");
	PT_INTEQ(dict_reopen(tpath("late")), 0);
	PT_STREQ(tget(a, "k"), "v4");
	dict_lookup_close(c);
	dict_lookup_close(a);
	PT_STREQ(tget(b, "k"), "v4");
	dict_lookup_close(b);
	PT_INTEQ(b->refcount, 0);
	/* Idle tables stay cached: open-lookup-close is cheap. */
	PT_ASSERT(dict_lookup_open(spec) == b);
	dict_lookup_close(b);
	dict_cache_clear();
	PT_ASSERT((a = dict_lookup_open(spec)) != NULL);
	PT_INTEQ(a->refcount, 1);
	dict_lookup_close(a);
	dict_cache_clear();
}

PTEST(broken_change_keeps_old)
{
	DICT	*d;

	twrite("pat", "/a/ A\n");
	PT_ASSERT((d = topen("pcre", "pat", 0)) != NULL);
	twrite("pat", "/a/ A\n/(b/ B\n");
	d->checked = 0;
	PT_STREQ(tget(d, "a"), "A");
	twrite("pat", "/a/ A2\n");
	d->checked = 0;
	PT_STREQ(tget(d, "a"), "A2");
	dict_close(d);
}

/* The real thing: no forcing, the change must show within a few seconds. */
PTEST(reopen_without_forcing)
{
	DICT	*d;
	time_t	 deadline;
	const char *v = NULL;

	twrite("cidr2", "10.0.0.0/8 OLD\n");
	PT_ASSERT((d = topen("cidr", "cidr2", 0)) != NULL);
	PT_STREQ(tget(d, "10.1.2.3"), "OLD");
	twrite("cidr2", "10.0.0.0/8 NEW\n");
	for (deadline = time(NULL) + 5; time(NULL) <= deadline; usleep(20000))
		if (strcmp(v = tget(d, "10.1.2.3"), "NEW") == 0)
			break;
	PT_STREQ(v, "NEW");
	dict_close(d);
}

PTEST(get_list)
{
	DICT	*d[2];
	VSTRING	*val = vstring_alloc(10);
	int	 err;

	d[0] = dict_open("inline:{a=1}", 0, why);
	d[1] = dict_open("static:2", 0, why);
	PT_STREQ(dict_get_list(d, 2, "a", &err), "1");
	PT_STREQ(dict_get_list(d, 2, "b", &err), "2");
	PT_INTEQ(err, 0);
	dict_close(d[0]);
	dict_close(d[1]);
	d[0] = dict_open("inline:{ a.example=1, .example=2, .b.example=3 }", 0, why);
	PT_STREQ(dict_get_list_domain(d, 1, "a.example", &err), "1");
	PT_STREQ(dict_get_list_domain(d, 1, "x.a.example", &err), "2");
	PT_STREQ(dict_get_list_domain(d, 1, "x.y.b.example", &err), "3");
	PT_ASSERT(dict_get_list_domain(d, 1, "example", &err) == NULL);
	PT_INTEQ(err, 0);
	/* dict_find_list(): the same searches as 1/0/-1 and a copy. */
	vstring_strcpy(val, "old");
	PT_INTEQ(dict_find_list(d, 1, "x.a.example", DICT_FIND_DOMAIN, val), 1);
	PT_STREQ(vstring_str(val), "2");
	PT_INTEQ(dict_find_list(d, 1, "x.a.example", 0, val), 0);
	PT_STREQ(vstring_str(val), "2");
	PT_INTEQ(dict_find_list(d, 1, "a.example", 0, val), 1);
	PT_STREQ(vstring_str(val), "1");
	dict_close(d[0]);
	d[0] = dict_open("hash:/nonexistent/dict-test", 0, why);
	if (d[0] != NULL) {
		PT_ASSERT(dict_get_list_domain(d, 1, "a.example", &err) == NULL);
		PT_ASSERT(err != 0);
		PT_INTEQ(dict_find_list(d, 1, "a.example", 0, val), -1);
		dict_close(d[0]);
	}
	vstring_free(val);
}

PTEST(file_nest)
{
	DICT_FILE_NEST *n = dict_file_nest_alloc();
	size_t	 rule = 99;
	int	 i;

	PT_INTEQ(dict_file_nest_end(n, "t", why), 0);
	PT_INTEQ(dict_file_endif(n, &rule, "t", 1, why), -1);
	PT_STREQ(vstring_str(why), "t:1: endif without if");
	PT_INTEQ(dict_file_if(n, 3, "t", 4, why), 0);
	PT_INTEQ(dict_file_if(n, 5, "t", 7, why), 0);
	PT_INTEQ(dict_file_endif(n, &rule, "t", 8, why), 0);
	PT_INTEQ(rule, 5);
	PT_INTEQ(dict_file_nest_end(n, "t", why), -1);
	PT_STREQ(vstring_str(why), "t:4: if without endif");
	PT_INTEQ(dict_file_endif(n, &rule, "t", 9, why), 0);
	PT_INTEQ(rule, 3);
	PT_INTEQ(dict_file_nest_end(n, "t", why), 0);
	for (i = 0; i < DICT_FILE_MAXNEST; i++)
		PT_INTEQ(dict_file_if(n, (size_t)i, "t", i + 1, why), 0);
	PT_INTEQ(dict_file_if(n, 0, "t", 1001, why), -1);
	PT_STREQ(vstring_str(why), "t:1001: if nested deeper than 1000");
	dict_file_nest_free(n);
}

PTEST(find)
{
	DICT	*d;
	const char *value = NULL;

	d = dict_lookup_open("inline:{ k=v }");
	PT_INTEQ(dict_find(d, "k", &value), 1);
	PT_STREQ(value, "v");
	PT_INTEQ(dict_find(d, "k", NULL), 1);
	PT_INTEQ(dict_find(d, "x", &value), 0);
	dict_lookup_close(d);
	d = dict_lookup_open("hash:/nonexistent/dict-test");
	PT_INTEQ(dict_find(d, "k", &value), -1);	/* logged */
	PT_ASSERT(d->error != DICT_ERR_NONE);
	dict_lookup_close(d);
}

PTEST(proxy_prefix)
{
	DICT	*d;

	PT_ASSERT((d = dict_open("proxy:static:x", 0, why)) != NULL);
	PT_STREQ(tget(d, "k"), "x");
	dict_close(d);
}

int
main(void)
{
	int	 rc;

	msg_init("postern", "dict_test");
	if (mkdtemp(tmpdir) == NULL)
		msg_fatal("mkdtemp: %m");
	why = vstring_alloc(100);
	PT_RUN(static_table);
	PT_RUN(inline_table);
	PT_RUN(spec_errors);
	PT_RUN(texthash_table);
	PT_RUN(hash_table);
	PT_RUN(btree_table);
	PT_RUN(build_atomic);
	PT_RUN(hash_not_a_db);
	PT_RUN(pcre_table);
	PT_RUN(pcre_backtracking_bounded);
	PT_RUN(regexp_table);
	PT_RUN(cidr_table);
	PT_RUN(unix_table);
	PT_RUN(hostile_input);
	PT_RUN(cache_and_surrogate);
	PT_RUN(broken_change_keeps_old);
	PT_RUN(reopen_without_forcing);
	PT_RUN(get_list);
	PT_RUN(find);
	PT_RUN(file_nest);
	PT_RUN(proxy_prefix);
	rc = PT_DONE();
	vstring_free(why);
	tcleanup();
	return rc;
}
