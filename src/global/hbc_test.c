/*
 * hbc_test - header/body check lookups, actions, replies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hbc.h"
#include "ptest.h"

static char path[64];

PTEST(checks)
{
	char	 spec[100];
	HBC	*hbc;
	HBC_RESULT r;
	FILE	*fp;

	snprintf(path, sizeof(path), "/tmp/hbc_test.%d", (int)getpid());
	fp = fopen(path, "w");
	fputs("/^Subject:.*viagra/ REJECT 5.7.0 no spam: $0\n"
	    "/^Subject:.*hold me/ HOLD\n"
	    "/^X-Drop:/ IGNORE\n"
	    "/^Content-Type:.*exe/ reject bad attachment\n"
	    "/^From: .*inner/ WARN nested seen\n"
	    "/^body bad/ DISCARD\n"
	    "/^Subject: typo/ REJCT oops\n", fp);
	fclose(fp);
	snprintf(spec, sizeof(spec), "regexp:%s", path);
	hbc = hbc_create(spec, spec, "", spec);
	PT_ASSERT(hbc_enabled(hbc, HBC_HEADER));
	PT_ASSERT(!hbc_enabled(hbc, HBC_NESTED));
	PT_INTEQ(hbc_check(hbc, HBC_HEADER, "Subject: buy viagra", &r), HBC_REJECT);
	PT_STREQ(r.text, "5.7.0 no spam: Subject: buy viagra");
	PT_INTEQ(hbc_check(hbc, HBC_HEADER, "Subject: please hold me", &r), HBC_HOLD);
	PT_STREQ(r.text, "");
	PT_INTEQ(hbc_check(hbc, HBC_HEADER, "X-Drop: 1", &r), HBC_IGNORE);
	PT_INTEQ(hbc_check(hbc, HBC_HEADER, "Subject: typo", &r), HBC_DUNNO);
	PT_INTEQ(hbc_check(hbc, HBC_BODY, "body bad line", &r), HBC_DISCARD);
	PT_INTEQ(hbc_check(hbc, HBC_NESTED, "From: inner@x", &r), HBC_DUNNO);
	PT_INTEQ(hbc_header_class(HBC_HEADER, "Content-Type: x"), HBC_MIME);
	PT_INTEQ(hbc_header_class(HBC_NESTED, "From: x"), HBC_NESTED);
	PT_STREQ(hbc_class_name(HBC_HEADER), "header");
	PT_STREQ(hbc_class_name(HBC_MIME), "mime-header");
	PT_STREQ(hbc_class_name(HBC_NESTED), "nested-header");
	PT_STREQ(hbc_class_name(HBC_BODY), "body");
	PT_INTEQ(hbc_check(hbc, HBC_MIME, "Content-Type: application/exe", &r),
	    HBC_REJECT);
	hbc_free(hbc);
	unlink(path);
}

PTEST(replies)
{
	HBC_RESULT r;
	VSTRING	*v = vstring_alloc(10);

	hbc_parse("REJECT", &r);
	PT_STREQ(vstring_str(hbc_reply(v, &r)), "550 5.7.1 Message content rejected");
	hbc_parse("REJECT 5.7.0 go away", &r);
	PT_STREQ(vstring_str(hbc_reply(v, &r)), "550 5.7.0 go away");
	hbc_parse("REJECT go away", &r);
	PT_STREQ(vstring_str(hbc_reply(v, &r)), "550 5.7.1 go away");
	hbc_parse("DEFER", &r);
	PT_STREQ(vstring_str(hbc_reply(v, &r)),
	    "451 4.7.1 Service unavailable - try again later");
	hbc_parse("defer 4.3.2 later", &r);
	PT_STREQ(vstring_str(hbc_reply(v, &r)), "451 4.3.2 later");
	PT_INTEQ(hbc_parse("PREPEND X-Tag: yes", &r), HBC_PREPEND);
	PT_STREQ(r.text, "X-Tag: yes");
	PT_INTEQ(hbc_parse("FILTER smtp:[127.0.0.1]:10024", &r), HBC_FILTER);
	vstring_free(v);
}

int
main(void)
{
	PT_RUN(checks);
	PT_RUN(replies);
	return PT_DONE();
}
