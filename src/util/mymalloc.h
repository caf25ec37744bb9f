/*
 * mymalloc.h - checked memory allocation. See mymalloc.c.
 */
#ifndef MYMALLOC_H
#define MYMALLOC_H

#include <stddef.h>

void	*mymalloc(size_t);
void	*mycalloc(size_t, size_t);
void	*myrealloc(void *, size_t);
void	 myfree(void *);
char	*mystrdup(const char *);
char	*mystrndup(const char *, size_t);
void	*mymemdup(const void *, size_t);

#endif
