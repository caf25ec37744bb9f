/*
 * NAME
 *	smtp_sasl - SMTP AUTH (RFC 4954) in the smtp/lmtp client
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	void smtp_sasl_conf(void);
 *	int  smtp_sasl_auth(SMTP_SESS *sess, const char *sender, VSTRING *why,
 *		    char *dsn);
 * DESCRIPTION
 *	smtp_sasl_conf() opens smtp_sasl_password_maps (lmtp_ in LMTP mode,
 *	as the other smtp_sasl_* parameters; smtp_conf.c reads them) and
 *	checks the security options.
 *
 *	smtp_sasl_auth() runs after EHLO and STARTTLS, when
 *	smtp_sasl_auth_enable is set and the server announced AUTH (or the
 *	old AUTH=). The credentials ("user:password") are looked up as
 *	Postfix does: with smtp_sender_dependent_authentication, by the
 *	envelope sender and then by "@domain" of the sender; then by the
 *	nexthop as the request names it ("[mail.isp.example]:587",
 *	"example.com"), then by the server's host name. Without an entry,
 *	mail goes out unauthenticated. The mechanisms are the server's,
 *	less those not in smtp_sasl_mechanism_filter (when set), less those
 *	smtp_sasl_security_options (or, on a TLS session,
 *	smtp_sasl_tls_security_options) exclude; the Cyrus SASL library
 *	(smtp_sasl_type = cyrus, the only client type, as in Postfix)
 *	chooses among them and runs the exchange. Credentials never reach
 *	the log or the transcript.
 * DIAGNOSTICS
 *	0: authenticated, or nothing to do. -1 with why and dsn: "SASL
 *	authentication failed; server host[addr] said: 535 ..." with the
 *	server's status (a 5xx becomes 4xx with smtp_sasl_auth_soft_bounce,
 *	the default), or "SASL authentication failed: cannot authenticate
 *	to server host[addr]: reason" (4.7.0) when no mechanism fits or the
 *	table lookup fails.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dict.h"
#include "mail_addr_find.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtp.h"
#include "xsasl.h"

static MAIL_ADDR_MAPS *smtp_sasl_maps;	/* smtp_sasl_password_maps */

void
smtp_sasl_conf(void)
{
	VSTRING	*why = vstring_alloc(100);

	if (!smtp_cf.sasl_enable) {
		vstring_free(why);
		return;
	}
	if ((smtp_cf.sasl_sec = xsasl_sec_parse(smtp_cf.sasl_opts, why)) < 0)
		msg_fatal("smtp_sasl_security_options: %s", vstring_str(why));
	if ((smtp_cf.sasl_tls_sec = xsasl_sec_parse(smtp_cf.sasl_tls_opts, why)) < 0)
		msg_fatal("smtp_sasl_tls_security_options: %s", vstring_str(why));
	if (strcasecmp(smtp_cf.sasl_type, "cyrus") != 0)
		msg_fatal("smtp_sasl_type: unsupported SASL client implementation: "
		    "%s (supported: cyrus)", smtp_cf.sasl_type);
	smtp_sasl_maps = mail_addr_maps_open(
	    smtp_pname("smtp_sasl_password_maps"), smtp_cf.sasl_maps);
	vstring_free(why);
}

/* One key; 1 found (in val), 0 not, -1 a table failed. */
static int
smtp_sasl_get(const char *key, VSTRING *val)
{
	if (*key == 0 || smtp_sasl_maps == NULL)
		return 0;
	return dict_find_list(smtp_sasl_maps->dicts, smtp_sasl_maps->ndict, key,
	    0, val);
}

/* The credentials for this session, by Postfix's key order. */
static int
smtp_sasl_lookup(SMTP_SESS *sess, const char *sender, VSTRING *val)
{
	const char *at;
	int	 r = 0;

	if (smtp_cf.sasl_sender_dep && sender && *sender) {
		if ((r = smtp_sasl_get(sender, val)) != 0)
			return r;
		if ((at = strrchr(sender, '@')) != NULL &&
		    (r = smtp_sasl_get(at, val)) != 0)
			return r;
	}
	if ((r = smtp_sasl_get(sess->dest, val)) != 0)
		return r;
	return smtp_sasl_get(sess->host, val);
}

/* The server's mechanisms that pass smtp_sasl_mechanism_filter. */
static void
smtp_sasl_filter(const char *offered, VSTRING *out)
{
	ARGV	*words = argv_split(offered, " \t");

	vstring_reset(out);
	for (size_t i = 0; i < words->argc; i++) {
		int	 keep = smtp_cf.sasl_filter->argc == 0;

		for (size_t k = 0; !keep && k < smtp_cf.sasl_filter->argc; k++)
			keep = strcasecmp(words->argv[i], smtp_cf.sasl_filter->argv[k]) == 0;
		if (!keep)
			continue;
		if (vstring_len(out))
			vstring_addch(out, ' ');
		vstring_strcat(out, words->argv[i]);
	}
	argv_free(words);
}

static int
smtp_sasl_local_fail(SMTP_SESS *sess, VSTRING *why, char *dsn, const char *reason)
{
	vstring_sprintf(why, "SASL authentication failed: cannot authenticate to "
	    "server %s: %s", vstring_str(sess->namaddr), reason);
	strcpy(dsn, "4.7.0");
	return -1;
}

/* The AUTH exchange proper, with a client session. */
static int
smtp_sasl_exchange(SMTP_SESS *sess, XSASL_CLIENT *xc, const char *mechs,
    VSTRING *why, char *dsn)
{
	VSTRING	*buf = vstring_alloc(100), *err = vstring_alloc(100);
	const char *mech = NULL;
	int	 has_init = 0, r = -1, rounds = 0;

	if (xc->first(xc, mechs, &mech, buf, &has_init, err) != XSASL_AUTH_MORE) {
		r = smtp_sasl_local_fail(sess, why, dsn, vstring_str(err));
		goto out;
	}
	sess->no_echo = 1;
	if ((has_init ? smtp_cmd(sess, smtp_cf.tmo_helo, "AUTH %s %s", mech,
	    vstring_str(buf)) : smtp_cmd(sess, smtp_cf.tmo_helo, "AUTH %s", mech)) < 0)
		goto lost;
	while (smtp_resp(sess, smtp_cf.tmo_helo) == 334 && rounds++ < 20) {
		if (xc->next(xc, sess->resp.lines->argc ? sess->resp.lines->argv[0] : "",
		    buf, err) != XSASL_AUTH_MORE) {
			(void)smtp_cmd(sess, smtp_cf.tmo_helo, "*");
			(void)smtp_resp(sess, smtp_cf.tmo_helo);
			r = smtp_sasl_local_fail(sess, why, dsn, vstring_str(err));
			goto out;
		}
		if (smtp_cmd(sess, smtp_cf.tmo_helo, "%s", vstring_str(buf)) < 0)
			goto lost;
	}
	if (sess->resp.code / 100 == 2) {
		r = 0;
		goto out;
	}
	goto failed;
lost:
	sess->resp.code = 0;
	vstring_strcpy(sess->resp.text, "lost connection");
failed:
	if (sess->resp.code == 0) {
		smtp_sess_say(sess, why, "AUTH");
		strcpy(dsn, "4.4.2");
	} else {
		vstring_sprintf(why, "SASL authentication failed; server %s said: %s",
		    vstring_str(sess->namaddr), vstring_str(sess->resp.text));
		snprintf(dsn, 16, "%s", sess->resp.dsn);
		if (dsn[0] != '4' && dsn[0] != '5')	/* 334 after too many rounds */
			strcpy(dsn, "4.7.0");
		if (dsn[0] == '5' && smtp_cf.sasl_soft_bounce)
			dsn[0] = '4';
	}
out:
	sess->no_echo = 0;
	memset(vstring_str(buf), 0, vstring_len(buf));
	vstring_free(buf);
	vstring_free(err);
	return r;
}

int
smtp_sasl_auth(SMTP_SESS *sess, const char *sender, VSTRING *why, char *dsn)
{
	XSASL_CLIENT_ARGS a;
	XSASL_CLIENT *xc;
	VSTRING	*cred, *mechs, *err;
	char	*pass, saddr[140];
	int	 r;

	if (!smtp_cf.sasl_enable || sess->sasl_mechs == NULL ||
	    vstring_len(sess->sasl_mechs) == 0)
		return 0;
	cred = vstring_alloc(100);
	if ((r = smtp_sasl_lookup(sess, sender, cred)) <= 0) {
		vstring_free(cred);
		if (r < 0)
			return smtp_sasl_local_fail(sess, why, dsn,
			    "smtp_sasl_password_maps lookup error");
		return 0;			/* no credentials: go on without */
	}
	mechs = vstring_alloc(100);
	smtp_sasl_filter(vstring_str(sess->sasl_mechs), mechs);
	if ((pass = strchr(vstring_str(cred), ':')) != NULL)
		*pass++ = 0;
	memset(&a, 0, sizeof(a));
	snprintf(saddr, sizeof(saddr), "%s;%d", sess->addr, sess->port);
	a.service = sess->lmtp ? "lmtp" : "smtp";
	a.server_name = sess->host;
	a.server_addr = sess->port ? saddr : "";
	a.client_addr = "";
	a.user = vstring_str(cred);
	a.password = pass ? pass : "";
	a.sec = sess->tls ? smtp_cf.sasl_tls_sec : smtp_cf.sasl_sec;
	err = vstring_alloc(100);
	if (vstring_len(mechs) == 0)
		r = smtp_sasl_local_fail(sess, why, dsn, "no mechanism available");
	else if ((xc = xsasl_client_create(smtp_cf.sasl_type, &a, err)) == NULL)
		r = smtp_sasl_local_fail(sess, why, dsn, vstring_str(err));
	else {
		r = smtp_sasl_exchange(sess, xc, vstring_str(mechs), why, dsn);
		xc->free(xc);
	}
	memset(vstring_str(cred), 0, vstring_len(cred) + (pass ? strlen(pass) + 1 : 0));
	vstring_free(cred);
	vstring_free(mechs);
	vstring_free(err);
	return r;
}
