/*
 * NAME
 *	delivered_hdr - Delivered-To: values of a queued message
 * SYNOPSIS
 *	#include "delivered_hdr.h"
 *
 *	int delivered_hdr_scan(QF_MSG *msg, ARGV *out, VSTRING *why);
 * DESCRIPTION
 *	The mail loop test of local(8) and virtual(8), as Postfix's: a
 *	message whose header already says "Delivered-To: <recipient>" has
 *	been here before. delivered_hdr_scan() reads the message header
 *	from the queue file (at most DELIVERED_HDR_MAX_BYTES, up to the
 *	empty line that ends it) and appends the value of each
 *	Delivered-To: field, without surrounding white space and in lower
 *	case, to out (at most DELIVERED_HDR_MAX_COUNT). Lines longer than
 *	4096 bytes are cut; folded fields are not joined (the agents write
 *	Delivered-To: on one line).
 * DIAGNOSTICS
 *	0, or -1 with "read queue file: read error" or "... unexpected end
 *	of file" in why.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "delivered_hdr.h"

#define DELIVERED_HDR_LINE	4096

/* delivered_hdr_field - one header line: keep a Delivered-To: value */
static void
delivered_hdr_field(char *line, ARGV *out)
{
	char	*v, *end;

	if (strncasecmp(line, "Delivered-To:", 13) != 0)
		return;
	for (v = line + 13; isspace((unsigned char)*v); v++)
		;
	for (end = v + strlen(v); end > v && isspace((unsigned char)end[-1]); end--)
		;
	*end = 0;
	for (end = v; *end; end++)
		*end = (char)tolower((unsigned char)*end);
	if (out->argc < DELIVERED_HDR_MAX_COUNT)
		argv_add(out, v);
}

int
delivered_hdr_scan(QF_MSG *msg, ARGV *out, VSTRING *why)
{
	VSTRING	*line = vstring_alloc(256);
	char	 buf[8192];
	off_t	 off = 0;
	ssize_t	 n, i;
	int	 ret = 0;

	while (off < msg->content_size && off < DELIVERED_HDR_MAX_BYTES) {
		if ((n = qf_read_content(msg, off, buf, sizeof(buf))) <= 0) {
			vstring_sprintf(why, "read queue file: %s",
			    n < 0 ? "read error" : "unexpected end of file");
			ret = -1;
			break;
		}
		off += n;
		for (i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (vstring_len(line) < DELIVERED_HDR_LINE)
					vstring_addch(line, buf[i]);
				continue;
			}
			if (vstring_len(line) == 0)
				goto done;
			delivered_hdr_field(vstring_str(line), out);
			vstring_reset(line);
		}
	}
done:
	vstring_free(line);
	return ret;
}
