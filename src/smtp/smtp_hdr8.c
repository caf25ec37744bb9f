/*
 * NAME
 *	smtp_hdr8 - 8-bit header text to RFC 2047 encoded-words
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	int smtp_hdr8_encode(VSTRING *out, const char *hdr);
 * DESCRIPTION
 *	When the MIME converter (smtp_mime(3)) makes a message 7-bit for a
 *	server without 8BITMIME, header lines with 8-bit bytes are made
 *	7-bit as well (ZMailer's -H), as RFC 2047 encoded-words
 *	("=?utf-8?Q?Gr=C3=BC=C3=9Fe?="). hdr is one logical header
 *	("Name: value", continuation lines joined with "\n"); out receives
 *	the encoded header, folded with "\n " between encoded-words so
 *	that no line exceeds 76 characters where that can be helped.
 *
 *	The charset is utf-8 when the 8-bit text is valid UTF-8, else
 *	unknown-8bit (RFC 1428). Encoded-words never split a UTF-8
 *	character, and use the Q encoding with only letters, digits and
 *	"!*+-/" literal, so they are valid in any context (RFC 2047 5.3).
 *
 *	What is encoded:
 *	    address headers (From, To, Cc, Bcc, Reply-To, Sender and their
 *	    Resent- forms): each run of display-name words with 8-bit text
 *	    (words holding none of <>@,;:"()[]\ ); a quoted display name
 *	    ("Jürgen Müller" <j@x>) is encoded without its quotes.
 *	    Addresses themselves cannot be encoded and stay as they are;
 *	    such a message needs SMTPUTF8 anyway.
 *	    Content-Type and Content-Disposition: the text inside a quoted
 *	    parameter value (name="Grüße.txt"), as common mail readers
 *	    decode it; 8-bit text outside quotes makes the whole span
 *	    encoded as for other headers.
 *	    Every other header: the text from its first to its last word with
 *	    8-bit bytes, white space included, so that decoding restores it.
 * DIAGNOSTICS
 *	Returns 1 when out holds an encoded header, 0 when hdr has no 8-bit
 *	byte (out is then not changed).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "smtp.h"

#define HDR8_WORD_MAX	75		/* RFC 2047: an encoded-word */
#define HDR8_LINE_MAX	76

/* smtp_hdr8_has8 - any byte with the high bit in [s, e)? */

static int
smtp_hdr8_has8(const char *s, const char *e)
{
	for (; s < e; s++)
		if (*s & 0x80)
			return 1;
	return 0;
}

/* smtp_hdr8_utf8 - is [s, e) valid UTF-8? */

static int
smtp_hdr8_utf8(const unsigned char *s, const unsigned char *e)
{
	int	 n;

	while (s < e) {
		if (*s < 0x80) {
			s++;
			continue;
		}
		n = (*s & 0xe0) == 0xc0 ? 1 : (*s & 0xf0) == 0xe0 ? 2 : (*s & 0xf8) == 0xf0 ? 3 : -1;
		if (n < 0 || *s == 0xc0 || *s == 0xc1 || e - s <= n)
			return 0;
		for (s++; n-- > 0; s++)
			if ((*s & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

/* smtp_hdr8_char - length of the character at s (whole UTF-8 sequences) */

static size_t
smtp_hdr8_char(const unsigned char *s, const unsigned char *e, int utf8)
{
	size_t	 n = 1;

	if (utf8 && (*s & 0xc0) == 0xc0)
		while (s + n < e && (s[n] & 0xc0) == 0x80)
			n++;
	return n;
}

/* smtp_hdr8_fold - append text, folding before it when needed */

static void
smtp_hdr8_fold(VSTRING *out, size_t *col, const char *tok, size_t len, int space)
{
	const char *nl;

	if (space && *col + 1 + len > HDR8_LINE_MAX && *col > 1) {
		vstring_strcat(out, "\n ");
		*col = 1;
	} else if (space) {
		vstring_addch(out, ' ');
		(*col)++;
	}
	vstring_memcat(out, tok, len);
	if ((nl = memrchr(tok, '\n', len)) != NULL)
		*col = len - (nl + 1 - tok);
	else
		*col += len;
}

/* smtp_hdr8_words - [s, e) as encoded-words */

static void
smtp_hdr8_words(VSTRING *out, size_t *col, const char *s, const char *e, int space)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s, *end = (const unsigned char *)e;
	int	 utf8 = smtp_hdr8_utf8(p, end);
	const char *cs = utf8 ? "utf-8" : "unknown-8bit";
	VSTRING	*w = vstring_alloc(HDR8_WORD_MAX + 1);
	char	 enc[16];
	size_t	 n, i, elen;

	while (p < end) {
		vstring_sprintf(w, "=?%s?Q?", cs);
		while (p < end) {
			n = smtp_hdr8_char(p, end, utf8);
			for (elen = 0, i = 0; i < n && elen + 3 < sizeof(enc); i++) {
				if (isalnum(p[i]) || strchr("!*+-/", p[i]) != NULL)
					enc[elen++] = (char)p[i];
				else if (p[i] == ' ')
					enc[elen++] = '_';
				else {
					enc[elen++] = '=';
					enc[elen++] = hex[p[i] >> 4];
					enc[elen++] = hex[p[i] & 15];
				}
			}
			if (vstring_len(w) + elen + 2 > HDR8_WORD_MAX && vstring_len(w) > strlen(cs) + 5)
				break;
			vstring_memcat(w, enc, elen);
			p += n;
		}
		vstring_strcat(w, "?=");
		smtp_hdr8_fold(out, col, vstring_str(w), vstring_len(w), space);
		space = 1;
	}
	vstring_free(w);
}

/* smtp_hdr8_is_addr - an address header? */

static int
smtp_hdr8_is_addr(const char *name, size_t len)
{
	static const char *names[] = {"from", "to", "cc", "bcc", "reply-to", "sender"};
	size_t	 i;

	if (len > 7 && strncasecmp(name, "resent-", 7) == 0) {
		name += 7;
		len -= 7;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && strncasecmp(name, names[i], len) == 0)
			return 1;
	return 0;
}

/* smtp_hdr8_token - the next word or quoted string after white space */

static const char *
smtp_hdr8_token(const char *p, const char *e, const char **start)
{
	while (p < e && isspace((unsigned char)*p))
		p++;
	*start = p;
	if (p < e && *p == '"') {
		for (p++; p < e && *p != '"'; p += (*p == '\\' && p + 1 < e) ? 2 : 1)
			;
		return p < e ? p + 1 : e;
	}
	while (p < e && !isspace((unsigned char)*p))
		p++;
	return p;
}

/* smtp_hdr8_span - unstructured: encode from the first to the last 8-bit word */

static void
smtp_hdr8_span(VSTRING *out, size_t *col, const char *v, const char *e)
{
	const char *first = NULL, *last = NULL, *p = v, *w;

	while (p < e) {
		p = smtp_hdr8_token(p, e, &w);
		if (p > w && smtp_hdr8_has8(w, p)) {
			if (first == NULL)
				first = w;
			last = p;
		}
	}
	smtp_hdr8_fold(out, col, v, first - v, 0);
	smtp_hdr8_words(out, col, first, last, 0);
	smtp_hdr8_fold(out, col, last, e - last, 0);
}

/* smtp_hdr8_quoted - Content-*: encode inside quoted strings only */

static void
smtp_hdr8_quoted(VSTRING *out, size_t *col, const char *v, const char *e)
{
	const char *p = v, *w, *start = v;

	while (p < e) {
		p = smtp_hdr8_token(p, e, &w);
		if (p - w >= 2 && *w == '"' && p[-1] == '"' && smtp_hdr8_has8(w, p)) {
			smtp_hdr8_fold(out, col, start, w + 1 - start, 0);
			smtp_hdr8_words(out, col, w + 1, p - 1, 0);
			start = p - 1;
		} else if (smtp_hdr8_has8(w, p) && (w = memchr(w, '"', p - w)) != NULL) {
			/* name="Grüße.txt" is one word: find its quoted part. */
			const char *q = smtp_hdr8_token(w, e, &w);

			if (q - w >= 2 && q[-1] == '"' && smtp_hdr8_has8(w, q)) {
				smtp_hdr8_fold(out, col, start, w + 1 - start, 0);
				smtp_hdr8_words(out, col, w + 1, q - 1, 0);
				start = q - 1;
			}
			p = q;
		}
	}
	smtp_hdr8_fold(out, col, start, e - start, 0);
}

/* smtp_hdr8_run - display-name words as encoded-words (quotes removed) */

static void
smtp_hdr8_run(VSTRING *out, size_t *col, const char *s, const char *e)
{
	VSTRING	*plain = vstring_alloc(100);
	const char *p = s, *w;

	while (p < e) {
		p = smtp_hdr8_token(p, e, &w);
		if (p == w)
			break;
		if (vstring_len(plain))
			vstring_addch(plain, ' ');
		if (*w == '"') {
			for (w++; w < p && *w != '"'; w++) {
				if (*w == '\\' && w + 1 < p)
					w++;
				vstring_addch(plain, *w);
			}
		} else
			vstring_memcat(plain, w, p - w);
	}
	smtp_hdr8_words(out, col, vstring_str(plain), vstring_end(plain), 0);
	vstring_free(plain);
}

/* smtp_hdr8_phrases - address headers: runs of 8-bit display-name words */

static void
smtp_hdr8_phrases(VSTRING *out, size_t *col, const char *v, const char *e)
{
	const char *p = v, *w, *run = NULL, *run_end = NULL, *start = v, *c;
	int	 phrase;

	while (p < e) {
		p = smtp_hdr8_token(p, e, &w);
		if (p == w)
			break;
		phrase = 1;
		if (*w != '"')
			for (c = w; c < p; c++)
				if (strchr("<>@,;:\"()[]\\", *c) != NULL)
					phrase = 0;
		if (phrase && (run != NULL || smtp_hdr8_has8(w, p))) {
			if (run == NULL)
				run = w;
			run_end = p;
			continue;
		}
		if (run != NULL) {
			smtp_hdr8_fold(out, col, start, run - start, 0);
			smtp_hdr8_run(out, col, run, run_end);
			start = run_end;
			run = NULL;
		}
	}
	if (run != NULL) {
		smtp_hdr8_fold(out, col, start, run - start, 0);
		smtp_hdr8_run(out, col, run, run_end);
		start = run_end;
	}
	smtp_hdr8_fold(out, col, start, e - start, 0);
}

int
smtp_hdr8_encode(VSTRING *out, const char *hdr)
{
	const char *colon, *v, *e = hdr + strlen(hdr);
	size_t	 col = 0;

	if (!smtp_hdr8_has8(hdr, e) || (colon = strchr(hdr, ':')) == NULL
	    || smtp_hdr8_has8(hdr, colon))
		return 0;
	vstring_reset(out);
	v = colon + 1;
	smtp_hdr8_fold(out, &col, hdr, v - hdr, 0);
	if (smtp_hdr8_is_addr(hdr, colon - hdr))
		smtp_hdr8_phrases(out, &col, v, e);
	else if ((colon - hdr == 12 && strncasecmp(hdr, "Content-Type", 12) == 0)
	    || (colon - hdr == 19 && strncasecmp(hdr, "Content-Disposition", 19) == 0)) {
		smtp_hdr8_quoted(out, &col, v, e);
		if (smtp_hdr8_has8(vstring_str(out), vstring_end(out))) {
			/* 8-bit outside quotes: the whole span, as a last resort. */
			vstring_reset(out);
			col = 0;
			smtp_hdr8_fold(out, &col, hdr, v - hdr, 0);
			smtp_hdr8_span(out, &col, v, e);
		}
	} else
		smtp_hdr8_span(out, &col, v, e);
	return 1;
}
