/*
 * NAME
 *	fuzz_milter - fuzz harness: the milter reply reader (src/global:
 *	milter8.c, milter8_msg.c)
 * DESCRIPTION
 *	The input is everything a milter sends back, as one byte stream:
 *	packets (4-byte length, command, data) in any order and number,
 *	cut anywhere, sent by a thread that plays the milter on a
 *	UNIX-domain socket in the private directory (fuzz_peer_start). The MTA side runs one session through
 *	milter8_*: connect (option negotiation, SETSYMLIST lists), HELO,
 *	MAIL, RCPT, DATA, an unknown command, then a message (headers, a
 *	body of a few lines) whose end-of-message replies may modify it,
 *	and a second MAIL, as smtpd does.
 *
 *	Checked: every reply an event returns is null, "D", "H" or one
 *	complete "[45]XX text" reply line (no continuation "[45]XX-", no
 *	CR or LF: smtpd sends it as one line); every string handed to the
 *	edit callbacks is a C string (its length is read), a header name
 *	has no colon or white space, and replaced body data is read whole
 *	(a bare CR before a CRLF stays, as a line that ends in CR: bare
 *	CRs are issue 13 item 10, not checked here).
 */
#include <sys/socket.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "milter.h"
#include "mymalloc.h"
#include "fuzz.h"

static char sock_path[256];
static char milter_name[300];
static int listen_fd = -1;
static MILTER_CONF conf;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init("fuzz_milter");
	signal(SIGPIPE, SIG_IGN);
	snprintf(sock_path, sizeof(sock_path), "%s/milter", fuzz_tmpdir());
	snprintf(milter_name, sizeof(milter_name), "unix:%s", sock_path);
	listen_fd = fuzz_peer_listen(sock_path);
	memset(&conf, 0, sizeof(conf));
	conf.connect_timeout = 5;
	conf.command_timeout = 5;
	conf.content_timeout = 5;
	conf.protocol = 6;
	conf.default_action = mystrdup("tempfail");
	conf.macros[MILTER_MAC_CONNECT] = argv_split("j {daemon_name} v", " ");
	conf.macros[MILTER_MAC_MAIL] = argv_split("i {mail_addr}", " ");
	return 0;
}

static const char *
fuzz_milter_mac(void *ctx, const char *name)
{
	if (strcmp(name, "i") == 0)
		return "4XyZ1234";
	if (strcmp(name, "j") == 0)
		return "mx.example.com";
	if (strcmp(name, "{mail_addr}") == 0)
		return "a@example.com";
	return NULL;
}

/*
 * A reply from an event: null, "D" (discard), "H" (hold), or an SMTP
 * reply of one or more lines separated by CRLF, each with the same
 * [45]XX code and '-' after it on all lines but the last, ' ' on the
 * last; no other CR or LF.
 */
static void
fuzz_milter_check(const char *r)
{
	const char *line, *end;

	if (r == NULL || strcmp(r, "D") == 0 || strcmp(r, "H") == 0)
		return;
	for (line = r; ; line = end + 2) {
		end = line + strcspn(line, "\r\n");
		if ((line[0] != '4' && line[0] != '5') || line[1] < '0'
		    || line[1] > '9' || line[2] < '0' || line[2] > '9'
		    || strncmp(line, r, 3) != 0 || end - line < 4
		    || line[3] != (*end ? '-' : ' '))
			abort();
		if (*end == 0)
			return;
		if (end[0] != '\r' || end[1] != '\n' || end[2] == 0)
			abort();
	}
}

static size_t fuzz_sink;		/* keeps strlen() calls */

static int
fuzz_hdr(const char *name, const char *value)
{
	if (*name == 0 || strpbrk(name, ": \t\r\n") != NULL)
		abort();
	fuzz_sink += strlen(value);
	return 0;
}

static int
fuzz_add_header(void *ctx, const char *name, const char *value)
{
	return fuzz_hdr(name, value);
}

static int
fuzz_ins_header(void *ctx, int index, const char *name, const char *value)
{
	if (index < 0)
		abort();
	return fuzz_hdr(name, value);
}

static int
fuzz_addr_args(void *ctx, const char *addr, const char *args)
{
	fuzz_sink += strlen(addr) + strlen(args);
	return 0;
}

static int
fuzz_del_rcpt(void *ctx, const char *addr)
{
	fuzz_sink += strlen(addr);
	return 0;
}

static int
fuzz_repl_body(void *ctx, int phase, const char *buf, size_t len)
{
	if (phase < MILTER_BODY_START || phase > MILTER_BODY_END
	    || (phase != MILTER_BODY_DATA && len != 0))
		abort();
	for (size_t i = 0; i < len; i++)
		fuzz_sink += (unsigned char)buf[i];
	return 0;
}

static int
fuzz_hold(void *ctx, const char *reason)
{
	fuzz_sink += strlen(reason);
	return 0;
}

static const MILTER_EDIT_OPS fuzz_ops = {
	fuzz_add_header, fuzz_ins_header, fuzz_ins_header, fuzz_addr_args,
	fuzz_addr_args, fuzz_del_rcpt, fuzz_repl_body, fuzz_hold,
};

static ARGV *fuzz_hdrs;

static ARGV *
fuzz_msg_headers(void *ctx)
{
	return fuzz_hdrs;
}

static int
fuzz_msg_body(void *ctx, MILTER_BODY_FN fn, void *fnctx)
{
	static const char *lines[] = { "Hello,", "", ".dot", "bye" };

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (fn(fnctx, lines[i], strlen(lines[i])) < 0)
			return -1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	MILTER_MSG msg = { fuzz_msg_headers, fuzz_msg_body, NULL };
	MILTER	*m;
	ARGV	*args;

	if (fuzz_hdrs == NULL)
		fuzz_hdrs = argv_split("From:\ta@example.com|Subject: hi|X-Empty:",
		    "|");
	fuzz_peer_start(listen_fd, data, len);
	m = milter8_create(milter_name, &conf);
	fuzz_milter_check(milter8_conn_event(m, "client.example.com",
	    "192.0.2.1", 4321, AF_INET, fuzz_milter_mac, NULL));
	if (milter8_wants_rcpt_rej(m))
		fuzz_sink++;
	fuzz_milter_check(milter8_helo_event(m, "client.example.com",
	    fuzz_milter_mac, NULL));
	args = argv_split("<a@example.com> SIZE=100", " ");
	fuzz_milter_check(milter8_mail_event(m, args, fuzz_milter_mac, NULL));
	argv_free(args);
	args = argv_split("<b@example.com>", " ");
	fuzz_milter_check(milter8_rcpt_event(m, args, fuzz_milter_mac, NULL));
	argv_free(args);
	fuzz_milter_check(milter8_data_event(m, fuzz_milter_mac, NULL));
	fuzz_milter_check(milter8_unknown_event(m, "XFOO bar",
	    fuzz_milter_mac, NULL));
	fuzz_milter_check(milter8_message(m, &msg, fuzz_milter_mac, NULL,
	    &fuzz_ops, NULL));
	args = argv_split("<c@example.com>", " ");
	fuzz_milter_check(milter8_mail_event(m, args, fuzz_milter_mac, NULL));
	argv_free(args);
	milter8_abort(m);
	milter8_free(m);
	/* The MTA's side is closed: the peer sees end of file. */
	fuzz_peer_stop();
	return 0;
}
