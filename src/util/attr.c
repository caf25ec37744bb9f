/*
 * NAME
 *	attr - attribute lists and their framing for IPC
 * SYNOPSIS
 *	#include <attr.h>
 *
 *	ATTR	*attr_alloc(void);
 *	void	 attr_free(ATTR *a);
 *	void	 attr_reset(ATTR *a);
 *	void	 attr_add(ATTR *a, const char *name, const char *value);
 *	void	 attr_addf(ATTR *a, const char *name, const char *fmt, ...);
 *	void	 attr_add_long(ATTR *a, const char *name, long long value);
 *	const char *attr_get(const ATTR *a, const char *name);
 *	const char *attr_get_from(const ATTR *a, const char *name, size_t *pos);
 *	long long attr_get_long(const ATTR *a, const char *name, long long def);
 *	int	 attr_write(VSTREAM *sp, const ATTR *a);
 *	int	 attr_write_buffered(VSTREAM *sp, const ATTR *a);
 *	int	 attr_read(VSTREAM *sp, ATTR *a);
 * DESCRIPTION
 *	An ATTR is an ordered list of name/value pairs; names may repeat
 *	(one group per recipient), order is kept. Requests and replies
 *	between daemons are ATTR lists written as "name=value" lines
 *	ended by an empty line. Names are [A-Za-z0-9_]+ (at most
 *	ATTR_MAX_NAME bytes); in values '%', every byte below 0x20 and DEL
 *	are sent as %XX (upper-case hex), other bytes (UTF-8 included) as
 *	they are. An empty value is allowed ("sender=").
 *
 *	attr_add() copies name and value; attr_addf() formats the value;
 *	attr_add_long() stores a decimal integer. attr_reset() empties the
 *	list and keeps its storage. attr_get() returns the value of the
 *	first attribute with that name, or null. attr_get_from() searches
 *	from index *pos on and leaves *pos just past the match, so that
 *	repeated attributes are visited in order with *pos starting at 0.
 *	attr_get_long() parses a decimal value, returning def when the name
 *	is absent or its value is not a whole number in range.
 *
 *	attr_write() writes the list and the ending empty line, then flushes
 *	the stream. attr_write_buffered() leaves them in the stream's buffer,
 *	for a writer that has more to say at once (one write for several
 *	lists; the next flush, or a read from the stream, sends them).
 *	attr_read() empties a, then reads one list. Input is
 *	hostile: at most ATTR_MAX_COUNT attributes, ATTR_MAX_VALUE decoded
 *	bytes per value; a bad name, a raw control byte, a bad or %00
 *	escape, or a line without '=' makes the whole list invalid. After a
 *	failed read the stream is out of step: close it. attr_read() at end
 *	of file before the first line fails with vstream_feof() true and
 *	errno 0: the peer closed the connection between requests.
 *
 *	Cost: one pass over each value to escape or decode it; one
 *	allocation per name and value read.
 * DIAGNOSTICS
 *	Panic: an invalid name or a null value passed to attr_add() (our
 *	bug). attr_write(): -1 on I/O error, or EMSGSIZE when the list
 *	breaks the bounds the reader enforces. attr_read(): -1 on I/O error,
 *	time-out, end of file, EMSGSIZE for a bound exceeded, EPROTO for
 *	malformed input.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "msg.h"
#include "mymalloc.h"
#include "vstring.h"

#define ATTR_MAX_NAME	256
#define ATTR_LINE_MAX	(ATTR_MAX_NAME + 1 + 3 * ATTR_MAX_VALUE)

ATTR *
attr_alloc(void)
{
	ATTR	*a = mymalloc(sizeof(*a));

	a->count = 0;
	a->size = 8;
	a->name = mymalloc(a->size * sizeof(*a->name));
	a->value = mymalloc(a->size * sizeof(*a->value));
	return a;
}

void
attr_reset(ATTR *a)
{
	size_t	 i;

	for (i = 0; i < a->count; i++) {
		myfree(a->name[i]);
		myfree(a->value[i]);
	}
	a->count = 0;
}

void
attr_free(ATTR *a)
{
	attr_reset(a);
	myfree(a->name);
	myfree(a->value);
	myfree(a);
}

static int
attr_name_ok(const char *name, size_t len)
{
	size_t	 i;
	unsigned char c;

	if (len == 0 || len > ATTR_MAX_NAME)
		return 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

/* Append, taking ownership of name and value. */
static void
attr_append(ATTR *a, char *name, char *value)
{
	if (a->count == a->size) {
		a->size *= 2;
		a->name = myrealloc(a->name, a->size * sizeof(*a->name));
		a->value = myrealloc(a->value, a->size * sizeof(*a->value));
	}
	a->name[a->count] = name;
	a->value[a->count] = value;
	a->count++;
}

void
attr_add(ATTR *a, const char *name, const char *value)
{
	if (name == NULL || !attr_name_ok(name, strlen(name)))
		msg_panic("attr_add: bad attribute name \"%s\"", name ? name : "(null)");
	if (value == NULL)
		msg_panic("attr_add: null value for %s", name);
	attr_append(a, mystrdup(name), mystrdup(value));
}

void
attr_addf(ATTR *a, const char *name, const char *fmt, ...)
{
	VSTRING	*buf = vstring_alloc(64);
	va_list	 ap;

	va_start(ap, fmt);
	vstring_vsprintf_append(buf, fmt, ap);
	va_end(ap);
	attr_add(a, name, vstring_str(buf));
	vstring_free(buf);
}

void
attr_add_long(ATTR *a, const char *name, long long value)
{
	attr_addf(a, name, "%lld", value);
}

const char *
attr_get_from(const ATTR *a, const char *name, size_t *pos)
{
	size_t	 i;

	for (i = *pos; i < a->count; i++) {
		if (strcmp(a->name[i], name) == 0) {
			*pos = i + 1;
			return a->value[i];
		}
	}
	*pos = a->count;
	return NULL;
}

const char *
attr_get(const ATTR *a, const char *name)
{
	size_t	 pos = 0;

	return attr_get_from(a, name, &pos);
}

long long
attr_get_long(const ATTR *a, const char *name, long long def)
{
	const char *value;
	char	*end;
	long long n;

	if ((value = attr_get(a, name)) == NULL || *value == 0)
		return def;
	errno = 0;
	n = strtoll(value, &end, 10);
	if (*end != 0 || errno == ERANGE)
		return def;
	return n;
}

static int
attr_must_escape(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '%';
}

static int
attr_write_value(VSTREAM *sp, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *cp = (const unsigned char *)value;
	const unsigned char *run;
	char	 esc[3];

	while (*cp) {
		for (run = cp; *cp && !attr_must_escape(*cp); cp++)
			;
		if (cp > run && vstream_write(sp, run, cp - run) < 0)
			return -1;
		if (*cp == 0)
			break;
		esc[0] = '%';
		esc[1] = hex[*cp >> 4];
		esc[2] = hex[*cp & 15];
		if (vstream_write(sp, esc, 3) < 0)
			return -1;
		cp++;
	}
	return 0;
}

int
attr_write(VSTREAM *sp, const ATTR *a)
{
	return attr_write_buffered(sp, a) < 0 ? -1 : vstream_fflush(sp);
}

int
attr_write_buffered(VSTREAM *sp, const ATTR *a)
{
	size_t	 i;

	if (a->count > ATTR_MAX_COUNT)
		goto toobig;
	for (i = 0; i < a->count; i++) {
		if (strlen(a->value[i]) > ATTR_MAX_VALUE)
			goto toobig;
		if (vstream_fputs(sp, a->name[i]) < 0 ||
		    vstream_write(sp, "=", 1) < 0 ||
		    attr_write_value(sp, a->value[i]) < 0 ||
		    vstream_write(sp, "\n", 1) < 0)
			return -1;
	}
	if (vstream_write(sp, "\n", 1) < 0)
		return -1;
	return 0;
toobig:
	msg_warn("attr_write: attribute list exceeds protocol bounds");
	errno = EMSGSIZE;
	return -1;
}

static int
attr_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode an escaped value; the result is never longer than the input. */
static char *
attr_decode(const char *cp, size_t len)
{
	char	*out = mymalloc(len + 1), *op = out;
	const char *end = cp + len;
	int	 hi, lo;

	while (cp < end) {
		if ((unsigned char)*cp < 0x20 || *cp == 0x7f)
			goto bad;
		if (*cp != '%') {
			*op++ = *cp++;
			continue;
		}
		if (end - cp < 3 || (hi = attr_hexval(cp[1])) < 0 ||
		    (lo = attr_hexval(cp[2])) < 0 || (hi | lo) == 0)
			goto bad;
		*op++ = (char)(hi << 4 | lo);
		cp += 3;
	}
	if (op - out > ATTR_MAX_VALUE) {
		myfree(out);
		errno = EMSGSIZE;
		return NULL;
	}
	*op = 0;
	return out;
bad:
	myfree(out);
	errno = EPROTO;
	return NULL;
}

static int
attr_parse_line(ATTR *a, const VSTRING *line)
{
	const char *eq;
	char	*value;
	size_t	 nlen;

	if ((eq = memchr(vstring_str(line), '=', vstring_len(line))) == NULL)
		goto bad;
	nlen = eq - vstring_str(line);
	if (!attr_name_ok(vstring_str(line), nlen))
		goto bad;
	if (a->count >= ATTR_MAX_COUNT) {
		errno = EMSGSIZE;
		return -1;
	}
	eq++;
	if ((value = attr_decode(eq, vstring_end(line) - eq)) == NULL)
		return -1;
	attr_append(a, mystrndup(vstring_str(line), nlen), value);
	return 0;
bad:
	errno = EPROTO;
	return -1;
}

int
attr_read(VSTREAM *sp, ATTR *a)
{
	VSTRING	*line = vstring_alloc(256);
	int	 r, ret = -1;

	attr_reset(a);
	for (;;) {
		errno = 0;
		r = vstream_get_line(sp, line, ATTR_LINE_MAX, 0);
		if (r == VSTREAM_LINE_LONG) {
			errno = EMSGSIZE;
			break;
		}
		if (r == VSTREAM_LINE_PARTIAL) {
			errno = EPROTO;
			break;
		}
		if (r != VSTREAM_LINE_OK) {
			if (r == VSTREAM_EOF && a->count > 0)
				errno = EPROTO;
			break;
		}
		if (vstring_len(line) == 0) {
			ret = 0;
			break;
		}
		if (attr_parse_line(a, line) < 0)
			break;
	}
	vstring_free(line);
	if (ret < 0 && msg_verbose && errno)
		msg_info("attr_read: %s: %s", vstream_peer(sp), strerror(errno));
	return ret;
}
