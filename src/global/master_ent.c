/*
 * NAME
 *	master_ent - master.cf entries
 * SYNOPSIS
 *	#include <master_ent.h>
 *
 *	MASTER_TABLE *master_ent_load(const char *path, VSTRING *why);
 *	void master_ent_table_free(MASTER_TABLE *table);
 *	const MASTER_ENT *master_ent_find(const MASTER_TABLE *table,
 *	    const char *service, int type);
 *	MASTER_ENT *master_ent_parse(const char *line, const char *file,
 *	    int lineno, VSTRING *why);
 *	void master_ent_free(MASTER_ENT *ent);
 *	char *master_ent_format(const MASTER_ENT *ent);
 * DESCRIPTION
 *	master.cf has Postfix's syntax: one service per logical line, a line
 *	that starts with white space continues the previous one, lines whose
 *	first non-blank character is '#' are comments, blank lines are
 *	ignored (logical_line(3) reads the lines). The columns are service, type (inet, unix, unix-dgram, fifo,
 *	pass), private, unpriv, chroot (y, n, or '-' for the default y, y,
 *	n), wakeup (seconds, '?' appended: only while the service is in
 *	use; '-' or 0: none), maxproc ('-': default_process_limit, 0: no
 *	limit), then the command and its arguments. An argument of the form
 *	"{ text }" may contain white space; the braces and the white space
 *	next to them are removed. "-o name=value", "-oname=value" and
 *	"-o { name = value }" are parameter overrides, collected in order
 *	in the overrides list as "name=value"; other arguments stay in args.
 *
 *	An inet service is "port", "host:port", "[addr]:port" or "*:port",
 *	where port is a number or a name from /etc/services (smtp, submission,
 *	smtps and lmtp are known without it); inet services cannot be
 *	private. Other service names are file names in the public/ or
 *	private/ directory: letters, digits, '.', '-' and '_'.
 *	A service may appear once per type.
 *
 *	master_ent_load() reads a whole file (null: master.cf in the
 *	configuration directory). master_ent_format() returns the entry as
 *	one normalized line, as "postern config -M" prints it.
 * DIAGNOSTICS
 *	The parse and load functions return a null pointer and "file, line
 *	N: reason" in why for any invalid entry: a bad or missing column,
 *	bad override, duplicate service, a line that cannot be read.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "logical_line.h"
#include "mail_conf.h"
#include "master_ent.h"
#include "msg.h"
#include "mymalloc.h"
#include "sock_addr.h"
#include "vstring.h"

#define MASTER_LINE_MAX		(1024 * 1024)
#define MASTER_ARGS_MAX		1000
#define MASTER_NAME_MAX		100

static const struct {
	const char *name;
	int	 type;
} master_ent_types[] = {
	{ "inet", MASTER_ENT_INET },
	{ "unix", MASTER_ENT_UNIX },
	{ "unix-dgram", MASTER_ENT_UNIX_DGRAM },
	{ "fifo", MASTER_ENT_FIFO },
	{ "pass", MASTER_ENT_PASS },
};

/* master_ent_tokens - split at white space, keeping "{ ... }" whole. */
static int
master_ent_tokens(const char *line, ARGV *tok, VSTRING *why)
{
	const char *cp = line, *start;
	int	depth;

	while (*cp) {
		while (isspace((unsigned char)*cp))
			cp++;
		if (*cp == 0)
			break;
		start = cp;
		if (*cp == '{') {
			for (depth = 0; *cp; cp++) {
				if (*cp == '{')
					depth++;
				else if (*cp == '}' && --depth == 0)
					break;
			}
			if (*cp != '}') {
				vstring_sprintf(why, "missing '}' in \"%.100s\"",
				    start);
				return -1;
			}
			cp++;
		} else {
			while (*cp && !isspace((unsigned char)*cp))
				cp++;
		}
		if (tok->argc >= MASTER_ARGS_MAX) {
			vstring_sprintf(why, "more than %d arguments",
			    MASTER_ARGS_MAX);
			return -1;
		}
		argv_addn(tok, start, cp - start);
	}
	return 0;
}

/* master_ent_unbrace - "{ text }" -> "text", in place. */
static char *
master_ent_unbrace(char *arg)
{
	char	*cp, *end;

	if (arg[0] != '{')
		return arg;
	end = arg + strlen(arg) - 1;
	*end = 0;
	for (cp = arg + 1; isspace((unsigned char)*cp); cp++)
		;
	while (end > cp && isspace((unsigned char)end[-1]))
		*--end = 0;
	return memmove(arg, cp, strlen(cp) + 1);
}

static int
master_ent_yn(const char *col, const char *val, int def, int *out,
    VSTRING *why)
{
	if (strcmp(val, "-") == 0)
		*out = def;
	else if (strcmp(val, "y") == 0)
		*out = 1;
	else if (strcmp(val, "n") == 0)
		*out = 0;
	else {
		vstring_sprintf(why, "bad %s column \"%s\" (use y, n or -)",
		    col, val);
		return -1;
	}
	return 0;
}

static int
master_ent_number(const char *col, const char *val, int *out, VSTRING *why)
{
	long long n;

	if (!isdigit((unsigned char)*val) || conf_parse_int(val, &n) < 0 ||
	    n > 1000000000) {
		vstring_sprintf(why, "bad %s column \"%s\"", col, val);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int
master_ent_port(MASTER_ENT *ent, const char *port, VSTRING *why)
{
	static const struct {
		const char *name, *num;
	} known[] = {
		{ "smtp", "25" }, { "submission", "587" }, { "smtps", "465" },
		{ "submissions", "465" }, { "lmtp", "24" },
	};
	struct servent *sp;
	long long n;
	char	buf[16];
	size_t	i;

	if (isdigit((unsigned char)*port)) {
		if (conf_parse_int(port, &n) < 0 || n < 1 || n > 65535)
			goto bad;
		ent->inet_port = mystrdup(port);
		return 0;
	}
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strcmp(port, known[i].name) == 0) {
			ent->inet_port = mystrdup(known[i].num);
			return 0;
		}
	}
	if (*port && (sp = getservbyname(port, "tcp")) != NULL) {
		snprintf(buf, sizeof(buf), "%d", ntohs(sp->s_port));
		ent->inet_port = mystrdup(buf);
		return 0;
	}
bad:
	vstring_sprintf(why, "bad port \"%s\" in inet service \"%s\"", port,
	    ent->service);
	return -1;
}

/*
 * master_ent_inet - "port", "host:port", "[address]:port", "*:port" or
 * ":port" (all addresses) through sock_addr_split().
 */
static int
master_ent_inet(MASTER_ENT *ent, VSTRING *why)
{
	const char *svc = ent->service;
	VSTRING	*host, *port;
	int	 ret;

	if (*svc == ':' || strchr(svc, ':') == NULL)
		return master_ent_port(ent, svc + (*svc == ':'), why);
	host = vstring_alloc(32);
	port = vstring_alloc(8);
	if (sock_addr_split(svc, host, port, NULL, NULL) < 0
	    || vstring_len(port) == 0) {
		vstring_sprintf(why, "bad inet service \"%s\" (use "
		    "host:port or [address]:port)", svc);
		ret = -1;
	} else {
		if (strcmp(vstring_str(host), "*") != 0)
			ent->inet_host = mystrdup(vstring_str(host));
		ret = master_ent_port(ent, vstring_str(port), why);
	}
	vstring_free(host);
	vstring_free(port);
	return ret;
}

/* master_ent_service - validate column 1 for the type. */
static int
master_ent_service(MASTER_ENT *ent, VSTRING *why)
{
	const char *svc = ent->service, *cp;

	if (ent->type == MASTER_ENT_INET)
		return master_ent_inet(ent, why);
	for (cp = svc; *cp; cp++)
		if (!isalnum((unsigned char)*cp) && !strchr("._-", *cp))
			break;
	if (*cp || *svc == '.' || *svc == 0 || strlen(svc) > MASTER_NAME_MAX) {
		vstring_sprintf(why, "bad %s service name \"%s\" (letters, "
		    "digits, '.', '-', '_')", ent->type_name, svc);
		return -1;
	}
	return 0;
}

static int
master_ent_type(MASTER_ENT *ent, const char *type, VSTRING *why)
{
	size_t	i;

	for (i = 0; i < sizeof(master_ent_types) / sizeof(master_ent_types[0]); i++) {
		if (strcmp(type, master_ent_types[i].name) == 0) {
			ent->type = master_ent_types[i].type;
			ent->type_name = master_ent_types[i].name;
			return 0;
		}
	}
	vstring_sprintf(why, "bad service type \"%s\" (use inet, unix, "
	    "unix-dgram, fifo or pass)", type);
	return -1;
}

/* master_ent_override - store one "-o" value as "name=value". */
static int
master_ent_override(MASTER_ENT *ent, const char *arg, VSTRING *why)
{
	const char *eq = strchr(arg, '=');
	const char *val;
	size_t	n;
	char	*name;
	int	ok;

	if (eq == NULL) {
		vstring_sprintf(why, "-o \"%s\": missing '='", arg);
		return -1;
	}
	for (n = eq - arg; n > 0 && isspace((unsigned char)arg[n - 1]); n--)
		;
	name = mystrndup(arg, n);
	for (val = eq + 1; isspace((unsigned char)*val); val++)
		;
	if ((ok = conf_valid_name(name)) != 0) {
		vstring_sprintf(why, "%s=%s", name, val);
		argv_add(ent->overrides, vstring_str(why));
		vstring_reset(why);
	} else
		vstring_sprintf(why, "-o \"%s\": bad parameter name", arg);
	myfree(name);
	return ok ? 0 : -1;
}

/* master_ent_command - command, -o overrides and other arguments. */
static int
master_ent_command(MASTER_ENT *ent, ARGV *tok, VSTRING *why)
{
	size_t	i;
	char	*arg;

	ent->command = mystrdup(master_ent_unbrace(tok->argv[7]));
	if (*ent->command == 0 || strchr(ent->command, '/') != NULL) {
		vstring_sprintf(why, "bad command \"%s\" (a program name in "
		    "daemon_directory)", ent->command);
		return -1;
	}
	for (i = 8; i < tok->argc; i++) {
		arg = tok->argv[i];
		if (strcmp(arg, "-o") == 0) {
			if (++i >= tok->argc) {
				vstring_sprintf(why, "-o without a value");
				return -1;
			}
			if (master_ent_override(ent,
			    master_ent_unbrace(tok->argv[i]), why) < 0)
				return -1;
		} else if (strncmp(arg, "-o", 2) == 0) {
			if (master_ent_override(ent, arg + 2, why) < 0)
				return -1;
		} else
			argv_add(ent->args, master_ent_unbrace(arg));
	}
	return 0;
}

static int
master_ent_columns(MASTER_ENT *ent, VSTRING *why)
{
	char	**col = ent->columns, *q;

	if (master_ent_type(ent, col[1], why) < 0 ||
	    master_ent_service(ent, why) < 0 ||
	    master_ent_yn("private", col[2], 1, &ent->private, why) < 0 ||
	    master_ent_yn("unpriv", col[3], 1, &ent->unpriv, why) < 0 ||
	    master_ent_yn("chroot", col[4], 0, &ent->chroot, why) < 0)
		return -1;
	if (ent->type == MASTER_ENT_INET && strcmp(col[2], "-") == 0)
		ent->private = 0;
	if (ent->type == MASTER_ENT_INET && ent->private) {
		vstring_sprintf(why, "inet service cannot be private");
		return -1;
	}
	if (strcmp(col[5], "-") != 0) {
		q = col[5] + strlen(col[5]) - 1;
		ent->wakeup_if_used = (*q == '?');
		if (ent->wakeup_if_used)
			*q = 0;
		if (master_ent_number("wakeup", col[5], &ent->wakeup, why) < 0)
			return -1;
		if (ent->wakeup_if_used)
			*q = '?';
	}
	if (strcmp(col[6], "-") == 0) {
		ent->maxproc_default = 1;
		ent->maxproc = (int)conf_int("default_process_limit");
	} else if (master_ent_number("maxproc", col[6], &ent->maxproc, why) < 0)
		return -1;
	return 0;
}

MASTER_ENT *
master_ent_parse(const char *line, const char *file, int lineno, VSTRING *why)
{
	MASTER_ENT *ent = mycalloc(1, sizeof(*ent));
	ARGV	*tok = argv_alloc(16);
	VSTRING	*reason = vstring_alloc(64);
	int	i;

	ent->file = mystrdup(file ? file : "master.cf");
	ent->line = lineno;
	ent->args = argv_alloc(4);
	ent->overrides = argv_alloc(4);
	if (master_ent_tokens(line, tok, reason) < 0)
		goto fail;
	if (tok->argc < 8) {
		vstring_sprintf(reason, "%s: need 8 columns (service type "
		    "private unpriv chroot wakeup maxproc command)",
		    tok->argc ? tok->argv[0] : "entry");
		goto fail;
	}
	for (i = 0; i < 7; i++)
		ent->columns[i] = mystrdup(tok->argv[i]);
	ent->service = mystrdup(tok->argv[0]);
	if (master_ent_columns(ent, reason) < 0 ||
	    master_ent_command(ent, tok, reason) < 0)
		goto fail;
	argv_free(tok);
	vstring_free(reason);
	return ent;
fail:
	vstring_sprintf(why, "%s, line %d: %s", ent->file, lineno,
	    vstring_str(reason));
	argv_free(tok);
	vstring_free(reason);
	master_ent_free(ent);
	return NULL;
}

void
master_ent_free(MASTER_ENT *ent)
{
	int	i;

	if (ent == NULL)
		return;
	for (i = 0; i < 7; i++)
		myfree(ent->columns[i]);
	myfree(ent->service);
	myfree(ent->inet_host);
	myfree(ent->inet_port);
	myfree(ent->command);
	argv_free(ent->args);
	argv_free(ent->overrides);
	myfree(ent->file);
	myfree(ent);
}

void
master_ent_table_free(MASTER_TABLE *table)
{
	size_t	i;

	if (table == NULL)
		return;
	for (i = 0; i < table->count; i++)
		master_ent_free(table->ent[i]);
	myfree(table->ent);
	myfree(table);
}

const MASTER_ENT *
master_ent_find(const MASTER_TABLE *table, const char *service, int type)
{
	size_t	i;

	for (i = 0; i < table->count; i++)
		if (table->ent[i]->type == type &&
		    strcmp(table->ent[i]->service, service) == 0)
			return table->ent[i];
	return NULL;
}

/* master_ent_add - append a parsed entry; reject duplicates. */
static int
master_ent_add(MASTER_TABLE *table, const char *text, const char *path,
    int line, VSTRING *why)
{
	MASTER_ENT *ent;
	const MASTER_ENT *old;

	if ((ent = master_ent_parse(text, path, line, why)) == NULL)
		return -1;
	if ((old = master_ent_find(table, ent->service, ent->type)) != NULL) {
		vstring_sprintf(why, "%s, line %d: duplicate %s service \"%s\" "
		    "(first at line %d)", path, line, ent->type_name,
		    ent->service, old->line);
		master_ent_free(ent);
		return -1;
	}
	table->ent = myrealloc(table->ent, (table->count + 1) * sizeof(*table->ent));
	table->ent[table->count++] = ent;
	return 0;
}

/* master_ent_lines - master.cf's logical lines (logical_line(3)). */
static int
master_ent_lines(MASTER_TABLE *table, FILE *fp, const char *path,
    VSTRING *why)
{
	LOGICAL_LINE *ll = logical_line_fdopen(fp, path, MASTER_LINE_MAX, 0);
	VSTRING	*logical = vstring_alloc(256);
	int	 lineno, rc;

	while ((rc = logical_line_read(ll, logical, &lineno, why)) > 0) {
		if (rc == LOGICAL_LINE_ORPHAN) {
			vstring_sprintf(why, "%s, line %d: text starts with "
			    "white space", path, lineno);
			rc = -1;
			break;
		}
		if (master_ent_add(table, vstring_str(logical), path, lineno,
		    why) < 0) {
			rc = -1;
			break;
		}
	}
	logical_line_close(ll);
	vstring_free(logical);
	return rc;
}

MASTER_TABLE *
master_ent_load(const char *path, VSTRING *why)
{
	MASTER_TABLE *table;
	VSTRING	*def = NULL;
	FILE	*fp;
	int	rc;

	if (path == NULL) {
		def = vstring_alloc(64);
		vstring_sprintf(def, "%s/master.cf", mail_conf_dir());
		path = vstring_str(def);
	}
	if ((fp = fopen(path, "re")) == NULL) {
		vstring_sprintf(why, "open %s: %s", path, strerror(errno));
		vstring_free(def);
		return NULL;
	}
	table = mycalloc(1, sizeof(*table));
	rc = master_ent_lines(table, fp, path, why);
	fclose(fp);
	vstring_free(def);
	if (rc < 0) {
		master_ent_table_free(table);
		return NULL;
	}
	return table;
}

/*
 * master_ent_quote - an argument as master.cf needs it written: in braces
 * when it is empty, holds white space, starts with a brace, or would read
 * back as a "-o" override (a brace inside a word is plain text).
 */
static void
master_ent_quote(VSTRING *out, const char *arg)
{
	const char *cp;

	/*
	 * Only white space or a leading "{" needs "{ ... }" (Postfix's rule):
	 * "${recipient}" and "user=${user}" stay as written.
	 */
	for (cp = arg; *cp; cp++)
		if (isspace((unsigned char)*cp))
			break;
	if (*arg && *cp == 0 && *arg != '{' && strncmp(arg, "-o", 2) != 0)
		vstring_strcat(out, arg);
	else
		vstring_sprintf_append(out, "{ %s }", arg);
}

char *
master_ent_format(const MASTER_ENT *ent)
{
	VSTRING	*out = vstring_alloc(128);
	const char *eq;
	size_t	i;

	vstring_sprintf(out, "%-10s %-5s %-7s %-7s %-7s %-7s %-7s ",
	    ent->columns[0], ent->columns[1], ent->columns[2],
	    ent->columns[3], ent->columns[4], ent->columns[5],
	    ent->columns[6]);
	master_ent_quote(out, ent->command);
	for (i = 0; i < ent->overrides->argc; i++) {
		vstring_strcat(out, " -o ");
		eq = strchr(ent->overrides->argv[i], '=');
		if (strpbrk(eq + 1, " \t\r\n\v\f{}") != NULL)
			vstring_sprintf_append(out, "{ %.*s = %s }",
			    (int)(eq - ent->overrides->argv[i]),
			    ent->overrides->argv[i], eq + 1);
		else
			vstring_strcat(out, ent->overrides->argv[i]);
	}
	for (i = 0; i < ent->args->argc; i++) {
		vstring_addch(out, ' ');
		master_ent_quote(out, ent->args->argv[i]);
	}
	return vstring_export(out);
}
