/*
 * dict_mem.h - in-memory tables (texthash:, inline:). See dict_mem.c.
 */
#ifndef DICT_MEM_H
#define DICT_MEM_H

#include "dict.h"

void	 dict_mem_init(DICT *);
int	 dict_mem_add(DICT *, const char *key, const char *value);
const char *dict_mem_get(DICT *, const char *key);
int	 dict_mem_seq(DICT *, int how, const char **key, const char **value);
void	 dict_mem_close(DICT *);

#endif
