/*
 * smtp_mime_test - unit tests for the content writer (smtp_out_text), the
 * 8-bit to quoted-printable converter (smtp_mime) and nexthop parsing
 * (smtp_addr_nexthop). Output goes to a temporary file through a VSTREAM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mymalloc.h"
#include "ptest.h"
#include "smtp.h"

static char out_buf[65536];

/* run - feed LF-terminated text through the converter (or not) */
static const char *
run(const char *text, int mime, long limit)
{
	SMTP_SESS sess;
	SMTP_OUT out;
	SMTP_MIME *m = NULL;
	FILE	*fp = tmpfile();
	const char *p, *nl;
	size_t	 n;

	memset(&sess, 0, sizeof(sess));
	sess.stream = vstream_fdopen(dup(fileno(fp)), VSTREAM_FLAG_WRITE);
	out.sess = &sess;
	out.col = 0;
	out.err = 0;
	smtp_cf.line_limit = limit;
	if (mime)
		m = smtp_mime_create(&out, 100, 2048);
	for (p = text; *p; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p) - 1;
		if (m)
			smtp_mime_line(m, p, nl - p, 1);
		else
			smtp_out_text(&out, p, nl - p, 1);
	}
	if (m)
		smtp_mime_free(m);
	vstream_fclose(sess.stream);
	rewind(fp);
	n = fread(out_buf, 1, sizeof(out_buf) - 1, fp);
	out_buf[n] = 0;
	fclose(fp);
	return out_buf;
}

PTEST(dot_stuffing_and_crlf)
{
	PT_STREQ(run(".a\n..b\nc.\n.\n", 0, 998), "..a\r\n...b\r\nc.\r\n..\r\n");
}

PTEST(bare_cr_and_lf_end_lines)
{
	/* Issue 13 #10: no bare CR or LF ever goes out; "." stays stuffed. */
	PT_STREQ(run("text\r.\r\n", 0, 998), "text\r\n..\r\n");
	PT_STREQ(run("a\r.\rMAIL FROM:<x>\n", 0, 998),
	    "a\r\n..\r\nMAIL FROM:<x>\r\n");
	PT_STREQ(run("x\r\r\n", 0, 998), "x\r\n\r\n");
	PT_STREQ(run("\r\n", 0, 998), "\r\n");
}

PTEST(line_folding)
{
	PT_STREQ(run("abcdefghij\nabc\n", 0, 4), "abcd\r\n efg\r\n hij\r\nabc\r\n");
	PT_STREQ(run("abcd\n", 0, 4), "abcd\r\n");
	PT_STREQ(run("abcdefghij\n", 0, 0), "abcdefghij\r\n");
}

PTEST(qp_plain_message)
{
	PT_STREQ(run("Subject: x\n\ncaf\xc3\xa9 a=b \n", 1, 998),
	    "Subject: x\r\nMIME-Version: 1.0\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "caf=C3=A9 a=3Db=20\r\n");
}

PTEST(qp_soft_breaks)
{
	char	 in[400], *p;
	const char *o, *line;

	strcpy(in, "Content-Transfer-Encoding: 8bit\nMIME-Version: 1.0\n\n");
	p = in + strlen(in);
	memset(p, 0xe9, 100);
	strcpy(p + 100, "\n");
	o = run(in, 1, 998);
	PT_ASSERT(strstr(o, "Content-Transfer-Encoding: quoted-printable\r\n") != NULL);
	PT_ASSERT(strstr(o, "8bit") == NULL);
	/* 100 bytes become 300 characters on lines of at most 76. */
	line = strstr(o, "\r\n\r\n") + 4;
	PT_ASSERT(strncmp(line, "=E9=E9", 6) == 0);
	while ((p = strstr(line, "\r\n")) != NULL) {
		PT_ASSERT(p - line <= 76);
		line = p + 2;
	}
}

PTEST(multipart)
{
	const char *o = run(
	    "Content-Type: multipart/mixed; boundary=\"b1\"\nMIME-Version: 1.0\n\n"
	    "pre\n--b1\nContent-Type: text/plain\nContent-Transfer-Encoding: 8bit\n\n\xff\n"
	    "--b1\nContent-Transfer-Encoding: base64\n\n/w==\n"
	    "--b1\nContent-Type: message/rfc822\n\nSubject: inner\n\n\xfe\n"
	    "--b1--\npost \xfd\n", 1, 998);

	PT_STREQ(o,
	    "Content-Type: multipart/mixed; boundary=\"b1\"\r\nMIME-Version: 1.0\r\n\r\n"
	    "pre\r\n--b1\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=FF\r\n"
	    "--b1\r\nContent-Transfer-Encoding: base64\r\n\r\n/w==\r\n"
	    "--b1\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n=FE\r\n"
	    "--b1--\r\npost \xfd\r\n");
}

PTEST(hostile_structure)
{
	VSTRING	*in = vstring_alloc(1000);
	const char *o;
	int	 i;

	/* Deep nesting: beyond the limit the rest passes through unharmed. */
	for (i = 0; i < 150; i++)
		vstring_sprintf_append(in, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
	vstring_strcat(in, "\n\xff\n");
	o = run(vstring_str(in), 1, 998);
	PT_ASSERT(strlen(o) > 150 * 40);
	/* A header without its end, a boundary without a value. */
	o = run("Content-Type: multipart/mixed; boundary=\nX: y\n", 1, 998);
	PT_STREQ(o, "Content-Type: multipart/mixed; boundary=\r\nX: y\r\n");
	vstring_free(in);
}

PTEST(nexthop_forms)
{
	VSTRING	*host = vstring_alloc(10);
	int	 port, no_mx, is_unix;

	smtp_cf.tcp_port = "25";
	smtp_cf.no_mx = 0;
	PT_INTEQ(smtp_addr_nexthop("example.com", host, &port, &no_mx, &is_unix), 0);
	PT_STREQ(vstring_str(host), "example.com");
	PT_INTEQ(port, 25);
	PT_INTEQ(no_mx, 0);
	PT_INTEQ(smtp_addr_nexthop("[mx.example.com]:2525", host, &port, &no_mx, &is_unix), 0);
	PT_STREQ(vstring_str(host), "mx.example.com");
	PT_INTEQ(port, 2525);
	PT_INTEQ(no_mx, 1);
	PT_INTEQ(smtp_addr_nexthop("[::1]:24", host, &port, &no_mx, &is_unix), 0);
	PT_STREQ(vstring_str(host), "::1");
	PT_INTEQ(port, 24);
	PT_INTEQ(smtp_addr_nexthop("inet:127.0.0.1:24", host, &port, &no_mx, &is_unix), 0);
	PT_INTEQ(no_mx, 1);
	PT_INTEQ(smtp_addr_nexthop("unix:/run/lmtp", host, &port, &no_mx, &is_unix), 0);
	PT_INTEQ(is_unix, 1);
	PT_STREQ(vstring_str(host), "/run/lmtp");
	PT_INTEQ(smtp_addr_nexthop("[broken", host, &port, &no_mx, &is_unix), -1);
	PT_INTEQ(smtp_addr_nexthop("host:99999", host, &port, &no_mx, &is_unix), -1);
	PT_INTEQ(smtp_addr_nexthop("unix:", host, &port, &no_mx, &is_unix), -1);
	vstring_free(host);
}

int
main(void)
{
	PT_RUN(dot_stuffing_and_crlf);
	PT_RUN(bare_cr_and_lf_end_lines);
	PT_RUN(line_folding);
	PT_RUN(qp_plain_message);
	PT_RUN(qp_soft_breaks);
	PT_RUN(multipart);
	PT_RUN(hostile_structure);
	PT_RUN(nexthop_forms);
	return PT_DONE();
}
