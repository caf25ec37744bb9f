/*
 * NAME
 *	smtpd_tls - STARTTLS (RFC 3207) and SMTPS for the SMTP server
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	void smtpd_tls_conf(SMTPD_CONF *conf);
 *	int  smtpd_tls_offer(SMTPD_STATE *state);
 *	int  smtpd_tls_cmd(SMTPD_STATE *state, const char *args);
 *	int  smtpd_tls_wrapper(SMTPD_STATE *state);
 *	int  smtpd_tls_required(SMTPD_STATE *state);
 *	void smtpd_tls_received(SMTPD_STATE *state, VSTRING *out);
 *	void smtpd_tls_end(SMTPD_STATE *state);
 * DESCRIPTION
 *	smtpd_tls_conf() reads smtpd_tls_security_level (none, may,
 *	encrypt; when empty, smtpd_enforce_tls and smtpd_use_tls decide, as
 *	in Postfix), smtpd_tls_wrappermode and the certificate, CA, protocol
 *	and cipher parameters, and makes the server TLS context. With level
 *	may or encrypt and no usable certificate, TLS is turned off with a
 *	warning (encrypt then refuses all mail: better than plaintext).
 *
 *	Sessions can be resumed (RFC 5077/8446 tickets) for
 *	smtpd_tls_session_cache_timeout seconds (0: never), with any smtpd
 *	process: they share the ticket keys through a file in the queue's
 *	pid/ directory (no tlsmgr). With smtpd_tls_session_cache_database,
 *	clients that refuse tickets resume too, through that table
 *	(smtpd_scache(3)).
 *
 *	With tls_server_sni_maps, the certificates follow the client's SNI
 *	name: the table maps the name (or a parent domain, ".example.com")
 *	to a list of chain files as smtpd_tls_chain_files takes them (key
 *	and certificates in each); no entry means the default certificates,
 *	a failed lookup refuses the handshake.
 *
 *	Client certificates: with smtpd_tls_ask_ccert the server asks the
 *	client for one (naming smtpd_tls_CAfile's authorities), verifies it
 *	against smtpd_tls_CAfile/smtpd_tls_CApath, and lets the handshake
 *	succeed whether it verifies or not: the "established" line says
 *	Trusted or Untrusted, its fingerprint and its public key's
 *	(smtpd_tls_fingerprint_digest) are kept for permit_tls_clientcerts,
 *	check_ccert_access (smtpd_check_tls(3)) and policy servers, and with
 *	smtpd_tls_loglevel >= 1 "name[addr]: subject_CN=..., issuer=...,
 *	fingerprint=..., pkey_fingerprint=..." is logged. With
 *	smtpd_tls_req_ccert (which implies ask, and counts only where TLS is
 *	mandatory, at level encrypt or in wrapper mode, as in Postfix;
 *	otherwise it is ignored with a warning) a
 *	client without a trusted certificate is logged as "NOQUEUE: abort:
 *	TLS from name[addr]: No client certificate presented" (or "Client
 *	certificate not trusted"), answered "421 4.7.1 myhostname Error:
 *	..." and disconnected.
 *
 *	smtpd_tls_offer() tells EHLO whether to advertise STARTTLS: a context
 *	exists and the session is not yet encrypted.
 *
 *	smtpd_tls_cmd() is STARTTLS: "220 2.0.0 Ready to start TLS", the
 *	handshake within smtpd_starttls_timeout, then the SMTP state is
 *	forgotten (RFC 3207 4.2: the client must send EHLO again). Commands
 *	pipelined after STARTTLS are never executed: when input is already
 *	waiting the client gets 554 and is disconnected, and anything sent
 *	before our 220 reaches the TLS engine as garbage (CVE-2011-0411).
 *	A second STARTTLS gets "554 5.5.1 Error: TLS already active".
 *	A failed handshake is logged and ends the session.
 *
 *	smtpd_tls_wrapper() starts TLS before the greeting (SMTPS, port 465).
 *
 *	smtpd_tls_required() replies "530 5.7.0 Must issue a STARTTLS command
 *	first" and returns 1 when the level is encrypt and the session is
 *	still plaintext (MAIL, and the other commands Postfix guards).
 *
 *	smtpd_tls_received() appends the "(using TLSv1.3 with cipher ...)"
 *	comment of the Received: header when smtpd_tls_received_header is set,
 *	and what Postfix says of the client certificate: "(Client CN "cn",
 *	Issuer "cn" (verified OK))" or "(not verified)", "(Client did not
 *	present a certificate)" or "(No client certificate requested)".
 *
 *	smtpd_tls_end() sends close_notify and frees the TLS session and the
 *	certificate fingerprints.
 * DIAGNOSTICS
 *	Configuration problems are warnings; handshake failures are logged
 *	as "SSL_accept error from name[addr]: reason".
 */
#include <sys/random.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "mail_conf.h"
#include "msg.h"
#include "mymalloc.h"
#include "smtpd.h"
#include "tls.h"

/* tls_server_sni_maps: the name, then its parent domains (".example.com"). */
static const char *
smtpd_tls_sni_lookup(const char *name, void *arg, int *err)
{
	MAIL_ADDR_MAPS *maps = arg;
	const char *v;

	if (strlen(name) > 255 || !valid_hostname(name, 0)) {
		msg_info("invalid TLS SNI name \"%.100s\": using the default "
		    "certificate", name);
		return NULL;
	}
	v = dict_get_list_domain(maps->dicts, maps->ndict, name, err);
	if (*err)
		msg_warn("tls_server_sni_maps lookup error for \"%s\"", name);
	return v;
}

/*
 * The session ticket keys every smtpd shares, so that a client resumes
 * with any of them: $queue_directory/pid/smtpd_tls_ticket.key, made anew
 * (random, mode 0600, by rename) when missing, damaged or older than two
 * session lifetimes. 0, or -1 after a warning (no resumption then).
 */
static int
smtpd_tls_ticket_keys(const char *queue_dir, long lifetime, unsigned char *keys)
{
	char	 path[4096], tmp[4200];
	struct stat st;
	ssize_t	 n = -1;
	int	 fd;

	snprintf(path, sizeof(path), "%s/pid/smtpd_tls_ticket.key", queue_dir);
	if (stat(path, &st) == 0 && st.st_size == TLS_TICKET_KEYS_LEN &&
	    time(NULL) - st.st_mtime < 2 * lifetime &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, keys, TLS_TICKET_KEYS_LEN);
		close(fd);
		if (n == TLS_TICKET_KEYS_LEN)
			return 0;
	}
	if (getrandom(keys, TLS_TICKET_KEYS_LEN, 0) != TLS_TICKET_KEYS_LEN) {
		msg_warn("TLS session tickets are off: getrandom: %m");
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
	    write(fd, keys, TLS_TICKET_KEYS_LEN) != TLS_TICKET_KEYS_LEN ||
	    close(fd) < 0 || rename(tmp, path) < 0) {
		msg_warn("TLS session tickets are off: cannot write %s: %m", tmp);
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

static void
smtpd_tls_sni_conf(SMTPD_CONF *conf, const TLS_CTX_ARGS *a)
{
	const char *maps = conf_str("tls_server_sni_maps");
	static TLS_CTX_ARGS base;	/* must outlive the context */

	if (*maps == 0 || conf->tls_ctx == NULL)
		return;
	base = *a;
	base.chain_files = NULL;
	tls_ctx_set_sni(conf->tls_ctx, &base, smtpd_tls_sni_lookup,
	    mail_addr_maps_open("tls_server_sni_maps", maps));
}

/* Client certificates: smtpd_tls_ask_ccert, _req_ccert, relay_clientcerts. */
static void
smtpd_tls_ccert_conf(SMTPD_CONF *conf)
{
	conf->tls_ask_ccert = conf_bool("smtpd_tls_ask_ccert");
	conf->tls_req_ccert = conf_bool("smtpd_tls_req_ccert");
	/* TLS is mandatory at encrypt and in wrapper mode (SMTPS). */
	if (conf->tls_req_ccert && conf->tls_level != SMTPD_TLS_ENCRYPT &&
	    !conf->tls_wrapper) {
		msg_warn("smtpd_tls_req_ccert = yes has no effect unless "
		    "smtpd_tls_security_level = encrypt");
		conf->tls_req_ccert = 0;
	}
	conf->tls_ask_ccert |= conf->tls_req_ccert;
	conf->tls_fp_digest = conf_str("smtpd_tls_fingerprint_digest");
	conf->relay_ccerts = mail_addr_maps_param("relay_clientcerts");
}

static int
smtpd_tls_level(void)
{
	const char *level = conf_str("smtpd_tls_security_level");

	if (*level == 0)
		return conf_bool("smtpd_enforce_tls") ? SMTPD_TLS_ENCRYPT :
		    conf_bool("smtpd_use_tls") ? SMTPD_TLS_MAY : SMTPD_TLS_NONE;
	if (strcasecmp(level, "none") == 0)
		return SMTPD_TLS_NONE;
	if (strcasecmp(level, "may") == 0)
		return SMTPD_TLS_MAY;
	if (strcasecmp(level, "encrypt") == 0)
		return SMTPD_TLS_ENCRYPT;
	msg_warn("invalid smtpd_tls_security_level value \"%s\": using "
	    "\"encrypt\"", level);
	return SMTPD_TLS_ENCRYPT;
}

void
smtpd_tls_conf(SMTPD_CONF *conf)
{
	static unsigned char ticket_keys[TLS_TICKET_KEYS_LEN];
	TLS_CTX_ARGS a;
	VSTRING	*why;

	conf->tls_level = smtpd_tls_level();
	conf->tls_wrapper = conf_bool("smtpd_tls_wrappermode");
	conf->tls_received = conf_bool("smtpd_tls_received_header");
	conf->tls_timeout = (int)conf_time("smtpd_starttls_timeout");
	conf->tls_loglevel = atoi(conf_str("smtpd_tls_loglevel"));
	if (conf->tls_level == SMTPD_TLS_NONE && !conf->tls_wrapper)
		return;
	smtpd_tls_ccert_conf(conf);
	memset(&a, 0, sizeof(a));
	a.server = 1;
	a.ask_ccert = conf->tls_ask_ccert;
	a.cert_file = conf_str("smtpd_tls_cert_file");
	a.key_file = conf_str("smtpd_tls_key_file");
	a.chain_files = conf_list("smtpd_tls_chain_files");
	a.CAfile = conf_str("smtpd_tls_CAfile");
	a.CApath = conf_str("smtpd_tls_CApath");
	a.protocols = conf->tls_level == SMTPD_TLS_ENCRYPT ?
	    conf_str("smtpd_tls_mandatory_protocols") :
	    conf_str("smtpd_tls_protocols");
	a.ciphers = conf->tls_level == SMTPD_TLS_ENCRYPT ?
	    conf_str("smtpd_tls_mandatory_ciphers") :
	    conf_str("smtpd_tls_ciphers");
	a.session_timeout = (int)conf_time("smtpd_tls_session_cache_timeout");
	if (a.session_timeout > 0 && smtpd_tls_ticket_keys(conf->queue_dir,
	    a.session_timeout, ticket_keys) == 0)
		a.ticket_keys = ticket_keys;
	why = vstring_alloc(100);
	if (*a.cert_file == 0 && a.chain_files->argc == 0)
		msg_warn("TLS is off: no smtpd_tls_cert_file or "
		    "smtpd_tls_chain_files");
	else if ((conf->tls_ctx = tls_ctx_create(&a, why)) == NULL)
		msg_warn("TLS is off: %s", vstring_str(why));
	else if (a.session_timeout > 0 &&
	    *conf_str("smtpd_tls_session_cache_database"))
		smtpd_scache_conf(conf->tls_ctx,
		    conf_str("smtpd_tls_session_cache_database"),
		    a.session_timeout);
	vstring_free(why);
	argv_free(a.chain_files);
	smtpd_tls_sni_conf(conf, &a);
}

int
smtpd_tls_offer(SMTPD_STATE *state)
{
	return state->conf->tls_ctx != NULL && state->tls == NULL &&
	    state->conf->tls_level != SMTPD_TLS_NONE;
}

/*
 * The client certificate after a handshake: fingerprints, the log, and
 * smtpd_tls_req_ccert. 0, or -1 after the 421 reply.
 */
static int
smtpd_tls_ccert(SMTPD_STATE *state, const TLS_INFO *info)
{
	VSTRING	*fp, *pkfp;
	const char *why;

	if (info->peer_cert) {
		fp = vstring_alloc(100);
		pkfp = vstring_alloc(100);
		if (tls_peer_fingerprint(state->tls, state->conf->tls_fp_digest,
		    fp, pkfp) < 0) {
			msg_warn("cannot compute the %s fingerprint of the "
			    "certificate of %s", state->conf->tls_fp_digest,
			    state->namaddr);
		} else {
			state->ccert_fp = vstring_export(fp);
			state->ccert_pkey_fp = vstring_export(pkfp);
			fp = pkfp = NULL;
			if (state->conf->tls_loglevel >= 1)
				msg_info("%s: subject_CN=%s, issuer=%s, "
				    "fingerprint=%s, pkey_fingerprint=%s",
				    state->namaddr, info->peer_cn,
				    info->issuer_cn, state->ccert_fp,
				    state->ccert_pkey_fp);
		}
		if (fp)
			vstring_free(fp);
		if (pkfp)
			vstring_free(pkfp);
	}
	if (!state->conf->tls_req_ccert || (info->peer_cert && info->trusted))
		return 0;
	why = info->peer_cert ? "Client certificate not trusted" :
	    "No client certificate presented";
	msg_info("NOQUEUE: abort: TLS from %s: %s", state->namaddr, why);
	smtpd_chat_reply(state, "421 4.7.1 %s Error: %s",
	    state->conf->myhostname, why);
	state->quit = 1;
	return -1;
}

/* Handshake on the client stream; 0, or -1 after logging. */
static int
smtpd_tls_start(SMTPD_STATE *state)
{
	VSTRING	*why = vstring_alloc(100);
	const TLS_INFO *info;

	state->tls = tls_server_start(state->client, state->conf->tls_ctx,
	    state->conf->tls_timeout, why);
	if (state->tls == NULL) {
		msg_info("SSL_accept error from %s: %s", state->namaddr,
		    vstring_str(why));
		vstring_free(why);
		state->quit = 1;
		return -1;
	}
	vstring_free(why);
	info = tls_info(state->tls);
	msg_info("%s TLS connection established from %s: %s with cipher %s "
	    "(%d/%d bits)", tls_level_text(info), state->namaddr,
	    info->protocol, info->cipher, info->bits, info->alg_bits);
	return smtpd_tls_ccert(state, info);
}

int
smtpd_tls_cmd(SMTPD_STATE *state, const char *args)
{
	if (*args) {
		smtpd_chat_reply(state, "501 5.5.4 Syntax: STARTTLS");
		return -1;
	}
	if (state->tls) {
		smtpd_chat_reply(state, "554 5.5.1 Error: TLS already active");
		return -1;
	}
	if (!smtpd_tls_offer(state)) {
		smtpd_chat_reply(state, "502 5.5.1 Error: command not implemented");
		return -1;
	}
	if (smtpd_chat_pending(state)) {
		msg_info("improper command pipelining after STARTTLS from %s",
		    state->namaddr);
		smtpd_chat_reply(state, "554 5.5.1 Error: improper command "
		    "pipelining after STARTTLS");
		state->quit = 1;
		return -1;
	}
	if (smtpd_anvil_newtls(state) < 0)
		return -1;
	smtpd_chat_reply(state, "220 2.0.0 Ready to start TLS");
	smtpd_chat_flush(state);
	if (state->quit || vstream_bufstat(state->client) != 0) {
		state->quit = 1;
		return -1;
	}
	if (smtpd_tls_start(state) < 0)
		return -1;
	/* RFC 3207 4.2: forget everything learned before. */
	smtpd_proto_reset(state);
	smtpd_sasl_reset(state);
	myfree(state->helo);
	state->helo = NULL;
	state->ehlo = 0;
	state->protocol = "SMTP";
	return 0;
}

int
smtpd_tls_wrapper(SMTPD_STATE *state)
{
	if (!state->conf->tls_wrapper)
		return 0;
	if (state->conf->tls_ctx == NULL) {
		msg_warn("smtpd_tls_wrappermode is set, but TLS is not "
		    "configured: disconnecting %s", state->namaddr);
		state->quit = 1;
		return -1;
	}
	if (smtpd_anvil_newtls(state) < 0) {
		state->quit = 1;
		return -1;
	}
	return smtpd_tls_start(state);
}

int
smtpd_tls_required(SMTPD_STATE *state)
{
	if (state->tls || state->conf->tls_level != SMTPD_TLS_ENCRYPT)
		return 0;
	smtpd_chat_reply(state, "530 5.7.0 Must issue a STARTTLS command first");
	return 1;
}

void
smtpd_tls_received(SMTPD_STATE *state, VSTRING *out)
{
	const TLS_INFO *info;

	if (state->tls == NULL || !state->conf->tls_received)
		return;
	info = tls_info(state->tls);
	vstring_sprintf_append(out, "\t(using %s with cipher %s (%d/%d bits))\n",
	    info->protocol, info->cipher, info->bits, info->alg_bits);
	if (info->peer_cert)
		vstring_sprintf_append(out, "\t(Client CN \"%s\", Issuer \"%s\" "
		    "(%s))\n", info->peer_cn, info->issuer_cn, info->trusted ?
		    "verified OK" : "not verified");
	else if (state->conf->tls_ask_ccert)
		vstring_sprintf_append(out, "\t(Client did not present a "
		    "certificate)\n");
	else
		vstring_sprintf_append(out, "\t(No client certificate "
		    "requested)\n");
}

void
smtpd_tls_end(SMTPD_STATE *state)
{
	if (state->tls == NULL)
		return;
	(void)vstream_fflush(state->client);
	tls_stop(state->client, state->tls, !vstream_ferror(state->client));
	state->tls = NULL;
	myfree(state->ccert_fp);
	myfree(state->ccert_pkey_fp);
	state->ccert_fp = state->ccert_pkey_fp = NULL;
}
