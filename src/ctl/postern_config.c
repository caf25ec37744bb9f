/*
 * NAME
 *	postern_config - show and edit main.cf, show master.cf
 * SYNOPSIS
 *	postern config [-c dir] [-dhnUx] [name...]
 *	postern config [-c dir] -e name=value...
 *	postern config [-c dir] -X name...
 *	postern config [-c dir] -# name...
 *	postern config [-c dir] [-h] -M [service[/type]...]
 *	postern config [-c dir] -b [template_file]
 *	postern config -m
 * DESCRIPTION
 *	As Postfix's postconf. Without options: every parameter in effect,
 *	"name = value", sorted by name, values as written (not expanded):
 *	the table parameters and whatever else main.cf sets. -n: only those
 *	set in main.cf. -d: the defaults (main.cf is not read). -x: expand
 *	$name references. -h: values only. -U: only the parameters that
 *	are accepted for compatibility but not implemented (no program reads
 *	them); with -n, those of them that main.cf sets. Names given as
 *	arguments select parameters; a name that is neither known nor set
 *	is an error.
 *
 *	-e name=value... edits main.cf in place: the entry in effect (the
 *	last one, with its continuation lines) is replaced, a new name is
 *	appended; comments and all other lines are kept. A value for a
 *	known parameter that contains no $name is validated first. -X
 *	removes every entry of the names; -# comments them out. Edits are
 *	atomic: a temporary file in the same directory, fsync, rename.
 *
 *	-m lists the lookup table types this installation can use, one a
 *	line, sorted (as postconf -m): the built-in ones and the modules
 *	(dict_TYPE.so) found in daemon_directory.
 *
 *	-M prints master.cf entries, one normalized line each, optionally
 *	only the named services ("smtp" or "smtp/inet").
 *
 *	-b previews a bounce template file (bounce_template(3); the file
 *	given, else bounce_template_file) as Postfix's postconf -b does:
 *	each template the file defines, its text with $names expanded, as
 *	"expanded_failure_text = <<EOF ... EOF".
 * DIAGNOSTICS
 *	Exit status 1 on an unknown name, an invalid value, an unreadable or
 *	invalid file; 64 on a usage error.
 */
#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "bounce_template.h"
#include "dict.h"
#include "mail_conf.h"
#include "master_ent.h"
#include "msg.h"
#include "mymalloc.h"
#include "postern.h"
#include "vstring.h"

#define CONFIG_SHOW_DEFAULTS	(1 << 0)	/* -d */
#define CONFIG_SHOW_SET		(1 << 1)	/* -n */
#define CONFIG_SHOW_EXPAND	(1 << 2)	/* -x */
#define CONFIG_SHOW_VALUES	(1 << 3)	/* -h */
#define CONFIG_SHOW_COMPAT	(1 << 4)	/* -U */

#define EDIT_SET	1
#define EDIT_REMOVE	2
#define EDIT_COMMENT	3

#define CONFIG_FILE_MAX	(16 * 1024 * 1024)

static int
config_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* config_all_names - table parameters and main.cf names, sorted, unique. */
static ARGV *
config_all_names(int flags)
{
	ARGV	*names = mail_conf_file_names(), *out = argv_alloc(1024);
	const CONF_PARAM *p;
	size_t	i;

	if (!(flags & CONFIG_SHOW_SET)) {
		if (flags & CONFIG_SHOW_DEFAULTS)
			argv_truncate(names, 0);
		for (p = conf_param_table; p->name; p++)
			argv_add(names, p->name);
	}
	qsort(names->argv, names->argc, sizeof(char *), config_name_cmp);
	for (i = 0; i < names->argc; i++)
		if ((i == 0 || strcmp(names->argv[i], names->argv[i - 1]) != 0) &&
		    (!(flags & CONFIG_SHOW_COMPAT) ||
		    conf_param_compat(names->argv[i])))
			argv_add(out, names->argv[i]);
	argv_free(names);
	return out;
}

static int
config_show_one(const char *name, int flags, VSTRING *buf, VSTRING *why)
{
	const char *val;

	if (flags & CONFIG_SHOW_DEFAULTS)
		val = conf_default(name);
	else
		val = conf_raw(name, NULL);
	if (val == NULL) {
		msg_warn("%s: unknown parameter", name);
		return -1;
	}
	if (flags & CONFIG_SHOW_EXPAND) {
		if (conf_expand_to(buf, val, why) < 0) {
			msg_warn("%s: %s", name, vstring_str(why));
			return -1;
		}
		val = vstring_str(buf);
	}
	if (flags & CONFIG_SHOW_VALUES)
		printf("%s\n", val);
	else
		printf("%s = %s\n", name, val);
	return 0;
}

static int
config_show(int flags, int argc, char **argv)
{
	VSTRING	*buf = vstring_alloc(256), *why = vstring_alloc(64);
	ARGV	*names;
	size_t	i;
	int	status = 0;

	if (argc > 0) {
		names = argv_alloc(argc);
		for (i = 0; i < (size_t)argc; i++)
			argv_add(names, argv[i]);
	} else
		names = config_all_names(flags);
	for (i = 0; i < names->argc; i++) {
		if ((flags & CONFIG_SHOW_COMPAT) && argc > 0 &&
		    !conf_param_compat(names->argv[i]))
			continue;
		if (config_show_one(names->argv[i], flags, buf, why) < 0)
			status = 1;
	}
	argv_free(names);
	vstring_free(buf);
	vstring_free(why);
	return postern_stdout_status(status);
}

/* config_master - -M: master.cf entries, all or those named. */
static int
config_master(int argc, char **argv)
{
	VSTRING	*why = vstring_alloc(64);
	MASTER_TABLE *table;
	const char *slash;
	char	*line;
	size_t	i, n;
	int	j, status = 0, hit;

	if ((table = master_ent_load(NULL, why)) == NULL) {
		msg_warn("%s", vstring_str(why));
		vstring_free(why);
		return 1;
	}
	for (j = 0; j < (argc > 0 ? argc : 1); j++) {
		for (hit = 0, i = 0; i < table->count; i++) {
			if (argc > 0) {
				slash = strchr(argv[j], '/');
				n = slash ? (size_t)(slash - argv[j]) : strlen(argv[j]);
				if (strlen(table->ent[i]->service) != n ||
				    strncmp(table->ent[i]->service, argv[j], n) != 0 ||
				    (slash && strcmp(slash + 1, table->ent[i]->type_name)))
					continue;
			}
			line = master_ent_format(table->ent[i]);
			printf("%s\n", line);
			myfree(line);
			hit = 1;
		}
		if (argc > 0 && !hit) {
			msg_warn("%s: no such service in master.cf", argv[j]);
			status = 1;
		}
	}
	master_ent_table_free(table);
	vstring_free(why);
	return status;
}

/* config_bounce - -b: the templates of a bounce template file, expanded. */
static int
config_bounce(int argc, char **argv)
{
	const char *path = argc > 0 ? argv[0] : conf_str("bounce_template_file");
	VSTRING	*why = vstring_alloc(64), *out = vstring_alloc(256);
	BOUNCE_TEMPLATES *tp;
	const BOUNCE_TEMPLATE *t;
	const char *name;
	int	 i, status = 0;

	if (path == NULL || *path == 0) {
		fprintf(stderr, "%s: bounce_template_file is not set: the "
		    "built-in texts are used\n", postern_progname());
		goto done;
	}
	if ((tp = bounce_template_load(path, why)) == NULL) {
		msg_warn("%s", vstring_str(why));
		status = 1;
		goto done;
	}
	for (i = 0; i < BOUNCE_TMPL_COUNT; i++) {
		if ((t = bounce_template_get(tp, i)) == NULL)
			continue;
		if (bounce_template_expand(out, t->text, why) < 0) {
			msg_warn("%s: %s: %s", path, bounce_template_names[i],
			    vstring_str(why));
			status = 1;
			continue;
		}
		name = bounce_template_names[i];
		printf("expanded_%.*s_text = <<EOF\n%sEOF\n\n",
		    (int)(strchr(name, '_') - name), name, vstring_str(out));
	}
	bounce_template_free(tp);
done:
	vstring_free(why);
	vstring_free(out);
	return postern_stdout_status(status);
}

/* config_read_lines - main.cf as physical lines (missing: none). */
static ARGV *
config_read_lines(const char *path, struct stat *st)
{
	ARGV	*lines = argv_alloc(64);
	FILE	*fp;
	char	*buf = NULL;
	size_t	bufsize = 0, total = 0;
	ssize_t	n;

	if ((fp = fopen(path, "re")) == NULL) {
		if (errno != ENOENT)
			msg_fatal("open %s: %m", path);
		st->st_mode = 0644;
		st->st_uid = (uid_t)-1;
		return lines;
	}
	if (fstat(fileno(fp), st) < 0)
		msg_fatal("fstat %s: %m", path);
	while ((n = getline(&buf, &bufsize, fp)) >= 0) {
		if ((total += n) > CONFIG_FILE_MAX)
			msg_fatal("%s: file too large", path);
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			buf[--n] = 0;
		argv_addn(lines, buf, n);
	}
	if (ferror(fp))
		msg_fatal("read %s: %m", path);
	free(buf);
	fclose(fp);
	return lines;
}

/* config_entry_name - the parameter an entry line sets, or null. */
static char *
config_entry_name(const char *line)
{
	size_t	n;

	if (*line == 0 || *line == '#' || isspace((unsigned char)*line))
		return NULL;
	for (n = 0; line[n] && line[n] != '=' && !isspace((unsigned char)line[n]); n++)
		;
	return mystrndup(line, n);
}

/* config_span_end - the line after an entry and its continuation lines. */
static size_t
config_span_end(const ARGV *lines, size_t start)
{
	size_t	i, j;

	for (i = start + 1; i < lines->argc; i++) {
		if (!isspace((unsigned char)lines->argv[i][0]))
			break;
		for (j = 0; isspace((unsigned char)lines->argv[i][j]); j++)
			;
		if (lines->argv[i][j] == 0)
			break;
	}
	return i;
}

/* config_last_entry - start line of the last entry for name, or -1. */
static long
config_last_entry(const ARGV *lines, const char *name)
{
	long	found = -1;
	size_t	i;
	char	*n;

	for (i = 0; i < lines->argc; i++) {
		if ((n = config_entry_name(lines->argv[i])) == NULL)
			continue;
		if (strcmp(n, name) == 0)
			found = (long)i;
		myfree(n);
	}
	return found;
}

/* config_splice - replace lines [start, end) by text (null: nothing). */
static ARGV *
config_splice(ARGV *lines, size_t start, size_t end, const char *text,
    int comment)
{
	ARGV	*out = argv_alloc(lines->argc + 1);
	VSTRING	*buf = vstring_alloc(128);
	size_t	i;

	for (i = 0; i < lines->argc; i++) {
		if (i < start || i >= end) {
			argv_add(out, lines->argv[i]);
		} else if (comment) {
			vstring_sprintf(buf, "#%s", lines->argv[i]);
			argv_add(out, vstring_str(buf));
		} else if (i == start && text != NULL)
			argv_add(out, text);
	}
	vstring_free(buf);
	argv_free(lines);
	return out;
}

/* config_write - replace path atomically with lines. */
static int
config_write(const char *path, const ARGV *lines, const struct stat *st)
{
	VSTRING	*tmp = vstring_alloc(128);
	FILE	*fp;
	size_t	i;
	int	fd;
	char	*dir, *slash;

	vstring_sprintf(tmp, "%s.tmpXXXXXX", path);
	if ((fd = mkstemp(vstring_str(tmp))) < 0) {
		msg_warn("create %s: %m", vstring_str(tmp));
		goto fail;
	}
	(void)fchmod(fd, st->st_mode & 07777);
	if (st->st_uid != (uid_t)-1 && geteuid() == 0)
		(void)fchown(fd, st->st_uid, st->st_gid);
	if ((fp = fdopen(fd, "w")) == NULL)
		msg_fatal("fdopen: %m");
	for (i = 0; i < lines->argc; i++)
		fprintf(fp, "%s\n", lines->argv[i]);
	if (fflush(fp) != 0 || fsync(fileno(fp)) < 0 || ferror(fp)) {
		msg_warn("write %s: %m", vstring_str(tmp));
		fclose(fp);
		goto unlink;
	}
	fclose(fp);
	if (rename(vstring_str(tmp), path) < 0) {
		msg_warn("rename %s to %s: %m", vstring_str(tmp), path);
		goto unlink;
	}
	dir = mystrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = 0;
		if ((fd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY)) >= 0) {
			(void)fsync(fd);
			close(fd);
		}
	}
	myfree(dir);
	vstring_free(tmp);
	return 0;
unlink:
	(void)unlink(vstring_str(tmp));
fail:
	vstring_free(tmp);
	return -1;
}

/* config_check_setting - split "name=value" and validate what we can. */
static int
config_check_setting(const char *arg, VSTRING *name, VSTRING *value)
{
	const CONF_PARAM *p;
	const char *eq = strchr(arg, '=');
	VSTRING	*why;
	int	rc = 0;

	if (eq == NULL) {
		msg_warn("%s: missing '=' (use name=value)", arg);
		return -1;
	}
	vstring_memcpy(name, arg, eq - arg);
	vstring_trim(name);
	vstring_strcpy(value, eq + 1);
	vstring_trim(value);
	if (!conf_valid_name(vstring_str(name))) {
		msg_warn("%s: bad parameter name", arg);
		return -1;
	}
	if (strchr(vstring_str(value), '\n') != NULL) {
		msg_warn("%s: value contains a newline", vstring_str(name));
		return -1;
	}
	if ((p = conf_param_find(vstring_str(name))) != NULL &&
	    strchr(vstring_str(value), '$') == NULL) {
		why = vstring_alloc(64);
		if ((rc = conf_check_value(p, vstring_str(value), why)) < 0)
			msg_warn("%s: %s", vstring_str(name), vstring_str(why));
		vstring_free(why);
	}
	return rc;
}

static ARGV *
config_apply(ARGV *lines, int mode, const char *arg, VSTRING *name,
    VSTRING *value)
{
	VSTRING	*text = vstring_alloc(128);
	long	idx;

	if (mode == EDIT_SET) {
		vstring_sprintf(text, "%s = %s", vstring_str(name),
		    vstring_str(value));
		if ((idx = config_last_entry(lines, vstring_str(name))) >= 0)
			lines = config_splice(lines, idx, config_span_end(lines, idx),
			    vstring_str(text), 0);
		else
			argv_add(lines, vstring_str(text));
	} else {
		while ((idx = config_last_entry(lines, arg)) >= 0)
			lines = config_splice(lines, idx, config_span_end(lines, idx),
			    NULL, mode == EDIT_COMMENT);
	}
	vstring_free(text);
	return lines;
}

static int
config_edit(int mode, int argc, char **argv)
{
	VSTRING	*name = vstring_alloc(64), *value = vstring_alloc(64);
	const char *path = mail_conf_path();
	struct stat st;
	ARGV	*lines;
	int	i, status = 0;

	if (argc == 0) {
		msg_warn("no parameters to edit");
		return 64;
	}
	for (i = 0; i < argc; i++) {
		if (mode == EDIT_SET ? config_check_setting(argv[i], name, value) < 0
		    : !conf_valid_name(argv[i])) {
			if (mode != EDIT_SET)
				msg_warn("%s: bad parameter name", argv[i]);
			status = 1;
		}
	}
	if (status != 0)
		goto done;
	lines = config_read_lines(path, &st);
	for (i = 0; i < argc; i++) {
		if (mode == EDIT_SET)
			(void)config_check_setting(argv[i], name, value);
		lines = config_apply(lines, mode, argv[i], name, value);
	}
	if (config_write(path, lines, &st) < 0)
		status = 1;
	argv_free(lines);
done:
	vstring_free(name);
	vstring_free(value);
	return status;
}

/* -m: the lookup table types built in, sorted, one a line (postconf -m). */
static int
config_types(void)
{
	ARGV	*names = argv_alloc(16);
	const char *name;
	size_t	 i;
	int	 n;

	for (n = 0; (name = dict_type_name(n)) != NULL; n++)
		argv_add(names, name);
	qsort(names->argv, names->argc, sizeof(char *), config_name_cmp);
	for (i = 0; i < names->argc; i++)
		printf("%s\n", names->argv[i]);
	argv_free(names);
	return 0;
}

int
postern_config_main(int argc, char **argv)
{
	int	ch, flags = 0, edit = 0, master = 0, types = 0, bounce = 0;

	while ((ch = getopt(argc, argv, "bc:dehmMnUvxX#")) != -1) {
		switch (ch) {
		case 'b':
			bounce = 1;
			break;
		case 'm':
			types = 1;
			break;
		case 'c':
			postern_set_config(optarg);
			break;
		case 'd':
			flags |= CONFIG_SHOW_DEFAULTS;
			break;
		case 'e':
			edit = EDIT_SET;
			break;
		case 'X':
			edit = EDIT_REMOVE;
			break;
		case '#':
			edit = EDIT_COMMENT;
			break;
		case 'h':
			flags |= CONFIG_SHOW_VALUES;
			break;
		case 'M':
			master = 1;
			break;
		case 'n':
			flags |= CONFIG_SHOW_SET;
			break;
		case 'U':
			flags |= CONFIG_SHOW_COMPAT;
			break;
		case 'v':
			msg_verbose++;
			break;
		case 'x':
			flags |= CONFIG_SHOW_EXPAND;
			break;
		default:
			goto usage;
		}
	}
	if ((flags & CONFIG_SHOW_DEFAULTS) && (flags & CONFIG_SHOW_SET))
		goto usage;
	if ((edit && (master || flags)) || (master && (flags & ~CONFIG_SHOW_VALUES)))
		goto usage;
	if (types && (edit || master || flags))
		goto usage;
	if (bounce && (types || edit || master || flags))
		goto usage;
	argc -= optind;
	argv += optind;
	if (edit)
		mail_conf_unknown_warnings(0);
	mail_conf_read_flags(NULL, (flags & CONFIG_SHOW_DEFAULTS) ?
	    MAIL_CONF_NOFILE : MAIL_CONF_OPTIONAL);
	if (types)
		return config_types();
	if (bounce && argc > 1)
		goto usage;
	if (bounce)
		return config_bounce(argc, argv);
	if (master)
		return config_master(argc, argv);
	if (edit)
		return config_edit(edit, argc, argv);
	return config_show(flags, argc, argv);
usage:
	fprintf(stderr, "usage: %s config [-c dir] [-dhnUx] [name...]\n"
	    "       %s config [-c dir] -e name=value...\n"
	    "       %s config [-c dir] -X|-# name...\n"
	    "       %s config [-c dir] [-h] -M [service[/type]...]\n"
	    "       %s config [-c dir] -b [template_file]\n"
	    "       %s config -m\n",
	    postern_progname(), postern_progname(), postern_progname(),
	    postern_progname(), postern_progname(), postern_progname());
	return 64;
}
