/*
 * NAME
 *	hdr_addr - rewrite the addresses in an address header field
 * SYNOPSIS
 *	#include <hdr_addr.h>
 *
 *	int	hdr_addr_class(const char *field);
 *	int	hdr_addr_rewrite(VSTRING *field, HDR_ADDR_FN fn, void *ctx);
 *	void	hdr_addr_fold(VSTRING *field, size_t width);
 * DESCRIPTION
 *	The one implementation of "rewrite every address in a header",
 *	used by the cleanup stage (canonical mapping, masquerading,
 *	qualification) and by the smtp/lmtp client (smtp_generic_maps).
 *
 *	hdr_addr_class() says whether a field (a logical header line,
 *	"Name: value") holds addresses that Postfix rewrites:
 *	HDR_ADDR_SENDER for the originator fields (From, Sender,
 *	Reply-To, Return-Path, Errors-To, Return-Receipt-To, Resent-From,
 *	Resent-Sender, Resent-Reply-To), HDR_ADDR_RCPT for the recipient
 *	fields (To, Cc, Bcc, Resent-To, Resent-Cc, Resent-Bcc,
 *	Apparently-To), else 0.
 *
 *	hdr_addr_rewrite() finds each addr-spec of the field's address
 *	list (display names, comments, quoted strings, groups and
 *	"<@route:addr>" source routes are understood and skipped) and
 *	calls fn(ctx, ext, addr) with ext the addr-spec as it appears in
 *	the field (external form) and addr the same address in internal
 *	form (addr_unquote(3)), which fn may change. When the changed
 *	address, quoted again (addr_quote(3)), differs from ext, it
 *	replaces ext in the field: only the addr-spec text changes, the
 *	rest of the field (display names, comments, groups, folding,
 *	8-bit text, RFC 2047 encoded-words) stays byte for byte. At most
 *	ADDR_LIST_MAX addresses of at most ADDR_LONG_MAX bytes are
 *	looked at.
 *
 *	hdr_addr_fold() folds a field whose lines (separated by "\n")
 *	are longer than width octets, the way RFC 5322 section 2.2.3
 *	allows: a line break goes before a space or tab, so that
 *	unfolding gives back the same field. Each long line is broken at
 *	the last white space that keeps it within width, or, when there
 *	is none, at the first white space after; a line without white
 *	space stays as it is. Breaks never leave a line of white space
 *	only, nor separate the field name from the value's first word. Use it after a rewrite made a field longer (width 78, the
 *	RFC's recommendation; every line then stays under the 998-octet
 *	limit unless a single word is longer than that).
 * DIAGNOSTICS
 *	hdr_addr_rewrite() returns -1 when fn returned -1 for some address
 *	(that address is left as it was; the others are still rewritten),
 *	else the number of addresses replaced.
 */
#include <string.h>
#include <strings.h>

#include "addr_parse.h"
#include "hdr_addr.h"
#include "rfc822_hdr.h"

static const char *hdr_addr_senders[] = {
	"From", "Sender", "Reply-To", "Return-Path", "Errors-To",
	"Return-Receipt-To", "Resent-From", "Resent-Sender", "Resent-Reply-To",
	NULL,
};

static const char *hdr_addr_rcpts[] = {
	"To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc",
	"Apparently-To", NULL,
};

/* hdr_addr_in - is the name (n bytes) in list? */
static int
hdr_addr_in(const char *name, size_t n, const char **list)
{
	for (; *list; list++)
		if (strncasecmp(name, *list, n) == 0 && (*list)[n] == 0)
			return 1;
	return 0;
}

int
hdr_addr_class(const char *field)
{
	/* The name ends at the colon or any other byte that cannot be in it. */
	size_t	 n = rfc822_hdr_name_len(field, (size_t)-1);

	if (n == 0 || n > sizeof("Return-Receipt-To") - 1)
		return 0;
	if (hdr_addr_in(field, n, hdr_addr_senders))
		return HDR_ADDR_SENDER;
	if (hdr_addr_in(field, n, hdr_addr_rcpts))
		return HDR_ADDR_RCPT;
	return 0;
}

/* Scanner state for one element of an address list. */
typedef struct HDR_ADDR_SPAN {
	size_t	 start, end;		/* addr-spec text, end exclusive */
	int	 angle;			/* from <...> */
	int	 have;
} HDR_ADDR_SPAN;

/* Scratch strings of one hdr_addr_rewrite() call. */
typedef struct HDR_ADDR_BUF {
	VSTRING	*ext, *in, *q, *out;
} HDR_ADDR_BUF;

/* hdr_addr_one - call fn for the span's address; splice a change into out. */
static int
hdr_addr_one(HDR_ADDR_FN fn, void *ctx, const char *s, HDR_ADDR_SPAN *sp,
    HDR_ADDR_BUF *b, size_t *copied)
{
	VSTRING	*ext = b->ext, *in = b->in, *q = b->q, *out = b->out;
	const char *colon;
	size_t	 start = sp->start;
	int	 r = 0;

	if (sp->angle && s[start] == '@' &&
	    (colon = memchr(s + start, ':', sp->end - start)) != NULL)
		start = (size_t)(colon - s) + 1;
	vstring_memcpy(ext, s + start, sp->end - start);
	if (vstring_len(ext) == 0 || vstring_len(ext) > ADDR_LONG_MAX)
		return 0;
	addr_unquote(in, vstring_str(ext));
	if (fn(ctx, vstring_str(ext), in) < 0)
		return -1;
	addr_quote(q, vstring_str(in));
	if (strcmp(vstring_str(q), vstring_str(ext)) != 0) {
		if (vstring_len(out) == 0 && *copied == 0)
			vstring_space(out, vstring_len(ext) + 64);
		vstring_memcat(out, s + *copied, start - *copied);
		vstring_strcat(out, vstring_str(q));
		*copied = sp->end;
		r = 1;
	}
	return r;
}

/* hdr_addr_skip - past a quoted string or comment at s[i]. */
static size_t
hdr_addr_skip(const char *s, size_t i, size_t len)
{
	int	 depth = 0;
	char	 open = s[i];

	for (; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len)
			i++;
		else if (open == '"' && s[i] == '"' && depth++ > 0)
			return i + 1;
		else if (open == '(' && s[i] == '(')
			depth++;
		else if (open == '(' && s[i] == ')' && --depth == 0)
			return i + 1;
	}
	return len;
}

int
hdr_addr_rewrite(VSTRING *field, HDR_ADDR_FN fn, void *ctx)
{
	const char *s = vstring_str(field);
	size_t	 len = vstring_len(field), i, copied, next;
	HDR_ADDR_SPAN sp = { 0, 0, 0, 0 };
	HDR_ADDR_BUF b;
	int	 r, failed = 0, changed = 0, count = 0;

	b.ext = vstring_alloc(64);
	b.in = vstring_alloc(64);
	b.q = vstring_alloc(64);
	b.out = vstring_alloc(len + 64);

	copied = 0;
	i = (size_t)(rfc822_hdr_value(s) - s);
	for (; i <= len && count < ADDR_LIST_MAX; i = next) {
		next = i + 1;
		if (i == len || ((s[i] == ',' || s[i] == ';') && sp.angle != 1)) {
			if (sp.have) {
				if ((r = hdr_addr_one(fn, ctx, s, &sp, &b, &copied)) < 0)
					failed = 1;
				changed += r > 0;
			}
			memset(&sp, 0, sizeof(sp));
			count++;
		} else if (s[i] == ':' && sp.angle != 1) {
			memset(&sp, 0, sizeof(sp));	/* group name */
		} else if (s[i] == '(' || (s[i] == '"' && !sp.angle)) {
			next = hdr_addr_skip(s, i, len);
			if (s[i] == '"') {
				if (!sp.have)
					sp.start = i;
				sp.have = 1;
				sp.end = next;
			}
		} else if (s[i] == '<' && !sp.angle) {
			sp.angle = 1;
			sp.have = 0;
		} else if (s[i] == '>' && sp.angle == 1) {
			sp.angle = 2;
		} else if (s[i] == '"' && sp.angle == 1) {
			next = hdr_addr_skip(s, i, len);
			sp.end = next;
		} else if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
		    s[i] != '\n' && sp.angle != 2) {
			if (!sp.have)
				sp.start = i;
			sp.have = 1;
			sp.end = i + 1;
		}
	}
	if (copied > 0) {
		vstring_memcat(b.out, s + copied, len - copied);
		vstring_memcpy(field, vstring_str(b.out), vstring_len(b.out));
	}
	vstring_free(b.ext);
	vstring_free(b.in);
	vstring_free(b.q);
	vstring_free(b.out);
	return failed ? -1 : changed;
}

/*
 * hdr_addr_break - where to break [s, e): before white space, or null.
 * Not before the first word from "from" on: no line may be white space
 * only, and the first line keeps the field name and the value's first word.
 */
static const char *
hdr_addr_break(const char *s, const char *e, const char *from, size_t width)
{
	const char *p, *best = NULL;

	for (p = from; p < e && (*p == ' ' || *p == '\t'); p++)
		;
	for (; p < e; p++) {
		if ((*p != ' ' && *p != '\t') || p[-1] == ' ' || p[-1] == '\t')
			continue;
		/* p starts a run of white space; something must follow it. */
		if (p + strspn(p, " \t") >= e)
			break;
		if (best != NULL && (size_t)(p - s) > width)
			break;
		best = p;
		if ((size_t)(p - s) > width)
			break;
	}
	return best;
}

void
hdr_addr_fold(VSTRING *field, size_t width)
{
	VSTRING	*out;
	const char *s = vstring_str(field), *end = s + vstring_len(field);
	const char *e, *br, *from = rfc822_hdr_value(s);
	int	 folded = 0;

	out = vstring_alloc(vstring_len(field) + 16);
	while (s < end) {
		e = memchr(s, '\n', (size_t)(end - s));
		if (e == NULL)
			e = end;
		if (from < s || from > e)
			from = s;
		while ((size_t)(e - s) > width &&
		    (br = hdr_addr_break(s, e, from, width)) != NULL) {
			vstring_memcat(out, s, (size_t)(br - s));
			vstring_addch(out, '\n');
			s = from = br;
			folded = 1;
		}
		vstring_memcat(out, s, (size_t)(e - s));
		if (e < end)
			vstring_addch(out, '\n');
		s = e + 1;
	}
	if (folded)
		vstring_memcpy(field, vstring_str(out), vstring_len(out));
	vstring_free(out);
}
