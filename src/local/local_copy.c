/*
 * NAME
 *	local_copy - the message as a local delivery writes it
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_copy(LOCAL_STATE *state, int flags, off_t limit,
 *		    LOCAL_SINK sink, void *ctx, VSTRING *why);
 *	int	local_copy_fd(LOCAL_STATE *state, int fd, int flags,
 *		    off_t limit, VSTRING *why);
 *	void	local_copy_headers(LOCAL_STATE *state, VSTRING *out,
 *		    int flags, time_t now);
 * DESCRIPTION
 *	local_copy() produces the message of the current request, in
 *	pieces handed to sink(ctx, buf, len), with what flags ask for:
 *	LOCAL_COPY_FROM    a "From sender date" line first (mbox; the
 *			   null sender is MAILER-DAEMON)
 *	LOCAL_COPY_RETURN  Return-Path: <sender>
 *	LOCAL_COPY_DELIVERED  Delivered-To: <recipient> (the recipient as
 *			   the queue manager gave it: frozen_delivered_to)
 *	LOCAL_COPY_ORIG    X-Original-To: <original recipient>
 *	LOCAL_COPY_QUOTE   ">From " for every line that starts with
 *			   "From " (mbox)
 *	LOCAL_COPY_BLANK   an empty line after the message (mbox)
 *	The content always ends with a newline. With limit > 0, a message
 *	that would exceed limit bytes fails with errno EFBIG before all of
 *	it is written.
 *
 *	local_copy_fd() is local_copy() to a file descriptor.
 *	local_copy_headers() appends what the flags put before the
 *	content to out.
 * DIAGNOSTICS
 *	local_copy() returns 0, or -1 with errno and a reason in why (the
 *	sink's failure, a read error on the queue file, EFBIG).
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "iostuff.h"
#include "local.h"

#define LOCAL_CHUNK	65536

void
local_copy_headers(LOCAL_STATE *state, VSTRING *out, int flags, time_t now)
{
	const char *sender = state->req->dr.sender;
	char	 date[64];
	struct tm tm;

	if (flags & LOCAL_COPY_FROM) {
		localtime_r(&now, &tm);
		strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
		vstring_sprintf_append(out, "From %s  %s\n",
		    *sender ? sender : "MAILER-DAEMON", date);
	}
	if (flags & LOCAL_COPY_RETURN)
		vstring_sprintf_append(out, "Return-Path: <%s>\n", sender);
	if (flags & LOCAL_COPY_ORIG)
		vstring_sprintf_append(out, "X-Original-To: %s\n",
		    local_orig_to(state));
	if (flags & LOCAL_COPY_DELIVERED)
		vstring_sprintf_append(out, "Delivered-To: %s\n",
		    state->rcpt->addr);
}

/* local_copy_out - hand buf to the sink, keeping count and the limit */

static int
local_copy_out(VSTRING *buf, off_t *total, off_t limit, LOCAL_SINK sink,
    void *ctx, VSTRING *why)
{
	*total += (off_t)vstring_len(buf);
	if (limit > 0 && *total > limit) {
		vstring_sprintf(why, "message exceeds the size limit of %lld bytes",
		    (long long)limit);
		errno = EFBIG;
		return -1;
	}
	if (vstring_len(buf) > 0 && sink(ctx, vstring_str(buf), vstring_len(buf)) < 0) {
		if (vstring_len(why) == 0)
			vstring_sprintf(why, "write error: %m");
		return -1;
	}
	vstring_reset(buf);
	return 0;
}

/* local_copy_body - the content with ">From " quoting */

static int
local_copy_body(LOCAL_STATE *state, int flags, VSTRING *out, off_t *total,
    off_t limit, LOCAL_SINK sink, void *ctx, VSTRING *why)
{
	QF_MSG	*msg = state->req->msg;
	char	 buf[LOCAL_CHUNK];
	off_t	 off = 0;
	ssize_t	 n, i;
	int	 bol = 1;

	while (off < msg->content_size) {
		if ((n = qf_read_content(msg, off, buf, sizeof(buf))) <= 0) {
			vstring_sprintf(why, "cannot read the queue file");
			errno = EIO;
			return -1;
		}
		for (i = 0; i < n; i++) {
			if (bol && (flags & LOCAL_COPY_QUOTE) && buf[i] == 'F'
			    && off + i + 5 <= msg->content_size) {
				char	 peek[5];

				if (qf_read_content(msg, off + i, peek, 5) == 5
				    && memcmp(peek, "From ", 5) == 0)
					vstring_addch(out, '>');
			}
			vstring_addch(out, buf[i]);
			bol = buf[i] == '\n';
		}
		off += n;
		if (vstring_len(out) >= LOCAL_CHUNK
		    && local_copy_out(out, total, limit, sink, ctx, why) < 0)
			return -1;
	}
	if (!bol)
		vstring_addch(out, '\n');
	return 0;
}

int
local_copy(LOCAL_STATE *state, int flags, off_t limit, LOCAL_SINK sink,
    void *ctx, VSTRING *why)
{
	VSTRING	*out = vstring_alloc(LOCAL_CHUNK + 1024);
	off_t	 total = 0;
	int	 ret = -1;

	local_copy_headers(state, out, flags, time(NULL));
	if (local_copy_body(state, flags, out, &total, limit, sink, ctx, why) < 0)
		goto out;
	if (flags & LOCAL_COPY_BLANK)
		vstring_addch(out, '\n');
	ret = local_copy_out(out, &total, limit, sink, ctx, why);
out:
	vstring_free(out);
	return ret;
}

static int
local_copy_write(void *ctx, const char *buf, size_t len)
{
	return write_all(*(int *)ctx, buf, len) < 0 ? -1 : 0;
}

int
local_copy_fd(LOCAL_STATE *state, int fd, int flags, off_t limit, VSTRING *why)
{
	return local_copy(state, flags, limit, local_copy_write, &fd, why);
}
