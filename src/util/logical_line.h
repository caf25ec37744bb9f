/*
 * logical_line.h - read a configuration or table file as logical lines
 * (continuation lines start with white space). See logical_line.c.
 */
#ifndef LOGICAL_LINE_H
#define LOGICAL_LINE_H

#include <stdio.h>

#include "vstring.h"

/* Table source conventions; without it, main.cf/master.cf ones. */
#define LOGICAL_LINE_TABLE	(1 << 0)

typedef struct LOGICAL_LINE {
	FILE	*fp;
	char	*path;
	size_t	 max;			/* bytes per logical line */
	int	 flags;
	int	 lineno;		/* physical lines read */
	VSTRING	*pending;		/* look-ahead physical line */
	int	 pending_lineno;	/* its number; 0: none */
	int	 own;			/* close fp in logical_line_close() */
} LOGICAL_LINE;

/* logical_line_read(): a line that continues nothing (starts with white space) */
#define LOGICAL_LINE_ORPHAN	2

LOGICAL_LINE *logical_line_open(const char *, size_t, int, VSTRING *);
LOGICAL_LINE *logical_line_fdopen(FILE *, const char *, size_t, int);
int	 logical_line_read(LOGICAL_LINE *, VSTRING *, int *, VSTRING *);
void	 logical_line_close(LOGICAL_LINE *);

#endif
