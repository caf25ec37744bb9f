/*
 * NAME
 *	fuzz_attr - fuzz harness: the attribute protocol (attr.c)
 * DESCRIPTION
 *	The input is what a peer process sends over a UNIX socket: requests
 *	are read until an error or the end. Each request read must write
 *	back and read again to the same list (names, values, order).
 */
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "fuzz.h"

static ATTR *in, *back;
static VSTRING *wire;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init("fuzz_attr");
	in = attr_alloc();
	back = attr_alloc();
	wire = vstring_alloc(1024);
	return 0;
}

static void
fuzz_attr_roundtrip(const ATTR *a)
{
	VSTREAM	*sp;
	size_t	 i;

	vstring_reset(wire);
	sp = fuzz_stream(NULL, 0, 0, wire);
	if (attr_write(sp, a) < 0)
		abort();
	vstream_fclose(sp);
	sp = fuzz_stream((const uint8_t *)vstring_str(wire), vstring_len(wire), 0, NULL);
	attr_reset(back);
	if (attr_read(sp, back) < 0 || back->count != a->count)
		abort();
	for (i = 0; i < a->count; i++)
		if (strcmp(a->name[i], back->name[i]) != 0
		    || strcmp(a->value[i], back->value[i]) != 0)
			abort();
	vstream_fclose(sp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	VSTREAM	*sp;
	size_t	 pos = 0;
	int	 n;

	/* Small reads, as from a socket: a request may span them. */
	sp = fuzz_stream(data, len, 7, NULL);
	attr_reset(in);
	if (attr_read(sp, in) == 0) {
		fuzz_attr_roundtrip(in);
		(void)attr_get_from(in, "rcpt", &pos);
		(void)attr_get_long(in, "size", 0);
	}
	vstream_fclose(sp);
	/* Every request of the input, from one stream. */
	sp = fuzz_stream(data, len, 0, NULL);
	for (n = 0; n < 100; n++) {
		attr_reset(in);
		if (attr_read(sp, in) < 0)
			break;
	}
	vstream_fclose(sp);
	return 0;
}
