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
 *	domain. The envelope and content go through the cleanup stage
 *	(cleanup(3)) as a local submission: address rewriting, virtual
 *	aliasing, bcc, header completion (Message-Id:, Date:, From: with
 *	the full name when missing), hooks. The header gets "Received: by
 *	$myhostname (Postern, from userid N)" in front. A header field over
 *	header_size_limit is cut (the excess is discarded, as Postfix does).
 *	A last line without a newline gets one. The "ID: uid=N
 *	from=<sender>" line is logged once the envelope is known. Like Postfix with
 *	smtputf8_autodetect_classes including "sendmail", UTF-8 in an
 *	address or the header sets the "smtputf8" attribute; 8-bit body
 *	content sets "body" to 8BITMIME.
 *
 *	info receives the queue id, the sender, the Message-ID and the
 *	uid, for the caller's log line.
 * DIAGNOSTICS
 *	PICKUP_OK; PICKUP_GONE (the file has disappeared); PICKUP_RETRY
 *	(the queue could not be written, or a table failed: try again
 *	later); PICKUP_BAD (the file is unusable, or the cleanup stage
 *	rejected it: the caller moves it to corrupt/). why holds the reason.
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
#include "cleanup_content.h"
#include "has8bit.h"
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

/* pickup_envelope - sender and recipients into the cleanup stage. */
static int
pickup_envelope(const PICKUP_CTX *ctx, MAILDROP_ENV *env, CLEANUP *c,
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
	cleanup_sender(c, vstring_str(info->sender));
	if (has8bit(vstring_str(info->sender), vstring_len(info->sender)))
		cleanup_attr(c, "smtputf8", "1");
	if ((info->nrcpt = (int)env->rcpt->argc) == 0) {
		vstring_strcpy(why, "no recipients");
		goto out;
	}
	msg_info("%s: uid=%ld from=<%s>", cleanup_id(c), (long)info->uid,
	    vstring_str(info->sender));
	for (i = 0; i < env->rcpt->argc; i++) {
		if (pickup_addr(ctx, env->rcpt->argv[i], addr) < 0) {
			vstring_sprintf(why, "bad recipient address syntax");
			goto out;
		}
		if (has8bit(vstring_str(addr), vstring_len(addr)))
			cleanup_attr(c, "smtputf8", "1");
		(void)cleanup_rcpt(c, vstring_str(addr), NULL, env->notify);
	}
	ret = 0;
out:
	vstring_free(addr);
	return ret;
}

/*
 * pickup_header - the header section, line by line, into the stage (8-bit
 * text there sets smtputf8, in the first body line 8BITMIME). An over-long
 * line keeps its first limit bytes; the excess is discarded.
 */
static int
pickup_header(const PICKUP_CTX *ctx, VSTREAM *fp, CLEANUP *c, int *eight)
{
	VSTRING	*line = vstring_alloc(256), *junk = NULL;
	int	 st, ret = 0;

	while (cleanup_in_header(c)) {
		st = vstream_get_line(fp, line, ctx->header_limit, 0);
		if (st == VSTREAM_ERR) {
			ret = -1;
			break;
		}
		if (st == VSTREAM_EOF)
			break;
		if (st == VSTREAM_LINE_LONG) {
			if (junk == NULL)
				junk = vstring_alloc(100);
			while ((st = vstream_get_line(fp, junk, ctx->header_limit, 0))
			    == VSTREAM_LINE_LONG)
				;
		}
		cleanup_line(c, vstring_str(line), vstring_len(line), 1);
		if (has8bit(vstring_str(line), vstring_len(line))) {
			if (cleanup_in_header(c))
				cleanup_attr(c, "smtputf8", "1");
			else
				*eight = 1;
		}
		if (st != VSTREAM_LINE_OK && st != VSTREAM_LINE_LONG)
			break;
	}
	if (junk)
		vstring_free(junk);
	vstring_free(line);
	return ret;
}

/* pickup_content - Received:, header and body into the stage. */
static int
pickup_content(const PICKUP_CTX *ctx, VSTREAM *fp, CLEANUP *c,
    MAILDROP_ENV *env, PICKUP_INFO *info, VSTRING *why)
{
	VSTRING	*rcv = vstring_alloc(256);
	char	 buf[VSTREAM_BUFSIZE];
	ssize_t	 n;
	int	 eight = 0, ret = -1;

	cleanup_fullname(c, env->fullname);
	rfc822_hdr_received_local(rcv, ctx->myhostname, info->uid, cleanup_id(c),
	    time(NULL));
	vstring_addch(rcv, '\n');
	cleanup_write(c, vstring_str(rcv), vstring_len(rcv));
	if (pickup_header(ctx, fp, c, &eight) < 0) {
		vstring_sprintf(why, "read error: %s", strerror(errno));
		goto out;
	}
	while ((n = vstream_read(fp, buf, sizeof(buf))) > 0) {
		cleanup_write(c, buf, (size_t)n);
		if (!eight && has8bit(buf, (size_t)n))
			eight = 1;
		if (ctx->size_limit > 0 &&
		    qf_content_size(cleanup_qf(c)) > ctx->size_limit) {
			vstring_strcpy(why, "message too large");
			goto out;
		}
	}
	if (n < 0) {
		vstring_sprintf(why, "read error: %s", strerror(errno));
		goto out;
	}
	if (eight)
		cleanup_attr(c, "body", "8BITMIME");
	ret = 0;
out:
	vstring_free(rcv);
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
	CLEANUP	*c = NULL;
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
	if ((c = cleanup_open(ctx->cleanup, ctx->queue_dir,
	    cleanup_content_flags(CLEANUP_FLAG_PICKUP),
	    why)) == NULL) {
		ret = PICKUP_RETRY;
		goto out;
	}
	qf_set_family(cleanup_qf(c), AF_UNIX);
	qf_set_origin(cleanup_qf(c), "local");
	vstring_sprintf(info->id, "%ld", (long)info->uid);
	cleanup_attr(c, "uid", vstring_str(info->id));
	cleanup_attr(c, "protocol", "local");
	if (env->envid || env->ret)
		qf_set_dsn(cleanup_qf(c), env->envid, env->ret);
	if (pickup_envelope(ctx, env, c, info, why) < 0 ||
	    pickup_content(ctx, fp, c, env, info, why) < 0)
		goto out;
	vstring_strcpy(info->id, cleanup_id(c));
	(void)cleanup_size(c);
	vstring_strcpy(info->msgid, cleanup_message_id(c) ?
	    cleanup_message_id(c) : "");
	switch (cleanup_close(c, QF_INCOMING, why)) {
	case CLEANUP_OK:
	case CLEANUP_DISCARD:
		ret = PICKUP_OK;
		break;
	case CLEANUP_DEFER:
		ret = PICKUP_RETRY;
		break;
	default:
		ret = PICKUP_BAD;		/* kept in corrupt/, never lost */
		break;
	}
	c = NULL;
out:
	if (c)
		cleanup_abort(c);
	maildrop_env_free(env);
	vstream_fclose(fp);
	return ret;
}
