/*
 * NAME
 *	smtp_session - connections, commands and replies
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	SMTP_SESS *smtp_sess_open(SMTP_ADDR *addr, const char *dest,
 *	    VSTRING *why, char *dsn);
 *	SMTP_SESS *smtp_sess_new(int fd, SMTP_ADDR *addr, const char *dest);
 *	void smtp_sess_close(SMTP_SESS *sess, int quit);
 *	int smtp_send(SMTP_SESS *sess, long timeout, const char *fmt, ...);
 *	int smtp_cmd(SMTP_SESS *sess, long timeout, const char *fmt, ...);
 *	int smtp_flush(SMTP_SESS *sess);
 *	int smtp_resp(SMTP_SESS *sess, long timeout);
 *	void smtp_transcript(SMTP_SESS *sess, int dir, const char *text,
 *	    size_t len);
 *	void smtp_sess_say(SMTP_SESS *sess, VSTRING *why, const char *cmd);
 * DESCRIPTION
 *	smtp_sess_open() connects to one address (smtp_bind_address or
 *	smtp_bind_address6 as the local end, smtp_connect_timeout) and
 *	reads the greeting; a 4xx or 5xx greeting fails the session (with
 *	smtp_skip_5xx_greeting a 5xx is made temporary, so that the next
 *	address is tried and the mail is not bounced). When the local
 *	address cannot be bound ("bind ADDR: error" is logged), the
 *	connection is made from any address, as in Postfix, unless
 *	smtp_bind_address_enforce is on: then the attempt fails (4.4.0,
 *	"cannot bind smtp_bind_address to ADDR: error"), so the mail is
 *	deferred rather than sent from another address. The EHLO/HELO
 *	exchange follows (smtp_proto.c).
 *
 *	smtp_send() queues one command line (CRLF added); smtp_cmd() also
 *	flushes. smtp_resp() flushes, sets the stream time limit and reads
 *	one reply into sess->resp with smtp_reply_read(3) (every line,
 *	bounded; the code, 0 when the connection broke or timed out or the
 *	reply was malformed, which marks the session broken; the enhanced
 *	status; the text), each line going to the transcript. With
 *	smtp_reply_filter each line, as received without its CRLF, is first
 *	looked up in that table and replaced by the value found (Postfix's
 *	last-resort workaround for servers whose replies break the
 *	conversation, or for fault injection); the transcript shows the line
 *	after the filter, and the reply's code and status come from the
 *	replaced lines. A table lookup error fails the reply (4.3.0 "table
 *	lookup error") and the session.
 *
 *	The time limits apply to each read or write, or, with
 *	smtp_per_record_deadline, to each whole record: a command line (or
 *	the pipelined group it ends), a reply line, a content line
 *	(smtp_body(3)), so that a server trickling bytes cannot stretch a
 *	limit (vstream_set_deadline(3)).
 *
 *	Conversations with servers that match debug_peer_list, and every
 *	conversation while msg_verbose is on (-v, or smtpctl trace mta
 *	through mail_trace(3)), are logged; for the peers of
 *	debug_peer_list msg_verbose is raised by debug_peer_level;
 *	with smtp_transcript_log (ZMailer's -l) every command and reply line
 *	is appended to that file, each line prefixed with the process id.
 *
 *	smtp_sess_new() makes the session state around a connected
 *	descriptor, before the greeting (smtp_sess_open() uses it; so does
 *	the fuzz harness tests/fuzz/fuzz_smtp.c, on a stream with no network).
 *
 *	smtp_sess_say() formats "host h[a] said: reply (in reply to CMD
 *	command)" into why. smtp_sess_close() sends QUIT when asked and the
 *	session is sane, waiting for its reply unless smtp_skip_quit_response.
 * DIAGNOSTICS
 *	smtp_sess_open() returns null with a reason and a status code.
 *	smtp_send(), smtp_cmd() and smtp_flush() return -1 on a write error
 *	or time out, and mark the session broken.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr_match.h"
#include "connect.h"
#include "dict.h"
#include "msg.h"
#include "mymalloc.h"
#include "sock_addr.h"
#include "smtp.h"


static int smtp_log_fd = -2;

void
smtp_transcript(SMTP_SESS *sess, int dir, const char *text, size_t len)
{
	char	 buf[1200];
	int	 n;

	if (len > 1000)
		len = 1000;
	if (sess->debug || msg_verbose)
		msg_info("%s %s: %.*s", dir == '>' ? ">" : "<", vstring_str(sess->namaddr), (int)len, text);
	if (*smtp_cf.transcript == 0)
		return;
	if (smtp_log_fd == -2) {
		smtp_log_fd = open(smtp_cf.transcript, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (smtp_log_fd < 0)
			msg_warn("open smtp_transcript_log %s: %m", smtp_cf.transcript);
	}
	if (smtp_log_fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%ld\t%s\t%c %.*s\n", (long)getpid(),
	    vstring_str(sess->relay), dir, (int)len, text);
	if (n > 0 && write(smtp_log_fd, buf, n > (int)sizeof(buf) - 1 ? (int)sizeof(buf) - 1 : n) < 0)
		msg_warn("write smtp_transcript_log: %m");
}

/* smtp_vsend - queue one command line */

static int PRINTFLIKE(3, 0)
smtp_vsend(SMTP_SESS *sess, long timeout, const char *fmt, va_list ap)
{
	vstring_reset(sess->line);
	vstring_vsprintf_append(sess->line, fmt, ap);
	if (sess->no_echo)		/* SASL: the verb and mechanism only */
		smtp_transcript(sess, '>', vstring_str(sess->line),
		    strncmp(vstring_str(sess->line), "AUTH ", 5) == 0 ?
		    5 + strcspn(vstring_str(sess->line) + 5, " ") : 0);
	else
		smtp_transcript(sess, '>', vstring_str(sess->line), vstring_len(sess->line));
	vstring_strcat(sess->line, "\r\n");
	vstream_set_timeout(sess->stream, (int)timeout);
	if (smtp_cf.deadline)		/* the whole line, not each write */
		vstream_set_deadline(sess->stream, (int)timeout);
	if (vstream_write(sess->stream, vstring_str(sess->line), vstring_len(sess->line)) < 0) {
		sess->broken = 1;
		return -1;
	}
	return 0;
}

int
smtp_send(SMTP_SESS *sess, long timeout, const char *fmt, ...)
{
	va_list	 ap;
	int	 ret;

	va_start(ap, fmt);
	ret = smtp_vsend(sess, timeout, fmt, ap);
	va_end(ap);
	return ret;
}

int
smtp_flush(SMTP_SESS *sess)
{
	if (vstream_fflush(sess->stream) < 0) {
		sess->broken = 1;
		return -1;
	}
	return 0;
}

int
smtp_cmd(SMTP_SESS *sess, long timeout, const char *fmt, ...)
{
	va_list	 ap;
	int	 ret;

	va_start(ap, fmt);
	ret = smtp_vsend(sess, timeout, fmt, ap);
	va_end(ap);
	return ret < 0 ? -1 : smtp_flush(sess);
}

/*
 * smtp_resp_filter - smtp_reply_filter: the line as received (without
 * CRLF) is the key; a value found replaces the line.
 */
static void
smtp_resp_filter(SMTP_SESS *sess)
{
	const char *val;

	if ((val = dict_get(smtp_cf.reply_filter, vstring_str(sess->line))) != NULL) {
		if (msg_verbose)
			msg_info("%s: %.200s -> %.200s", smtp_pname("smtp_reply_filter"),
			    vstring_str(sess->line), val);
		vstring_memcpy(sess->line, val, strnlen(val, SMTP_REPLY_LINE_MAX));
	} else if (smtp_cf.reply_filter->error != DICT_ERR_NONE) {
		msg_warn("%s: %s: table lookup error for \"%.100s\"",
		    vstring_str(sess->namaddr), smtp_pname("smtp_reply_filter"),
		    vstring_str(sess->line));
		sess->filter_err = 1;
	}
}

/* smtp_resp_hook - a reply line as received (and filtered), into the transcript */

static void
smtp_resp_hook(void *context, const char *line, size_t len)
{
	SMTP_SESS *sess = context;

	if (smtp_cf.reply_filter != NULL) {
		smtp_resp_filter(sess);
		line = vstring_str(sess->line);
		len = vstring_len(sess->line);
	}
	smtp_transcript(sess, '<', line, len);
	if (smtp_cf.deadline)		/* a new deadline for the next line */
		vstream_set_deadline(sess->stream, (int)sess->rec_timeout);
}

int
smtp_resp(SMTP_SESS *sess, long timeout)
{
	SMTP_REPLY *r = &sess->resp;

	r->code = 0;
	if (smtp_flush(sess) < 0) {
		vstring_reset(r->text);
		vstring_reset(r->first);
		argv_truncate(r->lines, 0);
		return 0;
	}
	vstream_set_timeout(sess->stream, (int)timeout);
	if (smtp_cf.deadline) {
		sess->rec_timeout = timeout;
		vstream_set_deadline(sess->stream, (int)timeout);
	}
	if (smtp_reply_read(sess->stream, r, sess->line, smtp_resp_hook, sess) == 0)
		sess->broken = 1;
	if (sess->filter_err) {
		sess->filter_err = 0;
		r->code = 0;
		vstring_strcpy(r->text, "table lookup error");
		strcpy(r->dsn, "4.3.0");
		sess->broken = 1;
	}
	return r->code;
}

void
smtp_sess_say(SMTP_SESS *sess, VSTRING *why, const char *cmd)
{
	const char *what = cmd ? cmd : "receiving the initial server greeting";

	if (sess->resp.code == 0 && strcmp(vstring_str(sess->resp.text), "timed out") == 0) {
		vstring_sprintf(why, "conversation with %s timed out while %s%s",
		    vstring_str(sess->namaddr), cmd ? "sending " : "", what);
		return;
	}
	if (sess->resp.code == 0) {
		vstring_sprintf(why, "%s with %s while %s%s", vstring_len(sess->resp.text) ?
		    vstring_str(sess->resp.text) : "lost connection",
		    vstring_str(sess->namaddr), cmd ? "sending " : "", what);
		return;
	}
	vstring_sprintf(why, "host %s said: %s", vstring_str(sess->namaddr), vstring_str(sess->resp.text));
	if (cmd)
		vstring_sprintf_append(why, " (in reply to %s command)", cmd);
}

/* smtp_sess_new - a session around a connected socket */

SMTP_SESS *
smtp_sess_new(int fd, SMTP_ADDR *a, const char *dest)
{
	SMTP_SESS *sess = mycalloc(1, sizeof(*sess));

	sess->stream = vstream_fdopen(fd, VSTREAM_FLAG_RW);
	sess->dest = mystrdup(dest);
	sess->host = mystrdup(a->host);
	snprintf(sess->addr, sizeof(sess->addr), "%s", a->addr);
	sess->port = a->port;
	sess->relay = vstring_alloc(100);
	sess->namaddr = vstring_alloc(100);
	if (a->sa.ss_family == AF_UNIX) {
		vstring_sprintf(sess->namaddr, "%s[%s]", a->host, a->addr);
		vstring_strcpy(sess->relay, vstring_str(sess->namaddr));
	} else {
		vstring_sprintf(sess->namaddr, "%s[%s]", a->host, a->addr);
		vstring_sprintf(sess->relay, "%s[%s]:%d", a->host, a->addr, a->port);
	}
	vstream_set_peer(sess->stream, vstring_str(sess->namaddr));
	sess->lmtp = smtp_cf.lmtp;
	sess->line = vstring_alloc(512);
	smtp_reply_init(&sess->resp);
	sess->greeting = vstring_alloc(100);
	/* debug_peer_list: log the conversation, and more (debug_peer_level). */
	if ((sess->debug = addr_match_client(smtp_cf.debug_peers, a->addr, a->host) > 0) != 0)
		msg_verbose += smtp_cf.debug_level;
	return sess;
}

/*
 * smtp_sess_connect - the TCP or UNIX connection. When the local address
 * cannot be bound: with smtp_bind_address_enforce the attempt fails
 * (*bind_err set), else a warning and a connection from any address.
 */
static int
smtp_sess_connect(SMTP_ADDR *a, VSTRING *why, int *bind_err)
{
	const char *bind = NULL;
	int	 fd, tmo = smtp_cf.tmo_connect > 0 ? (int)smtp_cf.tmo_connect : -1;

	*bind_err = 0;
	if (a->sa.ss_family == AF_UNIX)
		return unix_connect(a->addr, tmo, why);
	if (a->sa.ss_family == AF_INET && *smtp_cf.bind_addr)
		bind = smtp_cf.bind_addr;
	if (a->sa.ss_family == AF_INET6 && *smtp_cf.bind_addr6)
		bind = smtp_cf.bind_addr6;
	fd = inet_connect_addr((struct sockaddr *)&a->sa, a->salen, bind, tmo, why);
	/* connect(3) names the step that failed. */
	if (fd < 0 && bind != NULL
	    && strncmp(vstring_str(why), "bind local address ", 19) == 0) {
		int	 saved = errno;

		msg_warn("bind %s: %s", bind, strerror(saved));
		if (smtp_cf.bind_enforce) {
			vstring_sprintf(why, "cannot bind %s to %s: %s",
			    a->sa.ss_family == AF_INET6 ? smtp_pname("smtp_bind_address6")
			    : smtp_pname("smtp_bind_address"), bind, strerror(saved));
			*bind_err = 1;
			return -1;
		}
		fd = inet_connect_addr((struct sockaddr *)&a->sa, a->salen, NULL, tmo, why);
	}
	return fd;
}

/* smtp_sess_open1 - one attempt; *retry: go again without TLS */

static SMTP_SESS *
smtp_sess_open1(SMTP_ADDR *a, const char *dest, const char *sender,
    VSTRING *why, char *dsn, int no_tls, int *retry)
{
	SMTP_SESS *sess;
	VSTRING	*err = vstring_alloc(100);
	int	 fd, r, bind_err;

	smtp_title("%s: connect to %s", dest, a->addr);
	if ((fd = smtp_sess_connect(a, err, &bind_err)) < 0) {
		/* connect(3) says "connect to addr[addr]:port: error". */
		if (!bind_err && strncmp(vstring_str(err), "connect to ", 11) == 0)
			vstring_strcpy(err, strerror(errno));
		if (a->sa.ss_family == AF_UNIX)
			vstring_sprintf(why, "connect to %s: %s", a->addr, vstring_str(err));
		else
			vstring_sprintf(why, "connect to %s[%s]:%d: %s", a->host, a->addr, a->port,
			    vstring_str(err));
		strcpy(dsn, bind_err ? "4.4.0" : "4.4.1");
		vstring_free(err);
		return NULL;
	}
	vstring_free(err);
	sess = smtp_sess_new(fd, a, dest);
	sess->no_tls = no_tls;
	if (smtp_tls_policy(sess, why, dsn) < 0) {	/* smtp_tls_policy.c */
		smtp_sess_close(sess, 0);
		return NULL;
	}
	if (smtp_tls_wrap(sess, why, dsn) < 0) {
		smtp_sess_close(sess, 0);
		return NULL;
	}
	smtp_title("%s: greeting from %s", dest, vstring_str(sess->namaddr));
	if (smtp_resp(sess, smtp_cf.tmo_helo) / 100 != 2) {
		smtp_sess_say(sess, why, NULL);
		if (sess->resp.code == 0)
			strcpy(dsn, "4.4.2");
		else
			snprintf(dsn, 16, "%s", sess->resp.dsn);
		if (sess->resp.code / 100 == 5 && smtp_cf.skip_5xx_greeting)
			dsn[0] = '4';
		if (sess->resp.code)
			vstring_sprintf(why, "host %s refused to talk to me: %s", vstring_str(sess->namaddr),
			    vstring_str(sess->resp.text));
		smtp_sess_close(sess, sess->resp.code != 0);
		return NULL;
	}
	vstring_strcpy(sess->greeting, vstring_str(sess->resp.text));
	if (smtp_helo(sess, why, dsn) < 0) {
		smtp_sess_close(sess, !sess->broken);
		return NULL;
	}
	if ((r = smtp_tls_starttls(sess, why, dsn)) != 0) {	/* smtp_tls.c */
		*retry = r == SMTP_TLS_RETRY;
		smtp_sess_close(sess, !sess->broken);
		return NULL;
	}
	if (smtp_sasl_auth(sess, sender, why, dsn) < 0) {	/* smtp_sasl.c */
		smtp_sess_close(sess, !sess->broken);
		return NULL;
	}
	return sess;
}

SMTP_SESS *
smtp_sess_open(SMTP_ADDR *a, const char *dest, const char *sender, VSTRING *why,
    char *dsn)
{
	SMTP_SESS *sess;
	int	 retry = 0;

	sess = smtp_sess_open1(a, dest, sender, why, dsn, 0, &retry);
	if (sess == NULL && retry) {
		msg_info("%s; trying %s[%s] again without TLS",
		    vstring_str(why), a->host, a->addr);
		sess = smtp_sess_open1(a, dest, sender, why, dsn, 1, &retry);
	}
	return sess;
}

void
smtp_sess_close(SMTP_SESS *sess, int quit)
{
	if (sess == NULL)
		return;
	if (quit && !sess->broken) {
		if (smtp_cmd(sess, smtp_cf.tmo_quit, "QUIT") == 0 && !smtp_cf.skip_quit_resp)
			(void)smtp_resp(sess, smtp_cf.tmo_quit);
	}
	smtp_tls_close(sess);
	smtp_tls_policy_free(sess);
	vstream_fclose(sess->stream);
	if (sess->debug)
		msg_verbose -= smtp_cf.debug_level;
	myfree(sess->dest);
	myfree(sess->host);
	vstring_free(sess->relay);
	vstring_free(sess->namaddr);
	vstring_free(sess->line);
	smtp_reply_done(&sess->resp);
	vstring_free(sess->greeting);
	if (sess->sasl_mechs)
		vstring_free(sess->sasl_mechs);
	myfree(sess);
}
