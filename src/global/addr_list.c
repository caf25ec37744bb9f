/*
 * NAME
 *	addr_list - RFC 5322 address lists in header fields
 * SYNOPSIS
 *	#include <addr_parse.h>
 *
 *	int	addr_parse_list(const char *value, ARGV *out);
 * DESCRIPTION
 *	addr_parse_list() extracts the addr-specs from the value of an
 *	address header field (To:, Cc:, Bcc:, Resent-To: ...) and appends
 *	them to out, in external form (quoted local parts keep their
 *	quotes). It understands display names ("Name <a@b>"), quoted
 *	strings, comments (nested, with escapes), groups ("team: a@b, c@d;"
 *	and the empty "undisclosed-recipients:;"), obsolete source routes
 *	inside angle brackets ("<@relay:a@b>") and folded white space.
 *	White space outside quoted strings is dropped from an addr-spec, as
 *	the obsolete syntax allows ("a . b @ example.com").
 *
 *	The parser never fails: malformed parts yield whatever text they
 *	hold (the caller validates each address), unbalanced quotes,
 *	comments and brackets end at the end of the value. At most
 *	ADDR_LIST_MAX addresses of at most 998 bytes are taken.
 * DIAGNOSTICS
 *	Returns the number of addresses appended.
 */
#include <string.h>

#include "addr_parse.h"

typedef struct ADDR_LIST_STATE {
	VSTRING	*plain;			/* text outside <> */
	VSTRING	*angle;			/* text inside <> */
	int	 have_angle;
	int	 space;			/* white space seen after plain text */
	int	 count;
	ARGV	*out;
} ADDR_LIST_STATE;

/* addr_list_emit - end one element. */
static void
addr_list_emit(ADDR_LIST_STATE *st)
{
	VSTRING	*src = st->have_angle ? st->angle : st->plain;
	const char *addr = vstring_str(src);
	const char *colon;

	if (st->have_angle && *addr == '@' && (colon = strchr(addr, ':')) != NULL)
		addr = colon + 1;
	if (*addr && strlen(addr) <= 998 && st->count < ADDR_LIST_MAX) {
		argv_add(st->out, addr);
		st->count++;
	}
	vstring_reset(st->plain);
	vstring_reset(st->angle);
	st->have_angle = 0;
	st->space = 0;
}

/*
 * addr_list_sep - before text outside angle brackets. White space is dropped
 * next to "." and "@" (obsolete syntax) but kept between two words, so
 * that "John Doe" or "bad address@example.com" stay invalid addresses
 * instead of turning into "JohnDoe".
 */
static void
addr_list_sep(ADDR_LIST_STATE *st, int ch)
{
	size_t	 len = vstring_len(st->plain);

	if (st->space && len > 0 && ch != '.' && ch != '@' &&
	    vstring_str(st->plain)[len - 1] != '.' &&
	    vstring_str(st->plain)[len - 1] != '@')
		vstring_addch(st->plain, ' ');
	st->space = 0;
}

/* addr_list_comment - skip a comment at s ('('); return what follows. */
static const char *
addr_list_comment(const char *s)
{
	int	 depth = 0;

	for (; *s; s++) {
		if (*s == '\\' && s[1])
			s++;
		else if (*s == '(')
			depth++;
		else if (*s == ')' && --depth == 0)
			return s + 1;
	}
	return s;
}

/* addr_list_quoted - copy a quoted string at s to buf; return what follows. */
static const char *
addr_list_quoted(const char *s, VSTRING *buf)
{
	vstring_addch(buf, *s++);
	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			vstring_addch(buf, *s++);
			vstring_addch(buf, *s);
		} else if (*s == '\r' || *s == '\n') {
			continue;	/* folding inside a quoted string */
		} else {
			vstring_addch(buf, *s);
			if (*s == '"')
				return s + 1;
		}
	}
	return s;
}

int
addr_parse_list(const char *s, ARGV *out)
{
	ADDR_LIST_STATE st;
	int	 in_angle = 0;

	st.plain = vstring_alloc(64);
	st.angle = vstring_alloc(64);
	st.have_angle = st.space = 0;
	st.count = 0;
	st.out = out;
	while (*s) {
		if (*s == '(') {
			s = addr_list_comment(s);
			continue;
		}
		if (*s == '"') {
			if (!in_angle)
				addr_list_sep(&st, '"');
			s = addr_list_quoted(s, in_angle ? st.angle : st.plain);
			continue;
		}
		if (in_angle) {
			if (*s == '>')
				in_angle = 0;
			else if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
				vstring_addch(st.angle, *s);
		} else if (*s == '<') {
			in_angle = st.have_angle = 1;
			vstring_reset(st.angle);
		} else if (*s == ',' || *s == ';') {
			addr_list_emit(&st);
		} else if (*s == ':') {
			/* Group: the text before ':' is its display name. */
			vstring_reset(st.plain);
			st.have_angle = st.space = 0;
		} else if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') {
			addr_list_sep(&st, *s);
			vstring_addch(st.plain, *s);
		} else {
			st.space = 1;
		}
		s++;
	}
	addr_list_emit(&st);
	vstring_free(st.plain);
	vstring_free(st.angle);
	return st.count;
}
