/*
 * hdr_addr.h - rewrite the addresses in an address header field. See
 * hdr_addr.c.
 */
#ifndef HDR_ADDR_H
#define HDR_ADDR_H

#include <stddef.h>

#include "vstring.h"

/* hdr_addr_class() results. */
#define HDR_ADDR_SENDER	1	/* From, Sender, Reply-To, ... */
#define HDR_ADDR_RCPT	2	/* To, Cc, Bcc, ... */

/*
 * fn(ctx, ext, addr): ext is the address as the field has it, addr the
 * same in internal form, to change in place. 0, or -1 (a table failed).
 */
typedef int (*HDR_ADDR_FN)(void *, const char *, VSTRING *);

int	 hdr_addr_class(const char *);
int	 hdr_addr_rewrite(VSTRING *, HDR_ADDR_FN, void *);
void	 hdr_addr_fold(VSTRING *, size_t);

#endif
