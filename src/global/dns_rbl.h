/*
 * dns_rbl.h - names and answers of DNS block and allow lists. See dns_rbl.c.
 */
#ifndef DNS_RBL_H
#define DNS_RBL_H

#include "vstring.h"

int	 dns_rbl_reverse(const char *, const char *, VSTRING *);
int	 dns_rbl_filter_match(const char *, const char *);
int	 dns_rbl_site(const char *, VSTRING *, VSTRING *, int *);

#endif
