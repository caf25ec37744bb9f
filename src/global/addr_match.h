/*
 * addr_match.h - mynetworks-style address lists. See addr_match.c.
 */
#ifndef ADDR_MATCH_H
#define ADDR_MATCH_H

#include "vstring.h"

typedef struct ADDR_MATCH ADDR_MATCH;

ADDR_MATCH *addr_match_init(const char *, VSTRING *);
ADDR_MATCH *addr_match_param(const char *);	/* from main.cf; fatal on error */
int	 addr_match(ADDR_MATCH *, const char *);	/* 1, 0, -1 table error */
void	 addr_match_free(ADDR_MATCH *);

/* One address against one "net/len" pattern: 1, 0, -1 bad pattern. */
int	 addr_match_cidr(const char *, const char *);

#endif
