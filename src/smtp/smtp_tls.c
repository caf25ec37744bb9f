/*
 * NAME
 *	smtp_tls - STARTTLS (RFC 3207) and SMTPS for the smtp/lmtp client
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	void smtp_tls_conf(void);
 *	int  smtp_tls_wrap(SMTP_SESS *sess, VSTRING *why, char *dsn);
 *	int  smtp_tls_starttls(SMTP_SESS *sess, VSTRING *why, char *dsn);
 *	void smtp_tls_close(SMTP_SESS *sess);
 * DESCRIPTION
 *	smtp_tls_conf() reads smtp_tls_security_level (lmtp_ in LMTP mode):
 *	none, may, encrypt, fingerprint, dane, dane-only, verify or secure;
 *	when
 *	it is empty, smtp_enforce_tls and smtp_use_tls decide as in Postfix.
 *	It makes the client context from the certificate, CA, protocol and
 *	cipher parameters (the mandatory_ variants at encrypt and above).
 *	Each session then takes its own level, context, SNI name and match
 *	list from smtp_tls_policy(3) (smtp_tls_policy_maps).
 *
 *	smtp_tls_wrap() starts TLS right after connecting when
 *	smtp_tls_wrappermode is set (SMTPS, port 465).
 *
 *	smtp_tls_starttls() runs after EHLO. When the server offers STARTTLS
 *	and the level is not none, it sends STARTTLS, makes the handshake
 *	within smtp_starttls_timeout and sends EHLO again. Without the offer,
 *	or when STARTTLS is refused, "may" goes on in plaintext and encrypt
 *	and above fail the session. At verify and secure the certificate
 *	must chain to smtp_tls_CAfile/CApath and name the server host.
 *	"Trusted/Untrusted/Verified/Anonymous TLS connection established to
 *	host[addr]:port: ..." is logged as Postfix does.
 *
 *	smtp_tls_close() ends TLS on the session (close_notify when sane).
 * DIAGNOSTICS
 *	smtp_tls_wrap() and smtp_tls_starttls() return 0 on success, -1
 *	with why and dsn set when the session is unusable, and
 *	SMTP_TLS_RETRY when a handshake failed at level "may": the caller
 *	connects again to the same server and delivers without TLS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtp.h"
#include "tls.h"

#define T_STR(n)	conf_str(smtp_pname(n))
#define T_BOOL(n)	conf_bool(smtp_pname(n))

static int
smtp_tls_level(void)
{
	const char *level = T_STR("smtp_tls_security_level");
	int	 code;

	if (*level == 0)
		return T_BOOL("smtp_enforce_tls") ? SMTP_TLS_ENCRYPT :
		    T_BOOL("smtp_use_tls") ? SMTP_TLS_MAY : SMTP_TLS_NONE;
	if ((code = smtp_tls_policy_level(level)) >= 0)
		return code;
	msg_warn("smtp_tls_security_level \"%s\" is not supported: using "
	    "\"encrypt\"", level);
	return SMTP_TLS_ENCRYPT;
}

static void
smtp_tls_conf_names(void)
{
	snprintf(smtp_cf.tls_verify_match_name, sizeof(smtp_cf.tls_verify_match_name),
	    "%s", smtp_pname("smtp_tls_verify_cert_match"));
	snprintf(smtp_cf.tls_secure_match_name, sizeof(smtp_cf.tls_secure_match_name),
	    "%s", smtp_pname("smtp_tls_secure_cert_match"));
	snprintf(smtp_cf.tls_fp_match_name, sizeof(smtp_cf.tls_fp_match_name),
	    "%s", smtp_pname("smtp_tls_fingerprint_cert_match"));
	smtp_cf.tls_policy_maps = T_STR("smtp_tls_policy_maps");
	smtp_cf.tls_servername = T_STR("smtp_tls_servername");
	smtp_cf.tls_fp_digest = T_STR("smtp_tls_fingerprint_digest");
	smtp_cf.tls_protocols = T_STR("smtp_tls_protocols");
	smtp_cf.tls_mand_protocols = T_STR("smtp_tls_mandatory_protocols");
	smtp_cf.tls_ciphers = T_STR("smtp_tls_ciphers");
	smtp_cf.tls_mand_ciphers = T_STR("smtp_tls_mandatory_ciphers");
}

void
smtp_tls_conf(void)
{
	TLS_CTX_ARGS a;
	VSTRING	*why;
	int	 mand;

	smtp_cf.tls_level = smtp_tls_level();
	smtp_cf.tls_wrapper = T_BOOL("smtp_tls_wrappermode");
	smtp_cf.tls_timeout = (int)conf_time(smtp_pname("smtp_starttls_timeout"));
	smtp_cf.tls_note_offer = T_BOOL("smtp_tls_note_starttls_offer");
	smtp_cf.tls_loglevel = atoi(T_STR("smtp_tls_loglevel"));
	smtp_tls_conf_names();
	smtp_cf.dnssec = strcasecmp(T_STR("smtp_dns_support_level"), "dnssec") == 0;
	mand = smtp_cf.tls_level >= SMTP_TLS_ENCRYPT;
	memset(&a, 0, sizeof(a));
	a.cert_file = T_STR("smtp_tls_cert_file");
	a.key_file = T_STR("smtp_tls_key_file");
	a.chain_files = conf_list(smtp_pname("smtp_tls_chain_files"));
	a.CAfile = T_STR("smtp_tls_CAfile");
	a.CApath = T_STR("smtp_tls_CApath");
	a.protocols = mand ? smtp_cf.tls_mand_protocols : smtp_cf.tls_protocols;
	a.ciphers = mand ? smtp_cf.tls_mand_ciphers : smtp_cf.tls_ciphers;
	/* Postfix resumes sessions only with a cache configured; ours is in memory. */
	if (*T_STR("smtp_tls_session_cache_database"))
		smtp_cf.tls_scache_timeout = (int)conf_time(
		    smtp_pname("smtp_tls_session_cache_timeout"));
	a.session_timeout = smtp_cf.tls_scache_timeout;
	/* Policies may want TLS where main.cf does not: keep the settings. */
	smtp_tls_policy_conf(&a);		/* smtp_tls_policy.c */
	if (smtp_cf.tls_level == SMTP_TLS_NONE && !smtp_cf.tls_wrapper)
		return;
	why = vstring_alloc(100);
	if ((smtp_cf.tls_ctx = tls_ctx_create(&a, why)) == NULL)
		msg_warn("cannot initialize TLS: %s", vstring_str(why));
	vstring_free(why);
}

/*
 * Client sessions to resume, per nexthop, address and context, kept in
 * this process (which serves many deliveries in turn): a few entries,
 * the oldest replaced first.
 */
#define SMTP_TLS_SCACHE	16

static struct {
	char	*key;
	void	*session;
	time_t	 when;
} smtp_tls_scache[SMTP_TLS_SCACHE];

static void
smtp_tls_scache_key(SMTP_SESS *sess, char *buf, size_t len)
{
	snprintf(buf, len, "%s|%s|%d|%p", sess->dest, sess->addr, sess->port,
	    (void *)sess->tls_ctx);
}

static void *
smtp_tls_scache_find(SMTP_SESS *sess)
{
	char	 key[512];

	if (smtp_cf.tls_scache_timeout <= 0)
		return NULL;
	smtp_tls_scache_key(sess, key, sizeof(key));
	for (int i = 0; i < SMTP_TLS_SCACHE; i++)
		if (smtp_tls_scache[i].key && strcmp(smtp_tls_scache[i].key, key) == 0
		    && time(NULL) - smtp_tls_scache[i].when < smtp_cf.tls_scache_timeout)
			return smtp_tls_scache[i].session;
	return NULL;
}

static void
smtp_tls_scache_save(SMTP_SESS *sess)
{
	char	 key[512];
	void	*session;
	int	 i, slot = 0;

	if (smtp_cf.tls_scache_timeout <= 0 || sess->broken ||
	    (session = tls_session_get(sess->tls)) == NULL)
		return;
	smtp_tls_scache_key(sess, key, sizeof(key));
	for (i = 0; i < SMTP_TLS_SCACHE; i++) {
		if (smtp_tls_scache[i].key && strcmp(smtp_tls_scache[i].key, key) == 0)
			break;
		if (smtp_tls_scache[i].when < smtp_tls_scache[slot].when)
			slot = i;
	}
	if (i < SMTP_TLS_SCACHE)
		slot = i;
	myfree(smtp_tls_scache[slot].key);
	tls_session_free(smtp_tls_scache[slot].session);
	smtp_tls_scache[slot].key = mystrdup(key);
	smtp_tls_scache[slot].session = session;
	smtp_tls_scache[slot].when = time(NULL);
}

/* Handshake, log, check the certificate; 0, -1 or SMTP_TLS_RETRY. */
static int
smtp_tls_start(SMTP_SESS *sess, VSTRING *why, char *dsn)
{
	const TLS_INFO *info;
	VSTRING	*err;
	const char *sni;
	char	*tmp;
	int	 matched, bad;

	if (sess->tls_ctx == NULL) {
		vstring_sprintf(why, "TLS is required, but our TLS engine is "
		    "unavailable");
		strcpy(dsn, "4.7.5");
		return -1;
	}
	err = vstring_alloc(100);
	sni = smtp_tls_policy_sni(sess, &tmp);
	if (sess->tls_ndane > 0)		/* RFC 7672: SNI is the host name */
		sess->tls = tls_client_dane(sess->stream, sess->tls_ctx, sess->host,
		    sess->tls_dane, sess->tls_ndane, smtp_tls_scache_find(sess),
		    smtp_cf.tls_timeout, err);
	else
		sess->tls = tls_client_resume(sess->stream, sess->tls_ctx, sni,
		    smtp_tls_scache_find(sess), smtp_cf.tls_timeout, err);
	myfree(tmp);
	if (sess->tls == NULL) {
		msg_info("SSL_connect error to %s: %s", vstring_str(sess->relay),
		    vstring_str(err));
		vstring_sprintf(why, "Cannot start TLS: handshake failure with "
		    "%s: %s", vstring_str(sess->namaddr), vstring_str(err));
		strcpy(dsn, "4.7.5");
		vstring_free(err);
		sess->broken = 1;
		return sess->tls_level == SMTP_TLS_MAY ? SMTP_TLS_RETRY : -1;
	}
	vstring_free(err);
	info = tls_info(sess->tls);
	bad = smtp_tls_policy_check(sess, &matched);	/* smtp_tls_policy.c */
	if (info->reused && msg_verbose)
		msg_info("%s: reusing TLS session", vstring_str(sess->relay));
	msg_info("%s TLS connection established to %s: %s with cipher %s "
	    "(%d/%d bits)", !info->peer_cert ? "Anonymous" : matched ?
	    "Verified" : info->trusted ? "Trusted" : "Untrusted",
	    vstring_str(sess->relay), info->protocol, info->cipher, info->bits,
	    info->alg_bits);
	if (bad) {
		vstring_sprintf(why, "Server certificate not %s (host %s)",
		    info->trusted || sess->tls_level == SMTP_TLS_FINGERPRINT ?
		    "verified" : "trusted", vstring_str(sess->namaddr));
		strcpy(dsn, "4.7.5");
		return -1;
	}
	return 0;
}

int
smtp_tls_wrap(SMTP_SESS *sess, VSTRING *why, char *dsn)
{
	if (!smtp_cf.tls_wrapper)
		return 0;
	return smtp_tls_start(sess, why, dsn) == 0 ? 0 : -1;
}

/* Did the last EHLO reply offer STARTTLS (minus discarded keywords)? */
#define smtp_tls_offered(sess)	(((sess)->features & SMTP_FEAT_STARTTLS) != 0)

int
smtp_tls_starttls(SMTP_SESS *sess, VSTRING *why, char *dsn)
{
	int	 offered, r;

	if (sess->tls || smtp_cf.tls_wrapper)
		return 0;
	offered = smtp_tls_offered(sess);
	if (sess->tls_level == SMTP_TLS_NONE || sess->no_tls) {
		if (offered && smtp_cf.tls_note_offer)
			msg_info("Host offered STARTTLS: [%s]", sess->host);
		return 0;
	}
	if (!offered) {
		if (sess->tls_level == SMTP_TLS_MAY)
			return 0;
		vstring_sprintf(why, "TLS is required, but was not offered by "
		    "host %s", vstring_str(sess->namaddr));
		strcpy(dsn, "4.7.4");
		return -1;
	}
	if (smtp_cmd(sess, smtp_cf.tmo_helo, "STARTTLS") < 0 ||
	    smtp_resp(sess, smtp_cf.tmo_helo) / 100 != 2) {
		if (sess->resp.code / 100 == 4 || sess->resp.code / 100 == 5) {
			if (sess->tls_level == SMTP_TLS_MAY)
				return 0;
		}
		smtp_sess_say(sess, why, "STARTTLS");
		strcpy(dsn, sess->resp.code ? "4.7.5" : "4.4.2");
		return -1;
	}
	/* A server that talks after 220 is broken or an attacker. */
	if (vstream_bufstat(sess->stream) != 0) {
		vstring_sprintf(why, "host %s sent data after the STARTTLS "
		    "reply", vstring_str(sess->namaddr));
		strcpy(dsn, "4.7.5");
		sess->broken = 1;
		return -1;
	}
	if ((r = smtp_tls_start(sess, why, dsn)) != 0)
		return r;
	/* RFC 3207 4.2: forget what the plaintext EHLO said; ask again. */
	sess->features = 0;
	sess->xforward = 0;
	sess->size_limit = 0;
	if (sess->sasl_mechs)
		vstring_reset(sess->sasl_mechs);
	return smtp_helo(sess, why, dsn);
}

void
smtp_tls_close(SMTP_SESS *sess)
{
	if (sess->tls == NULL)
		return;
	smtp_tls_scache_save(sess);
	tls_stop(sess->stream, sess->tls, !sess->broken);
	sess->tls = NULL;
}
