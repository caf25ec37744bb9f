/*
 * NAME
 *	smtp_tls_policy - per-destination TLS policy (smtp_tls_policy_maps)
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	void smtp_tls_policy_conf(const TLS_CTX_ARGS *base);
 *	int  smtp_tls_policy(SMTP_SESS *sess, VSTRING *why, char *dsn);
 *	int  smtp_tls_policy_level(const char *name);
 *	int  smtp_tls_policy_check(SMTP_SESS *sess, int *matched);
 *	void smtp_tls_policy_free(SMTP_SESS *sess);
 * DESCRIPTION
 *	smtp_tls_policy_conf() keeps the main.cf TLS settings (certificate,
 *	CA, protocols, ciphers) that every policy starts from, and opens
 *	smtp_tls_policy_maps (lmtp_tls_policy_maps in LMTP mode).
 *
 *	smtp_tls_policy_level() is the SMTP_TLS_* value of a level name
 *	(none, may, encrypt, verify, secure, fingerprint, dane, dane-only;
 *	case does not matter), -1 for another word: the one reading of a
 *	level, in a policy entry and in smtp_tls_security_level.
 *
 *	smtp_tls_policy() gives a new session its policy: the table is
 *	looked up with the nexthop as the request names it ("[host]:port",
 *	"example.com"), then, for a domain, with its parent domains
 *	(".example.com", ".com"), as Postfix does; without an entry the
 *	main.cf settings apply (smtp_tls_security_level and friends). An
 *	entry is "level [name=value ...]" with level none, may, encrypt,
 *	fingerprint, verify or secure and the attributes match= (names
 *	separated by ":" for verify and secure: hostname, nexthop,
 *	dot-nexthop or a literal name, ".domain" for its subdomains;
 *	fingerprints separated by "|" for fingerprint), protocols= and
 *	ciphers= (colons for commas; they pick another TLS context, made
 *	once per process and kept), and servername= (SNI: hostname, nexthop
 *	or a literal name). Other attributes (exclude=, tafile=,
 *	connection_reuse=) are ignored with a warning.
 *
 *	dane and dane-only (RFC 7672) need smtp_dns_support_level = dnssec
 *	(else a warning, and may or encrypt). The server's TLSA records
 *	("_port._tcp.host") are looked up; when the resolver vouches for
 *	them (AD), the session must match one of them (OpenSSL's DANE:
 *	DANE-EE without name checks, DANE-TA with them, SNI = host name).
 *	Without validated records dane is may and dane-only defers (4.7.5).
 *	Known shortcut: the MX lookup itself is not required to be secure.
 *
 *	The SNI name comes from servername= or smtp_tls_servername: empty
 *	sends none (Postfix's default), "hostname" the server host name,
 *	"nexthop" the nexthop domain, anything else itself.
 *
 *	smtp_tls_policy_check() checks the peer after the handshake: verify
 *	and secure need a trusted chain and a certificate that names one of
 *	the match list (smtp_tls_verify_cert_match, default "hostname";
 *	smtp_tls_secure_cert_match, default "nexthop, dot-nexthop");
 *	fingerprint needs the certificate's or its public key's digest
 *	(smtp_tls_fingerprint_digest) in the list
 *	(smtp_tls_fingerprint_cert_match); dane needs a TLSA match.
 *	*matched says whether the
 *	certificate matched (for the "Verified" in the log).
 * DIAGNOSTICS
 *	smtp_tls_policy() returns -1 with why and dsn (4.3.0) when the table
 *	lookup fails or the entry is malformed (an unknown level): the mail
 *	is deferred, never sent with less protection than asked for.
 *	smtp_tls_policy_check() returns 0, or -1 when the peer does not
 *	pass.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr_parse.h"
#include "dict.h"
#include "dns.h"
#include "mail_addr_find.h"
#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "sock_addr.h"
#include "smtp.h"
#include "tls.h"

static TLS_CTX_ARGS smtp_tls_base;
static MAIL_ADDR_MAPS *smtp_tls_maps;	/* smtp_tls_policy_maps */

/* Contexts made for policies that name their own protocols or ciphers. */
typedef struct SMTP_TLS_CTXS {
	char	*key;
	TLS_CTX	*ctx;
	struct SMTP_TLS_CTXS *next;
} SMTP_TLS_CTXS;

static SMTP_TLS_CTXS *smtp_tls_ctxs;

void
smtp_tls_policy_conf(const TLS_CTX_ARGS *base)
{
	smtp_tls_base = *base;
	smtp_tls_maps = mail_addr_maps_open(smtp_pname("smtp_tls_policy_maps"),
	    smtp_cf.tls_policy_maps);
}

/* A context for these protocols and ciphers; null with a warning. */
static TLS_CTX *
smtp_tls_policy_ctx(const char *protocols, const char *ciphers)
{
	TLS_CTX_ARGS a = smtp_tls_base;
	SMTP_TLS_CTXS *c;
	VSTRING	*key = vstring_alloc(100), *why;

	vstring_sprintf(key, "%s|%s", protocols, ciphers);
	for (c = smtp_tls_ctxs; c; c = c->next)
		if (strcmp(c->key, vstring_str(key)) == 0) {
			vstring_free(key);
			return c->ctx;
		}
	a.protocols = protocols;
	a.ciphers = ciphers;
	why = vstring_alloc(100);
	c = mycalloc(1, sizeof(*c));
	if ((c->ctx = tls_ctx_create(&a, why)) == NULL)
		msg_warn("TLS policy protocols=%s ciphers=%s: %s", protocols,
		    ciphers, vstring_str(why));
	c->key = vstring_export(key);
	c->next = smtp_tls_ctxs;
	smtp_tls_ctxs = c;
	vstring_free(why);
	return c->ctx;
}

/* The nexthop domain: "[host]:port" -> "host", "example.com:25" -> ... */
static char *
smtp_tls_nexthop_domain(const char *dest)
{
	VSTRING	*host = vstring_alloc(64), *port = vstring_alloc(8);
	char	*name;

	if (strncasecmp(dest, "inet:", 5) == 0)
		dest += 5;
	if (sock_addr_split(dest, host, port, NULL, NULL) < 0)
		vstring_strcpy(host, dest);
	name = mystrdup(vstring_str(host));
	vstring_free(host);
	vstring_free(port);
	return name;
}

/* Look the policy up; 1 found (in val), 0 not, -1 error. */
static int
smtp_tls_policy_lookup(const char *dest, VSTRING *val)
{
	if (smtp_tls_maps == NULL || smtp_tls_maps->ndict == 0)
		return 0;
	/* "[host]:port" and "host:port" are looked up as they are. */
	return dict_find_list(smtp_tls_maps->dicts, smtp_tls_maps->ndict, dest,
	    (*dest == '[' || strchr(dest, ':') != NULL) ? 0 : DICT_FIND_DOMAIN,
	    val);
}

int
smtp_tls_policy_level(const char *name)
{
	static const char *names[] = {"none", "may", "encrypt", "verify",
	    "secure", "fingerprint"};

	for (int i = 0; i < 6; i++)
		if (strcasecmp(name, names[i]) == 0)
			return i;
	if (strcasecmp(name, "dane") == 0)
		return SMTP_TLS_DANE;
	if (strcasecmp(name, "dane-only") == 0)
		return SMTP_TLS_DANE_ONLY;
	return -1;
}

/* Colon-separated policy values become our comma lists. */
static char *
smtp_tls_policy_list(const char *val, int sep)
{
	char	*copy = mystrdup(val);

	for (char *p = copy; *p; p++)
		if (*p == sep)
			*p = ',';
	return copy;
}

static int smtp_tls_policy_find(SMTP_SESS *, VSTRING *, char *);

static void
smtp_tls_policy_defaults(SMTP_SESS *sess)
{
	sess->tls_level = smtp_cf.tls_level;
	sess->tls_ctx = smtp_cf.tls_ctx;
	sess->tls_match = conf_list(smtp_cf.tls_level == SMTP_TLS_SECURE ?
	    smtp_cf.tls_secure_match_name : smtp_cf.tls_level ==
	    SMTP_TLS_FINGERPRINT ? smtp_cf.tls_fp_match_name :
	    smtp_cf.tls_verify_match_name);
	sess->tls_sni = mystrdup(smtp_cf.tls_servername);
}

/* Apply one "name=value" policy attribute. */
static void
smtp_tls_policy_attr(SMTP_SESS *sess, const char *attr, char **protocols,
    char **ciphers)
{
	const char *val = strchr(attr, '=');
	size_t	 n = val ? (size_t)(val - attr) : strlen(attr);

	if (val == NULL) {
		msg_warn("TLS policy for %s: ignoring \"%s\"", sess->dest, attr);
		return;
	}
	val++;
	if (n == 5 && strncasecmp(attr, "match", 5) == 0) {
		char	*list = smtp_tls_policy_list(val,
		    sess->tls_level == SMTP_TLS_FINGERPRINT ? '|' : ':');

		argv_free(sess->tls_match);
		sess->tls_match = argv_split(list, ", \t");
		myfree(list);
	} else if (n == 9 && strncasecmp(attr, "protocols", 9) == 0) {
		myfree(*protocols);
		*protocols = smtp_tls_policy_list(val, ':');
	} else if (n == 7 && strncasecmp(attr, "ciphers", 7) == 0) {
		myfree(*ciphers);
		*ciphers = mystrdup(val);
	} else if (n == 10 && strncasecmp(attr, "servername", 10) == 0) {
		myfree(sess->tls_sni);
		sess->tls_sni = mystrdup(val);
	} else
		msg_warn("TLS policy for %s: attribute \"%.*s\" is not supported: "
		    "ignored", sess->dest, (int)n, attr);
}

/*
 * dane, dane-only: the TLSA records of the server, when DNSSEC vouches
 * for them, make the session's level SMTP_TLS_DANE; without them dane
 * is may and dane-only fails. 0, or -1 with why and dsn.
 */
static int
smtp_tls_policy_dane(SMTP_SESS *sess, VSTRING *why, char *dsn)
{
	int	 only = sess->tls_level == SMTP_TLS_DANE_ONLY, status, n = 0;
	VSTRING	*name, *err;
	DNS_RR	*list = NULL, *rr;
	unsigned u, s, m;
	int	 off;

	if (!smtp_cf.dnssec) {
		msg_warn("TLS level \"%s\" needs smtp_dns_support_level = dnssec: "
		    "using \"%s\"", only ? "dane-only" : "dane", only ? "encrypt" : "may");
		sess->tls_level = only ? SMTP_TLS_ENCRYPT : SMTP_TLS_MAY;
		return 0;
	}
	name = vstring_alloc(100);
	err = vstring_alloc(100);
	vstring_sprintf(name, "_%d._tcp.%s", sess->port, sess->host);
	status = sess->port && valid_hostname(sess->host, 0) &&
	    !valid_hostliteral(sess->host) ? dns_lookup(vstring_str(name),
	    DNS_T_TLSA, &list, err) : DNS_NODATA;
	for (rr = list; rr; rr = rr->next)
		n += rr->secure;
	if (status == DNS_OK && n > 0) {
		sess->tls_dane = mycalloc(n, sizeof(TLS_DANE_RR));
		for (rr = list; rr; rr = rr->next) {
			TLS_DANE_RR *d = &sess->tls_dane[sess->tls_ndane];
			VSTRING	*bin;

			if (!rr->secure || sscanf(rr->data, "%u %u %u %n", &u, &s, &m,
			    &off) != 3)
				continue;
			bin = vstring_alloc(64);
			for (const char *h = rr->data + off; h[0] && h[1]; h += 2) {
				unsigned b;

				if (sscanf(h, "%2x", &b) != 1)
					break;
				vstring_addch(bin, (int)b);
			}
			d->usage = (int)u;
			d->selector = (int)s;
			d->mtype = (int)m;
			d->len = vstring_len(bin);
			d->data = (unsigned char *)vstring_export(bin);
			sess->tls_ndane++;
		}
	}
	dns_rr_free(list);
	vstring_free(name);
	if (sess->tls_ndane > 0) {
		sess->tls_level = SMTP_TLS_DANE;
		vstring_free(err);
		return 0;
	}
	if (status == DNS_RETRY || only) {
		vstring_sprintf(why, "%s %s", status == DNS_RETRY ?
		    "TLSA lookup error for" : "no DNSSEC-validated TLSA records for",
		    sess->host);
		if (status == DNS_RETRY)
			vstring_sprintf_append(why, ": %s", vstring_str(err));
		strcpy(dsn, "4.7.5");
		vstring_free(err);
		return -1;
	}
	vstring_free(err);
	sess->tls_level = SMTP_TLS_MAY;
	return 0;
}

int
smtp_tls_policy(SMTP_SESS *sess, VSTRING *why, char *dsn)
{
	int	 r = smtp_tls_policy_find(sess, why, dsn);

	if (r >= 0 && (sess->tls_level == SMTP_TLS_DANE ||
	    sess->tls_level == SMTP_TLS_DANE_ONLY) &&
	    smtp_tls_policy_dane(sess, why, dsn) < 0)
		return -1;
	return r;
}

static int
smtp_tls_policy_find(SMTP_SESS *sess, VSTRING *why, char *dsn)
{
	VSTRING	*val = vstring_alloc(100);
	char	*protocols = NULL, *ciphers = NULL;
	ARGV	*words;
	int	 r, level, mand;

	smtp_tls_policy_defaults(sess);
	if ((r = smtp_tls_policy_lookup(sess->dest, val)) <= 0) {
		vstring_free(val);
		if (r < 0) {
			vstring_sprintf(why, "TLS policy lookup for %s: table "
			    "lookup error", sess->dest);
			strcpy(dsn, "4.3.0");
		}
		return r;
	}
	words = argv_split(vstring_str(val), " \t");
	if (words->argc == 0 || (level = smtp_tls_policy_level(words->argv[0])) < 0) {
		msg_warn("TLS policy for %s: invalid security level \"%s\"",
		    sess->dest, words->argc ? words->argv[0] : "");
		vstring_sprintf(why, "TLS policy for %s: invalid security level",
		    sess->dest);
		strcpy(dsn, "4.3.0");
		argv_free(words);
		vstring_free(val);
		return -1;
	}
	sess->tls_level = level;
	argv_free(sess->tls_match);
	sess->tls_match = conf_list(level == SMTP_TLS_SECURE ?
	    smtp_cf.tls_secure_match_name : level == SMTP_TLS_FINGERPRINT ?
	    smtp_cf.tls_fp_match_name : smtp_cf.tls_verify_match_name);
	for (size_t i = 1; i < words->argc; i++)
		smtp_tls_policy_attr(sess, words->argv[i], &protocols, &ciphers);
	mand = level >= SMTP_TLS_ENCRYPT;
	if (protocols || ciphers || (mand != (smtp_cf.tls_level >= SMTP_TLS_ENCRYPT))
	    || smtp_cf.tls_ctx == NULL)
		sess->tls_ctx = level == SMTP_TLS_NONE ? NULL : smtp_tls_policy_ctx(
		    protocols ? protocols : mand ? smtp_cf.tls_mand_protocols :
		    smtp_cf.tls_protocols, ciphers ? ciphers : mand ?
		    smtp_cf.tls_mand_ciphers : smtp_cf.tls_ciphers);
	myfree(protocols);
	myfree(ciphers);
	argv_free(words);
	vstring_free(val);
	return 1;
}

/* The SNI name for this session, or null. */
const char *
smtp_tls_policy_sni(SMTP_SESS *sess, char **tmp)
{
	*tmp = NULL;
	if (sess->tls_sni == NULL || *sess->tls_sni == 0)
		return NULL;
	if (strcasecmp(sess->tls_sni, "hostname") == 0)
		return sess->host;
	if (strcasecmp(sess->tls_sni, "nexthop") == 0)
		return *tmp = smtp_tls_nexthop_domain(sess->dest);
	return sess->tls_sni;
}

static int
smtp_tls_policy_names(SMTP_SESS *sess)
{
	char	*domain = smtp_tls_nexthop_domain(sess->dest), *dot;
	const char *m;
	int	 ok = 0;

	for (size_t i = 0; !ok && i < sess->tls_match->argc; i++) {
		m = sess->tls_match->argv[i];
		if (strcasecmp(m, "hostname") == 0)
			ok = tls_peer_match(sess->tls, sess->host);
		else if (strcasecmp(m, "nexthop") == 0)
			ok = tls_peer_match(sess->tls, domain);
		else if (strcasecmp(m, "dot-nexthop") == 0) {
			dot = mymalloc(strlen(domain) + 2);
			sprintf(dot, ".%s", domain);
			ok = tls_peer_match(sess->tls, dot);
			myfree(dot);
		} else
			ok = tls_peer_match(sess->tls, m);
	}
	myfree(domain);
	return ok;
}

static int
smtp_tls_policy_fp(SMTP_SESS *sess)
{
	VSTRING	*cert = vstring_alloc(100), *pkey = vstring_alloc(100);
	int	 ok = 0;

	if (tls_peer_fingerprint(sess->tls, smtp_cf.tls_fp_digest, cert, pkey) == 0)
		for (size_t i = 0; !ok && i < sess->tls_match->argc; i++)
			ok = strcasecmp(sess->tls_match->argv[i], vstring_str(cert)) == 0 ||
			    strcasecmp(sess->tls_match->argv[i], vstring_str(pkey)) == 0;
	else
		msg_warn("cannot compute the %s fingerprint of %s's certificate",
		    smtp_cf.tls_fp_digest, vstring_str(sess->namaddr));
	vstring_free(cert);
	vstring_free(pkey);
	return ok;
}

int
smtp_tls_policy_check(SMTP_SESS *sess, int *matched)
{
	const TLS_INFO *info = tls_info(sess->tls);

	*matched = 0;
	if (!info->peer_cert)
		return sess->tls_level >= SMTP_TLS_VERIFY ? -1 : 0;
	if (sess->tls_level == SMTP_TLS_FINGERPRINT) {
		*matched = smtp_tls_policy_fp(sess);
		return *matched ? 0 : -1;
	}
	if (sess->tls_level == SMTP_TLS_DANE) {
		*matched = info->dane;
		return *matched ? 0 : -1;
	}
	*matched = info->trusted && smtp_tls_policy_names(sess);
	if (sess->tls_level == SMTP_TLS_VERIFY || sess->tls_level == SMTP_TLS_SECURE)
		return *matched ? 0 : -1;
	return 0;
}

void
smtp_tls_policy_free(SMTP_SESS *sess)
{
	if (sess->tls_match)
		argv_free(sess->tls_match);
	sess->tls_match = NULL;
	myfree(sess->tls_sni);
	sess->tls_sni = NULL;
	for (int i = 0; i < sess->tls_ndane; i++)
		myfree((void *)sess->tls_dane[i].data);
	myfree(sess->tls_dane);
	sess->tls_dane = NULL;
	sess->tls_ndane = 0;
}
