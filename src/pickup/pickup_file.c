/*
 * NAME
 *	pickup_file - turn one maildrop file into a queue file
 * SYNOPSIS
 *	#include "pickup.h"
 *
 *	int	pickup_file(const PICKUP_CTX *ctx, const char *path,
 *		    PICKUP_INFO *info, VSTRING *why);
 * DESCRIPTION
 *	pickup_file() reads the maildrop file at path without trusting it
 *	and writes a new queue file into incoming/. The submitting user is
 *	the file's owner (fstat), never anything the file says. Checks: a
 *	regular file with one link (a hard link to another user's file is
 *	refused), size within message_size_limit plus the envelope, the
 *	maildrop(3) envelope syntax, every address's syntax, at least one
 *	recipient.
 *
 *	The sender defaults to the user's login name (or "#uid" when the
 *	uid has no name); an empty sender line is the null sender. With
 *	append_at_myorigin, "@$myorigin" is appended to addresses without a
 *	domain. The header gets "Received: by $myhostname (Postern, from
 *	userid N)" in front, and From: (with the full name), Date: and
 *	Message-ID: at its end when missing. A header field over
 *	header_size_limit is cut (the excess is discarded, as Postfix does).
 *	A last line without a newline gets one. Like Postfix with
 *	smtputf8_autodetect_classes including "sendmail", UTF-8 in an
 *	address or the header sets the "smtputf8" attribute; 8-bit body
 *	content sets "body" to 8BITMIME.
 *
 *	info receives the queue id, the sender, the Message-ID and the
 *	uid, for the caller's log line.
 * DIAGNOSTICS
 *	PICKUP_OK; PICKUP_GONE (the file has disappeared); PICKUP_RETRY
 *	(the queue could not be written: try again later); PICKUP_BAD (the file is unusable: the
 *	caller moves it to corrupt/). why holds the reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr_parse.h"
#include "maildrop.h"
#include "msg.h"
#include "mymalloc.h"
#include "pickup.h"
#include "qfile.h"
#include "rfc822_hdr.h"
#include "vstream.h"

#define PICKUP_ENV_SLACK	(MAILDROP_RCPT_MAX * 300LL)

/* pickup_addr - check an address, append @myorigin; -1 if malformed. */
static int
pickup_addr(const PICKUP_CTX *ctx, const char *addr, VSTRING *out)
{
	const char *why;

	if (*addr == 0 || addr_valid_mailbox(addr, ADDR_PARSE_UTF8, &why) < 0)
		return -1;
	vstring_strcpy(out, addr);
	if (ctx->append_at_myorigin && addr_domain(addr) == NULL)
		vstring_sprintf_append(out, "@%s", ctx->myorigin);
	return 0;
}

/* pickup_8bit - any byte with the high bit set? */
static int
pickup_8bit(const char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if ((unsigned char)buf[i] & 0x80)
			return 1;
	return 0;
}

/* pickup_envelope - sender and recipients into the writer. */
static int
pickup_envelope(const PICKUP_CTX *ctx, MAILDROP_ENV *env, QF_WRITER *w,
    PICKUP_INFO *info, VSTRING *why)
{
	VSTRING	*addr = vstring_alloc(64);
	struct passwd *pw;
	size_t	 i;
	int	 ret = -1;

	if (env->sender == NULL) {
		if ((pw = getpwuid(info->uid)) != NULL)
			addr_quote(addr, pw->pw_name);
		else
			vstring_sprintf(addr, "#%ld", (long)info->uid);
		if (pickup_addr(ctx, vstring_str(addr), info->sender) < 0) {
			vstring_sprintf(why, "cannot make a sender address for uid %ld",
			    (long)info->uid);
			goto out;
		}
	} else if (*env->sender == 0) {
		vstring_reset(info->sender);
	} else if (pickup_addr(ctx, env->sender, info->sender) < 0) {
		vstring_sprintf(why, "bad sender address syntax");
		goto out;
	}
	qf_set_sender(w, vstring_str(info->sender));
	for (i = 0; i < env->rcpt->argc; i++) {
		if (pickup_addr(ctx, env->rcpt->argv[i], addr) < 0) {
			vstring_sprintf(why, "bad recipient address syntax");
			goto out;
		}
		qf_add_rcpt(w, vstring_str(addr), NULL, env->notify);
		if (pickup_8bit(vstring_str(addr), vstring_len(addr)))
			qf_set_attr(w, "smtputf8", "1");
	}
	if (pickup_8bit(vstring_str(info->sender), vstring_len(info->sender)))
		qf_set_attr(w, "smtputf8", "1");
	if ((info->nrcpt = (int)env->rcpt->argc) == 0) {
		vstring_strcpy(why, "no recipients");
		goto out;
	}
	ret = 0;
out:
	vstring_free(addr);
	return ret;
}

/* pickup_read_header() results. */
#define PH_ERR	(-1)		/* read error */
#define PH_DONE	0		/* header ended (empty line or end of file) */
#define PH_BODY	1		/* line holds the first body line */

/* pickup_read_header - collect the header section. */
static int
pickup_read_header(VSTREAM *fp, RFC822_HDRS *hdrs, VSTRING *line, size_t limit)
{
	VSTRING	*junk;
	int	 st, res;

	for (;;) {
		st = vstream_get_line(fp, line, limit, 0);
		if (st == VSTREAM_ERR)
			return PH_ERR;
		if (st == VSTREAM_EOF)
			return PH_DONE;
		if (st == VSTREAM_LINE_LONG) {
			/* Keep the first limit bytes; the excess is discarded. */
			junk = vstring_alloc(100);
			while ((st = vstream_get_line(fp, junk, limit, 0)) == VSTREAM_LINE_LONG)
				;
			vstring_free(junk);
		}
		res = rfc822_hdrs_line(hdrs, vstring_str(line), vstring_len(line));
		if (res == RFC822_HDR_BODY)
			return PH_BODY;
		if (res == RFC822_HDR_END || st != VSTREAM_LINE_OK)
			return st == VSTREAM_ERR ? PH_ERR : PH_DONE;
	}
}

/* pickup_headers - add the fields a local submission gets. */
static void
pickup_headers(const PICKUP_CTX *ctx, RFC822_HDRS *hdrs, MAILDROP_ENV *env,
    PICKUP_INFO *info, const char *id, time_t now)
{
	VSTRING	*buf = vstring_alloc(100), *tmp = vstring_alloc(100);

	if (rfc822_hdrs_find(hdrs, "From") == NULL) {
		if (env->fullname && *env->fullname) {
			rfc822_hdr_phrase(tmp, env->fullname);
			vstring_sprintf(buf, "From: %s <%s>", vstring_str(tmp),
			    vstring_len(info->sender) ? vstring_str(info->sender) : "MAILER-DAEMON");
		} else {
			vstring_sprintf(buf, "From: %s",
			    vstring_len(info->sender) ? vstring_str(info->sender) : "MAILER-DAEMON");
		}
		rfc822_hdrs_append(hdrs, vstring_str(buf));
	}
	if (rfc822_hdrs_find(hdrs, "Date") == NULL) {
		vstring_sprintf(buf, "Date: %s", vstring_str(rfc822_hdr_date(tmp, now)));
		rfc822_hdrs_append(hdrs, vstring_str(buf));
	}
	if (rfc822_hdrs_find(hdrs, "Message-ID") == NULL) {
		rfc822_hdr_message_id(tmp, id, ctx->myhostname, now);
		vstring_sprintf(buf, "Message-ID: %s", vstring_str(tmp));
		rfc822_hdrs_append(hdrs, vstring_str(buf));
	}
	vstring_strcpy(info->msgid, rfc822_hdr_value(rfc822_hdrs_find(hdrs, "Message-ID")));
	rfc822_hdr_received_local(buf, ctx->myhostname, info->uid, id, now);
	rfc822_hdrs_prepend(hdrs, vstring_str(buf));
	vstring_free(buf);
	vstring_free(tmp);
}

/* pickup_content - header (edited) and body into the writer. */
static int
pickup_content(const PICKUP_CTX *ctx, VSTREAM *fp, QF_WRITER *w,
    MAILDROP_ENV *env, PICKUP_INFO *info, VSTRING *why)
{
	RFC822_HDRS *hdrs = rfc822_hdrs_alloc(ctx->header_limit, 0);
	VSTRING	*line = vstring_alloc(256), *text = vstring_alloc(1024);
	char	 buf[VSTREAM_BUFSIZE];
	ssize_t	 n;
	int	 st, last = '\n', eight = 0, ret = -1;

	st = pickup_read_header(fp, hdrs, line, ctx->header_limit);
	if (st == PH_ERR) {
		vstring_sprintf(why, "read error: %s", strerror(errno));
		goto out;
	}
	pickup_headers(ctx, hdrs, env, info, qf_writer_id(w), time(NULL));
	rfc822_hdrs_text(text, hdrs);
	vstring_addch(text, '\n');
	if (st == PH_BODY) {
		vstring_memcat(text, vstring_str(line), vstring_len(line));
		vstring_addch(text, '\n');
	}
	if (pickup_8bit(vstring_str(text), vstring_len(text)))
		qf_set_attr(w, "smtputf8", "1");	/* smtputf8_autodetect_classes */
	qf_write_content(w, vstring_str(text), vstring_len(text));
	while ((n = vstream_read(fp, buf, sizeof(buf))) > 0) {
		qf_write_content(w, buf, (size_t)n);
		last = buf[n - 1];
		if (!eight && pickup_8bit(buf, (size_t)n))
			eight = 1;
		if (ctx->size_limit > 0 && qf_content_size(w) > ctx->size_limit) {
			vstring_strcpy(why, "message too large");
			goto out;
		}
	}
	if (n < 0) {
		vstring_sprintf(why, "read error: %s", strerror(errno));
		goto out;
	}
	if (last != '\n')
		qf_write_content(w, "\n", 1);
	if (eight)
		qf_set_attr(w, "body", "8BITMIME");
	ret = 0;
out:
	rfc822_hdrs_free(hdrs);
	vstring_free(line);
	vstring_free(text);
	return ret;
}

/* pickup_open - open and vet the maildrop file. */
static int
pickup_open(const PICKUP_CTX *ctx, const char *path, struct stat *st, VSTRING *why)
{
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
		vstring_sprintf(why, "open %s: %s", path, strerror(errno));
		return errno == ENOENT ? -2 : -1;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || st->st_nlink != 1) {
		vstring_sprintf(why, "%s: not a regular file with one link", path);
		(void)close(fd);
		return -1;
	}
	if (ctx->size_limit > 0 && st->st_size > ctx->size_limit + PICKUP_ENV_SLACK) {
		vstring_sprintf(why, "%s: file too large", path);
		(void)close(fd);
		return -1;
	}
	return fd;
}

int
pickup_file(const PICKUP_CTX *ctx, const char *path, PICKUP_INFO *info, VSTRING *why)
{
	MAILDROP_ENV *env = NULL;
	QF_WRITER *w = NULL;
	VSTREAM	*fp;
	struct stat st;
	int	 fd, ret = PICKUP_BAD;

	if ((fd = pickup_open(ctx, path, &st, why)) < 0)
		return fd == -2 ? PICKUP_GONE : PICKUP_BAD;
	info->uid = st.st_uid;
	fp = vstream_fdopen(fd, VSTREAM_FLAG_READ);
	env = maildrop_env_alloc();
	if (maildrop_env_read(fp, env, why) < 0)
		goto out;
	if ((w = qf_create(ctx->queue_dir, why)) == NULL) {
		ret = PICKUP_RETRY;
		goto out;
	}
	qf_set_family(w, AF_UNIX);
	qf_set_origin(w, "local");
	vstring_sprintf(info->id, "%ld", (long)info->uid);
	qf_set_attr(w, "uid", vstring_str(info->id));
	qf_set_attr(w, "protocol", "local");
	if (env->envid || env->ret)
		qf_set_dsn(w, env->envid, env->ret);
	if (pickup_envelope(ctx, env, w, info, why) < 0 ||
	    pickup_content(ctx, fp, w, env, info, why) < 0)
		goto out;
	vstring_strcpy(info->id, qf_writer_id(w));
	ret = qf_commit(w, QF_INCOMING, why) == 0 ? PICKUP_OK : PICKUP_RETRY;
	w = NULL;
out:
	if (w)
		qf_abort(w);
	maildrop_env_free(env);
	vstream_fclose(fp);
	return ret;
}
