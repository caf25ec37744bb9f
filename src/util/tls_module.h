/*
 * tls_module.h - the table of functions that the TLS module (tls.so,
 * built from tls.c) exports to the loader (tls_load.c). Private to
 * those two files; programs use tls.h.
 */
#ifndef TLS_MODULE_H
#define TLS_MODULE_H

#include "tls.h"

/*
 * Bump when a member changes (here or in TLS_CTX_ARGS): a stale tls.so
 * is then refused.
 */
#define TLS_MODULE_VERSION	3
#define TLS_MODULE_FILE		"tls.so"
#define TLS_MODULE_SYMBOL	"tls_module"

typedef struct TLS_MODULE {
	int	 version;		/* TLS_MODULE_VERSION */
	size_t	 size;			/* sizeof(TLS_MODULE) */
	TLS_CTX	*(*ctx_create)(const TLS_CTX_ARGS *, VSTRING *);
	void	 (*ctx_set_sni)(TLS_CTX *, const TLS_CTX_ARGS *,
		    TLS_SNI_LOOKUP, void *);
	void	 (*ctx_set_scache)(TLS_CTX *, const TLS_SCACHE_OPS *, void *,
		    int);
	void	 (*ctx_free)(TLS_CTX *);
	int	 (*protocol_range)(const char *, int *, int *, VSTRING *);
	const char *(*cipher_list)(const char *);
	TLS_SESS *(*server_start)(VSTREAM *, TLS_CTX *, int, VSTRING *);
	TLS_SESS *(*client_start)(VSTREAM *, TLS_CTX *, const char *, int,
		    VSTRING *);
	TLS_SESS *(*client_resume)(VSTREAM *, TLS_CTX *, const char *, void *,
		    int, VSTRING *);
	TLS_SESS *(*client_dane)(VSTREAM *, TLS_CTX *, const char *,
		    const TLS_DANE_RR *, int, void *, int, VSTRING *);
	void	*(*session_get)(const TLS_SESS *);
	void	 (*session_free)(void *);
	const TLS_INFO *(*info)(const TLS_SESS *);
	void	 (*stop)(VSTREAM *, TLS_SESS *, int);
	int	 (*peer_match)(const TLS_SESS *, const char *);
	int	 (*peer_fingerprint)(const TLS_SESS *, const char *, VSTRING *,
		    VSTRING *);
} TLS_MODULE;

#endif
