/*
 * dict_file.h - logical lines of table source files. See dict_file.c.
 */
#ifndef DICT_FILE_H
#define DICT_FILE_H

#include <stdio.h>

#include "logical_line.h"
#include "vstring.h"

typedef LOGICAL_LINE DICT_FILE;

DICT_FILE *dict_file_open(const char *path, VSTRING *why);
DICT_FILE *dict_file_fdopen(FILE *fp, const char *name);
int	 dict_file_read(DICT_FILE *, VSTRING *line, int *lineno, VSTRING *why);
void	 dict_file_close(DICT_FILE *);
int	 dict_file_split(char *line, char **key, char **value);

#endif
