/* has8bit_test - unit tests for has8bit(3). */
#include <string.h>

#include "has8bit.h"
#include "ptest.h"

PTEST(ascii_and_empty)
{
	const char *s = "plain ASCII text, longer than one word\r\n";

	PT_ASSERT(has8bit("", 0) == 0);
	PT_ASSERT(has8bit(s, strlen(s)) == 0);
	PT_ASSERT(has8bit("\x7f\x01", 2) == 0);
}

PTEST(high_bit_anywhere)
{
	char	 buf[40];
	size_t	 i, len;

	for (len = 1; len <= sizeof(buf); len++)
		for (i = 0; i < len; i++) {
			memset(buf, 'a', sizeof(buf));
			buf[i] = (char)0x80;
			PT_ASSERT(has8bit(buf, len) == 1);
			PT_ASSERT(i == 0 || has8bit(buf, i) == 0);
		}
}

int
main(void)
{
	PT_RUN(ascii_and_empty);
	PT_RUN(high_bit_anywhere);
	return PT_DONE();
}
