/*
 * mime_state_test - classification of a MIME message's lines.
 */
#include <string.h>

#include "mime_state.h"
#include "ptest.h"
#include "vstring.h"

static VSTRING *out;

static int
t_head(void *ctx, int cls, VSTRING *f)
{
	(void)ctx;
	vstring_sprintf_append(out, "%c<%s>", "PMN"[cls], vstring_str(f));
	return 0;
}

static int
t_end(void *ctx)
{
	(void)ctx;
	vstring_strcat(out, "|");
	return 0;
}

static int
t_body(void *ctx, const char *line, size_t len, int eol)
{
	(void)ctx;
	vstring_sprintf_append(out, "B[%.*s]%s", (int)len, line, eol ? "" : "+");
	return 0;
}

static MIME_STATE *
feed(int opts, int nest, const char *msg)
{
	MIME_STATE *ms = mime_state_alloc(opts, 1000, nest, 2048, t_head, t_end,
	    t_body, NULL);
	const char *p = msg, *nl;

	vstring_truncate(out, 0);
	while (*p) {
		nl = strchr(p, '\n');
		mime_state_update(ms, p, nl ? (size_t)(nl - p) : strlen(p), 1);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	mime_state_finish(ms);
	return ms;
}

static const char *msg1 =
    "Subject: hi\n"
    " there\n"
    "Content-Type: multipart/mixed; boundary=\"xx\"\n"
    "\n"
    "preamble\n"
    "--xx\n"
    "Content-Type: text/plain\n"
    "\n"
    "text\n"
    "--xx\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: inner@x\n"
    "Subject: inner\n"
    "\n"
    "inner body\n"
    "--xx--\n"
    "epilogue\n";

PTEST(multipart_nested)
{
	MIME_STATE *ms = feed(0, 100, msg1);

	PT_STREQ(vstring_str(out),
	    "P<Subject: hi\n there>P<Content-Type: multipart/mixed; boundary=\"xx\">|"
	    "B[]B[preamble]B[--xx]M<Content-Type: text/plain>B[]B[text]"
	    "B[--xx]M<Content-Type: message/rfc822>B[]N<From: inner@x>"
	    "N<Subject: inner>B[]B[inner body]B[--xx--]B[epilogue]");
	PT_INTEQ(mime_state_errors(ms), 0);
	mime_state_free(ms);
}

PTEST(disabled_and_nesting)
{
	MIME_STATE *ms = feed(MIME_OPT_DISABLE_MIME, 100, msg1);

	PT_ASSERT(strstr(vstring_str(out), "M<") == NULL);
	PT_ASSERT(strstr(vstring_str(out), "B[Content-Type: text/plain]") != NULL);
	mime_state_free(ms);
	ms = feed(0, 1, msg1);
	PT_ASSERT(mime_state_errors(ms) & MIME_ERR_NESTING);
	mime_state_free(ms);
}

PTEST(eight_bit)
{
	MIME_STATE *ms = feed(MIME_OPT_8BIT_HEADER | MIME_OPT_8BIT_BODY, 100,
	    "Subject: caf\xc3\xa9\n\nbody\n");

	PT_INTEQ(mime_state_errors(ms), MIME_ERR_8BIT_IN_HEADER);
	mime_state_free(ms);
	ms = feed(MIME_OPT_8BIT_BODY, 100, "Subject: x\n\nb\xc3\xa9\n");
	PT_INTEQ(mime_state_errors(ms), MIME_ERR_8BIT_IN_7BIT_BODY);
	mime_state_free(ms);
	ms = feed(MIME_OPT_8BIT_BODY, 100, "Content-Transfer-Encoding: 8bit\n\nb\xc3\xa9\n");
	PT_INTEQ(mime_state_errors(ms), 0);
	mime_state_free(ms);
}

PTEST(no_blank_line_and_long_header)
{
	MIME_STATE *ms = feed(0, 100, "Subject: x\nnot a header\nmore\n");

	PT_STREQ(vstring_str(out), "P<Subject: x>|B[not a header]B[more]");
	mime_state_free(ms);
	ms = mime_state_alloc(0, 10, 100, 2048, t_head, t_end, t_body, NULL);
	vstring_truncate(out, 0);
	mime_state_update(ms, "Subject: 0123456789", 19, 1);
	mime_state_update(ms, "", 0, 1);
	PT_STREQ(vstring_str(out), "P<Subject: 0>|B[]");
	PT_INTEQ(mime_state_errors(ms), MIME_ERR_TRUNC_HEADER);
	mime_state_free(ms);
}

int
main(void)
{
	out = vstring_alloc(100);
	PT_RUN(multipart_nested);
	PT_RUN(disabled_and_nesting);
	PT_RUN(eight_bit);
	PT_RUN(no_blank_line_and_long_header);
	vstring_free(out);
	return PT_DONE();
}
