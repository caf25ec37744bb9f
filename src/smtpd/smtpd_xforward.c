/*
 * NAME
 *	smtpd_xforward - XFORWARD: the original client of a re-injected message
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int smtpd_xforward_allowed(SMTPD_STATE *state);
 *	int smtpd_xforward_cmd(SMTPD_STATE *state, const char *args);
 *	void smtpd_xforward_reset(SMTPD_STATE *state);
 *	const char *smtpd_client_name(const SMTPD_STATE *state);
 *	const char *smtpd_client_addr(const SMTPD_STATE *state);
 *	const char *smtpd_client_port(const SMTPD_STATE *state, char *buf,
 *	    size_t size);
 *	const char *smtpd_client_helo(const SMTPD_STATE *state);
 *	const char *smtpd_client_protocol(const SMTPD_STATE *state);
 *	const char *smtpd_client_namaddr(SMTPD_STATE *state);
 *
 *	int smtpd_xattr_parse(SMTPD_STATE *state, int allowed,
 *	    const char *cmd, const char *args, const char *const *names,
 *	    int count,
 *	    int (*valid)(int, const char *, VSTRING *), char **vals,
 *	    int *set);
 * DESCRIPTION
 *	Postfix's XFORWARD extension: a content filter that hands mail back
 *	to Postern (the amavis pattern) tells the receiving smtpd who the
 *	original client was, so that the Received: header, the queue file's
 *	client attributes (which milters, policy servers and the next hop's
 *	XFORWARD see) and the "client=" log line name that client, not the
 *	filter.
 *
 *	smtpd_xforward_allowed() says whether this client may use it: it
 *	matches smtpd_authorized_xforward_hosts (a mynetworks-style list).
 *	EHLO then announces "XFORWARD NAME ADDR PORT PROTO HELO IDENT
 *	SOURCE".
 *
 *	smtpd_xforward_cmd() handles "XFORWARD name=value ...": an
 *	unauthorized client gets "550 5.7.0 Error: insufficient
 *	authorization", a command inside a transaction "503 5.5.1 Error:
 *	MAIL transaction in progress", an unknown attribute or a bad value
 *	"501 5.5.4". Values are xtext (RFC 3461); "[UNAVAILABLE]" and
 *	"[TEMPUNAVAIL]" mean the filter does not know (the name then reads
 *	"unknown"). NAME and HELO are bounded by their buffers, ADDR must be
 *	an address ("IPV6:" prefix allowed), PORT a number, SOURCE LOCAL or
 *	REMOTE. The attributes hold for the next transaction only:
 *	smtpd_xforward_reset() forgets them after it (end of DATA, RSET,
 *	HELO/EHLO), as Postfix does.
 *
 *	smtpd_xattr_parse() first refuses XFORWARD or XCLIENT from a client
 *	that is not allowed to send it (550 5.7.0 Error: insufficient
 *	authorization) and within a mail transaction (503 5.5.1), then
 *	reads its "name=value ..." arguments (cmd names the command in
 *	replies): each name one of names[count], each value xtext-decoded
 *	and checked by valid(i, value, out), which leaves the form to keep
 *	in out; "[UNAVAILABLE]"
 *	and "[TEMPUNAVAIL]" give a null value. set[i] says that attribute i
 *	was given, vals[i] holds its value (mymalloc'ed, or null). On an
 *	error nothing is kept and the 501 reply is sent.
 *
 *	The smtpd_client_*() accessors return the forwarded value when there
 *	is one, else the connection's own; smtpd_client_namaddr() formats
 *	"name[addr]".
 * DIAGNOSTICS
 *	0 after a 250 reply, -1 after an error reply.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"
#include "vstring.h"
#include "xtext.h"

#define XF_MAX		255		/* longest attribute value we keep */

static const char *const xf_names[SMTPD_XF_COUNT] = {
	"NAME", "ADDR", "PORT", "PROTO", "HELO", "IDENT", "SOURCE",
};

int
smtpd_xforward_allowed(SMTPD_STATE *state)
{
	if (state->xf_allowed < 0)
		state->xf_allowed = addr_match_client(state->conf->xforward_hosts,
		    state->addr, state->name) > 0;
	return state->xf_allowed;
}

void
smtpd_xforward_reset(SMTPD_STATE *state)
{
	for (int i = 0; i < SMTPD_XF_COUNT; i++) {
		myfree(state->xf[i]);
		state->xf[i] = NULL;
	}
	myfree(state->xf_namaddr);
	state->xf_namaddr = NULL;
}

/*
 * Is value (xtext-decoded) fit for attribute i? Its form to keep in out
 * (an "IPV6:" prefix dropped).
 */
static int
smtpd_xforward_valid(int i, const char *value, VSTRING *out)
{
	const char *cp;

	if (i == SMTPD_XF_ADDR && strncasecmp(value, "IPV6:", 5) == 0)
		value += 5;
	vstring_strcpy(out, value);
	if (strlen(value) > XF_MAX || *value == 0)
		return -1;
	for (cp = value; *cp; cp++)
		if ((unsigned char)*cp <= ' ' || *cp == 0x7f ||
		    (i == SMTPD_XF_ADDR && !isxdigit((unsigned char)*cp) &&
		    !strchr(".:", *cp)) ||
		    (i == SMTPD_XF_PORT && !isdigit((unsigned char)*cp)))
			return -1;
	if (i == SMTPD_XF_SOURCE)
		return strcasecmp(value, "LOCAL") == 0 ||
		    strcasecmp(value, "REMOTE") == 0 ? 0 : -1;
	return 0;
}

int
smtpd_xattr_parse(SMTPD_STATE *state, int allowed, const char *cmd,
    const char *args, const char *const *names, int count,
    int (*valid)(int, const char *, VSTRING *), char **vals, int *set)
{
	ARGV	*words;
	VSTRING	*dec, *canon;
	char	*eq;
	int	 i, r = 0;

	if (!allowed) {
		smtpd_chat_reply(state, "550 5.7.0 Error: insufficient authorization");
		return -1;
	}
	if (state->sender) {
		smtpd_chat_reply(state, "503 5.5.1 Error: MAIL transaction in progress");
		return -1;
	}
	words = argv_split(args, " \t");
	dec = vstring_alloc(64);
	canon = vstring_alloc(64);
	if (words->argc == 0) {
		smtpd_chat_reply(state, "501 5.5.4 Syntax: %s attribute=value...",
		    cmd);
		r = -1;
	}
	for (size_t w = 0; r == 0 && w < words->argc; w++) {
		if ((eq = strchr(words->argv[w], '=')) == NULL) {
			smtpd_chat_reply(state, "501 5.5.4 Error: missing '=' after "
			    "attribute name");
			r = -1;
			break;
		}
		*eq++ = 0;
		for (i = 0; i < count; i++)
			if (strcasecmp(words->argv[w], names[i]) == 0)
				break;
		if (i == count) {
			smtpd_chat_reply(state, "501 5.5.4 Bad %s attribute name: "
			    "%.100s", cmd, words->argv[w]);
			r = -1;
			break;
		}
		if (xtext_decode(dec, eq) < 0 ||
		    (strcmp(vstring_str(dec), "[UNAVAILABLE]") != 0 &&
		    strcmp(vstring_str(dec), "[TEMPUNAVAIL]") != 0 &&
		    valid(i, vstring_str(dec), canon) < 0)) {
			smtpd_chat_reply(state, "501 5.5.4 Bad %s syntax: %.100s",
			    names[i], eq);
			r = -1;
			break;
		}
		myfree(vals[i]);
		vals[i] = vstring_str(dec)[0] == '[' ? NULL :
		    mystrdup(vstring_str(canon));
		set[i] = 1;
	}
	vstring_free(dec);
	vstring_free(canon);
	argv_free(words);
	if (r < 0)
		for (i = 0; i < count; i++) {
			myfree(vals[i]);
			vals[i] = NULL;
		}
	return r;
}

int
smtpd_xforward_cmd(SMTPD_STATE *state, const char *args)
{
	char	*vals[SMTPD_XF_COUNT] = {0};
	int	 set[SMTPD_XF_COUNT] = {0};

	if (smtpd_xattr_parse(state, smtpd_xforward_allowed(state), "XFORWARD",
	    args, xf_names, SMTPD_XF_COUNT, smtpd_xforward_valid, vals, set) < 0)
		return -1;
	for (int i = 0; i < SMTPD_XF_COUNT; i++) {
		if (!set[i])
			continue;
		myfree(state->xf[i]);
		state->xf[i] = vals[i] ? vals[i] :
		    i == SMTPD_XF_NAME ? mystrdup("unknown") : NULL;
	}
	myfree(state->xf_namaddr);
	state->xf_namaddr = NULL;
	smtpd_chat_reply(state, "250 2.0.0 Ok");
	return 0;
}

const char *
smtpd_client_name(const SMTPD_STATE *state)
{
	const char *v = state->xf[SMTPD_XF_NAME];

	return v ? v : state->name;
}

const char *
smtpd_client_addr(const SMTPD_STATE *state)
{
	const char *v = state->xf[SMTPD_XF_ADDR];

	return v ? v : state->addr;
}

const char *
smtpd_client_port(const SMTPD_STATE *state, char *buf, size_t size)
{
	const char *v = state->xf[SMTPD_XF_PORT];

	if (v)
		return v;
	snprintf(buf, size, "%d", state->port);
	return buf;
}

const char *
smtpd_client_helo(const SMTPD_STATE *state)
{
	const char *v = state->xf[SMTPD_XF_HELO];

	return v ? v : state->helo;
}

const char *
smtpd_client_protocol(const SMTPD_STATE *state)
{
	const char *v = state->xf[SMTPD_XF_PROTO];

	return v ? v : state->protocol;
}

const char *
smtpd_client_namaddr(SMTPD_STATE *state)
{
	VSTRING	*buf;

	if (state->xf[SMTPD_XF_NAME] == NULL && state->xf[SMTPD_XF_ADDR] == NULL)
		return state->namaddr;
	if (state->xf_namaddr == NULL) {
		buf = vstring_alloc(100);
		vstring_sprintf(buf, "%s[%s]", smtpd_client_name(state),
		    smtpd_client_addr(state));
		state->xf_namaddr = vstring_export(buf);
	}
	return state->xf_namaddr;
}
