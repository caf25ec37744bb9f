/*
 * match_list.h - Postfix match lists: the one engine behind domain,
 * address and user lists. See match_list.c.
 */
#ifndef MATCH_LIST_H
#define MATCH_LIST_H

#include "dict.h"
#include "vstring.h"

#define MATCH_LIST_PARENT	(1 << 0)	/* names also match subdomains */

/* What one kind of list does with its own patterns (not tables). */
typedef struct MATCH_OPS {
	/* Is the word (after "!") a type:table? Null: "x:y", not "[...". */
	int	 (*is_table)(const char *);
	/* A pattern from one word, or null with why. */
	void	*(*compile)(const char *, VSTRING *);
	/* 1 or 0: does the pattern match the subject? */
	int	 (*match)(const void *, const void *, int);
	/* 1, 0, -1: does a table have the subject? */
	int	 (*table)(DICT *, const void *, int);
	void	 (*free)(void *);		/* null: myfree */
} MATCH_OPS;

typedef struct MATCH_LIST MATCH_LIST;

MATCH_LIST *match_list_init(const MATCH_OPS *, const char *, int, VSTRING *);
MATCH_LIST *match_list_param(const MATCH_OPS *, const char *);
int	 match_list_match(MATCH_LIST *, const void *);	/* 1, 0, -1 */
void	 match_list_free(MATCH_LIST *);

int	 match_list_parent_flag(const char *);

#endif
