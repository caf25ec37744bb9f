/*
 * NAME
 *	smtpd_policy - check_policy_service, and the actions that policy
 *	servers and access tables share
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	int  smtpd_policy_check(SMTPD_CHECK *c, const char *arg, int class);
 *	int  smtpd_policy_action(SMTPD_CHECK *c, const char *word,
 *		const char *text);
 *	void smtpd_policy_stage(SMTPD_STATE *state);
 *	int  smtpd_policy_finish(SMTPD_CHECK *c, int result);
 *	void smtpd_policy_reset(SMTPD_STATE *state);
 *	void smtpd_policy_delayed(SMTPD_STATE *state, int save);
 *	void smtpd_policy_headers(SMTPD_STATE *state, VSTRING *out);
 * DESCRIPTION
 *	smtpd_policy_check() implements "check_policy_service inet:host:port"
 *	and "check_policy_service unix:/path" (also written
 *	"check_policy_service { inet:host:port, timeout=10s, ... }" with
 *	per-service settings named as the parameters below without their
 *	smtpd_policy_service_ prefix): one request of Postfix's policy
 *	delegation protocol, "name=value" lines ended by an empty line,
 *	with every attribute Postfix sends (request=smtpd_access_policy,
 *	protocol_state, protocol_name, helo_name, queue_id, sender,
 *	recipient, recipient_count, client_address, client_name,
 *	reverse_client_name, instance, sasl_method, sasl_username,
 *	sasl_sender, size, ccert_subject, ccert_issuer, ccert_fingerprint,
 *	ccert_pubkey_fingerprint, encryption_protocol, encryption_cipher,
 *	encryption_keysize, etrn_domain, stress, server_address,
 *	server_port, compatibility_level, mail_version, client_port,
 *	policy_context). The "action=" of the reply is interpreted as an
 *	access(5) table result (smtpd_access_action).
 *
 *	Connections are kept per server and reused, closed after
 *	smtpd_policy_service_max_idle seconds unused, after
 *	smtpd_policy_service_max_ttl seconds, or after
 *	smtpd_policy_service_request_limit requests (0: no limit). A
 *	request (write and reply) has smtpd_policy_service_timeout in all.
 *	A failure (no connection, a time-out, a reply without action= or
 *	longer than SMTPD_POLICY_LINE bytes a line or SMTPD_POLICY_LINES
 *	lines) is logged ("warning: problem talking to server
 *	127.0.0.1:9998: ...") and the request tried again after
 *	smtpd_policy_service_retry_delay, up to
 *	smtpd_policy_service_try_limit tries in all; then
 *	smtpd_policy_service_default_action is the answer.
 *
 *	smtpd_policy_action() handles the actions beyond the reject/permit
 *	family, for policy replies and access tables alike; -2 when word
 *	is not one of them:
 * .IP "DEFER_IF_PERMIT [d.d.d] text"
 *	when the restriction stage ends without a reject, it ends with
 *	"450 4.7.1 <name>: Class rejected: text" instead (the status
 *	given, as postgrey's "4.2.0", replaces 4.7.1).
 * .IP "DEFER_IF_REJECT text"
 *	a later reject (5xx) of the same stage becomes that 450 reply.
 * .IP "PREPEND header: value"
 *	the header is put on top of the message (above our Received:).
 * .IP "REDIRECT user@domain"
 *	the recipients accepted from now on in this transaction are
 *	replaced by that address (written once, each original kept as
 *	ORCPT); recipients accepted earlier stay (Postfix redirects all).
 * .IP "FILTER transport:destination"
 *	the message is sent through that content filter: the queue file
 *	carries content_filter, which the qmgr uses for every recipient.
 * .IP "BCC user@domain"
 *	not supported: a warning, then no action.
 * .PP
 *	smtpd_policy_stage() starts a restriction stage (forgets pending
 *	DEFER_IF_* replies); smtpd_policy_finish() ends it, turning a
 *	non-reject result into the DEFER_IF_PERMIT reply when one is
 *	pending; smtpd_policy_delayed() keeps the DEFER_IF_PERMIT of the
 *	lists that smtpd_delay_reject runs once per transaction for the
 *	later recipients. smtpd_policy_reset() forgets the transaction's actions;
 *	smtpd_policy_headers() writes the PREPEND headers and records
 *	FILTER in the queue file, at the start of the message.
 * DIAGNOSTICS
 *	SMTPD_CHECK_* results. Bad action arguments are logged and ignored
 *	(a REDIRECT or FILTER argument with a space, '<', '>' or a control
 *	character, such as the CR of a CRLF-ended reply line).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "connect.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"
#include "tls.h"

#define SMTPD_POLICY_LINE	4096	/* bytes of one reply line */
#define SMTPD_POLICY_LINES	100	/* lines of one reply */
#define SMTPD_POLICY_HEADER	998	/* PREPEND header */

/* One policy server: settings and the cached connection. */
typedef struct SMTPD_POLICY {
	char	*name;			/* the restriction argument */
	char	*spec;			/* inet:host:port or unix:/path */
	int	 timeout;
	int	 max_idle;
	int	 max_ttl;
	int	 request_limit;
	int	 try_limit;
	int	 retry_delay;
	char	*default_action;
	char	*context;
	VSTREAM	*stream;
	time_t	 opened;
	time_t	 used;
	int	 requests;
	struct SMTPD_POLICY *next;
} SMTPD_POLICY;

static SMTPD_POLICY *smtpd_policies;

/* One "name=value" setting of a braced argument. */
static int
smtpd_policy_setting(SMTPD_POLICY *p, const char *item)
{
	const char *eq = strchr(item, '=');
	char	 name[64];
	long long n;
	VSTRING	*why = vstring_alloc(32);
	int	 r = -1;

	if (eq == NULL || eq - item >= (ptrdiff_t)sizeof(name))
		goto out;
	snprintf(name, sizeof(name), "%.*s", (int)(eq - item), item);
	eq++;
	if (strcmp(name, "default_action") == 0) {
		myfree(p->default_action);
		p->default_action = mystrdup(eq);
		r = 0;
	} else if (strcmp(name, "policy_context") == 0) {
		myfree(p->context);
		p->context = mystrdup(eq);
		r = 0;
	} else if (strcmp(name, "request_limit") == 0 ||
	    strcmp(name, "try_limit") == 0) {
		if (conf_parse_int(eq, &n) == 0 && n >= 0 && n < 1000000) {
			*(name[0] == 'r' ? &p->request_limit : &p->try_limit) = (int)n;
			r = 0;
		}
	} else if (conf_parse_time(eq, 's', &n, why) == 0 && n >= 0 &&
	    n < 1000000) {
		r = 0;
		if (strcmp(name, "timeout") == 0)
			p->timeout = (int)n;
		else if (strcmp(name, "max_idle") == 0)
			p->max_idle = (int)n;
		else if (strcmp(name, "max_ttl") == 0)
			p->max_ttl = (int)n;
		else if (strcmp(name, "retry_delay") == 0)
			p->retry_delay = (int)n;
		else
			r = -1;
	}
out:
	vstring_free(why);
	if (r < 0)
		msg_warn("check_policy_service: bad setting \"%s\": ignored", item);
	return r;
}

/* The server named by a restriction argument, made on first use. */
static SMTPD_POLICY *
smtpd_policy_find(const char *arg)
{
	SMTPD_POLICY *p;
	ARGV	*items;
	char	*inner;
	size_t	 i, len;

	for (p = smtpd_policies; p; p = p->next)
		if (strcmp(p->name, arg) == 0)
			return p;
	p = mycalloc(1, sizeof(*p));
	p->name = mystrdup(arg);
	p->timeout = (int)conf_time("smtpd_policy_service_timeout");
	p->max_idle = (int)conf_time("smtpd_policy_service_max_idle");
	p->max_ttl = (int)conf_time("smtpd_policy_service_max_ttl");
	p->request_limit = (int)conf_int("smtpd_policy_service_request_limit");
	p->try_limit = (int)conf_int("smtpd_policy_service_try_limit");
	p->retry_delay = (int)conf_time("smtpd_policy_service_retry_delay");
	p->default_action = mystrdup(conf_str("smtpd_policy_service_default_action"));
	p->context = mystrdup(conf_str("smtpd_policy_service_policy_context"));
	len = strlen(arg);
	if (arg[0] == '{' && len >= 2 && arg[len - 1] == '}') {
		inner = mystrndup(arg + 1, len - 2);
		items = argv_split(inner, " \t\r\n,");
		myfree(inner);
		p->spec = mystrdup(items->argc ? items->argv[0] : "");
		for (i = 1; i < items->argc; i++)
			(void)smtpd_policy_setting(p, items->argv[i]);
		argv_free(items);
	} else
		p->spec = mystrdup(arg);
	if (p->try_limit < 1)
		p->try_limit = 1;
	p->next = smtpd_policies;
	smtpd_policies = p;
	return p;
}

static void
smtpd_policy_close(SMTPD_POLICY *p)
{
	if (p->stream != NULL)
		(void)vstream_fclose(p->stream);
	p->stream = NULL;
	p->requests = 0;
}

/* The server as Postfix names it in warnings: without "inet:". */
static const char *
smtpd_policy_label(const SMTPD_POLICY *p)
{
	return strncmp(p->spec, "inet:", 5) == 0 ? p->spec + 5 : p->spec;
}

static int
smtpd_policy_connect(SMTPD_POLICY *p, VSTRING *why)
{
	const char *addr;
	int	 fd;
	time_t	 now = time(NULL);

	if (p->stream != NULL && ((p->max_idle > 0 && now - p->used >=
	    p->max_idle) || (p->max_ttl > 0 && now - p->opened >= p->max_ttl) ||
	    (p->request_limit > 0 && p->requests >= p->request_limit)))
		smtpd_policy_close(p);
	if (p->stream != NULL)
		return 0;
	if (strncmp(p->spec, "unix:", 5) == 0) {
		fd = unix_connect(p->spec + 5, p->timeout, why);
	} else {
		addr = strncmp(p->spec, "inet:", 5) == 0 ? p->spec + 5 : p->spec;
		fd = inet_connect_hostport(addr, NULL, p->timeout, why);
	}
	if (fd < 0)
		return -1;
	p->stream = vstream_fdopen(fd, VSTREAM_FLAG_RW);
	p->opened = now;
	p->requests = 0;
	return 0;
}

static void
smtpd_policy_attr(VSTRING *req, const char *name, const char *value)
{
	const char *s;

	vstring_sprintf_append(req, "%s=", name);
	for (s = value ? value : ""; *s; s++)
		vstring_sprintf_append(req, "%c", *s == '\n' || *s == '\r' ?
		    ' ' : *s);
	vstring_strcat(req, "\n");
}

static const char *
smtpd_policy_instance(SMTPD_STATE *state)
{
	static unsigned seq;

	if (state->act.instance[0] == 0)
		snprintf(state->act.instance, sizeof(state->act.instance),
		    "%lx.%llx.%x", (long)getpid(), (long long)time(NULL), seq++);
	return state->act.instance;
}

/* In smtpd_etrn_restrictions: the ETRN argument (the command line). */
static const char *
smtpd_policy_etrn(SMTPD_STATE *state)
{
	const char *s = vstring_str(state->buf);

	if (strcmp(state->where, "ETRN") != 0 || strncasecmp(s, "ETRN", 4) != 0)
		return "";
	return s + 4 + strspn(s + 4, " \t");
}

/* The request, with every attribute Postfix sends. */
static void
smtpd_policy_request(SMTPD_CHECK *c, SMTPD_POLICY *p, VSTRING *req)
{
	SMTPD_STATE *state = c->state;
	const TLS_INFO *tls = state->tls ? tls_info(state->tls) : NULL;
	char	 num[32];

	vstring_reset(req);
	smtpd_policy_attr(req, "request", "smtpd_access_policy");
	smtpd_policy_attr(req, "protocol_state", state->where);
	smtpd_policy_attr(req, "protocol_name", state->protocol);
	smtpd_policy_attr(req, "helo_name", state->helo);
	smtpd_policy_attr(req, "queue_id", state->queue_id);
	smtpd_policy_attr(req, "sender", state->sender);
	smtpd_policy_attr(req, "recipient", c->rcpt);
	snprintf(num, sizeof(num), "%d", state->rcpt_count);
	smtpd_policy_attr(req, "recipient_count", num);
	smtpd_policy_attr(req, "client_address", state->addr);
	smtpd_policy_attr(req, "client_name", state->name);
	smtpd_policy_attr(req, "reverse_client_name", state->reverse_name);
	smtpd_policy_attr(req, "instance", smtpd_policy_instance(state));
	smtpd_policy_attr(req, "sasl_method", state->sasl_method);
	smtpd_policy_attr(req, "sasl_username", state->sasl_username);
	smtpd_policy_attr(req, "sasl_sender", state->sasl_sender);
	snprintf(num, sizeof(num), "%lld", state->msg.size > 0 ?
	    state->msg.size : state->decl_size);
	smtpd_policy_attr(req, "size", num);
	smtpd_policy_attr(req, "ccert_subject", tls && tls->peer_cert ?
	    tls->peer_cn : "");
	smtpd_policy_attr(req, "ccert_issuer", tls && tls->peer_cert ?
	    tls->issuer_cn : "");
	smtpd_policy_attr(req, "ccert_fingerprint", state->ccert_fp ?
	    state->ccert_fp : "");
	smtpd_policy_attr(req, "ccert_pubkey_fingerprint",
	    state->ccert_pkey_fp ? state->ccert_pkey_fp : "");
	smtpd_policy_attr(req, "encryption_protocol", tls ? tls->protocol : "");
	smtpd_policy_attr(req, "encryption_cipher", tls ? tls->cipher : "");
	snprintf(num, sizeof(num), "%d", tls ? tls->bits : 0);
	smtpd_policy_attr(req, "encryption_keysize", num);
	smtpd_policy_attr(req, "etrn_domain", smtpd_policy_etrn(state));
	smtpd_policy_attr(req, "stress", state->conf->stress ? "yes" : "");
	smtpd_policy_attr(req, "server_address", state->laddr);
	snprintf(num, sizeof(num), "%d", state->lport);
	smtpd_policy_attr(req, "server_port", num);
	smtpd_policy_attr(req, "compatibility_level",
	    conf_str("compatibility_level"));
	smtpd_policy_attr(req, "mail_version", conf_str("mail_version"));
	snprintf(num, sizeof(num), "%d", state->port);
	smtpd_policy_attr(req, "client_port", num);
	smtpd_policy_attr(req, "policy_context", p->context);
	vstring_strcat(req, "\n");
}

/* Seconds left until deadline, at least 1. */
static int
smtpd_policy_left(time_t deadline)
{
	time_t	 now = time(NULL);

	return deadline > now ? (int)(deadline - now) : 1;
}

/* One try: 0 with the action, -1 with why. */
static int
smtpd_policy_try(SMTPD_POLICY *p, VSTRING *req, VSTRING *action, VSTRING *why)
{
	time_t	 deadline = time(NULL) + (p->timeout > 0 ? p->timeout : 100);
	VSTRING	*line = vstring_alloc(100);
	int	 r, n, got = 0;

	if (smtpd_policy_connect(p, why) < 0)
		goto fail;
	vstream_set_timeout(p->stream, smtpd_policy_left(deadline));
	if (vstream_write(p->stream, vstring_str(req), vstring_len(req)) < 0 ||
	    vstream_fflush(p->stream) < 0) {
		vstring_sprintf(why, "%s", vstream_ftimeout(p->stream) ?
		    "timeout" : "write error");
		goto fail;
	}
	for (n = 0;; n++) {
		if (n >= SMTPD_POLICY_LINES || time(NULL) >= deadline) {
			vstring_sprintf(why, n >= SMTPD_POLICY_LINES ?
			    "reply has too many lines" : "timeout");
			goto fail;
		}
		vstream_set_timeout(p->stream, smtpd_policy_left(deadline));
		r = vstream_get_line(p->stream, line, SMTPD_POLICY_LINE, 0);
		if (r == VSTREAM_LINE_LONG) {
			vstring_sprintf(why, "reply line longer than %d bytes",
			    SMTPD_POLICY_LINE);
			goto fail;
		}
		if (r != VSTREAM_LINE_OK) {
			vstring_sprintf(why, "%s", vstream_ftimeout(p->stream) ?
			    "timeout" : r == VSTREAM_LINE_PARTIAL ||
			    vstream_feof(p->stream) ? "lost connection" :
			    "read error");
			goto fail;
		}
		if (vstring_len(line) == 0)
			break;
		if (strncasecmp(vstring_str(line), "action=", 7) == 0) {
			vstring_strcpy(action, vstring_str(line) + 7);
			got = 1;
		}
	}
	if (!got || vstring_len(action) == 0) {
		vstring_sprintf(why, "reply without action");
		goto fail;
	}
	p->used = time(NULL);
	p->requests++;
	vstring_free(line);
	return 0;
fail:
	smtpd_policy_close(p);
	vstring_free(line);
	return -1;
}

int
smtpd_policy_check(SMTPD_CHECK *c, const char *arg, int class)
{
	SMTPD_POLICY *p = smtpd_policy_find(arg);
	VSTRING	*req = vstring_alloc(512), *action = vstring_alloc(100);
	VSTRING	*why = vstring_alloc(100);
	const char *value = NULL, *saved_table;
	int	 r, try;

	(void)class;
	smtpd_policy_request(c, p, req);
	for (try = 0; try < p->try_limit && value == NULL; try++) {
		if (try > 0 && p->retry_delay > 0)
			sleep(p->retry_delay);
		if (smtpd_policy_try(p, req, action, why) == 0)
			value = vstring_str(action);
		else
			msg_warn("problem talking to server %s: %s",
			    smtpd_policy_label(p), vstring_str(why));
	}
	if (value == NULL)
		value = p->default_action;
	if (msg_verbose)
		msg_info("policy %s: action=%s", smtpd_policy_label(p), value);
	saved_table = c->table;
	c->table = p->spec;	/* permit logging: "from inet:host:port" */
	r = smtpd_access_action(c, value);
	c->table = saved_table;
	vstring_free(req);
	vstring_free(action);
	vstring_free(why);
	return r;
}

/* "450 4.7.1 <name>: Class rejected: text" for DEFER_IF_*. */
static char *
smtpd_policy_defer_text(SMTPD_CHECK *c, const char *text)
{
	VSTRING	*buf = vstring_alloc(100);
	char	*s, dsn[16];

	text = smtpd_access_dsn_split(text, "4.7.1", dsn, sizeof(dsn));
	vstring_sprintf(buf, "450 4%s <%s>: %s rejected: %s", dsn + 1,
	    smtpd_reject_name(c), smtpd_reject_class_text[c->class],
	    *text ? text : "Service unavailable");
	s = mystrdup(vstring_str(buf));
	vstring_free(buf);
	return s;
}

/* Log "filter:" / "redirect:" the way Postfix does. */
static void
smtpd_policy_log(SMTPD_CHECK *c, const char *what, const char *action,
    const char *arg)
{
	VSTRING	*buf = vstring_alloc(100);

	vstring_sprintf(buf, "<%s>: %s triggers %s %s", smtpd_reject_name(c),
	    smtpd_reject_class_text[c->class], action, arg);
	smtpd_reject_log(c->state, what, vstring_str(buf), c->rcpt);
	vstring_free(buf);
}

/* No control character (an address, a transport:nexthop). */
static int
smtpd_policy_no_ctl(const char *text)
{
	for (const char *s = text; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return 0;
	return 1;
}

/* A PREPEND argument must be one header field: "name: value". */
static int
smtpd_policy_header_ok(const char *text)
{
	size_t	 n = strcspn(text, ":");

	if (n == 0 || text[n] != ':' || strlen(text) > SMTPD_POLICY_HEADER)
		return 0;
	for (const char *s = text; *s; s++)
		if ((unsigned char)*s < ' ' && *s != '\t')
			return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)text[i] <= ' ' || (unsigned char)text[i] >= 0x7f)
			return 0;
	return 1;
}

int
smtpd_policy_action(SMTPD_CHECK *c, const char *word, const char *text)
{
	SMTPD_ACTIONS *act = &c->state->act;

#define IS(w)	(strcasecmp(word, w) == 0)
	if (IS("DEFER_IF_PERMIT") || IS("DEFER_IF_REJECT")) {
		char  **slot = IS("DEFER_IF_PERMIT") ? &act->defer_if_permit :
		    &act->defer_if_reject;

		if (*slot == NULL)
			*slot = smtpd_policy_defer_text(c, text);
		return SMTPD_CHECK_DUNNO;
	}
	if (IS("PREPEND")) {
		if (!smtpd_policy_header_ok(text)) {
			msg_warn("PREPEND action without valid header: \"%.100s\"",
			    text);
			return SMTPD_CHECK_DUNNO;
		}
		if (act->prepend == NULL)
			act->prepend = argv_alloc(2);
		if (act->prepend->argc < 100)
			argv_add(act->prepend, text);
		return SMTPD_CHECK_DUNNO;
	}
	if (IS("REDIRECT") || IS("FILTER")) {
		int	 redirect = IS("REDIRECT");

		if (*text == 0 || strlen(text) > 1000 || strpbrk(text, " \t<>") ||
		    !smtpd_policy_no_ctl(text) || (redirect ? strchr(text, '@') == NULL :
		    strchr(text, ':') == NULL)) {
			msg_warn("%s action with bad argument: \"%.100s\"",
			    redirect ? "REDIRECT" : "FILTER", text);
			return SMTPD_CHECK_DUNNO;
		}
		smtpd_policy_log(c, redirect ? "redirect" : "filter",
		    redirect ? "REDIRECT" : "FILTER", text);
		if (redirect) {
			myfree(act->redirect);
			act->redirect = mystrdup(text);
		} else {
			myfree(act->filter);
			act->filter = mystrdup(text);
		}
		return SMTPD_CHECK_DUNNO;
	}
	if (IS("BCC")) {
		msg_warn("BCC action is not supported: ignored");
		return SMTPD_CHECK_DUNNO;
	}
#undef IS
	return -2;
}

void
smtpd_policy_stage(SMTPD_STATE *state)
{
	myfree(state->act.defer_if_permit);
	myfree(state->act.defer_if_reject);
	state->act.defer_if_permit = state->act.defer_if_reject = NULL;
}

int
smtpd_policy_finish(SMTPD_CHECK *c, int result)
{
	SMTPD_STATE *state = c->state;

	if (result != SMTPD_CHECK_REJECT && state->act.defer_if_permit) {
		vstring_strcpy(state->check_reply, state->act.defer_if_permit);
		smtpd_reject_log(state, "reject", state->act.defer_if_permit,
		    c->rcpt);
		result = SMTPD_CHECK_REJECT;
	}
	smtpd_policy_stage(state);
	return result;
}

/*
 * With smtpd_delay_reject the client, helo and sender lists run once per
 * transaction: keep their DEFER_IF_PERMIT (save) for the next recipients
 * (restore).
 */
void
smtpd_policy_delayed(SMTPD_STATE *state, int save)
{
	SMTPD_ACTIONS *act = &state->act;

	if (save) {
		myfree(act->delayed_dip);
		act->delayed_dip = act->defer_if_permit ?
		    mystrdup(act->defer_if_permit) : NULL;
	} else if (act->delayed_dip && act->defer_if_permit == NULL)
		act->defer_if_permit = mystrdup(act->delayed_dip);
}

void
smtpd_policy_reset(SMTPD_STATE *state)
{
	SMTPD_ACTIONS *act = &state->act;

	smtpd_policy_stage(state);
	if (act->prepend)
		argv_free(act->prepend);
	act->prepend = NULL;
	myfree(act->redirect);
	myfree(act->filter);
	myfree(act->delayed_dip);
	act->redirect = act->filter = act->delayed_dip = NULL;
	act->redirected = 0;
	act->instance[0] = 0;
}

void
smtpd_policy_headers(SMTPD_STATE *state, VSTRING *out)
{
	SMTPD_ACTIONS *act = &state->act;

	vstring_reset(out);
	for (size_t i = 0; act->prepend && i < act->prepend->argc; i++)
		vstring_sprintf_append(out, "%s\n", act->prepend->argv[i]);
	if (act->filter && state->cleanup)
		cleanup_attr(state->cleanup, "content_filter", act->filter);
}
