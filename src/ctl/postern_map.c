/*
 * NAME
 *	postern_map - build and query lookup tables (postern map)
 * SYNOPSIS
 *	int postern_map_main(int argc, char **argv);
 *
 *	postern map [-fvwr] [-c config_dir] [type:]file ...
 *	postern map [-fv] [-c config_dir] -q key [type:]name ...
 *	postern map [-fv] [-c config_dir] -q - [type:]name ...
 *	postern map [-fv] [-c config_dir] -s [type:]name ...
 *	postern map [-fv] [-c config_dir] -i [type:]file
 *	postern map [-fv] [-c config_dir] -d key|- [type:]file
 * DESCRIPTION
 *	The postmap(1) of Postern; argv[0] is the subcommand name. Without
 *	-q, -s, -i or -d, each hash: or btree: table named is built from its
 *	text source: lines "key whitespace value", comments, continuation
 *	lines (see postern-tables(5)). The new database is written under a
 *	temporary name, flushed to disk and renamed over file.db, so a
 *	running daemon sees the old table or the new one, never a mix, and
 *	picks the new one up by itself. Keys are lowercased unless -f is
 *	given. A duplicate key keeps its first value and is reported with
 *	file:line (-w: silently; -r: the last value wins instead). For the
 *	types that are read directly from their source (pcre, regexp, cidr,
 *	texthash, inline, static, unix) "building" checks the source and
 *	reports the first error with file:line.
 *
 *	When run as root, the database gets the owner and group of its
 *	source file.
 *
 *	-q key looks the key up in each table in turn and prints the first
 *	value found; -q - reads keys from standard input (one per line) and
 *	prints "key<TAB>value" for each key found. -s prints every entry of
 *	each table as "key<TAB>value". -i adds or replaces the "key value"
 *	lines read from standard input in an existing or new table (updated
 *	in place, under a lock). -d deletes a key (or the keys read from
 *	standard input with -d -).
 *
 *	A table named without "type:" gets default_database_type (hash)
 *	from main.cf (in MAIL_CONFIG, or config_dir with -c, which works as
 *	the global "postern -c").
 * DIAGNOSTICS
 *	Exit status, as postmap(1)'s: for -q 0 found, 1 not found or an
 *	error (a missing or unreadable table); for -d 0 when a key was
 *	deleted, else 1; for -s 0, or 1 on an error; otherwise 0 on success
 *	and 1 on any error (bad usage is 2). Errors go to standard error.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dict.h"
#include "dict_build.h"
#include "dict_file.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "postern.h"
#include "vstring.h"

typedef struct MAP_OPTS {
	int	 fold;			/* DICT_FLAG_FOLD_KEY or 0 (-f) */
	int	 dup;			/* DICT_FLAG_DUP_IGNORE or _REPLACE (-r) */
	int	 dup_warn;		/* 0 with -w */
	const char *deftype;
} MAP_OPTS;

#define MAP_EXIT_USAGE	2

static int
map_usage(void)
{
	fprintf(stderr, "usage: postern map [-fvwr] [-c config_dir] "
	    "[-q key|-q -|-s|-i|-d key|-d -] [type:]name ...\n");
	return MAP_EXIT_USAGE;
}

/* "type:name" for an argument, adding the default type when missing. */
static char *
map_spec(const char *arg, const MAP_OPTS *opts)
{
	const char *colon = strchr(arg, ':');
	VSTRING	*vp = vstring_alloc(64);
	char	*type;

	if (colon != NULL) {
		type = mystrndup(arg, colon - arg);
		if (strcmp(type, "proxy") == 0 || dict_module_type(type)
		    || dict_ops_find(type) != NULL) {
			myfree(type);
			vstring_strcpy(vp, arg);
			return vstring_export(vp);
		}
		myfree(type);
	}
	vstring_sprintf(vp, "%s:%s", opts->deftype, arg);
	return vstring_export(vp);
}

/* One line of standard input without its newline: 1, 0 at end, -1. */
static int
map_read_key(VSTRING *vp)
{
	int	 ch;

	vstring_reset(vp);
	while ((ch = getchar()) != EOF && ch != '\n') {
		if (vstring_len(vp) >= DICT_MAX_LINE) {
			msg_error("stdin: line longer than %d bytes",
			    DICT_MAX_LINE);
			return -1;
		}
		vstring_addch(vp, ch);
	}
	if (ch == EOF && vstring_len(vp) == 0)
		return 0;
	while (vstring_len(vp) > 0 && isspace((unsigned char)vstring_end(vp)[-1]))
		vstring_truncate(vp, vstring_len(vp) - 1);
	return 1;
}

static DICT **
map_open_all(char **args, int n, int flags, const MAP_OPTS *opts)
{
	DICT	**dicts = mycalloc(n, sizeof(*dicts));
	VSTRING	*why = vstring_alloc(64);
	char	*spec;
	int	 i;

	for (i = 0; i < n; i++) {
		spec = map_spec(args[i], opts);
		dicts[i] = dict_open(spec, flags, why);
		myfree(spec);
		if (dicts[i] == NULL) {
			msg_error("%s", vstring_str(why));
			while (--i >= 0)
				dict_close(dicts[i]);
			myfree(dicts);
			dicts = NULL;
			break;
		}
	}
	vstring_free(why);
	return dicts;
}

static void
map_close_all(DICT **dicts, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		dict_close(dicts[i]);
	myfree(dicts);
}

/*
 * 0 found, 1 not found, MAP_TEMPFAIL when a table could not answer (a
 * database server down: never to be mistaken for "not found").
 */
#define MAP_TEMPFAIL	3
static int
map_query_one(DICT **dicts, int n, const char *key, const char **value)
{
	int	 err;

	if ((*value = dict_get_list(dicts, n, key, &err)) != NULL)
		return 0;
	if (err != DICT_ERR_NONE) {
		int	 i;

		for (i = 0; i < n && dicts[i]->error == DICT_ERR_NONE; i++)
			;
		msg_error("%s: %s", i < n ? dicts[i]->spec : "table",
		    i < n ? dict_error_text(dicts[i]) : "lookup error");
		return MAP_TEMPFAIL;
	}
	return 1;
}

static int
map_query(const char *key, char **args, int n, const MAP_OPTS *opts)
{
	DICT	**dicts;
	VSTRING	*line;
	const char *value;
	int	 rc, status = 1;

	if ((dicts = map_open_all(args, n, opts->fold, opts)) == NULL)
		return 2;
	if (strcmp(key, "-") != 0) {
		if ((status = map_query_one(dicts, n, key, &value)) == 0)
			printf("%s\n", value);
	} else {
		line = vstring_alloc(100);
		while ((rc = map_read_key(line)) > 0) {
			if (vstring_len(line) == 0)
				continue;
			rc = map_query_one(dicts, n, vstring_str(line), &value);
			if (rc == MAP_TEMPFAIL) {
				status = rc;
				break;
			}
			if (rc == 0) {
				printf("%s\t%s\n", vstring_str(line), value);
				status = 0;
			}
		}
		if (rc < 0)
			status = 2;
		vstring_free(line);
	}
	map_close_all(dicts, n);
	return status;
}

static int
map_dump(char **args, int n, const MAP_OPTS *opts)
{
	DICT	**dicts;
	const char *key, *value;
	int	 i, rc = 0;

	if ((dicts = map_open_all(args, n, opts->fold, opts)) == NULL)
		return 2;
	for (i = 0; i < n && rc >= 0; i++) {
		for (rc = dict_seq(dicts[i], DICT_SEQ_FIRST, &key, &value);
		    rc == 0; rc = dict_seq(dicts[i], DICT_SEQ_NEXT, &key, &value))
			printf("%s\t%s\n", key, value);
		if (rc < 0)
			msg_error("%s: %s", dicts[i]->spec,
			    dict_error_text(dicts[i]));
	}
	map_close_all(dicts, n);
	return rc < 0 ? 2 : 0;
}

static int
map_build(const char *arg, const MAP_OPTS *opts)
{
	VSTRING	*why = vstring_alloc(64);
	char	*spec = map_spec(arg, opts), *name, *type;
	DICT	*dict;
	int	 status = 1;

	for (name = spec; strncmp(name, "proxy:", 6) == 0; name += 6)
		;
	type = mystrndup(name, strcspn(name, ":"));
	name += strlen(type) + (name[strlen(type)] == ':');
	if (strcmp(type, "hash") == 0 || strcmp(type, "btree") == 0) {
		if ((status = dict_build(spec, NULL, opts->fold | opts->dup,
		    DICT_BUILD_MAP | (opts->dup_warn ? 0 : DICT_BUILD_QUIET),
		    why)) < 0) {
			msg_error("%s", vstring_str(why));
			status = 1;
		}
	} else if ((dict = dict_open(spec, opts->fold, why)) == NULL) {
		msg_error("%s", vstring_str(why));
	} else {
		dict_close(dict);
		status = 0;
	}
	myfree(type);
	myfree(spec);
	vstring_free(why);
	return status;
}

/* -i: add "key value" lines from standard input, in place. 0 or 1. */
static int
map_insert(const char *arg, const MAP_OPTS *opts)
{
	VSTRING	*why = vstring_alloc(64);
	char	*spec = map_spec(arg, opts);
	DICT_FILE *df;
	DICT	*dict;
	int	 errors = 1;

	dict = dict_open(spec, opts->fold | DICT_FLAG_RDWR | DICT_FLAG_CREATE
	    | DICT_FLAG_DUP_REPLACE, why);
	if (dict == NULL) {
		msg_error("%s", vstring_str(why));
	} else {
		df = dict_file_fdopen(stdin, "stdin");
		errors = dict_load_file(dict, df, DICT_BUILD_MAP, why) < 0;
		if (errors)
			msg_error("%s", vstring_str(why));
		else if (dict_sync(dict) < 0) {
			msg_error("%s: %s", dict->spec, dict_error_text(dict));
			errors++;
		}
		dict_file_close(df);		/* stdin stays open */
		dict_close(dict);
	}
	myfree(spec);
	vstring_free(why);
	return errors ? 1 : 0;
}

/* -d: 0 when something was deleted, 1 when nothing, 2 on error. */
static int
map_delete(const char *key, const char *arg, const MAP_OPTS *opts)
{
	VSTRING	*why = vstring_alloc(64), *line = NULL;
	char	*spec = map_spec(arg, opts);
	DICT	*dict;
	int	 rc, status = 1;

	if ((dict = dict_open(spec, opts->fold | DICT_FLAG_RDWR, why)) == NULL) {
		msg_error("%s", vstring_str(why));
		status = 2;
	} else if (strcmp(key, "-") != 0) {
		if ((rc = dict_del(dict, key)) < 0)
			status = 2;
		else
			status = rc;
	} else {
		line = vstring_alloc(100);
		while ((rc = map_read_key(line)) > 0 && status != 2) {
			if (vstring_len(line) == 0)
				continue;
			if ((rc = dict_del(dict, vstring_str(line))) < 0)
				status = 2;
			else if (rc == 0)
				status = 0;
		}
		if (rc < 0)
			status = 2;
	}
	if (dict != NULL) {
		if (status == 2 && dict->error)
			msg_error("%s: %s", dict->spec, dict_error_text(dict));
		dict_close(dict);
	}
	if (line != NULL)
		vstring_free(line);
	myfree(spec);
	vstring_free(why);
	return status;
}

static int
map_finish(int status)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		msg_error("write to standard output: %s", strerror(errno));
		status = 2;
	}
	/*
	 * As postmap(1): an error (a fatal there) exits 1, like "not found";
	 * but a lookup that failed temporarily exits 2, so that a script can
	 * tell a database that is down from a key that is not there.
	 */
	if (status == MAP_TEMPFAIL)
		return 2;
	return status == 2 ? 1 : status;
}

int
postern_map_main(int argc, char **argv)
{
	MAP_OPTS opts = {DICT_FLAG_FOLD_KEY, DICT_FLAG_DUP_IGNORE, 1, NULL};
	const char *query = NULL, *delkey = NULL, *config_dir = NULL;
	int	 ch, dump = 0, insert = 0, status = 0, modes;

	optind = 0;			/* glibc: rescan from argv[1] */
	while ((ch = getopt(argc, argv, "+c:d:fiq:rsvwNno")) != -1) {
		switch (ch) {
		case 'c': config_dir = optarg; break;
		case 'd': delkey = optarg; break;
		case 'f': opts.fold = 0; break;
		case 'i': insert = 1; break;
		case 'q': query = optarg; break;
		case 'r': opts.dup = DICT_FLAG_DUP_REPLACE; break;
		case 's': dump = 1; break;
		case 'v': msg_verbose++; break;
		case 'w': opts.dup_warn = 0; break;
		case 'N': case 'n': case 'o': break;	/* postmap compatibility */
		default: return map_usage();
		}
	}
	modes = (query != NULL) + (delkey != NULL) + dump + insert;
	if (modes > 1 || optind >= argc || (insert && argc - optind != 1)
	    || (delkey && argc - optind != 1))
		return map_usage();

	/* main.cf may set default_database_type; -c as "postern -c". */
	if (config_dir != NULL)
		postern_set_config(config_dir);
	mail_conf_read_flags(NULL, MAIL_CONF_OPTIONAL);
	opts.deftype = conf_str("default_database_type");
	if (*opts.deftype == 0)
		opts.deftype = "hash";

	argv += optind;
	argc -= optind;
	if (query != NULL)
		return map_finish(map_query(query, argv, argc, &opts));
	if (dump)
		return map_finish(map_dump(argv, argc, &opts));
	if (insert)
		return map_finish(map_insert(argv[0], &opts));
	if (delkey != NULL)
		return map_finish(map_delete(delkey, argv[0], &opts));
	for (; argc > 0; argc--, argv++)
		if (map_build(argv[0], &opts) != 0)
			status = 1;
	return map_finish(status);
}
