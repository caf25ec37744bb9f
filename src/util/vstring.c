/*
 * NAME
 *	vstring - growable, null-terminated byte strings
 * SYNOPSIS
 *	#include <vstring.h>
 *
 *	VSTRING *vstring_alloc(size_t init);
 *	void     vstring_free(VSTRING *vp);
 *	char    *vstring_export(VSTRING *vp);
 *	void     vstring_reset(VSTRING *vp);
 *	void     vstring_truncate(VSTRING *vp, size_t len);
 *	void     vstring_space(VSTRING *vp, size_t more);
 *	VSTRING *vstring_strcpy(VSTRING *vp, const char *s);
 *	VSTRING *vstring_strcat(VSTRING *vp, const char *s);
 *	VSTRING *vstring_memcpy(VSTRING *vp, const void *p, size_t n);
 *	VSTRING *vstring_memcat(VSTRING *vp, const void *p, size_t n);
 *	VSTRING *vstring_addch(VSTRING *vp, int ch);
 *	VSTRING *vstring_sprintf(VSTRING *vp, const char *fmt, ...);
 *	VSTRING *vstring_sprintf_append(VSTRING *vp, const char *fmt, ...);
 *	VSTRING *vstring_lower(VSTRING *vp);
 *	VSTRING *vstring_trim(VSTRING *vp);
 *
 *	char  *vstring_str(VSTRING *vp);
 *	size_t vstring_len(VSTRING *vp);
 * DESCRIPTION
 *	A VSTRING holds arbitrary bytes (including nulls) and keeps a null
 *	byte after the last one, so that text can be handed to C string
 *	functions. Storage grows geometrically; appending is amortized
 *	O(1). The string itself has no upper bound: callers that read from
 *	the network bound what they put in (vstream_get_line() takes a
 *	limit), so that the bound sits where the protocol knows it.
 *
 *	vstring_export() frees the VSTRING but returns its buffer (to be
 *	released with myfree()). vstring_truncate() shortens, never grows.
 *	vstring_space() makes room for more bytes without changing len.
 *	vstring_trim() removes leading and trailing white space.
 * DIAGNOSTICS
 *	Allocation failure is fatal (mymalloc).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "mymalloc.h"
#include "vstring.h"

VSTRING *
vstring_alloc(size_t init)
{
	VSTRING	*vp = mymalloc(sizeof(*vp));

	vp->size = init < 16 ? 16 : init;
	vp->str = mymalloc(vp->size + 1);
	vp->len = 0;
	vp->str[0] = 0;
	return vp;
}

void
vstring_free(VSTRING *vp)
{
	if (vp == NULL)
		return;
	myfree(vp->str);
	myfree(vp);
}

char *
vstring_export(VSTRING *vp)
{
	char	*str = vp->str;

	myfree(vp);
	return str;
}

void
vstring_space(VSTRING *vp, size_t more)
{
	size_t	need;

	if (more > ((size_t)-1) / 2 - vp->len)
		msg_panic("vstring_space: length overflow");
	need = vp->len + more;
	if (need <= vp->size)
		return;
	if (need < vp->size * 2)
		need = vp->size * 2;
	vp->str = myrealloc(vp->str, need + 1);
	vp->size = need;
}

void
vstring_reset(VSTRING *vp)
{
	vp->len = 0;
	vp->str[0] = 0;
}

void
vstring_truncate(VSTRING *vp, size_t len)
{
	if (len < vp->len) {
		vp->len = len;
		vp->str[len] = 0;
	}
}

VSTRING *
vstring_memcat(VSTRING *vp, const void *p, size_t n)
{
	vstring_space(vp, n);
	memmove(vp->str + vp->len, p, n);
	vp->len += n;
	vp->str[vp->len] = 0;
	return vp;
}

VSTRING *
vstring_memcpy(VSTRING *vp, const void *p, size_t n)
{
	vstring_reset(vp);
	return vstring_memcat(vp, p, n);
}

VSTRING *
vstring_strcpy(VSTRING *vp, const char *s)
{
	return vstring_memcpy(vp, s, strlen(s));
}

VSTRING *
vstring_strcat(VSTRING *vp, const char *s)
{
	return vstring_memcat(vp, s, strlen(s));
}

VSTRING *
vstring_addch(VSTRING *vp, int ch)
{
	char	c = ch;

	return vstring_memcat(vp, &c, 1);
}

VSTRING *
vstring_vsprintf_append(VSTRING *vp, const char *fmt, va_list ap)
{
	va_list	ap2;
	int	n;

	va_copy(ap2, ap);
	n = vsnprintf(vp->str + vp->len, vp->size - vp->len + 1, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		msg_panic("vstring_vsprintf_append: bad format \"%s\"", fmt);
	if ((size_t)n > vp->size - vp->len) {
		vstring_space(vp, n);
		n = vsnprintf(vp->str + vp->len, vp->size - vp->len + 1, fmt, ap);
	}
	vp->len += n;
	return vp;
}

VSTRING *
vstring_sprintf_append(VSTRING *vp, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vstring_vsprintf_append(vp, fmt, ap);
	va_end(ap);
	return vp;
}

VSTRING *
vstring_sprintf(VSTRING *vp, const char *fmt, ...)
{
	va_list	ap;

	vstring_reset(vp);
	va_start(ap, fmt);
	vstring_vsprintf_append(vp, fmt, ap);
	va_end(ap);
	return vp;
}

VSTRING *
vstring_lower(VSTRING *vp)
{
	size_t	i;

	for (i = 0; i < vp->len; i++)
		vp->str[i] = tolower((unsigned char)vp->str[i]);
	return vp;
}

VSTRING *
vstring_trim(VSTRING *vp)
{
	size_t	start = 0, end = vp->len;

	while (start < end && isspace((unsigned char)vp->str[start]))
		start++;
	while (end > start && isspace((unsigned char)vp->str[end - 1]))
		end--;
	memmove(vp->str, vp->str + start, end - start);
	vp->len = end - start;
	vp->str[vp->len] = 0;
	return vp;
}
