/*
 * base64.h - RFC 4648 base64 for SASL exchanges. See base64.c.
 */
#ifndef BASE64_H
#define BASE64_H

#include <stddef.h>

#include "vstring.h"

VSTRING	*base64_encode(VSTRING *, const void *, size_t);
int	 base64_decode(VSTRING *, const char *, size_t);

#endif
