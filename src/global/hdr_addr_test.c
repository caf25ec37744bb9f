/*
 * hdr_addr_test - unit tests for hdr_addr.
 */
#include <string.h>

#include "hdr_addr.h"
#include "msg.h"
#include "ptest.h"

/* A test map: "a@x" -> "a@y", "q" fails, "long" gets longer. */
static int
test_fn(void *ctx, const char *ext, VSTRING *addr)
{
	int	*calls = ctx;

	(*calls)++;
	(void)ext;
	if (strcmp(vstring_str(addr), "a@x") == 0)
		vstring_strcpy(addr, "a@y");
	else if (strcmp(vstring_str(addr), "fail@x") == 0)
		return -1;
	else if (strcmp(vstring_str(addr), "long@x") == 0)
		vstring_strcpy(addr, "a.very.long.local.part.indeed@"
		    "a-rather-long-domain-name.example.com");
	else if (strcmp(vstring_str(addr), "sp@x") == 0)
		vstring_strcpy(addr, "s p@y");
	return 0;
}

static const char *
rw(VSTRING *f, const char *text, int *ret)
{
	int	 calls = 0;

	vstring_strcpy(f, text);
	*ret = hdr_addr_rewrite(f, test_fn, &calls);
	return vstring_str(f);
}

PTEST(classes)
{
	PT_INTEQ(hdr_addr_class("From: a@x"), HDR_ADDR_SENDER);
	PT_INTEQ(hdr_addr_class("reply-to: a@x"), HDR_ADDR_SENDER);
	PT_INTEQ(hdr_addr_class("Resent-Sender: a@x"), HDR_ADDR_SENDER);
	PT_INTEQ(hdr_addr_class("Errors-To: a@x"), HDR_ADDR_SENDER);
	PT_INTEQ(hdr_addr_class("CC: a@x"), HDR_ADDR_RCPT);
	PT_INTEQ(hdr_addr_class("Resent-Bcc: a@x"), HDR_ADDR_RCPT);
	PT_INTEQ(hdr_addr_class("Subject: a@x"), 0);
	PT_INTEQ(hdr_addr_class("From-Not: a@x"), 0);
	PT_INTEQ(hdr_addr_class("not a header"), 0);
}

PTEST(rewrite)
{
	VSTRING	*f = vstring_alloc(10);
	int	 r;

	PT_STREQ(rw(f, "To: a@x", &r), "To: a@y");
	PT_INTEQ(r, 1);
	PT_STREQ(rw(f, "To: \"A, x\" <a@x> (c <a@x>), b@x", &r),
	    "To: \"A, x\" <a@y> (c <a@x>), b@x");
	PT_INTEQ(r, 1);
	PT_STREQ(rw(f, "To: grp: a@x, <@r:a@x>;, b@z", &r),
	    "To: grp: a@y, <@r:a@y>;, b@z");
	PT_INTEQ(r, 2);
	PT_STREQ(rw(f, "Cc: b@x,\n\ta@x", &r), "Cc: b@x,\n\ta@y");
	PT_STREQ(rw(f, "Cc: undisclosed-recipients:;", &r), "Cc: undisclosed-recipients:;");
	PT_INTEQ(r, 0);
	/* A failed address stays; the others are still rewritten. */
	PT_STREQ(rw(f, "To: fail@x, a@x", &r), "To: fail@x, a@y");
	PT_INTEQ(r, -1);
	/* The result is quoted as RFC 5322 wants it. */
	PT_STREQ(rw(f, "From: Me <sp@x>", &r), "From: Me <\"s p\"@y>");
	vstring_free(f);
}

PTEST(fold)
{
	VSTRING	*f = vstring_alloc(10);
	int	 r;
	const char *s, *nl;

	s = rw(f, "To: long@x, long@x, long@x, Somebody <long@x>", &r);
	PT_INTEQ(r, 4);
	PT_ASSERT(strlen(s) > 78);
	hdr_addr_fold(f, 78);
	s = vstring_str(f);
	PT_ASSERT(strchr(s, '\n') != NULL);
	for (; s; s = nl ? nl + 1 : NULL) {
		nl = strchr(s, '\n');
		PT_ASSERT((size_t)((nl ? nl : s + strlen(s)) - s) <= 78);
		if (s != vstring_str(f))
			PT_ASSERT(*s == ' ' || *s == '\t');
	}
	/* Unfolding gives back the same field. */
	rw(f, "To: long@x, long@x, long@x, Somebody <long@x>", &r);
	{
		VSTRING *o = vstring_alloc(10);
		char *p;

		vstring_strcpy(o, vstring_str(f));
		hdr_addr_fold(f, 78);
		for (p = vstring_str(f); (p = strchr(p, '\n')) != NULL; )
			memmove(p, p + 1, strlen(p));
		PT_STREQ(vstring_str(f), vstring_str(o));
		vstring_free(o);
	}
	/* Short lines, and a line without white space, stay. */
	vstring_strcpy(f, "To: a@y");
	hdr_addr_fold(f, 78);
	PT_STREQ(vstring_str(f), "To: a@y");
	vstring_strcpy(f, "To:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	hdr_addr_fold(f, 10);
	PT_STREQ(vstring_str(f), "To:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	/* No line of white space only; a long first word breaks after. */
	vstring_strcpy(f, "To:   aaaaaaaaaaaaaaa bb   ");
	hdr_addr_fold(f, 10);
	PT_STREQ(vstring_str(f), "To:   aaaaaaaaaaaaaaa\n bb   ");
	vstring_free(f);
}

int
main(void)
{
	msg_init("postern", "hdr_addr_test");
	PT_RUN(classes);
	PT_RUN(rewrite);
	PT_RUN(fold);
	return PT_DONE();
}
