/*
 * logical_line_test - unit tests for logical_line.
 */
#include <stdio.h>
#include <string.h>

#include "logical_line.h"
#include "ptest.h"

/* reader - a reader over a memory buffer */
static LOGICAL_LINE *
reader(const char *text, size_t len, size_t max, int flags)
{
	FILE	*fp = fmemopen((void *)text, len, "r");

	return fp ? logical_line_fdopen(fp, "t.cf", max, flags) : NULL;
}

/* all - every line as "N:text|", or the error */
static const char *
all(const char *text, size_t max, int flags)
{
	static VSTRING *out;
	LOGICAL_LINE *ll = reader(text, strlen(text), max, flags);
	VSTRING	*line = vstring_alloc(10), *why = vstring_alloc(10);
	int	 rc, lineno;

	if (out == NULL)
		out = vstring_alloc(100);
	vstring_reset(out);
	while ((rc = logical_line_read(ll, line, &lineno, why)) > 0)
		vstring_sprintf_append(out, "%s%d:%s|", rc == LOGICAL_LINE_ORPHAN ?
		    "orphan " : "", lineno, vstring_str(line));
	if (rc < 0)
		vstring_sprintf_append(out, "error %s", vstring_str(why));
	fclose(ll->fp);
	logical_line_close(ll);
	vstring_free(line);
	vstring_free(why);
	return vstring_str(out);
}

PTEST(conf_convention)
{
	PT_STREQ(all("a = b\n  c  \n# x\n\n  d\ne = f\r\n", 100, 0),
	    "1:a = b c   d|6:e = f|");
	PT_STREQ(all("  x\n y\nz\n", 100, 0), "orphan 1:x y|3:z|");
	PT_STREQ(all("", 100, 0), "");
	PT_STREQ(all("last", 100, 0), "1:last|");
	PT_STREQ(all("ab\n cd\n ef g h\n", 10, 0),
	    "error t.cf, line 1: logical line longer than 10 bytes");
	PT_STREQ(all("abcdefghijklmnop\n", 10, 0),
	    "error t.cf, line 1: line longer than 10 bytes");
}

PTEST(table_convention)
{
	PT_STREQ(all("k v  \n\tmore\n #c\nk2\tv2\n", 100, LOGICAL_LINE_TABLE),
	    "1:k v\tmore|4:k2\tv2|");
	PT_STREQ(all(" k v\n", 100, LOGICAL_LINE_TABLE), "orphan 1:k v|");
	PT_STREQ(all("a\n b\n c\n", 4, LOGICAL_LINE_TABLE),
	    "error t.cf:1: logical line longer than 4 bytes");
}

PTEST(null_byte)
{
	LOGICAL_LINE *ll = reader("a\n# \0\n", 6, 100, 0);
	VSTRING	*line = vstring_alloc(10), *why = vstring_alloc(10);
	int	 lineno;

	PT_INTEQ(logical_line_read(ll, line, &lineno, why), -1);
	PT_STREQ(vstring_str(why), "t.cf, line 2: null byte");
	fclose(ll->fp);
	logical_line_close(ll);
	ll = reader("k\0v\nx y\n", 8, 100, LOGICAL_LINE_TABLE);
	PT_INTEQ(logical_line_read(ll, line, &lineno, why), 1);
	PT_STREQ(vstring_str(line), "k");
	PT_INTEQ(logical_line_read(ll, line, &lineno, why), 1);
	PT_STREQ(vstring_str(line), "x y");
	fclose(ll->fp);
	logical_line_close(ll);
	vstring_free(line);
	vstring_free(why);
}

int
main(void)
{
	PT_RUN(conf_convention);
	PT_RUN(table_convention);
	PT_RUN(null_byte);
	return PT_DONE();
}
