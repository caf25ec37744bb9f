/*
 * NAME
 *	fuzz_smtp_body - fuzz harness: message content on its way out
 *	(src/smtp: smtp_body.c, smtp_mime.c)
 * DESCRIPTION
 *	The input is the content of a message (header and body, LF lines,
 *	whatever a sender put in it). It is written to a real queue file
 *	and sent by smtp_body_send(): split into lines and pieces,
 *	dot-stuffed, folded at smtp_line_length_limit, and with the
 *	downgrade variant converted from 8-bit MIME to quoted-printable
 *	(multipart and message/rfc822 structure followed).
 *
 *	The first input byte picks the variant: bit 0 the 8-bit to 7-bit
 *	conversion, bit 1 a short smtp_line_length_limit (78), bit 2 tight
 *	MIME limits (nesting 3, boundaries of 20 bytes), bit 3
 *	smtp_generic_maps (smtp_generic.c: the header section is parsed
 *	and its address fields rewritten, some to longer addresses, before
 *	it is sent).
 *
 *	Checked: the output ends with the one "." line, and no line before
 *	it is a lone "." (that would end the DATA early and let the rest be
 *	read as commands); every LF is part of a CRLF. (Bare CRs are the
 *	subject of their own work, issue 13 item 10, and not checked here.)
 */
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mail_conf.h"
#include "mymalloc.h"
#include "qfile.h"
#include "smtp.h"
#include "fuzz.h"

static VSTRING *to_server, *why;
static SMTP_CONF fuzz_cf_saved;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init("fuzz_smtp_body");
	fuzz_main_cf_load("myhostname = client.example.com\n"
	    "disable_dns_lookups = yes\n"
	    "smtp_generic_maps = inline:{ a@example.com=a.much.longer.address"
	    "@a-long-domain.example.net, @lan.example=@out.example, "
	    "{\"q u\"@example.com = x@y.example} }\n");
	smtp_conf_load("smtp", "smtp");
	fuzz_cf_saved = smtp_cf;
	why = vstring_alloc(100);
	if (qf_make_dirs(smtp_cf.queue_dir, (uid_t)-1, (gid_t)-1, why) < 0)
		abort();
	to_server = vstring_alloc(4096);
	return 0;
}

/* The DATA stream: one final ".", no early one, CRLF line ends. */
static void
fuzz_body_check(const char *s, size_t len)
{
	const char *end;

	if (len < 3 || memcmp(s + len - 3, ".\r\n", 3) != 0)
		goto bad;
	if (len > 3 && (len < 5 || memcmp(s + len - 5, "\r\n", 2) != 0))
		goto bad;
	if (len >= 3 && memcmp(s, ".\r\n", 3) == 0 && len != 3)
		goto bad;
	for (end = s; (end = memmem(end, s + len - end, "\r\n.\r\n", 5)) != NULL; end++)
		if (end + 5 != s + len)
			goto bad;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			goto bad;
	return;
bad:
	fprintf(stderr, "fuzz_smtp_body: bad DATA stream (%zu bytes)\n", len);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	SMTP_SESS sess;
	SMTP_REQ req;
	VSTREAM	*server;
	int	 v;

	if (len == 0)
		return 0;
	v = data[0];
	smtp_cf = fuzz_cf_saved;
	if (v & 2)
		smtp_cf.line_limit = 78;
	if (v & 4) {
		smtp_cf.mime_nesting = 3;
		smtp_cf.mime_boundary_len = 20;
	}
	if (!(v & 8))
		smtp_cf.generic = NULL;
	vstring_reset(to_server);
	server = fuzz_stream(NULL, 0, 0, to_server);
	memset(&sess, 0, sizeof(sess));
	sess.stream = server;
	sess.namaddr = vstring_alloc(50);
	vstring_strcpy(sess.namaddr, "mx.example.com[192.0.2.25]");
	sess.line = vstring_alloc(100);
	sess.resp.text = vstring_alloc(100);
	sess.resp.first = vstring_alloc(100);
	sess.resp.lines = argv_alloc(2);
	memset(&req, 0, sizeof(req));
	req.msg = fuzz_queue_file(smtp_cf.queue_dir, data + 1, len - 1, 0);
	req.dr.queue_id = req.msg->id;
	req.dr.arrival = (double)time(NULL);
	req.dr.sender = "a@example.com";
	req.has8bit = smtp_body_has8(&req);
	if (smtp_cf.generic && smtp_generic_prepare(&req) < 0)
		abort();		/* an inline: table cannot fail */
	if (req.gen_hdr && (req.gen_off < 0 || req.gen_off > req.msg->content_size))
		abort();

	if (smtp_body_send(&req, &sess, v & 1) < 0)
		abort();
	vstream_fflush(server);
	fuzz_body_check(vstring_str(to_server), vstring_len(to_server));

	(void)qf_remove(smtp_cf.queue_dir, QF_INCOMING, req.msg->id);
	smtp_generic_free(&req);
	qf_close(req.msg);
	vstream_fclose(server);
	vstring_free(sess.namaddr);
	vstring_free(sess.line);
	vstring_free(sess.resp.text);
	vstring_free(sess.resp.first);
	argv_free(sess.resp.lines);
	return 0;
}
