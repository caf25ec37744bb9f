/*
 * tls.h - a small OpenSSL wrapper for VSTREAMs. See tls.c.
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
} TLS_CTX_ARGS;

/* The result of a handshake, for logging and Received: headers. */
typedef struct TLS_INFO {
	char	 protocol[32];		/* "TLSv1.3" */
	char	 cipher[128];		/* "TLS_AES_256_GCM_SHA384" */
	int	 bits;			/* secret bits */
	int	 alg_bits;		/* algorithm bits */
	int	 peer_cert;		/* peer presented a certificate */
	int	 trusted;		/* its chain verified against the CAs */
	int	 matched;		/* and it names the expected host */
	char	 peer_cn[256];		/* subject CN, or empty */
	char	 issuer_cn[256];	/* issuer CN, or empty */
} TLS_INFO;

TLS_CTX	*tls_ctx_create(const TLS_CTX_ARGS *, VSTRING *why);
void	 tls_ctx_free(TLS_CTX *);
int	 tls_protocol_range(const char *, int *, int *, VSTRING *why);
const char *tls_cipher_list(const char *);

TLS_SESS *tls_server_start(VSTREAM *, TLS_CTX *, int timeout, VSTRING *why);
TLS_SESS *tls_client_start(VSTREAM *, TLS_CTX *, const char *servername,
	    int timeout, VSTRING *why);
const TLS_INFO *tls_info(const TLS_SESS *);
void	 tls_stop(VSTREAM *, TLS_SESS *, int shutdown);
const char *tls_level_text(const TLS_INFO *);	/* Anonymous, Untrusted, ... */
int	 tls_peer_match(const TLS_SESS *, const char *);
int	 tls_peer_fingerprint(const TLS_SESS *, const char *, VSTRING *, VSTRING *);

#endif
