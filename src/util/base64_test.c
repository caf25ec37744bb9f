/* base64_test - unit tests for base64(3). */
#include "base64.h"
#include "ptest.h"

PTEST(encode_rfc4648)
{
	VSTRING	*v = vstring_alloc(10);

	PT_STREQ(vstring_str(base64_encode(v, "", 0)), "");
	PT_STREQ(vstring_str(base64_encode(v, "f", 1)), "Zg==");
	PT_STREQ(vstring_str(base64_encode(v, "fo", 2)), "Zm8=");
	PT_STREQ(vstring_str(base64_encode(v, "foo", 3)), "Zm9v");
	PT_STREQ(vstring_str(base64_encode(v, "foobar", 6)), "Zm9vYmFy");
	vstring_free(v);
}

PTEST(decode_roundtrip_with_nul)
{
	VSTRING	*v = vstring_alloc(10);

	PT_ASSERT(base64_decode(v, "AGFsaWNlAHNlY3JldA==", 20) == 0);
	PT_ASSERT(vstring_len(v) == 13);
	PT_ASSERT(memcmp(vstring_str(v), "\0alice\0secret", 13) == 0);
	PT_ASSERT(base64_decode(v, "Zm8=", 4) == 0);
	PT_STREQ(vstring_str(v), "fo");
	PT_ASSERT(base64_decode(v, "", 0) == 0 && vstring_len(v) == 0);
	vstring_free(v);
}

PTEST(decode_rejects_bad_input)
{
	VSTRING	*v = vstring_alloc(10);

	PT_ASSERT(base64_decode(v, "Zm9", 3) < 0);
	PT_ASSERT(base64_decode(v, "Zm9!", 4) < 0);
	PT_ASSERT(base64_decode(v, "Z===", 4) < 0);
	PT_ASSERT(base64_decode(v, "Zg==Zm9v", 8) < 0);
	PT_ASSERT(base64_decode(v, "Zm=v", 4) < 0);
	PT_ASSERT(base64_decode(v, "Zm9v\0AAA", 8) < 0);
	vstring_free(v);
}

int
main(void)
{
	PT_RUN(encode_rfc4648);
	PT_RUN(decode_roundtrip_with_nul);
	PT_RUN(decode_rejects_bad_input);
	return PT_DONE();
}
