/*
 * NAME
 *	fuzz_policy - fuzz harness: the replies of a policy server
 *	(src/smtpd/smtpd_policy.c, check_policy_service, and the access
 *	actions of smtpd_access.c it hands them to)
 * DESCRIPTION
 *	The input is everything a policy server (postgrey, policyd-spf)
 *	sends back: "name=value" lines, "action=..." among them, each reply
 *	ended by an empty line, over one or more connections
 *	(fuzz_peer_start: each connection gets what is left), cut
 *	anywhere. smtpd's own code (smtpd.c compiled in, with its main()
 *	renamed, as in fuzz_smtpd) serves a fixed client session on a
 *	stream with no network: EHLO, MAIL, three RCPT, DATA, a message,
 *	a second transaction, QUIT. check_policy_service asks the server
 *	at RCPT (smtpd_recipient_restrictions), at DATA and at the end of
 *	the message, so the replies are read at every stage, reusing the
 *	connection. smtpd_policy.c is compiled in too (mk/fuzz.mk leaves
 *	its object out) so that the cached connection can be closed after
 *	each input, as a new smtpd process would start.
 *
 *	The first input byte picks the variant: bit 0 smtpd_delay_reject,
 *	bit 1 the client in mynetworks; bits 2-3 the try limit (1-4).
 *
 *	Every reply smtpd writes must be a well-formed reply line and no
 *	queue file may be left unfinished (fuzz_smtpd_session).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

#define main smtpd_main
#include "smtpd.c"
#undef main
#include "smtpd_policy.c"
#include "fuzz_smtpd.h"

static int listen_fd = -1;

static const char fuzz_session_text[] =
"EHLO client.example.net\r\n"
"MAIL FROM:<sender@example.net> SIZE=100\r\n"
"RCPT TO:<user@example.com>\r\n"
"RCPT TO:<postmaster@example.com>\r\n"
"RCPT TO:<root@example.com>\r\n"
"DATA\r\n"
"Subject: test\r\n"
"\r\n"
"body\r\n"
".\r\n"
"MAIL FROM:<>\r\n"
"RCPT TO:<user@example.com>\r\n"
"DATA\r\n"
"\r\n"
".\r\n"
"QUIT\r\n";

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	VSTRING	*cf = vstring_alloc(1000);
	char	 sock_path[256];

	fuzz_init("fuzz_policy");
	signal(SIGPIPE, SIG_IGN);
	snprintf(sock_path, sizeof(sock_path), "%s/policy", fuzz_tmpdir());
	listen_fd = fuzz_peer_listen(sock_path);
	vstring_sprintf(cf,
	    "myhostname = mx.example.com\n"
	    "mydomain = example.com\n"
	    "mydestination = $myhostname, $mydomain\n"
	    "mynetworks = 127.0.0.0/8, 192.0.2.0/24\n"
	    "alias_maps =\n"
	    "local_recipient_maps = inline:{ postmaster=x, root=x, user=x }\n"
	    "smtpd_error_sleep_time = 0\n"
	    "smtpd_peername_lookup = no\n"
	    "smtpd_forbid_unauth_pipelining = no\n"
	    "message_size_limit = 65536\n"
	    "smtpd_policy_service_retry_delay = 0\n"
	    "smtpd_policy_service_timeout = 5s\n"
	    "smtpd_recipient_restrictions = permit_mynetworks,\n"
	    "    check_policy_service unix:%s, reject_unauth_destination\n"
	    "smtpd_data_restrictions = check_policy_service unix:%s\n"
	    "smtpd_end_of_data_restrictions = check_policy_service unix:%s\n"
	    "disable_dns_lookups = yes\n", sock_path, sock_path, sock_path);
	fuzz_smtpd_init(vstring_str(cf));
	vstring_free(cf);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	SMTPD_POLICY *p;
	VSTREAM	*stream;
	int	 v;

	if (len == 0)
		return 0;
	v = data[0];
	smtpd_conf = fuzz_conf_saved;
	smtpd_conf.delay_reject = v & 1;
	for (p = smtpd_policies; p; p = p->next)
		p->try_limit = 1 + ((v >> 2) & 3);
	fuzz_peer_start(listen_fd, data + 1, len - 1);
	vstring_reset(fuzz_out);
	stream = fuzz_stream((const uint8_t *)fuzz_session_text,
	    sizeof(fuzz_session_text) - 1, 0, fuzz_out);

	fuzz_smtpd_session(stream, (v & 2) ? "192.0.2.1" : "198.51.100.7",
	    "client.example.net");
	/* As a new smtpd process: no connection left to the server. */
	for (p = smtpd_policies; p; p = p->next)
		smtpd_policy_close(p);
	fuzz_peer_stop();
	return 0;
}
