/*
 * NAME
 *	tls_load - the programs' side of TLS: load the module on first use
 * SYNOPSIS
 *	#include "tls.h"
 *
 *	int	 tls_load(VSTRING *why);
 *	const char *tls_level_text(const TLS_INFO *info);
 *
 *	(and every other function of tls.h, forwarded to the module)
 * DESCRIPTION
 *	TLS is a module, tls.so (tls.c, the only code that uses OpenSSL),
 *	in the module directory (module(3): daemon_directory, where the
 *	daemons are installed; build/bin in the build tree). Programs do
 *	not link libssl or libcrypto: a process that has no TLS configured
 *	maps neither library, and pays neither their relocations (some
 *	460 KB of private memory per process) nor the dynamic loader's
 *	work for them at every start.
 *
 *	tls_load() loads the module (once per process), checks its table
 *	(one dlsym() of a versioned struct, tls_module.h) and returns 0, or
 *	-1 with why set to "TLS support module PATH could not be loaded:
 *	REASON". A failure is remembered: later calls fail at once with
 *	the same text.
 *
 *	tls_ctx_create() and tls_protocol_range() call tls_load() first,
 *	so the module is loaded exactly when the configuration asks for a
 *	TLS context; when it cannot be, they fail with that reason in why
 *	(the callers log it and go on without TLS, as when a certificate
 *	cannot be loaded). tls_cipher_list() returns a null pointer then.
 *	The functions that take a context or a session forward the call:
 *	the module is loaded since the context exists. tls_ctx_free(),
 *	tls_stop() and tls_session_free() accept a null pointer without
 *	a module.
 *
 *	tls_level_text() is "Verified" (trusted and name matched),
 *	"Trusted", "Untrusted" (a certificate that did not verify) or
 *	"Anonymous" (no certificate), as in Postfix's log lines.
 * DIAGNOSTICS
 *	Panic: a function that needs a session or a context called while
 *	no module is loaded (a caller's bug).
 */
#include <errno.h>
#include <string.h>

#include "argv.h"
#include "iostuff.h"
#include "module.h"
#include "msg.h"
#include "mymalloc.h"
#include "tls_module.h"

static const TLS_MODULE *tls_mod;	/* the loaded module's table */
static VSTRING *tls_load_why;		/* why it could not be loaded */

/*
 * The util functions tls.c calls: it resolves them against the program
 * (-rdynamic), so every program that can load it must link them, even
 * when the program itself calls none.
 */
typedef void (*TLS_LOAD_FN)(void);
static const TLS_LOAD_FN tls_load_needs[] __attribute__((used)) = {
	(TLS_LOAD_FN)argv_split, (TLS_LOAD_FN)argv_free,
	(TLS_LOAD_FN)monotonic_ms, (TLS_LOAD_FN)non_blocking,
	(TLS_LOAD_FN)msg_warn, (TLS_LOAD_FN)msg_panic,
	(TLS_LOAD_FN)mymalloc, (TLS_LOAD_FN)myfree, (TLS_LOAD_FN)mystrdup,
	(TLS_LOAD_FN)vstream_set_io, (TLS_LOAD_FN)vstream_bufstat,
	(TLS_LOAD_FN)vstream_fileno, (TLS_LOAD_FN)vstring_sprintf,
	(TLS_LOAD_FN)vstring_sprintf_append, (TLS_LOAD_FN)vstring_alloc,
	(TLS_LOAD_FN)vstring_free,
};

int
tls_load(VSTRING *why)
{
	const TLS_MODULE *mod;
	VSTRING	*path, *reason;
	const char *r;
	size_t	 plen;
	int	 err;

	if (tls_mod != NULL)
		return 0;
	if (tls_load_why != NULL) {
		vstring_strcpy(why, vstring_str(tls_load_why));
		return -1;
	}
	path = vstring_alloc(64);
	reason = vstring_alloc(100);
	(void)module_path(TLS_MODULE_FILE, path, reason);
	if ((mod = module_load(TLS_MODULE_FILE, TLS_MODULE_SYMBOL,
	    reason)) == NULL) {
		err = errno;
		/* The reason names the file too (dlerror() does): once is enough. */
		r = vstring_str(reason);
		plen = vstring_len(path);
		if (plen > 0 && strncmp(r, vstring_str(path), plen) == 0
		    && strncmp(r + plen, ": ", 2) == 0)
			r += plen + 2;
		tls_load_why = vstring_alloc(100);
		vstring_sprintf(tls_load_why, "TLS support module %s could not "
		    "be loaded: %s%s", vstring_len(path) ? vstring_str(path) :
		    TLS_MODULE_FILE, r, err == ENOENT ? " (not built: "
		    "OpenSSL was missing at build time; or not installed)" : "");
	} else if (mod->version != TLS_MODULE_VERSION
	    || mod->size != sizeof(TLS_MODULE)) {
		tls_load_why = vstring_alloc(100);
		vstring_sprintf(tls_load_why, "TLS support module %s could not "
		    "be loaded: interface version %d, size %zu; this program "
		    "needs version %d, size %zu (a module of another build)",
		    vstring_str(path), mod->version, mod->size,
		    TLS_MODULE_VERSION, sizeof(TLS_MODULE));
	} else {
		tls_mod = mod;
	}
	vstring_free(path);
	vstring_free(reason);
	if (tls_mod != NULL)
		return 0;
	vstring_strcpy(why, vstring_str(tls_load_why));
	return -1;
}

/* The loaded module, for a call that needs a context or a session. */
static const TLS_MODULE *
tls_loaded(const char *fn)
{
	if (tls_mod == NULL)
		msg_panic("%s: no TLS module loaded", fn);
	return tls_mod;
}

TLS_CTX *
tls_ctx_create(const TLS_CTX_ARGS *a, VSTRING *why)
{
	if (tls_load(why) < 0)
		return NULL;
	return tls_mod->ctx_create(a, why);
}

void
tls_ctx_set_sni(TLS_CTX *ctx, const TLS_CTX_ARGS *base, TLS_SNI_LOOKUP fn,
    void *arg)
{
	tls_loaded("tls_ctx_set_sni")->ctx_set_sni(ctx, base, fn, arg);
}

void
tls_ctx_set_scache(TLS_CTX *ctx, const TLS_SCACHE_OPS *ops, void *arg,
    int timeout)
{
	tls_loaded("tls_ctx_set_scache")->ctx_set_scache(ctx, ops, arg, timeout);
}

void
tls_ctx_free(TLS_CTX *ctx)
{
	if (ctx != NULL)
		tls_loaded("tls_ctx_free")->ctx_free(ctx);
}

int
tls_protocol_range(const char *list, int *min, int *max, VSTRING *why)
{
	if (tls_load(why) < 0)
		return -1;
	return tls_mod->protocol_range(list, min, max, why);
}

const char *
tls_cipher_list(const char *grade)
{
	VSTRING	*why;

	if (tls_mod == NULL) {
		why = vstring_alloc(100);
		if (tls_load(why) < 0) {
			vstring_free(why);
			return NULL;
		}
		vstring_free(why);
	}
	return tls_mod->cipher_list(grade);
}

TLS_SESS *
tls_server_start(VSTREAM *stream, TLS_CTX *ctx, int timeout, VSTRING *why)
{
	return tls_loaded("tls_server_start")->server_start(stream, ctx,
	    timeout, why);
}

TLS_SESS *
tls_client_start(VSTREAM *stream, TLS_CTX *ctx, const char *servername,
    int timeout, VSTRING *why)
{
	return tls_loaded("tls_client_start")->client_start(stream, ctx,
	    servername, timeout, why);
}

TLS_SESS *
tls_client_resume(VSTREAM *stream, TLS_CTX *ctx, const char *servername,
    void *session, int timeout, VSTRING *why)
{
	return tls_loaded("tls_client_resume")->client_resume(stream, ctx,
	    servername, session, timeout, why);
}

TLS_SESS *
tls_client_dane(VSTREAM *stream, TLS_CTX *ctx, const char *basedomain,
    const TLS_DANE_RR *rr, int n, void *session, int timeout, VSTRING *why)
{
	return tls_loaded("tls_client_dane")->client_dane(stream, ctx,
	    basedomain, rr, n, session, timeout, why);
}

void   *
tls_session_get(const TLS_SESS *s)
{
	return tls_loaded("tls_session_get")->session_get(s);
}

void
tls_session_free(void *session)
{
	if (session != NULL)
		tls_loaded("tls_session_free")->session_free(session);
}

const TLS_INFO *
tls_info(const TLS_SESS *s)
{
	return tls_loaded("tls_info")->info(s);
}

void
tls_stop(VSTREAM *stream, TLS_SESS *s, int shutdown)
{
	if (s != NULL)
		tls_loaded("tls_stop")->stop(stream, s, shutdown);
}

int
tls_peer_match(const TLS_SESS *s, const char *name)
{
	return tls_loaded("tls_peer_match")->peer_match(s, name);
}

int
tls_peer_fingerprint(const TLS_SESS *s, const char *digest, VSTRING *cert_fp,
    VSTRING *pkey_fp)
{
	return tls_loaded("tls_peer_fingerprint")->peer_fingerprint(s, digest,
	    cert_fp, pkey_fp);
}

const char *
tls_level_text(const TLS_INFO *info)
{
	if (!info->peer_cert)
		return "Anonymous";
	if (info->matched)
		return "Verified";
	return info->trusted ? "Trusted" : "Untrusted";
}
