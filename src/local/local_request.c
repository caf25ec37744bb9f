/*
 * NAME
 *	local_request - delivery requests from the queue manager
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_req_init(LOCAL_REQ *req, ATTR *attr, VSTREAM *client);
 *	void	local_req_free(LOCAL_REQ *req);
 *	int	local_req_scan(LOCAL_REQ *req, VSTRING *why);
 * DESCRIPTION
 *	local_req_init() fills in req from the request attributes (see
 *	HACKING.md, "Delivery request"): queue file, sender, times, and the
 *	recipient groups.
 *
 *	local_req_scan() reads the message header (at most LOCAL_MAX_HDR
 *	bytes) and keeps the value of every Delivered-To: field, trimmed
 *	and lower-cased, for the mail loop test.
 * DIAGNOSTICS
 *	local_req_init() returns -1 for a malformed request;
 *	local_req_scan() -1 with a reason when the queue file cannot be
 *	read.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deliver_reply.h"
#include "deliver_request.h"
#include "local.h"
#include "mymalloc.h"

/* local_req_rcpts - the recipient groups (deliver_rcpt(3)) */

static int
local_req_rcpts(LOCAL_REQ *req)
{
	int	 n;

	if ((n = deliver_rcpt_parse(req->attr, &req->rcpt)) < 0)
		return -1;
	req->nrcpt = n;
	return 0;
}

int
local_req_init(LOCAL_REQ *req, ATTR *attr, VSTREAM *client)
{
	memset(req, 0, sizeof(*req));
	req->start = deliver_now();
	req->attr = attr;
	req->client = client;
	req->delivered = argv_alloc(4);
	if (deliver_req_parse(attr, &req->dr) < 0)
		return -1;
	if (req->dr.nexthop == NULL)
		req->dr.nexthop = "";
	return local_req_rcpts(req);
}

void
local_req_free(LOCAL_REQ *req)
{
	if (req->msg)
		qf_close(req->msg);
	myfree(req->rcpt);
	argv_free(req->delivered);
}

/* local_req_field - one header line: keep a Delivered-To: value */

static void
local_req_field(LOCAL_REQ *req, char *line)
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
	if (req->delivered->argc < 1000)
		argv_add(req->delivered, v);
}

int
local_req_scan(LOCAL_REQ *req, VSTRING *why)
{
	VSTRING	*line = vstring_alloc(256);
	char	 buf[8192];
	off_t	 off = 0;
	ssize_t	 n, i;
	int	 ret = 0;

	while (off < req->msg->content_size && off < LOCAL_MAX_HDR) {
		if ((n = qf_read_content(req->msg, off, buf, sizeof(buf))) <= 0) {
			vstring_sprintf(why, "read queue file: %s",
			    n < 0 ? "read error" : "unexpected end of file");
			ret = -1;
			break;
		}
		off += n;
		for (i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (vstring_len(line) < 4096)
					vstring_addch(line, buf[i]);
				continue;
			}
			if (vstring_len(line) == 0)
				goto done;
			local_req_field(req, vstring_str(line));
			vstring_reset(line);
		}
	}
done:
	vstring_free(line);
	return ret;
}
