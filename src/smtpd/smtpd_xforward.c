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

/* Is value fit for attribute i? (Already xtext-decoded.) */
static int
smtpd_xforward_valid(int i, const char *value)
{
	const char *cp;

	if (strlen(value) > XF_MAX)
		return 0;
	for (cp = value; *cp; cp++)
		if ((unsigned char)*cp <= ' ' || *cp == 0x7f ||
		    (i == SMTPD_XF_ADDR && !isxdigit((unsigned char)*cp) &&
		    !strchr(".:IPVipv6", *cp)) ||
		    (i == SMTPD_XF_PORT && !isdigit((unsigned char)*cp)))
			return 0;
	if (i == SMTPD_XF_SOURCE)
		return strcasecmp(value, "LOCAL") == 0 ||
		    strcasecmp(value, "REMOTE") == 0;
	return 1;
}

int
smtpd_xforward_cmd(SMTPD_STATE *state, const char *args)
{
	ARGV	*words;
	VSTRING	*val;
	char	*eq;
	int	 i, r = 0;

	if (!smtpd_xforward_allowed(state)) {
		smtpd_chat_reply(state, "550 5.7.0 Error: insufficient authorization");
		return -1;
	}
	if (state->sender) {
		smtpd_chat_reply(state, "503 5.5.1 Error: MAIL transaction in progress");
		return -1;
	}
	words = argv_split(args, " \t");
	if (words->argc == 0) {
		argv_free(words);
		smtpd_chat_reply(state, "501 5.5.4 Syntax: XFORWARD attribute=value...");
		return -1;
	}
	val = vstring_alloc(64);
	for (size_t w = 0; r == 0 && w < words->argc; w++) {
		if ((eq = strchr(words->argv[w], '=')) == NULL) {
			smtpd_chat_reply(state, "501 5.5.4 Error: missing '=' after "
			    "attribute name");
			r = -1;
			break;
		}
		*eq++ = 0;
		for (i = 0; i < SMTPD_XF_COUNT; i++)
			if (strcasecmp(words->argv[w], xf_names[i]) == 0)
				break;
		if (i == SMTPD_XF_COUNT) {
			smtpd_chat_reply(state, "501 5.5.4 Bad XFORWARD attribute "
			    "name: %.100s", words->argv[w]);
			r = -1;
			break;
		}
		if (xtext_decode(val, eq) < 0 ||
		    (strcmp(vstring_str(val), "[UNAVAILABLE]") != 0 &&
		    strcmp(vstring_str(val), "[TEMPUNAVAIL]") != 0 &&
		    !smtpd_xforward_valid(i, vstring_str(val)))) {
			smtpd_chat_reply(state, "501 5.5.4 Bad %s syntax: %.100s",
			    xf_names[i], eq);
			r = -1;
			break;
		}
		myfree(state->xf[i]);
		state->xf[i] = NULL;
		if (vstring_str(val)[0] != '[')	/* not [UNAVAILABLE] */
			state->xf[i] = mystrdup(vstring_str(val));
		else if (i == SMTPD_XF_NAME)
			state->xf[i] = mystrdup("unknown");
		/* The "IPV6:" form of ADDR is the Received: header's business. */
		if (i == SMTPD_XF_ADDR && state->xf[i] &&
		    strncasecmp(state->xf[i], "IPV6:", 5) == 0)
			memmove(state->xf[i], state->xf[i] + 5,
			    strlen(state->xf[i] + 5) + 1);
	}
	vstring_free(val);
	argv_free(words);
	myfree(state->xf_namaddr);
	state->xf_namaddr = NULL;
	if (r == 0)
		smtpd_chat_reply(state, "250 2.0.0 Ok");
	return r;
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
