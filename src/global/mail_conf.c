/*
 * NAME
 *	mail_conf - main.cf: reading, overrides and typed access
 * SYNOPSIS
 *	#include <mail_conf.h>
 *
 *	void mail_conf_read(const char *config_dir);
 *	void mail_conf_read_flags(const char *config_dir, int flags);
 *	const char *mail_conf_dir(void);
 *	const char *mail_conf_path(void);
 *	void mail_conf_override(const char *name, const char *value);
 *	int  mail_conf_override_arg(const char *name_eq_value);
 *	void mail_conf_unknown_warnings(int on);
 *
 *	const char *conf_str(const char *name);
 *	long long conf_int(const char *name);
 *	int  conf_bool(const char *name);
 *	long long conf_time(const char *name);
 *	long long conf_size(const char *name);
 *	ARGV *conf_list(const char *name);
 *	const char *conf_lookup(const char *name);
 *	const char *conf_raw(const char *name, int *src);
 *	ARGV *mail_conf_file_names(void);
 *
 *	int conf_param_compat(const char *name);
 *	int conf_compat_warn(void);
 *	int conf_compat_warn_override(const char *name_eq_value,
 *	    const char *where);
 * DESCRIPTION
 *	mail_conf_read() loads config_dir/main.cf, where config_dir is the
 *	argument, else $MAIL_CONFIG, else the built-in default of the
 *	config_directory parameter. The syntax is Postfix's: "name = value"
 *	logical lines; a line that starts with white space continues the
 *	previous one; lines whose first non-blank character is '#' are
 *	comments and blank lines are ignored (neither ends a logical line);
 *	a '#' elsewhere is part of the value (logical_line(3) reads the
 *	lines); the last assignment wins.
 *	Loading replaces whatever was loaded before, including -o overrides.
 *	Flags: MAIL_CONF_OPTIONAL treats a missing main.cf as empty;
 *	MAIL_CONF_NOFILE sets the directory but reads nothing (defaults).
 *	Loading also tells dict_proxy(3) that proxy: tables talk to
 *	$queue_directory/private/proxymap, and module(3) that modules (the
 *	TLS module tls.so, table modules dict_TYPE.so) are in
 *	$daemon_directory.
 *	A name that is neither in the parameter table, nor a per-transport
 *	form of a table parameter (relay_destination_concurrency_limit),
 *	nor referenced as $name by another value, nor a restriction class
 *	named in smtpd_restriction_classes, gets one warning naming
 *	the file and line (turn off with mail_conf_unknown_warnings(0),
 *	for processes whose parent already warned).
 *
 *	Values are stored as written and expanded when used (conf_expand),
 *	so "-o" overrides of a parameter change everything that refers to
 *	it. mail_conf_override() sets a value that wins over main.cf.
 *
 *	The getters take a parameter name from the table, expand its value
 *	in effect (override, main.cf, default) and convert it. A name not in
 *	the table is a program bug (panic). An invalid value is fatal, with
 *	the file, line and name of the setting. conf_time() returns seconds;
 *	conf_int(), conf_time() and conf_size() accept each other's
 *	parameters (a time is then converted, an integer is seconds).
 *	Expanded strings are cached per name; the pointers returned remain
 *	valid for the life of the process. A few parameters whose $names are
 *	the using program's own variables (forward_path, mailbox_command,
 *	luser_relay; see mail_params_raw()) are returned unexpanded.
 *
 *	Parameters whose Postfix form accepts "/file/name"
 *	(mail_conf_file(3)) are read from the file: conf_list() of a match
 *	list replaces each "/file/name" element by the file's elements, and
 *	conf_str() of myorigin returns the first element of the file.
 *
 *	conf_lookup() is for any name, such as the per-transport
 *	"<transport>_destination_concurrency_limit": the expanded value, or
 *	a null pointer when the name is neither set nor in the table.
 *	conf_raw() returns the unexpanded value in effect and its source.
 *
 *	conf_param_compat() says whether a table parameter is accepted for
 *	compatibility only: no program reads it (conf_compat_names[], which
 *	mk/params-compat generates from the sources). conf_compat_warn()
 *	logs "warning: NAME is accepted for compatibility but not
 *	implemented" once for each such name that main.cf or an override
 *	sets, and returns the count; every daemon calls it at start, and so
 *	do the master and "postern check". conf_compat_warn_override() does
 *	the same for one "name=value" (a master.cf -o), naming where.
 *	Neither warns about a setting that asks for what Postern does anyway
 *	(conf_compat_same[]: "biff = no", and the directories of Postfix's
 *	documentation, which no Postfix daemon reads either), so that a
 *	main.cf as Debian's postfix package writes it starts quietly.
 * DIAGNOSTICS
 *	Fatal: a main.cf that cannot be read (unless MAIL_CONF_OPTIONAL),
 *	syntax errors and invalid values (with file and line), expansion
 *	loops, a "/file/name" value whose file cannot be read. Panic: a getter called with a name not in the table.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "argv.h"
#include "dict.h"
#include "htable.h"
#include "logical_line.h"
#include "mail_conf.h"
#include "mail_params.h"
#include "module.h"
#include "msg.h"
#include "mymalloc.h"
#include "vstring.h"

#define CONF_LINE_MAX	(1024 * 1024)	/* one logical line */

typedef struct CONF_ENTRY {
	char	*value;			/* as written, not expanded */
	int	 line;			/* main.cf line; 0 for overrides */
} CONF_ENTRY;

static HTABLE *conf_file;		/* name -> CONF_ENTRY, from main.cf */
static HTABLE *conf_over;		/* name -> CONF_ENTRY, -o overrides */
static HTABLE *conf_cache;		/* name -> expanded value */
static HTABLE *conf_index;		/* name -> CONF_PARAM */
static void **conf_retired;		/* strings callers may still hold */
static size_t conf_retired_len, conf_retired_size;
static char *conf_dir_path;
static char *conf_file_path;
static int conf_warn_unknown = 1;

static void
conf_entry_free(void *ptr)
{
	CONF_ENTRY *ent = ptr;

	myfree(ent->value);
	myfree(ent);
}

static void
conf_entry_set(HTABLE *table, const char *name, const char *value, int line)
{
	HTABLE_INFO *ht;
	CONF_ENTRY *ent;

	if ((ht = htable_locate(table, name)) != NULL) {
		ent = ht->value;
		myfree(ent->value);
	} else {
		ent = mymalloc(sizeof(*ent));
		htable_enter(table, name, ent);
	}
	ent->value = mystrdup(value);
	ent->line = line;
}

/*
 * conf_retire - keep a string callers may still point to. Retired strings
 * are never freed: they are few (one set per re-read or -o override).
 */
static void
conf_retire(void *ptr)
{
	if (conf_retired_len >= conf_retired_size) {
		conf_retired_size = conf_retired_size ? 2 * conf_retired_size : 64;
		conf_retired = myrealloc(conf_retired,
		    conf_retired_size * sizeof(*conf_retired));
	}
	conf_retired[conf_retired_len++] = ptr;
}

/* conf_cache_retire - forget cached expansions, keep the strings alive. */
static void
conf_cache_retire(void)
{
	HTABLE_INFO **list, **ht;

	if (conf_cache == NULL) {
		conf_cache = htable_create(256);
		return;
	}
	list = htable_list(conf_cache);
	for (ht = list; *ht; ht++)
		conf_retire((*ht)->value);
	myfree(list);
	htable_free(conf_cache, NULL);
	conf_cache = htable_create(256);
}

const CONF_PARAM *
conf_param_find(const char *name)
{
	const CONF_PARAM *p;

	if (conf_index == NULL) {
		conf_index = htable_create(1024);
		for (p = conf_param_table; p->name; p++)
			if (htable_locate(conf_index, p->name) == NULL)
				htable_enter(conf_index, p->name, (void *)p);
	}
	return htable_find(conf_index, name);
}

static int
conf_compat_cmp(const void *key, const void *elt)
{
	return strcmp(key, *(const char *const *)elt);
}

int
conf_param_compat(const char *name)
{
	static size_t count;

	if (count == 0)
		while (conf_compat_names[count] != NULL)
			count++;
	return bsearch(name, conf_compat_names, count, sizeof(char *),
	    conf_compat_cmp) != NULL;
}

/*
 * Compatibility parameters whose setting changes nothing here because it
 * is what Postern does: pairs of name and value ("*": any value).
 */
/* params-compat: names only */
static const char *const conf_compat_same[] = {
	"biff", "no",			/* no comsat notification */
	"enable_errors_to", "no",	/* Errors-To: ignored (Postfix >= 2.2 too) */
	"frozen_delivered_to", "yes",	/* local: the qmgr's recipient */
	"multi_instance_enable", "no",	/* no postmulti */
	"backwards_bounce_logfile_compatibility", "*", /* Postfix's format */
	"mail_release_date", "*",	/* read-only information */
	"html_directory", "*",		/* documentation paths, for installers */
	"manpage_directory", "*",
	"readme_directory", "*",
	"sample_directory", "*",
};

/* conf_compat_quiet - does name = value ask for what Postern does? */
static int
conf_compat_quiet(const char *name, const char *value)
{
	for (size_t i = 0; i + 1 < sizeof(conf_compat_same) /
	    sizeof(conf_compat_same[0]); i += 2)
		if (strcmp(name, conf_compat_same[i]) == 0)
			return strcmp(conf_compat_same[i + 1], "*") == 0 || (value
			    && strcasecmp(value, conf_compat_same[i + 1]) == 0);
	return 0;
}

int
conf_compat_warn_override(const char *arg, const char *where)
{
	size_t	 n = strcspn(arg, "= \t");
	char	*name = mystrndup(arg, n);
	const char *value = arg + n;
	int	 hit;

	value += strspn(value, " \t");
	if (*value == '=')
		value += 1 + strspn(value + 1, " \t");
	if ((hit = conf_param_compat(name) && !conf_compat_quiet(name,
	    value)) != 0)
		msg_warn("%s%s%s is accepted for compatibility but not "
		    "implemented", where ? where : "", where ? ": " : "", name);
	myfree(name);
	return hit;
}

int
conf_compat_warn(void)
{
	HTABLE	*tables[2] = { conf_file, conf_over };
	HTABLE	*seen = htable_create(16);
	HTABLE_INFO **list, **ht;
	int	 i, count = 0;

	for (i = 0; i < 2; i++) {
		if (tables[i] == NULL)
			continue;
		list = htable_list(tables[i]);
		for (ht = list; *ht; ht++) {
			if (!conf_param_compat((*ht)->key) ||
			    conf_compat_quiet((*ht)->key,
			    ((CONF_ENTRY *)(*ht)->value)->value) ||
			    htable_locate(seen, (*ht)->key) != NULL)
				continue;
			htable_enter(seen, (*ht)->key, NULL);
			msg_warn("%s is accepted for compatibility but not "
			    "implemented", (*ht)->key);
			count++;
		}
		myfree(list);
	}
	htable_free(seen, NULL);
	return count;
}

int
conf_valid_name(const char *name)
{
	const char *cp;

	if (*name == 0)
		return 0;
	for (cp = name; *cp; cp++)
		if (!isalnum((unsigned char)*cp) && *cp != '_' && *cp != '-')
			return 0;
	return 1;
}

const char *
conf_default(const char *name)
{
	const CONF_PARAM *p;
	const char *dyn;

	if ((p = conf_param_find(name)) == NULL)
		return NULL;
	if ((dyn = mail_params_dynamic(name)) != NULL)
		return dyn;
	return p->defval;
}

const char *
conf_raw(const char *name, int *src)
{
	CONF_ENTRY *ent;
	const char *def;

	if (conf_over && (ent = htable_find(conf_over, name)) != NULL) {
		if (src)
			*src = CONF_SRC_OVERRIDE;
		return ent->value;
	}
	if (conf_file && (ent = htable_find(conf_file, name)) != NULL) {
		if (src)
			*src = CONF_SRC_FILE;
		return ent->value;
	}
	def = conf_default(name);
	if (src)
		*src = def ? CONF_SRC_DEFAULT : CONF_SRC_NONE;
	return def;
}

/* conf_where - "file, line N" / "-o override" / "default" for messages. */
static const char *
conf_where(const char *name, VSTRING *buf)
{
	CONF_ENTRY *ent;
	int	src;

	(void)conf_raw(name, &src);
	if (src == CONF_SRC_OVERRIDE)
		return vstring_str(vstring_sprintf(buf, "-o %s", name));
	if (src == CONF_SRC_FILE) {
		ent = htable_find(conf_file, name);
		return vstring_str(vstring_sprintf(buf, "%s, line %d",
		    conf_file_path, ent->line));
	}
	return vstring_str(vstring_sprintf(buf, "default for %s", name));
}

/* conf_value - the cached expansion of name, or null when unset. */
static const char *
conf_value(const char *name)
{
	const CONF_PARAM *p;
	VSTRING	*out, *why, *where;
	const char *raw;
	char	*val;

	if (conf_cache == NULL)
		conf_cache_retire();
	if ((val = htable_find(conf_cache, name)) != NULL)
		return val;
	if ((raw = conf_raw(name, NULL)) == NULL)
		return NULL;
	if (mail_params_raw(name)) {
		val = mystrdup(raw);
		htable_enter(conf_cache, name, val);
		return val;
	}
	out = vstring_alloc(64);
	why = vstring_alloc(64);
	if (conf_expand_param(out, name, why) < 0) {
		where = vstring_alloc(64);
		msg_fatal("%s: parameter %s: %s", conf_where(name, where), name,
		    vstring_str(why));
	}
	/* A single-valued parameter read from a file (myorigin = /etc/mailname). */
	if (*vstring_str(out) == '/' && conf_file_param(name) &&
	    (p = conf_param_find(name)) != NULL && p->type == CONF_STR) {
		VSTRING *path = vstring_alloc(64);

		vstring_strcpy(path, vstring_str(out));
		if (conf_file_first(vstring_str(path), out, why) < 0) {
			where = vstring_alloc(64);
			msg_fatal("%s: parameter %s: %s", conf_where(name, where), name,
			    vstring_str(why));
		}
		vstring_free(path);
	}
	vstring_free(why);
	val = vstring_export(out);
	htable_enter(conf_cache, name, val);
	return val;
}

static const CONF_PARAM *
conf_need(const char *name, const char *caller)
{
	const CONF_PARAM *p;

	if ((p = conf_param_find(name)) == NULL)
		msg_panic("%s: parameter \"%s\" is not in the parameter table",
		    caller, name);
	return p;
}

/* conf_typed - validate the value of p as type, fatal with its origin. */
static const char *
conf_typed(const CONF_PARAM *p, int type, char unit)
{
	CONF_PARAM tp = *p;
	VSTRING	*why, *where;
	const char *val;

	val = conf_value(p->name);
	if (val == NULL)
		val = "";
	tp.type = type;
	tp.unit = unit ? unit : p->unit;
	why = vstring_alloc(64);
	if (conf_check_value(&tp, val, why) < 0) {
		where = vstring_alloc(64);
		msg_fatal("%s: invalid value for parameter %s: %s",
		    conf_where(p->name, where), p->name, vstring_str(why));
	}
	vstring_free(why);
	return val;
}

const char *
conf_str(const char *name)
{
	const CONF_PARAM *p = conf_need(name, "conf_str");
	const char *val;

	if (mail_params_enum(name) != NULL || p->type == CONF_TABLES)
		return conf_typed(p, p->type, 0);	/* keywords, type:name */
	val = conf_value(name);
	return val ? val : "";
}

long long
conf_int(const char *name)
{
	const CONF_PARAM *p = conf_need(name, "conf_int");
	long long n;

	if (p->type == CONF_TIME)
		return conf_time(name);
	if (p->type != CONF_INT && p->type != CONF_SIZE)
		msg_panic("conf_int: %s is not an integer parameter", name);
	(void)conf_parse_int(conf_typed(p, p->type, 0), &n);
	return n;
}

long long
conf_size(const char *name)
{
	return conf_int(name);
}

long long
conf_time(const char *name)
{
	const CONF_PARAM *p = conf_need(name, "conf_time");
	VSTRING	*why;
	long long n;

	if (p->type != CONF_TIME && p->type != CONF_INT)
		msg_panic("conf_time: %s is not a time parameter", name);
	why = vstring_alloc(16);
	(void)conf_parse_time(conf_typed(p, CONF_TIME, p->unit ? 0 : 's'),
	    p->unit ? p->unit : 's', &n, why);
	vstring_free(why);
	return n;
}

int
conf_bool(const char *name)
{
	const CONF_PARAM *p = conf_need(name, "conf_bool");
	int	b;

	if (p->type != CONF_BOOL)
		msg_panic("conf_bool: %s is not a boolean parameter", name);
	(void)conf_parse_bool(conf_typed(p, CONF_BOOL, 0), &b);
	return b;
}

ARGV *
conf_list(const char *name)
{
	ARGV	*list;
	VSTRING	*why, *where;

	(void)conf_need(name, "conf_list");
	if (!conf_file_param(name))
		return conf_split_list(conf_str(name));
	list = argv_alloc(8);
	why = vstring_alloc(64);
	if (conf_list_expand(conf_str(name), list, why) < 0) {
		where = vstring_alloc(64);
		msg_fatal("%s: parameter %s: %s", conf_where(name, where), name,
		    vstring_str(why));
	}
	vstring_free(why);
	return list;
}

const char *
conf_lookup(const char *name)
{
	return conf_value(name);
}

/* conf_referenced - names used as $name anywhere in main.cf values. */
static void
conf_note_refs(HTABLE *refs, const char *value)
{
	const char *cp = value;
	size_t	n;
	char	*name;

	while ((cp = strchr(cp, '$')) != NULL) {
		cp++;
		if (*cp == '$') {
			cp++;
			continue;
		}
		if (*cp == '{' || *cp == '(')
			cp++;
		for (n = 0; isalnum((unsigned char)cp[n]) || cp[n] == '_'; n++)
			;
		if (n == 0)
			continue;
		name = mystrndup(cp, n);
		if (htable_locate(refs, name) == NULL)
			htable_enter(refs, name, NULL);
		myfree(name);
		cp += n;
	}
}

/* conf_warn_unknowns - one warning per main.cf name nobody knows. */
static void
conf_warn_unknowns(void)
{
	HTABLE	*refs = htable_create(64);
	HTABLE_INFO **list, **ht;
	CONF_ENTRY *ent;
	ARGV	*classes;

	list = htable_list(conf_file);
	for (ht = list; *ht; ht++)
		conf_note_refs(refs, ((CONF_ENTRY *)(*ht)->value)->value);
	/* Restriction classes are names main.cf defines for smtpd. */
	classes = conf_list("smtpd_restriction_classes");
	for (size_t i = 0; i < classes->argc; i++)
		if (htable_locate(refs, classes->argv[i]) == NULL)
			htable_enter(refs, classes->argv[i], NULL);
	argv_free(classes);
	for (ht = list; *ht; ht++) {
		ent = (*ht)->value;
		if (conf_param_find((*ht)->key) == NULL &&
		    mail_params_transport_suffix((*ht)->key) == NULL &&
		    htable_locate(refs, (*ht)->key) == NULL)
			msg_warn("%s, line %d: unknown parameter %s (ignored)",
			    conf_file_path, ent->line, (*ht)->key);
	}
	myfree(list);
	htable_free(refs, NULL);
}

/*
 * conf_parse_line - store one logical "name = value" line; -1 with the
 * reason in err for a syntax error.
 */
static int
conf_parse_line(char *buf, int line, VSTRING *err)
{
	char	*eq, *name, *value, *end;

	if ((eq = strchr(buf, '=')) == NULL) {
		vstring_sprintf(err, "%s, line %d: missing '=' after parameter "
		    "name: \"%.100s\"", conf_file_path, line, buf);
		return -1;
	}
	*eq = 0;
	name = buf;
	for (end = eq; end > name && isspace((unsigned char)end[-1]); end--)
		;
	*end = 0;
	if (!conf_valid_name(name)) {
		vstring_sprintf(err, "%s, line %d: bad parameter name \"%.100s\"",
		    conf_file_path, line, name);
		return -1;
	}
	for (value = eq + 1; isspace((unsigned char)*value); value++)
		;
	for (end = value + strlen(value);
	    end > value && isspace((unsigned char)end[-1]); end--)
		;
	*end = 0;
	conf_entry_set(conf_file, name, value, line);
	return 0;
}

/*
 * conf_parse_stream - main.cf's logical lines (logical_line(3)). A syntax
 * error returns -1 with the reason in err, after releasing what it holds:
 * the caller closes the file before the fatal error.
 */
static int
conf_parse_stream(FILE *fp, VSTRING *err)
{
	LOGICAL_LINE *ll = logical_line_fdopen(fp, conf_file_path, CONF_LINE_MAX, 0);
	VSTRING	*logical = vstring_alloc(256);
	int	 lineno, rc;

	while ((rc = logical_line_read(ll, logical, &lineno, err)) > 0) {
		if (rc == LOGICAL_LINE_ORPHAN)
			msg_warn("%s, line %d: text starts with white space, "
			    "ignored", conf_file_path, lineno);
		else if (conf_parse_line(vstring_str(logical), lineno, err) < 0)
			break;
	}
	logical_line_close(ll);
	vstring_free(logical);
	return rc == 0 ? 0 : -1;
}

static void
conf_reset(void)
{
	if (conf_file)
		htable_free(conf_file, conf_entry_free);
	if (conf_over)
		htable_free(conf_over, conf_entry_free);
	conf_file = htable_create(128);
	conf_over = htable_create(16);
	conf_cache_retire();
}

/* Where proxy: tables send their lookups (dict_proxy.c asks lazily). */
static const char *
mail_conf_proxy_socket(void)
{
	static VSTRING *path;

	if (path == NULL)
		path = vstring_alloc(64);
	vstring_sprintf(path, "%s/private/proxymap", conf_str("queue_directory"));
	return vstring_str(path);
}

/* Where modules (tls.so, dict_TYPE.so) are: with the daemons. */
static const char *
mail_conf_module_dir(void)
{
	return conf_str("daemon_directory");
}

void
mail_conf_read_flags(const char *config_dir, int flags)
{
	FILE	*fp;
	VSTRING	*err;
	char	 text[4096];

	conf_reset();
	dict_proxy_socket_hook(mail_conf_proxy_socket);
	module_dir_hook(mail_conf_module_dir);
	if (config_dir == NULL || *config_dir == 0)
		config_dir = getenv("MAIL_CONFIG");
	if (config_dir == NULL || *config_dir == 0)
		config_dir = conf_param_find("config_directory")->defval;
	if (conf_dir_path != NULL) {		/* callers may hold these */
		conf_retire(conf_dir_path);
		conf_retire(conf_file_path);
	}
	conf_file_path = mymalloc(strlen(config_dir) + sizeof("/main.cf"));
	strcpy(conf_file_path, config_dir);
	strcat(conf_file_path, "/main.cf");
	conf_dir_path = mystrdup(config_dir);
	if (flags & MAIL_CONF_NOFILE)
		return;
	if ((fp = fopen(conf_file_path, "re")) == NULL) {
		if (errno == ENOENT && (flags & MAIL_CONF_OPTIONAL))
			return;
		msg_fatal("open %s: %m", conf_file_path);
	}
	err = vstring_alloc(100);
	if (conf_parse_stream(fp, err) < 0) {
		fclose(fp);
		snprintf(text, sizeof(text), "%s", vstring_str(err));
		vstring_free(err);
		msg_fatal("%s", text);
	}
	vstring_free(err);
	fclose(fp);
	if (conf_warn_unknown)
		conf_warn_unknowns();
}

void
mail_conf_read(const char *config_dir)
{
	mail_conf_read_flags(config_dir, 0);
}

const char *
mail_conf_dir(void)
{
	if (conf_dir_path == NULL)
		return conf_param_find("config_directory")->defval;
	return conf_dir_path;
}

const char *
mail_conf_path(void)
{
	return conf_file_path ? conf_file_path : "main.cf";
}

void
mail_conf_unknown_warnings(int on)
{
	conf_warn_unknown = on;
}

void
mail_conf_override(const char *name, const char *value)
{
	if (conf_over == NULL)
		conf_reset();
	if (!conf_valid_name(name))
		msg_fatal("-o %s=%s: bad parameter name", name, value);
	conf_entry_set(conf_over, name, value, 0);
	conf_cache_retire();
}

int
mail_conf_override_arg(const char *arg)
{
	const char *eq;
	char	*name;
	size_t	n;

	if ((eq = strchr(arg, '=')) == NULL)
		return -1;
	for (n = eq - arg; n > 0 && isspace((unsigned char)arg[n - 1]); n--)
		;
	name = mystrndup(arg, n);
	while (name[0] && isspace((unsigned char)name[0]))
		memmove(name, name + 1, strlen(name));
	for (eq++; isspace((unsigned char)*eq); eq++)
		;
	if (!conf_valid_name(name)) {
		myfree(name);
		return -1;
	}
	mail_conf_override(name, eq);
	myfree(name);
	return 0;
}

static int
conf_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

ARGV *
mail_conf_file_names(void)
{
	ARGV	*names = argv_alloc(64);
	HTABLE_INFO **list, **ht;

	if (conf_file == NULL)
		return names;
	list = htable_list(conf_file);
	for (ht = list; *ht; ht++)
		argv_add(names, (*ht)->key);
	myfree(list);
	qsort(names->argv, names->argc, sizeof(char *), conf_name_cmp);
	return names;
}

/* conf_validate_one - expand and type-check one table parameter. */
/* conf_validate_files - can the "/file/name" elements be read? */
static int
conf_validate_files(const CONF_PARAM *p, const char *value, VSTRING *why)
{
	VSTRING	*tmp;
	ARGV	*list;
	int	 ret;

	if (!conf_file_param(p->name) || strchr(value, '/') == NULL)
		return 0;
	if (p->type == CONF_STR) {
		if (*value != '/')
			return 0;
		tmp = vstring_alloc(64);
		ret = conf_file_first(value, tmp, why);
		vstring_free(tmp);
		return ret;
	}
	list = argv_alloc(8);
	ret = conf_list_expand(value, list, why);
	argv_free(list);
	return ret;
}

static int
conf_validate_one(const CONF_PARAM *p, VSTRING *errors, VSTRING *val,
    VSTRING *why, VSTRING *where)
{
	if (conf_raw(p->name, NULL) == NULL)
		return 0;
	if (conf_expand_param(val, p->name, why) < 0 ||
	    conf_check_value(p, vstring_str(val), why) < 0 ||
	    conf_validate_files(p, vstring_str(val), why) < 0) {
		vstring_sprintf_append(errors, "%s: parameter %s: %s\n",
		    conf_where(p->name, where), p->name, vstring_str(why));
		return 1;
	}
	return 0;
}

/* conf_validate_transports - <transport>_xxx names take their base type. */
static int
conf_validate_transports(VSTRING *errors, VSTRING *val, VSTRING *why,
    VSTRING *where)
{
	HTABLE_INFO **list, **ht;
	const CONF_PARAM *base;
	const char *suffix;
	CONF_PARAM tp;
	int	count = 0, pass;

	for (pass = 0; pass < 2; pass++) {
		list = htable_list(pass ? conf_over : conf_file);
		for (ht = list; *ht; ht++) {
			if (conf_param_find((*ht)->key) != NULL ||
			    (pass == 0 && htable_locate(conf_over, (*ht)->key)) ||
			    (suffix = mail_params_transport_suffix((*ht)->key)) == NULL ||
			    (base = conf_param_find(suffix)) == NULL)
				continue;
			tp = *base;
			tp.name = (*ht)->key;
			count += conf_validate_one(&tp, errors, val, why, where);
		}
		myfree(list);
	}
	return count;
}

int
mail_conf_validate(VSTRING *errors)
{
	VSTRING	*val = vstring_alloc(64), *why = vstring_alloc(64);
	VSTRING	*where = vstring_alloc(64);
	const CONF_PARAM *p;
	int	count = 0;

	if (conf_file == NULL)
		conf_reset();
	for (p = conf_param_table; p->name; p++)
		count += conf_validate_one(p, errors, val, why, where);
	count += conf_validate_transports(errors, val, why, where);
	vstring_free(val);
	vstring_free(why);
	vstring_free(where);
	return count;
}

void
mail_conf_check(void)
{
	VSTRING	*errors = vstring_alloc(256);
	char	*nl;

	if (mail_conf_validate(errors) == 0) {
		vstring_free(errors);
		return;
	}
	if ((nl = strchr(vstring_str(errors), '\n')) != NULL)
		*nl = 0;
	msg_fatal("%s", vstring_str(errors));
}
