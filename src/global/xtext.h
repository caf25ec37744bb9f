/*
 * xtext.h - RFC 3461 xtext (DSN ENVID, ORCPT; XFORWARD). See xtext.c.
 */
#ifndef XTEXT_H
#define XTEXT_H

#include "vstring.h"

VSTRING	*xtext_encode(VSTRING *, const char *);
int	 xtext_decode(VSTRING *, const char *);	/* 0, or -1 malformed */

#endif
