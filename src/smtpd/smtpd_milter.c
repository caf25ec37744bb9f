/*
 * NAME
 *	smtpd_milter - smtpd_milters at the SMTP commands
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	void smtpd_milter_conf(SMTPD_CONF *conf);
 *	int  smtpd_milter_connect(SMTPD_STATE *state);
 *	int  smtpd_milter_helo(SMTPD_STATE *state);
 *	int  smtpd_milter_mail(SMTPD_STATE *state, const char *addr,
 *		ARGV *params);
 *	int  smtpd_milter_rcpt(SMTPD_STATE *state, const char *addr,
 *		ARGV *params);
 *	void smtpd_milter_rcpt_rej(SMTPD_STATE *state, const char *addr);
 *	int  smtpd_milter_unknown(SMTPD_STATE *state, const char *cmd);
 *	int  smtpd_milter_data(SMTPD_STATE *state);
 *	int  smtpd_milter_denied(SMTPD_STATE *state);
 *	void smtpd_milter_abort(SMTPD_STATE *state);
 *	void smtpd_milter_end(SMTPD_STATE *state);
 * DESCRIPTION
 *	The milters of smtpd_milters (or, per client, the result of
 *	smtpd_milter_maps: a milter list, or DISABLE for none) see the
 *	session as it happens: connect at the start, HELO/EHLO, MAIL, each
 *	RCPT, DATA, and unknown commands (a milter may answer those); the content goes to them from the cleanup stage at the
 *	end of the message (cleanup_content(3)). receive_override_options
 *	with no_milters turns them off for this smtpd service (and
 *	no_unknown_recipient_checks turns off the unknown recipient checks,
 *	for the re-injection smtpd after a content filter).
 *
 *	Each function returns 0 to go on, or -1 after answering the client
 *	with the milter's reply. A rejection at connect (or a 421) is kept:
 *	every later command but QUIT gets it, as in Postfix. A discard at
 *	MAIL or RCPT discards the message (logged at the end of DATA).
 *	Milters that asked for SMFIP_RCPT_REJ also see the recipients
 *	smtpd refused (smtpd_milter_rcpt_rej(), {rcpt_mailer} is "error").
 *
 *	The macros are Postfix's: i, j, _, v, {daemon_name},
 *	{daemon_addr}, {daemon_port}, {client_addr}, {client_name},
 *	{client_port}, {client_ptr}, {client_resolve}, {tls_version},
 *	{cipher}, {cipher_bits}, {auth_type}, {auth_authen}, {auth_author}, {mail_addr},
 *	{mail_host}, {mail_mailer}, {rcpt_addr}, {rcpt_host}, {rcpt_mailer}.
 * DIAGNOSTICS
 *	Rejections are logged in smtpd's shape: "milter-reject: RCPT from
 *	host[addr]: 550 5.7.1 ...; from=<...> to=<...> proto=ESMTP
 *	helo=<...>".
 */
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cleanup_content.h"
#include "dict.h"
#include "mail_conf.h"
#include "milter.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"
#include "tls.h"

void
smtpd_milter_conf(SMTPD_CONF *conf)
{
	ARGV	*opts = conf_list("receive_override_options");
	ARGV	*maps;

	conf->milters = conf_str("smtpd_milters");
	for (size_t i = 0; i < opts->argc; i++)
		if (strcasecmp(opts->argv[i], "no_milters") == 0)
			conf->no_milters = 1;
		else if (strcasecmp(opts->argv[i],
		    "no_unknown_recipient_checks") == 0)
			conf->no_unknown_rcpt = 1;
	argv_free(opts);
	maps = conf_list("smtpd_milter_maps");
	conf->nmilter_maps = 0;
	for (size_t i = 0; i < maps->argc && i < SMTPD_MILTER_MAPS; i++)
		conf->milter_maps[conf->nmilter_maps++] =
		    dict_lookup_open(maps->argv[i]);
	argv_free(maps);
}

/* The milter list for this client; null for none. */
static const char *
smtpd_milter_list(SMTPD_STATE *state)
{
	const SMTPD_CONF *conf = state->conf;
	const char *v;
	int	 err = 0;

	if (conf->no_milters)
		return NULL;
	if (conf->nmilter_maps > 0) {
		v = dict_get_list((DICT **)conf->milter_maps, conf->nmilter_maps,
		    state->addr, &err);
		if (err != 0)
			msg_warn("smtpd_milter_maps lookup error for %s; "
			    "using smtpd_milters", state->addr);
		else if (v != NULL)
			return strcasecmp(v, "DISABLE") == 0 ? NULL : v;
	}
	return *conf->milters ? conf->milters : NULL;
}

/* Macro values from the session. */
static const char *
smtpd_milter_macro(void *ctx, const char *name)
{
	SMTPD_STATE *state = ctx;
	VSTRING	*v = state->milter_mac;
	const char *at;

	if (strcmp(name, "i") == 0 || strcmp(name, "{i}") == 0)
		return state->queue_id[0] ? state->queue_id : NULL;
	if (strcmp(name, "_") == 0) {
		vstring_sprintf(v, "%s [%s]", state->name, state->addr);
		return vstring_str(v);
	}
	if (strcmp(name, "{client_addr}") == 0)
		return state->addr;
	if (strcmp(name, "{client_name}") == 0)
		return state->name;
	if (strcmp(name, "{client_ptr}") == 0)
		return state->name;
	if (strcmp(name, "{client_resolve}") == 0)
		return strcmp(state->name, "unknown") ? "OK" : "FAIL";
	if (strcmp(name, "{client_port}") == 0) {
		vstring_sprintf(v, "%d", state->port);
		return vstring_str(v);
	}
	if (strcmp(name, "{daemon_addr}") == 0)
		return state->laddr[0] ? state->laddr : NULL;
	if (strcmp(name, "{auth_type}") == 0 || strcmp(name, "{auth_authen}") == 0
	    || strcmp(name, "{auth_author}") == 0)
		return NULL;		/* no SASL in this smtpd */
	if (state->tls && strcmp(name, "{tls_version}") == 0)
		return tls_info(state->tls)->protocol;
	if (state->tls && strcmp(name, "{cipher}") == 0)
		return tls_info(state->tls)->cipher;
	if (state->tls && strcmp(name, "{cipher_bits}") == 0) {
		vstring_sprintf(v, "%d", tls_info(state->tls)->bits);
		return vstring_str(v);
	}
	if (strcmp(name, "{mail_addr}") == 0)
		return state->sender;
	if (strcmp(name, "{mail_host}") == 0)
		return state->sender && (at = strrchr(state->sender, '@')) ?
		    at + 1 : NULL;
	if (strcmp(name, "{rcpt_mailer}") == 0 && state->milter_rcpt_rej)
		return "error";
	if (strcmp(name, "{mail_mailer}") == 0 || strcmp(name, "{rcpt_mailer}") == 0)
		return "smtp";
	if (strcmp(name, "{rcpt_addr}") == 0)
		return state->milter_rcpt;
	if (strcmp(name, "{rcpt_host}") == 0)
		return state->milter_rcpt && (at = strrchr(state->milter_rcpt,
		    '@')) ? at + 1 : NULL;
	return NULL;
}

/* Log and answer a milter reply for a command; -1. */
static int
smtpd_milter_reply(SMTPD_STATE *state, const char *where, const char *r)
{
	VSTRING	*log = vstring_alloc(200);

	vstring_sprintf(log, "milter-reject: %s from %s: %s;", where,
	    state->namaddr, r);
	if (state->sender)
		vstring_sprintf_append(log, " from=<%s>", state->sender);
	if (state->milter_rcpt)
		vstring_sprintf_append(log, " to=<%s>", state->milter_rcpt);
	vstring_sprintf_append(log, " proto=%s", state->protocol);
	if (state->helo)
		vstring_sprintf_append(log, " helo=<%s>", state->helo);
	msg_info("%s: %s", state->queue_id[0] ? state->queue_id : "NOQUEUE",
	    vstring_str(log));
	vstring_free(log);
	smtpd_chat_reply_lines(state, r);
	if (strncmp(r, "421", 3) == 0)
		state->quit = 1;
	return -1;
}

/* A reply that is not "go on": D discards, the rest answer. */
static int
smtpd_milter_result(SMTPD_STATE *state, const char *where, const char *r)
{
	if (r == NULL)
		return 0;
	if (*r == 'D') {
		state->discard = 1;
		return 0;
	}
	return smtpd_milter_reply(state, where, r);
}

int
smtpd_milter_connect(SMTPD_STATE *state)
{
	const char *list = smtpd_milter_list(state);
	const char *r;

	if (list == NULL)
		return 0;
	state->milters = milter_create(list);
	state->milter_mac = vstring_alloc(64);
	milter_macro_callback(state->milters, smtpd_milter_macro, state);
	cleanup_content_milters(state->conf->content, state->milters);
	r = milter_conn_event(state->milters, state->name, state->addr,
	    state->port, state->family);
	if (r == NULL || *r == 'D')
		return 0;
	state->milter_denied = mystrdup(r);
	msg_info("NOQUEUE: milter-reject: CONNECT from %s: %s; proto=SMTP",
	    state->namaddr, r);
	return -1;
}

/* A connect-time rejection answers every later command. */
int
smtpd_milter_denied(SMTPD_STATE *state)
{
	if (state->milter_denied == NULL)
		return 0;
	smtpd_chat_reply_lines(state, state->milter_denied);
	if (strncmp(state->milter_denied, "421", 3) == 0)
		state->quit = 1;
	return -1;
}

/* Are there milters for this session? */
static int
smtpd_milter_on(const SMTPD_STATE *state)
{
	return state->milters != NULL && milter_count(state->milters) > 0;
}

/* The arguments of a MAIL or RCPT event: "<addr>", the ESMTP parameters. */
static ARGV *
smtpd_milter_args(SMTPD_STATE *state, const char *addr, ARGV *params)
{
	ARGV	*args = argv_alloc(4);

	vstring_sprintf(state->milter_mac, "<%s>", addr);
	argv_add(args, vstring_str(state->milter_mac));
	for (size_t i = 0; params && i < params->argc; i++)
		argv_add(args, params->argv[i]);
	return args;
}

int
smtpd_milter_helo(SMTPD_STATE *state)
{
	if (!smtpd_milter_on(state))
		return 0;
	return smtpd_milter_result(state, state->ehlo ? "EHLO" : "HELO",
	    milter_helo_event(state->milters, state->helo));
}

int
smtpd_milter_mail(SMTPD_STATE *state, const char *addr, ARGV *params)
{
	ARGV	*args;
	int	 r;

	if (!smtpd_milter_on(state))
		return 0;
	args = smtpd_milter_args(state, addr, params);
	r = smtpd_milter_result(state, "MAIL",
	    milter_mail_event(state->milters, args));
	argv_free(args);
	return r;
}

int
smtpd_milter_rcpt(SMTPD_STATE *state, const char *addr, ARGV *params)
{
	ARGV	*args;
	int	 r;

	if (!smtpd_milter_on(state))
		return 0;
	state->milter_rcpt = addr;
	args = smtpd_milter_args(state, addr, params);
	r = smtpd_milter_result(state, "RCPT",
	    milter_rcpt_event(state->milters, args));
	state->milter_rcpt = NULL;
	argv_free(args);
	return r;
}

/* An unknown command: a milter may answer it; -1 after its reply. */
int
smtpd_milter_unknown(SMTPD_STATE *state, const char *cmd)
{
	const char *r;

	if (!smtpd_milter_on(state))
		return 0;
	if ((r = milter_unknown_event(state->milters, cmd)) == NULL || *r == 'D')
		return 0;
	return smtpd_milter_reply(state, "UNKNOWN", r);
}

/* A recipient smtpd refused, for milters with SMFIP_RCPT_REJ. */
void
smtpd_milter_rcpt_rej(SMTPD_STATE *state, const char *addr)
{
	ARGV	*args;

	if (!smtpd_milter_on(state))
		return;
	state->milter_rcpt = addr;
	state->milter_rcpt_rej = 1;
	args = smtpd_milter_args(state, addr, NULL);
	milter_rcpt_rej_event(state->milters, args);
	state->milter_rcpt = NULL;
	state->milter_rcpt_rej = 0;
	argv_free(args);
}

int
smtpd_milter_data(SMTPD_STATE *state)
{
	if (!smtpd_milter_on(state))
		return 0;
	return smtpd_milter_result(state, "DATA",
	    milter_data_event(state->milters));
}

void
smtpd_milter_abort(SMTPD_STATE *state)
{
	if (state->milters)
		milter_abort(state->milters);
}

void
smtpd_milter_end(SMTPD_STATE *state)
{
	if (state->milters) {
		cleanup_content_milters(state->conf->content, NULL);
		milter_disconnect(state->milters);
		milter_free(state->milters);
		state->milters = NULL;
	}
	if (state->milter_mac)
		vstring_free(state->milter_mac);
	state->milter_mac = NULL;
	myfree(state->milter_denied);
	state->milter_denied = NULL;
}
