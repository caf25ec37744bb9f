/*
 * NAME
 *	sendmail_smtp - sendmail -bs: SMTP on standard input and output
 * SYNOPSIS
 *	#include "sendmail.h"
 *
 *	int	sendmail_smtp(SM_OPTS *opts);
 * DESCRIPTION
 *	A small SMTP server for local programs that speak SMTP to
 *	"sendmail -bs" (RFC 5321 commands HELO, EHLO, MAIL, RCPT, DATA,
 *	RSET, NOOP, VRFY, HELP, QUIT; PIPELINING, SIZE, 8BITMIME and
 *	ENHANCEDSTATUSCODES). Each message is written to maildrop/ like any
 *	other local submission and is answered with 250 only after that
 *	file is durable. The client is the local user: MAIL FROM is taken
 *	as given. Lines end in CRLF or LF; a command line is at most 2048
 *	bytes, a message at most message_size_limit, a transaction at most
 *	smtpd_recipient_limit recipients.
 * DIAGNOSTICS
 *	Returns EX_OK after QUIT, EX_IOERR when the input ends or fails
 *	without QUIT.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "addr_parse.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "sendmail.h"

#define SMTP_LINE_MAX	2048

typedef struct SM_SMTP {
	VSTREAM	*in;
	VSTREAM	*out;
	VSTRING	*line;
	MAILDROP_ENV *env;		/* null: no MAIL yet */
	long long size_limit;
	long long rcpt_limit;
	int	 helo;
} SM_SMTP;

static void
smtp_reply(SM_SMTP *s, const char *text)
{
	vstream_fprintf(s->out, "%s\r\n", text);
}

static void
smtp_reset(SM_SMTP *s)
{
	if (s->env)
		maildrop_env_free(s->env);
	s->env = NULL;
}

static void
smtp_mail(SM_SMTP *s, const char *arg)
{
	VSTRING	*addr = vstring_alloc(64);
	ARGV	*params = argv_alloc(4);
	const char *why;
	size_t	 i;
	long long size;

	if (s->env) {
		smtp_reply(s, "503 5.5.1 Error: nested MAIL command");
	} else if (addr_parse_path(arg, ADDR_PARSE_UTF8 | ADDR_PARSE_BARE, addr, params, &why) < 0) {
		vstream_fprintf(s->out, "501 %s\r\n", why);
	} else {
		for (i = 0; i < params->argc; i++) {
			if (strncasecmp(params->argv[i], "SIZE=", 5) == 0 &&
			    (size = atoll(params->argv[i] + 5)) > s->size_limit && s->size_limit > 0) {
				smtp_reply(s, "552 5.3.4 Message size exceeds fixed limit");
				goto out;
			}
		}
		s->env = maildrop_env_alloc();
		s->env->sender = mystrdup(vstring_str(addr));
		smtp_reply(s, "250 2.1.0 Ok");
	}
out:
	vstring_free(addr);
	argv_free(params);
}

static void
smtp_rcpt(SM_SMTP *s, const char *arg)
{
	VSTRING	*addr = vstring_alloc(64);
	const char *why;

	if (s->env == NULL) {
		smtp_reply(s, "503 5.5.1 Error: need MAIL command");
	} else if ((long long)s->env->rcpt->argc >= s->rcpt_limit) {
		smtp_reply(s, "452 4.5.3 Error: too many recipients");
	} else if (addr_parse_path(arg, ADDR_PARSE_UTF8 | ADDR_PARSE_BARE, addr, NULL, &why) < 0) {
		vstream_fprintf(s->out, "501 %s\r\n", why);
	} else if (vstring_len(addr) == 0) {
		smtp_reply(s, "501 5.1.3 Bad recipient address syntax");
	} else {
		argv_add(s->env->rcpt, vstring_str(addr));
		smtp_reply(s, "250 2.1.5 Ok");
	}
	vstring_free(addr);
}

/* smtp_data_copy - dot-unstuffed content to out; 0, 1 too big, -1 error. */
static int
smtp_data_copy(SM_SMTP *s, VSTREAM *out)
{
	const char *p;
	long long size = 0;
	int	 st, bol = 1, big = 0;
	size_t	 len;

	for (;;) {
		st = vstream_get_line(s->in, s->line, SMTP_LINE_MAX, VSTREAM_GL_CRLF);
		if (st != VSTREAM_LINE_OK && st != VSTREAM_LINE_LONG)
			return -1;
		p = vstring_str(s->line);
		len = vstring_len(s->line);
		if (bol && st == VSTREAM_LINE_OK && len == 1 && *p == '.')
			return big;
		if (bol && *p == '.')
			p++, len--;
		size += (long long)len + 1;
		if (s->size_limit > 0 && size > s->size_limit)
			big = 1;
		if (!big) {
			vstream_write(out, p, len);
			if (st == VSTREAM_LINE_OK)
				vstream_write(out, "\n", 1);
		}
		bol = (st == VSTREAM_LINE_OK);
	}
}

static int
smtp_data(SM_SMTP *s)
{
	VSTRING	*why = vstring_alloc(100);
	SM_DROP	*drop;
	int	 st;

	if (s->env == NULL || s->env->rcpt->argc == 0) {
		smtp_reply(s, s->env ? "554 5.5.1 Error: no valid recipients" :
		    "503 5.5.1 Error: need RCPT command");
		vstring_free(why);
		return 0;
	}
	if ((drop = sendmail_drop_open(why)) == NULL) {
		vstream_fprintf(s->out, "451 4.3.0 %s\r\n", vstring_str(why));
		smtp_reset(s);
		vstring_free(why);
		return 0;
	}
	smtp_reply(s, "354 End data with <CR><LF>.<CR><LF>");
	maildrop_env_write(sendmail_drop_stream(drop), s->env);
	st = smtp_data_copy(s, sendmail_drop_stream(drop));
	if (st != 0) {
		sendmail_drop_abort(drop);
		if (st > 0)
			smtp_reply(s, "552 5.3.4 Message size exceeds fixed limit");
	} else if (sendmail_drop_commit(drop, why) < 0) {
		vstream_fprintf(s->out, "451 4.3.0 Error: %s\r\n", vstring_str(why));
	} else {
		smtp_reply(s, "250 2.0.0 Ok: queued");
	}
	smtp_reset(s);
	vstring_free(why);
	return st < 0 ? -1 : 0;
}

static void
smtp_ehlo(SM_SMTP *s, int ehlo)
{
	const char *host = conf_str("myhostname");

	smtp_reset(s);
	s->helo = 1;
	if (!ehlo) {
		vstream_fprintf(s->out, "250 %s\r\n", host);
		return;
	}
	vstream_fprintf(s->out, "250-%s\r\n250-PIPELINING\r\n250-SIZE %lld\r\n"
	    "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 SMTPUTF8\r\n",
	    host, s->size_limit);
}

/* smtp_command - one command; 1 after QUIT, -1 on input error. */
static int
smtp_command(SM_SMTP *s, char *cmd)
{
	char	*arg = cmd + strcspn(cmd, " ");

	if (*arg)
		*arg++ = 0;
	if (strcasecmp(cmd, "QUIT") == 0) {
		smtp_reply(s, "221 2.0.0 Bye");
		return 1;
	}
	if (strcasecmp(cmd, "EHLO") == 0 || strcasecmp(cmd, "HELO") == 0)
		smtp_ehlo(s, strcasecmp(cmd, "EHLO") == 0);
	else if (strcasecmp(cmd, "MAIL") == 0 && strncasecmp(arg, "FROM:", 5) == 0)
		smtp_mail(s, arg + 5);
	else if (strcasecmp(cmd, "RCPT") == 0 && strncasecmp(arg, "TO:", 3) == 0)
		smtp_rcpt(s, arg + 3);
	else if (strcasecmp(cmd, "DATA") == 0)
		return smtp_data(s);
	else if (strcasecmp(cmd, "RSET") == 0) {
		smtp_reset(s);
		smtp_reply(s, "250 2.0.0 Ok");
	} else if (strcasecmp(cmd, "NOOP") == 0)
		smtp_reply(s, "250 2.0.0 Ok");
	else if (strcasecmp(cmd, "VRFY") == 0)
		smtp_reply(s, "252 2.0.0 Send mail and see");
	else if (strcasecmp(cmd, "HELP") == 0)
		smtp_reply(s, "214 2.0.0 HELO EHLO MAIL RCPT DATA RSET NOOP VRFY QUIT");
	else if (strcasecmp(cmd, "MAIL") == 0 || strcasecmp(cmd, "RCPT") == 0)
		smtp_reply(s, "501 5.5.4 Syntax: MAIL FROM:<address> / RCPT TO:<address>");
	else
		smtp_reply(s, "502 5.5.2 Error: command not recognized");
	return 0;
}

int
sendmail_smtp(SM_OPTS *opts)
{
	SM_SMTP	 s;
	int	 st, ret = 0;

	memset(&s, 0, sizeof(s));
	s.in = vstream_fdopen(0, VSTREAM_FLAG_READ);
	s.out = vstream_fdopen(1, VSTREAM_FLAG_WRITE);
	s.line = vstring_alloc(256);
	s.size_limit = conf_size("message_size_limit");
	s.rcpt_limit = conf_int("smtpd_recipient_limit");
	vstream_fprintf(s.out, "220 %s ESMTP Postern (sendmail -bs)\r\n", conf_str("myhostname"));
	vstream_fflush(s.out);
	while (ret == 0) {
		st = vstream_get_line(s.in, s.line, SMTP_LINE_MAX, VSTREAM_GL_CRLF);
		if (st == VSTREAM_LINE_LONG) {
			while (vstream_get_line(s.in, s.line, SMTP_LINE_MAX, 0) == VSTREAM_LINE_LONG)
				;
			smtp_reply(&s, "500 5.5.2 Error: line too long");
		} else if (st != VSTREAM_LINE_OK) {
			ret = -1;
		} else {
			ret = smtp_command(&s, vstring_str(s.line));
		}
		if (vstream_bufstat(s.in) == 0)
			vstream_fflush(s.out);
	}
	vstream_fflush(s.out);
	smtp_reset(&s);
	vstring_free(s.line);
	vstream_fclose(s.in);
	vstream_fclose(s.out);
	return ret > 0 ? EX_OK : EX_IOERR;
}
