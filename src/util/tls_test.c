/*
 * tls_test - unit tests for tls: loading the module (this build's tls.so,
 * and clean failures when it is missing or broken), protocol lists,
 * cipher grades, and a real handshake over a socket pair (server in a
 * child process) with a throwaway self-signed certificate made at run
 * time.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "module.h"
#include "msg.h"
#include "mymalloc.h"
#include "ptest.h"
#include "tls.h"

static char cert_path[64];

/* Where the module is: this build's bin directory (the Makefile says). */
static const char *module_dir = TLS_TEST_MODULE_DIR;

static const char *
test_module_dir(void)
{
	return module_dir;
}

/*
 * In a child (a failed load is remembered for the process): load from
 * dir, expect failure with text in the reason. 0 when it went so.
 */
static int
load_fails(const char *dir, const char *text)
{
	TLS_CTX_ARGS a = {.server = 0};
	int	 status;
	pid_t	 pid;

	if ((pid = fork()) == 0) {
		VSTRING	*why = vstring_alloc(10);
		int	 min, max;

		module_dir = dir;
		if (tls_ctx_create(&a, why) != NULL)
			_exit(1);
		if (strncmp(vstring_str(why), "TLS support module ", 19) != 0
		    || strstr(vstring_str(why), "could not be loaded: ") == NULL
		    || strstr(vstring_str(why), text) == NULL) {
			printf("unexpected reason: %s\n", vstring_str(why));
			fflush(stdout);
			_exit(2);
		}
		/* Later calls fail alike, at once. */
		if (tls_protocol_range("", &min, &max, why) != -1
		    || strstr(vstring_str(why), text) == NULL
		    || tls_cipher_list("medium") != NULL)
			_exit(3);
		tls_stop(NULL, NULL, 1);	/* no session: no module needed */
		tls_session_free(NULL);
		tls_ctx_free(NULL);
		_exit(0);
	}
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0 ? 0 : -1;
}

PTEST(module_missing_or_broken)
{
	char	 dir[] = "/tmp/tls_test.dXXXXXX", path[64];
	FILE	*fp;

	PT_INTEQ(load_fails("/nonexistent", "module /nonexistent/tls.so could "
	    "not be loaded: No such file or directory (not built"), 0);
	PT_ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/tls.so", dir);
	PT_ASSERT((fp = fopen(path, "w")) != NULL);
	for (int i = 0; i < 16; i++)
		fputs("not an ELF object\n", fp);
	fclose(fp);
	PT_ASSERT(chmod(path, 0644) == 0);
	/* dlopen()'s reason, after the path named once. */
	PT_INTEQ(load_fails(dir, "tls.so could not be loaded: invalid ELF "
	    "header"), 0);
	PT_ASSERT(chmod(path, 0666) == 0);
	PT_INTEQ(load_fails(dir, "writable only by its owner"), 0);
	unlink(path);
	rmdir(dir);
}

PTEST(module_load)
{
	VSTRING	*why = vstring_alloc(10);

	PT_INTEQ(tls_load(why), 0);
	PT_INTEQ(tls_load(why), 0);		/* once */
	vstring_free(why);
}

PTEST(protocols)
{
	VSTRING	*why = vstring_alloc(10);
	int	 min, max;

	PT_INTEQ(tls_protocol_range("", &min, &max, why), 0);
	PT_INTEQ(min, TLS1_VERSION);
	PT_INTEQ(max, 0);
	PT_INTEQ(tls_protocol_range("!SSLv2, !SSLv3, !TLSv1, !TLSv1.1", &min,
	    &max, why), 0);
	PT_INTEQ(min, TLS1_2_VERSION);
	PT_INTEQ(max, 0);
	PT_INTEQ(tls_protocol_range(">=TLSv1.2", &min, &max, why), 0);
	PT_INTEQ(min, TLS1_2_VERSION);
	PT_INTEQ(tls_protocol_range("<=TLSv1.2 >=TLSv1.1", &min, &max, why), 0);
	PT_INTEQ(min, TLS1_1_VERSION);
	PT_INTEQ(max, TLS1_2_VERSION);
	PT_INTEQ(tls_protocol_range("TLSv1.2", &min, &max, why), 0);
	PT_INTEQ(min, TLS1_2_VERSION);
	PT_INTEQ(max, TLS1_2_VERSION);
	PT_INTEQ(tls_protocol_range("!TLSv1.3", &min, &max, why), 0);
	PT_INTEQ(max, TLS1_2_VERSION);
	PT_INTEQ(tls_protocol_range("TLSv9", &min, &max, why), -1);
	PT_ASSERT(strstr(vstring_str(why), "TLSv9") != NULL);
	PT_INTEQ(tls_protocol_range("!TLSv1 !TLSv1.1 !TLSv1.2 !TLSv1.3", &min,
	    &max, why), -1);
	vstring_free(why);
}

PTEST(ciphers)
{
	PT_ASSERT(tls_cipher_list("medium") != NULL);
	PT_ASSERT(tls_cipher_list("HIGH") != NULL);
	PT_ASSERT(tls_cipher_list("") != NULL);
	PT_ASSERT(tls_cipher_list("bogus") == NULL);
}

/* A self-signed P-256 certificate for "localhost", key and cert in one file. */
static int
make_cert(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509	*x = X509_new();
	X509_NAME *name;
	FILE	*fp;
	int	 fd, ok;

	snprintf(cert_path, sizeof(cert_path), "/tmp/tls_test.XXXXXX");
	if (k == NULL || x == NULL || (fd = mkstemp(cert_path)) < 0)
		return -1;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, name);
	ok = X509_sign(x, k, EVP_sha256()) > 0 && (fp = fdopen(fd, "w")) != NULL;
	ok = ok && PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL) &&
	    PEM_write_X509(fp, x);
	ok = ok && fclose(fp) == 0;
	X509_free(x);
	EVP_PKEY_free(k);
	return ok ? 0 : -1;
}

/* The server side, in the child: echo one line over TLS. */
static void
serve(int fd)
{
	TLS_CTX_ARGS a = {.server = 1, .cert_file = cert_path,
	.protocols = "!SSLv2, !SSLv3", .ciphers = "medium"};
	VSTRING	*why = vstring_alloc(10), *line = vstring_alloc(10);
	VSTREAM	*st = vstream_fdopen(fd, VSTREAM_FLAG_RW);
	TLS_CTX	*ctx = tls_ctx_create(&a, why);
	TLS_SESS *s;

	vstream_set_timeout(st, 5);
	if (ctx == NULL || (s = tls_server_start(st, ctx, 5, why)) == NULL)
		_exit(2);
	if (vstream_get_line(st, line, 100, VSTREAM_GL_CRLF) != VSTREAM_LINE_OK)
		_exit(3);
	vstream_fprintf(st, "echo: %s\r\n", vstring_str(line));
	if (vstream_fflush(st) < 0)
		_exit(4);
	tls_stop(st, s, 1);
	_exit(0);
}

/* Client side of one exchange against a forked server; 0 or -1. */
static int
exchange(const char *servername, const char *cafile, TLS_INFO *out,
    VSTRING *reply, VSTRING *fp, VSTRING *pkfp)
{
	TLS_CTX_ARGS a = {.server = 0, .CAfile = cafile, .protocols = ">=TLSv1.2"};
	VSTRING	*why = vstring_alloc(10);
	TLS_CTX	*ctx = tls_ctx_create(&a, why);
	VSTREAM	*st;
	TLS_SESS *s;
	int	 sv[2], status, r = -1;
	pid_t	 pid;

	if (ctx == NULL || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	if ((pid = fork()) == 0) {
		close(sv[0]);
		serve(sv[1]);
	}
	close(sv[1]);
	st = vstream_fdopen(sv[0], VSTREAM_FLAG_RW);
	vstream_set_timeout(st, 5);
	if ((s = tls_client_start(st, ctx, servername, 5, why)) != NULL) {
		*out = *tls_info(s);
		if (fp && tls_peer_fingerprint(s, "sha256", fp, pkfp) < 0)
			vstring_strcpy(fp, "failed");
		vstream_fputs(st, "hello\r\n");
		if (vstream_fflush(st) == 0 && vstream_get_line(st, reply, 100,
		    VSTREAM_GL_CRLF) == VSTREAM_LINE_OK)
			r = 0;
		tls_stop(st, s, 1);
	}
	vstream_fclose(st);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		r = -1;
	tls_ctx_free(ctx);
	vstring_free(why);
	return r;
}

PTEST(handshake_verified)
{
	TLS_INFO info;
	VSTRING	*reply = vstring_alloc(10);

	PT_INTEQ(exchange("localhost", cert_path, &info, reply, NULL, NULL), 0);
	PT_STREQ(vstring_str(reply), "echo: hello");
	PT_ASSERT(strncmp(info.protocol, "TLSv1.", 6) == 0);
	PT_ASSERT(info.bits >= 128);
	PT_ASSERT(info.peer_cert && info.trusted && info.matched);
	PT_STREQ(info.peer_cn, "localhost");
	PT_STREQ(tls_level_text(&info), "Verified");
	vstring_free(reply);
}

PTEST(handshake_untrusted_and_mismatch)
{
	TLS_INFO info;
	VSTRING	*reply = vstring_alloc(10);

	PT_INTEQ(exchange("localhost", NULL, &info, reply, NULL, NULL), 0);
	PT_ASSERT(info.peer_cert && !info.trusted && !info.matched);
	PT_STREQ(tls_level_text(&info), "Untrusted");
	PT_INTEQ(exchange("other.example", cert_path, &info, reply, NULL,
	    NULL), 0);
	PT_ASSERT(info.trusted && !info.matched);
	PT_STREQ(tls_level_text(&info), "Trusted");
	vstring_free(reply);
}

/* Hex with ":" of a digest, as tls_peer_fingerprint() writes it. */
static void
hex_fp(const unsigned char *md, unsigned len, char *out)
{
	*out = 0;
	for (unsigned i = 0; i < len; i++)
		out += sprintf(out, "%s%02X", i ? ":" : "", md[i]);
}

PTEST(peer_fingerprint)
{
	TLS_INFO info;
	VSTRING	*reply = vstring_alloc(10), *fp = vstring_alloc(10);
	VSTRING	*pkfp = vstring_alloc(10);
	unsigned char md[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned len;
	char	 want[3 * EVP_MAX_MD_SIZE + 1];
	FILE	*f = fopen(cert_path, "r");
	X509	*x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	int	 dlen;

	if (f)
		fclose(f);
	PT_ASSERT(x != NULL);
	PT_INTEQ(exchange("localhost", NULL, &info, reply, fp, pkfp), 0);
	/* The certificate's DER, and the public key's SubjectPublicKeyInfo. */
	PT_ASSERT(X509_digest(x, EVP_sha256(), md, &len) == 1);
	hex_fp(md, len, want);
	PT_STREQ(vstring_str(fp), want);
	PT_ASSERT((dlen = i2d_PUBKEY(X509_get0_pubkey(x), &der)) > 0);
	PT_ASSERT(EVP_Digest(der, (size_t)dlen, md, &len, EVP_sha256(), NULL) == 1);
	hex_fp(md, len, want);
	PT_STREQ(vstring_str(pkfp), want);
	PT_INTEQ(strlen(want), 32 * 3 - 1);
	OPENSSL_free(der);
	X509_free(x);
	vstring_free(reply);
	vstring_free(fp);
	vstring_free(pkfp);
}

PTEST(handshake_timeout)
{
	TLS_CTX_ARGS a = {.server = 0};
	VSTRING	*why = vstring_alloc(10);
	TLS_CTX	*ctx = tls_ctx_create(&a, why);
	VSTREAM	*st;
	int	 sv[2];

	PT_ASSERT(ctx != NULL);
	PT_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	st = vstream_fdopen(sv[0], VSTREAM_FLAG_RW);
	/* The peer never answers: the handshake must give up in time. */
	PT_ASSERT(tls_client_start(st, ctx, "localhost", 1, why) == NULL);
	PT_ASSERT(strstr(vstring_str(why), "timed out") != NULL);
	/* The peer talks garbage: a clean failure, not a crash. */
	PT_ASSERT(write(sv[1], "220 not tls at all\r\n", 20) == 20);
	PT_ASSERT(tls_client_start(st, ctx, "localhost", 1, why) == NULL);
	vstream_fclose(st);
	close(sv[1]);
	tls_ctx_free(ctx);
	vstring_free(why);
}

PTEST(bad_files)
{
	TLS_CTX_ARGS a = {.server = 1, .cert_file = "/nonexistent/cert.pem"};
	VSTRING	*why = vstring_alloc(10);

	PT_ASSERT(tls_ctx_create(&a, why) == NULL);
	PT_ASSERT(strstr(vstring_str(why), "certificate") != NULL);
	a.cert_file = cert_path;
	a.ciphers = "bogus";
	PT_ASSERT(tls_ctx_create(&a, why) == NULL);
	vstring_free(why);
}

int
main(void)
{
	module_dir_hook(test_module_dir);
	PT_RUN(module_missing_or_broken);
	PT_RUN(module_load);
	PT_RUN(protocols);
	PT_RUN(ciphers);
	if (make_cert() < 0) {
		printf("FAIL make_cert\n");
		return 1;
	}
	PT_RUN(handshake_verified);
	PT_RUN(handshake_untrusted_and_mismatch);
	PT_RUN(peer_fingerprint);
	PT_RUN(handshake_timeout);
	PT_RUN(bad_files);
	unlink(cert_path);
	return PT_DONE();
}
