/*
 * NAME
 *	tls - TLS (OpenSSL) for buffered streams: the module tls.so
 * SYNOPSIS
 *	#include "tls_module.h"
 *
 *	const TLS_MODULE tls_module;
 *
 *	(programs call the functions of tls.h; tls_load(3) loads this
 *	module on first use and forwards each call through tls_module)
 *
 *	TLS_CTX	*tls_ctx_create(const TLS_CTX_ARGS *args, VSTRING *why);
 *	void	 tls_ctx_free(TLS_CTX *ctx);
 *	void	 tls_ctx_set_sni(TLS_CTX *ctx, const TLS_CTX_ARGS *base,
 *		    TLS_SNI_LOOKUP fn, void *arg);
 *
 *	TLS_SESS *tls_server_start(VSTREAM *stream, TLS_CTX *ctx,
 *		    int timeout, VSTRING *why);
 *	TLS_SESS *tls_client_start(VSTREAM *stream, TLS_CTX *ctx,
 *		    const char *servername, int timeout, VSTRING *why);
 *	TLS_SESS *tls_client_resume(VSTREAM *stream, TLS_CTX *ctx,
 *		    const char *servername, void *session, int timeout,
 *		    VSTRING *why);
 *	void	*tls_session_get(const TLS_SESS *sess);
 *	void	 tls_session_free(void *session);
 *	const TLS_INFO *tls_info(const TLS_SESS *sess);
 *	int	 tls_peer_match(const TLS_SESS *sess, const char *name);
 *	int	 tls_peer_fingerprint(const TLS_SESS *sess, const char *digest,
 *		    VSTRING *cert_fp, VSTRING *pkey_fp);
 *	void	 tls_stop(VSTREAM *stream, TLS_SESS *sess, int shutdown);
 *
 *	int	 tls_protocol_range(const char *list, int *min, int *max,
 *		    VSTRING *why);
 *	const char *tls_cipher_list(const char *grade);
 * DESCRIPTION
 *	This is the only code that uses OpenSSL. It is built as a shared
 *	object, linked with libssl and libcrypto, with hidden visibility:
 *	it exports one symbol, the versioned table tls_module, so that its
 *	functions never bind to the program's forwarders of the same names
 *	(tls_load.c) nor they to it. It calls the util functions (vstream,
 *	vstring, msg...) of the program that loads it.
 *
 *	This module knows nothing about mail. tls_ctx_create() makes an
 *	OpenSSL context for the server or the client role: certificate and
 *	key (cert_file/key_file, or chain_files holding key and certificates
 *	together), trust anchors (CAfile, CApath), the protocol range and a
 *	cipher grade. Session caching is off: every process is short-lived.
 *	Peer certificates are never required by the handshake itself; the
 *	result is reported in TLS_INFO (trusted, matched) so that the caller
 *	decides, and logs why. A server context asks the client for a
 *	certificate only with args->ask_ccert (naming the CAfile's
 *	authorities as acceptable issuers); it is verified against CAfile
 *	and CApath, and one that does not verify is still accepted, as
 *	untrusted.
 *
 *	tls_protocol_range() turns a Postfix-style protocol list ("!SSLv2,
 *	!SSLv3", ">=TLSv1.2", "TLSv1.2 TLSv1.3", "<=TLSv1.2") into an OpenSSL
 *	minimum and maximum version (0 = no limit). Exclusions at the ends of
 *	the range narrow it; SSLv2/SSLv3 are never enabled.
 *
 *	tls_cipher_list() maps a grade (high, medium, low, export, null) to
 *	an OpenSSL cipher list, or returns a null pointer for an unknown
 *	grade. TLS 1.3 suites are OpenSSL's defaults at every grade.
 *
 *	tls_server_start() and tls_client_start() run the handshake on the
 *	stream's descriptor and then plug SSL_read/SSL_write into the stream
 *	with vstream_set_io(). The caller must make sure nothing is buffered
 *	in the stream before (vstream_bufstat() == 0): plaintext read ahead
 *	would otherwise be taken as if it came over TLS. The descriptor is
 *	non-blocking while TLS is on; each read, write or handshake waits at
 *	most timeout seconds (<= 0: no limit) with poll(), handling
 *	WANT_READ and WANT_WRITE. tls_client_start() sends servername as SNI
 *	(unless it is an address literal) and checks it against the
 *	certificate's DNS or IP names (TLS_INFO.matched).
 *
 *	tls_ctx_set_sni() makes a server context choose its certificates by
 *	the client's SNI name: fn(name, arg, &err) returns a list of chain
 *	files (each holding a key and its certificates, as chain_files), or
 *	a null pointer for the default certificates (err set: the lookup
 *	failed, and the handshake is refused). Each distinct list becomes
 *	one more OpenSSL context with base's protocols, ciphers and CAs,
 *	made when first needed and kept. A list that cannot be loaded is
 *	logged and refuses the handshake.
 *
 *	Session resumption is off unless args->session_timeout > 0: then a
 *	server context issues stateless tickets sealed with
 *	args->ticket_keys (TLS_TICKET_KEYS_LEN bytes that every server
 *	process shares), and a client context accepts tickets;
 *	tls_session_get() returns the session of a client connection to
 *	keep (a null pointer when it cannot be resumed), tls_client_resume()
 *	offers it in a new handshake (TLS_INFO.reused says whether the
 *	server took it), tls_session_free() releases it.
 *
 *	tls_ctx_set_scache() gives a server context an external session
 *	cache besides the tickets (for clients that refuse tickets, and
 *	TLS 1.3 clients then get stateful tickets): each new session is
 *	handed to ops->put() as its id and its DER form in hex with its
 *	expiry time, a client that offers an id is looked up with
 *	ops->get() (not in this process's memory: every process sees the
 *	same cache), and a session OpenSSL gives up goes to ops->del().
 *	Sessions live timeout seconds. One such cache per process.
 *
 *	tls_client_dane() is tls_client_start() with TLSA records (RFC 7672):
 *	OpenSSL's DANE verification checks the peer against them (DANE-EE
 *	ignores names and dates; DANE-TA needs the chain to reach the named
 *	trust anchor and the certificate to name basedomain, which is also
 *	sent as SNI). TLS_INFO.dane says whether a record matched. Records
 *	OpenSSL cannot use are skipped; none usable fails the start.
 *
 *	tls_peer_match() says whether the peer certificate names name: a DNS
 *	name (wildcards as RFC 6125 allows), an address, or ".domain" for
 *	any name below domain. It does not look at trust (TLS_INFO.trusted).
 *
 *	tls_peer_fingerprint() computes the digest (an OpenSSL name: sha256,
 *	sha1, md5...) of the peer certificate and of its public key (the
 *	DER SubjectPublicKeyInfo, as Postfix), as upper-case hex bytes
 *	joined by ":" (Postfix's fingerprint form).
 *
 *	tls_stop() optionally sends a close_notify (best effort, bounded by
 *	two seconds), restores the plain I/O of the stream and the
 *	descriptor's blocking mode, and frees the session.
 *
 * DIAGNOSTICS
 *	tls_ctx_create() and the start functions return a null pointer with
 *	the reason in why (OpenSSL's error queue text included). Stream I/O
 *	errors return -1 with errno (ETIMEDOUT after a time-out, EIO for a
 *	TLS protocol error, which is also logged with msg_warn).
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "iostuff.h"
#include "msg.h"
#include "mymalloc.h"
#include "tls_module.h"

/* Certificates picked by SNI: one SSL_CTX per distinct file list. */
typedef struct TLS_SNI_CTX {
	char	*files;
	SSL_CTX	*ssl_ctx;
	struct TLS_SNI_CTX *next;
} TLS_SNI_CTX;

struct TLS_CTX {
	SSL_CTX	*ssl_ctx;
	int	 server;
	TLS_SNI_LOOKUP sni_fn;		/* tls_ctx_set_sni() */
	void	*sni_arg;
	TLS_CTX_ARGS sni_base;		/* settings for the SNI contexts */
	TLS_SNI_CTX *sni_ctxs;
};

struct TLS_SESS {
	SSL	*ssl;
	int	 fd;
	int	 was_blocking;
	TLS_INFO info;
};

/* Append OpenSSL's queued errors to why, and clear the queue. */
static void
tls_why(VSTRING *why, const char *what)
{
	unsigned long e;
	char	 buf[256];

	vstring_sprintf(why, "%s", what);
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		vstring_sprintf_append(why, ": %s", buf);
	}
}

static const struct {
	const char *name;
	int	 version;
} tls_versions[] = {
	{"SSLv2", 0}, {"SSLv3", SSL3_VERSION}, {"TLSv1", TLS1_VERSION},
	{"TLSv1.1", TLS1_1_VERSION}, {"TLSv1.2", TLS1_2_VERSION},
	{"TLSv1.3", TLS1_3_VERSION}, {NULL, 0},
};

/* Index of a protocol name in tls_versions, or -1. */
static int
tls_version_index(const char *name)
{
	for (int i = 0; tls_versions[i].name; i++)
		if (strcasecmp(tls_versions[i].name, name) == 0)
			return i;
	return -1;
}

int
tls_protocol_range(const char *list, int *min, int *max, VSTRING *why)
{
	char	 excl[8] = {0}, incl[8] = {0};
	int	 lo = 2, hi = 5, any_incl = 0, i;
	ARGV	*words = argv_split(list, " \t,:");

	for (size_t n = 0; n < words->argc; n++) {
		const char *w = words->argv[n];
		int	 op = 0;

		if (*w == '!' || *w == '>' || *w == '<')
			op = *w;
		if (op != 0)
			w += (op != '!' && w[1] == '=') ? 2 : 1;
		if ((i = tls_version_index(w)) < 0) {
			vstring_sprintf(why, "unknown TLS protocol: \"%s\"",
			    words->argv[n]);
			argv_free(words);
			return -1;
		}
		if (op == '!')
			excl[i] = 1;
		else if (op == '>')
			lo = i > lo ? i : lo;
		else if (op == '<')
			hi = i < hi ? i : hi;
		else
			incl[i] = any_incl = 1;
	}
	argv_free(words);
	for (i = 2; i <= 5; i++)
		if (any_incl && !incl[i])
			excl[i] = 1;
	while (lo <= hi && excl[lo])
		lo++;
	while (hi >= lo && excl[hi])
		hi--;
	if (lo > hi) {
		vstring_sprintf(why, "no TLS protocol left in \"%s\"", list);
		return -1;
	}
	*min = tls_versions[lo].version;
	*max = hi == 5 ? 0 : tls_versions[hi].version;
	return 0;
}

const char *
tls_cipher_list(const char *grade)
{
	if (grade == NULL || *grade == 0 || strcasecmp(grade, "medium") == 0)
		return "HIGH:MEDIUM:!aNULL:!eNULL:!RC4:!3DES:@STRENGTH";
	if (strcasecmp(grade, "high") == 0)
		return "HIGH:!aNULL:!eNULL:@STRENGTH";
	if (strcasecmp(grade, "low") == 0 || strcasecmp(grade, "export") == 0)
		return "ALL:!aNULL:!eNULL:@STRENGTH";
	if (strcasecmp(grade, "null") == 0)
		return "eNULL:!aNULL";
	return NULL;
}

/* Certificates and key: cert_file/key_file, then chain_files. */
static int
tls_ctx_certs(SSL_CTX *sc, const TLS_CTX_ARGS *a, VSTRING *why)
{
	const char *key = a->key_file && *a->key_file ? a->key_file : a->cert_file;

	if (a->cert_file && *a->cert_file) {
		if (SSL_CTX_use_certificate_chain_file(sc, a->cert_file) != 1 ||
		    SSL_CTX_use_PrivateKey_file(sc, key, SSL_FILETYPE_PEM) != 1) {
			tls_why(why, "cannot load certificate/key");
			return -1;
		}
	}
	for (size_t i = 0; a->chain_files && i < a->chain_files->argc; i++) {
		const char *f = a->chain_files->argv[i];

		if (SSL_CTX_use_PrivateKey_file(sc, f, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_use_certificate_chain_file(sc, f) != 1) {
			tls_why(why, "cannot load chain file");
			return -1;
		}
	}
	if (((a->cert_file && *a->cert_file) || (a->chain_files &&
	    a->chain_files->argc)) && SSL_CTX_check_private_key(sc) != 1) {
		tls_why(why, "private key does not match the certificate");
		return -1;
	}
	return 0;
}

/*
 * Session resumption: the server issues stateless tickets sealed with
 * the shared keys (every process that has them can resume); the client
 * keeps what tls_session_get() returns and offers it again.
 */
static int
tls_ctx_resumption(SSL_CTX *sc, const TLS_CTX_ARGS *a, VSTRING *why)
{
	if (a->session_timeout <= 0 || (a->server && a->ticket_keys == NULL))
		return 0;
	SSL_CTX_clear_options(sc, SSL_OP_NO_TICKET);
	SSL_CTX_set_timeout(sc, a->session_timeout);
	if (!a->server) {
		SSL_CTX_set_session_cache_mode(sc, SSL_SESS_CACHE_CLIENT |
		    SSL_SESS_CACHE_NO_INTERNAL_STORE);
		return 0;
	}
	(void)SSL_CTX_set_num_tickets(sc, 1);
	if (SSL_CTX_set_session_id_context(sc, (const unsigned char *)"postern",
	    7) != 1 || SSL_CTX_set_tlsext_ticket_keys(sc,
	    (void *)a->ticket_keys, TLS_TICKET_KEYS_LEN) != 1) {
		tls_why(why, "cannot set up session tickets");
		return -1;
	}
	return 0;
}

/* Client certificates: verify, but let the caller judge the result. */
static int
tls_verify_any(int ok, X509_STORE_CTX *store)
{
	return 1;
}

static int
tls_ctx_ask_ccert(SSL_CTX *sc, const char *cafile, VSTRING *why)
{
	STACK_OF(X509_NAME) *names;

	SSL_CTX_set_verify(sc, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE,
	    tls_verify_any);
	if (cafile == NULL)
		return 0;
	if ((names = SSL_load_client_CA_file(cafile)) == NULL) {
		tls_why(why, "cannot load the CA names of the CA file");
		return -1;
	}
	SSL_CTX_set_client_CA_list(sc, names);
	return 0;
}

static int
tls_ctx_setup(SSL_CTX *sc, const TLS_CTX_ARGS *a, VSTRING *why)
{
	const char *cafile = a->CAfile && *a->CAfile ? a->CAfile : NULL;
	const char *capath = a->CApath && *a->CApath ? a->CApath : NULL;
	const char *clist = tls_cipher_list(a->ciphers);
	int	 min, max;

	if (tls_protocol_range(a->protocols ? a->protocols : "", &min, &max,
	    why) < 0)
		return -1;
	if (SSL_CTX_set_min_proto_version(sc, min) != 1 ||
	    SSL_CTX_set_max_proto_version(sc, max) != 1) {
		tls_why(why, "cannot set the TLS protocol range");
		return -1;
	}
	if (clist == NULL) {
		vstring_sprintf(why, "unknown cipher grade: \"%s\"", a->ciphers);
		return -1;
	}
	if (SSL_CTX_set_cipher_list(sc, clist) != 1) {
		tls_why(why, "cannot set the cipher list");
		return -1;
	}
	if ((cafile || capath) &&
	    SSL_CTX_load_verify_locations(sc, cafile, capath) != 1) {
		tls_why(why, "cannot load the CA file/path");
		return -1;
	}
	SSL_CTX_set_session_cache_mode(sc, SSL_SESS_CACHE_OFF);
	(void)SSL_CTX_set_num_tickets(sc, 0);
	SSL_CTX_set_options(sc, SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION);
	if (tls_ctx_resumption(sc, a, why) < 0)
		return -1;
	if (!a->server && SSL_CTX_dane_enable(sc) <= 0) {
		tls_why(why, "cannot enable DANE");
		return -1;
	}
	SSL_CTX_set_mode(sc, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(sc, SSL_VERIFY_NONE, NULL);
	if (a->server && a->ask_ccert && tls_ctx_ask_ccert(sc, cafile, why) < 0)
		return -1;
	return tls_ctx_certs(sc, a, why);
}

TLS_CTX *
tls_ctx_create(const TLS_CTX_ARGS *a, VSTRING *why)
{
	SSL_CTX	*sc;
	TLS_CTX	*ctx;

	/* A peer that goes away must not kill us in the middle of a write. */
	signal(SIGPIPE, SIG_IGN);
	sc = SSL_CTX_new(a->server ? TLS_server_method() : TLS_client_method());
	if (sc == NULL) {
		tls_why(why, "cannot create TLS context");
		return NULL;
	}
	if (tls_ctx_setup(sc, a, why) < 0) {
		SSL_CTX_free(sc);
		return NULL;
	}
	ctx = mymalloc(sizeof(*ctx));
	memset(ctx, 0, sizeof(*ctx));
	ctx->ssl_ctx = sc;
	ctx->server = a->server;
	return ctx;
}

/* The SSL_CTX for a list of chain files (made once); null on error. */
static SSL_CTX *
tls_sni_ctx(TLS_CTX *ctx, const char *files)
{
	TLS_CTX_ARGS a = ctx->sni_base;
	TLS_SNI_CTX *c;
	VSTRING	*why;
	SSL_CTX	*sc;

	for (c = ctx->sni_ctxs; c; c = c->next)
		if (strcmp(c->files, files) == 0)
			return c->ssl_ctx;
	why = vstring_alloc(100);
	a.cert_file = a.key_file = NULL;
	a.chain_files = argv_split(files, ", \t\r\n");
	if ((sc = SSL_CTX_new(TLS_server_method())) != NULL &&
	    tls_ctx_setup(sc, &a, why) < 0) {
		msg_warn("SNI certificates %s: %s", files, vstring_str(why));
		SSL_CTX_free(sc);
		sc = NULL;
	}
	argv_free(a.chain_files);
	vstring_free(why);
	c = mymalloc(sizeof(*c));
	c->files = mystrdup(files);
	c->ssl_ctx = sc;		/* null: remembered as broken */
	c->next = ctx->sni_ctxs;
	ctx->sni_ctxs = c;
	return sc;
}

static int
tls_sni_callback(SSL *ssl, int *alert, void *arg)
{
	TLS_CTX *ctx = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	const char *files;
	SSL_CTX	*sc;
	int	 err = 0;

	if (name == NULL || *name == 0)
		return SSL_TLSEXT_ERR_NOACK;
	if ((files = ctx->sni_fn(name, ctx->sni_arg, &err)) == NULL) {
		if (err) {
			*alert = SSL_AD_INTERNAL_ERROR;
			return SSL_TLSEXT_ERR_ALERT_FATAL;
		}
		return SSL_TLSEXT_ERR_NOACK;	/* the default certificate */
	}
	if ((sc = tls_sni_ctx(ctx, files)) == NULL) {
		*alert = SSL_AD_INTERNAL_ERROR;
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	}
	if (SSL_set_SSL_CTX(ssl, sc) == NULL)
		return SSL_TLSEXT_ERR_NOACK;
	return SSL_TLSEXT_ERR_OK;
}

void
tls_ctx_set_sni(TLS_CTX *ctx, const TLS_CTX_ARGS *base, TLS_SNI_LOOKUP fn,
    void *arg)
{
	if (!ctx->server)
		msg_panic("tls_ctx_set_sni: client context");
	ctx->sni_fn = fn;
	ctx->sni_arg = arg;
	ctx->sni_base = *base;		/* strings must outlive ctx */
	ctx->sni_base.chain_files = NULL;
	SSL_CTX_set_tlsext_servername_callback(ctx->ssl_ctx, tls_sni_callback);
	SSL_CTX_set_tlsext_servername_arg(ctx->ssl_ctx, ctx);
}

/* tls_ctx_set_scache(): one external server cache per process. */
static const TLS_SCACHE_OPS *tls_scache_ops;
static void *tls_scache_arg;

#define TLS_SCACHE_MAX	(64 * 1024)	/* DER bytes of one session */

static char *
tls_scache_hex(const unsigned char *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char	*out = mymalloc(2 * len + 1), *cp = out;

	for (size_t i = 0; i < len; i++) {
		*cp++ = digits[data[i] >> 4];
		*cp++ = digits[data[i] & 0xf];
	}
	*cp = 0;
	return out;
}

/* Hex to bytes in place; the length, or -1 when it is not hex. */
static long
tls_unhex(char *s)
{
	size_t	 len = strlen(s), i;
	int	 hi, lo;

	if (len % 2)
		return -1;
	for (i = 0; i < len / 2; i++) {
		hi = OPENSSL_hexchar2int((unsigned char)s[2 * i]);
		lo = OPENSSL_hexchar2int((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		((unsigned char *)s)[i] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(len / 2);
}

static int
tls_scache_new(SSL *ssl, SSL_SESSION *sess)
{
	unsigned int idlen;
	const unsigned char *id = SSL_SESSION_get_id(sess, &idlen);
	int	 len = i2d_SSL_SESSION(sess, NULL);
	unsigned char *der, *p;
	char	*key, *val;

	if (idlen == 0 || len <= 0 || len > TLS_SCACHE_MAX)
		return 0;
	p = der = mymalloc(len);
	if (i2d_SSL_SESSION(sess, &p) == len) {
		key = tls_scache_hex(id, idlen);
		val = tls_scache_hex(der, len);
		tls_scache_ops->put(tls_scache_arg, key, val,
		    (long)(SSL_SESSION_get_time(sess) +
		    SSL_SESSION_get_timeout(sess)));
		myfree(key);
		myfree(val);
	}
	myfree(der);
	return 0;			/* we keep no reference */
}

static SSL_SESSION *
tls_scache_get(SSL *ssl, const unsigned char *id, int idlen, int *copy)
{
	SSL_SESSION *sess = NULL;
	VSTRING	*val;
	const unsigned char *p;
	char	*key;
	long	 len;

	*copy = 0;			/* the caller gets our reference */
	if (idlen <= 0)
		return NULL;
	key = tls_scache_hex(id, idlen);
	val = vstring_alloc(512);
	if (tls_scache_ops->get(tls_scache_arg, key, val) > 0 &&
	    (len = tls_unhex(vstring_str(val))) > 0) {
		p = (const unsigned char *)vstring_str(val);
		sess = d2i_SSL_SESSION(NULL, &p, len);
	}
	vstring_free(val);
	myfree(key);
	return sess;
}

static void
tls_scache_remove(SSL_CTX *sc, SSL_SESSION *sess)
{
	unsigned int idlen;
	const unsigned char *id = SSL_SESSION_get_id(sess, &idlen);
	char	*key;

	if (idlen == 0)
		return;
	key = tls_scache_hex(id, idlen);
	tls_scache_ops->del(tls_scache_arg, key);
	myfree(key);
}

void
tls_ctx_set_scache(TLS_CTX *ctx, const TLS_SCACHE_OPS *ops, void *arg,
    int timeout)
{
	SSL_CTX	*sc = ctx->ssl_ctx;

	if (!ctx->server)
		msg_panic("tls_ctx_set_scache: client context");
	tls_scache_ops = ops;
	tls_scache_arg = arg;
	(void)SSL_CTX_set_session_id_context(sc,
	    (const unsigned char *)"postern", 7);
	SSL_CTX_set_timeout(sc, timeout);
	SSL_CTX_set_session_cache_mode(sc, SSL_SESS_CACHE_SERVER |
	    SSL_SESS_CACHE_NO_INTERNAL | SSL_SESS_CACHE_NO_AUTO_CLEAR);
	SSL_CTX_sess_set_new_cb(sc, tls_scache_new);
	SSL_CTX_sess_set_get_cb(sc, tls_scache_get);
	SSL_CTX_sess_set_remove_cb(sc, tls_scache_remove);
}

void
tls_ctx_free(TLS_CTX *ctx)
{
	if (ctx == NULL)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	myfree(ctx);
}

/*
 * Wait for what OpenSSL asked for (err = SSL_ERROR_WANT_*) until deadline
 * (ms, or < 0 for none). 0, or -1 with errno (ETIMEDOUT, EIO).
 */
static int
tls_wait(int fd, int err, long long deadline)
{
	struct pollfd pfd;
	long long left;
	int	 n;

	pfd.fd = fd;
	pfd.events = err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
	for (;;) {
		left = deadline < 0 ? -1 : deadline - monotonic_ms();
		if (deadline >= 0 && left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
		if (n > 0)
			return 0;
		if (n == 0)
			continue;
		if (errno != EINTR)
			return -1;
	}
}

/* Did the peer just close the connection (no close_notify)? */
static int
tls_eof(int err)
{
	if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0)
		return 1;
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
	if (err == SSL_ERROR_SSL && ERR_GET_REASON(ERR_peek_error()) ==
	    SSL_R_UNEXPECTED_EOF_WHILE_READING)
		return 1;
#endif
	return 0;
}

/*
 * One SSL operation (op: 'r' read, 'w' write, 'h' handshake, 's'
 * shutdown) with a time limit. Returns OpenSSL's result (> 0 done), 0 for
 * a clean end of file (read), or -1 with errno.
 */
static int
tls_op(TLS_SESS *s, int op, void *buf, size_t len, int timeout)
{
	long long deadline = timeout > 0 ? monotonic_ms() + timeout * 1000LL : -1;
	int	 n, err;

	for (;;) {
		ERR_clear_error();
		errno = 0;
		if (op == 'r')
			n = SSL_read(s->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
		else if (op == 'w')
			n = SSL_write(s->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
		else if (op == 'h')
			n = SSL_do_handshake(s->ssl);
		else
			n = SSL_shutdown(s->ssl);
		if (n > 0 || (op == 's' && n == 0))
			return n > 0 ? n : 1;
		err = SSL_get_error(s->ssl, n);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
			if (tls_wait(s->fd, err, deadline) < 0)
				return -1;
			continue;
		}
		if (err == SSL_ERROR_ZERO_RETURN || tls_eof(err)) {
			if (op == 'r')
				return 0;
			errno = EPIPE;
			return -1;
		}
		if (err == SSL_ERROR_SYSCALL && errno != 0)
			return -1;
		errno = EIO;
		return -1;
	}
}

static ssize_t
tls_read_fn(int fd, void *buf, size_t len, int timeout, void *ctx)
{
	TLS_SESS *s = ctx;
	VSTRING	*why;
	int	 n;

	if ((n = tls_op(s, 'r', buf, len, timeout)) < 0 && errno == EIO) {
		why = vstring_alloc(100);
		tls_why(why, "TLS read error");
		msg_warn("%s", vstring_str(why));
		vstring_free(why);
		errno = EIO;
	}
	return n;
}

static ssize_t
tls_write_fn(int fd, void *buf, size_t len, int timeout, void *ctx)
{
	return tls_op(ctx, 'w', buf, len, timeout);
}

/* The subject or issuer CN of cert into buf (empty if none). */
static void
tls_cn(X509_NAME *name, char *buf, size_t size)
{
	int	 n;

	buf[0] = 0;
	if (name == NULL)
		return;
	n = X509_NAME_get_text_by_NID(name, NID_commonName, buf, (int)size);
	if (n < 0 || (size_t)n >= size || strlen(buf) != (size_t)n)
		buf[0] = 0;		/* missing, truncated or embedded NUL */
}

/* Is name an IPv4 or IPv6 address literal (no SNI, IP SAN match)? */
static int
tls_is_ip(const char *name)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, name, buf) == 1 ||
	    inet_pton(AF_INET6, name, buf) == 1;
}

static void
tls_fill_info(TLS_SESS *s, const char *servername)
{
	TLS_INFO *info = &s->info;
	const SSL_CIPHER *c = SSL_get_current_cipher(s->ssl);
	X509	*peer = SSL_get_peer_certificate(s->ssl);

	snprintf(info->protocol, sizeof(info->protocol), "%s",
	    SSL_get_version(s->ssl));
	snprintf(info->cipher, sizeof(info->cipher), "%s",
	    c ? SSL_CIPHER_get_name(c) : "unknown");
	info->bits = c ? SSL_CIPHER_get_bits(c, &info->alg_bits) : 0;
	if (peer == NULL)
		return;
	info->peer_cert = 1;
	info->trusted = SSL_get_verify_result(s->ssl) == X509_V_OK;
	if (info->trusted && servername && *servername)
		info->matched = tls_is_ip(servername) ?
		    X509_check_ip_asc(peer, servername, 0) == 1 :
		    X509_check_host(peer, servername, 0, 0, NULL) == 1;
	tls_cn(X509_get_subject_name(peer), info->peer_cn, sizeof(info->peer_cn));
	tls_cn(X509_get_issuer_name(peer), info->issuer_cn,
	    sizeof(info->issuer_cn));
	X509_free(peer);
}

/* TLSA records for this connection; 0, or -1 with why. */
static int
tls_dane_setup(SSL *ssl, const char *base, const TLS_DANE_RR *rr, int n,
    VSTRING *why)
{
	int	 usable = 0;

	if (SSL_dane_enable(ssl, base) <= 0) {
		tls_why(why, "cannot enable DANE for the connection");
		return -1;
	}
	/* RFC 7672 3.1.1: DANE-EE ignores the names in the certificate. */
	(void)SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	for (int i = 0; i < n; i++)
		if (SSL_dane_tlsa_add(ssl, (uint8_t)rr[i].usage,
		    (uint8_t)rr[i].selector, (uint8_t)rr[i].mtype,
		    rr[i].data, rr[i].len) > 0)
			usable++;
	ERR_clear_error();
	if (usable == 0) {
		vstring_sprintf(why, "no usable TLSA records");
		return -1;
	}
	return 0;
}

static TLS_SESS *
tls_start(VSTREAM *stream, TLS_CTX *ctx, const char *servername,
    SSL_SESSION *resume, const TLS_DANE_RR *dane, int ndane, int timeout,
    VSTRING *why)
{
	TLS_SESS *s;
	int	 fd = vstream_fileno(stream);

	if (vstream_bufstat(stream) != 0)
		msg_panic("tls_start: plaintext input still buffered");
	s = mymalloc(sizeof(*s));
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	ERR_clear_error();
	if ((s->ssl = SSL_new(ctx->ssl_ctx)) == NULL ||
	    SSL_set_fd(s->ssl, fd) != 1) {
		tls_why(why, "cannot create TLS session");
		goto fail;
	}
	if (ctx->server) {
		SSL_set_accept_state(s->ssl);
	} else {
		SSL_set_connect_state(s->ssl);
		if (servername && *servername && !tls_is_ip(servername) &&
		    SSL_set_tlsext_host_name(s->ssl, servername) != 1) {
			tls_why(why, "cannot set the TLS server name");
			goto fail;
		}
		if (resume)
			(void)SSL_set_session(s->ssl, resume);
		if (ndane > 0 && tls_dane_setup(s->ssl, servername, dane, ndane,
		    why) < 0)
			goto fail;
	}
	s->was_blocking = non_blocking(fd, 1) == 0;
	if (tls_op(s, 'h', NULL, 0, timeout) < 0) {
		if (errno == ETIMEDOUT)
			vstring_sprintf(why, "TLS handshake timed out");
		else if (errno == EIO)
			tls_why(why, "TLS handshake failed");
		else
			vstring_sprintf(why, "TLS handshake failed: %s",
			    errno == EPIPE ? "lost connection" : strerror(errno));
		(void)non_blocking(fd, !s->was_blocking);
		goto fail;
	}
	tls_fill_info(s, servername);
	s->info.reused = SSL_session_reused(s->ssl) == 1;
	s->info.dane = ndane > 0 && SSL_get_verify_result(s->ssl) == X509_V_OK &&
	    SSL_get0_dane_authority(s->ssl, NULL, NULL) >= 0;
	vstream_set_io(stream, tls_read_fn, tls_write_fn, s);
	return s;
fail:
	if (s->ssl)
		SSL_free(s->ssl);
	myfree(s);
	return NULL;
}

TLS_SESS *
tls_server_start(VSTREAM *stream, TLS_CTX *ctx, int timeout, VSTRING *why)
{
	if (!ctx->server)
		msg_panic("tls_server_start: client context");
	return tls_start(stream, ctx, NULL, NULL, NULL, 0, timeout, why);
}

TLS_SESS *
tls_client_start(VSTREAM *stream, TLS_CTX *ctx, const char *servername,
    int timeout, VSTRING *why)
{
	if (ctx->server)
		msg_panic("tls_client_start: server context");
	return tls_start(stream, ctx, servername, NULL, NULL, 0, timeout, why);
}

TLS_SESS *
tls_client_dane(VSTREAM *stream, TLS_CTX *ctx, const char *basedomain,
    const TLS_DANE_RR *rr, int n, void *session, int timeout, VSTRING *why)
{
	if (ctx->server || basedomain == NULL || n <= 0)
		msg_panic("tls_client_dane: bad arguments");
	return tls_start(stream, ctx, basedomain, session, rr, n, timeout, why);
}

TLS_SESS *
tls_client_resume(VSTREAM *stream, TLS_CTX *ctx, const char *servername,
    void *session, int timeout, VSTRING *why)
{
	if (ctx->server)
		msg_panic("tls_client_resume: server context");
	return tls_start(stream, ctx, servername, session, NULL, 0, timeout, why);
}

void   *
tls_session_get(const TLS_SESS *s)
{
	SSL_SESSION *sess = SSL_get1_session(s->ssl);

	if (sess != NULL && !SSL_SESSION_is_resumable(sess)) {
		SSL_SESSION_free(sess);
		sess = NULL;
	}
	return sess;
}

void
tls_session_free(void *session)
{
	if (session)
		SSL_SESSION_free(session);
}

const TLS_INFO *
tls_info(const TLS_SESS *s)
{
	return &s->info;
}

int
tls_peer_match(const TLS_SESS *s, const char *name)
{
	X509	*peer = SSL_get_peer_certificate(s->ssl);
	int	 r;

	if (peer == NULL || name == NULL || *name == 0) {
		X509_free(peer);
		return 0;
	}
	if (tls_is_ip(name))
		r = X509_check_ip_asc(peer, name, 0) == 1;
	else
		r = X509_check_host(peer, name, 0, 0, NULL) == 1;
	X509_free(peer);
	return r;
}

static void
tls_hex(VSTRING *out, const unsigned char *md, unsigned len)
{
	vstring_reset(out);
	for (unsigned i = 0; i < len; i++)
		vstring_sprintf_append(out, "%s%02X", i ? ":" : "", md[i]);
}

int
tls_peer_fingerprint(const TLS_SESS *s, const char *digest, VSTRING *cert_fp,
    VSTRING *pkey_fp)
{
	X509	*peer = SSL_get_peer_certificate(s->ssl);
	const EVP_MD *md = EVP_get_digestbyname(digest);
	unsigned char buf[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned len = 0;
	int	 r = -1, dlen;

	if (peer == NULL || md == NULL)
		goto out;
	if (X509_digest(peer, md, buf, &len) != 1)
		goto out;
	tls_hex(cert_fp, buf, len);
	/* The whole SubjectPublicKeyInfo, as Postfix (and DANE 1 x 1). */
	if ((dlen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(peer), &der)) <= 0 ||
	    EVP_Digest(der, (size_t)dlen, buf, &len, md, NULL) != 1)
		goto out;
	tls_hex(pkey_fp, buf, len);
	r = 0;
out:
	OPENSSL_free(der);
	X509_free(peer);
	return r;
}

void
tls_stop(VSTREAM *stream, TLS_SESS *s, int shutdown)
{
	if (s == NULL)
		return;
	if (shutdown)
		(void)tls_op(s, 's', NULL, 0, 2);
	if (stream)
		vstream_set_io(stream, NULL, NULL, NULL);
	(void)non_blocking(s->fd, !s->was_blocking);
	SSL_free(s->ssl);
	ERR_clear_error();
	myfree(s);
}

/* The one symbol the module exports: tls_load.c finds it with dlsym(). */
__attribute__((visibility("default")))
const TLS_MODULE tls_module = {
	.version = TLS_MODULE_VERSION,
	.size = sizeof(TLS_MODULE),
	.ctx_create = tls_ctx_create,
	.ctx_set_sni = tls_ctx_set_sni,
	.ctx_set_scache = tls_ctx_set_scache,
	.ctx_free = tls_ctx_free,
	.protocol_range = tls_protocol_range,
	.cipher_list = tls_cipher_list,
	.server_start = tls_server_start,
	.client_start = tls_client_start,
	.client_resume = tls_client_resume,
	.client_dane = tls_client_dane,
	.session_get = tls_session_get,
	.session_free = tls_session_free,
	.info = tls_info,
	.stop = tls_stop,
	.peer_match = tls_peer_match,
	.peer_fingerprint = tls_peer_fingerprint,
};
