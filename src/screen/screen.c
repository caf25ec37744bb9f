/*
 * NAME
 *	screen - pre-greeting tests in front of smtpd (postscreen's ideas)
 * SYNOPSIS
 *	screen -n service -t inet [-o name=value]... [-v]...
 * DESCRIPTION
 *	Run by the master on the SMTP port instead of smtpd (master.cf:
 *	"smtp inet n - n - - screen" with "smtpd pass - - n - - smtpd"),
 *	each process screens one new connection at a time:
 *
 *	A client in postscreen_access_list (permit_mynetworks, or tables
 *	whose result is permit, reject or dunno) is ALLOWLISTED and handed
 *	to smtpd at once, or DENYLISTED (postscreen_denylist_action). A
 *	client in the allowlist cache (postscreen_cache_map; screen_cache)
 *	is "PASS OLD" and handed over. Otherwise the tests before the
 *	greeting run: the teaser "220-$postscreen_greet_banner" is sent
 *	(when the banner is not empty), the client's address is scored
 *	against postscreen_dnsbl_sites (screen_dnsbl), and the client must
 *	stay silent until postscreen_greet_wait has passed since it
 *	connected ("PREGREET 11 after 0.25 from [addr]:port: EHLO x\r\n"
 *	otherwise). A DNSBL score at or above postscreen_dnsbl_threshold is
 *	logged ("DNSBL rank 3 for [addr]:port") and handled by
 *	postscreen_dnsbl_action, a pregreet by postscreen_greet_action:
 *	ignore (go on; test again next time), enforce (the screen's own
 *	SMTP engine refuses every recipient with 550, screen_smtp) or drop
 *	(a 521 reply, then disconnect). A client that passes every test is
 *	"PASS NEW", cached for postscreen_greet_ttl (at most
 *	postscreen_dnsbl_max_ttl with DNSBL sites), and handed over.
 *
 *	Handing over passes the connection itself (SCM_RIGHTS) to the pass
 *	service private/$smtpd_service_name: smtpd serves the very same TCP
 *	connection, and its "220" completes the teaser's multi-line
 *	greeting. A client that hangs up early is logged "HANGUP after 0.5
 *	from [addr]:port in tests before SMTP handshake"; sessions the
 *	screen ends itself end with "DISCONNECT [addr]:port".
 * DIAGNOSTICS
 *	Problems are logged; bad action values are fatal.
 * BUGS
 *	DNSBL lookups are made one after the other inside the greeting
 *	wait, not in parallel; a process screens one client at a time
 *	(maxproc bounds the clients being screened).
 */
#include <sys/socket.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "connect.h"
#include "dict.h"
#include "dns.h"
#include "mail_conf.h"
#include "mail_server.h"
#include "msg.h"
#include "mymalloc.h"
#include "screen.h"
#include "sock_addr.h"
#include "unix_pass.h"

#define SCREEN_PREGREET_MAX	100	/* bytes of a pregreet shown in the log */

static SCREEN_CONF screen_conf;
static int screen_stress = -1;

double
screen_elapsed(const SCREEN_STATE *state)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - state->start.tv_sec) +
	    (now.tv_nsec - state->start.tv_nsec) / 1e9;
}

static int
screen_action(const char *param)
{
	const char *val = conf_str(param);

	if (strcasecmp(val, "ignore") == 0)
		return SCREEN_IGNORE;
	if (strcasecmp(val, "enforce") == 0)
		return SCREEN_ENFORCE;
	if (strcasecmp(val, "drop") == 0)
		return SCREEN_DROP;
	msg_fatal("bad %s value \"%s\": use ignore, enforce or drop", param, val);
}

/* The values that ${stress?...} may change; re-read when stress changes. */
static void
screen_conf_stress(void)
{
	int	 stress = mail_server_stress();

	if (stress == screen_stress)
		return;
	screen_stress = stress;
	screen_conf.greet_wait = (int)conf_time("postscreen_greet_wait");
	screen_conf.cmd_time = (int)conf_time("postscreen_command_time_limit");
}

static void
screen_conf_cache(void)
{
	const char *map = conf_str("postscreen_cache_map");

	if (*map == 0)
		return;
	if (strncmp(map, "texthash:", 9) == 0 && map[9] == '/')
		screen_conf.cache_path = mystrdup(map + 9);
	else
		msg_warn("postscreen_cache_map: \"%s\": only texthash:/path is "
		    "supported; clients are screened every time", map);
}

static void
screen_pre_init(const char *service, char **argv)
{
	VSTRING	*buf = vstring_alloc(100);

	screen_conf.greet_action = screen_action("postscreen_greet_action");
	screen_conf.dnsbl_action = screen_action("postscreen_dnsbl_action");
	screen_conf.deny_action = screen_action("postscreen_denylist_action");
	screen_conf.greet_banner = conf_str("postscreen_greet_banner");
	screen_conf.greet_ttl = (int)conf_time("postscreen_greet_ttl");
	screen_conf.dnsbl_sites = conf_list("postscreen_dnsbl_sites");
	screen_conf.dnsbl_threshold = (int)conf_int("postscreen_dnsbl_threshold");
	screen_conf.dnsbl_ttl = (int)conf_time("postscreen_dnsbl_max_ttl");
	screen_conf.access = conf_list("postscreen_access_list");
	screen_conf.mynetworks = addr_match_param("mynetworks");
	screen_conf.cmd_count = (int)conf_int("postscreen_command_count_limit");
	screen_conf.myhostname = conf_str("myhostname");
	screen_conf.smtpd_banner = conf_str("smtpd_banner");
	vstring_sprintf(buf, "private/%s", conf_str("smtpd_service_name"));
	screen_conf.pass_service = vstring_export(buf);
	screen_conf_cache();
	buf = vstring_alloc(100);
	if (dns_set_servers(conf_str("dns_resolver_address"), buf) < 0)
		msg_warn("dns_resolver_address: %s", vstring_str(buf));
	vstring_free(buf);
	screen_conf_stress();
}

/* postscreen_access_list: 1 permit, -1 reject, 0 no decision. */
static int
screen_access(SCREEN_STATE *state)
{
	ARGV	*list = state->conf->access;
	const char *item, *val;
	DICT	*dict;

	for (size_t i = 0; list && i < list->argc; i++) {
		item = list->argv[i];
		if (strcasecmp(item, "permit_mynetworks") == 0) {
			if (addr_match(state->conf->mynetworks, state->addr) > 0)
				return 1;
			continue;
		}
		if (strchr(item, ':') == NULL) {
			msg_warn("postscreen_access_list: unknown element \"%s\"",
			    item);
			continue;
		}
		dict = dict_lookup_open(item);
		if ((val = dict_get(dict, state->addr)) == NULL)
			continue;
		if (strncasecmp(val, "permit", 6) == 0)
			return 1;
		if (strncasecmp(val, "reject", 6) == 0)
			return -1;
		if (strncasecmp(val, "dunno", 5) != 0)
			msg_warn("%s: unknown result \"%s\" for %s", item, val,
			    state->addr);
	}
	return 0;
}

/* Hand the connection to smtpd; 0 when done. */
static int
screen_pass(SCREEN_STATE *state)
{
	VSTRING	*why = vstring_alloc(100);
	int	 sock, r = -1;

	(void)vstream_fflush(state->client);
	if ((sock = unix_connect(state->conf->pass_service, 10, why)) < 0) {
		msg_warn("cannot connect to service %s: %s",
		    state->conf->pass_service, vstring_str(why));
	} else if ((r = unix_pass_send(sock, state->fd)) < 0)
		msg_warn("cannot pass connection to service %s: %m",
		    state->conf->pass_service);
	if (sock >= 0)
		(void)close(sock);
	vstring_free(why);
	if (r < 0) {
		vstream_fprintf(state->client, "421 4.3.2 All server ports are "
		    "busy\r\n");
		(void)vstream_fflush(state->client);
		msg_info("DISCONNECT %s", state->addrport);
	}
	return r;
}

/* Show pregreet bytes as postscreen does: \r, \n, \t and \ooo escapes. */
static void
screen_quote(const char *buf, ssize_t len, VSTRING *out)
{
	vstring_reset(out);
	for (ssize_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\r')
			vstring_strcat(out, "\\r");
		else if (c == '\n')
			vstring_strcat(out, "\\n");
		else if (c == '\t')
			vstring_strcat(out, "\\t");
		else if (c < 0x20 || c >= 0x7f || c == '\\')
			vstring_sprintf_append(out, "\\%03o", c);
		else
			vstring_sprintf_append(out, "%c", c);
	}
}

/*
 * The greeting wait: 0 silent, 1 pregreet (logged; consumed unless the
 * action is ignore), -1 hangup (logged).
 */
static int
screen_pregreet(SCREEN_STATE *state)
{
	struct pollfd pfd;
	char	 buf[1024];
	double	 left;
	ssize_t	 n;
	VSTRING	*text;

	for (;;) {
		left = state->conf->greet_wait - screen_elapsed(state);
		pfd.fd = state->fd;
		pfd.events = POLLIN;
		n = poll(&pfd, 1, left > 0 ? (int)(left * 1000) : 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		break;
	}
	n = recv(state->fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (n <= 0) {
		msg_info("HANGUP after %.2f from %s in tests before SMTP "
		    "handshake", screen_elapsed(state), state->addrport);
		return -1;
	}
	text = vstring_alloc(100);
	screen_quote(buf, n > SCREEN_PREGREET_MAX ? SCREEN_PREGREET_MAX : n, text);
	msg_info("PREGREET %zd after %.2f from %s: %s", n, screen_elapsed(state),
	    state->addrport, vstring_str(text));
	vstring_free(text);
	if (state->conf->greet_action != SCREEN_IGNORE)
		(void)recv(state->fd, buf, (size_t)n, MSG_DONTWAIT);
	return 1;
}

/* A failed test: keep the strongest action and its reply text. */
static void
screen_fail(SCREEN_STATE *state, int action, const char *text)
{
	if (action < state->action || (action == state->action && state->reply))
		return;
	state->action = action;
	myfree(state->reply);
	state->reply = mystrdup(text);
}

static int
screen_peer(SCREEN_STATE *state)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	VSTRING	*buf = vstring_alloc(64);

	if (getpeername(state->fd, (struct sockaddr *)&ss, &len) < 0 ||
	    sock_addr_ntop((struct sockaddr *)&ss, len, state->addr,
	    sizeof(state->addr), &state->port) < 0) {
		vstring_free(buf);
		return -1;
	}
	if (sock_addr_local(state->fd, state->laddr, sizeof(state->laddr),
	    &state->lport) < 0)
		snprintf(state->laddr, sizeof(state->laddr), "unknown");
	vstring_sprintf(buf, "[%s]:%d", state->addr, state->port);
	state->addrport = vstring_export(buf);
	return 0;
}

/* The tests; 1 when the client may go to smtpd, 0 when it was dealt with. */
static int
screen_tests(SCREEN_STATE *state)
{
	const SCREEN_CONF *conf = state->conf;
	VSTRING	*name = vstring_alloc(64), *text = vstring_alloc(100);
	int	 score, pregreet, failed = 0;

	if (*conf->greet_banner) {
		vstream_fprintf(state->client, "220-%s\r\n", conf->greet_banner);
		(void)vstream_fflush(state->client);
		state->teaser = 1;
	}
	if (conf->dnsbl_sites->argc > 0 &&
	    (score = screen_dnsbl_score(state, name)) >= conf->dnsbl_threshold) {
		msg_info("DNSBL rank %d for %s", score, state->addrport);
		vstring_sprintf(text, "5.7.1 Service unavailable; client [%s] "
		    "blocked using %s", state->addr, vstring_len(name) ?
		    vstring_str(name) : "DNSBL");
		screen_fail(state, conf->dnsbl_action, vstring_str(text));
		failed = 1;
	}
	if ((pregreet = screen_pregreet(state)) < 0) {
		vstring_free(name);
		vstring_free(text);
		return 0;
	}
	if (pregreet) {
		screen_fail(state, conf->greet_action, "5.5.1 Protocol error");
		failed = 1;
	}
	if (!failed) {
		msg_info("PASS NEW %s", state->addrport);
		screen_cache_add(conf, state->addr, conf->dnsbl_sites->argc > 0 &&
		    conf->dnsbl_ttl < conf->greet_ttl ? conf->dnsbl_ttl :
		    conf->greet_ttl);
	}
	vstring_free(name);
	vstring_free(text);
	return 1;
}

static void
screen_session(SCREEN_STATE *state)
{
	const SCREEN_CONF *conf = state->conf;
	char	*reply;
	int	 access = screen_access(state);

	if (access > 0) {
		msg_info("ALLOWLISTED %s", state->addrport);
		(void)screen_pass(state);
		return;
	}
	if (access < 0) {
		msg_info("DENYLISTED %s", state->addrport);
		screen_fail(state, conf->deny_action, "5.3.2 Service currently "
		    "unavailable");
	} else if (screen_cache_find(conf, state->addr)) {
		msg_info("PASS OLD %s", state->addrport);
		(void)screen_pass(state);
		return;
	}
	if (!screen_tests(state)) {
		msg_info("DISCONNECT %s", state->addrport);
		return;
	}
	if (state->action == SCREEN_IGNORE) {
		(void)screen_pass(state);
		return;
	}
	reply = mymalloc(strlen(state->reply) + 8);
	sprintf(reply, "%d %s", state->action == SCREEN_DROP ? 521 : 550,
	    state->reply);
	myfree(state->reply);
	state->reply = reply;
	if (state->action == SCREEN_DROP) {
		vstream_fprintf(state->client, "%s\r\n", state->reply);
		(void)vstream_fflush(state->client);
	} else
		screen_smtp(state);
	msg_info("DISCONNECT %s", state->addrport);
}

static void
screen_service(VSTREAM *stream, const char *service, char **argv)
{
	SCREEN_STATE state;

	screen_conf_stress();
	memset(&state, 0, sizeof(state));
	state.conf = &screen_conf;
	state.client = stream;
	state.fd = vstream_fileno(stream);
	clock_gettime(CLOCK_MONOTONIC, &state.start);
	vstream_set_timeout(stream, screen_conf.cmd_time);
	if (screen_peer(&state) < 0) {
		msg_warn("screen: not a network connection: %m");
		return;
	}
	msg_info("CONNECT from %s to [%s]:%d", state.addrport, state.laddr,
	    state.lport);
	screen_session(&state);
	myfree(state.addrport);
	myfree(state.reply);
}

int
main(int argc, char **argv)
{
	static const MAIL_SERVER_OPS ops = {
		.pre_init = screen_pre_init,
	};

	single_server_main(argc, argv, screen_service, &ops);
	return 0;
}
