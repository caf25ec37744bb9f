/*
 * NAME
 *	fuzz_dovecot - fuzz harness: what a Dovecot auth server sends
 *	(src/global/xsasl_dovecot.c: the handshake and the replies to AUTH)
 * DESCRIPTION
 *	The first input byte chooses the session: its low six bits are the
 *	security options (XSASL_SEC_*), bit 6 says the session is
 *	encrypted, bit 7 that the first AUTH carries an initial response.
 *	The rest is everything the auth server sends back, over one or more
 *	connections (fuzz_peer_start: each connection gets what is left):
 *	the VERSION/MECH/SPID/CUID/COOKIE/DONE handshake, then OK, CONT or
 *	FAIL lines, cut anywhere. One session asks for the mechanism list,
 *	authenticates with the first mechanism offered (PLAIN when there is
 *	none) and answers up to four challenges; a second session on the
 *	same back end then tries again, as the next SMTP client would.
 *
 *	Checked: a mechanism list is space-separated names of letters,
 *	digits, '-' and '_', at most 20, each once and of at most 20
 *	characters (RFC 4422; the EHLO line stays short); each result is one of XSASL_AUTH_*; a success
 *	has a user name, not an empty one; a failure has a reason.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "argv.h"
#include "xsasl.h"
#include "fuzz.h"

#define FD_MAX_CONT	4		/* challenges answered per session */

static char sock_path[256];
static int listen_fd = -1;
static VSTRING *why, *reply;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init("fuzz_dovecot");
	signal(SIGPIPE, SIG_IGN);
	why = vstring_alloc(100);
	reply = vstring_alloc(100);
	snprintf(sock_path, sizeof(sock_path), "%s/auth", fuzz_tmpdir());
	listen_fd = fuzz_peer_listen(sock_path);
	return 0;
}

/* A mechanism list as smtpd would offer it in EHLO. */
static void
fuzz_check_mechs(const char *mechs)
{
	ARGV	*names = argv_split(mechs, " ");

	/* At most 20 names of at most 20 characters, each once. */
	if (names->argc > 20)
		abort();
	for (size_t i = 0; i < names->argc; i++) {
		if (strlen(names->argv[i]) > 20)
			abort();
		for (size_t j = 0; j < i; j++)
			if (strcasecmp(names->argv[i], names->argv[j]) == 0)
				abort();
	}
	argv_free(names);
	for (const char *p = mechs; *p; p++) {
		if (*p == ' ') {
			if (p == mechs || p[1] == ' ' || p[1] == 0)
				abort();
		} else if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z')
		    && !(*p >= '0' && *p <= '9') && *p != '-' && *p != '_')
			abort();
	}
}

static void
fuzz_session(XSASL_SERVER_IMPL *impl, int opts)
{
	XSASL_SERVER_ARGS args = {
		.service = "smtp", .realm = "", .client_addr = "192.0.2.1",
		.client_port = 4321, .server_addr = "192.0.2.2",
		.server_port = 25, .sec = opts & 0x3f, .tls = (opts >> 6) & 1,
	};
	XSASL_SERVER *s;
	const char *mechs, *user;
	char	 mech[64];
	size_t	 n;
	int	 r;

	s = impl->create(impl, &args);
	mechs = s->mechs(s, why);
	snprintf(mech, sizeof(mech), "PLAIN");
	if (mechs != NULL) {
		fuzz_check_mechs(mechs);
		if ((n = strcspn(mechs, " ")) > 0 && n < sizeof(mech))
			snprintf(mech, sizeof(mech), "%.*s", (int)n, mechs);
	}
	r = s->first(s, mech, (opts & 0x80) ? "AHVzZXIAc2VjcmV0" : NULL, reply);
	for (int i = 0; r == XSASL_AUTH_MORE && i < FD_MAX_CONT; i++)
		r = s->next(s, i == 2 ? "not base64!" : "dXNlcg==", reply);
	switch (r) {
	case XSASL_AUTH_DONE:
		if ((user = s->username(s)) == NULL || *user == 0)
			abort();
		break;
	case XSASL_AUTH_FAIL:
	case XSASL_AUTH_TEMP:
		if (*vstring_str(reply) == 0)
			abort();
		break;
	case XSASL_AUTH_MORE:
		break;
	default:
		abort();
	}
	s->free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	XSASL_SERVER_IMPL *impl;

	if (len == 0)
		return 0;
	fuzz_peer_start(listen_fd, data + 1, len - 1);
	if ((impl = xsasl_server_init("dovecot", sock_path, why)) == NULL)
		abort();
	fuzz_session(impl, data[0]);
	fuzz_session(impl, data[0]);
	impl->done(impl);
	fuzz_peer_stop();
	return 0;
}
