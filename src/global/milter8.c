/*
 * NAME
 *	milter8 - one milter, Sendmail milter protocol versions 2 to 6
 * SYNOPSIS
 *	#include "milter8_priv.h"
 *
 *	MILTER *milter8_create(const char *name, const MILTER_CONF *conf);
 *	const char *milter8_conn_event(MILTER *m, host, addr, port, family,
 *		MILTER_MAC_FN mac, void *ctx);
 *	const char *milter8_helo_event(...), milter8_mail_event(...),
 *		milter8_rcpt_event(...), milter8_data_event(...),
 *		milter8_unknown_event(...);
 *	void milter8_abort(MILTER *m);
 *	void milter8_disconnect(MILTER *m);
 * DESCRIPTION
 *	A milter is named "inet:host:port" (host may be [bracketed]),
 *	"unix:/path", "local:/path" or a bare path. The connection is made
 *	and the options negotiated (SMFIC_OPTNEG) at the connect event,
 *	within connect_timeout. We offer every action and every protocol
 *	step flag of version 6; the milter answers with the actions it
 *	will use and the steps it does not want (or wants without a
 *	reply), and is never sent a step it refused nor waited for where it
 *	asked for no reply. Macros go before each command (SMFIC_MACRO),
 *	from the configured lists or the lists the milter asked for with
 *	SMFIR_SETSYMLIST.
 *
 *	Each event sends its command and reads replies until a final one
 *	(SMFIR_PROGRESS only restarts the timer): continue, accept (the
 *	milter is skipped for the rest of the message, or of the session
 *	when given at connect or HELO), reject (550 5.7.1 Command
 *	rejected), tempfail (451 4.7.1 Service unavailable - try again
 *	later), replycode (its own text: one line "[45]XX" or "[45]XX
 *	text", or up to 32 lines separated by CRLF, as smfi_setmlreply()
 *	makes them, each with the same code; sent with '-' after the code
 *	on all lines but the last; a malformed one is a broken milter),
 *	discard, skip (no more body chunks), quarantine (the message is
 *	held).
 *	Commands use command_timeout; the content and end of message use
 *	content_timeout.
 *
 *	The message content and its modifications are in milter8_msg.c.
 * DIAGNOSTICS
 *	A milter that cannot be reached, does not answer in time, closes
 *	the connection, or sends a malformed or unexpected packet is logged
 *	(warning, with the reason) and disconnected; from then on its
 *	events return the reply of its default_action (null for accept),
 *	so a broken milter never blocks or crashes the session. A packet
 *	larger than MILTER8_MAX_PACKET is garbage.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connect.h"
#include "milter8_priv.h"
#include "msg.h"
#include "mymalloc.h"
#include "vstream.h"


/* Every step flag that has an SMFIP_NO* / SMFIP_NR_* pair. */
static const struct m8_step {
	int	 cmd;
	unsigned no;
	unsigned nr;
	int	 mac;
	const char *name;
} m8_steps[] = {
	{ SMFIC_CONNECT, SMFIP_NOCONNECT, SMFIP_NR_CONN, MILTER_MAC_CONNECT, "connect" },
	{ SMFIC_HELO, SMFIP_NOHELO, SMFIP_NR_HELO, MILTER_MAC_HELO, "helo" },
	{ SMFIC_MAIL, SMFIP_NOMAIL, SMFIP_NR_MAIL, MILTER_MAC_MAIL, "mail" },
	{ SMFIC_RCPT, SMFIP_NORCPT, SMFIP_NR_RCPT, MILTER_MAC_RCPT, "rcpt" },
	{ SMFIC_DATA, SMFIP_NODATA, SMFIP_NR_DATA, MILTER_MAC_DATA, "data" },
	{ SMFIC_UNKNOWN, SMFIP_NOUNKNOWN, SMFIP_NR_UNKN, MILTER_MAC_UNKNOWN, "unknown" },
	{ SMFIC_HEADER, SMFIP_NOHDRS, SMFIP_NR_HDR, -1, "header" },
	{ SMFIC_EOH, SMFIP_NOEOH, SMFIP_NR_EOH, MILTER_MAC_EOH, "end-of-header" },
	{ SMFIC_BODY, SMFIP_NOBODY, SMFIP_NR_BODY, -1, "body" },
	{ SMFIC_BODYEOB, 0, 0, MILTER_MAC_EOM, "end-of-message" },
	{ 0, 0, 0, -1, 0 }
};

static const struct m8_step *
milter8_step(int cmd)
{
	const struct m8_step *s;

	for (s = m8_steps; s->cmd; s++)
		if (s->cmd == cmd)
			return s;
	msg_panic("milter8_step: unknown command %c", cmd);
}

MILTER *
milter8_create(const char *name, const MILTER_CONF *conf)
{
	MILTER	*m = mymalloc(sizeof(*m));

	memset(m, 0, sizeof(*m));
	m->name = mystrdup(name);
	m->conf = *conf;
	m->conf.default_action = mystrdup(conf->default_action);
	for (int i = 0; i < MILTER_MAC_COUNT; i++) {
		m->conf.macros[i] = argv_alloc(4);
		for (size_t j = 0; conf->macros[i] && j < conf->macros[i]->argc; j++)
			argv_add(m->conf.macros[i], conf->macros[i]->argv[j]);
	}
	m->pkt = vstring_alloc(256);
	m->in = vstring_alloc(256);
	m->reply = vstring_alloc(100);
	m->state = M8_IDLE;
	return m;
}

const char *
milter8_name(MILTER *m)
{
	return m->name;
}

static void
milter8_close(MILTER *m)
{
	if (m->fp)
		vstream_fclose(m->fp);
	m->fp = NULL;
	for (int i = 0; i < MILTER_MAC_COUNT; i++) {
		if (m->symlist[i])
			argv_free(m->symlist[i]);
		m->symlist[i] = NULL;
	}
}

void
milter8_free(MILTER *m)
{
	milter8_disconnect(m);
	milter8_close(m);
	for (int i = 0; i < MILTER_MAC_COUNT; i++)
		argv_free(m->conf.macros[i]);
	myfree(m->conf.default_action);
	vstring_free(m->pkt);
	vstring_free(m->in);
	vstring_free(m->reply);
	myfree(m->name);
	myfree(m);
}

/* The reply of the default action; quarantine holds through ops. */
const char *
milter8_default(MILTER *m)
{
	return milter_default_reply(m->conf.default_action);
}

/* Give up on this milter for the session; returns the default reply. */
const char *
milter8_fail(MILTER *m, const char *fmt, ...) PRINTFLIKE(2, 3);

const char *
milter8_fail(MILTER *m, const char *fmt, ...)
{
	va_list	 ap;
	VSTRING	*why = vstring_alloc(100);

	va_start(ap, fmt);
	vstring_vsprintf_append(why, fmt, ap);
	va_end(ap);
	msg_warn("milter %s: %s%s%s; default_action=%s", m->name,
	    vstring_str(why), m->stage ? " at " : "", m->stage ? m->stage : "",
	    m->conf.default_action);
	vstring_free(why);
	milter8_close(m);
	m->state = M8_ERROR;
	return milter8_default(m);
}

/* Packet output. */
void
milter8_put_str(VSTRING *b, const char *s)
{
	vstring_memcat(b, s, strlen(s) + 1);
}

void
milter8_put_u32(VSTRING *b, uint32_t v)
{
	uint32_t n = htonl(v);

	vstring_memcat(b, &n, 4);
}

int
milter8_send(MILTER *m, int cmd, const char *data, size_t len, int timeout)
{
	uint32_t n = htonl((uint32_t)len + 1);
	char	 c = (char)cmd;

	vstream_set_timeout(m->fp, timeout);
	if (vstream_write(m->fp, &n, 4) < 0 || vstream_write(m->fp, &c, 1) < 0
	    || (len > 0 && vstream_write(m->fp, data, len) < 0)
	    || vstream_fflush(m->fp) < 0)
		return -1;
	return 0;
}

static int
milter8_readn(VSTREAM *fp, char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = vstream_read(fp, buf, len)) <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

/* One packet into m->in; returns the command byte, or -1 after logging. */
int
milter8_recv(MILTER *m, int timeout, VSTRING *why)
{
	uint32_t n;
	char	 c;
	size_t	 len;

	vstream_set_timeout(m->fp, timeout);
	if (milter8_readn(m->fp, (char *)&n, 4) < 0) {
		vstring_sprintf(why, "%s", vstream_ftimeout(m->fp) ?
		    "timeout waiting for a reply" : "connection lost or reset");
		return -1;
	}
	len = ntohl(n);
	if (len == 0 || len > MILTER8_MAX_PACKET) {
		vstring_sprintf(why, "bad packet length %zu", len);
		return -1;
	}
	if (milter8_readn(m->fp, &c, 1) < 0) {
		vstring_sprintf(why, "short packet");
		return -1;
	}
	vstring_space(m->in, len);
	vstring_truncate(m->in, 0);
	if (len > 1 && milter8_readn(m->fp, vstring_str(m->in), len - 1) < 0) {
		vstring_sprintf(why, "%s", vstream_ftimeout(m->fp) ?
		    "timeout reading a reply" : "short packet");
		return -1;
	}
	m->in->len = len - 1;
	m->in->str[m->in->len] = 0;
	return (unsigned char)c;
}

/* Parse NUL-terminated strings out of m->in; -1 if malformed. */
int
milter8_strings(MILTER *m, size_t off, const char **v, int want)
{
	const char *p = vstring_str(m->in) + off, *end = vstring_end(m->in);
	const char *nul;
	int	 i;

	for (i = 0; i < want; i++) {
		if (p >= end || (nul = memchr(p, 0, end - p)) == NULL)
			return i == 0 ? -1 : i;
		v[i] = p;
		p = nul + 1;
	}
	return i;
}

uint32_t
milter8_get_u32(const char *p)
{
	uint32_t n;

	memcpy(&n, p, 4);
	return ntohl(n);
}

/* Connect and negotiate; -1 after milter8_fail(). */
static int
milter8_connect(MILTER *m)
{
	VSTRING	*why = vstring_alloc(100);
	char	*spec = mystrdup(m->name), *path = NULL;
	int	 fd = -1, c;
	unsigned actions, proto;
	size_t	 off;

	m->stage = "connect";
	if (strncmp(spec, "inet:", 5) == 0) {
		fd = inet_connect_hostport(spec + 5, NULL,
		    m->conf.connect_timeout, why);
	} else {
		if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0)
			path = strchr(spec, ':') + 1;
		else
			path = spec;
		fd = unix_connect(path, m->conf.connect_timeout, why);
	}
	myfree(spec);
	if (fd < 0) {
		milter8_fail(m, "cannot connect: %s", vstring_str(why));
		vstring_free(why);
		return -1;
	}
	m->fp = vstream_fdopen(fd, VSTREAM_FLAG_RW);
	vstream_set_peer(m->fp, m->name);

	/* Options: every action and step of our version. */
	vstring_truncate(m->pkt, 0);
	milter8_put_u32(m->pkt, m->conf.protocol);
	milter8_put_u32(m->pkt, m->conf.protocol >= 6 ? SMFIF_ALL_V6 :
	    SMFIF_ALL_V2 | (m->conf.protocol >= 4 ? SMFIF_CHGFROM |
	    SMFIF_ADDRCPT_PAR : 0));
	milter8_put_u32(m->pkt, m->conf.protocol >= 6 ? SMFIP_ALL_V6 :
	    SMFIP_ALL_V2 | (m->conf.protocol >= 3 ? SMFIP_NOUNKNOWN |
	    SMFIP_NODATA : 0) | (m->conf.protocol >= 4 ? SMFIP_NR_HDR |
	    SMFIP_SKIP | SMFIP_RCPT_REJ : 0));
	if (milter8_send(m, SMFIC_OPTNEG, vstring_str(m->pkt),
	    vstring_len(m->pkt), m->conf.connect_timeout) < 0) {
		milter8_fail(m, "cannot send options: %m");
		vstring_free(why);
		return -1;
	}
	if ((c = milter8_recv(m, m->conf.connect_timeout, why)) < 0) {
		milter8_fail(m, "negotiation: %s", vstring_str(why));
		vstring_free(why);
		return -1;
	}
	vstring_free(why);
	if (c != SMFIC_OPTNEG || vstring_len(m->in) < 12) {
		milter8_fail(m, "unexpected negotiation reply '%c' (%zu bytes)",
		    isprint(c) ? c : '?', vstring_len(m->in));
		return -1;
	}
	m->version = milter8_get_u32(vstring_str(m->in));
	actions = milter8_get_u32(vstring_str(m->in) + 4);
	proto = milter8_get_u32(vstring_str(m->in) + 8);
	if (m->version < 2 || m->version > 6) {
		milter8_fail(m, "unsupported protocol version %d", m->version);
		return -1;
	}
	if (m->version > m->conf.protocol)
		m->version = m->conf.protocol;
	m->actions = actions & (m->version >= 6 ? SMFIF_ALL_V6 : SMFIF_ALL_V6
	    & ~SMFIF_SETSYMLIST);
	if (proto & ~(unsigned)SMFIP_ALL_V6) {
		milter8_fail(m, "requested unknown protocol flags 0x%x",
		    proto & ~(unsigned)SMFIP_ALL_V6);
		return -1;
	}
	m->proto = proto;
	/* Macro lists the milter asked for. */
	for (off = 12; off + 4 < vstring_len(m->in);) {
		unsigned stage = milter8_get_u32(vstring_str(m->in) + off);
		const char *list = vstring_str(m->in) + off + 4;
		const char *nul = memchr(list, 0, vstring_end(m->in) - list);

		if (nul == NULL)
			break;
		if (stage < MILTER_MAC_COUNT && (m->actions & SMFIF_SETSYMLIST)) {
			if (m->symlist[stage])
				argv_free(m->symlist[stage]);
			m->symlist[stage] = argv_split(list, " \t,");
		}
		off = nul + 1 - vstring_str(m->in);
	}
	if (msg_verbose)
		msg_info("milter %s: version %d actions 0x%x protocol 0x%x",
		    m->name, m->version, m->actions, m->proto);
	m->state = M8_READY;
	return 0;
}

/* Send the macros of a stage; -1 on I/O error. */
int
milter8_macros(MILTER *m, int cmd, int stage, MILTER_MAC_FN mac, void *ctx,
    int timeout)
{
	ARGV	*names;
	const char *v;
	char	 buf[256];
	int	 n = 0;

	if (stage < 0 || mac == NULL)
		return 0;
	names = m->symlist[stage] ? m->symlist[stage] : m->conf.macros[stage];
	vstring_truncate(m->pkt, 0);
	vstring_addch(m->pkt, cmd);
	for (size_t i = 0; i < names->argc; i++) {
		const char *name = names->argv[i];
		size_t	 len = strlen(name);

		/* Lists may name "{x}" or "x"; ask the callback in one form. */
		if (len > 2 && name[0] == '{' && name[len - 1] == '}')
			snprintf(buf, sizeof(buf), "%s", name);
		else if (len > 1)
			snprintf(buf, sizeof(buf), "{%s}", name);
		else
			snprintf(buf, sizeof(buf), "%s", name);
		if ((v = mac(ctx, buf)) == NULL)
			continue;
		milter8_put_str(m->pkt, buf);
		milter8_put_str(m->pkt, v);
		n++;
	}
	if (n == 0)
		return 0;
	return milter8_send(m, SMFIC_MACRO, vstring_str(m->pkt),
	    vstring_len(m->pkt), timeout);
}

/*
 * Is a milter reply code text well formed: one reply line "[45]XX" or
 * "[45]XX text", or several lines separated by CRLF (smfi_setmlreply(),
 * at most MILTER8_REPLY_LINES), each "[45]XX-text" or "[45]XX text" with
 * the same code, and an enhanced status code, where there is one, of
 * the reply's class? A bare CR or LF, or another code on a later line,
 * would break the SMTP reply: refused (a broken milter).
 */
#define MILTER8_REPLY_LINES	32	/* libmilter's own limit */

static const char *
milter8_reply_bad(const char *text)
{
	const char *line = text;
	size_t	 len;
	int	 n, last;

	for (n = 1; ; n++, line += len + 2) {
		len = strcspn(line, "\r\n");
		if (line[len] != 0 && (line[len] != '\r' || line[len + 1] != '\n'))
			return "malformed reply code";	/* a bare CR or LF */
		if (n > MILTER8_REPLY_LINES)
			return "too many lines in reply code";
		/* The last line; one CRLF after it is dropped. */
		last = line[len] == 0 || line[len + 2] == 0;
		if (len < 3 || (line[0] != '4' && line[0] != '5')
		    || !isdigit((unsigned char)line[1])
		    || !isdigit((unsigned char)line[2])
		    || strncmp(line, text, 3) != 0
		    || (len > 3 && line[3] != ' ' && line[3] != '-')
		    || (len < 4 && (n > 1 || !last))
		    || (len > 4 && isdigit((unsigned char)line[4])
			&& line[4] != line[0]))
			return "malformed reply code";
		if (last)
			return NULL;
	}
}

/*
 * The reply as it will be sent: a trailing CRLF dropped, '-' after the
 * code on every line but the last and ' ' on the last (a milter that
 * ends with "550-text" gets a proper last line).
 */
static void
milter8_reply_norm(VSTRING *out, const char *text)
{
	char	*cp, *next;
	size_t	 len = strlen(text);

	if (len >= 2 && strcmp(text + len - 2, "\r\n") == 0)
		len -= 2;
	vstring_memcpy(out, text, len);
	for (cp = vstring_str(out); cp != NULL; cp = next) {
		next = strstr(cp, "\r\n");
		if (strlen(cp) > 3)
			cp[3] = next ? '-' : ' ';
		if (next)
			next += 2;
	}
}

/*
 * A final reply to a command: null to go on, a reply, or "D". Modifying
 * replies are errors here (they belong after end of message).
 */
const char *
milter8_final(MILTER *m, int c, int in_message)
{
	const char *txt = vstring_str(m->in), *bad;

	switch (c) {
	case SMFIR_CONTINUE:
		return NULL;
	case SMFIR_ACCEPT:
		if (in_message)
			m->msg_done = 1;
		else
			m->state = M8_DONE;
		return NULL;
	case SMFIR_REJECT:
		if (in_message)
			m->msg_done = 1;
		return "550 5.7.1 Command rejected";
	case SMFIR_TEMPFAIL:
		if (in_message)
			m->msg_done = 1;
		return "451 4.7.1 Service unavailable - try again later";
	case SMFIR_SHUTDOWN:
	case SMFIR_CONN_FAIL:
		m->state = M8_DONE;
		return "421 4.7.0 Service unavailable - closing connection";
	case SMFIR_DISCARD:
		if (!in_message) {
			msg_warn("milter %s: discard at %s is not allowed; ignored",
			    m->name, m->stage);
			return NULL;
		}
		m->msg_done = 1;
		return "D";
	case SMFIR_REPLYCODE:
		if ((bad = milter8_reply_bad(txt)) != NULL)
			return milter8_fail(m, "%s \"%.100s\"", bad, txt);
		/* Normalize a bare code, as Postfix does. */
		if (strlen(txt) <= 4)
			vstring_sprintf(m->reply, "%.3s %s", txt, txt[0] == '4' ?
			    "4.7.1 Service unavailable - try again later" :
			    "5.7.1 Command rejected");
		else
			milter8_reply_norm(m->reply, txt);
		if (in_message)
			m->msg_done = 1;
		return vstring_str(m->reply);
	default:
		return milter8_fail(m, "unexpected reply '%c'",
		    isprint(c) ? c : '?');
	}
}

/*
 * Send one command (with its stage's macros) and read its final reply.
 * Returns null (go on), a reply, or the default reply after a failure.
 * *sent tells whether the command went out (a refused step does not).
 */
const char *
milter8_event(MILTER *m, int cmd, const char *data, size_t len,
    MILTER_MAC_FN mac, void *ctx, int timeout, int in_message)
{
	const struct m8_step *s = milter8_step(cmd);
	VSTRING	*why;
	const char *r;
	int	 c;

	if (m->state == M8_ERROR)
		return milter8_default(m);
	if (m->state != M8_READY || (in_message && m->msg_done))
		return NULL;
	m->stage = s->name;
	if (s->no && (m->proto & s->no))
		return NULL;
	if (cmd == SMFIC_BODY && m->skip_body)
		return NULL;
	if (milter8_macros(m, cmd, s->mac, mac, ctx, timeout) < 0
	    || milter8_send(m, cmd, data, len, timeout) < 0)
		return milter8_fail(m, "cannot send %s: %m", s->name);
	if (s->nr && (m->proto & s->nr) && m->version >= 6)
		return NULL;
	why = vstring_alloc(100);
	do {
		c = milter8_recv(m, timeout, why);
	} while (c == SMFIR_PROGRESS);
	if (c < 0) {
		r = milter8_fail(m, "%s", vstring_str(why));
		vstring_free(why);
		return r;
	}
	vstring_free(why);
	if (c == SMFIR_SKIP && cmd == SMFIC_BODY) {
		m->skip_body = 1;
		return NULL;
	}
	return milter8_final(m, c, in_message);
}

const char *
milter8_conn_event(MILTER *m, const char *host, const char *addr, int port,
    int family, MILTER_MAC_FN mac, void *ctx)
{
	if (m->state == M8_IDLE && milter8_connect(m) < 0)
		return milter8_default(m);
	vstring_truncate(m->pkt, 0);
	milter8_put_str(m->pkt, host);
	if (family == AF_INET || family == AF_INET6) {
		uint16_t p = htons((uint16_t)port);

		vstring_addch(m->pkt, family == AF_INET ? '4' : '6');
		vstring_memcat(m->pkt, &p, 2);
		milter8_put_str(m->pkt, addr);
	} else if (family == AF_UNIX) {
		uint16_t p = 0;

		vstring_addch(m->pkt, 'L');
		vstring_memcat(m->pkt, &p, 2);
		milter8_put_str(m->pkt, addr);
	} else {
		vstring_addch(m->pkt, 'U');
	}
	{
		/* milter8_event reuses pkt for macros: send from a copy. */
		VSTRING *data = vstring_alloc(vstring_len(m->pkt));
		const char *r;

		vstring_memcpy(data, vstring_str(m->pkt), vstring_len(m->pkt));
		r = milter8_event(m, SMFIC_CONNECT, vstring_str(data),
		    vstring_len(data), mac, ctx, m->conf.command_timeout, 0);
		vstring_free(data);
		if (r != NULL && *r != '4')
			m->state = (m->state == M8_ERROR ? M8_ERROR : M8_DONE);
		return r;
	}
}

/* Send a command whose data are NUL-terminated strings. */
static const char *
milter8_args_event(MILTER *m, int cmd, ARGV *args, MILTER_MAC_FN mac,
    void *ctx, int in_message)
{
	VSTRING	*data = vstring_alloc(100);
	const char *r;

	for (size_t i = 0; i < args->argc; i++)
		milter8_put_str(data, args->argv[i]);
	r = milter8_event(m, cmd, vstring_str(data), vstring_len(data), mac,
	    ctx, m->conf.command_timeout, in_message);
	vstring_free(data);
	return r;
}

const char *
milter8_helo_event(MILTER *m, const char *helo, MILTER_MAC_FN mac, void *ctx)
{
	ARGV	*a = argv_alloc(1);
	const char *r;

	argv_add(a, helo);
	r = milter8_args_event(m, SMFIC_HELO, a, mac, ctx, 0);
	argv_free(a);
	return r;
}

const char *
milter8_mail_event(MILTER *m, ARGV *args, MILTER_MAC_FN mac, void *ctx)
{
	m->msg_done = 0;
	m->skip_body = 0;
	if (m->state == M8_READY)
		m->in_msg = 1;
	return milter8_args_event(m, SMFIC_MAIL, args, mac, ctx, 1);
}

const char *
milter8_rcpt_event(MILTER *m, ARGV *args, MILTER_MAC_FN mac, void *ctx)
{
	const char *r;
	int	 done = m->msg_done;

	r = milter8_args_event(m, SMFIC_RCPT, args, mac, ctx, 1);
	/* A rejected recipient does not end the milter's transaction. */
	if (r != NULL && *r != 'D' && m->state == M8_READY)
		m->msg_done = done;
	return r;
}

int
milter8_wants_rcpt_rej(MILTER *m)
{
	return m->state == M8_READY && (m->proto & SMFIP_RCPT_REJ);
}

const char *
milter8_data_event(MILTER *m, MILTER_MAC_FN mac, void *ctx)
{
	return milter8_event(m, SMFIC_DATA, "", 0, mac, ctx,
	    m->conf.command_timeout, 1);
}

const char *
milter8_unknown_event(MILTER *m, const char *cmd, MILTER_MAC_FN mac,
    void *ctx)
{
	VSTRING	*data = vstring_alloc(100);
	const char *r;

	milter8_put_str(data, cmd);
	r = milter8_event(m, SMFIC_UNKNOWN, vstring_str(data), vstring_len(data),
	    mac, ctx, m->conf.command_timeout, 0);
	vstring_free(data);
	return r;
}

void
milter8_abort(MILTER *m)
{
	if (m->state == M8_READY && m->in_msg)
		if (milter8_send(m, SMFIC_ABORT, "", 0, m->conf.command_timeout) < 0)
			milter8_fail(m, "cannot send abort: %m");
	m->in_msg = 0;
	m->msg_done = 0;
	m->skip_body = 0;
}

void
milter8_disconnect(MILTER *m)
{
	if (m->fp && m->state != M8_ERROR)
		(void)milter8_send(m, SMFIC_QUIT, "", 0, m->conf.command_timeout);
	milter8_close(m);
	m->state = M8_IDLE;
	m->in_msg = 0;
}

