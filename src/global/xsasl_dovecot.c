/*
 * NAME
 *	xsasl_dovecot - SASL server back end through Dovecot's auth service
 * SYNOPSIS
 *	#include <xsasl.h>
 *
 *	XSASL_SERVER_IMPL *xsasl_dovecot_init(const char *path, VSTRING *why);
 * DESCRIPTION
 *	A client of Dovecot's authentication protocol (version 1.x, the
 *	"auth client" socket that Postfix's smtpd_sasl_type = dovecot
 *	uses). path (smtpd_sasl_path) is "inet:host:port", "unix:/path", an
 *	absolute socket path, or a path relative to queue_directory
 *	("private/auth", Postfix's usual setting).
 *
 *	One connection per process, made when first needed: the handshake
 *	(VERSION, CPID; the server's VERSION, MECH lines, DONE) gives the
 *	mechanism list, filtered by the security options with the flags
 *	Dovecot sends (plaintext, anonymous, dictionary, active,
 *	forward-secrecy, mutual-auth; private mechanisms are never
 *	offered). Each AUTH command is one request ("AUTH id mech
 *	service=smtp nologin lip= rip= [secured] [resp=]") followed by CONT
 *	lines until OK (user=) or FAIL (reason=, temp); an OK without a
 *	user name (or with an empty one) is a failure ("Authentication
 *	backend error"), never a login. A broken, silent or garbled
 *	connection is closed, the attempt is a temporary failure
 *	("Connection lost to authentication server", as Postfix words it,
 *	which fail2ban does not count against the client), and the next
 *	attempt connects again.
 *
 *	Client data crosses into the protocol only after checks: the
 *	mechanism must be one of the server's (so it has no tabs), and
 *	responses must be base64 ("=" for an empty initial response).
 *	Every read is bounded (XD_LINE_MAX bytes per line, XD_MAX_LINES
 *	lines in the handshake) and timed (XD_TIMEOUT seconds). Of the MECH
 *	lines, only names of at most 20 characters (RFC 4422) are kept,
 *	each once, and at most XD_MAX_MECHS (20) of them (a warning counts
 *	the others), so that the EHLO AUTH line stays within the 512 octets
 *	of a reply line.
 * DIAGNOSTICS
 *	Connection and protocol problems are warnings; a FAIL without a
 *	reason reads "authentication failure".
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "argv.h"
#include "base64.h"
#include "connect.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "vstream.h"
#include "xsasl.h"

#define XD_TIMEOUT	30		/* seconds per connect or read */
#define XD_LINE_MAX	16384
#define XD_MAX_LINES	1000		/* handshake lines */
#define XD_MECH_NAME	20		/* RFC 4422: name length */
#define XD_MAX_MECHS	20		/* kept: 20 x 21 fits one EHLO line */
#define XD_LOST		"Connection lost to authentication server"

typedef struct XD_MECH {
	char	*name;
	int	 flags;			/* XSASL_SEC_* this mechanism violates */
} XD_MECH;

typedef struct XD_IMPL {
	XSASL_SERVER_IMPL impl;
	char	*path;
	VSTREAM	*stream;		/* null: not connected */
	XD_MECH	*mechs;
	int	 nmech;
	int	 nskip;			/* mechanisms beyond XD_MAX_MECHS */
	unsigned request_id;
} XD_IMPL;

typedef struct XD_SERVER {
	XSASL_SERVER server;
	XD_IMPL	*impl;
	XSASL_SERVER_ARGS args;
	char	*service, *realm, *caddr, *saddr;
	unsigned id;			/* request in progress, 0: none */
	char	*username;
	VSTRING	*mechs;
	VSTRING	*line;
} XD_SERVER;

static void
xd_disconnect(XD_IMPL *xd)
{
	if (xd->stream)
		(void)vstream_fclose(xd->stream);
	xd->stream = NULL;
	for (int i = 0; i < xd->nmech; i++)
		myfree(xd->mechs[i].name);
	myfree(xd->mechs);
	xd->mechs = NULL;
	xd->nmech = xd->nskip = 0;
}

static int
xd_open_fd(const char *path, VSTRING *why)
{
	if (strncmp(path, "inet:", 5) == 0)
		return inet_connect_hostport(path + 5, NULL, XD_TIMEOUT, why);
	if (strncmp(path, "unix:", 5) == 0)
		path += 5;
	return unix_connect(path, XD_TIMEOUT, why);
}

static int
xd_has_flag(ARGV *f, const char *word)
{
	for (size_t i = 2; i < f->argc; i++)
		if (strcmp(f->argv[i], word) == 0)
			return 1;
	return 0;
}

/* MECH name flags...: remember it with the options it would violate. */
static void
xd_add_mech(XD_IMPL *xd, ARGV *f)
{
	int	 flags = 0;

	for (size_t i = 2; i < f->argc; i++) {
		const char *w = f->argv[i];

		if (strcmp(w, "private") == 0)
			return;
		if (strcmp(w, "plaintext") == 0)
			flags |= XSASL_SEC_NOPLAINTEXT;
		else if (strcmp(w, "anonymous") == 0)
			flags |= XSASL_SEC_NOANONYMOUS;
		else if (strcmp(w, "dictionary") == 0)
			flags |= XSASL_SEC_NODICTIONARY;
		else if (strcmp(w, "active") == 0)
			flags |= XSASL_SEC_NOACTIVE;
	}
	/* Options that demand a property the mechanism must claim. */
	if (!xd_has_flag(f, "forward-secrecy"))
		flags |= XSASL_SEC_FORWARD;
	if (!xd_has_flag(f, "mutual-auth"))
		flags |= XSASL_SEC_MUTUAL;
	/* RFC 4422 names: 1-20 of letters, digits, '-', '_'; once each. */
	if (strlen(f->argv[1]) > XD_MECH_NAME)
		return;
	for (const char *p = f->argv[1]; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return;
	for (int i = 0; i < xd->nmech; i++)
		if (strcasecmp(xd->mechs[i].name, f->argv[1]) == 0)
			return;
	if (xd->nmech >= XD_MAX_MECHS) {
		xd->nskip++;
		return;
	}
	xd->mechs = myrealloc(xd->mechs, (xd->nmech + 1) * sizeof(XD_MECH));
	xd->mechs[xd->nmech].name = mystrdup(f->argv[1]);
	xd->mechs[xd->nmech++].flags = flags;
}

/* Read the server's handshake; 0, or -1 with why. */
static int
xd_handshake(XD_IMPL *xd, VSTRING *line, VSTRING *why)
{
	ARGV	*f;
	int	 r, version_ok = 0;

	vstream_fprintf(xd->stream, "VERSION\t1\t2\nCPID\t%ld\n", (long)getpid());
	if (vstream_fflush(xd->stream) < 0) {
		vstring_sprintf(why, "write to %s: %m", xd->path);
		return -1;
	}
	for (int n = 0; n < XD_MAX_LINES; n++) {
		r = vstream_get_line(xd->stream, line, XD_LINE_MAX, VSTREAM_GL_CRLF);
		if (r != VSTREAM_LINE_OK) {
			vstring_sprintf(why, "%s: %s", xd->path, XD_LOST);
			return -1;
		}
		f = argv_split(vstring_str(line), "\t");
		if (f->argc >= 2 && strcmp(f->argv[0], "VERSION") == 0)
			version_ok = strcmp(f->argv[1], "1") == 0;
		else if (f->argc >= 2 && strcmp(f->argv[0], "MECH") == 0)
			xd_add_mech(xd, f);
		else if (f->argc == 1 && strcmp(f->argv[0], "DONE") == 0) {
			argv_free(f);
			if (xd->nskip > 0)
				msg_warn("SASL: %s: more than %d mechanisms: "
				    "%d ignored", xd->path, XD_MAX_MECHS, xd->nskip);
			if (!version_ok) {
				vstring_sprintf(why, "%s: not a Dovecot auth server "
				    "(protocol version 1 expected)", xd->path);
				return -1;
			}
			return 0;
		}
		argv_free(f);
	}
	vstring_sprintf(why, "%s: handshake too long", xd->path);
	return -1;
}

static int
xd_connect(XD_IMPL *xd, VSTRING *line, VSTRING *why)
{
	int	 fd;

	if (xd->stream)
		return 0;
	if ((fd = xd_open_fd(xd->path, why)) < 0) {
		msg_warn("SASL: Connect to %s failed: %s", xd->path, vstring_str(why));
		return -1;
	}
	xd->stream = vstream_fdopen(fd, VSTREAM_FLAG_RW);
	vstream_set_timeout(xd->stream, XD_TIMEOUT);
	if (xd_handshake(xd, line, why) < 0) {
		msg_warn("SASL: %s", vstring_str(why));
		xd_disconnect(xd);
		return -1;
	}
	return 0;
}

static const char *
xd_mechs(XSASL_SERVER *xs, VSTRING *why)
{
	XD_SERVER *s = (XD_SERVER *)xs;
	XD_IMPL *xd = s->impl;

	if (xd_connect(xd, s->line, why) < 0)
		return NULL;
	vstring_reset(s->mechs);
	for (int i = 0; i < xd->nmech; i++) {
		if (xd->mechs[i].flags & s->args.sec)
			continue;
		if (vstring_len(s->mechs))
			vstring_addch(s->mechs, ' ');
		vstring_strcat(s->mechs, xd->mechs[i].name);
	}
	return vstring_str(s->mechs);
}

static int
xd_lost(XD_SERVER *s, VSTRING *reply)
{
	msg_warn("SASL: %s: %s", s->impl->path, XD_LOST);
	xd_disconnect(s->impl);
	s->id = 0;
	vstring_strcpy(reply, XD_LOST);
	return XSASL_AUTH_TEMP;
}

static int
xd_valid_b64(const char *resp, VSTRING *scratch)
{
	return base64_decode(scratch, resp, strlen(resp)) == 0;
}

/* Read the reply to request s->id. */
static int
xd_reply(XD_SERVER *s, VSTRING *reply)
{
	XD_IMPL *xd = s->impl;
	ARGV	*f;
	char	 idbuf[16];
	int	 r, status = -1, temp = 0;
	const char *reason = NULL;

	if (vstream_fflush(xd->stream) < 0)
		return xd_lost(s, reply);
	snprintf(idbuf, sizeof(idbuf), "%u", s->id);
	for (int n = 0; n < XD_MAX_LINES && status < 0; n++) {
		r = vstream_get_line(xd->stream, s->line, XD_LINE_MAX, VSTREAM_GL_CRLF);
		if (r != VSTREAM_LINE_OK)
			return xd_lost(s, reply);
		f = argv_split(vstring_str(s->line), "\t");
		if (f->argc < 2 || strcmp(f->argv[1], idbuf) != 0) {
			argv_free(f);
			continue;		/* not ours (or noise) */
		}
		if (strcmp(f->argv[0], "CONT") == 0 && f->argc <= 3) {
			vstring_strcpy(reply, f->argc == 3 ? f->argv[2] : "");
			status = XSASL_AUTH_MORE;
		} else if (strcmp(f->argv[0], "OK") == 0 ||
		    strcmp(f->argv[0], "FAIL") == 0) {
			for (size_t i = 2; i < f->argc; i++) {
				if (strncmp(f->argv[i], "user=", 5) == 0) {
					myfree(s->username);
					s->username = f->argv[i][5] ?
					    mystrdup(f->argv[i] + 5) : NULL;
				} else if (strncmp(f->argv[i], "reason=", 7) == 0)
					reason = f->argv[i] + 7;
				else if (strcmp(f->argv[i], "temp") == 0)
					temp = 1;
			}
			if (*f->argv[0] == 'O' && s->username) {
				status = XSASL_AUTH_DONE;
			} else if (*f->argv[0] == 'O') {
				/* Success for nobody: never a login. */
				msg_warn("SASL: %s: missing Dovecot server OK "
				    "username field", xd->path);
				vstring_strcpy(reply, "Authentication backend error");
				status = XSASL_AUTH_FAIL;
			} else {
				vstring_strcpy(reply, reason && *reason ? reason :
				    "authentication failure");
				status = temp ? XSASL_AUTH_TEMP : XSASL_AUTH_FAIL;
			}
		} else {
			argv_free(f);
			return xd_lost(s, reply);
		}
		argv_free(f);
	}
	if (status < 0)
		return xd_lost(s, reply);
	if (status != XSASL_AUTH_MORE)
		s->id = 0;
	return status;
}

static int
xd_first(XSASL_SERVER *xs, const char *mech, const char *init, VSTRING *reply)
{
	XD_SERVER *s = (XD_SERVER *)xs;
	XD_IMPL *xd = s->impl;
	VSTRING	*scratch;
	int	 i, ok;

	myfree(s->username);
	s->username = NULL;
	if (xd_connect(xd, s->line, reply) < 0) {
		vstring_strcpy(reply, XD_LOST);
		return XSASL_AUTH_TEMP;
	}
	for (i = 0; i < xd->nmech; i++)
		if (strcasecmp(xd->mechs[i].name, mech) == 0 &&
		    !(xd->mechs[i].flags & s->args.sec))
			break;
	if (i == xd->nmech) {
		vstring_strcpy(reply, "Invalid authentication mechanism");
		return XSASL_AUTH_FAIL;
	}
	if (init && strcmp(init, "=") != 0) {
		scratch = vstring_alloc(100);
		ok = xd_valid_b64(init, scratch);
		memset(vstring_str(scratch), 0, vstring_len(scratch));
		vstring_free(scratch);
		if (!ok) {
			vstring_strcpy(reply, "Invalid base64 data in initial response");
			return XSASL_AUTH_FAIL;
		}
	}
	if (++xd->request_id == 0)
		xd->request_id = 1;
	s->id = xd->request_id;
	vstream_fprintf(xd->stream, "AUTH\t%u\t%s\tservice=%s\tnologin",
	    s->id, xd->mechs[i].name, s->service);
	if (*s->saddr)
		vstream_fprintf(xd->stream, "\tlip=%s", s->saddr);
	if (*s->caddr)
		vstream_fprintf(xd->stream, "\trip=%s", s->caddr);
	if (s->args.tls)
		vstream_fputs(xd->stream, "\tsecured");
	if (init)
		vstream_fprintf(xd->stream, "\tresp=%s", strcmp(init, "=") ? init : "");
	vstream_fputs(xd->stream, "\n");
	return xd_reply(s, reply);
}

static int
xd_next(XSASL_SERVER *xs, const char *resp, VSTRING *reply)
{
	XD_SERVER *s = (XD_SERVER *)xs;
	VSTRING	*scratch = vstring_alloc(100);
	int	 ok = xd_valid_b64(resp, scratch);

	memset(vstring_str(scratch), 0, vstring_len(scratch));
	vstring_free(scratch);
	if (s->id == 0 || s->impl->stream == NULL)
		return xd_lost(s, reply);
	if (!ok) {
		/* The request stays open at the server: drop the connection. */
		xd_disconnect(s->impl);
		vstring_strcpy(reply, "Invalid base64 data in continued response");
		s->id = 0;
		return XSASL_AUTH_FAIL;
	}
	vstream_fprintf(s->impl->stream, "CONT\t%u\t%s\n", s->id, resp);
	return xd_reply(s, reply);
}

static const char *
xd_username(XSASL_SERVER *xs)
{
	return ((XD_SERVER *)xs)->username;
}

static void
xd_free(XSASL_SERVER *xs)
{
	XD_SERVER *s = (XD_SERVER *)xs;

	/* A request left open would confuse the next session's replies. */
	if (s->id && s->impl->stream)
		xd_disconnect(s->impl);
	myfree(s->service);
	myfree(s->realm);
	myfree(s->caddr);
	myfree(s->saddr);
	myfree(s->username);
	vstring_free(s->mechs);
	vstring_free(s->line);
	myfree(s);
}

static XSASL_SERVER *
xd_create(XSASL_SERVER_IMPL *impl, const XSASL_SERVER_ARGS *a)
{
	XD_SERVER *s = mycalloc(1, sizeof(*s));

	s->server.mechs = xd_mechs;
	s->server.first = xd_first;
	s->server.next = xd_next;
	s->server.username = xd_username;
	s->server.free = xd_free;
	s->impl = (XD_IMPL *)impl;
	s->args = *a;
	s->service = mystrdup(a->service ? a->service : "smtp");
	s->realm = mystrdup(a->realm ? a->realm : "");
	s->caddr = mystrdup(a->client_addr ? a->client_addr : "");
	s->saddr = mystrdup(a->server_addr ? a->server_addr : "");
	s->mechs = vstring_alloc(100);
	s->line = vstring_alloc(256);
	return &s->server;
}

static void
xd_done(XSASL_SERVER_IMPL *impl)
{
	XD_IMPL *xd = (XD_IMPL *)impl;

	xd_disconnect(xd);
	myfree(xd->path);
	myfree(xd);
}

XSASL_SERVER_IMPL *
xsasl_dovecot_init(const char *path, VSTRING *why)
{
	XD_IMPL *xd;

	if (path == NULL || *path == 0) {
		vstring_strcpy(why, "smtpd_sasl_type = dovecot needs smtpd_sasl_path");
		return NULL;
	}
	xd = mycalloc(1, sizeof(*xd));
	xd->impl.create = xd_create;
	xd->impl.done = xd_done;
	if (*path == '/' || strncmp(path, "inet:", 5) == 0 ||
	    strncmp(path, "unix:", 5) == 0) {
		xd->path = mystrdup(path);
	} else {
		VSTRING	*full = vstring_alloc(100);

		vstring_sprintf(full, "%s/%s", conf_str("queue_directory"), path);
		xd->path = vstring_export(full);
	}
	return &xd->impl;
}
