/*
 * NAME
 *	fuzz_smtpd - fuzz harness: the SMTP server session (src/smtpd)
 * DESCRIPTION
 *	The input is what a client sends: commands, MAIL and RCPT
 *	parameters, DATA content and BDAT chunks. smtpd's own code serves it
 *	(smtpd.c is compiled in, with its main() renamed), on a stream
 *	with no network (fuzz_stream), writing its queue files through the
 *	real cleanup stage into a private queue directory that is emptied
 *	after each input. The client is
 *	client.example.net[198.51.100.7], or [192.0.2.1] in mynetworks
 *	and allowed XCLIENT and XFORWARD. AUTH PLAIN and LOGIN are offered
 *	(the built-in back end, user@example.com with password "secret",
 *	a cheap SHA-256 crypt hash) and relaying is allowed after it.
 *
 *	The first input byte picks the variant: bit 0 the client address,
 *	bits 1-2 smtpd_forbid_bare_newline (no, normalize, reject), bit 3
 *	smtpd_delay_reject, bit 4 smtpd_helo_required, bit 5 reads in
 *	small pieces (as from a slow client; pipelining is detected from
 *	what is buffered), bit 6 smtpd_forbid_unauth_pipelining.
 *
 *	Every reply smtpd writes must be a well-formed reply line: three
 *	digits, a space or a hyphen, printable text and CRLF; no queue file
 *	may be left unfinished (in tmp/) at the end of the session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

#define main smtpd_main
#include "smtpd.c"
#undef main
#include "fuzz_smtpd.h"

static const char fuzz_main_cf[] =
"myhostname = mx.example.com\n"
"mydomain = example.com\n"
"myorigin = $mydomain\n"
"mydestination = $myhostname, localhost.$mydomain, $mydomain\n"
"relay_domains = relay.example\n"
"mynetworks = 127.0.0.0/8, 192.0.2.0/24, [2001:db8::]/32\n"
"alias_maps =\n"
"local_recipient_maps = inline:{ postmaster=x, root=x, user=x, user+ext=x, { q u = x } }\n"
"relay_recipient_maps = inline:{ @relay.example=x }\n"
"recipient_bcc_maps = inline:{ user@example.com=archive@example.com }\n"
"recipient_delimiter = +\n"
"smtpd_error_sleep_time = 0\n"
"smtpd_soft_error_limit = 5\n"
"smtpd_hard_error_limit = 30\n"
"smtpd_recipient_limit = 30\n"
"smtpd_junk_command_limit = 30\n"
"smtpd_peername_lookup = no\n"
"smtpd_authorized_xclient_hosts = 192.0.2.0/24\n"
"smtpd_authorized_xforward_hosts = 192.0.2.0/24\n"
"smtpd_sasl_auth_enable = yes\n"
"smtpd_sasl_type = postern\n"
"smtpd_sasl_password_maps = inline:{ user@example.com="
"$$5$$rounds=1000$$saltsalt$$eKLZU9t9OoPWrqOQsoTIKG0aYkZ5rGOoOQhiIvoSWX2 }\n"
"local_header_rewrite_clients = permit_mynetworks\n"
"message_size_limit = 65536\n"
"header_size_limit = 2048\n"
"line_length_limit = 1000\n"
"smtpd_client_restrictions = check_client_access inline:{ 198.51.100.66=REJECT }\n"
"smtpd_helo_restrictions = reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname,\n"
"    check_helo_access inline:{ bad.example=REJECT, hold.example=HOLD }\n"
"smtpd_sender_restrictions = reject_non_fqdn_sender,\n"
"    check_sender_access inline:{ spam@example.net=REJECT, discard@example.net=DISCARD }\n"
"smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated,\n"
"    reject_unauth_destination\n"
"smtpd_recipient_restrictions = reject_non_fqdn_recipient, reject_unlisted_recipient,\n"
"    check_recipient_access inline:{ hold@example.com=HOLD, { warn@example.com = WARN w } }\n"
"smtpd_data_restrictions = reject_unauth_pipelining\n"
"smtpd_end_of_data_restrictions = permit\n"
"disable_dns_lookups = yes\n";

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init("fuzz_smtpd");
	fuzz_smtpd_init(fuzz_main_cf);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const int bare_nl[] = {
		SMTPD_BARE_NL_NO, SMTPD_BARE_NL_NORMALIZE, SMTPD_BARE_NL_REJECT,
		SMTPD_BARE_NL_NORMALIZE,
	};
	VSTREAM	*stream;
	int	 v;

	if (len == 0)
		return 0;
	v = data[0];
	smtpd_conf = fuzz_conf_saved;
	smtpd_conf.bare_nl = bare_nl[(v >> 1) & 3];
	smtpd_conf.delay_reject = (v >> 3) & 1;
	smtpd_conf.helo_required = (v >> 4) & 1;
	smtpd_conf.forbid_unauth_pipe = (v >> 6) & 1;
	vstring_reset(fuzz_out);
	stream = fuzz_stream(data + 1, len - 1, (v & 0x20) ? 5 : 0, fuzz_out);

	fuzz_smtpd_session(stream, (v & 1) ? "192.0.2.1" : "198.51.100.7",
	    (v & 1) ? "unknown" : "client.example.net");
	return 0;
}
