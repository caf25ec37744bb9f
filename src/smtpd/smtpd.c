/*
 * NAME
 *	smtpd - Postern SMTP server
 * SYNOPSIS
 *	smtpd -n service -t type [-o name=value]... [-v]...
 *	smtpd -S [-c config_dir] [-o name=value]... [-v]...
 * DESCRIPTION
 *	The SMTP server, run by the master with a listening socket; each
 *	process serves one client at a time, up to max_use clients. See
 *	smtpd(8) for the protocol, the parameters and the log lines.
 *
 *	A session: the client address and (verified) name are found (from
 *	the PROXY protocol header first with smtpd_upstream_proxy_protocol;
 *	a bad header drops the connection without a word), the
 *	pause flag is checked (smtpd_pause(3), smtpctl pause smtp: new clients get "421 4.3.2 Service temporarily
 *	unavailable"), a client that talks before the greeting is
 *	disconnected (smtpd_forbid_unauth_pipelining), the greeting
 *	"220 $smtpd_banner" is sent, and commands are served until QUIT, a
 *	fatal protocol error, a time-out or smtpd_hard_error_limit errors.
 *	"connect from" and "disconnect from ... commands=N" are logged as
 *	Postfix does.
 *
 *	Stand-alone mode (-S, mail_server(3)): one session on standard
 *	input and output, the client being "localhost[127.0.0.1]"; this is
 *	what sendmail -bs runs. Started by root (the process then becomes
 *	mail_owner) or by mail_owner, smtpd works as for a network client.
 *	Started by any other user it cannot write the queue: it submits
 *	each message through maildrop/ (smtpd_queue(3)), evaluates no
 *	restriction lists (relaying and the other access controls are off,
 *	as in Postfix), runs no milters (pickup's cleanup stage applies
 *	non_smtpd_milters), and offers no DSN, STARTTLS, AUTH, ETRN,
 *	XCLIENT or XFORWARD (it does not read the TLS and SASL settings).
 * DIAGNOSTICS
 *	Problems with the client are replies and log lines; configuration
 *	errors are fatal.
 */
#include <sys/socket.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mail_conf.h"
#include "mail_counter.h"
#include "mail_server.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"
#include "smtpd_pause.h"

static SMTPD_CONF smtpd_conf;

static void
smtpd_state_init(SMTPD_STATE *state, VSTREAM *stream)
{
	memset(state, 0, sizeof(*state));
	state->conf = &smtpd_conf;
	state->client = stream;
	state->where = "CONNECT";
	state->protocol = "SMTP";
	state->is_mynet = -1;
	state->xf_allowed = -1;
	state->xc_allowed = -1;
	state->buf = vstring_alloc(512);
	state->reply = vstring_alloc(256);
	state->check_reply = vstring_alloc(256);
	state->rcpts = argv_alloc(8);
	state->dsn_ret = QF_RET_NONE;
}

/*
 * smtpd_drop_mode - stand-alone and neither root nor mail_owner: the
 * queue is out of reach (see the DESCRIPTION).
 */
static int
smtpd_drop_mode(void)
{
	struct passwd *pw;

	if (!mail_server_standalone() || getuid() == 0)
		return 0;
	pw = getpwnam(conf_str("mail_owner"));
	return pw == NULL || pw->pw_uid != getuid();
}

/* smtpd_drop_session - what a user's stand-alone session does without. */
static void
smtpd_drop_session(SMTPD_STATE *state)
{
	VSTRING	*discard = vstring_alloc(64);

	vstring_sprintf(discard, "%s dsn etrn",
	    smtpd_conf.discard_ehlo);
	state->ehlo_discard = argv_split(vstring_str(discard), ", \t");
	state->xf_allowed = 0;
	state->xc_allowed = 0;
	vstring_free(discard);
}

static void
smtpd_state_free(SMTPD_STATE *state)
{
	smtpd_proto_reset(state);
	smtpd_xforward_reset(state);
	smtpd_sasl_reset(state);
	smtpd_rbl_free(state);
	smtpd_milter_end(state);
	myfree(state->helo);
	myfree(state->namaddr);
	if (state->ehlo_discard)
		argv_free(state->ehlo_discard);
	vstring_free(state->buf);
	vstring_free(state->reply);
	vstring_free(state->check_reply);
	argv_free(state->rcpts);
}

/* local_header_rewrite_clients: a small restriction-like list. */
int
smtpd_rewrite_clients(SMTPD_STATE *state)
{
	ARGV	*list = smtpd_conf.hdr_rewrite_clients;
	const char *item;

	for (size_t i = 0; list && i < list->argc; i++) {
		item = list->argv[i];
		if (strcasecmp(item, "permit_mynetworks") == 0 &&
		    smtpd_check_mynetworks(state))
			return 1;
		if (strcasecmp(item, "permit_inet_interfaces") == 0 &&
		    state->family != AF_UNIX &&
		    (strcmp(state->addr, state->laddr) == 0 ||
		    smtpd_peer_local_addr(state->addr)))
			return 1;
		if (strcasecmp(item, "static:all") == 0)
			return 1;
	}
	return state->family == AF_UNIX;
}

/* Did the client talk before our greeting? */
static int
smtpd_pregreet(SMTPD_STATE *state)
{
	struct pollfd pfd;

	if (!smtpd_conf.forbid_unauth_pipe || state->family == AF_UNIX)
		return 0;
	pfd.fd = vstream_fileno(state->client);
	pfd.events = POLLIN;
	if (vstream_bufstat(state->client) == 0 && poll(&pfd, 1, 0) <= 0)
		return 0;
	return smtpd_cmd_pipelining(state) < 0;
}

static void
smtpd_greet(SMTPD_STATE *state)
{
	if (smtpd_paused(smtpd_conf.queue_dir)) {
		msg_info("reject: connect from %s: service paused", state->namaddr);
		smtpd_chat_reply(state, "421 4.3.2 Service temporarily unavailable");
		state->quit = 1;
		return;
	}
	if (smtpd_pregreet(state))
		return;
	if (!smtpd_conf.delay_reject &&
	    smtpd_check_client(state) == SMTPD_CHECK_REJECT) {
		smtpd_chat_reply(state, "%s", vstring_str(state->check_reply));
		state->denied = 1;
		return;
	}
	/* A milter's 421 ends the session now; other refusals come later. */
	if (smtpd_milter_connect(state) < 0
	    && strncmp(state->milter_denied, "421", 3) == 0) {
		(void)smtpd_milter_denied(state);
		return;
	}
	smtpd_chat_reply(state, "220 %s", smtpd_conf.banner);
}

static void
smtpd_session(SMTPD_STATE *state)
{
	if (smtpd_tls_wrapper(state) == 0)
		smtpd_greet(state);
	while (!state->quit) {
		if (state->error_count >= smtpd_conf.hard_erlim) {
			msg_info("too many errors after %s from %s", state->where,
			    state->namaddr);
			smtpd_chat_reply(state, "421 4.7.0 %s Error: too many errors",
			    smtpd_conf.myhostname);
			break;
		}
		smtpd_cmd_dispatch(state);
	}
	smtpd_chat_flush(state);
	smtpd_tls_end(state);
}

/* The master says the service is (no longer) under stress: re-read. */
int
smtpd_stress_update(void)
{
	int	 stress = mail_server_stress();

	if (stress == smtpd_conf.stress)
		return 0;
	smtpd_conf_stress(&smtpd_conf, stress);
	return 1;
}

static void
smtpd_service(VSTREAM *stream, const char *service, char **argv)
{
	SMTPD_STATE state;
	VSTRING	*stats = vstring_alloc(100);

	(void)smtpd_stress_update();
	smtpd_state_init(&state, stream);
	if (smtpd_conf.drop)
		smtpd_drop_session(&state);
	vstream_set_timeout(stream, smtpd_conf.timeout);
	smtpd_peer_init(&state);
	msg_info("connect from %s", state.namaddr);
	mail_counter_add(MAIL_COUNTER_SMTPD_CONN, 1);
	if (state.hangup)
		;			/* bad proxy header: not a word */
	else if (smtpd_anvil_connect(&state) == 0)
		smtpd_session(&state);
	else
		smtpd_chat_flush(&state);
	smtpd_anvil_disconnect(&state);
	mail_counter_add(MAIL_COUNTER_SMTPD_DISC, 1);
	smtpd_cmd_stat_line(&state, stats);
	msg_info("disconnect from %s%s", state.namaddr, vstring_str(stats));
	vstring_free(stats);
	smtpd_state_free(&state);
}

static void
smtpd_pre_init(const char *service, char **argv)
{
	smtpd_conf.drop = smtpd_drop_mode();
	smtpd_conf_load(&smtpd_conf);
	if (smtpd_conf.drop)
		smtpd_conf.no_milters = 1;
}

/* smtpd_post_init - unprivileged now: map the session counters. */
static void
smtpd_post_init(const char *service, char **argv)
{
	if (!mail_server_standalone() && mail_counter_attach(MAIL_COUNTER_FILE) < 0)
		msg_warn("cannot map %s: %m; smtpctl monitor will not count sessions",
		    MAIL_COUNTER_FILE);
	smtpd_anvil_init(service);
}

int
main(int argc, char **argv)
{
	static const MAIL_SERVER_OPS ops = {
		.pre_init = smtpd_pre_init,
		.post_init = smtpd_post_init,
	};

	single_server_main(argc, argv, smtpd_service, &ops);
	return 0;
}
