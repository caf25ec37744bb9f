/*
 * addr_match.h - mynetworks-style client lists (addresses, networks,
 * host names, tables). See addr_match.c.
 */
#ifndef ADDR_MATCH_H
#define ADDR_MATCH_H

#include "domain_list.h"
#include "vstring.h"

/* Flags: host name patterns also match subdomains. */
#define ADDR_MATCH_PARENT	DOMAIN_LIST_PARENT

typedef MATCH_LIST ADDR_MATCH;

ADDR_MATCH *addr_match_init(const char *, int, VSTRING *);
ADDR_MATCH *addr_match_param(const char *);	/* from main.cf; fatal on error */
int	 addr_match(ADDR_MATCH *, const char *);	/* 1, 0, -1 table error */
int	 addr_match_client(ADDR_MATCH *, const char *, const char *);
void	 addr_match_free(ADDR_MATCH *);

/* One address against one "net/len" pattern: 1, 0, -1 bad pattern. */
int	 addr_match_cidr(const char *, const char *);

#endif
