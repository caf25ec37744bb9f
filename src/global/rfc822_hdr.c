/*
 * NAME
 *	rfc822_hdr - message header sections
 * SYNOPSIS
 *	#include <rfc822_hdr.h>
 *
 *	RFC822_HDRS *rfc822_hdrs_alloc(size_t field_limit, size_t total_limit);
 *	void	rfc822_hdrs_free(RFC822_HDRS *hdrs);
 *	int	rfc822_hdrs_line(RFC822_HDRS *hdrs, const char *line, size_t len);
 *	const char *rfc822_hdrs_find(const RFC822_HDRS *hdrs, const char *name);
 *	int	rfc822_hdrs_remove(RFC822_HDRS *hdrs, const char *name);
 *	void	rfc822_hdrs_append(RFC822_HDRS *hdrs, const char *field);
 *	void	rfc822_hdrs_prepend(RFC822_HDRS *hdrs, const char *field);
 *	VSTRING	*rfc822_hdrs_text(VSTRING *out, const RFC822_HDRS *hdrs);
 *
 *	size_t	rfc822_hdr_name_len(const char *line, size_t len);
 *	int	rfc822_hdr_is(const char *field, const char *name);
 *	const char *rfc822_hdr_value(const char *field);
 *
 *	VSTRING	*rfc822_hdr_date(VSTRING *out, time_t when);
 *	VSTRING	*rfc822_hdr_message_id(VSTRING *out, const char *queue_id,
 *		    const char *host, time_t when);
 *	VSTRING	*rfc822_hdr_phrase(VSTRING *out, const char *text);
 *	VSTRING	*rfc822_hdr_received_local(VSTRING *out, const char *host,
 *		    uid_t uid, const char *queue_id, time_t when);
 *	VSTRING	*rfc822_hdr_received_smtp(VSTRING *out, const char *helo,
 *		    const char *client_name, const char *client_addr,
 *		    const char *host, const char *protocol,
 *		    const char *queue_id, const char *rcpt, time_t when);
 * DESCRIPTION
 *	An RFC822_HDRS collects the header section of a message, one line
 *	(without its LF) at a time. rfc822_hdrs_line() returns
 *	RFC822_HDR_MORE while the header goes on, RFC822_HDR_END for the
 *	empty line that ends it, and RFC822_HDR_BODY for a line that cannot
 *	be part of a header (no "name:" and not a continuation, or the
 *	header has reached total_limit bytes): the header has then ended
 *	and that line is the first line of the body. A field longer than
 *	field_limit (header_size_limit) is cut, the excess is discarded
 *	(as Postfix does) and hdrs->truncated is set. Lines are kept as
 *	they are (with any CR); folded lines are joined with "\n".
 *
 *	rfc822_hdrs_find() returns the first field named name (case does
 *	not matter), rfc822_hdrs_remove() removes every such field and
 *	returns how many. rfc822_hdrs_append() and rfc822_hdrs_prepend()
 *	add a complete field (folded lines separated by "\n", no final
 *	newline). rfc822_hdrs_text() writes the fields, each followed by a
 *	newline, without the empty separator line.
 *
 *	rfc822_hdr_name_len() returns the length of the field name when
 *	line starts a header field (printable ASCII up to a colon), else 0.
 *	rfc822_hdr_is() compares a field's name; rfc822_hdr_value() skips
 *	the name, colon and leading white space.
 *
 *	rfc822_hdr_date() formats an RFC 5322 date in local time.
 *	rfc822_hdr_message_id() makes "<YYYYmmddHHMMSS.queue_id@host>".
 *	rfc822_hdr_phrase() makes a display name, quoted when it holds
 *	specials, with control characters removed. The Received builders
 *	return complete fields in Postfix's shape for local submissions
 *	("by host (Postern, from userid N)") and SMTP ("from helo (name
 *	[addr]) by host (Postern) with ESMTP id ... for <rcpt>").
 * DIAGNOSTICS
 *	None.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mymalloc.h"
#include "rfc822_hdr.h"

RFC822_HDRS *
rfc822_hdrs_alloc(size_t field_limit, size_t total_limit)
{
	RFC822_HDRS *h = mymalloc(sizeof(*h));

	h->fields = argv_alloc(16);
	h->size = 0;
	h->field_limit = field_limit ? field_limit : 102400;
	h->total_limit = total_limit ? total_limit : 10 * h->field_limit;
	h->truncated = 0;
	h->done = 0;
	return h;
}

void
rfc822_hdrs_free(RFC822_HDRS *h)
{
	argv_free(h->fields);
	myfree(h);
}

size_t
rfc822_hdr_name_len(const char *line, size_t len)
{
	size_t	 i, n;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == ':')
			break;
		if (c < 33 || c > 126)
			break;
	}
	n = i;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;			/* obsolete: white space before colon */
	if (n == 0 || i >= len || line[i] != ':')
		return 0;
	return n;
}

/* rfc822_hdrs_cont - append a continuation line to the last field. */
static void
rfc822_hdrs_cont(RFC822_HDRS *h, const char *line, size_t len)
{
	char	**last = h->fields->argv + h->fields->argc - 1;
	size_t	 cur = strlen(*last);
	char	*joined;

	if (cur + 1 + len > h->field_limit) {
		h->truncated = 1;
		return;
	}
	joined = mymalloc(cur + len + 2);
	memcpy(joined, *last, cur);
	joined[cur] = '\n';
	memcpy(joined + cur + 1, line, len);
	joined[cur + len + 1] = 0;
	myfree(*last);
	*last = joined;
	h->size += len + 1;
}

int
rfc822_hdrs_line(RFC822_HDRS *h, const char *line, size_t len)
{
	size_t	 keep;

	if (h->done)
		return RFC822_HDR_BODY;
	if (len == 0 || (len == 1 && line[0] == '\r')) {
		h->done = 1;
		return RFC822_HDR_END;
	}
	if (h->size + len > h->total_limit || memchr(line, 0, len) != NULL) {
		h->done = 1;
		return RFC822_HDR_BODY;
	}
	if (line[0] == ' ' || line[0] == '\t') {
		if (h->fields->argc == 0) {
			h->done = 1;
			return RFC822_HDR_BODY;
		}
		rfc822_hdrs_cont(h, line, len);
		return RFC822_HDR_MORE;
	}
	if (rfc822_hdr_name_len(line, len) == 0) {
		h->done = 1;
		return RFC822_HDR_BODY;
	}
	keep = len > h->field_limit ? h->field_limit : len;
	if (keep < len)
		h->truncated = 1;
	argv_addn(h->fields, line, keep);
	h->size += keep;
	return RFC822_HDR_MORE;
}

int
rfc822_hdr_is(const char *field, const char *name)
{
	size_t	 n = rfc822_hdr_name_len(field, strlen(field));

	return n > 0 && n == strlen(name) && strncasecmp(field, name, n) == 0;
}

const char *
rfc822_hdr_value(const char *field)
{
	const char *colon = strchr(field, ':');

	if (colon == NULL)
		return field + strlen(field);
	for (colon++; *colon == ' ' || *colon == '\t'; colon++)
		;
	return colon;
}

const char *
rfc822_hdrs_find(const RFC822_HDRS *h, const char *name)
{
	size_t	 i;

	for (i = 0; i < h->fields->argc; i++)
		if (rfc822_hdr_is(h->fields->argv[i], name))
			return h->fields->argv[i];
	return NULL;
}

int
rfc822_hdrs_remove(RFC822_HDRS *h, const char *name)
{
	size_t	 i, j;
	int	 count = 0;

	for (i = j = 0; i < h->fields->argc; i++) {
		if (rfc822_hdr_is(h->fields->argv[i], name)) {
			h->size -= strlen(h->fields->argv[i]);
			myfree(h->fields->argv[i]);
			count++;
		} else {
			h->fields->argv[j++] = h->fields->argv[i];
		}
	}
	h->fields->argc = j;
	h->fields->argv[j] = NULL;
	return count;
}

void
rfc822_hdrs_append(RFC822_HDRS *h, const char *field)
{
	argv_add(h->fields, field);
	h->size += strlen(field);
}

void
rfc822_hdrs_prepend(RFC822_HDRS *h, const char *field)
{
	size_t	 i;

	argv_add(h->fields, field);
	for (i = h->fields->argc - 1; i > 0; i--) {
		char	*tmp = h->fields->argv[i];

		h->fields->argv[i] = h->fields->argv[i - 1];
		h->fields->argv[i - 1] = tmp;
	}
	h->size += strlen(field);
}

VSTRING *
rfc822_hdrs_text(VSTRING *out, const RFC822_HDRS *h)
{
	size_t	 i;

	vstring_reset(out);
	for (i = 0; i < h->fields->argc; i++) {
		vstring_strcat(out, h->fields->argv[i]);
		vstring_addch(out, '\n');
	}
	return out;
}

VSTRING *
rfc822_hdr_date(VSTRING *out, time_t when)
{
	static const char *days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	long	 off;

	localtime_r(&when, &tm);
	off = tm.tm_gmtoff / 60;
	vstring_sprintf(out, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
	    (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
	return out;
}

VSTRING *
rfc822_hdr_message_id(VSTRING *out, const char *queue_id, const char *host,
    time_t when)
{
	struct tm tm;

	gmtime_r(&when, &tm);
	vstring_sprintf(out, "<%04d%02d%02d%02d%02d%02d.%s@%s>", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    queue_id, host);
	return out;
}

VSTRING *
rfc822_hdr_phrase(VSTRING *out, const char *text)
{
	const char *p;
	int	 quote = 0;

	for (p = text; *p; p++)
		if (strchr("()<>[]:;@\\,.\"", *p) != NULL)
			quote = 1;
	vstring_reset(out);
	if (quote)
		vstring_addch(out, '"');
	for (p = text; *p; p++) {
		if ((unsigned char)*p < 32 || *p == 127)
			continue;
		if (quote && (*p == '"' || *p == '\\'))
			vstring_addch(out, '\\');
		vstring_addch(out, *p);
	}
	if (quote)
		vstring_addch(out, '"');
	return out;
}

VSTRING *
rfc822_hdr_received_local(VSTRING *out, const char *host, uid_t uid,
    const char *queue_id, time_t when)
{
	VSTRING	*date = rfc822_hdr_date(vstring_alloc(40), when);

	vstring_sprintf(out, "Received: by %s (Postern, from userid %ld)\n\tid %s; %s",
	    host, (long)uid, queue_id, vstring_str(date));
	vstring_free(date);
	return out;
}

VSTRING *
rfc822_hdr_received_smtp(VSTRING *out, const char *helo, const char *name,
    const char *addr, const char *host, const char *protocol,
    const char *queue_id, const char *rcpt, time_t when)
{
	VSTRING	*date = rfc822_hdr_date(vstring_alloc(40), when);

	vstring_sprintf(out, "Received: from %s (%s [%s])\n\tby %s (Postern) with %s id %s",
	    helo && *helo ? helo : name, name, addr, host, protocol, queue_id);
	if (rcpt)
		vstring_sprintf_append(out, "\n\tfor <%s>", rcpt);
	vstring_sprintf_append(out, "; %s", vstring_str(date));
	vstring_free(date);
	return out;
}
