/*
 * smtpd_pause.h - the smtpd pause flag (smtpctl pause smtp). See
 * smtpd_pause.c.
 */
#ifndef SMTPD_PAUSE_H
#define SMTPD_PAUSE_H

#include "vstring.h"

#define SMTPD_PAUSE_FILE	"pid/smtpd.pause"	/* in the queue directory */

int	 smtpd_pause_set(const char *, int, VSTRING *);
int	 smtpd_paused(const char *);

#endif
