/*
 * vstring.h - growable, null-terminated byte strings. See vstring.c.
 */
#ifndef VSTRING_H
#define VSTRING_H

#include <stdarg.h>
#include <stddef.h>

#include "msg.h"

typedef struct VSTRING {
	char	*str;			/* always null-terminated */
	size_t	 len;			/* bytes in use, excluding the null */
	size_t	 size;			/* bytes allocated, excluding the null */
} VSTRING;

#define vstring_str(vp)		((vp)->str)
#define vstring_len(vp)		((vp)->len)
#define vstring_end(vp)		((vp)->str + (vp)->len)

VSTRING	*vstring_alloc(size_t);
void	 vstring_free(VSTRING *);
char	*vstring_export(VSTRING *);
void	 vstring_reset(VSTRING *);
void	 vstring_truncate(VSTRING *, size_t);
void	 vstring_space(VSTRING *, size_t);
VSTRING	*vstring_strcpy(VSTRING *, const char *);
VSTRING	*vstring_strcat(VSTRING *, const char *);
VSTRING	*vstring_memcpy(VSTRING *, const void *, size_t);
VSTRING	*vstring_memcat(VSTRING *, const void *, size_t);
VSTRING	*vstring_addch(VSTRING *, int);
VSTRING	*vstring_sprintf(VSTRING *, const char *, ...) PRINTFLIKE(2, 3);
VSTRING	*vstring_sprintf_append(VSTRING *, const char *, ...) PRINTFLIKE(2, 3);
VSTRING	*vstring_vsprintf_append(VSTRING *, const char *, va_list) PRINTFLIKE(2, 0);
VSTRING	*vstring_lower(VSTRING *);
VSTRING	*vstring_trim(VSTRING *);

#endif
