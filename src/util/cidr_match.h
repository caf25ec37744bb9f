/*
 * cidr_match.h - IPv4 and IPv6 networks in "address/prefix" form: the
 * parser and matcher of cidr: tables and client lists. See cidr_match.c.
 */
#ifndef CIDR_MATCH_H
#define CIDR_MATCH_H

#include <stddef.h>

#include "vstring.h"

/* Flags: the forms of a client address (IPv4 in brackets, ::ffff:a.b.c.d). */
#define CIDR_MATCH_CLIENT	(1 << 0)

typedef struct CIDR_MATCH {
	int	 family;		/* AF_INET or AF_INET6 */
	int	 bits;			/* prefix length */
	unsigned char net[16];		/* the network, host bits clear */
} CIDR_MATCH;

int	 cidr_match_addr(const char *, size_t, int, unsigned char *);	/* family, 0 */
int	 cidr_match_parse(CIDR_MATCH *, const char *, int, VSTRING *);	/* 0, -1 */
int	 cidr_match_contains(const CIDR_MATCH *, int, const unsigned char *);
void	 cidr_match_mask(unsigned char *, int, int);

#endif
