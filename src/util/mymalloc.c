/*
 * NAME
 *	mymalloc - checked memory allocation
 * SYNOPSIS
 *	#include <mymalloc.h>
 *
 *	void *mymalloc(size_t len);
 *	void *mycalloc(size_t nmemb, size_t size);
 *	void *myrealloc(void *ptr, size_t len);
 *	void  myfree(void *ptr);
 *	char *mystrdup(const char *str);
 *	char *mystrndup(const char *str, size_t len);
 *	void *mymemdup(const void *ptr, size_t len);
 * DESCRIPTION
 *	Wrappers around the C allocator that never return a null pointer.
 *	Running out of memory is fatal: no daemon can do useful work without
 *	memory, a half-handled failure is worse than a clean exit, and the
 *	master restarts the process. Zero lengths are allowed and yield a
 *	valid pointer; myfree() accepts a null pointer.
 *
 *	mystrndup() copies at most len bytes and always null-terminates.
 * DIAGNOSTICS
 *	Fatal: out of memory. Panic: a size computation that overflows, or
 *	a null string argument (a caller bug).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "mymalloc.h"

void *
mymalloc(size_t len)
{
	void	*ptr;

	if ((ptr = malloc(len ? len : 1)) == NULL)
		msg_fatal("out of memory allocating %zu bytes", len);
	return ptr;
}

void *
mycalloc(size_t nmemb, size_t size)
{
	void	*ptr;

	if (size != 0 && nmemb > SIZE_MAX / size)
		msg_panic("mycalloc: %zu * %zu overflows", nmemb, size);
	if ((ptr = calloc(nmemb ? nmemb : 1, size ? size : 1)) == NULL)
		msg_fatal("out of memory allocating %zu * %zu bytes", nmemb, size);
	return ptr;
}

void *
myrealloc(void *ptr, size_t len)
{
	void	*nptr;

	if ((nptr = realloc(ptr, len ? len : 1)) == NULL)
		msg_fatal("out of memory reallocating %zu bytes", len);
	return nptr;
}

void
myfree(void *ptr)
{
	free(ptr);
}

char *
mystrdup(const char *str)
{
	if (str == NULL)
		msg_panic("mystrdup: null argument");
	return mymemdup(str, strlen(str) + 1);
}

char *
mystrndup(const char *str, size_t len)
{
	const char *end;
	char	*result;

	if (str == NULL)
		msg_panic("mystrndup: null argument");
	if ((end = memchr(str, 0, len)) != NULL)
		len = end - str;
	result = mymalloc(len + 1);
	memcpy(result, str, len);
	result[len] = 0;
	return result;
}

void *
mymemdup(const void *ptr, size_t len)
{
	return memcpy(mymalloc(len), ptr, len);
}
