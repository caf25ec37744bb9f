/*
 * dict_pattern.h - shared parser and evaluator of pcre: and regexp:
 * tables. See dict_pattern.c.
 */
#ifndef DICT_PATTERN_H
#define DICT_PATTERN_H

#include <stddef.h>

#include "dict.h"
#include "vstring.h"

#define DICT_PAT_MAXGROUP	100	/* $0 .. $99 */
#define DICT_PAT_UNSET		((size_t)-1)

/*
 * A regular expression engine. compile() returns the compiled pattern
 * (pattern is null-terminated, flags the letters after the closing
 * delimiter) and the number of capturing groups, or null with a reason.
 * match() fills ovec[2n], ovec[2n+1] with the offsets of group n in key
 * (DICT_PAT_UNSET when the group did not take part) and returns 1, 0 for
 * no match, or -1 with a reason.
 */
typedef struct DICT_PAT_ENGINE {
	void	*(*ctx_new)(void);
	void	 (*ctx_free)(void *);
	void	*(*compile)(const char *pattern, const char *flags,
		    int *ngroups, VSTRING *why);
	int	 (*match)(void *ctx, void *re, const char *key, size_t *ovec,
		    VSTRING *why);
	void	 (*free)(void *re);
} DICT_PAT_ENGINE;

int	 dict_pattern_open(DICT *, VSTRING *, const DICT_PAT_ENGINE *);
const char *dict_pattern_get(DICT *, const char *);
void	 dict_pattern_close(DICT *);

#endif
