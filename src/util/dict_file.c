/*
 * NAME
 *	dict_file - logical lines of table source files
 * SYNOPSIS
 *	#include <dict_file.h>
 *
 *	DICT_FILE *dict_file_open(const char *path, VSTRING *why);
 *	DICT_FILE *dict_file_fdopen(FILE *fp, const char *name);
 *	int   dict_file_read(DICT_FILE *df, VSTRING *line, int *lineno,
 *		VSTRING *why);
 *	void  dict_file_close(DICT_FILE *df);
 *	int   dict_file_split(char *line, char **key, char **value);
 * DESCRIPTION
 *	The text syntax that every Postfix table source shares: a logical
 *	line starts with a non-blank character; a physical line that starts
 *	with white space continues it; empty lines, blank lines and lines
 *	whose first non-blank character is "#" are ignored (they neither
 *	start nor end a logical line). Trailing white space and CR are
 *	removed.
 *
 *	dict_file_read() stores the next logical line in line and the number
 *	of its first physical line in *lineno. It returns 1, 0 at the end of
 *	the file, or -1 with "file:line: reason" in why when a logical line
 *	is longer than DICT_MAX_LINE or the file cannot be read.
 *
 *	dict_file_fdopen() wraps a stream of the caller's (stdin for
 *	"postern map -i"); dict_file_close() leaves that stream open.
 *
 *	dict_file_split() cuts a line in place into the key (up to the first
 *	white space) and the value (the rest with surrounding white space
 *	removed, "" when absent). It returns 0, or -1 for an empty key.
 * DIAGNOSTICS
 *	A continuation line with nothing to continue (the first line of a
 *	file starting with white space) is logged and read as a line of its
 *	own.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "dict.h"
#include "dict_file.h"
#include "msg.h"
#include "mymalloc.h"

DICT_FILE *
dict_file_fdopen(FILE *fp, const char *name)
{
	DICT_FILE *df;

	df = mycalloc(1, sizeof(*df));
	df->fp = fp;
	df->path = mystrdup(name);
	df->pending = vstring_alloc(128);
	return df;
}

DICT_FILE *
dict_file_open(const char *path, VSTRING *why)
{
	FILE	*fp;

	DICT_FILE *df;

	if ((fp = fopen(path, "re")) == NULL) {
		vstring_sprintf(why, "open %s: %s", path, strerror(errno));
		return NULL;
	}
	df = dict_file_fdopen(fp, path);
	df->own = 1;
	return df;
}

void
dict_file_close(DICT_FILE *df)
{
	if (df == NULL)
		return;
	if (df->own)
		(void)fclose(df->fp);
	myfree(df->path);
	vstring_free(df->pending);
	myfree(df);
}

/*
 * One physical line into vp, without the newline. 1: got one, 0: end,
 * -1: too long or read error.
 */
static int
dict_file_physical(DICT_FILE *df, VSTRING *vp, VSTRING *why)
{
	int	 ch;

	vstring_reset(vp);
	while ((ch = getc(df->fp)) != EOF && ch != '\n') {
		if (vstring_len(vp) >= DICT_MAX_LINE) {
			vstring_sprintf(why, "%s:%d: line longer than %d bytes",
			    df->path, df->lineno + 1, DICT_MAX_LINE);
			return -1;
		}
		vstring_addch(vp, ch);
	}
	if (ferror(df->fp)) {
		vstring_sprintf(why, "read %s: %s", df->path, strerror(errno));
		return -1;
	}
	if (ch == EOF && vstring_len(vp) == 0)
		return 0;
	df->lineno++;
	while (vstring_len(vp) > 0
	    && isspace((unsigned char)vstring_end(vp)[-1]))
		vstring_truncate(vp, vstring_len(vp) - 1);
	return 1;
}

static int
dict_file_ignored(const char *cp)
{
	while (isspace((unsigned char)*cp))
		cp++;
	return *cp == 0 || *cp == '#';
}

int
dict_file_read(DICT_FILE *df, VSTRING *line, int *lineno, VSTRING *why)
{
	int	 rc, have = 0;
	char	*cp;

	vstring_reset(line);
	for (;;) {
		if (df->pending_lineno == 0) {
			if ((rc = dict_file_physical(df, df->pending, why)) <= 0)
				return rc < 0 ? -1 : have;
			df->pending_lineno = df->lineno;
		}
		cp = vstring_str(df->pending);
		if (dict_file_ignored(cp)) {
			df->pending_lineno = 0;
			continue;
		}
		if (!isspace((unsigned char)*cp) && have)
			return 1;		/* keep it for the next call */
		if (!have) {
			if (isspace((unsigned char)*cp))
				msg_warn("%s:%d: continuation line without a "
				    "preceding line", df->path,
				    df->pending_lineno);
			while (isspace((unsigned char)*cp))
				cp++;
			*lineno = df->pending_lineno;
			have = 1;
		}
		if (vstring_len(line) + strlen(cp) > DICT_MAX_LINE) {
			vstring_sprintf(why, "%s:%d: logical line longer than "
			    "%d bytes", df->path, *lineno, DICT_MAX_LINE);
			return -1;
		}
		vstring_strcat(line, cp);
		df->pending_lineno = 0;
	}
}

int
dict_file_split(char *line, char **key, char **value)
{
	char	*cp = line;

	while (isspace((unsigned char)*cp))
		cp++;
	*key = cp;
	while (*cp && !isspace((unsigned char)*cp))
		cp++;
	if (*cp)
		*cp++ = 0;
	while (isspace((unsigned char)*cp))
		cp++;
	*value = cp;
	return **key ? 0 : -1;
}
