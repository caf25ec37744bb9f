/*
 * dict_file.h - logical lines of table source files. See dict_file.c.
 */
#ifndef DICT_FILE_H
#define DICT_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "logical_line.h"
#include "vstring.h"

typedef LOGICAL_LINE DICT_FILE;

DICT_FILE *dict_file_open(const char *path, VSTRING *why);
DICT_FILE *dict_file_fdopen(FILE *fp, const char *name);
int	 dict_file_read(DICT_FILE *, VSTRING *line, int *lineno, VSTRING *why);
void	 dict_file_close(DICT_FILE *);
int	 dict_file_split(char *line, char **key, char **value);

/* if ... endif blocks of regexp, pcre and cidr tables, while reading. */
#define DICT_FILE_MAXNEST	1000

typedef struct DICT_FILE_NEST {
	size_t	 depth;
	size_t	 rule[DICT_FILE_MAXNEST];	/* the open blocks' rules */
	int	 lineno[DICT_FILE_MAXNEST];	/* and their lines */
} DICT_FILE_NEST;

DICT_FILE_NEST *dict_file_nest_alloc(void);
int	 dict_file_if(DICT_FILE_NEST *, size_t rule, const char *path,
	    int lineno, VSTRING *why);
int	 dict_file_endif(DICT_FILE_NEST *, size_t *rule, const char *path,
	    int lineno, VSTRING *why);
int	 dict_file_nest_end(DICT_FILE_NEST *, const char *path, VSTRING *why);
void	 dict_file_nest_free(DICT_FILE_NEST *);

struct DICT;
int	 dict_file_load(struct DICT *, DICT_FILE_NEST *,
	    int (*)(void *, char *, int, VSTRING *), void *, VSTRING *);

#endif
