/*
 * cleanup_content.h - header/body checks, milters and content_filter in
 * the cleanup stage. See cleanup_content.c.
 */
#ifndef CLEANUP_CONTENT_H
#define CLEANUP_CONTENT_H

#include "cleanup.h"
#include "milter.h"

typedef struct CLEANUP_CONTENT CLEANUP_CONTENT;

CLEANUP_CONTENT *cleanup_content_register(CLEANUP_CONF *, int smtpd);
void	 cleanup_content_milters(CLEANUP_CONTENT *, MILTERS *);
int	 cleanup_content_flags(int);

#endif
