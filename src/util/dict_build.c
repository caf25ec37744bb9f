/*
 * NAME
 *	dict_build - build hash:/btree: tables from their text source
 * SYNOPSIS
 *	#include <dict_build.h>
 *
 *	int dict_build(const char *spec, const char *source, int flags,
 *		int how, VSTRING *why);
 *	int dict_load_file(DICT *dict, DICT_FILE *df, int how, VSTRING *why);
 *	int dict_split_alias(char *line, char **key, char **value);
 * DESCRIPTION
 *	dict_build() makes the database of spec ("hash:/etc/postern/access",
 *	file /etc/postern/access.db) from the text file source (the table
 *	name when source is null), atomically: it writes
 *	name.postern-tmp.PID.db, flushes and fsyncs it, gives it the owner of
 *	the source when running as root, renames it over name.db and fsyncs
 *	the directory. Readers see the old table or the new one, and running
 *	daemons pick the new one up by themselves (see dict.c). flags are
 *	dict_open() flags: DICT_FLAG_FOLD_KEY lowercases keys,
 *	DICT_FLAG_DUP_REPLACE lets a repeated key's last value win (the
 *	default keeps the first, as postmap does).
 *
 *	how selects the source format: DICT_BUILD_MAP, "key whitespace
 *	value" lines (postmap), or DICT_BUILD_ALIAS, "name: value" lines
 *	(aliases(5), for newaliases; a name with white space, "#", ":" or "@"
 *	may be quoted: "first last": flast). Comments and continuation lines
 *	as in dict_file.c. Add DICT_BUILD_QUIET to keep duplicates quiet.
 *
 *	dict_load_file() stores the lines of an open source in an open
 *	table (dict_build() and "postern map -i" use it).
 *
 *	dict_split_alias() cuts an aliases(5) line in place into name and
 *	value, unquoting a quoted name; -1 when there is no ":".
 * DIAGNOSTICS
 *	dict_build() and dict_load_file() return 0, or -1 with a reason
 *	in why (file:line for read errors). Lines without a value, keys
 *	longer than DICT_MAX_KEY and duplicate keys are logged with file:line
 *	and skipped. On failure the temporary file is removed and the old
 *	database stays in place.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "dict_build.h"
#include "msg.h"
#include "mymalloc.h"

int
dict_split_alias(char *line, char **key, char **value)
{
	char	*cp = line, *end;

	while (isspace((unsigned char)*cp))
		cp++;
	if (*cp == '"') {
		*key = ++cp;
		if ((end = strchr(cp, '"')) == NULL)
			return -1;
		*end = 0;
		cp = end + 1;
		while (isspace((unsigned char)*cp))
			cp++;
		if (*cp != ':')
			return -1;
	} else {
		*key = cp;
		if ((cp = strchr(cp, ':')) == NULL)
			return -1;
		for (end = cp; end > *key && isspace((unsigned char)end[-1]); end--)
			;
		*end = 0;
	}
	for (cp++; isspace((unsigned char)*cp); cp++)
		;
	*value = cp;
	return **key ? 0 : -1;
}

int
dict_load_file(DICT *dict, DICT_FILE *df, int how, VSTRING *why)
{
	VSTRING	*line = vstring_alloc(128);
	char	*key, *value;
	int	 rc, lineno;

	while ((rc = dict_file_read(df, line, &lineno, why)) > 0) {
		if ((how & 0xff) == DICT_BUILD_ALIAS
		    ? dict_split_alias(vstring_str(line), &key, &value) < 0
		    : dict_file_split(vstring_str(line), &key, &value) < 0
		    || *value == 0) {
			msg_warn("%s:%d: expected \"%s\"; line ignored", df->path,
			    lineno, (how & 0xff) == DICT_BUILD_ALIAS ?
			    "name: value" : "key whitespace value");
			continue;
		}
		if (strlen(key) > DICT_MAX_KEY) {
			msg_warn("%s:%d: key longer than %d bytes; line ignored",
			    df->path, lineno, DICT_MAX_KEY);
			continue;
		}
		if ((rc = dict_put(dict, key, value)) < 0) {
			vstring_sprintf(why, "%s: %s", dict->spec,
			    dict_error_text(dict));
			break;
		}
		if (rc == DICT_PUT_DUP && !(how & DICT_BUILD_QUIET))
			msg_warn("%s:%d: duplicate entry \"%s\" ignored",
			    df->path, lineno, key);
	}
	vstring_free(line);
	return rc < 0 ? -1 : 0;
}

/* fsync a file's directory so a rename in it is durable. */
static void
dict_build_sync_dir(const char *path)
{
	char	*dir = mystrdup(path), *slash;
	int	 fd;

	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = 0;
	else
		*slash = 0;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		(void)close(fd);
	}
	myfree(dir);
}

/* Write the new table under tmpspec; 0 or -1. */
static int
dict_build_tmp(const char *tmpspec, const char *source, int flags, int how,
    VSTRING *why)
{
	DICT_FILE *df;
	DICT	*dict;
	int	 rc = -1;

	if ((df = dict_file_open(source, why)) == NULL)
		return -1;
	if (!(flags & DICT_FLAG_DUP_REPLACE))
		flags |= DICT_FLAG_DUP_IGNORE;
	dict = dict_open(tmpspec, flags | DICT_FLAG_RDWR | DICT_FLAG_CREATE
	    | DICT_FLAG_TRUNC, why);
	if (dict != NULL) {
		rc = dict_load_file(dict, df, how, why);
		if (rc == 0 && (rc = dict_sync(dict)) < 0)
			vstring_sprintf(why, "%s: %s", dict->spec,
			    dict_error_text(dict));
		dict_close(dict);
	}
	dict_file_close(df);
	return rc;
}

int
dict_build(const char *spec, const char *source, int flags, int how,
    VSTRING *why)
{
	VSTRING	*tmpspec = vstring_alloc(128), *tmpdb = vstring_alloc(128);
	VSTRING	*db = vstring_alloc(128);
	const char *name;
	struct stat st;
	int	 rc = -1;

	while (strncmp(spec, "proxy:", 6) == 0)
		spec += 6;
	if ((name = strchr(spec, ':')) == NULL) {
		vstring_sprintf(why, "table \"%s\": need type:name", spec);
		goto out;
	}
	name++;
	source = source ? source : name;
	vstring_sprintf(tmpspec, "%s.postern-tmp.%ld", spec, (long)getpid());
	vstring_sprintf(tmpdb, "%s.postern-tmp.%ld.db", name, (long)getpid());
	vstring_sprintf(db, "%s.db", name);
	(void)unlink(vstring_str(tmpdb));
	if (dict_build_tmp(vstring_str(tmpspec), source, flags, how, why) < 0)
		goto out;
	if (geteuid() == 0 && stat(source, &st) == 0
	    && chown(vstring_str(tmpdb), st.st_uid, st.st_gid) < 0)
		msg_warn("chown %s: %s", vstring_str(tmpdb), strerror(errno));
	if (rename(vstring_str(tmpdb), vstring_str(db)) < 0) {
		vstring_sprintf(why, "rename %s to %s: %s", vstring_str(tmpdb),
		    vstring_str(db), strerror(errno));
		goto out;
	}
	dict_build_sync_dir(vstring_str(db));
	rc = 0;
out:
	if (rc < 0)
		(void)unlink(vstring_str(tmpdb));
	vstring_free(tmpspec);
	vstring_free(tmpdb);
	vstring_free(db);
	return rc;
}
