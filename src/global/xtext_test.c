/*
 * xtext_test - unit tests for xtext.
 */
#include "msg.h"
#include "ptest.h"
#include "xtext.h"

PTEST(decode)
{
	VSTRING	*v = vstring_alloc(10);

	PT_INTEQ(xtext_decode(v, "rfc822+3Ba+2Bb@c"), 0);
	PT_STREQ(vstring_str(v), "rfc822;a+b@c");
	PT_INTEQ(xtext_decode(v, ""), 0);
	PT_STREQ(vstring_str(v), "");
	PT_INTEQ(xtext_decode(v, "bad+zz"), -1);
	PT_INTEQ(xtext_decode(v, "lower+2b"), -1);
	PT_INTEQ(xtext_decode(v, "short+2"), -1);
	PT_INTEQ(xtext_decode(v, "end+"), -1);
	PT_INTEQ(xtext_decode(v, "a=b"), -1);
	PT_INTEQ(xtext_decode(v, "a b"), -1);
	PT_INTEQ(xtext_decode(v, "\xc3\xa9"), -1);
	PT_INTEQ(xtext_decode(v, "a+00b"), -1);	/* issue 13 #11: no silent cut */
	PT_INTEQ(xtext_decode(v, "+00"), -1);
	PT_INTEQ(xtext_decode(v, "a+01b"), 0);
	vstring_free(v);
}

PTEST(encode)
{
	VSTRING	*v = vstring_alloc(10);
	VSTRING	*w = vstring_alloc(10);
	const char *odd = "a+b=c d\t\xc3\xa9~!";

	PT_STREQ(vstring_str(xtext_encode(v, "plain@example.com")), "plain@example.com");
	PT_STREQ(vstring_str(xtext_encode(v, "a+b=c d")), "a+2Bb+3Dc+20d");
	PT_STREQ(vstring_str(xtext_encode(v, "\xc3\xa9")), "+C3+A9");
	PT_INTEQ(xtext_decode(w, vstring_str(xtext_encode(v, odd))), 0);
	PT_STREQ(vstring_str(w), odd);
	vstring_free(v);
	vstring_free(w);
}

int
main(void)
{
	msg_init("postern", "xtext_test");
	PT_RUN(decode);
	PT_RUN(encode);
	return PT_DONE();
}
