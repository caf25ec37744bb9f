/* unescape_test - unit tests for unescape(3). */
#include <string.h>

#include "ptest.h"
#include "unescape.h"

static int
same(VSTRING *v, const char *want, size_t len)
{
	return vstring_len(v) == len && memcmp(vstring_str(v), want, len) == 0;
}

PTEST(plain_and_letters)
{
	VSTRING	*v = vstring_alloc(10);

	PT_ASSERT(same(unescape(v, "abc"), "abc", 3));
	PT_ASSERT(same(unescape(v, ""), "", 0));
	PT_ASSERT(same(unescape(v, "\\a\\b\\f\\n\\r\\t\\v"),
	    "\a\b\f\n\r\t\v", 7));
	PT_ASSERT(same(unescape(v, "x\\\\y"), "x\\y", 3));
	PT_ASSERT(same(unescape(v, "\\q"), "q", 1));
	PT_ASSERT(same(unescape(v, "end\\"), "end\\", 4));
	vstring_free(v);
}

PTEST(octal)
{
	VSTRING	*v = vstring_alloc(10);

	PT_ASSERT(same(unescape(v, "\\0"), "\0", 1));
	PT_ASSERT(same(unescape(v, "a\\0b"), "a\0b", 3));
	PT_ASSERT(same(unescape(v, "\\101\\1010"), "AA0", 3));
	PT_ASSERT(same(unescape(v, "\\7\\08"), "\7\0" "8", 3));
	PT_ASSERT(same(unescape(v, "\\777"), "\377", 1));
	vstring_free(v);
}

int
main(void)
{
	PT_RUN(plain_and_letters);
	PT_RUN(octal);
	return PT_DONE();
}
