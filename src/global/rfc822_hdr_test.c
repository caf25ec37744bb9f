/*
 * rfc822_hdr_test - unit tests for rfc822_hdr.
 */
#include <stdlib.h>
#include <string.h>

#include "ptest.h"
#include "rfc822_hdr.h"

static int
feed(RFC822_HDRS *h, const char *line)
{
	return rfc822_hdrs_line(h, line, strlen(line));
}

PTEST(parse)
{
	RFC822_HDRS *h = rfc822_hdrs_alloc(1000, 0);
	VSTRING	*v = vstring_alloc(10);

	PT_INTEQ(feed(h, "From: a@example.com"), RFC822_HDR_MORE);
	PT_INTEQ(feed(h, "Subject: one"), RFC822_HDR_MORE);
	PT_INTEQ(feed(h, "\ttwo"), RFC822_HDR_MORE);
	PT_INTEQ(feed(h, "bcc : x@example.com"), RFC822_HDR_MORE);
	PT_INTEQ(feed(h, ""), RFC822_HDR_END);
	PT_INTEQ(feed(h, "Body: no"), RFC822_HDR_BODY);
	PT_INTEQ(h->fields->argc, 3);
	PT_STREQ(rfc822_hdrs_find(h, "subject"), "Subject: one\n\ttwo");
	PT_STREQ(rfc822_hdr_value(rfc822_hdrs_find(h, "SUBJECT")), "one\n\ttwo");
	PT_STREQ(rfc822_hdr_value(rfc822_hdrs_find(h, "Bcc")), "x@example.com");
	PT_ASSERT(rfc822_hdrs_find(h, "Date") == NULL);
	PT_INTEQ(rfc822_hdrs_remove(h, "bcc"), 1);
	rfc822_hdrs_prepend(h, "Received: by x");
	rfc822_hdrs_append(h, "Date: now");
	PT_STREQ(vstring_str(rfc822_hdrs_text(v, h)),
	    "Received: by x\nFrom: a@example.com\nSubject: one\n\ttwo\nDate: now\n");
	rfc822_hdrs_free(h);
	vstring_free(v);
}

PTEST(not_headers)
{
	RFC822_HDRS *h = rfc822_hdrs_alloc(1000, 0);

	PT_INTEQ(feed(h, " leading space"), RFC822_HDR_BODY);
	rfc822_hdrs_free(h);
	h = rfc822_hdrs_alloc(1000, 0);
	PT_INTEQ(feed(h, "To: a@b"), RFC822_HDR_MORE);
	PT_INTEQ(feed(h, "this is body text"), RFC822_HDR_BODY);
	rfc822_hdrs_free(h);
	h = rfc822_hdrs_alloc(1000, 0);
	PT_INTEQ(feed(h, ":empty name"), RFC822_HDR_BODY);
	rfc822_hdrs_free(h);
	h = rfc822_hdrs_alloc(1000, 0);
	PT_INTEQ(feed(h, "\r"), RFC822_HDR_END);
	rfc822_hdrs_free(h);
	PT_INTEQ(rfc822_hdr_name_len("X-Foo: bar", 10), 5);
	PT_INTEQ(rfc822_hdr_name_len("X Foo: bar", 10), 0);
}

PTEST(limits)
{
	RFC822_HDRS *h = rfc822_hdrs_alloc(20, 60);
	int	 i, r = 0;

	PT_INTEQ(feed(h, "Subject: 0123456789012345678901234567890"), RFC822_HDR_MORE);
	PT_INTEQ(strlen(h->fields->argv[0]), 20);
	PT_INTEQ(h->truncated, 1);
	PT_INTEQ(feed(h, " more"), RFC822_HDR_MORE);
	PT_INTEQ(strlen(h->fields->argv[0]), 20);
	for (i = 0; i < 10 && (r = feed(h, "X-A: b")) == RFC822_HDR_MORE; i++)
		;
	PT_INTEQ(r, RFC822_HDR_BODY);
	PT_ASSERT(h->size <= 60);
	rfc822_hdrs_free(h);
}

PTEST(made_fields)
{
	VSTRING	*v = vstring_alloc(10);

	setenv("TZ", "UTC", 1);
	PT_STREQ(vstring_str(rfc822_hdr_date(v, 1700000000)), "Tue, 14 Nov 2023 22:13:20 +0000");
	PT_STREQ(vstring_str(rfc822_hdr_message_id(v, "0123abcd", "mx.example", 1700000000)),
	    "<20231114221320.0123abcd@mx.example>");
	PT_STREQ(vstring_str(rfc822_hdr_phrase(v, "Joe Bloggs")), "Joe Bloggs");
	PT_STREQ(vstring_str(rfc822_hdr_phrase(v, "Bloggs, Joe \"J\"")), "\"Bloggs, Joe \\\"J\\\"\"");
	PT_STREQ(vstring_str(rfc822_hdr_phrase(v, "evil\nBcc: x")), "\"evilBcc: x\"");
	rfc822_hdr_received_local(v, "mx.example", 1000, "0123abcd", 1700000000);
	PT_STREQ(vstring_str(v), "Received: by mx.example (Postern, from userid 1000)\n"
	    "\tid 0123abcd; Tue, 14 Nov 2023 22:13:20 +0000");
	rfc822_hdr_received_smtp(v, "client.example", "localhost", "127.0.0.1",
	    "mx.example", "ESMTP", "0123abcd", "r@example.com", 1700000000);
	PT_STREQ(vstring_str(v), "Received: from client.example (localhost [127.0.0.1])\n"
	    "\tby mx.example (Postern) with ESMTP id 0123abcd\n\tfor <r@example.com>; "
	    "Tue, 14 Nov 2023 22:13:20 +0000");
	vstring_free(v);
}

int
main(void)
{
	PT_RUN(parse);
	PT_RUN(not_headers);
	PT_RUN(limits);
	PT_RUN(made_fields);
	return PT_DONE();
}
