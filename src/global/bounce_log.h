/*
 * bounce_log.h - append a record to a message's bounce, defer or trace
 * log (the format is in bounce_clnt.h). See bounce_log.c.
 */
#ifndef BOUNCE_LOG_H
#define BOUNCE_LOG_H

#include <time.h>

#include "qfile.h"
#include "vstring.h"

int	 bounce_log_append(const char *queue_dir, const char *log,
	    const char *id, const QF_RCPT *rcpt, int index,
	    const char *status, const char *action, const char *reason,
	    const char *relay, time_t when, VSTRING *why);

#endif
