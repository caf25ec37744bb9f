/*
 * dict_build.h - build hash:/btree: tables from text. See dict_build.c.
 */
#ifndef DICT_BUILD_H
#define DICT_BUILD_H

#include "dict.h"
#include "dict_file.h"
#include "vstring.h"

/* Source formats ("how"), and a modifier. */
#define DICT_BUILD_MAP		0	/* key whitespace value (postmap) */
#define DICT_BUILD_ALIAS	1	/* name: value (aliases(5)) */
#define DICT_BUILD_QUIET	(1 << 8)	/* no duplicate warnings */

int	 dict_build(const char *spec, const char *source, int flags, int how,
	    VSTRING *why);
int	 dict_load_file(DICT *, DICT_FILE *, int how, VSTRING *why);
int	 dict_split_alias(char *line, char **key, char **value);

#endif
