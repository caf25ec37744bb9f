/*
 * NAME
 *	xtext - RFC 3461 xtext encoding
 * SYNOPSIS
 *	#include <xtext.h>
 *
 *	VSTRING	*xtext_encode(VSTRING *out, const char *text);
 *	int	xtext_decode(VSTRING *out, const char *xtext);
 * DESCRIPTION
 *	xtext is how ESMTP parameter values carry arbitrary text: the bytes
 *	"!" to "~" except "+" and "=" stand for themselves, every other byte
 *	is "+" and two upper-case hex digits. The DSN parameters ENVID and
 *	ORCPT (RFC 3461) and XFORWARD attributes use it.
 *
 *	xtext_encode() stores the encoding of text in out.
 *
 *	xtext_decode() stores the decoding of xtext in out. It is strict,
 *	as the input comes from the network: a byte outside "!" to "~", a
 *	bare "=", "+" not followed by two upper-case hex digits, or "+00"
 *	(a NUL byte: it would silently cut the value short, and no DSN
 *	parameter may hold one) is an error. The output is never longer
 *	than the input.
 * DIAGNOSTICS
 *	xtext_encode() returns out. xtext_decode() returns 0, or -1 for
 *	malformed input (out then holds the part decoded so far).
 */
#include "xtext.h"

VSTRING *
xtext_encode(VSTRING *out, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	vstring_reset(out);
	for (p = (const unsigned char *)text; *p; p++) {
		if (*p < 33 || *p > 126 || *p == '+' || *p == '=') {
			vstring_addch(out, '+');
			vstring_addch(out, hex[*p >> 4]);
			vstring_addch(out, hex[*p & 15]);
		} else {
			vstring_addch(out, (char)*p);
		}
	}
	return out;
}

/* xtext_hexval - value of an upper-case hex digit, or -1. */
static int
xtext_hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int
xtext_decode(VSTRING *out, const char *xtext)
{
	const unsigned char *p;
	int	 hi, lo;

	vstring_reset(out);
	for (p = (const unsigned char *)xtext; *p; p++) {
		if (*p < 33 || *p > 126 || *p == '=')
			return -1;
		if (*p != '+') {
			vstring_addch(out, (char)*p);
			continue;
		}
		if ((hi = xtext_hexval(p[1])) < 0 || (lo = xtext_hexval(p[2])) < 0)
			return -1;
		if (hi == 0 && lo == 0)
			return -1;
		vstring_addch(out, (char)(hi * 16 + lo));
		p += 2;
	}
	return 0;
}
