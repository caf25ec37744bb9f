/*
 * NAME
 *	unescape - C-like escapes in configuration text to bytes
 * SYNOPSIS
 *	#include <unescape.h>
 *
 *	VSTRING	*unescape(VSTRING *result, const char *text);
 * DESCRIPTION
 *	unescape() copies text to result (replacing what it held), with
 *	the escapes a parameter such as message_reject_characters may use
 *	turned into the bytes they stand for: \a \b \f \n \r \t \v, \\,
 *	and \ddd, one to three octal digits (\0 is the NUL byte; a value
 *	above 0377 keeps its low 8 bits). A backslash before any other
 *	character stands for that character; a backslash at the end of
 *	text stands for itself. The result may hold NUL bytes: use its
 *	length, not strlen().
 * DIAGNOSTICS
 *	None: every text has a meaning. The result is returned.
 */
#include "unescape.h"

VSTRING *
unescape(VSTRING *result, const char *text)
{
	const char *p = text;
	int	 c, n;

	vstring_truncate(result, 0);
	while ((c = (unsigned char)*p++) != 0) {
		if (c != '\\' || *p == 0) {
			vstring_addch(result, c);
			continue;
		}
		switch (c = (unsigned char)*p++) {
		case 'a': c = '\a'; break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'v': c = '\v'; break;
		case '0': case '1': case '2': case '3':
		case '4': case '5': case '6': case '7':
			c -= '0';
			for (n = 1; n < 3 && *p >= '0' && *p <= '7'; n++)
				c = c * 8 + (*p++ - '0');
			c &= 0xff;
			break;
		default:
			break;	/* \\ and any other: the character itself */
		}
		vstring_addch(result, c);
	}
	return result;
}
