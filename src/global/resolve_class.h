/*
 * resolve_class.h - the address class of a recipient: local, virtual
 * alias, virtual mailbox, relay or other (mydestination,
 * virtual_alias_domains, virtual_mailbox_domains, relay_domains, this
 * host's address literals). See resolve_class.c.
 */
#ifndef RESOLVE_CLASS_H
#define RESOLVE_CLASS_H

#include "argv.h"
#include "domain_list.h"
#include "vstring.h"

#define RESOLVE_CLASS_ERROR	(-1)	/* a table lookup failed */
#define RESOLVE_CLASS_LOCAL	1	/* mydestination, our [address] */
#define RESOLVE_CLASS_RELAY	2	/* relay_domains */
#define RESOLVE_CLASS_OTHER	3	/* everything else (default) */
#define RESOLVE_CLASS_VALIAS	4	/* virtual_alias_domains */
#define RESOLVE_CLASS_VMAILBOX	5	/* virtual_mailbox_domains */

/*
 * Flags: sender-specified routing ("%", "!", "@" in the local part) of an
 * address that resolves off-site is OTHER (unless allow_untrusted_routing).
 */
#define RESOLVE_FLAG_ROUTED	(1 << 0)

/* Switches (main.cf), resolve_class_switches(). */
#define RESOLVE_SW_PERCENT	(1 << 0)	/* allow_percent_hack */
#define RESOLVE_SW_BANG		(1 << 1)	/* swap_bangpath */
#define RESOLVE_SW_DEQUOTE	(1 << 2)	/* resolve_dequoted_address */
#define RESOLVE_SW_NULLDOM	(1 << 3)	/* resolve_null_domain */
#define RESOLVE_SW_NUMDOM	(1 << 4)	/* resolve_numeric_domain */
#define RESOLVE_SW_ROUTING	(1 << 5)	/* allow_untrusted_routing */
#define RESOLVE_SW_OPERATORS	(RESOLVE_SW_PERCENT | RESOLVE_SW_BANG | \
				    RESOLVE_SW_DEQUOTE)

typedef struct RESOLVE_CLASS {
	DOMAIN_LIST *mydest;		/* mydestination */
	DOMAIN_LIST *relay;		/* relay_domains */
	ARGV	*own_addrs;		/* inet_interfaces + proxy_interfaces */
	DOMAIN_LIST *valias;		/* virtual_alias_domains, or null */
	DOMAIN_LIST *vmailbox;		/* virtual_mailbox_domains, or null */
	int	 switches;		/* RESOLVE_SW_* */
	char	*myhostname;		/* for user@ (resolve_null_domain) */
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
int	 resolve_class_virtual(RESOLVE_CLASS *, const char *valias,
	    const char *vmailbox, VSTRING *why);
const char *resolve_class_name(int);

int	 resolve_class(RESOLVE_CLASS *, const char *addr, int flags);
int	 resolve_class_addr(RESOLVE_CLASS *, const char *addr, int flags,
	    VSTRING *resolved);
int	 resolve_class_resolve(RESOLVE_CLASS *, const char *addr,
	    VSTRING *resolved);					/* 1 0 -1 */
int	 resolve_class_rewrite(RESOLVE_CLASS *, VSTRING *local);	/* 1 0 */
void	 resolve_class_switches(RESOLVE_CLASS *, int, const char *myhostname);
int	 resolve_class_local(RESOLVE_CLASS *, const char *domain);	/* 1 0 -1 */
int	 resolve_class_routed(const char *addr);			/* 1 0 */

/* The addresses of an inet_interfaces-style list, numeric, appended. */
void	 resolve_class_own_addrs(const char *interfaces, ARGV *out);

#endif
