/*
 * argv.h - null-terminated string arrays. See argv.c.
 */
#ifndef ARGV_H
#define ARGV_H

#include <stddef.h>

typedef struct ARGV {
	char	**argv;			/* null-terminated */
	size_t	  argc;			/* entries in use */
	size_t	  size;			/* entries allocated */
} ARGV;

ARGV	*argv_alloc(size_t);
void	 argv_free(ARGV *);
void	 argv_add(ARGV *, const char *);
void	 argv_addn(ARGV *, const char *, size_t);
void	 argv_truncate(ARGV *, size_t);
ARGV	*argv_split(const char *, const char *);
ARGV	*argv_split_append(ARGV *, const char *, const char *);
char	*argv_join(const ARGV *, const char *);

#endif
