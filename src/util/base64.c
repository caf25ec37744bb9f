/*
 * NAME
 *	base64 - RFC 4648 base64 encoding and strict decoding
 * SYNOPSIS
 *	#include <base64.h>
 *
 *	VSTRING *base64_encode(VSTRING *out, const void *data, size_t len);
 *	int	base64_decode(VSTRING *out, const char *in, size_t len);
 * DESCRIPTION
 *	base64_encode() replaces the content of out with the padded base64
 *	form of len bytes of data and returns out.
 *
 *	base64_decode() replaces the content of out with the bytes that the
 *	len characters of in encode. It is strict, as SASL exchanges want
 *	(RFC 4954 4): only the 64 characters of the standard alphabet, a
 *	length that is a multiple of four, padding only at the end. The
 *	result may contain NUL bytes (SASL PLAIN does); out is always
 *	null-terminated after them.
 * DIAGNOSTICS
 *	base64_decode() returns 0, or -1 when the input is not valid base64
 *	(out then holds garbage).
 */
#include "base64.h"

static const char base64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

VSTRING *
base64_encode(VSTRING *out, const void *data, size_t len)
{
	const unsigned char *p = data;
	unsigned long w;
	size_t	 i;

	vstring_reset(out);
	for (i = 0; i + 2 < len; i += 3) {
		w = (unsigned long)p[i] << 16 | p[i + 1] << 8 | p[i + 2];
		vstring_addch(out, base64_chars[w >> 18 & 63]);
		vstring_addch(out, base64_chars[w >> 12 & 63]);
		vstring_addch(out, base64_chars[w >> 6 & 63]);
		vstring_addch(out, base64_chars[w & 63]);
	}
	if (i < len) {
		w = (unsigned long)p[i] << 16;
		if (i + 1 < len)
			w |= p[i + 1] << 8;
		vstring_addch(out, base64_chars[w >> 18 & 63]);
		vstring_addch(out, base64_chars[w >> 12 & 63]);
		vstring_addch(out, i + 1 < len ? base64_chars[w >> 6 & 63] : '=');
		vstring_addch(out, '=');
	}
	return out;
}

static int
base64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
base64_decode(VSTRING *out, const char *in, size_t len)
{
	unsigned long w;
	int	 v, pad;

	vstring_reset(out);
	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		w = 0;
		pad = 0;
		for (int k = 0; k < 4; k++) {
			if (in[i + k] == '=' && i + 4 == len && k >= 2) {
				pad++;
				v = 0;
			} else if (pad || (v = base64_value((unsigned char)in[i + k])) < 0)
				return -1;
			w = w << 6 | (unsigned long)v;
		}
		vstring_addch(out, (int)(w >> 16 & 255));
		if (pad < 2)
			vstring_addch(out, (int)(w >> 8 & 255));
		if (pad < 1)
			vstring_addch(out, (int)(w & 255));
	}
	return 0;
}
