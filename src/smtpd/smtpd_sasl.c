/*
 * NAME
 *	smtpd_sasl - SMTP AUTH (RFC 4954) in the SMTP server
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	void smtpd_sasl_conf(SMTPD_CONF *conf);
 *	void smtpd_sasl_ehlo(SMTPD_STATE *state, ARGV *keywords);
 *	int  smtpd_sasl_cmd(SMTPD_STATE *state, const char *args);
 *	void smtpd_sasl_reset(SMTPD_STATE *state);
 *	int  smtpd_sasl_mail_opt(SMTPD_STATE *state, const char *value);
 *	void smtpd_sasl_log(SMTPD_STATE *state, VSTRING *out);
 *	void smtpd_sasl_received(SMTPD_STATE *state, VSTRING *out);
 * DESCRIPTION
 *	smtpd_sasl_conf() reads smtpd_sasl_auth_enable, smtpd_sasl_type
 *	(postern, cyrus, dovecot: see xsasl_server(3)), smtpd_sasl_path (for
 *	postern, smtpd_sasl_password_maps takes its place),
 *	smtpd_sasl_service, smtpd_sasl_local_domain,
 *	smtpd_sasl_security_options, smtpd_sasl_tls_security_options,
 *	smtpd_tls_auth_only, broken_sasl_auth_clients,
 *	smtpd_sasl_authenticated_header, smtpd_sasl_exceptions_networks,
 *	smtpd_sasl_response_limit and smtpd_sender_login_maps, and sets the
 *	back end up once per process. A back end that cannot be set up is
 *	a warning, and AUTH stays off (permit_sasl_authenticated then never
 *	matches).
 *
 *	smtpd_sasl_ehlo() adds "AUTH mechanisms" (and "AUTH=..." for
 *	broken_sasl_auth_clients) to the EHLO reply, unless AUTH is off,
 *	the session is plaintext and smtpd_tls_auth_only (or
 *	smtpd_tls_security_level = encrypt) holds, or the client matches
 *	smtpd_sasl_exceptions_networks (which hides AUTH only).
 *
 *	smtpd_sasl_cmd() is the AUTH command, with Postfix's replies:
 *	503 5.5.1 before HELO/EHLO, when AUTH is off, inside a transaction
 *	and after a success; 504 5.5.4 when encryption is required; 501
 *	5.5.4 syntax; then the exchange: "334 challenge" lines, "*" aborts
 *	(501 5.7.0 Authentication aborted), a response longer than
 *	smtpd_sasl_response_limit gets "500 5.5.6 SASL response limit
 *	exceeded", success "235 2.7.0 Authentication successful", bad
 *	credentials "535 5.7.8 Error: authentication failed: reason" and a
 *	failing back end "454 4.7.0 Temporary authentication failure:
 *	reason". Failures are logged as "warning: name[addr]: SASL PLAIN
 *	authentication failed: reason, sasl_username=name" (the shape
 *	fail2ban's postfix filter reads); each failure counts against
 *	smtpd_hard_error_limit, so a guessing client is disconnected.
 *	Credentials are never logged, not even with debug_peer_level.
 *
 *	smtpd_sasl_reset() forgets the authentication and the back-end
 *	session (after STARTTLS, RFC 3207 4.2, and at the end).
 *
 *	smtpd_sasl_mail_opt() handles MAIL FROM's AUTH=<sender>.
 *
 *	smtpd_sasl_log() appends ", sasl_method=PLAIN, sasl_username=alice"
 *	(and sasl_sender) to the "ID: client=..." line;
 *	smtpd_sasl_received() adds "(Authenticated sender: alice)" to the
 *	Received: header when smtpd_sasl_authenticated_header is set.
 * DIAGNOSTICS
 *	Replies to the client; warnings for failures and configuration
 *	problems. Invalid security options are fatal.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"
#include "xsasl.h"

#define SMTPD_SASL_LOG_MAX	100

void
smtpd_sasl_conf(SMTPD_CONF *conf)
{
	VSTRING	*why = vstring_alloc(100);
	const char *type = conf_str("smtpd_sasl_type");
	const char *path;

	conf->sasl_enable = conf_bool("smtpd_sasl_auth_enable");
	conf->sasl_auth_only = conf_bool("smtpd_tls_auth_only");
	conf->sasl_broken = conf_bool("broken_sasl_auth_clients");
	conf->sasl_header = conf_bool("smtpd_sasl_authenticated_header");
	conf->sasl_resp_limit = (int)conf_int("smtpd_sasl_response_limit");
	conf->sasl_service = conf_str("smtpd_sasl_service");
	conf->sasl_realm = conf_str("smtpd_sasl_local_domain");
	conf->sasl_excl = addr_match_param("smtpd_sasl_exceptions_networks");
	conf->login_maps = mail_addr_maps_param("smtpd_sender_login_maps");
	if ((conf->sasl_sec = xsasl_sec_parse(conf_str(
	    "smtpd_sasl_security_options"), why)) < 0)
		msg_fatal("smtpd_sasl_security_options: %s", vstring_str(why));
	if ((conf->sasl_tls_sec = xsasl_sec_parse(conf_str(
	    "smtpd_sasl_tls_security_options"), why)) < 0)
		msg_fatal("smtpd_sasl_tls_security_options: %s", vstring_str(why));
	if (conf->sasl_enable) {
		path = strcasecmp(type, "postern") == 0 ?
		    conf_str("smtpd_sasl_password_maps") :
		    conf_str("smtpd_sasl_path");
		if ((conf->sasl_impl = xsasl_server_init(type, path, why)) == NULL)
			msg_warn("SASL authentication is off: %s", vstring_str(why));
	}
	vstring_free(why);
}

/* Make the per-session back end object; 0, or -1 with why. */
static int
smtpd_sasl_open(SMTPD_STATE *state, VSTRING *why)
{
	const SMTPD_CONF *conf = state->conf;
	XSASL_SERVER_ARGS a;

	if (state->sasl)
		return 0;
	if (conf->sasl_impl == NULL) {
		vstring_strcpy(why, "authentication not enabled");
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.service = conf->sasl_service;
	a.realm = conf->sasl_realm;
	a.client_addr = state->family == AF_UNIX ? "" : state->addr;
	a.client_port = state->port;
	a.server_addr = state->laddr;
	a.sec = state->tls ? conf->sasl_tls_sec : conf->sasl_sec;
	a.tls = state->tls != NULL;
	state->sasl = conf->sasl_impl->create(conf->sasl_impl, &a);
	if (state->sasl == NULL) {
		vstring_strcpy(why, "SASL per-connection initialization failed");
		return -1;
	}
	return 0;
}

/* Is AUTH usable on this session at all? */
static int
smtpd_sasl_active(SMTPD_STATE *state)
{
	const SMTPD_CONF *conf = state->conf;

	return conf->sasl_enable && conf->sasl_impl != NULL;
}

static int
smtpd_sasl_tls_wanted(SMTPD_STATE *state)
{
	return state->tls == NULL && (state->conf->sasl_auth_only ||
	    state->conf->tls_level == SMTPD_TLS_ENCRYPT);
}

void
smtpd_sasl_ehlo(SMTPD_STATE *state, ARGV *kw)
{
	VSTRING	*why;
	const char *mechs;

	if (!smtpd_sasl_active(state) || smtpd_sasl_tls_wanted(state) ||
	    addr_match_client(state->conf->sasl_excl, state->addr,
	    state->name) > 0)
		return;
	why = vstring_alloc(100);
	if (smtpd_sasl_open(state, why) < 0 ||
	    (mechs = state->sasl->mechs(state->sasl, why)) == NULL ||
	    *mechs == 0) {
		msg_warn("%s: SASL: no mechanisms to offer: %s", state->namaddr,
		    vstring_len(why) ? vstring_str(why) : "empty list");
		vstring_free(why);
		return;
	}
	vstring_sprintf(why, "AUTH %s", mechs);
	argv_add(kw, vstring_str(why));
	if (state->conf->sasl_broken) {
		vstring_sprintf(why, "AUTH=%s", mechs);
		argv_add(kw, vstring_str(why));
	}
	vstring_free(why);
}

/* A copy of s fit for the log: printable, bounded. */
static char *
smtpd_sasl_printable(const char *s)
{
	char	*p = mystrndup(s, SMTPD_SASL_LOG_MAX);

	for (char *q = p; *q; q++)
		if (!isprint((unsigned char)*q))
			*q = '?';
	return p;
}

static void
smtpd_sasl_fail_log(SMTPD_STATE *state, const char *mech, const char *why)
{
	const char *user = state->sasl ? state->sasl->username(state->sasl) : NULL;
	char	*m = smtpd_sasl_printable(mech);
	char	*u = user ? smtpd_sasl_printable(user) : NULL;
	char	*w = smtpd_sasl_printable(*why ? why : "(reason unavailable)");

	msg_warn("%s: SASL %s authentication failed: %s, sasl_username=%s",
	    state->namaddr, m, w, u ? u : "(unavailable)");
	myfree(m);
	myfree(u);
	myfree(w);
}

/* Read one client response into state->buf; -1 after a reply. */
static int
smtpd_sasl_response(SMTPD_STATE *state, const char *mech)
{
	int	 r;

	state->sasl_busy = 1;
	r = smtpd_chat_query_limit(state, state->conf->sasl_resp_limit);
	state->sasl_busy = 0;
	if (r <= 0) {
		smtpd_chat_lost(state, r);
		return -1;
	}
	if (r == 2) {
		smtpd_chat_reply(state, "500 5.5.6 SASL response limit exceeded");
		return -1;
	}
	if (strcmp(vstring_str(state->buf), "*") == 0) {
		char	*m = smtpd_sasl_printable(mech);

		msg_warn("%s: SASL %s authentication aborted", state->namaddr, m);
		myfree(m);
		smtpd_chat_reply(state, "501 5.7.0 Authentication aborted");
		return -1;
	}
	return 0;
}

/* The exchange proper, after the state checks. */
static int
smtpd_sasl_exchange(SMTPD_STATE *state, const char *mech, const char *init)
{
	VSTRING	*reply = vstring_alloc(100);
	int	 status;

	status = state->sasl->first(state->sasl, mech, init, reply);
	while (status == XSASL_AUTH_MORE) {
		smtpd_chat_reply(state, "334 %s", vstring_str(reply));
		if (smtpd_sasl_response(state, mech) < 0) {
			vstring_free(reply);
			return -1;
		}
		if (memchr(vstring_str(state->buf), 0, vstring_len(state->buf))) {
			vstring_strcpy(reply, "Invalid base64 data in continued "
			    "response");
			status = XSASL_AUTH_FAIL;
			break;
		}
		status = state->sasl->next(state->sasl, vstring_str(state->buf),
		    reply);
	}
	memset(vstring_str(state->buf), 0, vstring_len(state->buf));
	if (status != XSASL_AUTH_DONE) {
		smtpd_sasl_fail_log(state, mech, vstring_str(reply));
		if (status == XSASL_AUTH_TEMP)
			smtpd_chat_reply(state, "454 4.7.0 Temporary authentication "
			    "failure: %s", vstring_str(reply));
		else
			smtpd_chat_reply(state, "535 5.7.8 Error: authentication "
			    "failed: %s", vstring_str(reply));
		vstring_free(reply);
		return -1;
	}
	vstring_free(reply);
	state->sasl_username = smtpd_sasl_printable(
	    state->sasl->username(state->sasl));
	state->sasl_method = smtpd_sasl_printable(mech);
	for (char *p = state->sasl_method; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	state->protocol = state->tls ? "ESMTPSA" : "ESMTPA";
	smtpd_chat_reply(state, "235 2.7.0 Authentication successful");
	return 0;
}

int
smtpd_sasl_cmd(SMTPD_STATE *state, const char *args)
{
	ARGV	*words;
	VSTRING	*why;
	int	 r;

	if (state->helo == NULL) {
		smtpd_chat_reply(state, "503 5.5.1 Error: send HELO/EHLO first");
		return -1;
	}
	if (!smtpd_sasl_active(state)) {
		smtpd_chat_reply(state, "503 5.5.1 Error: authentication not enabled");
		return -1;
	}
	if (state->sender) {
		smtpd_chat_reply(state, "503 5.5.1 Error: MAIL transaction in progress");
		return -1;
	}
	if (smtpd_sasl_tls_wanted(state)) {
		smtpd_chat_reply(state, "504 5.5.4 Encryption required for "
		    "requested authentication mechanism");
		return -1;
	}
	if (state->sasl_username) {
		smtpd_chat_reply(state, "503 5.5.1 Error: already authenticated");
		return -1;
	}
	words = argv_split(args, " \t");
	if (words->argc < 1 || words->argc > 2) {
		argv_free(words);
		smtpd_chat_reply(state, "501 5.5.4 Syntax: AUTH mechanism");
		return -1;
	}
	if (smtpd_anvil_auth(state) < 0) {	/* smtpd_client_auth_rate_limit */
		argv_free(words);
		return -1;
	}
	/* A fresh back-end session for each attempt: no state carries over. */
	if (state->sasl_tries++ > 0 && state->sasl) {
		state->sasl->free(state->sasl);
		state->sasl = NULL;
	}
	why = vstring_alloc(100);
	if (smtpd_sasl_open(state, why) < 0) {
		msg_warn("%s: SASL: %s", state->namaddr, vstring_str(why));
		smtpd_chat_reply(state, "454 4.7.0 Temporary authentication "
		    "failure: %s", vstring_str(why));
		r = -1;
	} else
		r = smtpd_sasl_exchange(state, words->argv[0],
		    words->argc == 2 ? words->argv[1] : NULL);
	if (words->argc == 2)
		memset(words->argv[1], 0, strlen(words->argv[1]));
	vstring_free(why);
	argv_free(words);
	return r;
}

void
smtpd_sasl_reset(SMTPD_STATE *state)
{
	if (state->sasl) {
		state->sasl->free(state->sasl);
		state->sasl = NULL;
	}
	myfree(state->sasl_username);
	state->sasl_username = NULL;
	myfree(state->sasl_method);
	state->sasl_method = NULL;
	myfree(state->sasl_sender);
	state->sasl_sender = NULL;
	state->sasl_tries = 0;
}

int
smtpd_sasl_mail_opt(SMTPD_STATE *state, const char *value)
{
	if (!smtpd_sasl_active(state))
		return 0;			/* ignored, as before AUTH existed */
	if (state->sasl_sender) {
		smtpd_chat_reply(state, "503 5.5.4 Error: multiple AUTH= options");
		return -1;
	}
	if (strcmp(value, "<>") != 0)
		state->sasl_sender = smtpd_sasl_printable(value);
	return 0;
}

void
smtpd_sasl_log(SMTPD_STATE *state, VSTRING *out)
{
	if (state->sasl_method)
		vstring_sprintf_append(out, ", sasl_method=%s", state->sasl_method);
	if (state->sasl_username)
		vstring_sprintf_append(out, ", sasl_username=%s",
		    state->sasl_username);
	if (state->sasl_sender)
		vstring_sprintf_append(out, ", sasl_sender=%s", state->sasl_sender);
}

void
smtpd_sasl_received(SMTPD_STATE *state, VSTRING *out)
{
	if (state->sasl_username && state->conf->sasl_header)
		vstring_sprintf_append(out, "\t(Authenticated sender: %s)\n",
		    state->sasl_username);
}
