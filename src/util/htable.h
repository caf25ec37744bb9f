/*
 * htable.h - hash tables with string keys. See htable.c.
 */
#ifndef HTABLE_H
#define HTABLE_H

#include <stddef.h>

typedef struct HTABLE_INFO {
	char	*key;
	void	*value;
	struct HTABLE_INFO *next;
} HTABLE_INFO;

typedef struct HTABLE {
	size_t	 size;			/* buckets */
	size_t	 used;			/* entries */
	HTABLE_INFO **data;
} HTABLE;

HTABLE	*htable_create(size_t);
HTABLE_INFO *htable_enter(HTABLE *, const char *, void *);
HTABLE_INFO *htable_locate(HTABLE *, const char *);
void	*htable_find(HTABLE *, const char *);
int	 htable_delete(HTABLE *, const char *, void (*)(void *));
void	 htable_free(HTABLE *, void (*)(void *));
HTABLE_INFO **htable_list(HTABLE *);

#endif
