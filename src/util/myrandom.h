/*
 * myrandom.h - unpredictable numbers from the kernel. See myrandom.c.
 */
#ifndef MYRANDOM_H
#define MYRANDOM_H

#include <stddef.h>
#include <stdint.h>

uint32_t myrandom32(void);
uint64_t myrandom64(void);
void	 myrandom_bytes(void *, size_t);
uint32_t myrandom_uniform(uint32_t);	/* [0, bound), no modulo bias; bound > 0 */

#endif
