/*
 * smtp_reply_test - unit tests for smtp_reply.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ptest.h"
#include "smtp_reply.h"

/* reply_stream - a stream that yields data, then end of file */
static VSTREAM *
reply_stream(const char *data, size_t len)
{
	int	 fd[2];

	if (pipe(fd) < 0 || write(fd[1], data, len) != (ssize_t)len)
		return NULL;
	close(fd[1]);
	return vstream_fdopen(fd[0], VSTREAM_FLAG_READ);
}

static int hook_calls;
static char hook_last[64];

/* hook - sees each line as it came, before it is made printable */
static void
hook(void *context, const char *line, size_t len)
{
	hook_calls++;
	snprintf(hook_last, sizeof(hook_last), "%s%.*s", (const char *)context,
	    (int)len, line);
}

static int
read_one(const char *data, SMTP_REPLY *r)
{
	VSTREAM	*s = reply_stream(data, strlen(data));
	VSTRING	*line = vstring_alloc(10);
	int	 code = smtp_reply_read(s, r, line, hook, "raw");

	vstream_fclose(s);
	vstring_free(line);
	return code;
}

PTEST(multiline)
{
	SMTP_REPLY r;

	smtp_reply_init(&r);
	hook_calls = 0;
	PT_INTEQ(read_one("250-mx.example ESMTP\r\n250-PIPELINING\r\n250 8BITMIME\r\n", &r), 250);
	PT_INTEQ(hook_calls, 3);
	PT_INTEQ((int)r.lines->argc, 3);
	PT_STREQ(r.lines->argv[1], "PIPELINING");
	PT_STREQ(vstring_str(r.first), "250-mx.example ESMTP");
	PT_STREQ(vstring_str(r.text), "250-mx.example ESMTP 250-PIPELINING 250 8BITMIME");
	PT_STREQ(r.dsn, "2.0.0");
	PT_INTEQ(read_one("550 5.1.1 <a@b>: user unknown\r\n", &r), 550);
	PT_STREQ(r.dsn, "5.1.1");
	PT_INTEQ(read_one("451 5.1.1 class differs\r\n", &r), 451);
	PT_STREQ(r.dsn, "4.0.0");
	PT_INTEQ(read_one("250\r\n", &r), 250);
	PT_STREQ(r.lines->argv[0], "");
	PT_INTEQ(read_one("220 bare newline\n", &r), 220);
	smtp_reply_done(&r);
}

PTEST(garbage)
{
	SMTP_REPLY r;
	VSTRING	*big = vstring_alloc(10);
	int	 i;

	smtp_reply_init(&r);
	PT_INTEQ(read_one("hello\r\n", &r), 0);
	PT_STREQ(vstring_str(r.text), "malformed reply: hello");
	PT_STREQ(r.dsn, "4.4.2");
	PT_INTEQ(read_one("150 too low\r\n", &r), 0);
	PT_INTEQ(read_one("250x\r\n", &r), 0);
	PT_INTEQ(read_one("250-a\r\n251 b\r\n", &r), 0);
	PT_STREQ(vstring_str(r.text), "malformed reply: 251 b");
	PT_INTEQ(read_one("250-a\r\n", &r), 0);
	PT_STREQ(vstring_str(r.text), "lost connection");
	PT_INTEQ(read_one("", &r), 0);
	PT_INTEQ(read_one("250 a\x01\x7f\xff b\r\n", &r), 250);
	PT_STREQ(vstring_str(r.first), "250 a??? b");
	PT_STREQ(hook_last, "raw250 a\x01\x7f\xff b");
	PT_INTEQ(read_one("250 caf\xc3\xa9\r\n", &r), 250);
	PT_STREQ(r.lines->argv[0], "caf\xc3\xa9");
	/* A long line is cut, the rest dropped; the next line still counts. */
	vstring_strcpy(big, "250-");
	for (i = 0; i < 3 * SMTP_REPLY_LINE_MAX; i++)
		vstring_addch(big, 'x');
	vstring_strcat(big, "\r\n250 last\r\n");
	PT_INTEQ(read_one(vstring_str(big), &r), 250);
	PT_INTEQ((int)r.lines->argc, 2);
	PT_STREQ(r.lines->argv[1], "last");
	PT_ASSERT(vstring_len(r.text) < SMTP_REPLY_TEXT_MAX + SMTP_REPLY_LINE_MAX);
	/* Too many lines. */
	vstring_reset(big);
	for (i = 0; i <= SMTP_REPLY_LINES; i++)
		vstring_strcat(big, "250-x\r\n");
	vstring_strcat(big, "250 end\r\n");
	PT_INTEQ(read_one(vstring_str(big), &r), 0);
	PT_STREQ(vstring_str(r.text), "malformed reply: 250-x");
	vstring_free(big);
	smtp_reply_done(&r);
}

int
main(void)
{
	PT_RUN(multiline);
	PT_RUN(garbage);
	return PT_DONE();
}
