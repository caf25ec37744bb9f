/*
 * NAME
 *	smtpd_xclient - XCLIENT: a proxy or test tool speaks for another client
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int smtpd_xclient_allowed(SMTPD_STATE *state);
 *	int smtpd_xclient_cmd(SMTPD_STATE *state, const char *args);
 * DESCRIPTION
 *	Postfix's XCLIENT extension, as used by mail proxies (nginx) and
 *	test tools (swaks --xclient): a client in
 *	smtpd_authorized_xclient_hosts may replace what smtpd knows of the
 *	client, and the session then goes on as if that client had
 *	connected: access restrictions, logs, the Received: header and the
 *	queue file use the new values.
 *
 *	smtpd_xclient_allowed() decides once, for the real client (what
 *	an XCLIENT changes cannot widen it). EHLO then announces "XCLIENT
 *	NAME ADDR PORT PROTO HELO LOGIN".
 *
 *	smtpd_xclient_cmd() handles "XCLIENT name=value ...": values are
 *	xtext (RFC 3461); "[UNAVAILABLE]" and "[TEMPUNAVAIL]" mean unknown
 *	(a name becomes "unknown"). ADDR must be an IPv4 or IPv6 address
 *	("IPV6:" prefix allowed), PORT a number, PROTO SMTP or ESMTP, LOGIN
 *	a SASL login name (the session counts as authenticated by it, as
 *	in Postfix). On success the session is reset (transaction and HELO
 *	forgotten) and the reply is the greeting, "220 banner"; the client
 *	sends EHLO again. An unauthorized client gets "550 5.7.0 Error:
 *	insufficient authorization", XCLIENT inside a transaction "503 5.5.1
 *	Error: MAIL transaction in progress", an unknown attribute or a bad
 *	value "501 5.5.4", and nothing is changed then.
 * DIAGNOSTICS
 *	0 after the greeting, -1 after an error reply.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"
#include "vstring.h"
#include "xtext.h"

#define XC_NAME		0
#define XC_ADDR		1
#define XC_PORT		2
#define XC_PROTO	3
#define XC_HELO		4
#define XC_LOGIN	5
#define XC_COUNT	6

static const char *const xc_names[XC_COUNT] = {
	"NAME", "ADDR", "PORT", "PROTO", "HELO", "LOGIN",
};

int
smtpd_xclient_allowed(SMTPD_STATE *state)
{
	if (state->xc_allowed < 0)
		state->xc_allowed = addr_match_client(state->conf->xclient_hosts,
		    state->addr, state->name) > 0;
	return state->xc_allowed;
}

/* Check one decoded value; the canonical form in out. */
static int
smtpd_xclient_value(int i, const char *value, VSTRING *out)
{
	unsigned char buf[sizeof(struct in6_addr)];
	const char *cp;

	vstring_strcpy(out, value);
	for (cp = value; *cp; cp++)
		if ((unsigned char)*cp <= ' ' || *cp == 0x7f)
			return -1;
	switch (i) {
	case XC_NAME:
	case XC_HELO:
		return strlen(value) < SMTPD_NAME_MAX && *value ? 0 : -1;
	case XC_ADDR:
		if (strncasecmp(value, "IPV6:", 5) == 0)
			value += 5;
		vstring_strcpy(out, value);
		return strlen(value) < SMTPD_ADDR_MAX &&
		    (inet_pton(AF_INET, value, buf) == 1 ||
		    inet_pton(AF_INET6, value, buf) == 1) ? 0 : -1;
	case XC_PORT:
		/* At most 5 digits: atoi() of a longer one may wrap. */
		return *value && strlen(value) <= 5
		    && strspn(value, "0123456789") == strlen(value)
		    && atoi(value) <= 65535 ? 0 : -1;
	case XC_PROTO:
		return strcasecmp(value, "SMTP") == 0 ||
		    strcasecmp(value, "ESMTP") == 0 ? 0 : -1;
	default:
		return strlen(value) <= 255 && *value ? 0 : -1;
	}
}

int
smtpd_xclient_cmd(SMTPD_STATE *state, const char *args)
{
	char	*val[XC_COUNT] = {0};
	int	 set[XC_COUNT] = {0};
	int	 i;

	if (smtpd_xattr_parse(state, smtpd_xclient_allowed(state), "XCLIENT",
	    args, xc_names, XC_COUNT, smtpd_xclient_value, val, set) < 0)
		return -1;
	/* The new client; what the old one had negotiated is gone. */
	smtpd_proto_reset(state);
	if (set[XC_NAME])
		snprintf(state->name, sizeof(state->name), "%s",
		    val[XC_NAME] ? val[XC_NAME] : "unknown");
	if (set[XC_ADDR] && val[XC_ADDR]) {
		snprintf(state->addr, sizeof(state->addr), "%s", val[XC_ADDR]);
		state->family = strchr(val[XC_ADDR], ':') ? AF_INET6 : AF_INET;
	}
	if (set[XC_PORT] && val[XC_PORT])
		state->port = atoi(val[XC_PORT]);
	if (set[XC_PROTO] && val[XC_PROTO])
		state->protocol = strcasecmp(val[XC_PROTO], "ESMTP") == 0 ?
		    "ESMTP" : "SMTP";
	myfree(state->helo);
	state->helo = set[XC_HELO] && val[XC_HELO] ? mystrdup(val[XC_HELO]) : NULL;
	state->ehlo = 0;
	if (set[XC_LOGIN]) {
		myfree(state->sasl_username);
		myfree(state->sasl_method);
		state->sasl_username = val[XC_LOGIN] ? mystrdup(val[XC_LOGIN]) : NULL;
		state->sasl_method = val[XC_LOGIN] ? mystrdup("XCLIENT") : NULL;
	}
	smtpd_peer_update(state);
	for (i = 0; i < XC_COUNT; i++)
		myfree(val[i]);
	smtpd_chat_reply(state, "220 %s", state->conf->banner);
	return 0;
}
