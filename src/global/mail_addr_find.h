/*
 * mail_addr_find.h - Postfix-style table lookups of mail addresses. See
 * mail_addr_find.c.
 */
#ifndef MAIL_ADDR_FIND_H
#define MAIL_ADDR_FIND_H

#include "argv.h"
#include "dict.h"
#include "vstring.h"

#define MAIL_ADDR_FIND_LOCAL	(1 << 0)	/* domain is local: try user+ext, user */
#define MAIL_ADDR_FIND_ACCESS	(1 << 1)	/* access(5) order: user@domain, domain, user@ */
#define MAIL_ADDR_FIND_PARENT	(1 << 2)	/* with ACCESS: parents as "example.com" */
#define MAIL_ADDR_FIND_ANY	(1 << 3)	/* found after a failed lookup counts */

typedef struct MAIL_ADDR_MAPS {
	DICT	**dicts;
	int	 ndict;
	char	*title;			/* parameter name, for logging */
} MAIL_ADDR_MAPS;

MAIL_ADDR_MAPS *mail_addr_maps_open(const char *title, const char *tables);
MAIL_ADDR_MAPS *mail_addr_maps_param(const char *);	/* null: none named */
void	 mail_addr_maps_close(MAIL_ADDR_MAPS *);

/*
 * mail_addr_find(maps, addr, flags, delims, result, key): 1 found (result
 * = value, key = the key that matched, either may be null), 0 not found,
 * -1 a table failed (answer 4xx).
 */
int	 mail_addr_find(MAIL_ADDR_MAPS *, const char *, int, const char *,
	    VSTRING *, VSTRING *);

/*
 * mail_addr_map(maps, addr, flags, delims, propagate, result): as
 * mail_addr_find(), appending the value's addresses (internal form) to
 * result; "@domain" values keep addr's local part.
 */
int	 mail_addr_map(MAIL_ADDR_MAPS *, const char *, int, const char *, int,
	    ARGV *);

/* mail_addr_split_ext(local, delims, user, ext): 1 if an extension was split off. */
int	 mail_addr_split_ext(const char *, const char *, VSTRING *, VSTRING *);

#endif
