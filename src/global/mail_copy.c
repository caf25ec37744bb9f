/*
 * NAME
 *	mail_copy - the message as a mailbox delivery writes it
 * SYNOPSIS
 *	#include <mail_copy.h>
 *
 *	int	mail_copy(const MAIL_COPY_SRC *src, int flags, off_t limit,
 *		    MAIL_COPY_SINK sink, void *ctx, VSTRING *why);
 *	int	mail_copy_fd(const MAIL_COPY_SRC *src, int fd, int flags,
 *		    off_t limit, VSTRING *why);
 *	void	mail_copy_headers(const MAIL_COPY_SRC *src, VSTRING *out,
 *		    int flags, time_t now);
 * DESCRIPTION
 *	The one copy of the message that local(8) and virtual(8) write
 *	into mailboxes, files and commands. mail_copy() produces the
 *	content of src->msg, in pieces handed to sink(ctx, buf, len), with
 *	what flags ask for:
 *	MAIL_COPY_FROM    a "From sender date" line first (mbox; the
 *			  null sender is MAILER-DAEMON)
 *	MAIL_COPY_RETURN  Return-Path: <sender>
 *	MAIL_COPY_DELIVERED  Delivered-To: src->delivered_to (the recipient
 *			  as the queue manager gave it)
 *	MAIL_COPY_ORIG    X-Original-To: src->orig_to
 *	MAIL_COPY_QUOTE   ">From " for every line that starts with
 *			  "From " (mbox)
 *	MAIL_COPY_BLANK   an empty line after the message (mbox)
 *	The content always ends with a newline. With limit > 0, a message
 *	that would exceed limit bytes fails with errno EFBIG before all of
 *	it is written.
 *
 *	mail_copy_fd() is mail_copy() to a file descriptor.
 *	mail_copy_headers() appends what the flags put before the
 *	content to out.
 * DIAGNOSTICS
 *	mail_copy() returns 0, or -1 with errno and a reason in why (the
 *	sink's failure, a read error on the queue file, EFBIG).
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "iostuff.h"
#include "mail_copy.h"

#define MAIL_COPY_CHUNK	65536

void
mail_copy_headers(const MAIL_COPY_SRC *src, VSTRING *out, int flags, time_t now)
{
	const char *sender = src->sender;
	char	 date[64];
	struct tm tm;

	if (flags & MAIL_COPY_FROM) {
		localtime_r(&now, &tm);
		strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
		vstring_sprintf_append(out, "From %s  %s\n",
		    *sender ? sender : "MAILER-DAEMON", date);
	}
	if (flags & MAIL_COPY_RETURN)
		vstring_sprintf_append(out, "Return-Path: <%s>\n", sender);
	if (flags & MAIL_COPY_ORIG)
		vstring_sprintf_append(out, "X-Original-To: %s\n", src->orig_to);
	if (flags & MAIL_COPY_DELIVERED)
		vstring_sprintf_append(out, "Delivered-To: %s\n",
		    src->delivered_to);
}

/* mail_copy_out - hand buf to the sink, keeping count and the limit */

static int
mail_copy_out(VSTRING *buf, off_t *total, off_t limit, MAIL_COPY_SINK sink,
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

/* mail_copy_body - the content with ">From " quoting */

static int
mail_copy_body(const MAIL_COPY_SRC *src, int flags, VSTRING *out, off_t *total,
    off_t limit, MAIL_COPY_SINK sink, void *ctx, VSTRING *why)
{
	QF_MSG	*msg = src->msg;
	char	 buf[MAIL_COPY_CHUNK];
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
			if (bol && (flags & MAIL_COPY_QUOTE) && buf[i] == 'F'
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
		if (vstring_len(out) >= MAIL_COPY_CHUNK
		    && mail_copy_out(out, total, limit, sink, ctx, why) < 0)
			return -1;
	}
	if (!bol)
		vstring_addch(out, '\n');
	return 0;
}

int
mail_copy(const MAIL_COPY_SRC *src, int flags, off_t limit, MAIL_COPY_SINK sink,
    void *ctx, VSTRING *why)
{
	VSTRING	*out = vstring_alloc(MAIL_COPY_CHUNK + 1024);
	off_t	 total = 0;
	int	 ret = -1;

	mail_copy_headers(src, out, flags, time(NULL));
	if (mail_copy_body(src, flags, out, &total, limit, sink, ctx, why) < 0)
		goto out;
	if (flags & MAIL_COPY_BLANK)
		vstring_addch(out, '\n');
	ret = mail_copy_out(out, &total, limit, sink, ctx, why);
out:
	vstring_free(out);
	return ret;
}

static int
mail_copy_write(void *ctx, const char *buf, size_t len)
{
	return write_all(*(int *)ctx, buf, len) < 0 ? -1 : 0;
}

int
mail_copy_fd(const MAIL_COPY_SRC *src, int fd, int flags, off_t limit,
    VSTRING *why)
{
	return mail_copy(src, flags, limit, mail_copy_write, &fd, why);
}
