/*
 * tls.h - a small OpenSSL wrapper for VSTREAMs. The functions are in the
 * module tls.so (tls.c), loaded on first use by tls_load.c.
 */
#ifndef TLS_H
#define TLS_H

#include "argv.h"
#include "vstream.h"
#include "vstring.h"

typedef struct TLS_CTX TLS_CTX;		/* one per process and role */
typedef struct TLS_SESS TLS_SESS;	/* one per connection */

/* What tls_ctx_create() needs; null or empty strings mean "none". */
typedef struct TLS_CTX_ARGS {
	int	 server;		/* 1: server role, 0: client */
	const char *cert_file;		/* PEM certificate (chain) */
	const char *key_file;		/* PEM key (default: cert_file) */
	ARGV	*chain_files;		/* key+cert chain files (Postfix 3.4+) */
	const char *CAfile;
	const char *CApath;
	const char *protocols;		/* "!SSLv2, !SSLv3", ">=TLSv1.2", ... */
	const char *ciphers;		/* grade: high, medium, low, export, null */
	int	 session_timeout;	/* > 0: sessions may be resumed */
	const unsigned char *ticket_keys;	/* server: 80 bytes, shared */
	int	 ask_ccert;		/* server: request a client certificate */
} TLS_CTX_ARGS;

#define TLS_TICKET_KEYS_LEN	80	/* name, HMAC and AES keys */

/* The result of a handshake, for logging and Received: headers. */
typedef struct TLS_INFO {
	char	 protocol[32];		/* "TLSv1.3" */
	char	 cipher[128];		/* "TLS_AES_256_GCM_SHA384" */
	int	 bits;			/* secret bits */
	int	 alg_bits;		/* algorithm bits */
	int	 peer_cert;		/* peer presented a certificate */
	int	 trusted;		/* its chain verified against the CAs */
	int	 matched;		/* and it names the expected host */
	int	 reused;		/* the session was resumed */
	int	 dane;			/* a TLSA record matched (tls_client_dane) */
	char	 peer_cn[256];		/* subject CN, or empty */
	char	 issuer_cn[256];	/* issuer CN, or empty */
} TLS_INFO;

int	 tls_load(VSTRING *why);	/* tls_ctx_create() calls it */
TLS_CTX	*tls_ctx_create(const TLS_CTX_ARGS *, VSTRING *why);

/* Server: certificates by SNI name (chain files), or null and *err. */
typedef const char *(*TLS_SNI_LOOKUP)(const char *, void *, int *);
void	 tls_ctx_set_sni(TLS_CTX *, const TLS_CTX_ARGS *, TLS_SNI_LOOKUP,
	    void *);
/*
 * Server: an external session cache that several processes share (for
 * clients that do not take tickets). Keys and values are hex strings;
 * get() returns 1 with the value in *out, or 0; expires is a time_t.
 */
typedef struct TLS_SCACHE_OPS {
	int	 (*get)(void *, const char *, VSTRING *);
	void	 (*put)(void *, const char *, const char *, long);
	void	 (*del)(void *, const char *);
} TLS_SCACHE_OPS;
void	 tls_ctx_set_scache(TLS_CTX *, const TLS_SCACHE_OPS *, void *, int);
void	 tls_ctx_free(TLS_CTX *);
int	 tls_protocol_range(const char *, int *, int *, VSTRING *why);
const char *tls_cipher_list(const char *);

TLS_SESS *tls_server_start(VSTREAM *, TLS_CTX *, int timeout, VSTRING *why);
TLS_SESS *tls_client_start(VSTREAM *, TLS_CTX *, const char *servername,
	    int timeout, VSTRING *why);
TLS_SESS *tls_client_resume(VSTREAM *, TLS_CTX *, const char *servername,
	    void *session, int timeout, VSTRING *why);
/* One TLSA record (RFC 6698) for tls_client_dane(). */
typedef struct TLS_DANE_RR {
	int	 usage, selector, mtype;
	const unsigned char *data;
	size_t	 len;
} TLS_DANE_RR;

TLS_SESS *tls_client_dane(VSTREAM *, TLS_CTX *, const char *basedomain,
	    const TLS_DANE_RR *, int, void *session, int timeout, VSTRING *why);
void	*tls_session_get(const TLS_SESS *);
void	 tls_session_free(void *);
const TLS_INFO *tls_info(const TLS_SESS *);
void	 tls_stop(VSTREAM *, TLS_SESS *, int shutdown);
const char *tls_level_text(const TLS_INFO *);	/* Anonymous, Untrusted, ... */
int	 tls_peer_match(const TLS_SESS *, const char *);
int	 tls_peer_fingerprint(const TLS_SESS *, const char *, VSTRING *, VSTRING *);

#endif
