/*
 * NAME
 *	logical_line - configuration and table files as logical lines
 * SYNOPSIS
 *	#include "logical_line.h"
 *
 *	LOGICAL_LINE *logical_line_open(const char *path, size_t max,
 *	    int flags, VSTRING *why);
 *	LOGICAL_LINE *logical_line_fdopen(FILE *fp, const char *name,
 *	    size_t max, int flags);
 *	int logical_line_read(LOGICAL_LINE *ll, VSTRING *line, int *lineno,
 *	    VSTRING *why);
 *	void logical_line_close(LOGICAL_LINE *ll);
 * DESCRIPTION
 *	The one reader of the line syntax that main.cf, master.cf and
 *	every table source file (dict_file(3): aliases, access, regexp,
 *	cidr ...) share: a logical line starts with a non-blank character
 *	and a physical line that starts with white space continues it;
 *	empty lines, blank lines and lines whose first non-blank character
 *	is "#" are ignored (they neither start nor end a logical line).
 *	A CR before the newline is removed.
 *
 *	Two conventions differ, chosen by flags. Without LOGICAL_LINE_TABLE
 *	(main.cf, master.cf) a continuation line is appended after one
 *	space, without its leading white space, and locations in errors
 *	read "path, line N", and a null byte is an error. With
 *	LOGICAL_LINE_TABLE (table sources, as Postfix's tables) trailing
 *	white space is removed from each line, a continuation line is
 *	appended as it is, locations read "path:N", and a null byte ends
 *	the text of its line (the table's parser then sees what precedes
 *	it, and complains about a line that is left without a key).
 *
 *	logical_line_open() opens a file; logical_line_fdopen() wraps a
 *	stream of the caller's (stdin), which logical_line_close() leaves
 *	open. max bounds a physical and a logical line.
 *
 *	logical_line_read() stores the next logical line in line, without
 *	the leading white space of its first physical line, and the number
 *	of that physical line in *lineno.
 * DIAGNOSTICS
 *	logical_line_open() returns null with "open path: reason" in why.
 *	logical_line_read() returns 1 for a line, LOGICAL_LINE_ORPHAN for a
 *	line that starts with white space and so continues nothing (the
 *	first text of a file; the caller says whether that is an error, a
 *	warning or a line), 0 at the end of the file, or -1 with the reason
 *	in why: a line longer than max, a null byte (see above), a read
 *	error.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "logical_line.h"
#include "mymalloc.h"

LOGICAL_LINE *
logical_line_fdopen(FILE *fp, const char *name, size_t max, int flags)
{
	LOGICAL_LINE *ll = mycalloc(1, sizeof(*ll));

	ll->fp = fp;
	ll->path = mystrdup(name);
	ll->max = max;
	ll->flags = flags;
	ll->pending = vstring_alloc(128);
	return ll;
}

LOGICAL_LINE *
logical_line_open(const char *path, size_t max, int flags, VSTRING *why)
{
	LOGICAL_LINE *ll;
	FILE	*fp;

	if ((fp = fopen(path, "re")) == NULL) {
		vstring_sprintf(why, "open %s: %s", path, strerror(errno));
		return NULL;
	}
	ll = logical_line_fdopen(fp, path, max, flags);
	ll->own = 1;
	return ll;
}

void
logical_line_close(LOGICAL_LINE *ll)
{
	if (ll == NULL)
		return;
	if (ll->own)
		(void)fclose(ll->fp);
	myfree(ll->path);
	vstring_free(ll->pending);
	myfree(ll);
}

/* logical_line_error - "path, line N: " or "path:N: ", the reason */
static int
logical_line_error(LOGICAL_LINE *ll, int lineno, VSTRING *why,
    const char *what)
{
	vstring_sprintf(why, (ll->flags & LOGICAL_LINE_TABLE) ? "%s:%d: %s" :
	    "%s, line %d: %s", ll->path, lineno, what);
	if (strcmp(what, "null byte") != 0)
		vstring_sprintf_append(why, " longer than %zu bytes", ll->max);
	return -1;
}

/*
 * logical_line_physical - one physical line into pending, without the
 * newline (and CR, or trailing white space). 1, 0 at the end, -1 error.
 */
static int
logical_line_physical(LOGICAL_LINE *ll, VSTRING *why)
{
	VSTRING	*vp = ll->pending;
	int	 ch;

	vstring_reset(vp);
	while ((ch = getc(ll->fp)) != EOF && ch != '\n') {
		if (vstring_len(vp) >= ll->max)
			return logical_line_error(ll, ll->lineno + 1, why,
			    "line");
		if (ch == 0 && (ll->flags & LOGICAL_LINE_TABLE) == 0)
			return logical_line_error(ll, ll->lineno + 1, why,
			    "null byte");
		vstring_addch(vp, ch);
	}
	if (ferror(ll->fp)) {
		vstring_sprintf(why, "read %s: %s", ll->path, strerror(errno));
		return -1;
	}
	if (ch == EOF && vstring_len(vp) == 0)
		return 0;
	ll->lineno++;
	if (ll->flags & LOGICAL_LINE_TABLE) {
		while (vstring_len(vp) > 0
		    && isspace((unsigned char)vstring_end(vp)[-1]))
			vstring_truncate(vp, vstring_len(vp) - 1);
	} else if (vstring_len(vp) > 0 && vstring_end(vp)[-1] == '\r')
		vstring_truncate(vp, vstring_len(vp) - 1);
	return 1;
}

int
logical_line_read(LOGICAL_LINE *ll, VSTRING *line, int *lineno, VSTRING *why)
{
	int	 rc, have = 0;
	char	*cp, *text;

	vstring_reset(line);
	for (;;) {
		if (ll->pending_lineno == 0) {
			if ((rc = logical_line_physical(ll, why)) <= 0)
				return rc < 0 ? -1 : have;
			ll->pending_lineno = ll->lineno;
		}
		cp = text = vstring_str(ll->pending);
		while (isspace((unsigned char)*text))
			text++;
		if (*text == 0 || *text == '#') {
			ll->pending_lineno = 0;
			continue;
		}
		if (cp == text && have)
			return have;		/* keep it for the next call */
		if (!have) {
			have = cp == text ? 1 : LOGICAL_LINE_ORPHAN;
			*lineno = ll->pending_lineno;
			cp = text;
		} else if ((ll->flags & LOGICAL_LINE_TABLE) == 0) {
			vstring_addch(line, ' ');
			cp = text;
		}
		if (vstring_len(line) + strlen(cp) > ll->max)
			return logical_line_error(ll, *lineno, why,
			    "logical line");
		vstring_strcat(line, cp);
		ll->pending_lineno = 0;
	}
}
