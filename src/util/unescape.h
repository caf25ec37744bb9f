/*
 * unescape.h - C-like escapes in configuration text to bytes. See
 * unescape.c.
 */
#ifndef UNESCAPE_H
#define UNESCAPE_H

#include "vstring.h"

VSTRING	*unescape(VSTRING *, const char *);

#endif
