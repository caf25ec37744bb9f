/*
 * resolve_class.h - the address class of a recipient: local, relay or
 * other (mydestination, relay_domains, this host's address literals).
 * See resolve_class.c.
 */
#ifndef RESOLVE_CLASS_H
#define RESOLVE_CLASS_H

#include "argv.h"
#include "domain_list.h"
#include "vstring.h"

#define RESOLVE_CLASS_ERROR	(-1)	/* a table lookup failed */
#define RESOLVE_CLASS_LOCAL	1	/* mydestination, our [address] */
#define RESOLVE_CLASS_RELAY	2	/* relay_domains */
#define RESOLVE_CLASS_OTHER	3	/* everything else */

/* Flags: sender-specified routing ("%", "!", quoted "@") is OTHER. */
#define RESOLVE_FLAG_ROUTED	(1 << 0)

typedef struct RESOLVE_CLASS {
	DOMAIN_LIST *mydest;		/* mydestination */
	DOMAIN_LIST *relay;		/* relay_domains */
	ARGV	*own_addrs;		/* inet_interfaces + proxy_interfaces */
} RESOLVE_CLASS;

/*
 * resolve_class_init(mydestination, relay_domains, relay_flags, interfaces,
 * why): null with a reason on a bad list. resolve_class_param(): from
 * main.cf, fatal on error.
 */
RESOLVE_CLASS *resolve_class_init(const char *, const char *, int,
	    const char *, VSTRING *);
RESOLVE_CLASS *resolve_class_param(void);
void	 resolve_class_free(RESOLVE_CLASS *);

int	 resolve_class(RESOLVE_CLASS *, const char *addr, int flags);
int	 resolve_class_local(RESOLVE_CLASS *, const char *domain);	/* 1 0 -1 */
int	 resolve_class_routed(const char *addr);			/* 1 0 */

/* The addresses of an inet_interfaces-style list, numeric, appended. */
void	 resolve_class_own_addrs(const char *interfaces, ARGV *out);

#endif
