/*
 * NAME
 *	fuzz_xtext - fuzz harness: RFC 3461 xtext (xtext.c)
 * DESCRIPTION
 *	The input is an ENVID or ORCPT value as a client sends it. It is
 *	decoded; a value that decodes must survive encode then decode
 *	unchanged, and so must the input taken as plain text. Anything
 *	else is a bug (abort).
 */
#include <stdlib.h>
#include <string.h>

#include "mymalloc.h"
#include "xtext.h"
#include "fuzz.h"

static VSTRING *dec, *enc, *again;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init("fuzz_xtext");
	dec = vstring_alloc(100);
	enc = vstring_alloc(100);
	again = vstring_alloc(100);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char	*in = fuzz_strdup(data, len);

	if (xtext_decode(dec, in) == 0) {
		if (vstring_len(dec) > strlen(in))
			abort();
		xtext_encode(enc, vstring_str(dec));
		if (xtext_decode(again, vstring_str(enc)) != 0
		    || strcmp(vstring_str(again), vstring_str(dec)) != 0)
			abort();
	}
	xtext_encode(enc, in);
	if (xtext_decode(again, vstring_str(enc)) != 0
	    || strcmp(vstring_str(again), in) != 0)
		abort();
	myfree(in);
	return 0;
}
