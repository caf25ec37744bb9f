/*
 * has8bit.h - is any byte of a buffer non-ASCII? See has8bit.c.
 */
#ifndef HAS8BIT_H
#define HAS8BIT_H

#include <stddef.h>

int	 has8bit(const char *, size_t);

#endif
