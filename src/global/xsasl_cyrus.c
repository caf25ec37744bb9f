/*
 * NAME
 *	xsasl_cyrus - SASL server back end through Cyrus SASL (libsasl2)
 * SYNOPSIS
 *	#include <xsasl.h>
 *
 *	XSASL_SERVER_IMPL *xsasl_cyrus_init(const char *appname, VSTRING *why);
 * DESCRIPTION
 *	The mechanisms are those the library's plugins offer under the
 *	configuration of appname (smtpd_sasl_path, "smtpd" by default: the
 *	file smtpd.conf in the SASL configuration path, or in
 *	cyrus_sasl_config_path when that is set): PLAIN, LOGIN, CRAM-MD5,
 *	DIGEST-MD5, SCRAM-SHA-*, with sasldb, saslauthd or any auxprop
 *	plugin behind them, exactly as for Postfix.
 *
 *	sasl_server_init() runs once per process; each session is a
 *	sasl_conn_t made with the service name (smtpd_sasl_service), the
 *	realm (smtpd_sasl_local_domain; empty lets the library choose) and
 *	the "addr;port" strings of both ends. The security options map to
 *	SASL_SEC_* flags, with no SASL security layer
 *	(xsasl_cyrus_security(3)).
 *
 *	Library results map to the interface as Postfix maps them:
 *	SASL_CONTINUE is a challenge, SASL_OK success, SASL_FAIL, SASL_NOMEM,
 *	SASL_TRYAGAIN and SASL_UNAVAIL (back end unreachable) are temporary,
 *	everything else a failure. SASL_NOUSER reads "authentication
 *	failure", as a bad password does, so that replies do not reveal
 *	which users exist; an unknown mechanism reads "Invalid
 *	authentication mechanism".
 * DIAGNOSTICS
 *	Library messages are logged through msg(3) (errors as warnings);
 *	they never contain passwords.
 */
#include <stdio.h>
#include <string.h>

#include <sasl/sasl.h>

#include "base64.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "xsasl.h"
#include "xsasl_cyrus_priv.h"

typedef struct XC_SERVER {
	XSASL_SERVER server;
	sasl_conn_t *conn;
	VSTRING	*buf;
	char	*mechs;
} XC_SERVER;

static XSASL_SERVER_IMPL xc_impl;
static int xc_initialized;

static int
xc_log(void *context, int level, const char *message)
{
	switch (level) {
	case SASL_LOG_ERR:
	case SASL_LOG_FAIL:
	case SASL_LOG_WARN:
		msg_warn("SASL authentication problem: %s", message);
		break;
	case SASL_LOG_NOTE:
		msg_info("SASL authentication info: %s", message);
		break;
	default:
		if (msg_verbose)
			msg_info("SASL authentication info: %s", message);
		break;
	}
	return SASL_OK;
}

static int
xc_confpath(void *context, const char **path)
{
	*path = conf_str("cyrus_sasl_config_path");
	return SASL_OK;
}

static sasl_callback_t xc_callbacks[] = {
	{SASL_CB_LOG, XSASL_CYRUS_CB(xc_log), NULL},
	{SASL_CB_GETCONFPATH, XSASL_CYRUS_CB(xc_confpath), NULL},
	{SASL_CB_LIST_END, NULL, NULL},
};

static sasl_callback_t xc_callbacks_nopath[] = {
	{SASL_CB_LOG, XSASL_CYRUS_CB(xc_log), NULL},
	{SASL_CB_LIST_END, NULL, NULL},
};

/* Library result to interface result, reply set. */
static int
xc_result(int r, VSTRING *reply)
{
	switch (r) {
	case SASL_OK:
		return XSASL_AUTH_DONE;
	case SASL_NOMECH:
		vstring_strcpy(reply, "Invalid authentication mechanism");
		return XSASL_AUTH_FAIL;
	case SASL_NOUSER:
	case SASL_BADAUTH:
		vstring_strcpy(reply, "authentication failure");
		return XSASL_AUTH_FAIL;
	case SASL_FAIL:
	case SASL_NOMEM:
	case SASL_TRYAGAIN:
	case SASL_UNAVAIL:
		vstring_strcpy(reply, sasl_errstring(r, NULL, NULL));
		return XSASL_AUTH_TEMP;
	default:
		vstring_strcpy(reply, sasl_errstring(r, NULL, NULL));
		return XSASL_AUTH_FAIL;
	}
}

static int
xc_step(XC_SERVER *s, int r, const char *out, unsigned outlen, VSTRING *reply)
{
	if (r == SASL_CONTINUE) {
		base64_encode(reply, out, outlen);
		return XSASL_AUTH_MORE;
	}
	return xc_result(r, reply);
}

static const char *
xc_mechs(XSASL_SERVER *xs, VSTRING *why)
{
	XC_SERVER *s = (XC_SERVER *)xs;
	const char *list;
	int	 r;

	if (s->mechs)
		return s->mechs;
	r = sasl_listmech(s->conn, NULL, "", " ", "", &list, NULL, NULL);
	if (r != SASL_OK) {
		vstring_sprintf(why, "sasl_listmech: %s", sasl_errdetail(s->conn));
		return NULL;
	}
	s->mechs = mystrdup(list);
	return s->mechs;
}

static int
xc_first(XSASL_SERVER *xs, const char *mech, const char *init, VSTRING *reply)
{
	XC_SERVER *s = (XC_SERVER *)xs;
	const char *out = NULL;
	unsigned outlen = 0;
	int	 r;

	if (init && xsasl_server_decode(s->buf, init, 1, reply) < 0)
		return XSASL_AUTH_FAIL;
	r = sasl_server_start(s->conn, mech, init ? vstring_str(s->buf) : NULL,
	    init ? (unsigned)vstring_len(s->buf) : 0, &out, &outlen);
	memset(vstring_str(s->buf), 0, vstring_len(s->buf));
	return xc_step(s, r, out, outlen, reply);
}

static int
xc_next(XSASL_SERVER *xs, const char *resp, VSTRING *reply)
{
	XC_SERVER *s = (XC_SERVER *)xs;
	const char *out = NULL;
	unsigned outlen = 0;
	int	 r;

	if (xsasl_server_decode(s->buf, resp, 0, reply) < 0)
		return XSASL_AUTH_FAIL;
	r = sasl_server_step(s->conn, vstring_str(s->buf),
	    (unsigned)vstring_len(s->buf), &out, &outlen);
	memset(vstring_str(s->buf), 0, vstring_len(s->buf));
	return xc_step(s, r, out, outlen, reply);
}

static const char *
xc_username(XSASL_SERVER *xs)
{
	XC_SERVER *s = (XC_SERVER *)xs;
	const void *user = NULL;

	if (sasl_getprop(s->conn, SASL_USERNAME, &user) != SASL_OK)
		return NULL;
	return user;
}

static void
xc_free(XSASL_SERVER *xs)
{
	XC_SERVER *s = (XC_SERVER *)xs;

	sasl_dispose(&s->conn);
	vstring_free(s->buf);
	myfree(s->mechs);
	myfree(s);
}

static XSASL_SERVER *
xc_create(XSASL_SERVER_IMPL *impl, const XSASL_SERVER_ARGS *a)
{
	char	 local[128], remote[128];
	sasl_conn_t *conn = NULL;
	XC_SERVER *s;
	int	 r;

	snprintf(local, sizeof(local), "%s;%d", a->server_addr, a->server_port);
	snprintf(remote, sizeof(remote), "%s;%d", a->client_addr, a->client_port);
	r = sasl_server_new(a->service, NULL, a->realm && *a->realm ? a->realm :
	    NULL, *a->server_addr && a->server_port ? local : NULL,
	    *a->client_addr ? remote : NULL, NULL, 0, &conn);
	if (r != SASL_OK) {
		msg_warn("SASL per-connection server initialization: %s",
		    sasl_errstring(r, NULL, NULL));
		return NULL;
	}
	if ((r = xsasl_cyrus_security(conn, a->sec)) != SASL_OK) {
		msg_warn("SASL per-connection security setup: %s",
		    sasl_errdetail(conn));
		sasl_dispose(&conn);
		return NULL;
	}
	s = mycalloc(1, sizeof(*s));
	s->server.mechs = xc_mechs;
	s->server.first = xc_first;
	s->server.next = xc_next;
	s->server.username = xc_username;
	s->server.free = xc_free;
	s->conn = conn;
	s->buf = vstring_alloc(256);
	return &s->server;
}

static void
xc_done(XSASL_SERVER_IMPL *impl)
{
	/* sasl_server_done() would unload plugins other sessions use. */
}

XSASL_SERVER_IMPL *
xsasl_cyrus_init(const char *appname, VSTRING *why)
{
	int	 r;

	if (xc_initialized)
		return &xc_impl;
	r = sasl_server_init(*conf_str("cyrus_sasl_config_path") ?
	    xc_callbacks : xc_callbacks_nopath, appname && *appname ?
	    appname : "smtpd");
	if (r != SASL_OK) {
		vstring_sprintf(why, "Cyrus SASL server initialization: %s",
		    sasl_errstring(r, NULL, NULL));
		return NULL;
	}
	xc_impl.create = xc_create;
	xc_impl.done = xc_done;
	xc_initialized = 1;
	return &xc_impl;
}
