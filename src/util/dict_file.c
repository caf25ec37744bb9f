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
 *
 *	DICT_FILE_NEST *dict_file_nest_alloc(void);
 *	int   dict_file_if(DICT_FILE_NEST *nest, size_t rule,
 *		const char *path, int lineno, VSTRING *why);
 *	int   dict_file_endif(DICT_FILE_NEST *nest, size_t *rule,
 *		const char *path, int lineno, VSTRING *why);
 *	int   dict_file_nest_end(DICT_FILE_NEST *nest, const char *path,
 *		VSTRING *why);
 *	void  dict_file_nest_free(DICT_FILE_NEST *nest);
 *
 *	int   dict_file_load(DICT *dict, DICT_FILE_NEST *nest,
 *		int (*rule)(void *context, char *line, int lineno,
 *		VSTRING *why), void *context, VSTRING *why);
 * DESCRIPTION
 *	The text syntax that every Postfix table source shares, read with
 *	logical_line(3) in its LOGICAL_LINE_TABLE convention: a logical
 *	line starts with a non-blank character; a physical line that starts
 *	with white space continues it (appended as it is); empty lines,
 *	blank lines and lines whose first non-blank character is "#" are
 *	ignored (they neither start nor end a logical line). Trailing white
 *	space and CR are removed.
 *
 *	dict_file_read() stores the next logical line in line and the number
 *	of its first physical line in *lineno. It returns 1, 0 at the end of
 *	the file, or -1 with "file:line: reason" in why when a line is
 *	longer than DICT_MAX_LINE, holds a null byte, or the file cannot be
 *	read.
 *
 *	dict_file_fdopen() wraps a stream of the caller's (stdin for
 *	"postern map -i"); dict_file_close() leaves that stream open.
 *
 *	dict_file_split() cuts a line in place into the key (up to the first
 *	white space) and the value (the rest with surrounding white space
 *	removed, "" when absent). It returns 0, or -1 for an empty key.
 *
 *	The nesting of "if" ... "endif" blocks in the tables that have them
 *	(regexp, pcre, cidr), while a file is read: dict_file_if() opens a
 *	block at the rule numbered rule (the table's own index, from line
 *	lineno); dict_file_endif() closes the innermost one and stores its
 *	rule in *rule, for the table to note where the block ends;
 *	dict_file_nest_end(), at the end of the file, checks that every
 *	block was closed. Blocks nest DICT_FILE_MAXNEST deep at the most.
 *
 *	dict_file_load() is the one loading loop of the tables with if
 *	blocks (regexp, pcre, cidr): it watches dict->name for changes
 *	(dict_watch()), reads the file line by line and hands each logical
 *	line (modifiable in place) and its number to rule() with context,
 *	then checks with dict_file_nest_end() that nest has no open block.
 *	rule() returns 0, or -1 with "file:line: reason" in why. The caller
 *	keeps nest (rule() opens and closes its blocks) and frees it.
 * DIAGNOSTICS
 *	A continuation line with nothing to continue (the first line of a
 *	file starting with white space) is logged and read as a line of its
 *	own.
 *
 *	dict_file_if(), dict_file_endif() and dict_file_nest_end() return 0,
 *	or -1 with "file:line: reason" in why: "if nested deeper than 1000",
 *	"endif without if", "if without endif" (the line of the if).
 *
 *	dict_file_load() returns 0, or -1 with the reason in why (the file
 *	cannot be watched or read, a rule() failed, or a block is open).
 */
#include <ctype.h>

#include "dict.h"
#include "dict_file.h"
#include "msg.h"
#include "mymalloc.h"

DICT_FILE *
dict_file_fdopen(FILE *fp, const char *name)
{
	return logical_line_fdopen(fp, name, DICT_MAX_LINE, LOGICAL_LINE_TABLE);
}

DICT_FILE *
dict_file_open(const char *path, VSTRING *why)
{
	return logical_line_open(path, DICT_MAX_LINE, LOGICAL_LINE_TABLE, why);
}

void
dict_file_close(DICT_FILE *df)
{
	logical_line_close(df);
}

int
dict_file_read(DICT_FILE *df, VSTRING *line, int *lineno, VSTRING *why)
{
	int	 rc;

	if ((rc = logical_line_read(df, line, lineno, why)) == LOGICAL_LINE_ORPHAN) {
		msg_warn("%s:%d: continuation line without a preceding line",
		    df->path, *lineno);
		rc = 1;
	}
	return rc;
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

DICT_FILE_NEST *
dict_file_nest_alloc(void)
{
	return mycalloc(1, sizeof(DICT_FILE_NEST));
}

void
dict_file_nest_free(DICT_FILE_NEST *nest)
{
	myfree(nest);
}

int
dict_file_if(DICT_FILE_NEST *nest, size_t rule, const char *path,
    int lineno, VSTRING *why)
{
	if (nest->depth >= DICT_FILE_MAXNEST) {
		vstring_sprintf(why, "%s:%d: if nested deeper than %d", path,
		    lineno, DICT_FILE_MAXNEST);
		return -1;
	}
	nest->rule[nest->depth] = rule;
	nest->lineno[nest->depth++] = lineno;
	return 0;
}

int
dict_file_endif(DICT_FILE_NEST *nest, size_t *rule, const char *path,
    int lineno, VSTRING *why)
{
	if (nest->depth == 0) {
		vstring_sprintf(why, "%s:%d: endif without if", path, lineno);
		return -1;
	}
	*rule = nest->rule[--nest->depth];
	return 0;
}

int
dict_file_nest_end(DICT_FILE_NEST *nest, const char *path, VSTRING *why)
{
	if (nest->depth > 0) {
		vstring_sprintf(why, "%s:%d: if without endif", path,
		    nest->lineno[nest->depth - 1]);
		return -1;
	}
	return 0;
}

int
dict_file_load(DICT *dict, DICT_FILE_NEST *nest,
    int (*rule)(void *, char *, int, VSTRING *), void *context, VSTRING *why)
{
	DICT_FILE *df;
	VSTRING	*line;
	int	 rc, lineno;

	if (dict_watch(dict, dict->name, why) < 0
	    || (df = dict_file_open(dict->name, why)) == NULL)
		return -1;
	line = vstring_alloc(256);
	while ((rc = dict_file_read(df, line, &lineno, why)) > 0)
		if (rule(context, vstring_str(line), lineno, why) < 0) {
			rc = -1;
			break;
		}
	dict_file_close(df);
	vstring_free(line);
	if (rc < 0 || dict_file_nest_end(nest, dict->name, why) < 0)
		return -1;
	return 0;
}
