/*
 * NAME
 *	has8bit - is any byte of a buffer non-ASCII?
 * SYNOPSIS
 *	#include <has8bit.h>
 *
 *	int	has8bit(const char *buf, size_t len);
 * DESCRIPTION
 *	has8bit() tells whether any of the len bytes at buf has the high
 *	bit set: the one test for 8-bit content behind the queue file's
 *	8-bit flag (qfile), MIME body checks (mime_state), pickup's
 *	8BITMIME guess and bounce's choice of a DSN's encoding. It reads
 *	the buffer a 64-bit word at a time (the queue writer runs it over
 *	every message).
 * DIAGNOSTICS
 *	None: it returns 1 or 0; an empty buffer is 0.
 */
#include <stdint.h>
#include <string.h>

#include "has8bit.h"

int
has8bit(const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;
	uint64_t acc = 0, word;
	unsigned char tail = 0;

	for (; len >= sizeof(word); p += sizeof(word), len -= sizeof(word)) {
		memcpy(&word, p, sizeof(word));
		acc |= word;
	}
	while (len-- > 0)
		tail |= *p++;
	return ((acc & 0x8080808080808080ull) | (tail & 0x80)) != 0;
}
