/*
 * NAME
 *	dsn_status - RFC 3463 enhanced mail system status codes
 * SYNOPSIS
 *	#include <dsn_status.h>
 *
 *	int	dsn_valid(const char *text);
 *	int	dsn_class(const char *text);
 *	const char *dsn_from_reply(int code);
 *	const char *dsn_text(const char *status);
 *	int	dsn_split(const char *text, char *status, size_t size,
 *		    const char **rest);
 *	int	dsn_reply_consistent(int code, const char *status);
 * DESCRIPTION
 *	A status is "class.subject.detail": class 2, 4 or 5, subject and
 *	detail 0..999 without leading zeros beyond a single "0" (RFC 3463
 *	section 2, RFC 5248).
 *
 *	dsn_valid() returns the length of a status at the start of text
 *	when it is followed by the end of the text or white space, else 0.
 *	dsn_class() returns the class digit of a valid status, else 0.
 *
 *	dsn_from_reply() maps an SMTP reply code (200..599) to the status to
 *	use when the server sent none: the RFC 3463 meaning of well-known
 *	codes (421 4.4.2, 450 4.2.0, 452 4.3.1, 552 5.2.2, 553 5.1.3 ...),
 *	otherwise class.0.0. Codes out of range yield "4.0.0" (a broken
 *	reply is a temporary failure).
 *
 *	dsn_text() returns the RFC 3463 description of a common status, or
 *	of its class ("Other undefined Status", "Persistent Transient
 *	Failure", "Permanent Failure") for the rest.
 *
 *	dsn_split() copies a valid status at the start of text (as found
 *	after an SMTP reply code) into status, sets rest to the text after
 *	it and its white space, and returns 1; otherwise it returns 0 and
 *	leaves status empty and rest at text.
 *
 *	dsn_reply_consistent() says whether an SMTP reply code and a status
 *	agree in class (2xx with 2.x.x and so on).
 * DIAGNOSTICS
 *	None: invalid input gives 0 or the defaults above.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "dsn_status.h"

/* dsn_number - length of a 1..3 digit number without leading zero, or 0. */
static int
dsn_number(const char *s)
{
	int	 n = 0;

	while (n < 4 && isdigit((unsigned char)s[n]))
		n++;
	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return 0;
	return n;
}

int
dsn_valid(const char *text)
{
	int	 len, n;

	if ((text[0] != '2' && text[0] != '4' && text[0] != '5') || text[1] != '.')
		return 0;
	len = 2;
	if ((n = dsn_number(text + len)) == 0 || text[len + n] != '.')
		return 0;
	len += n + 1;
	if ((n = dsn_number(text + len)) == 0)
		return 0;
	len += n;
	if (text[len] != 0 && !isspace((unsigned char)text[len]))
		return 0;
	return len;
}

int
dsn_class(const char *text)
{
	return dsn_valid(text) ? text[0] - '0' : 0;
}

const char *
dsn_from_reply(int code)
{
	static const struct {
		int	 code;
		const char *status;
	} map[] = {
		{ 221, "2.0.0" }, { 250, "2.0.0" }, { 251, "2.1.5" }, { 252, "2.0.0" },
		{ 421, "4.4.2" }, { 450, "4.2.0" }, { 451, "4.3.0" }, { 452, "4.3.1" },
		{ 454, "4.7.0" }, { 500, "5.5.2" }, { 501, "5.5.4" }, { 502, "5.5.1" },
		{ 503, "5.5.1" }, { 504, "5.5.4" }, { 521, "5.3.2" }, { 530, "5.7.0" },
		{ 550, "5.0.0" }, { 551, "5.1.6" }, { 552, "5.2.2" }, { 553, "5.1.3" },
		{ 554, "5.0.0" }, { 556, "5.1.10" }, { 0, NULL },
	};
	int	 i;

	for (i = 0; map[i].status; i++)
		if (map[i].code == code)
			return map[i].status;
	if (code >= 200 && code < 300)
		return "2.0.0";
	if (code >= 500 && code < 600)
		return "5.0.0";
	return "4.0.0";
}

const char *
dsn_text(const char *status)
{
	static const struct {
		const char *code;
		const char *text;
	} map[] = {
		{ "2.0.0", "Success" },
		{ "2.1.5", "Destination address valid" },
		{ "x.1.0", "Other address status" },
		{ "x.1.1", "Bad destination mailbox address" },
		{ "x.1.2", "Bad destination system address" },
		{ "x.1.3", "Bad destination mailbox address syntax" },
		{ "x.1.4", "Destination mailbox address ambiguous" },
		{ "x.1.6", "Destination mailbox has moved, No forwarding address" },
		{ "x.1.7", "Bad sender's mailbox address syntax" },
		{ "x.1.8", "Bad sender's system address" },
		{ "x.2.0", "Other or undefined mailbox status" },
		{ "x.2.1", "Mailbox disabled, not accepting messages" },
		{ "x.2.2", "Mailbox full" },
		{ "x.2.3", "Message length exceeds administrative limit" },
		{ "x.2.4", "Mailing list expansion problem" },
		{ "x.3.0", "Other or undefined mail system status" },
		{ "x.3.1", "Mail system full" },
		{ "x.3.2", "System not accepting network messages" },
		{ "x.3.4", "Message too big for system" },
		{ "x.3.5", "System incorrectly configured" },
		{ "x.4.0", "Other or undefined network or routing status" },
		{ "x.4.1", "No answer from host" },
		{ "x.4.2", "Bad connection" },
		{ "x.4.3", "Directory server failure" },
		{ "x.4.4", "Unable to route" },
		{ "x.4.5", "Mail system congestion" },
		{ "x.4.6", "Routing loop detected" },
		{ "x.4.7", "Delivery time expired" },
		{ "x.5.0", "Other or undefined protocol status" },
		{ "x.5.1", "Invalid command" },
		{ "x.5.2", "Syntax error" },
		{ "x.5.3", "Too many recipients" },
		{ "x.5.4", "Invalid command arguments" },
		{ "x.6.0", "Other or undefined media error" },
		{ "x.6.1", "Media not supported" },
		{ "x.6.3", "Conversion required but not supported" },
		{ "x.6.7", "Non-ASCII addresses not permitted for that sender/recipient" },
		{ "x.7.0", "Other or undefined security status" },
		{ "x.7.1", "Delivery not authorized, message refused" },
		{ "x.7.8", "Authentication credentials invalid" },
		{ NULL, NULL },
	};
	int	 i, len = dsn_valid(status);

	if (len == 0)
		return "Invalid status";
	for (i = 0; map[i].code; i++) {
		if ((map[i].code[0] == 'x' || map[i].code[0] == status[0]) &&
		    strlen(map[i].code + 1) == (size_t)len - 1 &&
		    strncmp(map[i].code + 1, status + 1, (size_t)len - 1) == 0)
			return map[i].text;
	}
	switch (status[0]) {
	case '2':
		return "Success";
	case '4':
		return "Persistent Transient Failure";
	default:
		return "Permanent Failure";
	}
}

int
dsn_split(const char *text, char *status, size_t size, const char **rest)
{
	int	 len = dsn_valid(text);

	*rest = text;
	if (size > 0)
		status[0] = 0;
	if (len == 0 || (size_t)len >= size)
		return 0;
	memcpy(status, text, (size_t)len);
	status[len] = 0;
	text += len;
	while (isspace((unsigned char)*text))
		text++;
	*rest = text;
	return 1;
}

int
dsn_reply_consistent(int code, const char *status)
{
	return dsn_class(status) != 0 && code / 100 == dsn_class(status);
}
