/*
 * NAME
 *	sendmail_submit - read a message on stdin and drop it for pickup
 * SYNOPSIS
 *	#include "sendmail.h"
 *
 *	int	sendmail_submit(SM_OPTS *opts);
 *	int	sendmail_addr_list(const char *text, ARGV *out, VSTRING *why);
 * DESCRIPTION
 *	sendmail_submit() reads a message from standard input and writes
 *	it with its envelope into maildrop/ (maildrop_file(3)).
 *
 *	Input: a CR before LF is removed (sendmail_fix_line_endings
 *	"always"; "strict" does so only when the first line ends in CRLF,
 *	"never" not at all); a leading mbox "From " line is dropped; unless
 *	opts->dot_ok (-i, -oi), a line holding a single dot ends the input.
 *	The header section is kept in memory (a field over
 *	header_size_limit is cut); the body is copied as it comes, read in
 *	pieces of at most line_length_limit bytes so that a line of any
 *	length passes unchanged in bounded memory, and the whole content is
 *	bounded by message_size_limit.
 *
 *	Recipients come from the arguments (each may hold several
 *	addresses, RFC 5322 style) and, with -t, from the To:, Cc: and Bcc:
 *	header fields, or from Resent-To:, Resent-Cc: and Resent-Bcc: when
 *	the message has any of those. Duplicates are dropped. Bcc: and
 *	Resent-Bcc: fields are always removed from the message.
 *
 *	sendmail_addr_list() parses one argument or header value and adds
 *	the checked mailboxes to out. A value that holds no address, or an
 *	address longer than 998 bytes (which the parser would drop), is an
 *	error that names the value (its first 40 bytes and its length).
 * DIAGNOSTICS
 *	sendmail_submit() returns a sysexits(3) status after printing the
 *	reason: EX_USAGE (no recipients), EX_DATAERR (bad address, message
 *	too large), EX_TEMPFAIL (maildrop/ could not be written), EX_IOERR
 *	(reading standard input). sendmail_addr_list() returns the number of
 *	mailboxes added, or -1 with the reason in why.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "addr_parse.h"
#include "htable.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "rfc822_hdr.h"
#include "sendmail.h"

typedef struct SM_INPUT {
	VSTREAM	*in;
	int	 gl_flags;		/* VSTREAM_GL_CRLF or 0 */
	int	 strict;		/* "strict": decide at the first line */
	int	 dot_ok;
	long long size_limit;
	size_t	 line_limit;		/* read chunk: line_length_limit */
	long long size;
	int	 done;			/* lone dot or end of file seen */
} SM_INPUT;

#define SM_ADDR_MAX	998		/* as addr_parse_list() takes them */

int
sendmail_addr_list(const char *text, ARGV *out, VSTRING *why)
{
	ARGV	*list = argv_alloc(4);
	const char *reason;
	const char *addr, *p;
	char	*q;
	size_t	 i, run;
	int	 count = 0;

	addr_parse_list(text, list);
	/* An address the parser drops (too long) is named, never ignored. */
	for (p = text, run = 0; *p; p++) {
		run = strchr(", \t\r\n", *p) ? 0 : run + 1;
		if (run > SM_ADDR_MAX)
			break;
	}
	if (run > SM_ADDR_MAX || (list->argc == 0 && text[strspn(text, ", \t\r\n")])) {
		vstring_sprintf(why, "bad recipient \"%.40s%s\" (%zu bytes): %s",
		    text, strlen(text) > 40 ? "..." : "", strlen(text),
		    run > SM_ADDR_MAX ? "an address is at most 998 bytes" : "no address found");
		for (q = vstring_str(why); *q; q++)
			if ((unsigned char)*q < 0x20 || (unsigned char)*q == 0x7f)
				*q = '?';
		argv_free(list);
		return -1;
	}
	for (i = 0; i < list->argc; i++) {
		addr = list->argv[i];
		if (addr_valid_mailbox(addr, ADDR_PARSE_UTF8, &reason) < 0) {
			vstring_sprintf(why, "bad address \"%s\": %s", addr, reason + 6);
			argv_free(list);
			return -1;
		}
		argv_add(out, addr);
		count++;
	}
	argv_free(list);
	return count;
}

/* sm_get_line - one input line (or chunk) into buf; vstream result. */
static int
sm_get_line(SM_INPUT *inp, VSTRING *buf, size_t limit)
{
	int	 st;

	if (inp->strict) {
		st = vstream_get_line(inp->in, buf, limit, VSTREAM_GL_KEEPNL);
		inp->strict = 0;
		if (st == VSTREAM_LINE_OK && vstring_len(buf) >= 2 &&
		    vstring_str(buf)[vstring_len(buf) - 2] == '\r') {
			inp->gl_flags = VSTREAM_GL_CRLF;
			vstring_truncate(buf, vstring_len(buf) - 2);
		} else if (st == VSTREAM_LINE_OK) {
			vstring_truncate(buf, vstring_len(buf) - 1);
		}
		return st;
	}
	return vstream_get_line(inp->in, buf, limit, inp->gl_flags);
}

/* sm_is_dot - does a complete line end the input? */
static int
sm_is_dot(SM_INPUT *inp, int st, VSTRING *line)
{
	if (inp->dot_ok || (st != VSTREAM_LINE_OK && st != VSTREAM_LINE_PARTIAL))
		return 0;
	return vstring_len(line) == 1 && vstring_str(line)[0] == '.';
}

/* sm_read_header - collect the header; returns 1 if line holds a body line. */
static int
sm_read_header(SM_INPUT *inp, RFC822_HDRS *hdrs, VSTRING *line, size_t limit)
{
	VSTRING	*junk;
	int	 st, res, first = 1;

	for (;;) {
		st = sm_get_line(inp, line, limit);
		if (st == VSTREAM_ERR || st == VSTREAM_EOF || sm_is_dot(inp, st, line)) {
			inp->done = 1;
			return st == VSTREAM_ERR ? -1 : 0;
		}
		if (st == VSTREAM_LINE_LONG) {
			junk = vstring_alloc(100);
			while ((st = sm_get_line(inp, junk, limit)) == VSTREAM_LINE_LONG)
				;
			vstring_free(junk);
		}
		if (first && strncmp(vstring_str(line), "From ", 5) == 0) {
			first = 0;
			continue;
		}
		first = 0;
		res = rfc822_hdrs_line(hdrs, vstring_str(line), vstring_len(line));
		if (st != VSTREAM_LINE_OK && st != VSTREAM_LINE_LONG)
			inp->done = 1;
		if (res == RFC822_HDR_BODY)
			return 1;
		if (res == RFC822_HDR_END || inp->done)
			return 0;
	}
}

/* sm_write - content bytes, with the size limit. */
static int
sm_write(SM_INPUT *inp, VSTREAM *out, const char *buf, size_t len)
{
	inp->size += (long long)len;
	if (inp->size_limit > 0 && inp->size > inp->size_limit) {
		errno = EFBIG;
		return -1;
	}
	return vstream_write(out, buf, len) == (ssize_t)len ? 0 : -1;
}

/* sm_copy_body - the rest of the input; 0, -1 write error, -2 read error. */
static int
sm_copy_body(SM_INPUT *inp, VSTREAM *out, VSTRING *line)
{
	int	 st, bol = 1;

	while (!inp->done) {
		st = sm_get_line(inp, line, inp->line_limit);
		if (st == VSTREAM_ERR)
			return -2;
		if (st == VSTREAM_EOF || (bol && sm_is_dot(inp, st, line)))
			break;
		if (sm_write(inp, out, vstring_str(line), vstring_len(line)) < 0)
			return -1;
		bol = (st != VSTREAM_LINE_LONG);
		if (bol && sm_write(inp, out, "\n", 1) < 0)
			return -1;
		if (st == VSTREAM_LINE_PARTIAL)
			break;
	}
	return 0;
}

/* sm_extract - recipients from the header (-t). */
static int
sm_extract(RFC822_HDRS *hdrs, ARGV *rcpt, VSTRING *why)
{
	static const char *plain[] = { "To", "Cc", "Bcc", NULL };
	static const char *resent[] = { "Resent-To", "Resent-Cc", "Resent-Bcc", NULL };
	const char **names = plain;
	size_t	 i;
	int	 n;

	for (n = 0; resent[n]; n++)
		if (rfc822_hdrs_find(hdrs, resent[n]) != NULL)
			names = resent;
	for (i = 0; i < hdrs->fields->argc; i++)
		for (n = 0; names[n]; n++)
			if (rfc822_hdr_is(hdrs->fields->argv[i], names[n]) &&
			    sendmail_addr_list(rfc822_hdr_value(hdrs->fields->argv[i]),
			    rcpt, why) < 0)
				return -1;
	return 0;
}

/* sm_envelope - the maildrop envelope from options and header. */
static int
sm_envelope(SM_OPTS *opts, RFC822_HDRS *hdrs, MAILDROP_ENV *env, VSTRING *why)
{
	HTABLE	*seen = htable_create(16);
	ARGV	*all = argv_alloc(8);
	struct passwd *pw;
	size_t	 i;
	int	 ret = EX_DATAERR;

	for (i = 0; i < opts->rcpt_args->argc; i++)
		if (sendmail_addr_list(opts->rcpt_args->argv[i], all, why) < 0)
			goto out;
	if (opts->extract && sm_extract(hdrs, all, why) < 0)
		goto out;
	for (i = 0; i < all->argc; i++)
		if (htable_find(seen, all->argv[i]) == NULL) {
			htable_enter(seen, all->argv[i], all);
			argv_add(env->rcpt, all->argv[i]);
		}
	if (env->rcpt->argc == 0) {
		vstring_strcpy(why, opts->extract ? "no recipient addresses found in "
		    "the message header" : "no recipients: give addresses or -t");
		ret = opts->extract ? EX_DATAERR : EX_USAGE;
		goto out;
	}
	env->sender = opts->sender ? mystrdup(opts->sender) : NULL;
	if (opts->fullname)
		env->fullname = mystrdup(opts->fullname);
	else if ((pw = getpwuid(getuid())) != NULL && pw->pw_gecos && *pw->pw_gecos)
		env->fullname = mystrndup(pw->pw_gecos, strcspn(pw->pw_gecos, ","));
	if (env->fullname && !maildrop_value_ok(env->fullname)) {
		myfree(env->fullname);
		env->fullname = NULL;
	}
	env->notify = opts->notify;
	env->ret = opts->ret;
	env->envid = opts->envid ? mystrdup(opts->envid) : NULL;
	ret = 0;
out:
	htable_free(seen, NULL);
	argv_free(all);
	return ret;
}

/* sm_input_init - standard input, per sendmail_fix_line_endings. */
static void
sm_input_init(SM_INPUT *inp, SM_OPTS *opts)
{
	const char *fix = conf_str("sendmail_fix_line_endings");

	memset(inp, 0, sizeof(*inp));
	inp->in = vstream_fdopen(0, VSTREAM_FLAG_READ);
	inp->gl_flags = strcmp(fix, "never") == 0 ? 0 : VSTREAM_GL_CRLF;
	inp->strict = strcmp(fix, "strict") == 0;
	if (inp->strict)
		inp->gl_flags = 0;
	inp->dot_ok = opts->dot_ok;
	inp->size_limit = conf_size("message_size_limit");
	inp->line_limit = conf_int("line_length_limit") > 0 ?
	    (size_t)conf_int("line_length_limit") : 2048;
}

/* sm_write_all - envelope, header, first body line, rest of body. */
static int
sm_write_all(SM_INPUT *inp, VSTREAM *out, MAILDROP_ENV *env,
    RFC822_HDRS *hdrs, VSTRING *line, int have_line, VSTRING *why)
{
	VSTRING	*text = vstring_alloc(1024);
	int	 ret;

	rfc822_hdrs_text(text, hdrs);
	vstring_addch(text, '\n');
	if (have_line) {
		vstring_memcat(text, vstring_str(line), vstring_len(line));
		vstring_addch(text, '\n');
	}
	ret = maildrop_env_write(out, env) < 0 ? -1 :
	    sm_write(inp, out, vstring_str(text), vstring_len(text));
	if (ret == 0)
		ret = sm_copy_body(inp, out, line);
	if (ret == -2)
		vstring_sprintf(why, "error reading the message: %s", strerror(errno));
	else if (ret < 0 && errno == EFBIG)
		vstring_strcpy(why, "message too large (message_size_limit)");
	else if (ret < 0)
		vstring_sprintf(why, "error writing the maildrop file: %s", strerror(errno));
	vstring_free(text);
	return ret;
}

int
sendmail_submit(SM_OPTS *opts)
{
	RFC822_HDRS *hdrs = rfc822_hdrs_alloc((size_t)conf_int("header_size_limit"), 0);
	VSTRING	*line = vstring_alloc(256), *why = vstring_alloc(100);
	MAILDROP_ENV *env = maildrop_env_alloc();
	MAILDROP_FILE	*drop = NULL;
	SM_INPUT inp;
	int	 have_line, ret, st = 0;

	sm_input_init(&inp, opts);
	if ((have_line = sm_read_header(&inp, hdrs, line, hdrs->field_limit)) < 0) {
		vstring_sprintf(why, "error reading the message: %s", strerror(errno));
		st = EX_IOERR;
		goto out;
	}
	if ((st = sm_envelope(opts, hdrs, env, why)) != 0)
		goto out;
	rfc822_hdrs_remove(hdrs, "Bcc");
	rfc822_hdrs_remove(hdrs, "Resent-Bcc");
	if ((drop = maildrop_file_open(why)) == NULL) {
		st = EX_TEMPFAIL;
		goto out;
	}
	ret = sm_write_all(&inp, maildrop_file_stream(drop), env, hdrs, line,
	    have_line, why);
	if (ret < 0) {
		st = ret == -2 ? EX_IOERR : errno == EFBIG ? EX_DATAERR : EX_TEMPFAIL;
		maildrop_file_abort(drop);
		goto out;
	}
	if (maildrop_file_commit(drop, why) < 0)
		st = EX_TEMPFAIL;
out:
	if (st != 0)
		msg_error("%s", vstring_str(why));
	vstream_fclose(inp.in);
	rfc822_hdrs_free(hdrs);
	maildrop_env_free(env);
	vstring_free(line);
	vstring_free(why);
	return st;
}
